"""Consumption of each meter in the period (contract: "Consumption of a meter in the period").

The rule is written once as ibis expressions over the normalized ``readings`` table, so it
runs on DuckDB by default and on any other ibis backend later:

1. Rows with the same meter and timestamp are reduced to one (the last row of the file);
   differing duplicates are reported.
2. Each reading of a cumulative meter closes the interval (previous reading, reading]; its
   amount is the difference times the multiplier. A ``meter_events`` record inside the
   interval splits it: (old_final − previous) + (next − new_initial). A negative difference
   is a wrap-around when ``rollover`` is set (rollover − previous + current), otherwise the
   interval is excluded and reported. An interval meter's reading *is* the amount of the
   interval ending at its timestamp.
3. The period is (start 00:00, day after end 00:00] in local time. An interval that straddles
   a boundary contributes the share of its amount that lies inside, which is exactly the
   linear interpolation of the register at the boundary. With no reading on one side of a
   boundary nothing is extrapolated: the meter's period starts (ends) at its first (last)
   reading, and the uncovered time is reported.

Amounts are in the carrier's canonical unit (:mod:`thermaudit.units`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir

from thermaudit.dataset.site import Site
from thermaudit.engine import materialize, release
from thermaudit.quality.intervals import interval_amounts
from thermaudit.reference import density
from thermaudit.units import to_canonical


@dataclass(frozen=True)
class MeterConsumption:
    """Period consumption of one meter and the facts behind it.

    Attributes
    ----------
    consumption : float
        Amount in the period, multiplier applied. [canonical unit of the carrier]
    intervals_received : int
        Intervals whose end is a real reading in the period (a cumulative meter's first
        reading closes none; an interpolated boundary value is not received).
    intervals_expected : float
        Period length / nominal interval (``interval_s`` or the median spacing).
    """

    meter_id: str
    unit: str
    consumption: float
    intervals_received: int
    intervals_expected: float
    readings_in_period: int
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def completeness(self) -> float | None:
        """Received / expected intervals (0-1), ``None`` when none is expected."""
        if self.intervals_expected <= 0:
            return None
        return self.intervals_received / self.intervals_expected


def _totals_and_notable(
    con: ibis.BaseBackend, iv: ir.Table, s_lit: ir.Value, e_lit: ir.Value
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Per-meter totals, and the intervals that a finding must name."""
    per_meter = iv.group_by("meter_id").aggregate(
        consumption=(iv.amount * iv.share).sum(),
        received=iv.received.sum(),
        readings_in_period=iv.in_period.sum(),
        first_ts=iv.ts.min(),
        last_ts=iv.ts.max(),
        median_spacing=(iv.ts.epoch_seconds() - iv.prev_ts.epoch_seconds()).median(),
    )
    totals = {row["meter_id"]: row for row in con.to_pyarrow(per_meter).to_pylist()}

    # the few rows that need a word in a finding: boundary interpolation, wraps, events,
    # exclusions inside or straddling the period
    notable = iv.filter(
        (iv.share > 0)
        & (
            (iv.kind.isin(["wrap", "event", "excluded"]))
            | ((iv.kind != "interval") & ((iv.prev_ts < s_lit) | (iv.ts > e_lit)))
        )
        | (iv.in_period & (iv.kind == "excluded"))
    ).select(
        "meter_id",
        "ts",
        "prev_ts",
        "value",
        "prev_value",
        "delta",
        "kind",
        "amount",
        "share",
        "ev_name",
        "event_count",
        "rollover",
        "multiplier",
    )
    notable_rows = con.to_pyarrow(notable.order_by(["meter_id", "ts"])).to_pylist()
    return totals, notable_rows


