"""The cross-department reconciliation in the report's data-quality chapter: what the
maintenance log, the quality department's record, the mold logs and production were compared
on, and how much matched (``assessment.json`` ``cross_department``, written by
:mod:`thermaudit.quality.crosscheck`)."""

from __future__ import annotations

from typing import Any

from thermaudit.quality.crosscheck import CHECK_LABELS, UNIT_LABELS
from thermaudit.report.blocks import Cell, Table, Text
from thermaudit.report.fmt import MISSING, fmt, fmt_count
from thermaudit.report.labels import Bi

#: the optional tables the reconciliation reads, as a reader names them
_TABLE_NAMES = {
    "maintenance": ("设备维护记录", "maintenance log", "설비 정비 기록"),
    "quality": ("质量检验记录", "quality inspection record", "품질 검사 기록"),
}


#: the wastes of the diagnosis compared with unplanned downtime, as the reader names them
_WASTE_NAMES = {
    "idle_holding": ("无生产保温", "idle holding", "비생산 보온"),
    "base_load": ("非生产基础负荷", "base load", "비생산 기저 부하"),
}


def _downtime_notes(doc: dict[str, Any]) -> list[Text]:
    """One note per unplanned stop that coincides with a waste of the diagnosis."""
    d = (doc.get("diagnosis") or {}).get("downtime")
    if not d:
        return []
    notes: list[Text] = [
        Bi(
            f"非计划停机 {d['compared']} 次，其中 {d['coinciding']} 次与诊断发现的浪费重合。",
            f"Unplanned stops: {d['compared']}, of which {d['coinciding']} coincide with "
            "wastes found by the diagnosis.",
            f"비계획 정지 {d['compared']}건 중 {d['coinciding']}건이 진단에서 발견된 낭비와 겹침.",
        )
    ]
    for w in d["windows"]:
        if not w["wastes"]:
            continue
        when = f"{w['start'][:16].replace('T', ' ')} – {w['end'][:16].replace('T', ' ')}"
        parts = [
            (_WASTE_NAMES[x["detector"]], x["subject"], fmt(x["quantity"]), x["unit"])
            for x in w["wastes"]
        ]
        notes.append(
            Bi(
                f"{w['equipment']} {when}："
                + "；".join(f"{n[0]} {s} {q} {u}" for n, s, q, u in parts),
                f"{w['equipment']} {when}: "
                + "; ".join(f"{n[1]} {s} {q} {u}" for n, s, q, u in parts),
                f"{w['equipment']} {when}: "
                + "; ".join(f"{n[2]} {s} {q} {u}" for n, s, q, u in parts),
            )
        )
    return notes


def departments_table(doc: dict[str, Any]) -> Table | None:
    """The reconciliation table, ``None`` for an assessment written before it existed."""
    summary = doc.get("cross_department")
    if not summary:
        return None
    rows: list[list[Cell | Text]] = []
    for c in summary["checks"]:
        zh, en, ko = CHECK_LABELS[c["check"]]
        uzh, uen, uko = UNIT_LABELS[c["unit"]]
        bad = c["inconsistent"]
        rows.append(
            [
                Bi(zh, en, ko),
                Bi(uzh, uen, uko),
                fmt_count(c["compared"]),
                Cell(fmt_count(c["consistent"]), tone="good" if c["compared"] else None),
                Cell(fmt_count(bad), tone="bad" if bad else None),
                fmt_count(c["not_compared"]) if "not_compared" in c else MISSING,
            ]
        )
    w = summary["maintenance_windows"]
    notes: list[Text] = [
        Bi(
            f"期间内维护时段 {w['in_period']} 个（计划 {w['planned']}，非计划 {w['unplanned']}）。",
            f"Maintenance windows in the period: {w['in_period']} ({w['planned']} planned, "
            f"{w['unplanned']} unplanned).",
            f"기간 내 정비 시간 {w['in_period']}건(계획 {w['planned']}, 비계획 {w['unplanned']}).",
        )
    ]
    scrap = next((c for c in summary["checks"] if c["check"] == "scrap"), None)
    if scrap is not None and scrap["compared"]:
        q, p = fmt_count(scrap["quality_scrap"]), fmt_count(scrap["production_scrap"])
        notes.append(
            Bi(
                f"指标采用生产记录的废品数：核对的记录中生产记录 {p} 件，质量部门 {q} 件。",
                f"The metrics use production's scrap: {p} pieces on the records compared, "
                f"against {q} counted by the quality department.",
                f"지표는 생산 기록의 불량 수량을 사용: 대조한 기록에서 생산 {p}개, 품질 부서 "
                f"{q}개.",
            )
        )
    else:
        notes.append(
            Bi(
                "指标采用生产记录的废品数。",
                "The metrics use production's scrap.",
                "지표는 생산 기록의 불량 수량을 사용합니다.",
            )
        )
    missing = [_TABLE_NAMES[t] for t, present in summary["tables"].items() if not present]
    if missing:
        notes.append(
            Bi(
                "未提供：" + "、".join(m[0] for m in missing) + "，相应核对未进行。",
                "Not provided: " + ", ".join(m[1] for m in missing) + "; those comparisons "
                "were not made.",
                "제공되지 않음: " + ", ".join(m[2] for m in missing) + "; 해당 대조는 "
                "수행하지 않음.",
            )
        )
    notes += _downtime_notes(doc)
    t = summary.get("thresholds") or {}
    if t:
        frac = 100.0 * t["maintenance_load_fraction"]
        pct, pieces = t["scrap_tolerance_pct"], t["scrap_tolerance_pieces"]
        notes.append(
            Bi(
                f"判定依据：维护期间专用计量的平均功率达到额定功率的 {frac:g}% 视为生产负荷；"
                f"废品数差异超过 {pieces:g} 件且超过生产废品数的 {pct:g}% 视为不一致。",
                f"Rules: a dedicated meter's mean power under maintenance from {frac:g} % of "
                f"the rating is production-level load; scrap counts that differ by more than "
                f"{pieces:g} pieces and more than {pct:g} % of production's scrap disagree.",
                f"판정 기준: 정비 중 전용 계량기의 평균 전력이 정격의 {frac:g}% 이상이면 생산 "
                f"부하; 불량 수량 차이가 {pieces:g}개 및 생산 불량의 {pct:g}%를 넘으면 불일치.",
            )
        )
    return Table(
        [
            Bi("核对项", "Comparison", "대조 항목"),
            Bi("单位", "Counted in", "단위"),
            Bi("核对数", "Compared", "대조 수"),
            Bi("一致", "Consistent", "일치"),
            Bi("不一致", "Inconsistent", "불일치"),
            Bi("未核对", "Not compared", "미대조"),
        ],
        rows,
        "llrrrr",
        [3, 1.6, 1, 1, 1, 1],
        caption=Bi("跨部门核对", "Cross-department reconciliation", "부서 간 대조"),
        small=True,
        notes=notes,
    )
