"""Conversion coefficients to standard coal (kgce) and CO2.

They come from the packaged reference tables (GB/T 2589-2020, GB/T 32150, GB/T 32151) and
the site's options.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    grid_factor_u_rel : float
        Relative standard uncertainty of ``grid_factor`` [1] (``grid_factors.csv``
        ``u95_pct`` / 2 / 100; a stated assumption where no uncertainty is published).
    grid_factor_u_source : str
        Where ``grid_factor_u_rel`` comes from.
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
    grid_factor_u_rel: float = 0.0
    grid_factor_u_source: str = ""

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


def _grid_row(region: str | None, year: int) -> dict[str, Any]:
    """Return the ``grid_factors.csv`` row of ``region`` (else national) for ``year``.

    The latest year not after ``year``, else the earliest.
    """
    rows = [r for r in table("grid_factors") if r["region"] == region]
    if not rows:
        rows = [r for r in table("grid_factors") if r["region"] == "national"]
    return max(
        (r for r in rows if r["year"] <= year), key=lambda r: r["year"], default=None
    ) or max(rows, key=lambda r: r["year"])


def grid_factor(site: Site, year: int) -> tuple[float, str]:
    """Location-based grid factor [kgCO2/kWh] and where it came from."""
    if site.options.grid_emission_factor_kgco2_per_kwh is not None:
        return float(site.options.grid_emission_factor_kgco2_per_kwh), "site option"
    best = _grid_row(site.region, year)
    return float(best["kgco2_per_kwh"]), f"{best['region']} {best['year']}: {best['source']}"


def grid_factor_u(site: Site, year: int) -> tuple[float, str]:
    """Relative standard uncertainty of the grid factor [1] and its source.

    ``u95_pct`` of the row :func:`grid_factor` uses, read as a 95 % interval of a normal
    distribution: u = u95/2 (GUM 4.3.4 with k = 2). A site option's factor has no
    uncertainty of its own in the dataset: the same row's figure stands for it, and the source
    says so.
    """
    row = _grid_row(site.region, year)
    u = float(row["u95_pct"]) / 2.0 / 100.0
    src = str(row["uncertainty_source"])
    if site.options.grid_emission_factor_kgco2_per_kwh is not None:
        src = f"site option; as {row['region']} {row['year']}: {src}"
    return u, src


@dataclass(frozen=True)
class FuelU:
    """Relative standard uncertainties of a fuel's NCV and CO2 factor [1], and the source.

    ``ncv`` is 0 when the NCV is not a table default (a measured NCV of natural gas: its
    uncertainty is not in the dataset, so it is taken as exact and the source says so).
    """

    ncv: float
    ef: float
    source: str


def fuel_u(carrier: str, coef: Coefficients) -> FuelU | None:
    """Return the :class:`FuelU` of ``carrier``, ``None`` for a carrier without the columns.

    From ``emission_factors.csv`` ``ncv_u95_pct`` and ``ef_u95_pct``: relative half-widths of
    95 % intervals, read as normal, u = u95/2.

    References
    ----------
    IPCC 2006 Guidelines for National Greenhouse Gas Inventories, Vol. 2 Ch. 1, Table 1.2
    (NCV) and Table 1.4 (CO2 emission factors), as cited per row.
    """
    for row in table("emission_factors"):
        if row["carrier"] != carrier or row.get("ef_u95_pct") is None:
            continue
        ncv = float(row.get("ncv_u95_pct") or 0.0) / 2.0 / 100.0
        src = str(row["uncertainty_source"])
        if carrier == "natural_gas" and coef.gas_ncv_source != "default":
            ncv, src = 0.0, f"{src}; NCV measured ({coef.gas_ncv_source}), taken as exact"
        return FuelU(ncv, float(row["ef_u95_pct"]) / 2.0 / 100.0, src)
    return None


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
    gf_u, gf_u_src = grid_factor_u(site, int(params["grid_factor_year"]))
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
        grid_factor_u_rel=gf_u,
        grid_factor_u_source=gf_u_src,
    )
