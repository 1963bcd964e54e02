"""Unplanned downtime against the wastes of the diagnosis (issue 19, section 3): which part
of the idle-holding and base-load wastes fell while equipment was broken down.

The quality stage cannot see the diagnosis, so this reconciliation item is computed where the
diagnosis runs and written to its section (``diagnosis.downtime``).

Notes
-----
For each ``unplanned`` window of the ``maintenance`` table that overlaps the period, its hours
are the hours of the period the window overlaps (at least partly). Against each waste:

* ``idle_holding`` of furnace meter m, when the window's equipment is on a line m's furnaces
  serve (or m names no line): the idle hours of m (:func:`furnace_idle_hours`) within the
  window, and m's energy in them, Σ q_h [the meter's unit];
* ``base_load`` (the site): the non-production hours within the window and the load above the
  floor in them, Σ (P_h − floor) [kWh] (:func:`site_load`, the waste's ``floor_kw``).

A window coincides with a waste when that energy is > 0. A breakdown keeps the line idle
without a plan to drain or turn down what waits for it: that part of the waste is a matter of
the maintenance response (switch off or lower the holding temperature once a stop is known to
last), not of the production schedule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import ibis
import numpy as np

from thermaudit.dataset.model import NormalizedDataset
from thermaudit.diagnosis.detectors import (
    DetectionContext,
    _meter_lines,
    furnace_idle_hours,
    site_load,
)
from thermaudit.diagnosis.waste import Waste
from thermaudit.metrics.assess import Assessment

__all__ = ["WASTES", "downtime_waste"]

#: the detectors whose wastes are compared with unplanned downtime
WASTES = ("idle_holding", "base_load")


def downtime_waste(
    dataset: NormalizedDataset,
    con: ibis.BaseBackend,
    assessment: Assessment,
    wastes: Sequence[Waste],
) -> dict[str, Any]:
    """Compare the unplanned maintenance windows with ``wastes`` (see the module notes).

    Returns
    -------
    dict
        ``windows`` (one entry per unplanned window in the period: equipment, line, local
        start and end, source row, hours and the coinciding wastes with their hours, energy
        and share of the waste) and the counts ``compared`` and ``coinciding``.
    """
    ctx = DetectionContext(dataset, con, assessment)
    site = dataset.site
    s_ep, e_ep, n = ctx.bounds
    rows: list[dict[str, Any]] = []
    if dataset.has("maintenance"):
        t = con.read_parquet(dataset.tables["maintenance"])
        rows = con.to_pyarrow(t.filter(t.kind == "unplanned").order_by("_row")).to_pylist()
    eq = {e.id: e for e in site.equipment}
    meters = {m.id: m for m in site.meters}
    relevant = [w for w in wastes if w.detector in WASTES]
    out = []
    for r in rows:
        a, b = r["start"].timestamp(), r["end"].timestamp()
        if b <= s_ep or a >= e_ep:
            continue
        k0 = max(0, int((a - s_ep) // 3600))
        k1 = min(n, int(-((s_ep - b) // 3600)))  # ceil
        window = np.zeros(n, dtype=bool)
        window[k0:k1] = True
        e = eq.get(r["equipment_id"])
        line = e.line if e is not None else None
        hits = []
        for w in relevant:
            hit = _coincidence(ctx, w, window, line, meters)
            if hit is not None:
                hits.append(hit)
        out.append(
            {
                "equipment": r["equipment_id"],
                "line": line,
                "start": _local(r["start"], site.zone),
                "end": _local(r["end"], site.zone),
                "_row": r["_row"],
                "note": r["note"],
                "hours": int(window.sum()),
                "wastes": hits,
            }
        )
    return {
        "windows": out,
        "compared": len(out),
        "coinciding": sum(1 for w in out if w["wastes"]),
    }


def _coincidence(
    ctx: DetectionContext,
    w: Waste,
    window: np.ndarray,
    line: str | None,
    meters: dict[str, Any],
) -> dict[str, Any] | None:
    if w.detector == "idle_holding":
        m = meters.get(w.subject)
        if m is None:
            return None
        lines = _meter_lines(ctx.site, m)
        if lines and line not in lines:
            return None
        hours = furnace_idle_hours(ctx, m) & window
        energy = float(ctx.hourly([m])[m.id][hours].sum())
    else:  # base_load
        load = site_load(ctx)
        if load is None:
            return None
        floor = float(w.evidence["floor_kw"])
        hours = ctx.idle(ctx.active()) & window
        energy = float((load[0][hours] - floor).sum())
    if energy <= 0:
        return None
    return {
        "detector": w.detector,
        "subject": w.subject,
        "hours": int(hours.sum()),
        "quantity": energy,
        "unit": w.unit,
        "share": energy / w.quantity if w.quantity > 0 else None,
    }


def _local(t: dt.datetime, zone: dt.tzinfo) -> str:
    return t.astimezone(zone).isoformat(timespec="seconds")
