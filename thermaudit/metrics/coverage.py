"""Metric 6: energy metering coverage (GB 17167-2006; metrics.md section 6)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from thermaudit.dataset.site import Equipment, Site
from thermaudit.metrics.coefficients import Coefficients
from thermaudit.metrics.meters import MeterConsumption


def calibration_coverage(
    instrument: str, certificates: list[dict[str, Any]], start: dt.date, end: dt.date
) -> tuple[bool, list[tuple[dt.date, dt.date]]]:
    """Check that an instrument's calibrations cover [start, end] (dates inclusive).

    Returns whether the union of the [calibrated_on, valid_until] spans covers the period,
    and the uncovered date ranges.
    """
    spans = sorted(
        (c["calibrated_on"], c["valid_until"])
        for c in certificates
        if c["instrument_id"] == instrument
    )
    gaps: list[tuple[dt.date, dt.date]] = []
    cursor = start  # first day not yet covered
    for lo, hi in spans:
        if hi < cursor:
            continue
        if lo > cursor:
            gaps.append((cursor, min(lo - dt.timedelta(days=1), end)))
        cursor = max(cursor, hi + dt.timedelta(days=1))
        if cursor > end:
            break
    if cursor <= end:
        gaps.append((cursor, end))
    gaps = [g for g in gaps if g[0] <= end and g[1] >= start]
    return not gaps, gaps


def is_key_equipment(e: Equipment, coef: Coefficients, params: dict[str, float]) -> str | None:
    """Classify ``e`` as key energy-using equipment: ``electricity``, ``fuel`` or ``None``.

    GB 17167 table 2: electricity ≥ 100 kW; fuel ≥ 100 m3/h from rated_flow_m3h, else
    rated_kw × MJ/kWh / NCV, the thresholds and MJ/kWh from the specification.
    """
    fuel = e.fuel or "electricity"
    if fuel == "electricity":
        if e.rated_kw is not None and e.rated_kw >= params["key_equipment_electricity_kw"]:
            return "electricity"
        return None
    if e.rated_flow_m3h is not None:
        flow = e.rated_flow_m3h
    elif e.rated_kw is not None:
        ncv = coef.gas_ncv_mj_per_m3 if fuel == "natural_gas" else None
        if ncv is None:
            from thermaudit.metrics.coefficients import kgce_table
            from thermaudit.reference import density
            from thermaudit.units import to_canonical

            unit = to_canonical(
                fuel, "kg" if fuel != "natural_gas" else "m3", density(fuel)
            ).canonical
            ncv = kgce_table(fuel, unit) * coef.kgce_mj
        flow = e.rated_kw * coef.electricity_mj_per_kwh / ncv
    else:
        return None
    return "fuel" if flow >= params["key_equipment_fuel_m3h"] else None


@dataclass(frozen=True)
class Coverage:
    """The coverage levels of GB 17167 [%] and the lists behind them."""

    site_pct: float | None
    process_pct: float | None
    key_pct: float | None
    key_electricity_pct: float | None
    key_fuel_pct: float | None
    calibration_valid_pct: float | None
    completeness_pct: float | None
    detail: dict[str, Any]


def coverage(
    site: Site,
    cons: dict[str, MeterConsumption],
    calibrations: list[dict[str, Any]],
    purchases_carriers: set[str],
    coef: Coefficients,
    params: dict[str, float],
) -> Coverage:
    """Assess the three levels of GB 17167 plus calibration and data completeness.

    (a) site: every carrier entering the site (supply meters, equipment fuels, invoices) has
    a supply meter; (b) processes: each process of the equipment has a submeter with that
    process; (c) key equipment is fitted when a meter lists it and no other equipment.
    """
    supply_carriers = {m.carrier for m in site.meters if m.role == "supply"}
    required = supply_carriers | {e.fuel for e in site.equipment if e.fuel} | purchases_carriers
    site_pct = 100.0 * len(required & supply_carriers) / len(required) if required else None

    processes = {e.effective_process for e in site.equipment}
    sub_processes = {m.process for m in site.meters if m.role == "submeter" and m.process}
    process_pct = 100.0 * len(processes & sub_processes) / len(processes) if processes else None

    dedicated = {m.equipment[0] for m in site.meters if len(m.equipment) == 1}
    key = {e.id: k for e in site.equipment if (k := is_key_equipment(e, coef, params))}
    fitted = {e for e in key if e in dedicated}

    def pct(ids: set[str]) -> float | None:
        return 100.0 * len(ids & fitted) / len(ids) if ids else None

    key_pct = pct(set(key))
    key_el = pct({e for e, k in key.items() if k == "electricity"})
    key_fuel = pct({e for e, k in key.items() if k == "fuel"})

    start, end = site.period.start, site.period.end
    valid = []
    gaps_by_meter = {}
    for m in site.meters:
        ok, gaps = calibration_coverage(m.id, calibrations, start, end)
        if ok:
            valid.append(m.id)
        else:
            gaps_by_meter[m.id] = gaps
    cal_pct = 100.0 * len(valid) / len(site.meters) if site.meters else None
    received = sum(c.intervals_received for c in cons.values())
    expected = sum(c.intervals_expected for c in cons.values())
    completeness = 100.0 * received / expected if expected > 0 else None
    detail = {
        "site_carriers": sorted(required),
        "processes": sorted(processes),
        "submeter_processes": sorted(sub_processes),
        "key_equipment_list": {e: k for e, k in sorted(key.items())},
        "key_equipment_fitted": sorted(fitted),
        "calibration_valid_meters": sorted(valid),
        "completeness_by_meter": {
            c.meter_id: (100.0 * c.completeness if c.completeness is not None else None)
            for c in cons.values()
        },
    }
    return Coverage(site_pct, process_pct, key_pct, key_el, key_fuel, cal_pct, completeness, detail)
