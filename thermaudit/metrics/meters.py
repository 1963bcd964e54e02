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
import pyarrow as pa

from thermaudit.dataset.site import Site
from thermaudit.units import to_canonical

#: a fact is "at the boundary" within this many seconds (timestamps are whole seconds)
_EPS_S = 0.0


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
        if self.intervals_expected <= 0:
            return None
        return self.intervals_received / self.intervals_expected


def _meters_table(site: Site) -> ir.Table:
    rows: dict[str, list[Any]] = {
        "meter_id": [],
        "cumulative": [],
        "multiplier": [],
        "rollover": [],
        "interval_s": [],
    }
    for m in site.meters:
        conv = to_canonical(m.carrier, m.unit, _density(m.carrier))
        rows["meter_id"].append(m.id)
        rows["cumulative"].append(m.reading == "cumulative")
        rows["multiplier"].append(float(m.multiplier))
        rows["rollover"].append(None if m.rollover is None else m.rollover * conv.factor)
        rows["interval_s"].append(m.interval_s)
    schema = pa.schema(
        [
            ("meter_id", pa.string()),
            ("cumulative", pa.bool_()),
            ("multiplier", pa.float64()),
            ("rollover", pa.float64()),
            ("interval_s", pa.float64()),
        ]
    )
    return ibis.memtable(pa.table(rows, schema=schema))


def _density(carrier: str) -> float | None:
    from thermaudit.reference import table

    for row in table("coefficients"):
        if row["carrier"] == carrier and row.get("density_kg_per_l"):
            return float(row["density_kg_per_l"])
    return None


def interval_amounts(readings: ir.Table, events: ir.Table | None, site: Site) -> ir.Table:
    """One row per reading with the interval it closes and that interval's amount.

    Columns: meter_id, ts, prev_ts, value, prev_value, cumulative, multiplier, rollover,
    delta (value − previous, canonical unit before multiplier), kind (``normal``, ``wrap``,
    ``event``, ``excluded``, ``first``, ``interval``), amount (multiplier applied; null when
    excluded or for a cumulative meter's first reading), event_count.
    """
    meters = _meters_table(site)
    # 1. one row per (meter, ts): the last row of the source file wins
    w_dup = ibis.window(
        group_by=[readings.meter_id, readings.ts], order_by=ibis.desc(readings._row)
    )
    r = readings.mutate(_rank=ibis.row_number().over(w_dup))
    r = r.filter(r._rank == 0).drop("_rank")
    r = r.join(meters, "meter_id")
    w = ibis.window(group_by=r.meter_id, order_by=r.ts)
    r = r.mutate(prev_ts=r.ts.lag().over(w), prev_value=r.value.lag().over(w))
    r = r.mutate(delta=r.value - r.prev_value)

    if events is not None:
        ev = events.select(
            ev_meter=events.meter_id,
            ev_ts=events.ts,
            old_final=events.old_final,
            new_initial=events.new_initial,
            ev_name=events.event,
        )
        # the event belongs to the interval that spans it; a reading exactly at the event
        # time belongs to the old register when it equals old_final, else to the new one
        inside = (r.prev_ts < ev.ev_ts) & (ev.ev_ts < r.ts)
        at_end = (ev.ev_ts == r.ts) & (r.value != ev.old_final)
        at_start = (
            (ev.ev_ts == r.prev_ts)
            & (r.prev_value == ev.old_final)
            & (r.prev_value != ev.new_initial)
        )
        joined = r.left_join(
            ev, [r.meter_id == ev.ev_meter, r.cumulative, inside | at_end | at_start]
        )
        # at most one event per interval is applied; more are counted and reported
        keys = [c for c in r.columns]
        r = joined.group_by(keys).aggregate(
            old_final=joined.old_final.min(),
            new_initial=joined.new_initial.min(),
            ev_name=joined.ev_name.min(),
            event_count=joined.ev_ts.count(),
        )
    else:
        r = r.mutate(
            old_final=ibis.null("float64"),
            new_initial=ibis.null("float64"),
            ev_name=ibis.null("string"),
            event_count=ibis.literal(0, "int64"),
        )

    kind = ibis.cases(
        (~r.cumulative, "interval"),
        (r.prev_ts.isnull(), "first"),
        (r.event_count > 0, "event"),
        (r.delta >= 0, "normal"),
        (r.rollover.notnull(), "wrap"),
        else_="excluded",
    )
    raw = ibis.cases(
        (kind == "interval", r.value),
        (kind == "event", (r.old_final - r.prev_value) + (r.value - r.new_initial)),
        (kind == "normal", r.delta),
        (kind == "wrap", r.rollover - r.prev_value + r.value),
        else_=ibis.null("float64"),
    )
    return r.mutate(kind=kind, amount=raw * r.multiplier)


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
    iv = iv.mutate(share=share, in_period=in_period, received=received)

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
        | (in_period & (iv.kind == "excluded"))
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

    dups = readings.group_by(["meter_id", "ts"]).aggregate(
        n=readings.count(), nvals=readings.value.nunique()
    )
    dups = dups.filter(dups.nvals > 1)
    dups = dups.group_by("meter_id").aggregate(count=dups.count())
    dup_counts = {r["meter_id"]: r["count"] for r in con.to_pyarrow(dups).to_pylist()}

    period_s = (end - start).total_seconds()
    out: dict[str, MeterConsumption] = {}
    for m in site.meters:
        conv = to_canonical(m.carrier, m.unit, _density(m.carrier))
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
