"""Reconciliation view: per carrier, what the meters of each role measured, what the
submeters explain, what the invoices say, and what closes, in canonical units, kgce and %.

The quality stage sits upstream of the metrics, so the period consumption of each meter
(:func:`thermaudit.metrics.meters.meter_consumption`) and the kgce coefficient
(:meth:`thermaudit.metrics.coefficients.Coefficients.kgce_per_unit`) come in as plain
arguments.

Per carrier:

* ``supply``, ``generation``, ``excluded``, ``export``, ``submeter``, ``recovered_heat``: Σ of
  the meters of that role (quantity [canonical unit], kgce, % of inputs);
* inputs = supply + generation; ``net`` = supply + generation − excluded − export (the
  carrier's part of E, metric 1);
* ``children``: Σ of the meters whose parent is a supply or generation meter of the
  carrier (first level below the gate); ``closure_pct`` = children / inputs × 100 and
  ``unmetered`` = inputs − children (load no submeter sees);
* ``invoiced``: Σ of ``energy_purchases`` of the carrier converted to the canonical unit
  and prorated by days of overlap with the period; ``invoice_diff_pct`` = (billed meters −
  invoiced) / invoiced × 100, where billed meters = supply meters plus excluded and export
  meters without a parent (the rule of ``quality.balance.invoice``);
* ``closes``: ``submeters`` true when closure ≤ 100 % + ``tolerance_pct`` (a submeter
  total above its parent cannot be); ``invoices`` true when |invoice_diff_pct| ≤
  ``invoice_tolerance_pct``, null without invoices.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pyarrow.parquet as pq

from thermaudit.dataset.model import NormalizedDataset
from thermaudit.dataset.site import Meter
from thermaudit.reference import density
from thermaudit.units import to_canonical

ROLES = ("supply", "generation", "excluded", "export", "submeter", "recovered_heat")


def reconcile(
    dataset: NormalizedDataset,
    consumption: Mapping[str, float],
    coefficients: Callable[[Meter], float],
    *,
    tolerance_pct: float = 2.0,
    invoice_tolerance_pct: float = 2.0,
) -> list[dict[str, Any]]:
    """The reconciliation of each carrier (see the module docstring).

    Parameters
    ----------
    dataset : NormalizedDataset
    consumption : mapping of str to float
        Period consumption of each meter id. [canonical unit of its carrier]
    coefficients : callable
        ``coefficients(meter)`` → kgce per canonical unit of the meter's carrier. [kgce/unit]
    tolerance_pct, invoice_tolerance_pct : float
        Closure tolerances. [%]

    Returns
    -------
    list of dict
        One dict per carrier, sorted by carrier.
    """
    site = dataset.site
    purchases: list[dict[str, Any]] = []
    if dataset.has("energy_purchases"):
        purchases = pq.read_table(dataset.tables["energy_purchases"]).to_pylist()
    active = [m for m in site.meters if m.quantity == "active"]  # reactive meters: no energy
    carriers = sorted({m.carrier for m in active} | {p["carrier"] for p in purchases})
    out = []
    for carrier in carriers:
        meters = [m for m in active if m.carrier == carrier]
        units = {to_canonical(m.carrier, m.unit, density(m.carrier)).canonical for m in meters}
        unit = next(iter(units)) if len(units) == 1 else None
        coef = {m.id: coefficients(m) for m in meters}

        def total(ms: list[Meter], coef: dict[str, float] = coef) -> dict[str, Any]:
            q = sum(consumption.get(m.id, 0.0) for m in ms)
            k = sum(consumption.get(m.id, 0.0) * coef[m.id] for m in ms)
            return {"quantity": q, "kgce": k, "meters": [m.id for m in ms]}

        row: dict[str, Any] = {"carrier": carrier, "unit": unit}
        for role in ROLES:
            row[role] = total([m for m in meters if m.role == role])
        inputs_q = row["supply"]["quantity"] + row["generation"]["quantity"]
        inputs_k = row["supply"]["kgce"] + row["generation"]["kgce"]
        row["inputs"] = {"quantity": inputs_q, "kgce": inputs_k}
        row["net"] = {
            "quantity": inputs_q - row["excluded"]["quantity"] - row["export"]["quantity"],
            "kgce": inputs_k - row["excluded"]["kgce"] - row["export"]["kgce"],
        }
        gates = {m.id for m in meters if m.role in ("supply", "generation")}
        children = total([m for m in meters if m.parent in gates and m.role != "generation"])
        row["children"] = children
        row["unmetered"] = {
            "quantity": inputs_q - children["quantity"],
            "kgce": inputs_k - children["kgce"],
        }
        for key in (*ROLES, "children", "net", "unmetered"):
            row[key]["pct"] = 100.0 * row[key]["quantity"] / inputs_q if inputs_q > 0 else None
        row["closure_pct"] = 100.0 * children["quantity"] / inputs_q if inputs_q > 0 else None

        invoiced, inv_rows = _invoiced(purchases, carrier, unit, site.period.start, site.period.end)
        billed = [
            m
            for m in meters
            if m.role == "supply" or (m.role in ("excluded", "export") and m.parent is None)
        ]
        billed_q = sum(
            (1.0 if m.role == "supply" else -1.0) * consumption.get(m.id, 0.0) for m in billed
        )
        supply_coef = next((coef[m.id] for m in meters if m.role == "supply"), None)
        row["invoiced"] = {
            "quantity": invoiced,
            "kgce": invoiced * supply_coef
            if invoiced is not None and supply_coef is not None
            else None,
            "rows": inv_rows,
        }
        row["billed_meters"] = {"quantity": billed_q, "meters": [m.id for m in billed]}
        row["invoice_diff_pct"] = (
            100.0 * (billed_q - invoiced) / invoiced if invoiced and billed else None
        )
        closure = row["closure_pct"]
        row["closes"] = {
            "submeters": None
            if closure is None or not children["meters"]
            else closure <= 100.0 + tolerance_pct,
            "invoices": None
            if row["invoice_diff_pct"] is None
            else abs(row["invoice_diff_pct"]) <= invoice_tolerance_pct,
        }
        out.append(row)
    return out


def _invoiced(
    purchases: list[dict[str, Any]], carrier: str, unit: str | None, start: Any, end: Any
) -> tuple[float | None, list[int]]:
    """Σ invoice quantities of ``carrier`` in ``unit``, prorated to the period; rows used."""
    q = 0.0
    rows = []
    for p in purchases:
        if p["carrier"] != carrier or p["quantity"] is None:
            continue
        try:
            conv = to_canonical(carrier, p["unit"], density(carrier))
        except KeyError:
            continue
        if unit is not None and conv.canonical != unit:
            continue
        s, e = max(p["period_start"], start), min(p["period_end"], end)
        if s > e:
            continue
        days = (p["period_end"] - p["period_start"]).days + 1
        q += p["quantity"] * conv.factor * ((e - s).days + 1) / days
        rows.append(p["_row"])
    return (q if rows else None), rows
