"""Metric 2: waste heat recovery rate (GB/T 1028-2018 terms).

Rate = Σ heat of ``recovered`` streams and ``recovered_heat`` meters / Σ heat of
``available`` streams × 100 over the period. The heat of each stream row is in
:mod:`thermaudit.metrics.heat`.
"""

from __future__ import annotations

from thermaudit.metrics.context import Context
from thermaudit.metrics.heat import StreamHeat, stream_heat
from thermaudit.metrics.result import MetricResult, Reason
from thermaudit.quality.findings import Finding, finding

ID = "waste_heat_recovery_rate"


def compute(ctx: Context) -> MetricResult:
    """Waste heat recovery rate of the period.

    Parameters
    ----------
    ctx : Context
        Heat streams of the site and the ``heat_streams`` table; ``recovered_heat`` meters.

    Returns
    -------
    MetricResult
        ``value`` [%] (``None`` without available heat, or above 100 %: a data error with
        a finding); ``detail``: ``recovered_gj``, ``available_gj``,
        ``recovered_heat_meters_gj``, ``by_stream_gj`` [GJ]; ``facts["heat"]``: the
        :class:`~thermaudit.metrics.heat.StreamHeat` of each stream.

    Notes
    -----
    R = 100 · (Σ_recovered H_j + Σ recovered_heat meters) / Σ_available H_j, 0 ≤ R ≤ 100.
    The data qualify when every stream has rows for at least the completeness floor of
    its intervals.

    References
    ----------
    GB/T 1028-2018 (terms); metrics.md (``miit-2026-provisional`` v1) section 2.
    """
    site = ctx.site
    streams = ctx.table("heat_streams")
    heat = stream_heat(ctx.con, streams, site, ctx.spec) if streams is not None else {}
    findings = _stream_findings(ctx, heat)
    available = sum(h.heat_gj for h in heat.values() if h.kind == "available")
    rec_meters_gj = sum(
        ctx.cons[m.id].consumption
        for m in site.meters
        if m.role == "recovered_heat" and ctx.cons[m.id].unit == "GJ"
    )
    recovered = sum(h.heat_gj for h in heat.values() if h.kind == "recovered") + rec_meters_gj
    rate: float | None = None
    if available > 0:
        rate = 100.0 * recovered / available
        if rate > 100.0:
            findings.append(
                finding(
                    "quality.heat.recovery_above_100",
                    metrics=(ID,),
                    recovered=recovered,
                    available=available,
                )
            )
            rate = None
    else:
        findings.append(
            finding(
                "metric.not_computable",
                metrics=(ID,),
                metric=ID,
                reason="no available waste heat stream with data in the period",
            )
        )
    detail = {
        "recovered_gj": recovered,
        "available_gj": available,
        "recovered_heat_meters_gj": rec_meters_gj,
        "by_stream_gj": {k: v.heat_gj for k, v in heat.items()},
    }
    return MetricResult(
        ID,
        rate,
        ctx.spec.metric(ID).unit,
        detail,
        uncertainty_inputs={"available_gj": available},
        findings=findings,
        sufficiency=ctx.gate([], rate, _row_reasons(ctx, heat)),
        facts={"heat": heat},
    )


def _stream_findings(ctx: Context, heat: dict[str, StreamHeat]) -> list[Finding]:
    out = []
    for sid, h in heat.items():
        s = next(x for x in ctx.site.heat_streams if x.id == sid)
        if h.facts["rows_wrong_unit"]:
            out.append(
                finding(
                    "quality.heat.unit_medium_mismatch",
                    stream=sid,
                    flow_unit=h.facts["wrong_unit"],
                    medium=s.medium,
                    count=h.facts["rows_wrong_unit"],
                )
            )
        if h.facts["rows_no_cold"]:
            out.append(
                finding(
                    "quality.heat.missing_cold_temperature",
                    stream=sid,
                    count=h.facts["rows_no_cold"],
                )
            )
    return out


def _row_reasons(ctx: Context, heat: dict[str, StreamHeat]) -> list[Reason]:
    floor = ctx.params["completeness_floor_pct"] / 100.0
    period_s = ctx.period_seconds()
    out = []
    for stream in ctx.site.heat_streams:
        h = heat.get(stream.id)
        expected = period_s / stream.interval_s
        got = h.rows if h is not None else 0
        if got < floor * expected:
            out.append(
                Reason(
                    "sufficiency.stream_rows",
                    stream.id,
                    {
                        "rows": got,
                        "expected": expected,
                        "share_pct": 100 * got / expected,
                        "floor_pct": 100 * floor,
                    },
                )
            )
    return out
