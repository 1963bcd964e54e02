"""Metric 1 (unit_product_energy, GB/T 2589-2020) and metric 5 (carbon, GB/T 32150).

Pure functions over the period consumption of the meters and the production aggregates;
the heavy lifting (readings) happened in :mod:`thermaudit.metrics.meters`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from thermaudit.dataset.site import Meter, Site
from thermaudit.metrics.coefficients import Coefficients
from thermaudit.metrics.meters import MeterConsumption

#: sign with which each role enters comprehensive energy E
ROLE_SIGN = {
    "supply": 1.0,
    "generation": 1.0,
    "excluded": -1.0,
    "export": -1.0,
    "submeter": 0.0,
    "recovered_heat": 0.0,
}


@dataclass(frozen=True)
class SkuOutput:
    """Production of one SKU in the period."""

    sku: str
    denominator: str
    good_qty: float
    scrap_qty: float
    good_mass_t: float
    processed_mass_t: float
    by_line_processed_t: dict[str, float]


def production_by_sku(rows: list[dict[str, Any]], site: Site) -> dict[str, SkuOutput]:
    """Aggregate production rows (sku, line, good_qty, scrap_qty) in the period by SKU.

    Good mass = good_qty × unit_mass_kg; processed mass = (good + scrap) × unit_mass_kg.
    """
    products = {p.sku: p for p in site.products}
    acc: dict[str, dict[str, Any]] = {}
    for r in rows:
        p = products[r["sku"]]
        a = acc.setdefault(p.sku, {"good": 0.0, "scrap": 0.0, "lines": {}})
        a["good"] += r["good_qty"]
        a["scrap"] += r["scrap_qty"]
        proc_t = (r["good_qty"] + r["scrap_qty"]) * p.unit_mass_kg / 1000.0
        a["lines"][r["line"]] = a["lines"].get(r["line"], 0.0) + proc_t
    out = {}
    for sku, a in sorted(acc.items()):
        p = products[sku]
        out[sku] = SkuOutput(
            sku=sku,
            denominator=p.denominator,
            good_qty=a["good"],
            scrap_qty=a["scrap"],
            good_mass_t=a["good"] * p.unit_mass_kg / 1000.0,
            processed_mass_t=(a["good"] + a["scrap"]) * p.unit_mass_kg / 1000.0,
            by_line_processed_t=a["lines"],
        )
    return out


@dataclass(frozen=True)
class EnergyBalance:
    """Comprehensive energy of the boundary on one electricity basis [kgce]."""

    basis: str
    total_kgce: float
    by_carrier: dict[str, float]
    by_role: dict[str, float]
    by_meter: dict[str, float]


def energy_balance(
    site: Site, cons: dict[str, MeterConsumption], coef: Coefficients, basis: str
) -> EnergyBalance:
    """Balance the energy E = Σ supply + Σ generation − Σ excluded − Σ export [kgce].

    Each meter's period consumption times its carrier's coefficient (GB/T 2589-2020 clause 4).

    Energy-consuming media (compressed air, water) enter only through meters with a role
    that crosses the boundary; recovered heat is not added (its fuel is already in E).
    """
    by_carrier: dict[str, float] = {}
    by_role: dict[str, float] = {r: 0.0 for r in ROLE_SIGN}
    by_meter: dict[str, float] = {}
    total = 0.0
    for m in site.meters:
        kgce = cons[m.id].consumption * coef.kgce_per_unit(m, basis)
        by_meter[m.id] = kgce
        by_role[m.role] += kgce
        sign = ROLE_SIGN[m.role]
        if sign:
            total += sign * kgce
            by_carrier[m.carrier] = by_carrier.get(m.carrier, 0.0) + sign * kgce
    return EnergyBalance(basis, total, by_carrier, by_role, by_meter)


@dataclass(frozen=True)
class Allocation:
    """Per-SKU energy.

    ``line_kgce`` is the energy of each line's submeters that was shared on that line;
    ``rest_kgce`` = E − Σ line_kgce, shared over all SKUs.
    """

    by_sku_kgce: dict[str, float]
    line_kgce: dict[str, float]
    rest_kgce: float
    unallocated_lines: dict[str, float]


def allocate(site: Site, balance: EnergyBalance, output: dict[str, SkuOutput]) -> Allocation:
    """Share E among SKUs by processed mass (metrics.md section 1, per-SKU intensity).

    The energy of submeters with a ``line`` goes to the SKUs made on that line in
    proportion to their processed mass there; the rest of E goes to all SKUs in proportion
    to processed mass. A line meter whose line made nothing stays in the rest (reported as
    ``unallocated_lines``). The SKU energies add up to E.
    """
    return share_by_mass(site, balance.by_meter, balance.total_kgce, output)


def share_by_mass(
    site: Site, by_meter: dict[str, float], total: float, output: dict[str, SkuOutput]
) -> Allocation:
    """Share ``total`` (energy or emissions of the boundary) among SKUs.

    :func:`allocate`'s rule, given each meter's amount ``by_meter``; the SKU amounts add up
    to ``total``.
    """
    line_meter_kgce: dict[str, float] = {}
    for m in site.meters:
        if m.role == "submeter" and m.line:
            line_meter_kgce[m.line] = line_meter_kgce.get(m.line, 0.0) + by_meter[m.id]
    line_mass: dict[str, float] = {}
    for o in output.values():
        for line, t in o.by_line_processed_t.items():
            line_mass[line] = line_mass.get(line, 0.0) + t
    by_sku = {sku: 0.0 for sku in output}
    allocated: dict[str, float] = {}
    unallocated: dict[str, float] = {}
    for line, kgce in line_meter_kgce.items():
        mass = line_mass.get(line, 0.0)
        if mass <= 0:
            unallocated[line] = kgce
            continue
        allocated[line] = kgce
        for sku, o in output.items():
            share = o.by_line_processed_t.get(line, 0.0) / mass
            by_sku[sku] += kgce * share
    rest = total - sum(allocated.values())
    total_mass = sum(o.processed_mass_t for o in output.values())
    if total_mass > 0:
        for sku, o in output.items():
            by_sku[sku] += rest * o.processed_mass_t / total_mass
    return Allocation(by_sku, allocated, rest, unallocated)


def intensity(
    alloc: Allocation, output: dict[str, SkuOutput]
) -> tuple[float | None, dict[str, Any]]:
    """Compute the headline value and ``by_sku``.

    Headline [kgce/t] = Σ energy of mass-denominated SKUs / their good mass; ``by_sku`` in
    kgce/t for mass SKUs and kgce/piece for count SKUs.
    """
    by_sku: dict[str, Any] = {}
    mass_e = 0.0
    mass_t = 0.0
    for sku, o in output.items():
        e = alloc.by_sku_kgce[sku]
        if o.denominator == "mass":
            value = e / o.good_mass_t if o.good_mass_t > 0 else None
            mass_e += e
            mass_t += o.good_mass_t
            unit = "kgce/t"
        else:
            value = e / o.good_qty if o.good_qty > 0 else None
            unit = "kgce/piece"
        by_sku[sku] = {
            "energy_kgce": e,
            "value": value,
            "unit": unit,
            "good_mass_t": o.good_mass_t,
            "good_qty": o.good_qty,
            "scrap_qty": o.scrap_qty,
            "processed_mass_t": o.processed_mass_t,
        }
    return (mass_e / mass_t if mass_t > 0 else None), by_sku


def green_certificate_kwh(
    rows: list[dict[str, Any]], start: dt.date, end: dt.date
) -> tuple[float, list[dict[str, Any]]]:
    """Prorate retired green certificates to the period [kWh].

    Each certificate counts by its days of overlap with the period (dates inclusive); its
    scheme (``GEC`` when the column is empty or absent) is recorded with it.
    """
    total = 0.0
    detail = []
    for r in rows:
        days = (r["period_end"] - r["period_start"]).days + 1
        lo = max(r["period_start"], start)
        hi = min(r["period_end"], end)
        overlap = max(0, (hi - lo).days + 1)
        kwh = r["mwh"] * 1000.0 * overlap / days if days > 0 else 0.0
        total += kwh
        detail.append(
            {
                "certificate_no": r["certificate_no"],
                "scheme": r.get("scheme") or "GEC",
                "mwh": r["mwh"],
                "days": days,
                "overlap_days": overlap,
                "kwh": kwh,
            }
        )
    return total, detail


@dataclass(frozen=True)
class Carbon:
    """Scope 1 and 2 emissions of the period [tCO2e] and the net quantities behind them."""

    scope1_t: float
    scope2_location_t: float
    scope2_market_t: float
    electricity_net_kwh: float
    heat_net_gj: float
    green_kwh: float
    by_fuel_t: dict[str, float]


def emission_kind(meter: Meter, cons: MeterConsumption) -> str:
    """Classify how a meter's carrier emits.

    ``electricity`` and ``heat`` (purchased heat or steam in GJ) are scope 2, anything else is
    a ``fuel`` of scope 1 (:func:`carbon`).
    """
    if meter.carrier == "electricity":
        return "electricity"
    if meter.carrier in ("heat", "steam") and cons.unit == "GJ":
        return "heat"
    return "fuel"


def carbon(
    site: Site, cons: dict[str, MeterConsumption], coef: Coefficients, green_kwh: float
) -> tuple[Carbon, list[str]]:
    """Scope 1 and scope 2 (GB/T 32150 "net purchased") in tCO2.

    Scope 1 = Σ fuel (supply − excluded − export) × emission factor. Scope 2 location =
    net electricity × grid factor + net heat × 0.11 tCO2/GJ (a negative net, exported heat, is
    deducted). Market-based = max(0, net electricity − green certificates) × grid factor +
    the same heat term. PV generation emits nothing. Returns the carriers that had no
    emission factor (for a finding).
    """
    sign = {"supply": 1.0, "excluded": -1.0, "export": -1.0}
    s1 = 0.0
    by_fuel: dict[str, float] = {}
    elec = 0.0
    heat = 0.0
    missing: list[str] = []
    for m in site.meters:
        sg = sign.get(m.role)
        if sg is None:
            continue
        q = sg * cons[m.id].consumption
        kind = emission_kind(m, cons[m.id])
        if kind == "electricity":
            elec += q
        elif kind == "heat":
            heat += q
        else:
            ef = coef.kgco2_per_unit_fuel(m)
            if ef is None:
                if m.carrier not in ("compressed_air", "water"):
                    missing.append(m.carrier)
                continue
            t = q * ef / 1000.0
            s1 += t
            by_fuel[m.carrier] = by_fuel.get(m.carrier, 0.0) + t
    heat_t = heat * coef.heat_kgco2_per_gj / 1000.0
    loc = elec * coef.grid_factor / 1000.0 + heat_t
    market = max(0.0, elec - green_kwh) * coef.grid_factor / 1000.0 + heat_t
    return Carbon(s1, loc, market, elec, heat, green_kwh, by_fuel), sorted(set(missing))
