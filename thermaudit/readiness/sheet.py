"""The readiness check on one page: ``readiness.pdf`` in the report's languages, laid out by
the report's Typst pipeline and fonts (:func:`thermaudit.report.typst_render.compile_sheet`).

The page holds the metrics table and the first :data:`MAX_GAPS_ON_PAGE` gaps (the order of
:func:`~thermaudit.readiness.check.readiness`: earliest endangered renewal first); a note
says how many more the JSON lists, so the page stays one page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from thermaudit.readiness.gaps import EFFORTS
from thermaudit.report.blocks import Cell, Para, Section, Table
from thermaudit.report.labels import Bi, is_pair
from thermaudit.report.typst_render import compile_sheet

#: gaps printed on the page (in one language, in a pair of languages); the rest are in
#: readiness.json
MAX_GAPS_ON_PAGE = {"one": 14, "pair": 10}
#: longest gap text on the page [characters]; the JSON holds the whole text
MAX_GAP_TEXT = 140

COMPUTABLE = {
    "yes": (Bi("可计算", "yes", "가능"), "good"),
    "partially": (Bi("部分可计算", "partially", "부분 가능"), "warn"),
    "no": (Bi("不可计算", "no", "불가"), "bad"),
}
LEVEL = {
    "qualified": (Bi("数据合格", "qualified", "적격"), "good"),
    "not_qualified": (Bi("数据不合格", "not qualified", "부적격"), "bad"),
    "not_assessed": (Bi("未能评估", "not assessed", "평가 불가"), "muted"),
}


def _bi(d: dict[str, str]) -> Bi:
    return Bi(d["zh"], d["en"], d["ko"])


def owner_text(owner: dict[str, Any] | None) -> str:
    """Department · role · person as the plant wrote them; ``—`` when nobody is named."""
    if not owner:
        return "—"
    return " · ".join(str(owner[k]) for k in ("department", "role", "person") if owner.get(k))


def sections(doc: dict[str, Any], lang: str = "zh") -> list[Section]:
    """The blocks of the page from a ``thermaudit.readiness/1`` document."""
    number = {m["metric"]: str(i) for i, m in enumerate(doc["metrics"], start=1)}
    metrics = Section("metrics", Bi("各项指标", "Metrics", "지표별"))
    rows: list[list[Cell | str | Bi]] = []
    for m in doc["metrics"]:
        comp, comp_tone = COMPUTABLE[m["computable"]]
        level, level_tone = LEVEL[m["level"]]
        rows.append(
            [
                number[m["metric"]],
                _bi(m["name"]),
                Cell(comp, tone=comp_tone),
                Cell(level, tone=level_tone),
                str(len(m["gaps"])),
            ]
        )
    metrics.add(
        Table(
            [
                "#",
                Bi("指标", "Metric", "지표"),
                Bi("能否计算", "Computable", "산출 가능"),
                Bi("数据质量", "Data quality", "데이터 품질"),
                Bi("缺口", "Gaps", "미비"),
            ],
            rows,
            "llllr",
            [0.3, 3.2, 1.2, 1.2, 0.5],
            small=True,
        )
    )
    gaps = Section("gaps", Bi("缺口", "Gaps", "미비 사항"))
    shown = doc["gaps"][: MAX_GAPS_ON_PAGE["pair" if is_pair(lang) else "one"]]
    if not shown:
        gaps.add(Para(Bi("未发现缺口。", "No gap found.", "미비 사항이 없다.")))
    else:
        gaps.add(
            Table(
                [
                    Bi("缺口", "Gap", "미비 사항"),
                    Bi("指标", "Metrics", "지표"),
                    Bi("负责人", "Owner", "담당"),
                    Bi("工作类型", "Effort", "조치 유형"),
                    Bi("受影响的换证", "Renewal at risk", "위험한 갱신"),
                ],
                [_gap_row(g, number) for g in shown],
                "lllll",
                [3.6, 0.6, 1.4, 1.0, 1.4],
                small=True,
            )
        )
    more = len(doc["gaps"]) - len(shown)
    if more > 0:
        gaps.add(
            Para(
                Bi(
                    f"另有 {more} 项缺口列于就绪检查数据（JSON）中。",
                    f"{more} more gaps are listed in the readiness data (JSON).",
                    f"그 밖의 미비 사항 {more}건은 준비 점검 데이터(JSON)에 있다.",
                ),
                tone="note",
            )
        )
    return [metrics, gaps]


def _gap_row(g: dict[str, Any], number: dict[str, str]) -> list[Cell | str | Bi]:
    renewals = g["renewals"]
    if renewals:
        first = renewals[0]
        renewal = f"{first['renewal_due']} {first['scheme']} {first['sku']}"
        if len(renewals) > 1:
            renewal += f" (+{len(renewals) - 1})"
    else:
        renewal = "—"
    metrics = ", ".join(number[m] for m in g["metrics"] if m in number) or "—"
    tone = "bad" if g["blocking"] else None
    message = Bi(*(_cut(g["message"][x]) for x in ("zh", "en", "ko")))
    return [
        Cell(message, tone=tone),
        metrics,
        owner_text(g["owner"]),
        EFFORTS[g["effort"]],
        renewal,
    ]


def _cut(text: str) -> str:
    return text if len(text) <= MAX_GAP_TEXT else text[: MAX_GAP_TEXT - 1] + "…"


TITLE = Bi("评估前就绪检查", "Readiness check before the assessment", "평가 전 준비 점검")


def write_sheet(doc: dict[str, Any], out: Path, *, lang: str = "zh") -> Path:
    """Write the one-page ``readiness.pdf`` of ``doc`` (the JSON is attached to it)."""
    name_en = doc.get("enterprise_en") or doc["enterprise"]
    period = f"{doc['period']['start']} – {doc['period']['end']}"
    running = Bi(
        f"{doc['enterprise']} · {period}",
        f"{name_en} · {period}",
        f"{name_en} · {period}",
    )
    data = json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
    res = compile_sheet(
        TITLE,
        sections(doc, lang),
        lang,
        out,
        running=running,
        attachment=("readiness.json", data),
    )
    return res.path
