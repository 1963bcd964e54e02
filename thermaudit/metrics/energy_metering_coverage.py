"""Metric 6: energy metering coverage (GB 17167-2006).

Headline = key equipment fitted with a dedicated meter / key equipment × 100; beside it the
site and process levels, calibration validity and data completeness. The levels are computed
by :func:`thermaudit.metrics.coverage.coverage`.
"""

from __future__ import annotations

from typing import Any

from thermaudit.dataset.site import Site
from thermaudit.metrics import coverage as cov
from thermaudit.metrics.context import Context
from thermaudit.metrics.result import MetricResult
from thermaudit.quality.findings import Finding, finding

ID = "energy_metering_coverage"


def compute(ctx: Context) -> MetricResult:
    """Energy metering coverage of the site.

    Parameters
    ----------
    ctx : Context
        The site's meters and equipment, their consumption, calibrations and invoices.

    Returns
    -------
    MetricResult
        ``value`` [%] = key-equipment rate (``None`` without key equipment); ``detail``:
        ``site``, ``process``, ``key_equipment`` (electricity, fuel), ``calibration_valid``,
        ``completeness`` [%] and the lists behind them. Findings: missing or expired
        calibration of every instrument.

    References
    ----------
    GB 17167-2006 tables 2 and 3; metrics.md (``miit-2026-provisional`` v1) section 6.
    """
    site = ctx.site
    cal_rows = ctx.rows("calibrations")
    carriers = {p["carrier"] for p in ctx.purchases}
    cv = cov.coverage(site, ctx.cons, cal_rows, carriers, ctx.coef, ctx.params)
    findings = []
    if cv.key_pct is None:
        findings.append(
            finding(
                "metric.not_computable",
                metrics=(ID,),
                metric=ID,
                reason="no key energy-using equipment in site.yaml",
            )
        )
    findings += calibration_findings(site, cal_rows)
    detail = {
        "site": cv.site_pct,
        "process": cv.process_pct,
        "key_equipment": cv.key_pct,
        "key_equipment_electricity": cv.key_electricity_pct,
        "key_equipment_fuel": cv.key_fuel_pct,
        "calibration_valid": cv.calibration_valid_pct,
        "completeness": cv.completeness_pct,
        **cv.detail,
    }
    return MetricResult(
        ID,
        cv.key_pct,
        ctx.spec.metric(ID).unit,
        detail,
        findings=findings,
        sufficiency=ctx.gate([], cv.key_pct),
    )


def calibration_findings(site: Site, cal_rows: list[dict[str, Any]]) -> list[Finding]:
    """List a finding for each instrument whose calibration is missing or lapses."""
    out = []
    for inst in sorted(site.instruments):
        ok, gaps = cov.calibration_coverage(inst, cal_rows, site.period.start, site.period.end)
        if ok:
            continue
        if not any(r["instrument_id"] == inst for r in cal_rows):
            out.append(finding("quality.calibration.missing", instrument=inst))
        else:
            text = ", ".join(f"{a.isoformat()}–{b.isoformat()}" for a, b in gaps)
            out.append(
                finding(
                    "quality.calibration.not_covering",
                    instrument=inst,
                    gaps=text,
                    uncovered=[[a.isoformat(), b.isoformat()] for a, b in gaps],
                )
            )
    return out