def meter_consumption(
    con: ibis.BaseBackend, readings: ir.Table, events: ir.Table | None, site: Site
) -> dict[str, MeterConsumption]:
    """Consumption of every meter of ``site`` in its period, with the facts behind it."""
    start, end = site.period_bounds_utc()
    s_lit = ibis.literal(start)
    e_lit = ibis.literal(end)
    iv = interval_amounts(readings, events, site)
    s_ep = int(start.timestamp())
    e_ep = int(end.timestamp())
    t1 = iv.ts.epoch_seconds()
    t0 = iv.prev_ts.epoch_seconds()
    # share of the interval (prev_ts, ts] inside (S, E]
    overlap = (ibis.least(t1, e_ep) - ibis.greatest(t0, s_ep)).cast("float64")
    share = ibis.cases(
        (iv.kind == "interval", ibis.cases(((iv.ts > s_lit) & (iv.ts <= e_lit), 1.0), else_=0.0)),
        (iv.prev_ts.isnull(), 0.0),
        (overlap > 0, overlap / (t1 - t0).cast("float64")),
        else_=0.0,
    )
    in_period = (iv.ts > s_lit) & (iv.ts <= e_lit)
    received = in_period & ((iv.kind == "interval") | iv.prev_ts.notnull())
    # computed once: the totals and the notable rows both read the differenced intervals
    iv = materialize(con, iv.mutate(share=share, in_period=in_period, received=received))
    try:
        totals, notable_rows = _totals_and_notable(con, iv, s_lit, e_lit)
    finally:
        release(con, iv)

    dups = readings.group_by(["meter_id", "ts"]).aggregate(
        n=readings.count(), nvals=readings.value.nunique()
    )
    dups = dups.filter(dups.nvals > 1)
    dups = dups.group_by("meter_id").aggregate(count=dups.count())
    dup_counts = {r["meter_id"]: r["count"] for r in con.to_pyarrow(dups).to_pylist()}

    period_s = (end - start).total_seconds()
    out: dict[str, MeterConsumption] = {}
    for m in site.meters:
        conv = to_canonical(m.carrier, m.unit, density(m.carrier))
        row = totals.get(m.id)
        facts: dict[str, Any] = {
            "wraps": [],
            "resets": [],
            "excluded": [],
            "interpolated": [],
            "uncovered": [],
            "duplicate_timestamps": dup_counts.get(m.id, 0),
        }
        if row is None:
            out[m.id] = MeterConsumption(
                m.id,
                conv.canonical,
                0.0,
                0,
                _expected(period_s, m.interval_s, None),
                0,
                {**facts, "no_data": True},
            )
            continue
        for n in (x for x in notable_rows if x["meter_id"] == m.id):
            at = n["ts"]
            if n["kind"] == "wrap":
                facts["wraps"].append({"at": at, "amount": n["amount"], "rollover": n["rollover"]})
            elif n["kind"] == "event":
                facts["resets"].append(
                    {
                        "at": at,
                        "event": n["ev_name"],
                        "amount": n["amount"],
                        "events_in_interval": n["event_count"],
                    }
                )
            elif n["kind"] == "excluded":
                facts["excluded"].append({"at": at, "delta": n["delta"]})
            if n["kind"] != "interval" and n["prev_ts"] is not None:
                if n["prev_ts"] < start < at:
                    facts["interpolated"].append(
                        _interp("start", start, n["prev_ts"], at, n["prev_value"], n["value"])
                    )
                if n["prev_ts"] < end < at:
                    facts["interpolated"].append(
                        _interp("end", end, n["prev_ts"], at, n["prev_value"], n["value"])
                    )
        first, last = row["first_ts"], row["last_ts"]
        if first > start and m.reading != "interval":
            facts["uncovered"].append({"side": "start", "from": start, "to": min(first, end)})
        elif (
            m.reading == "interval"
            and m.interval_s
            and first - dt.timedelta(seconds=m.interval_s) > start
        ):
            facts["uncovered"].append(
                {"side": "start", "from": start, "to": first - dt.timedelta(seconds=m.interval_s)}
            )
        if last < end:
            facts["uncovered"].append({"side": "end", "from": max(last, start), "to": end})
        consumption = float(row["consumption"] or 0.0)
        out[m.id] = MeterConsumption(
            meter_id=m.id,
            unit=conv.canonical,
            consumption=consumption,
            intervals_received=int(row["received"] or 0),
            intervals_expected=_expected(period_s, m.interval_s, row["median_spacing"]),
            readings_in_period=int(row["readings_in_period"] or 0),
            facts=facts,
        )
    return out


def _expected(period_s: float, interval_s: float | None, median: float | None) -> float:
    step = interval_s or median
    return period_s / step if step else 0.0


def _interp(
    side: str, at: dt.datetime, t0: dt.datetime, t1: dt.datetime, v0: float, v1: float
) -> dict[str, Any]:
    frac = (at - t0).total_seconds() / (t1 - t0).total_seconds()
    return {"side": side, "at": at, "between": [t0, t1], "value": v0 + (v1 - v0) * frac}
