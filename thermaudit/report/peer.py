"""The report's chapter "Peer position": the plant's percentile in its benchmark cell for
each metric, with the cell's size and the benchmark's date (:mod:`thermaudit.portfolio.peer`).

Left out when the report is made without a ``benchmark.json``, or when no cell the plant
belongs to is published.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from thermaudit.report.blocks import Cell, Para, Section, Table, Text
from thermaudit.report.fmt import MISSING, fmt, fmt_count
from thermaudit.report.labels import Bi

if TYPE_CHECKING:  # pragma: no cover - the chapter is called with the report's context
    from thermaudit.report.content import Context

B = Bi


def _where(position: str, pct: float | None) -> Bi:
    if position == "below":
        return B("低于 P10", "below P10", "P10 미만")
    if position == "above":
        return B("高于 P90", "above P90", "P90 초과")
    p = fmt_count(round(pct or 0.0))
    return B(f"约 P{p}", f"about P{p}", f"약 P{p}")


def peer(ctx: Context) -> Section | None:
    """The chapter, or ``None`` without a benchmark or a published cell of the plant's own."""
    if ctx.benchmark is None:
        return None
    from thermaudit.portfolio.benchmark import labels
    from thermaudit.portfolio.peer import peer_position

    pos = peer_position(ctx.doc, ctx.benchmark)
    if pos is None:
        return None
    lab = labels()

    def cell_name(r: dict[str, Any]) -> Bi:
        parts = [lab[v] for v in r["labels"].values()] or [lab["overall"]]
        return B(
            "、".join(p["zh"] for p in parts),
            ", ".join(p["en"] for p in parts),
            ", ".join(p["ko"] for p in parts),
        )

    date = pos["date"]
    s = Section("peer", B("同行对标位置", "Peer position", "동종 업계 내 위치"))
    s.add(
        Para(
            B(
                f"各指标与本厂所属、已公布的最细同行组比较（对标日期 {date}）。"
                "百分位由公布的分位数插值得出，为近似值。",
                "Each metric is compared with the narrowest published peer group the plant "
                f"belongs to (benchmark of {date}). The percentile is interpolated between the "
                "published quantiles and is approximate.",
                "각 지표는 본 공장이 속한, 공개된 가장 좁은 동종 그룹과 비교합니다(벤치마크 일자 "
                f"{date}). 백분위는 공개된 분위수 사이를 보간한 근사값입니다.",
            )
        )
    )
    names = {m.id: m for m in ctx.spec.metrics}
    rows: list[list[Cell | Text]] = []
    for mid, r in pos["metrics"].items():
        ms = names[mid]
        rows.append(
            [
                B(ms.name_zh, ms.name_en, ms.name_ko),
                f"{fmt(r['value'])} {ms.unit}",
                f"{fmt(r['median'])} {ms.unit}" if r["median"] is not None else MISSING,
                _where(r["position"], r["percentile"]),
                cell_name(r),
                fmt_count(r["count"]),
            ]
        )
    s.add(
        Table(
            [
                B("指标", "Metric", "지표"),
                B("本厂", "This plant", "본 공장"),
                B("同行中位数", "Peer median", "동종 중앙값"),
                B("百分位", "Percentile", "백분위"),
                B("同行组", "Peer group", "동종 그룹"),
                B("同行企业数", "Peers", "동종 기업 수"),
            ],
            rows,
            "lrrrlr",
            [2.4, 1.1, 1.1, 0.9, 1.8, 0.7],
            small=True,
        )
    )
    return s
