"""Metric 5: carbon emission intensity per unit product (GB/T 32150 / GB/T 32151.29-2024).

(scope 1 + scope 2 location-based) / P, market-based beside it. The emission kernels are in
:func:`thermaudit.metrics.energy.carbon`.
"""

from __future__ import annotations

from thermaudit.metrics import energy as en
from thermaudit.metrics.context import Context, boundary_meters
from thermaudit.metrics.result import MetricResult
from thermaudit.quality.findings import finding

ID = "unit_product_carbon_intensity"


def compute(ctx: Context) -> MetricResult:
    """Carbon intensity of the period.

    Parameters
    ----------
    ctx : Context
        Meters' consumption, coefficients (grid factor, heat factor), production and the
        ``green_certificates`` table.

    Returns
    -------
    MetricResult
        ``value`` [tCO2e/t] (``None`` without good mass); ``detail``: ``scope1_t``,
        ``scope2_location_t``, ``scope2_market_t`` [tCO2e], ``market_based_value``
        [tCO2e/t], scope 1 by fuel, net electricity [kWh] and heat [GJ], green certificates,
        the grid factor [kgCO2/kWh] and ``good_mass_t`` [t].

    Notes
    -----
    Scope 1 = Σ fuel × NCV × carbon content × oxidation × 44/12; scope 2 = net electricity ×
    grid factor + net heat × ``heat_tco2_per_gj``; market-based: electricity less retired
    green certificates (never below zero).

    References
    ----------
    GB/T 32150-2015; GB/T 32151.29-2024; metrics.md (``miit-2026-provisional`` v1) section 5.
    """
    site, coef = ctx.site, ctx.coef
    green_kwh, green_detail = en.green_certificate_kwh(
        ctx.rows("green_certificates"), site.period.start, site.period.end
    )
    carb, no_ef = en.carbon(site, ctx.cons, coef, green_kwh)
    findings = [
        finding(
            "metric.not_computable",
            metrics=(ID,),
            metric=f"scope 1 of {c}",
            reason="no emission factor for the carrier",
        )
        for c in no_ef
    ]
    p = ctx.good_mass_t
    value = (carb.scope1_t + carb.scope2_location_t) / p if p > 0 else None
    detail = {
        "scope1_t": carb.scope1_t,
        "scope2_location_t": carb.scope2_location_t,
        "scope2_market_t": carb.scope2_market_t,
        "market_based_value": (carb.scope1_t + carb.scope2_market_t) / p if p > 0 else None,
        "scope1_by_fuel_t": carb.by_fuel_t,
        "electricity_net_kwh": carb.electricity_net_kwh,
        "heat_net_gj": carb.heat_net_gj,
        "green_certificates_kwh": green_kwh,
        "green_certificates": green_detail,
        "grid_factor_kgco2_per_kwh": coef.grid_factor,
        "grid_factor_source": coef.grid_factor_source,
        "good_mass_t": p,
    }
    return MetricResult(
        ID,
        value,
        ctx.spec.metric(ID).unit,
        detail,
        uncertainty_inputs={"good_mass_t": p},
        findings=findings,
        sufficiency=ctx.gate(boundary_meters(site), value),
    )
