"""Metric 3: mold temperature control accuracy (GB/T 39957-2021, clause to be checked).

P95 of |actual − setpoint| over the steady-state samples of all controllers, with each
controller's statistics, Cpk and calibration. The steady-state filter and the statistics
are in :mod:`thermaudit.metrics.mold`.
"""

from __future__ import annotations

from typing import Any

from thermaudit.metrics import coverage as cov
from thermaudit.metrics.context import Context
from thermaudit.metrics.result import MetricResult
from thermaudit.quality.findings import Finding, finding

ID = "mold_temperature_control_accuracy"


def compute(ctx: Context) -> MetricResult:
    """Mold temperature control accuracy of the period.

    Parameters
    ----------
    ctx : Context
        ``mold_temperature`` samples, the site's controllers and the calibrations.

    Returns
    -------
    MetricResult
        ``value`` [°C] (``None`` without a steady sample); ``detail["by_controller"]``: per
        controller the statistics of :func:`~thermaudit.metrics.mold.mold_temperature_accuracy`
        plus ``calibration_valid``, ``calibration`` (``valid``, ``missing``, ``expired``) and
        ``expanded_uncertainty_c`` (the last certificate's U, k=2) [°C];
        ``detail["steady_samples"]``.

    References
    ----------
    metrics.md (``miit-2026-provisional`` v1) section 3; GB/T 39957-2021.
    """
    site = ctx.site
    unit = ctx.spec.metric(ID).unit
    samples = ctx.table("mold_temperature")
    if samples is None or not site.temperature_controllers:
        findings = [
            finding(
                "metric.not_computable",
                metrics=(ID,),
                metric=ID,
                reason="no mold_temperature table or no temperature_controllers",
            )
        ]
        return MetricResult(ID, None, unit, {}, findings=findings, sufficiency=ctx.gate([], None))
    from thermaudit.metrics.mold import mold_temperature_accuracy

    res = mold_temperature_accuracy(ctx.con, samples, site, grading=ctx.spec.metric(ID).grading)
    by_controller = _with_calibration(ctx, res.by_controller)
    return MetricResult(
        ID,
        res.value,
        unit,
        {"by_controller": by_controller, "steady_samples": res.steady_samples},
        uncertainty_inputs={
            "by_controller": {cid: {"samples": c["samples"]} for cid, c in by_controller.items()}
        },
        findings=_findings(res.facts, res.value),
        sufficiency=ctx.gate([], res.value),
    )


def _findings(facts: dict[str, Any], value: float | None) -> list[Finding]:
    out = [
        finding("quality.mold.duplicate_timestamp", controller=cid, count=n)
        for cid, n in sorted(facts["duplicate_timestamp_rows"].items())
        if n
    ]
    out += [
        finding("quality.mold.no_steady_samples", controller=cid, metrics=(ID,))
        for cid in sorted(facts["controllers_without_steady_samples"])
    ]
    if facts.get("rows_outside_period"):
        out.append(
            finding(
                "quality.reading.outside_period",
                table="mold_temperature",
                count=int(facts["rows_outside_period"]),
            )
        )
    if value is None:
        out.append(
            finding(
                "metric.not_computable",
                metrics=(ID,),
                metric=ID,
                reason="no steady-state samples in the period",
            )
        )
    return out


def _with_calibration(
    ctx: Context, stats_by: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Each controller's statistics with its calibration state and expanded uncertainty."""
    site = ctx.site
    cal_rows = ctx.rows("calibrations")
    out = {}
    for cid, stats in stats_by.items():
        ok, _gaps = cov.calibration_coverage(cid, cal_rows, site.period.start, site.period.end)
        cert = [r for r in cal_rows if r["instrument_id"] == cid]
        u = None
        if cert:
            last = max(cert, key=lambda r: r["valid_until"])
            if last.get("uncertainty_unit") == "C" and last.get("expanded_uncertainty") is not None:
                u = float(last["expanded_uncertainty"])
        out[cid] = {
            **stats,
            "calibration_valid": ok,
            "calibration": "valid" if ok else ("missing" if not cert else "expired"),
            "expanded_uncertainty_c": u,
        }
    return out
