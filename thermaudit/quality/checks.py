"""Data-quality checks over a normalized dataset: findings, not errors.

:func:`check_dataset` runs every check below as ibis expressions over the normalized Parquet
files (DuckDB by default); only per-meter, per-day or per-run aggregates and a few example
rows come back to Python, so a year of 15-min readings and tens of millions of mold samples
stay in the engine. Each check emits findings with a stable code from ``data/findings.csv``
and JSON evidence (ids, local ISO timestamps, counts, values, source ``_row`` examples).

The metric-time findings (boundaries, negative differences, rollovers, meter events,
duplicates, rows outside the period, missing/not-covering calibration, ...) are emitted by
:func:`thermaudit.metrics.assess.assess`; this module adds the rest and never emits those.

Rules and thresholds (defaults in :data:`THRESHOLDS`; a key of the same name in
``parameters`` — the specification's parameters — overrides it):

``quality.reading.gap``
    Expected step of a meter = ``interval_s`` or its median reading spacing. Each pair of
    consecutive readings whose later one lies in the period misses
    ``round(spacing / step) − 1`` intervals. A meter with at least one missing interval gets
    one finding: received / expected intervals (expected = period length / step, received as
    in metric 6) and its longest gaps (the readings around them and the intervals missing).
    Time before the first or after the last reading is an uncovered boundary (assess).
``quality.reading.spike``
    Per meter, the rate of each in-period interval (amount / its duration; an interval
    meter's duration is its step) of kind ``normal`` or ``interval``; robust z =
    (rate − median) / σ with σ = max(1.4826 · MAD, IQR / 1.349, 1.2533 · mean absolute
    deviation) — three robust estimates of a normal σ (Iglewicz & Hoaglin 1993); the largest
    keeps bimodal loads (shifts on/off, meals, furnaces melting or on standby) from making
    every "on" interval an outlier, and the mean deviation still gives a scale to a meter
    that idles at one value most of the time. A meter whose σ is rounding noise is skipped.
    One-sided: ``z > spike_z`` (default 8). Low rates are not spikes (see flatline).
``quality.reading.flatline``
    A run of consecutive in-period intervals with amount 0 (a cumulative register that does
    not move, an interval meter that reports 0) lasting ≥ ``flatline_hours`` (24 h) of time
    that falls on local days with production (for a meter with a ``line``, days with
    production rows on that line; otherwise on any line). A furnace that is off over a
    holiday is therefore not flagged; a stuck register on working days is.
``quality.reading.dst_offset``
    (a) Clock offset by whole hours. A metered node is a parent with the generation
    meters feeding it (+) and its children (−); its hourly residual Σ ± rates (intervals
    of the nominal step ≤ 1 h, hours every member covers) is the unmetered load. Each
    member is shifted by −12…+12 h and the roughness Σ (Δ residual)² computed: the steps of
    a meter whose clock is off by k hours cancel in the residual only when it is shifted
    back by k. The member and shift that reduce the roughness most are reported when the
    shift is not 0 and the reduction is ≥ ``dst_min_improvement`` (20 %) — a logger on UTC,
    on standard time all year, or on the wrong DST state. Only nodes whose submeter balance
    closes over the period (within the ``quality.balance.submeter`` range) are judged: a
    residual that is not unmetered load says nothing about clocks. (b) DST change: in a zone
    whose UTC offset changes inside the period, an interval closing within 24 h of a change
    whose spacing is the step ± exactly 1 h (a logger that skipped or repeated the hour).
``quality.balance.submeter``
    Per parent meter and local day: inputs = the parent + generation meters of its carrier
    (those whose parent is it; those without a parent when it is the carrier's only supply
    meter — PV behind the gate meter); Σ children = every non-generation meter whose parent
    it is. Closure = Σ children / inputs × 100. Only days on which every meter of the node
    has intervals that tile the day exactly are judged (a gap across midnight would shift
    energy between days). Flagged above ``100 + submeter_tolerance_pct`` (2: the combined
    error of 0.5S–1.0 class meters) or below ``submeter_floor_pct`` (50: more than half of
    the parent unexplained suggests a missing or stalled submeter).
``quality.balance.invoice``
    Per invoice row: its quantity in the carrier's canonical unit, prorated by days of
    overlap with the period, against Σ of the carrier's supply meters (plus excluded and
    export meters without a parent: fed separately but on the same bill) over the
    overlapping local days. The utility bills what enters at the gate meter, so excluded
    and export meters behind a supply meter are not subtracted here (the reconciliation
    view shows them). Flagged when |meters − invoice| / invoice > ``invoice_tolerance_pct``
    (2 %).
``quality.production.idle_energy``
    Per carrier with supply meters: Σ supply amounts on local days of the period with no
    production (no rows with good + scrap > 0). Info: the idle load is a saving lead.
``quality.production.no_energy``
    Per carrier: local days with production on which the carrier's supply meters closed no
    interval or only zero amounts.
``quality.mold.no_output``
    ``producing`` samples of a controller with a ``line`` on local days (interval-end
    convention) with no production rows on that line. Samples without a state are not
    judged (loggers run around the clock; only the state says the die was casting).
``quality.calibration.issued_after_data``
    The instrument's earliest certificate was issued (``calibrated_on``) after the
    instrument's first data in the period: it is the only certificate that could cover
    those data, and it does not (the data before it were taken uncalibrated).
``quality.calibration.expired_during_period``
    The latest ``valid_until`` of an instrument's certificates falls inside the period and
    the instrument has data after it: the calibration lapsed (assess's ``not_covering`` says
    which dates are uncovered; this finding names the expiry and the data affected).
``quality.melting.implied_yield``
    Good mass / metal melted over the period outside [``yield_min``, ``yield_max``] =
    [0.50, 0.98]. Above 0.98: more good castings than metal melted less ~2 % melt loss
    (dross) — missing melting records, bought-in castings or wrong unit masses. Below 0.50:
    HPDC casting yields are 50–80 % of the shot (runners, overflows and biscuits are
    remelted), so less than half of the metal ending as good castings points to missing
    production rows or double-counted batches.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from thermaudit.dataset.model import NormalizedDataset
from thermaudit.dataset.site import Meter, Site
from thermaudit.engine import connect, materialize, release
from thermaudit.quality.findings import Finding, finding
from thermaudit.quality.intervals import interval_amounts
from thermaudit.reference import density
from thermaudit.units import to_canonical

#: default thresholds of the checks; a specification parameter of the same name overrides
THRESHOLDS: dict[str, float] = {
    "spike_z": 8.0,
    "flatline_hours": 24.0,
    "dst_min_improvement": 0.2,
    "submeter_tolerance_pct": 2.0,
    "submeter_floor_pct": 50.0,
    "invoice_tolerance_pct": 2.0,
    "yield_min": 0.50,
    "yield_max": 0.98,
}

#: codes this module emits (assess emits the other quality codes)
CODES = (
    "quality.reading.gap",
    "quality.reading.spike",
    "quality.reading.flatline",
    "quality.reading.dst_offset",
    "quality.balance.submeter",
    "quality.balance.invoice",
    "quality.production.idle_energy",
    "quality.production.no_energy",
    "quality.mold.no_output",
    "quality.calibration.issued_after_data",
    "quality.calibration.expired_during_period",
    "quality.melting.implied_yield",
)

EXAMPLES = 5  # example rows / longest gaps / days listed in evidence
BUCKET_S = 900  # every UTC offset in use is a multiple of 15 min
MAD_SCALE = 1.4826  # MAD → σ of a normal distribution
MEAN_AD_SCALE = 1.2533  # mean absolute deviation → σ
IQR_SCALE = 1.349  # interquartile range → σ


def check_dataset(
    dataset: NormalizedDataset,
    *,
    con: ibis.BaseBackend | None = None,
    parameters: Mapping[str, float] | None = None,
) -> list[Finding]:
    """Run the data-quality checks of this module on ``dataset``.

    Parameters
    ----------
    dataset : NormalizedDataset
    con : ibis backend, optional
        Engine to run on (default: a new in-memory DuckDB).
    parameters : mapping, optional
        Specification parameters; keys of :data:`THRESHOLDS` override the defaults
        (``invoice_tolerance_pct`` is read this way).

    Returns
    -------
    list of Finding
        In a stable order: by check, then by subject.
    """
    ctx = _Context.build(dataset, con or connect(), parameters or {})
    out: list[Finding] = []
    for check in (
        _gaps,
        _spikes,
        _flatlines,
        _dst_offset,
        _submeter_balance,
        _invoice_balance,
        _production_energy,
        _mold_no_output,
        _calibration,
        _implied_yield,
    ):
        out += check(ctx)
    return out


# ---------------------------------------------------------------------------------------------
# shared context


@dataclass
class _Context:
    con: ibis.BaseBackend
    dataset: NormalizedDataset
    site: Site
    params: dict[str, float]
    start: dt.datetime
    end: dt.datetime
    iv: ir.Table  # interval amounts with step, spacing, duration, bucket, day, in_period
    steps: dict[str, float]
    units: dict[str, str]
    days: list[dt.date]
    day_bounds: dict[dt.date, tuple[dt.datetime, dt.datetime]]
    buckets: ir.Table  # bucket (int64) -> day (date), for buckets in the period
    _meter_days: list[dict[str, Any]] | None = None
    _prod_days: list[dict[str, Any]] | None = None

    @classmethod
    def build(
        cls, dataset: NormalizedDataset, con: ibis.BaseBackend, parameters: Mapping[str, float]
    ) -> _Context:
        site = dataset.site
        params = {k: float(parameters.get(k, v)) for k, v in THRESHOLDS.items()}
        start, end = site.period_bounds_utc()
        days, bounds, bucket_tbl = _day_buckets(site)
        readings = con.read_parquet(dataset.tables["readings"])
        events = (
            con.read_parquet(dataset.tables["meter_events"])
            if dataset.has("meter_events")
            else None
        )
        iv = interval_amounts(readings, events, site)
        spacing = (iv.ts.epoch_seconds() - iv.prev_ts.epoch_seconds()).cast("float64")
        # computed once: the medians below and the table every check reads both need it
        iv = base = materialize(con, iv.mutate(spacing=spacing))
        med = iv.group_by("meter_id").aggregate(median_spacing=iv.spacing.median())
        medians = {r["meter_id"]: r["median_spacing"] for r in con.to_pyarrow(med).to_pylist()}
        steps: dict[str, float] = {}
        units: dict[str, str] = {}
        for m in site.meters:
            units[m.id] = to_canonical(m.carrier, m.unit, density(m.carrier)).canonical
            step = m.interval_s or medians.get(m.id)
            if step:
                steps[m.id] = float(step)
        step_tbl = ibis.memtable(
            pa.table(
                {
                    "s_meter": pa.array(list(steps), pa.string()),
                    "step": pa.array(list(steps.values()), pa.float64()),
                }
            )
        )
        iv = iv.join(step_tbl, iv.meter_id == step_tbl.s_meter).drop("s_meter")
        duration = ibis.cases((iv.kind == "interval", iv.step), else_=iv.spacing)
        bucket = ((iv.ts.epoch_seconds() + (BUCKET_S - 1)) // BUCKET_S).cast("int64")
        iv = iv.mutate(
            duration=duration,
            bucket=bucket,
            in_period=(iv.ts > ibis.literal(start)) & (iv.ts <= ibis.literal(end)),
        )
        iv = iv.left_join(bucket_tbl, iv.bucket == bucket_tbl.b).drop("b")
        iv = materialize(con, iv)
        release(con, base)
        return cls(
            con, dataset, site, params, start, end, iv, steps, units, days, bounds, bucket_tbl
        )

    def table(self, name: str) -> ir.Table | None:
        path = self.dataset.tables.get(name)
        return self.con.read_parquet(path) if path is not None else None

    def rows(self, expr: ir.Table) -> list[dict[str, Any]]:
        return self.con.to_pyarrow(expr).to_pylist()

    def local(self, ts: dt.datetime | None) -> str | None:
        return None if ts is None else ts.astimezone(self.site.zone).isoformat(timespec="seconds")

    def meter_days(self) -> list[dict[str, Any]]:
        """Per (meter, local day): Σ amount, intervals, whether they tile the day exactly."""
        if self._meter_days is None:
            iv = self.iv.filter(self.iv.in_period & self.iv.day.notnull())
            iv = iv.filter((iv.kind == "interval") | iv.prev_ts.notnull())
            start_of = ibis.cases(
                (iv.kind == "interval", iv.ts.epoch_seconds() - iv.step.cast("int64")),
                else_=iv.prev_ts.epoch_seconds(),
            )
            iv = iv.mutate(t0=start_of, t1=iv.ts.epoch_seconds())
            agg = iv.group_by(["meter_id", "day"]).aggregate(
                amount=iv.amount.sum(),
                n=iv.count(),
                nulls=iv.amount.isnull().sum(),
                covered=(iv.t1 - iv.t0).sum(),
                first_t0=iv.t0.min(),
                last_t1=iv.t1.max(),
            )
            rows = self.rows(agg)
            for r in rows:
                s, e = self.day_bounds[r["day"]]
                r["tiles"] = (
                    r["nulls"] == 0
                    and r["first_t0"] == int(s.timestamp())
                    and r["last_t1"] == int(e.timestamp())
                    and r["covered"] == int((e - s).total_seconds())
                )
                r["amount"] = float(r["amount"] or 0.0)
            self._meter_days = rows
        return self._meter_days

    def production_days(self) -> list[dict[str, Any]]:
        """Per (line, local date) in the period with good + scrap > 0."""
        if self._prod_days is None:
            prod = self.table("production")
            if prod is None:
                self._prod_days = []
            else:
                p = prod.filter(
                    (prod.date >= ibis.literal(self.site.period.start))
                    & (prod.date <= ibis.literal(self.site.period.end))
                    & ((prod.good_qty + prod.scrap_qty) > 0)
                )
                self._prod_days = self.rows(
                    p.group_by(["line", "date"]).aggregate(
                        good_qty=p.good_qty.sum(), rows=p.count()
                    )
                )
        return self._prod_days


def _day_buckets(
    site: Site,
) -> tuple[list[dt.date], dict[dt.date, tuple[dt.datetime, dt.datetime]], ir.Table]:
    """Local days of the period with their UTC bounds, and the table mapping each 15-min
    bucket ``ceil(epoch / 900)`` of (start, end] to its local day (interval-end convention:
    a timestamp at 00:00 belongs to the day before). DST-correct through zoneinfo."""
    z = site.zone
    days: list[dt.date] = []
    bounds = {}
    b_col: list[int] = []
    d_col: list[dt.date] = []
    d = site.period.start
    while d <= site.period.end:
        s = dt.datetime.combine(d, dt.time(), z).astimezone(dt.UTC)
        e = dt.datetime.combine(d + dt.timedelta(days=1), dt.time(), z).astimezone(dt.UTC)
        days.append(d)
        bounds[d] = (s, e)
        lo, hi = int(s.timestamp()) // BUCKET_S + 1, int(e.timestamp()) // BUCKET_S
        b_col.extend(range(lo, hi + 1))
        d_col.extend([d] * (hi - lo + 1))
        d += dt.timedelta(days=1)
    tbl = ibis.memtable(
        pa.table({"b": pa.array(b_col, pa.int64()), "day": pa.array(d_col, pa.date32())})
    )
    return days, bounds, tbl


def _num(x: float | None, digits: int = 6) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


# ---------------------------------------------------------------------------------------------
# readings


def _gaps(ctx: _Context) -> list[Finding]:
    iv = ctx.iv
    period_s = (ctx.end - ctx.start).total_seconds()
    got = iv.filter(iv.in_period & ((iv.kind == "interval") | iv.prev_ts.notnull()))
    received = {
        r["meter_id"]: r["n"] for r in ctx.rows(got.group_by("meter_id").aggregate(n=got.count()))
    }
    g = iv.filter(iv.in_period & iv.prev_ts.notnull())
    g = g.mutate(missing=((g.spacing / g.step).round() - 1).cast("int64"))
    g = g.filter(g.missing >= 1)
    w = ibis.window(group_by=g.meter_id, order_by=[ibis.desc(g.missing), g.ts])
    g = g.mutate(
        rank=ibis.row_number().over(w),
        total=g.missing.sum().over(ibis.window(group_by=g.meter_id)),
        count=g.count().over(ibis.window(group_by=g.meter_id)),
    )
    top = ctx.rows(
        g.filter(g.rank < EXAMPLES)
        .select("meter_id", "prev_ts", "ts", "missing", "_row", "total", "count", "rank")
        .order_by(["meter_id", "rank"])
    )
    out = []
    for m in ctx.site.meters:
        rows = [r for r in top if r["meter_id"] == m.id]
        if not rows:
            continue
        expected = period_s / ctx.steps[m.id]
        n = received.get(m.id, 0)
        out.append(
            finding(
                "quality.reading.gap",
                meter=m.id,
                received=n,
                expected=_num(expected),
                completeness_pct=_num(100.0 * n / expected),
                missing_intervals=int(rows[0]["total"]),
                gap_count=int(rows[0]["count"]),
                step_s=ctx.steps[m.id],
                longest=[
                    {
                        "start": ctx.local(r["prev_ts"]),
                        "end": ctx.local(r["ts"]),
                        "missing_intervals": int(r["missing"]),
                        "_row": r["_row"],
                    }
                    for r in rows
                ],
            )
        )
    return out


def _spikes(ctx: _Context) -> list[Finding]:
    iv = ctx.iv
    x = iv.filter(iv.in_period & iv.kind.isin(["normal", "interval"]) & (iv.duration > 0))
    x = x.mutate(rate=x.amount / x.duration)
    med = x.group_by("meter_id").aggregate(med=x.rate.median())
    x = x.join(med, "meter_id")
    x = x.mutate(dev=(x.rate - x.med).abs())
    scale = x.group_by("meter_id").aggregate(
        mad=x.dev.median(),
        mean_ad=x.dev.mean(),
        iqr=x.rate.quantile(0.75) - x.rate.quantile(0.25),
        n=x.count(),
    )
    x = x.join(scale, "meter_id")
    sigma = ibis.greatest(x.mad * MAD_SCALE, x.iqr / IQR_SCALE, x.mean_ad * MEAN_AD_SCALE)
    # a scale that is rounding noise of the median (a constant meter) is no scale
    sigma = ibis.cases((sigma > 1e-9 * (x.med.abs() + 1e-9), sigma), else_=ibis.null("float64"))
    x = x.mutate(z=(x.rate - x.med) / sigma, sigma=sigma)
    hits = x.filter(x.z > ctx.params["spike_z"])
    w = ibis.window(group_by=hits.meter_id, order_by=[ibis.desc(hits.z.abs()), hits.ts])
    hits = hits.mutate(
        rank=ibis.row_number().over(w), count=hits.count().over(ibis.window(group_by="meter_id"))
    )
    rows = ctx.rows(
        hits.filter(hits.rank < EXAMPLES)
        .select(
            "meter_id",
            "ts",
            "prev_ts",
            "kind",
            "step",
            "amount",
            "rate",
            "z",
            "med",
            "mad",
            "sigma",
            "n",
            "count",
            "_row",
            "rank",
        )
        .order_by(["meter_id", "rank"])
    )
    out = []
    for m in ctx.site.meters:
        mr = [r for r in rows if r["meter_id"] == m.id]
        if not mr:
            continue
        first = mr[0]
        unit = ctx.units[m.id]
        out.append(
            finding(
                "quality.reading.spike",
                meter=m.id,
                count=int(first["count"]),
                threshold=ctx.params["spike_z"],
                unit=unit,
                at=ctx.local(first["ts"]),
                amount=_num(first["amount"]),
                z=_num(first["z"], 4),
                median_rate_per_h=_num(first["med"] * 3600),
                sigma_rate_per_h=_num(first["sigma"] * 3600),
                intervals=int(first["n"]),
                examples=[
                    {
                        "start": ctx.local(
                            r["prev_ts"]
                            if r["kind"] != "interval"
                            else r["ts"] - dt.timedelta(seconds=r["step"])
                        ),
                        "end": ctx.local(r["ts"]),
                        "amount": _num(r["amount"]),
                        "rate_per_h": _num(r["rate"] * 3600),
                        "z": _num(r["z"], 4),
                        "_row": r["_row"],
                    }
                    for r in mr
                ],
            )
        )
    return out


def _production_day_set(ctx: _Context) -> tuple[set[dt.date], dict[str, set[dt.date]]]:
    any_line: set[dt.date] = set()
    by_line: dict[str, set[dt.date]] = {}
    for r in ctx.production_days():
        any_line.add(r["date"])
        by_line.setdefault(r["line"], set()).add(r["date"])
    return any_line, by_line


def _flatlines(ctx: _Context) -> list[Finding]:
    iv = ctx.iv
    x = iv.filter(iv.in_period & ((iv.kind == "interval") | iv.prev_ts.notnull()))
    still = x.kind.isin(["normal", "interval"]) & (x.amount == 0)
    x = x.mutate(still=still)
    w = ibis.window(group_by=x.meter_id, order_by=x.ts, preceding=None, following=0)
    x = x.mutate(run=(~x.still).cast("int64").sum().over(w))
    runs = x.filter(x.still)
    start_of = ibis.cases(
        (runs.kind == "interval", runs.ts - runs.step.cast("int64").as_interval("s")),
        else_=runs.prev_ts,
    )
    runs = runs.mutate(t0=start_of)
    runs = runs.group_by(["meter_id", "run"]).aggregate(
        start=runs.t0.min(),
        end=runs.ts.max(),
        n=runs.count(),
        first_row=runs._row.min(),
        last_row=runs._row.max(),
    )
    hours = ctx.params["flatline_hours"]
    runs = runs.filter((runs.end.epoch_seconds() - runs.start.epoch_seconds()) >= int(hours * 3600))
    found = ctx.rows(runs.order_by(["meter_id", "start"]))
    any_line, by_line = _production_day_set(ctx)
    out = []
    for m in ctx.site.meters:
        prod_days = by_line.get(m.line, set()) if m.line else any_line
        stretches: list[dict[str, Any]] = []
        for r in (r for r in found if r["meter_id"] == m.id):
            on_prod = 0.0
            days = []
            for d in ctx.days:
                s, e = ctx.day_bounds[d]
                ov = (min(e, r["end"]) - max(s, r["start"])).total_seconds()
                if ov > 0 and d in prod_days:
                    on_prod += ov
                    days.append(d.isoformat())
            if on_prod >= hours * 3600:
                stretches.append(
                    {
                        "start": ctx.local(r["start"]),
                        "end": ctx.local(r["end"]),
                        "hours": _num((r["end"] - r["start"]).total_seconds() / 3600),
                        "hours_on_production_days": _num(on_prod / 3600),
                        "intervals": int(r["n"]),
                        "production_days": days,
                        "_rows": [r["first_row"], r["last_row"]],
                    }
                )
        if stretches:
            longest = max(stretches, key=lambda s: float(s["hours"] or 0.0))
            out.append(
                finding(
                    "quality.reading.flatline",
                    meter=m.id,
                    hours=longest["hours"],
                    start=longest["start"],
                    end=longest["end"],
                    threshold_h=hours,
                    line=m.line,
                    stretches=stretches[:EXAMPLES],
                    count=len(stretches),
                )
            )
    return out


def _dst_offset(ctx: _Context) -> list[Finding]:
    return _clock_lag(ctx) + _dst_spacing(ctx)


def _clock_lag(ctx: _Context) -> list[Finding]:
    """Whole-hour clock offsets: the shift of one meter of a metered node (parent,
    generation feeding it, children) that makes the node's unexplained residual smoothest."""
    site = ctx.site
    ok = {m for m, s in ctx.steps.items() if s <= 3600}
    nodes = [
        (p, members)
        for p, members in _nodes(site)
        if all(m in ok for m, _ in members) and _node_closes(ctx, members)
    ]
    if not nodes:
        return []
    iv = ctx.iv
    all_ids = sorted({m for _, members in nodes for m, _ in members})
    x = iv.filter(
        iv.in_period
        & iv.kind.isin(["normal", "interval"])
        & ((iv.kind == "interval") | (iv.spacing == iv.step))
        & iv.meter_id.isin(all_ids)
    )
    x = x.mutate(h=((x.ts.epoch_seconds() + 3599) // 3600).cast("int64"))
    hourly = x.group_by(["meter_id", "h"]).aggregate(
        rate=x.amount.sum() / x.duration.sum(), covered=x.duration.sum()
    )
    hourly = materialize(
        ctx.con, hourly.filter(hourly.covered == 3600).select("meter_id", "h", "rate")
    )
    node_col, meter_col, sign_col, size_col = [], [], [], []
    for p, members in nodes:
        for m, sign in members:
            node_col.append(p)
            meter_col.append(m)
            sign_col.append(sign)
            size_col.append(len(members))
    mem = ibis.memtable(
        pa.table(
            {
                "node": pa.array(node_col, pa.string()),
                "member": pa.array(meter_col, pa.string()),
                "sign": pa.array(sign_col, pa.float64()),
                "size": pa.array(size_col, pa.int64()),
            }
        )
    )
    j = hourly.join(mem, hourly.meter_id == mem.member)
    base = j.group_by(["node", "h"]).aggregate(
        base=(j.sign * j.rate).sum(), n=j.count(), size=j.size.max()
    )
    base = base.filter(base.n == base.size).select("node", "h", "base")
    # Residual of the node at hour h with the member's series moved by lag:
    # res(h) = A(h) + B(h − lag), A = base − sign·own rate (lag-free), B = sign·rate.
    # Roughness sums the squared hour-to-hour steps d(h) = dA(h) + dB(h − lag), so both
    # steps are taken once on the hourly series (where hour h − 1 exists too) and only
    # the join with the 25 lags is per lag: no window over the lag-expanded rows.
    a = base.join(j, [base.node == j.node, base.h == j.h]).select(
        "node", "member", "h", a=base.base - j.sign * j.rate
    )
    wa = ibis.window(group_by=[a.node, a.member], order_by=a.h)
    a = a.mutate(prev_h=a.h.lag().over(wa), da=a.a - a.a.lag().over(wa))
    a = a.filter(a.prev_h == a.h - 1).select("node", "member", "h", "da")
    b = j.select(b_node="node", b_member="member", b_h="h", b=j.sign * j.rate)
    wb = ibis.window(group_by=[b.b_node, b.b_member], order_by=b.b_h)
    b = b.mutate(prev_h=b.b_h.lag().over(wb), db=b.b - b.b.lag().over(wb))
    b = b.filter(b.prev_h == b.b_h - 1).drop("prev_h", "b")
    lags = ibis.memtable(pa.table({"lag": pa.array(range(-12, 13), pa.int64())}))
    cand = a.cross_join(lags)
    cand = cand.join(
        b,
        [cand.node == b.b_node, cand.member == b.b_member, b.b_h == cand.h - cand.lag],
    )
    d = cand.da + cand.db
    rough = cand.group_by(["node", "member", "lag"]).aggregate(r=(d * d).sum(), n=cand.count())
    rows = ctx.rows(rough)
    table: dict[tuple[str, str], dict[int, tuple[float, int]]] = {}
    for r in rows:
        table.setdefault((r["node"], r["member"]), {})[r["lag"]] = (r["r"], r["n"])
    need = ctx.params["dst_min_improvement"]
    best_by_meter: dict[str, dict[str, Any]] = {}
    for (node, member), rs in table.items():
        if 0 not in rs or rs[0][0] <= 0:
            continue
        lag = min(rs, key=lambda k: (rs[k][0], abs(k)))
        improvement = 1.0 - rs[lag][0] / rs[0][0]
        if lag == 0 or improvement < need:
            continue
        prev = best_by_meter.get(member)
        if prev is None or improvement > prev["improvement"]:
            best_by_meter[member] = {
                "node": node,
                "lag": lag,
                "improvement": improvement,
                "hours": rs[lag][1],
            }
    # one meter per node: the shift that explains the node best
    best_by_node: dict[str, tuple[str, dict[str, Any]]] = {}
    for member, b in best_by_meter.items():
        cur = best_by_node.get(b["node"])
        if cur is None or b["improvement"] > cur[1]["improvement"]:
            best_by_node[b["node"]] = (member, b)
    out = []
    for node, (member, b) in sorted(best_by_node.items()):
        out.append(
            finding(
                "quality.reading.dst_offset",
                meter=member,
                rule="clock_offset",
                what=f"the balance of {node} closes best with its timestamps moved {b['lag']:+d} h",
                node=node,
                # the meter's reading stamped h belongs to hour h + lag of the others
                late_by_h=-b["lag"],
                shift_h=b["lag"],
                roughness_reduction_pct=_num(100.0 * b["improvement"], 4),
                hours_compared=int(b["hours"]),
            )
        )
    return out


def _node_closes(ctx: _Context, members: list[tuple[str, float]]) -> bool:
    """Whether a node balances over its complete days (the clock rule reads the node's
    residual as unmetered load, which only holds when the submeter balance is sound)."""
    by = {(r["meter_id"], r["day"]): r for r in ctx.meter_days()}
    inputs = children = 0.0
    for d in ctx.days:
        if all((m, d) in by and by[(m, d)]["tiles"] for m, _ in members):
            for m, sign in members:
                if sign > 0:
                    inputs += by[(m, d)]["amount"]
                else:
                    children += by[(m, d)]["amount"]
    if inputs <= 0:
        return False
    closure = 100.0 * children / inputs
    return (
        ctx.params["submeter_floor_pct"] <= closure <= 100.0 + ctx.params["submeter_tolerance_pct"]
    )


def _active(site: Site) -> list[Meter]:
    """The meters of active energy: reactive meters (power factor) take no part in balances."""
    return [m for m in site.meters if m.quantity == "active"]


def _nodes(site: Site) -> list[tuple[str, list[tuple[str, float]]]]:
    """Metered nodes: (parent id, [(member id, +1 for inputs / −1 for children)])."""
    out = []
    meters = _active(site)
    for p in meters:
        kids = [c.id for c in meters if c.parent == p.id and c.role != "generation"]
        if not kids:
            continue
        supplies = [m for m in meters if m.role == "supply" and m.carrier == p.carrier]
        gens = [
            m.id
            for m in meters
            if m.role == "generation"
            and m.carrier == p.carrier
            and (
                m.parent == p.id or (m.parent is None and p.role == "supply" and len(supplies) == 1)
            )
        ]
        out.append((p.id, [(p.id, 1.0)] + [(g, 1.0) for g in gens] + [(k, -1.0) for k in kids]))
    return out


def _transitions(ctx: _Context) -> list[dt.datetime]:
    """UTC instants at which the zone's offset changes inside the period (hour resolution)."""
    z = ctx.site.zone
    out = []
    t = ctx.start
    prev = t.astimezone(z).utcoffset()
    while t < ctx.end:
        t2 = t + dt.timedelta(hours=1)
        off = t2.astimezone(z).utcoffset()
        if off != prev:
            out.append(t2)
            prev = off
        t = t2
    return out


def _dst_spacing(ctx: _Context) -> list[Finding]:
    changes = _transitions(ctx)
    if not changes:
        return []
    iv = ctx.iv
    near = ibis.literal(False)
    for c in changes:
        near = near | (
            (iv.ts >= ibis.literal(c - dt.timedelta(hours=24)))
            & (iv.ts <= ibis.literal(c + dt.timedelta(hours=24)))
        )
    x = iv.filter(iv.in_period & iv.prev_ts.notnull() & near)
    x = x.filter(((x.spacing - x.step).abs() - 3600).abs() < 1)
    rows = ctx.rows(
        x.select("meter_id", "prev_ts", "ts", "spacing", "step", "_row").order_by(
            ["meter_id", "ts"]
        )
    )
    out = []
    for m in ctx.site.meters:
        mr = [r for r in rows if r["meter_id"] == m.id]
        if mr:
            out.append(
                finding(
                    "quality.reading.dst_offset",
                    meter=m.id,
                    rule="dst_change",
                    what=f"{len(mr)} intervals jump by exactly 1 h around a DST change",
                    changes=[ctx.local(c) for c in changes],
                    count=len(mr),
                    intervals=[
                        {
                            "start": ctx.local(r["prev_ts"]),
                            "end": ctx.local(r["ts"]),
                            "jump_h": _num((r["spacing"] - r["step"]) / 3600),
                            "_row": r["_row"],
                        }
                        for r in mr[:EXAMPLES]
                    ],
                )
            )
    return out


# ---------------------------------------------------------------------------------------------
# balances


def _submeter_balance(ctx: _Context) -> list[Finding]:
    site = ctx.site
    by = {(r["meter_id"], r["day"]): r for r in ctx.meter_days()}
    out = []
    for pid, members in _nodes(site):
        p = site.meter(pid)
        gens = [m for m, sign in members[1:] if sign > 0]
        kids = [m for m, sign in members if sign < 0]
        lo = ctx.params["submeter_floor_pct"]
        hi = 100.0 + ctx.params["submeter_tolerance_pct"]
        flagged: list[dict[str, Any]] = []
        judged = skipped = 0
        for d in ctx.days:
            node = [p.id, *gens, *kids]
            if not all((mid, d) in by and by[(mid, d)]["tiles"] for mid in node):
                skipped += 1
                continue
            judged += 1
            inputs = sum(by[(mid, d)]["amount"] for mid in [p.id, *gens])
            sub = sum(by[(mid, d)]["amount"] for mid in kids)
            closure = 100.0 * sub / inputs if inputs > 0 else None
            if closure is None and sub <= 0:
                continue
            if closure is None or closure > hi or closure < lo:
                flagged.append(
                    {
                        "day": d.isoformat(),
                        "parent": _num(by[(p.id, d)]["amount"]),
                        "generation": _num(sum(by[(g, d)]["amount"] for g in gens)),
                        "children": _num(sub),
                        "closure_pct": _num(closure),
                        "by_child": {k: _num(by[(k, d)]["amount"]) for k in kids},
                    }
                )
        if flagged:
            worst = max(
                flagged,
                key=lambda f: (
                    math.inf if f["closure_pct"] is None else abs(f["closure_pct"] - 100.0)
                ),
            )
            out.append(
                finding(
                    "quality.balance.submeter",
                    parent=p.id,
                    children=kids,
                    generation=gens,
                    unit=ctx.units[p.id],
                    days_flagged=len(flagged),
                    days_judged=judged,
                    days_skipped_incomplete=skipped,
                    worst_day=worst["day"],
                    worst_closure_pct=worst["closure_pct"],
                    range_pct=[lo, hi],
                    days=flagged,
                )
            )
    return out


def _carrier_unit(ctx: _Context, carrier: str) -> str | None:
    units = {ctx.units[m.id] for m in _active(ctx.site) if m.carrier == carrier}
    return next(iter(units)) if len(units) == 1 else None


def _invoice_balance(ctx: _Context) -> list[Finding]:
    purchases = ctx.table("energy_purchases")
    if purchases is None:
        return []
    site = ctx.site
    md = ctx.meter_days()
    tol = ctx.params["invoice_tolerance_pct"]
    by_carrier: dict[str, list[dict[str, Any]]] = {}
    for inv in ctx.rows(purchases.order_by("_row")):
        carrier = inv["carrier"]
        meters = [
            m
            for m in _active(site)
            if m.carrier == carrier
            and (m.role == "supply" or (m.role in ("excluded", "export") and m.parent is None))
        ]
        if not meters or inv["quantity"] is None:
            continue
        s = max(inv["period_start"], site.period.start)
        e = min(inv["period_end"], site.period.end)
        if s > e:
            continue
        try:
            conv = to_canonical(carrier, inv["unit"], density(carrier))
        except KeyError:
            continue
        if any(ctx.units[m.id] != conv.canonical for m in meters):
            continue
        inv_days = (inv["period_end"] - inv["period_start"]).days + 1
        overlap = (e - s).days + 1
        invoiced = inv["quantity"] * conv.factor * overlap / inv_days
        sign = {m.id: (1.0 if m.role == "supply" else -1.0) for m in meters}
        metered = sum(
            sign[r["meter_id"]] * r["amount"]
            for r in md
            if r["meter_id"] in sign and s <= r["day"] <= e
        )
        if invoiced <= 0:
            continue
        diff = 100.0 * (metered - invoiced) / invoiced
        if abs(diff) > tol:
            by_carrier.setdefault(carrier, []).append(
                {
                    "_row": inv["_row"],
                    "period_start": inv["period_start"].isoformat(),
                    "period_end": inv["period_end"].isoformat(),
                    "overlap": [s.isoformat(), e.isoformat()],
                    "prorated": overlap != inv_days,
                    "invoiced": _num(invoiced),
                    "metered": _num(metered),
                    "diff_pct": _num(diff, 4),
                    "meters": sorted(sign),
                }
            )
    out = []
    for carrier, rows in sorted(by_carrier.items()):
        worst = max(rows, key=lambda r: abs(r["diff_pct"]))
        out.append(
            finding(
                "quality.balance.invoice",
                carrier=carrier,
                unit=_carrier_unit(ctx, carrier),
                invoiced=worst["invoiced"],
                metered=worst["metered"],
                diff_pct=worst["diff_pct"],
                tolerance_pct=tol,
                invoices=rows,
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# production and energy


def _production_energy(ctx: _Context) -> list[Finding]:
    site = ctx.site
    prod_days, _ = _production_day_set(ctx)
    md = ctx.meter_days()
    out_idle, out_none = [], []
    meters = _active(site)
    carriers = sorted({m.carrier for m in meters if m.role == "supply"})
    for carrier in carriers:
        supply = {m.id for m in meters if m.role == "supply" and m.carrier == carrier}
        per_day: dict[dt.date, float] = {}
        seen: set[dt.date] = set()
        for r in md:
            if r["meter_id"] in supply:
                per_day[r["day"]] = per_day.get(r["day"], 0.0) + r["amount"]
                seen.add(r["day"])
        unit = _carrier_unit(ctx, carrier)
        idle = [(d, per_day.get(d, 0.0)) for d in ctx.days if d not in prod_days]
        idle = [(d, a) for d, a in idle if a > 0]
        if idle:
            busy = [per_day.get(d, 0.0) for d in ctx.days if d in prod_days]
            mean_busy = sum(busy) / len(busy) if busy else None
            total = sum(a for _, a in idle)
            out_idle.append(
                finding(
                    "quality.production.idle_energy",
                    carrier=carrier,
                    unit=unit,
                    days=len(idle),
                    amount=_num(total),
                    mean_idle_day=_num(total / len(idle)),
                    mean_production_day=_num(mean_busy),
                    idle_share_pct=_num(
                        100.0 * total / sum(per_day.values()) if sum(per_day.values()) else None,
                        4,
                    ),
                    meters=sorted(supply),
                    by_day=[{"day": d.isoformat(), "amount": _num(a)} for d, a in idle],
                )
            )
        none = [d for d in ctx.days if d in prod_days and per_day.get(d, 0.0) <= 0]
        if none:
            out_none.append(
                finding(
                    "quality.production.no_energy",
                    carrier=carrier,
                    count=len(none),
                    meters=sorted(supply),
                    days=[{"day": d.isoformat(), "intervals_closed": d in seen} for d in none],
                    first=none[0].isoformat(),
                )
            )
    return out_idle + out_none


def _mold_no_output(ctx: _Context) -> list[Finding]:
    samples = ctx.table("mold_temperature")
    site = ctx.site
    lines = {c.id: c.line for c in site.temperature_controllers if c.line}
    if samples is None or not lines:
        return []
    x = samples.filter((samples.state == "producing") & samples.controller_id.isin(sorted(lines)))
    x = x.mutate(b=((x.ts.epoch_seconds() + (BUCKET_S - 1)) // BUCKET_S).cast("int64"))
    # a count per 15-min bucket is all the scan computes (first, last and row over every
    # sample took four times as long); the details are looked up for the listed days only
    per_b = x.group_by(["controller_id", "b"]).aggregate(n=x.count())
    bt = ctx.buckets
    j = per_b.join(bt, per_b.b == bt.b)
    per_day = j.group_by(["controller_id", "day"]).aggregate(n=j.n.sum())
    _, by_line = _production_day_set(ctx)
    rows = ctx.rows(per_day.order_by(["controller_id", "day"]))
    bad: dict[str, list[dict[str, Any]]] = {}
    for c in site.temperature_controllers:
        if c.id in lines:
            made = by_line.get(c.line or "", set())
            bad[c.id] = [r for r in rows if r["controller_id"] == c.id and r["day"] not in made]
    listed = [(cid, r["day"]) for cid, rs in bad.items() for r in rs[:EXAMPLES]]
    detail: dict[tuple[str, dt.date], dict[str, Any]] = {}
    if listed:
        keys = ibis.memtable(
            pa.table(
                {
                    "k_controller": pa.array([k[0] for k in listed], pa.string()),
                    "k_day": pa.array([k[1] for k in listed], pa.date32()),
                }
            )
        )
        kb = bt.join(keys, bt.day == keys.k_day)
        y = x.join(kb, (x.controller_id == kb.k_controller) & (x.b == kb.b))
        for r in ctx.rows(
            y.group_by(["controller_id", "day"]).aggregate(
                first=y.ts.min(), last=y.ts.max(), row=y._row.min()
            )
        ):
            detail[(r["controller_id"], r["day"])] = r
    out = []
    for c in site.temperature_controllers:
        rs = bad.get(c.id)
        if not rs:
            continue
        days = []
        for r in rs[:EXAMPLES]:
            d = detail[(c.id, r["day"])]
            days.append(
                {
                    "day": r["day"].isoformat(),
                    "producing_samples": int(r["n"]),
                    "first": ctx.local(d["first"]),
                    "last": ctx.local(d["last"]),
                    "_row": d["row"],
                }
            )
        out.append(
            finding(
                "quality.mold.no_output",
                controller=c.id,
                line=c.line,
                count=len(rs),
                samples=int(sum(r["n"] for r in rs)),
                days=days,
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# calibration


def _calibration(ctx: _Context) -> list[Finding]:
    cal = ctx.table("calibrations")
    if cal is None:
        return []
    site = ctx.site
    certs: dict[str, list[dict[str, Any]]] = {}
    for r in ctx.rows(cal.order_by("_row")):
        certs.setdefault(r["instrument_id"], []).append(r)
    if not certs:
        return []
    zone = site.zone

    def utc(d: dt.date) -> dt.datetime:
        return dt.datetime.combine(d, dt.time(), zone).astimezone(dt.UTC)

    # per instrument: first in-period data, and rows before / after a cut-off instant
    first_cal = {i: min(cs, key=lambda r: r["calibrated_on"]) for i, cs in certs.items()}
    last_valid = {i: max(r["valid_until"] for r in cs) for i, cs in certs.items()}
    cut_ids, before_cut, after_cut = [], [], []
    for i in certs:
        cut_ids.append(i)
        before_cut.append(utc(first_cal[i]["calibrated_on"]))
        after_cut.append(utc(last_valid[i] + dt.timedelta(days=1)))
    cuts = ibis.memtable(
        pa.table(
            {
                "c_id": pa.array(cut_ids, pa.string()),
                "before_cut": pa.array(before_cut, pa.timestamp("us", tz="UTC")),
                "after_cut": pa.array(after_cut, pa.timestamp("us", tz="UTC")),
            }
        )
    )
    stats: dict[str, dict[str, Any]] = {}
    for name, col in (
        ("readings", "meter_id"),
        ("mold_temperature", "controller_id"),
        ("heat_streams", "stream_id"),
    ):
        t = ctx.table(name)
        if t is None:
            continue
        t = t.filter((t.ts > ibis.literal(ctx.start)) & (t.ts <= ibis.literal(ctx.end))).select(
            inst=t[col], ts=t.ts, _row=t._row
        )
        j = t.join(cuts, t.inst == cuts.c_id)
        after = j.ts >= j.after_cut
        # no argmin for the first row here: it would sort every row; the finding looks
        # the row up (_first_row)
        agg = j.group_by("inst").aggregate(
            first=j.ts.min(),
            n_before=(j.ts < j.before_cut).sum(),
            n_after=after.sum(),
            first_after=j.ts.min(where=after),
        )
        for r in ctx.rows(agg):
            stats[r["inst"]] = {**r, "table": name, "column": col}
    out_issued, out_expired = [], []
    for inst in sorted(certs):
        s = stats.get(inst)
        if s is None:
            continue
        c0 = first_cal[inst]
        if s["n_before"]:
            out_issued.append(
                finding(
                    "quality.calibration.issued_after_data",
                    instrument=inst,
                    certificate=c0["certificate_no"],
                    calibrated_on=c0["calibrated_on"].isoformat(),
                    first_data=ctx.local(s["first"]),
                    rows_before=int(s["n_before"]),
                    table=s["table"],
                    _row=c0["_row"],
                    first_data_row=_first_row(ctx, s["table"], s["column"], inst, s["first"]),
                )
            )
        lv = last_valid[inst]
        if site.period.start <= lv < site.period.end and s["n_after"]:
            cert = max(certs[inst], key=lambda r: r["valid_until"])
            out_expired.append(
                finding(
                    "quality.calibration.expired_during_period",
                    instrument=inst,
                    certificate=cert["certificate_no"],
                    valid_until=lv.isoformat(),
                    rows_after=int(s["n_after"]),
                    first_after=ctx.local(s["first_after"]),
                    table=s["table"],
                    _row=cert["_row"],
                )
            )
    return out_issued + out_expired


def _first_row(ctx: _Context, name: str, col: str, inst: str, ts: dt.datetime) -> int | None:
    """``_row`` of the sample of ``inst`` (column ``col`` of table ``name``) at ``ts``, the
    smallest of equal times: the first data row of a calibration finding."""
    t = ctx.table(name)
    if t is None:
        return None
    x = t.filter((t[col] == inst) & (t.ts == ibis.literal(ts)))
    return ctx.con.to_pyarrow(x._row.min()).as_py()


# ---------------------------------------------------------------------------------------------
# melting


def _implied_yield(ctx: _Context) -> list[Finding]:
    melt, prod = ctx.table("melting"), ctx.table("production")
    if melt is None or prod is None:
        return []
    site = ctx.site

    def member(t: ir.Table) -> ir.BooleanValue:
        return ibis.cases(
            (t.ts.notnull(), (t.ts > ibis.literal(ctx.start)) & (t.ts <= ibis.literal(ctx.end))),
            else_=(t.date >= ibis.literal(site.period.start))
            & (t.date <= ibis.literal(site.period.end)),
        )

    m = melt.filter(member(melt))
    metal = ctx.con.to_pyarrow(m.metal_kg.sum()).as_py() or 0.0
    p = prod.filter(member(prod))
    by_sku = ctx.rows(p.group_by("sku").aggregate(good=p.good_qty.sum()))
    mass = {pr.sku: pr.unit_mass_kg for pr in site.products}
    good = sum((r["good"] or 0.0) * mass.get(r["sku"], 0.0) for r in by_sku)
    if metal <= 0 or good <= 0:
        return []
    y = good / metal
    lo, hi = ctx.params["yield_min"], ctx.params["yield_max"]
    if lo <= y <= hi:
        return []
    return [
        finding(
            "quality.melting.implied_yield",
            implied_yield=_num(y, 4),
            good_mass_t=_num(good / 1000),
            metal_t=_num(metal / 1000),
            range=[lo, hi],
            direction="high" if y > hi else "low",
        )
    ]
