"""Metric 4: melting energy intensity and furnace thermal efficiency.

Energy into melting furnaces (kgce) / metal melted (t); thermal efficiency = theoretical
heat / energy input (both MJ). Materials and the theoretical heat per kg are in
:mod:`thermaudit.metrics.melting`.
"""

from __future__ import annotations

from typing import Any

from thermaudit.metrics.context import Context
from thermaudit.metrics.melting import Material, material_for, melting_meters
from thermaudit.metrics.result import MetricResult
from thermaudit.quality.findings import Finding, finding

ID = "melting_energy_intensity"


def compute(ctx: Context) -> MetricResult:
    """Melting energy intensity and thermal efficiency of the period.

    Parameters
    ----------
    ctx : Context
        The ``melting`` table, the melting meters' consumption and the coefficients.

    Returns
    -------
    MetricResult
        ``value`` [kgce/t] (``None`` without melting meters or metal melted); ``detail``:
        ``thermal_efficiency_pct`` [%] (``None`` with an unknown alloy), ``metal_t`` [t],
        ``energy_kgce``, ``energy_mj``, ``theoretical_mj`` [MJ], ``meters``, ``by_alloy_t``.

    Notes
    -----
    Per kg from T_ref (the specification's ``melting_reference_temp_c``) to the tap
    temperature: q = cp_s (T_m − T_ref) + L + cp_l (T_tap − T_m) for T_tap ≥ T_m, else
    cp_s (T_tap − T_ref). Energy input: electricity × ``electricity_mj_per_kwh``, fuels by
    measured NCV or coefficient × ``kgce_mj``.

    References
    ----------
    metrics.md (``miit-2026-provisional`` v1) section 4.
    """
    unit = ctx.spec.metric(ID).unit
    meters = melting_meters(ctx.site)
    ids = [m.id for m in meters]
    findings = [] if meters else [finding("quality.melting.no_meters", metrics=(ID,))]
    melt = ctx.table("melting")
    if melt is None:
        findings.append(
            finding("metric.not_computable", metrics=(ID,), metric=ID, reason="no melting table")
        )
        detail: dict[str, Any] = {"thermal_efficiency_pct": None, "metal_t": None}
        return MetricResult(
            ID,
            None,
            unit,
            detail,
            uncertainty_inputs={"metal_t": None},
            findings=findings,
            sufficiency=ctx.gate(ids, None),
        )
    member = ctx.in_period(melt)
    m_in = melt.filter(member)
    by_alloy = ctx.con.to_pyarrow(
        m_in.group_by("alloy").aggregate(
            kg=m_in.metal_kg.sum(),
            kg_tap=(m_in.metal_kg * m_in.tap_temp_c).sum(),
            batches=m_in.count(),
            below_melting=m_in.tap_temp_c.min(),
        )
    ).to_pylist()
    outside = ctx.con.to_pyarrow(melt.filter(~member).count()).as_py()
    if outside:
        findings.append(
            finding("quality.reading.outside_period", table="melting", count=int(outside))
        )
    theoretical_kj, unknown = _theoretical_kj(ctx, m_in, by_alloy, findings)
    energy_kgce = sum(ctx.cons[m.id].consumption * ctx.coef.kgce_per_unit(m) for m in meters)
    energy_mj = sum(ctx.cons[m.id].consumption * ctx.coef.mj_per_unit(m) for m in meters)
    metal_t = sum(r["kg"] for r in by_alloy) / 1000.0
    value = energy_kgce / metal_t if metal_t > 0 and meters else None
    eff = (
        100.0 * theoretical_kj / 1000.0 / energy_mj
        if energy_mj > 0 and not unknown and metal_t > 0
        else None
    )
    if metal_t <= 0:
        findings.append(
            finding(
                "metric.not_computable",
                metrics=(ID,),
                metric=ID,
                reason="no metal melted in the period",
            )
        )
    detail = {
        "thermal_efficiency_pct": eff,
        "metal_t": metal_t,
        "energy_kgce": energy_kgce,
        "energy_mj": energy_mj,
        "theoretical_mj": theoretical_kj / 1000.0,
        "meters": ids,
        "by_alloy_t": {r["alloy"]: r["kg"] / 1000.0 for r in by_alloy},
    }
    return MetricResult(
        ID,
        value,
        unit,
        detail,
        uncertainty_inputs={"metal_t": metal_t},
        findings=findings,
        sufficiency=ctx.gate(ids, value),
    )


def _theoretical_kj(
    ctx: Context, m_in: Any, by_alloy: list[dict[str, Any]], findings: list[Finding]
) -> tuple[float, bool]:
    """Σ theoretical heat of the batches [kJ], and whether an alloy was unknown."""
    t_ref = ctx.params["melting_reference_temp_c"]
    total = 0.0
    unknown = False
    for r in by_alloy:
        mat = material_for(r["alloy"])
        if mat is None:
            unknown = True
            findings.append(
                finding(
                    "quality.melting.unknown_alloy",
                    metrics=(ID,),
                    alloy=r["alloy"],
                    count=r["batches"],
                    metal_t=r["kg"] / 1000,
                )
            )
        elif r["below_melting"] < mat.melting_point_c:
            # rare: compute batch by batch to honour the solid-only branch
            rows = ctx.con.to_pyarrow(
                m_in.filter(m_in.alloy == r["alloy"]).select("metal_kg", "tap_temp_c")
            ).to_pylist()
            total += sum(x["metal_kg"] * mat.heat_kj_per_kg(x["tap_temp_c"], t_ref) for x in rows)
        else:
            total += _liquid_kj(mat, r["kg"], r["kg_tap"], t_ref)
    return total, unknown


def _liquid_kj(mat: Material, kg: float, kg_tap: float, t_ref: float) -> float:
    """Compute Σ kg·q(tap) when every batch is liquid [kJ].

    q is linear in the tap temperature, so
    Σ kg·q = kg·(cp_s(T_m − T_ref) + L − cp_l·T_m) + cp_l·Σ kg·tap.
    """
    return (
        kg
        * (
            mat.cp_solid * (mat.melting_point_c - t_ref)
            + mat.latent_heat
            - mat.cp_liquid * mat.melting_point_c
        )
        + mat.cp_liquid * kg_tap
    )
