"""Metric 1: comprehensive energy consumption per unit product (GB/T 2589-2020).

E = Σ supply + Σ generation − Σ excluded − Σ export, each meter's period consumption × its
carrier's coefficient [kgce]; P = Σ good mass of mass-denominated SKUs [t]; value = E / P,
on the site's electricity basis (calorific value by default) with the other basis beside it.
The kernels (balance, allocation to SKUs) are in :mod:`thermaudit.metrics.energy`.
"""

from __future__ import annotations

from thermaudit.metrics import energy as en
from thermaudit.metrics.context import Context, boundary_meters
from thermaudit.metrics.result import MetricResult
from thermaudit.quality.findings import Finding, finding

ID = "unit_product_energy"


def compute(ctx: Context) -> MetricResult:
    """Compute the unit product energy of the period.

    Parameters
    ----------
    ctx : Context
        Meters' consumption, coefficients and production of the assessment.

    Returns
    -------
    MetricResult
        ``value`` [kgce/t] (``None`` without good mass of mass-denominated products);
        ``detail``: ``energy_kgce``, ``good_mass_t``, both electricity bases, ``by_carrier``,
        ``by_role``, ``by_meter``, ``by_sku``, the line/rest split and the coefficients;
        ``facts["allocation"]``: the :class:`~thermaudit.metrics.energy.Allocation`.

    Notes
    -----
    The headline = Σ energy of the mass-denominated SKUs / their good mass; count SKUs get
    kgce per piece in ``by_sku`` only. The SKU energies add up to E exactly.

    References
    ----------
    GB/T 2589-2020 clauses 4 and 5; metrics.md (``miit-2026-provisional`` v1) section 1.
    """
    site, coef, output = ctx.site, ctx.coef, ctx.output
    basis = site.options.electricity_basis
    other = "equivalent" if basis == "calorific" else "calorific"
    bal = en.energy_balance(site, ctx.cons, coef, basis)
    bal_other = en.energy_balance(site, ctx.cons, coef, other)
    alloc = en.allocate(site, bal, output)
    value, by_sku = en.intensity(alloc, output)
    value_other, _ = en.intensity(en.allocate(site, bal_other, output), output)
    good_mass_t = ctx.good_mass_t
    detail = {
        "energy_kgce": bal.total_kgce,
        "good_mass_t": good_mass_t,
        "electricity_basis": basis,
        "equivalent_basis_value": value if basis == "equivalent" else value_other,
        "calorific_basis_value": value if basis == "calorific" else value_other,
        "energy_kgce_equivalent_basis": (bal if basis == "equivalent" else bal_other).total_kgce,
        "by_carrier": bal.by_carrier,
        "by_role": bal.by_role,
        "by_meter": bal.by_meter,
        "by_sku": by_sku,
        "line_energy_kgce": alloc.line_kgce,
        "rest_energy_kgce": alloc.rest_kgce,
        "coefficients": {
            "electricity_kgce_per_kwh": coef.electricity_calorific,
            "electricity_equivalent_kgce_per_kwh": coef.electricity_equivalent,
            "natural_gas_kgce_per_m3": coef.gas_ncv_mj_per_m3 / coef.kgce_mj,
            "natural_gas_ncv_mj_per_m3": coef.gas_ncv_mj_per_m3,
            "natural_gas_ncv_source": coef.gas_ncv_source,
        },
    }
    return MetricResult(
        ID,
        value,
        ctx.spec.metric(ID).unit,
        detail,
        uncertainty_inputs={"good_mass_t": good_mass_t},
        findings=_findings(ctx, alloc, value),
        sufficiency=ctx.gate(boundary_meters(site), value),
        facts={"allocation": alloc},
    )


def _findings(ctx: Context, alloc: en.Allocation, value: float | None) -> list[Finding]:
    out = [
        finding(
            "metric.not_computable",
            metrics=(ID,),
            metric=f"line {line}",
            reason=f"its submeters measured {kgce:.1f} kgce but the line made "
            "nothing in the period; shared with all SKUs instead",
        )
        for line, kgce in alloc.unallocated_lines.items()
    ]
    if value is None:
        out.append(
            finding(
                "metric.not_computable",
                metrics=(ID,),
                metric=ID,
                reason="no good mass of mass-denominated products in the period",
            )
        )
    options = ctx.site.options
    if "electricity_equivalent_kgce_per_kwh" not in options.model_fields_set:
        # the equivalent value is a yearly figure: the default is a placeholder to check
        out.append(
            finding(
                "metric.coefficient_check",
                what="electricity equivalent value",
                value=f"{options.electricity_equivalent_kgce_per_kwh:.2f} kgce/kWh",
            )
        )
    return out
