"""Intervals of the meters: each reading with the interval it closes and that interval's
amount, by the contract's rules (differencing, multiplier, rollover, ``meter_events``,
exclusion of unexplained negative differences).

This is the quality stage's view of the readings: the metrics sum these amounts over the
period (:mod:`thermaudit.metrics.meters`), the data-quality checks look at their flags.
Written as ibis expressions, so they run on DuckDB by default and on any ibis backend.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from thermaudit.dataset.site import Site
from thermaudit.reference import density
from thermaudit.units import to_canonical


def _meters_table(site: Site) -> ir.Table:
    rows: dict[str, list[Any]] = {
        "meter_id": [],
        "cumulative": [],
        "multiplier": [],
        "rollover": [],
        "interval_s": [],
    }
    for m in site.meters:
        conv = to_canonical(m.carrier, m.unit, density(m.carrier))
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
