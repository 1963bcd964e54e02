"""The ``energy_use`` section of ``assessment.json``: the period's energy in MWh by source.

The energy as the buyer and regulator disclosures ask for it (ESRS E1-5, VSME B3, K-ESG).

Energy content, not coal equivalent: each meter's net quantity in the period (supply and
generation added, excluded and export subtracted, the signs of metric 1) times its energy
content per unit (:meth:`~thermaudit.metrics.coefficients.Coefficients.mj_per_unit`:
electricity 3.6 MJ/kWh, natural gas by its NCV, other fuels by their kgce coefficient ×
29.3076 MJ/kgce), in MWh. Water and compressed air are not energy carriers here.

Fossil, nuclear and renewable (ESRS E1-5 §37-38)
    Fuels are fossil (coke: coal; diesel, gasoline, fuel oil, LPG: crude oil and petroleum
    products; natural gas). Self-generated electricity (``generation`` meters: PV) is
    renewable, non-fuel. Purchased electricity is split in two: the part covered by the
    energy attribute certificates retired for the period (``green_certificates``, prorated
    by days, never more than the purchase) is renewable; the rest takes the fossil, nuclear
    and renewable shares of the generation mix of the site's grid region in the grid factor's
    year (``reference/data/grid_mix.csv``, each row cited; a region without a row takes the
    national one). Purchased heat and steam are counted fossil (Chinese district and
    industrial heat is coal- and gas-fired): a stated assumption. A net export (negative)
    is deducted where it arises.
"""

from __future__ import annotations

from typing import Any

from thermaudit.metrics import energy as en
from thermaudit.metrics.context import Context
from thermaudit.reference import table

#: ESRS E1-5 fuel groups of the contract's fuel carriers
FUEL_GROUP = {
    "coke": "coal",
    "diesel": "oil",
    "gasoline": "oil",
    "fuel_oil": "oil",
    "lpg": "oil",
    "natural_gas": "natural_gas",
}
#: carriers that are no energy in a disclosure (their energy is in the electricity or fuel
#: that made them)
NOT_ENERGY = ("water", "compressed_air")
_SIGN = {"supply": 1.0, "generation": 1.0, "excluded": -1.0, "export": -1.0}


def grid_mix(region: str, year: int) -> dict[str, Any]:
    """Find the generation mix row for grid ``region`` in ``year``.

    The region's own row of the latest year up to ``year``, else the national one
    (``used_national`` says so).
    """
    rows = [r for r in table("grid_mix") if int(r["year"]) <= year]
    for want in (region, "national"):
        mine = [r for r in rows if r["region"] == want]
        if mine:
            row = max(mine, key=lambda r: int(r["year"]))
            return {**row, "used_national": want != region}
    row = min(table("grid_mix"), key=lambda r: int(r["year"]))
    return {**row, "used_national": True}


def energy_use(ctx: Context) -> dict[str, Any]:
    """Compute the ``energy_use`` section [MWh]; see the module docstring for the rules."""
    site, coef = ctx.site, ctx.coef
    by_carrier: dict[str, float] = {}
    fuels = {"coal": 0.0, "oil": 0.0, "natural_gas": 0.0, "other_fossil": 0.0}
    purchased_elec = self_generated = heat = 0.0
    for m in site.meters:
        sign = _SIGN.get(m.role)
        if sign is None or m.carrier in NOT_ENERGY:
            continue
        c = ctx.cons[m.id]
        mwh = sign * c.consumption * coef.mj_per_unit(m) / 3600.0
        by_carrier[m.carrier] = by_carrier.get(m.carrier, 0.0) + mwh
        kind = en.emission_kind(m, c)
        if m.carrier == "electricity":
            if m.role == "generation":
                self_generated += mwh
            else:
                purchased_elec += mwh
        elif kind == "heat" or m.carrier in ("heat", "steam"):
            heat += mwh
        else:
            fuels[FUEL_GROUP.get(m.carrier, "other_fossil")] += mwh
    green_kwh, certificates = en.green_certificate_kwh(
        ctx.rows("green_certificates"), site.period.start, site.period.end
    )
    certified = min(max(purchased_elec, 0.0), green_kwh / 1000.0)
    rest = purchased_elec - certified
    year = int(ctx.params["grid_factor_year"])
    mix = grid_mix(site.region, year)
    share = {k: float(mix[f"{k}_pct"]) / 100.0 for k in ("fossil", "nuclear", "renewable")}
    elec_split = {k: rest * v for k, v in share.items()}
    fuel_total = sum(fuels.values())
    fossil = fuel_total + elec_split["fossil"] + heat
    nuclear = elec_split["nuclear"]
    renewable = self_generated + certified + elec_split["renewable"]
    total = fossil + nuclear + renewable
    schemes = sorted({c["scheme"] for c in certificates if c["kwh"] > 0})
    return {
        "unit": "MWh",
        "total_mwh": total,
        "fossil_mwh": fossil,
        "nuclear_mwh": nuclear,
        "renewable_mwh": renewable,
        "renewable_pct": 100.0 * renewable / total if total > 0 else None,
        "fuels_mwh": {**fuels, "total": fuel_total},
        "fuels_renewable_mwh": 0.0,
        "electricity_purchased_mwh": purchased_elec,
        "electricity_purchased_renewable_mwh": certified + elec_split["renewable"],
        "electricity_certified_mwh": certified,
        "certificate_schemes": schemes,
        "electricity_self_generated_renewable_mwh": self_generated,
        "electricity_total_mwh": purchased_elec + self_generated,
        "heat_steam_purchased_mwh": heat,
        "by_carrier_mwh": by_carrier,
        "grid_mix": {
            "region": mix["region"],
            "year": int(mix["year"]),
            "fossil_pct": float(mix["fossil_pct"]),
            "nuclear_pct": float(mix["nuclear_pct"]),
            "renewable_pct": float(mix["renewable_pct"]),
            "source": mix["source"],
            "confidence": mix["confidence"],
            "used_national": mix["used_national"],
        },
        "assumptions": [
            "purchased heat and steam counted as fossil",
            "purchased electricity not covered by certificates split by the grid's "
            "generation mix (not a residual mix)",
        ],
    }
