"""Conversion coefficients to standard coal (kgce) and CO2.

They come from the packaged reference tables (GB/T 2589-2020, GB/T 32150, GB/T 32151) and
the site's options.
"""

from __future__ import annotations

from dataclasses import dataclass

from thermaudit.dataset.site import Meter, Site
from thermaudit.reference import density, table
from thermaudit.units import to_canonical


@dataclass(frozen=True)
class Coefficients:
    """The coefficients in force for one assessment.

    Attributes
    ----------
    electricity_calorific : float
        [kgce/kWh] 当量值.
    electricity_equivalent : float
        [kgce/kWh] 等价值 (the site option, a yearly figure).
    gas_ncv_mj_per_m3 : float
        Net calorific value of natural gas used for kgce, MJ and CO2. [MJ/m3]
    gas_ncv_source : str
        ``option``, ``invoices`` or ``default``.
    grid_factor : float
        [kgCO2/kWh] location-based grid emission factor.
    grid_factor_source : str
    kgce_mj : float
        [MJ/kgce] from the specification (GB/T 2589-2020: 29.3076).
    heat_kgco2_per_gj : float
        [kgCO2/GJ] purchased heat, from the specification.
    electricity_mj_per_kwh : float
        [MJ/kWh] from the specification (3.6).
    """

    kgce_mj: float
    electricity_calorific: float
    electricity_equivalent: float
    gas_ncv_mj_per_m3: float
    gas_ncv_source: str
    grid_factor: float
    grid_factor_source: str
    heat_kgco2_per_gj: float
    electricity_mj_per_kwh: float

    def kgce_per_unit(self, meter: Meter, basis: str = "calorific") -> float:
        """Return the kgce per canonical unit of ``meter``'s carrier [kgce/unit]."""
        carrier = meter.carrier
        if carrier == "electricity":
            return (
                self.electricity_equivalent if basis == "equivalent" else self.electricity_calorific
            )
        if carrier == "natural_gas":
            return self.gas_ncv_mj_per_m3 / self.kgce_mj
        unit = to_canonical(carrier, meter.unit, density(carrier)).canonical
        return kgce_table(carrier, unit)

    def mj_per_unit(self, meter: Meter) -> float:
        """Return the energy content per canonical unit of ``meter``'s carrier [MJ/unit].

        Electricity by the specification's ``electricity_mj_per_kwh``; fuels by measured NCV
        or the kgce coefficient × ``kgce_mj``.
        """
        if meter.carrier == "electricity":
            return self.electricity_mj_per_kwh
        if meter.carrier == "natural_gas":
            return self.gas_ncv_mj_per_m3
        return self.kgce_per_unit(meter) * self.kgce_mj

    def kgco2_per_unit_fuel(self, meter: Meter) -> float | None:
        """Scope-1 emission factor per canonical unit [kgCO2/unit], None for non-fuels."""
        carrier = meter.carrier
        for row in table("emission_factors"):
            if row["carrier"] != carrier or row["ncv_gj_per_t"] is None:
                continue
            if carrier == "natural_gas":
                # 38.931 MJ/m3 x 15.3 tC/TJ x 0.99 x 44/12 = 2.162; scaled by a measured NCV
                base = float(row["kgco2_per_unit"])
                return (
                    base * self.gas_ncv_mj_per_m3 / float(row["ncv_gj_per_t"])
                    if self.gas_ncv_source != "default"
                    else base
                )
            # NCV [GJ/t = MJ/kg] x carbon [tC/TJ = kgC/GJ] x oxidation x 44/12 -> kgCO2/kg
            return (
                float(row["ncv_gj_per_t"])
                / 1000.0
                * float(row["carbon_tc_per_tj"])
                * float(row["oxidation"])
                * 44.0
                / 12.0
            )
        return None


def kgce_table(carrier: str, unit: str) -> float:
    """Look up the kgce per ``unit`` of ``carrier`` in ``coefficients.csv`` [kgce/unit]."""
    for row in table("coefficients"):
        if row["carrier"] == carrier and row["unit"] == unit:
            return float(row["kgce_per_unit"])
    raise KeyError(f"no kgce coefficient for {carrier} per {unit} in coefficients.csv")


def grid_factor(site: Site, year: int) -> tuple[float, str]:
    """Location-based grid factor [kgCO2/kWh] and where it came from."""
    if site.options.grid_emission_factor_kgco2_per_kwh is not None:
        return float(site.options.grid_emission_factor_kgco2_per_kwh), "site option"
    rows = [r for r in table("grid_factors") if r["region"] == site.region]
    if not rows:
        rows = [r for r in table("grid_factors") if r["region"] == "national"]
    best = max(
        (r for r in rows if r["year"] <= year), key=lambda r: r["year"], default=None
    ) or max(rows, key=lambda r: r["year"])
    return float(best["kgco2_per_kwh"]), f"{best['region']} {best['year']}: {best['source']}"


def resolve(site: Site, params: dict[str, float], invoice_ncv: float | None) -> Coefficients:
    """Resolve the coefficients for ``site``.

    Site options come first, then the invoices' measured NCV, then the reference tables.
    """
    if site.options.natural_gas_ncv_mj_per_m3 is not None:
        ncv, ncv_src = float(site.options.natural_gas_ncv_mj_per_m3), "option"
    elif invoice_ncv is not None:
        ncv, ncv_src = invoice_ncv, "invoices"
    else:
        ncv, ncv_src = kgce_table("natural_gas", "m3") * params["kgce_mj"], "default"
    gf, gf_src = grid_factor(site, int(params["grid_factor_year"]))
    return Coefficients(
        kgce_mj=params["kgce_mj"],
        electricity_calorific=kgce_table("electricity", "kWh"),
        electricity_equivalent=float(site.options.electricity_equivalent_kgce_per_kwh),
        gas_ncv_mj_per_m3=ncv,
        gas_ncv_source=ncv_src,
        grid_factor=gf,
        grid_factor_source=gf_src,
        heat_kgco2_per_gj=params["heat_tco2_per_gj"] * 1000.0,
        electricity_mj_per_kwh=params["electricity_mj_per_kwh"],
    )
