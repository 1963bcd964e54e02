"""Metric 3, mold temperature control accuracy (模温控制精度).

The definitions are ibis expressions, so the same text runs on DuckDB (default) and on a
distributed engine. The steady-state filter is a fixed number of window passes over the
samples of each controller in time order (lag; cumulative max and sums) and a running max
over the few event candidates joined back: no loop over rows, no pandas.

Public names: :func:`mold_temperature_accuracy`, :func:`steady_samples`, :class:`MoldResult`.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from thermaudit.dataset.site import Site
from thermaudit.engine import batch_rows as engine_batch_rows
from thermaudit.engine import materialize, release, spill_dir
from thermaudit.metrics.grading import pooled_tolerance
from thermaudit.metrics.quantile import exact_quantile

__all__ = ["MoldResult", "mold_temperature_accuracy", "steady_samples"]

#: state value of a sample taken while the cell is making parts (contract, mold_temperature)
PRODUCING = "producing"
#: quantile of |e| that is the accuracy (metrics.md section 3)
ACCURACY_QUANTILE = 0.95

_US_PER_MIN = 60_000_000
_REQUIRED: dict[str, str] = {
    "ts": "timestamp in UTC",
    "controller_id": "string",
    "setpoint_c": "floating-point number [°C]",
    "actual_c": "floating-point number [°C]",
}
#: engine memory per sample that the two window passes over one batch of controllers
#: need without spilling to disk, measured at scale M (28 M samples, 9 controllers)
WINDOW_BYTES_PER_ROW = 100
#: columns of :func:`_annotate` that :func:`_statistics` reads
_ANNOTATED = (
    "controller_id",
    "ts",
    "segment",
    "e",
    "steady",
    "ev_setpoint",
    "ev_time_gap",
    "ev_np_gap",
    "dup_extra",
)
#: keys of a ``by_controller`` entry, in the order of assessment.json
CONTROLLER_KEYS = (
    "p95_abs_c",
    "max_abs_c",
    "bias_c",
    "rms_c",
    "within_tolerance",
    "cpk",
    "samples",
    "pass",
    "tolerance_c",
)


@dataclass(frozen=True)
class MoldResult:
    """Mold temperature control accuracy of one assessment.

    Attributes
    ----------
    value : float or None
        Enterprise accuracy: P95 of |e| over the pooled steady-state samples of all
        controllers. [°C] ``None`` when there is no steady-state sample (never 0).
    by_controller : dict of str to dict
        Per controller id (every controller with a sample in the period, sorted): ``p95_abs_c``,
        ``max_abs_c``, ``bias_c``, ``rms_c`` [°C], ``within_tolerance`` (fraction 0–1),
        ``cpk`` (dimensionless, ``None`` when no segment qualifies), ``samples`` (steady-state
        sample count), ``pass`` (``p95_abs_c`` ≤ ``tolerance_c``) and ``tolerance_c`` [°C].
        Statistics are ``None`` for a controller without steady-state samples.
    steady_samples : int
        Steady-state samples of all controllers.
    facts : dict
        Counts for quality findings and for the report (see
        :func:`mold_temperature_accuracy`, *Returns*).
    passed : bool or None
        ``value`` ≤ ``tolerance_c``; ``None`` when ``value`` is ``None``.
    tolerance_c : float or None
        Tolerance the enterprise value is judged against: the tightest ``tolerance_c`` of the
        controllers that contributed steady-state samples. [°C]
    """

    value: float | None
    by_controller: dict[str, dict[str, Any]]
    steady_samples: int
    facts: dict[str, Any]
    passed: bool | None = None
    tolerance_c: float | None = None
    unit: str = field(default="°C")


def _check_samples(samples: ir.Table) -> None:
    """Refuse a table that is not the normalized ``mold_temperature`` table."""
    schema = samples.schema()
    problems = []
    for name, expected in _REQUIRED.items():
        if name not in schema:
            problems.append(f"column {name!r} ({expected}): missing")
            continue
        dtype = schema[name]
        if name == "ts":
            ok = dtype.is_timestamp() and dtype.timezone in ("UTC", "Etc/UTC")
        elif name == "controller_id":
            ok = dtype.is_string()
        else:
            ok = dtype.is_floating()
        if not ok:
            problems.append(f"column {name!r}: expected {expected}, found {dtype}")
    if "state" in schema and not schema["state"].is_string():
        problems.append(f"column 'state': expected string, found {schema['state']}")
    if problems:
        raise ValueError(
            "mold_temperature samples do not follow the normalized schema "
            "(thermaudit.dataset.model.SCHEMAS['mold_temperature']): " + "; ".join(problems)
        )


def _in_period(samples: ir.Table, site: Site) -> ir.BooleanValue:
    """Contract, *Period membership*: ts in (start 00:00, day after end 00:00] local time."""
    start, end = site.period_bounds_utc()
    return (samples.ts > ibis.literal(start)) & (samples.ts <= ibis.literal(end))


def _annotate(samples: ir.Table, site: Site, keep: tuple[str, ...] = ()) -> ir.Table:
    """Annotate the samples in the period that can be steady or are counted.

    Each gets its steady-state status and cpk segment.

    The result carries ``controller_id``, ``ts``, ``setpoint_c``, ``e``, the flags below and
    the input columns named in ``keep``: every producing sample with an e,
    every event row and every repeated timestamp (``dup_extra``); the other rows are never
    steady and nothing counts them.

    Notes
    -----
    Contract, *Mold temperature steady state*. Within one controller, samples in time order
    (ties in ``_row`` order when the column exists). A row is an *event* when it is

    - the controller's first sample in the period,
    - a setpoint change (the first sample with the new setpoint),
    - the end of a time gap: it follows the previous sample by more than ``gap_min``,
    - the end of a non-producing gap: it is producing, the samples before it back to the
      previous producing sample are not, and the first of them is more than ``gap_min``
      before it.

    anchor = time of the last event at or before the row; the sample is steady when it is
    producing (state ``producing`` or null) and ``ts − anchor ≥ warmup_min``.

    Two window passes over the samples: neighbours (lag), then running counts and the start
    of the current non-producing run. Every event is a *candidate* (first sample, setpoint
    change, end of a time gap, first producing sample after a non-producing one); the second
    pass numbers the stretches each candidate opens, and the anchor of a stretch is a
    running max over the candidates alone, joined back by stretch. The same passes written as
    DuckDB SQL over the scale-M demo (28 M samples) took 9.0–9.8 s against 12.2–13.4 s for
    three passes with the anchor as a third cumulative max over every sample.

    Segments (metrics.md section 3): a maximal run of consecutive steady samples with one
    setpoint. segment = running count of samples that are non-producing, have no e, change
    the setpoint, or (only when ``warmup_min > 0``) end a time gap. Two steady samples share
    it exactly when no non-producing sample, setpoint change or time gap lies between them; with
    ``warmup_min > 0`` every event row is itself non-steady and no producing non-steady
    sample can lie between two steady samples with the same anchor, so this is the
    definition. With ``warmup_min = 0`` every producing sample is steady and a time gap
    without samples does not end a segment (no non-steady sample lies between).
    """
    ss = site.options.steady_state
    warm_us = round(ss.warmup_min * _US_PER_MIN)
    gap_us = round(ss.gap_min * _US_PER_MIN)
    cols = samples.columns

    t = samples.filter(_in_period(samples, site))
    producing = t.state.isnull() | (t.state == PRODUCING) if "state" in cols else ibis.literal(True)
    # only what the window passes need: each operator carries every column it is given
    # through its sort, and the string ``state`` and ``actual_c`` would double the payload
    t = t.select(
        "controller_id",
        "ts",
        "setpoint_c",
        *(["_row"] if "_row" in cols else []),
        *keep,
        producing=producing,
        e=t.actual_c - t.setpoint_c,
    )

    def order(x: ir.Table) -> list[ir.Value]:
        """Time order within a controller; ties in file order when ``_row`` exists."""
        return [x.ts, x._row] if "_row" in cols else [x.ts]

    w = ibis.window(group_by=t.controller_id, order_by=order(t))
    # interval arithmetic on the UTC timestamps: exact (microseconds) and cheap in every engine
    gap = ibis.interval(microseconds=gap_us)
    warm = ibis.interval(microseconds=warm_us)
    no_ts = ibis.null(t.ts.type())

    # pass 1: neighbours
    a = t.mutate(
        prev_ts=t.ts.lag().over(w),
        prev_sp=t.setpoint_c.lag().over(w),
        prev_prod=t.producing.lag().over(w),
    )
    first = a.prev_ts.isnull()
    ev_sp = ~first & ~a.setpoint_c.identical_to(a.prev_sp)
    ev_time_gap = ~first & (a.ts > a.prev_ts + gap)
    np_start = ~a.producing & (first | a.prev_prod)
    np_end = a.producing & ~first & ~a.prev_prod
    # every event is one of these; whether an np_end is one needs its run's start (pass 2)
    candidate = first | ev_sp | ev_time_gap | np_end
    # what ends a cpk segment (see Notes); time gaps end it only through the warm-up after them
    seg_break = ~a.producing | a.e.isnull() | ev_sp
    if warm_us > 0:
        seg_break = seg_break | ev_time_gap
    # the flags as columns and the neighbours dropped: the second pass sorts booleans
    # instead of carrying two timestamps and a setpoint per sample through its sort, and
    # spills less under the engine's limit (one controller of scale L, 31.5 M samples, at
    # 3 GB: 28.9 -> 25.3 s)
    f = a.select(
        "controller_id",
        "ts",
        *(["_row"] if "_row" in cols else []),
        "setpoint_c",
        *keep,
        "producing",
        "e",
        first=first,
        ev_setpoint=ev_sp,
        ev_time_gap=ev_time_gap,
        np_start=np_start,
        np_end=np_end,
        candidate=candidate,
        seg_break=seg_break,
        # a repeated timestamp: every row after the first of its group
        dup_extra=(a.ts == a.prev_ts).fill_null(False),
    )
    cw = ibis.cumulative_window(group_by=f.controller_id, order_by=order(f))
    # pass 2: start of the current non-producing run (for an np_end row, the start of the
    # run it ends: run starts and ends alternate); running counts of segment breaks and of
    # candidates, the latter numbering the stretch that each candidate opens
    b = f.mutate(
        run_start=ibis.ifelse(f.np_start, f.ts, no_ts).max().over(cw),
        segment=f.seg_break.cast("int64").sum().over(cw),
        stretch=f.candidate.cast("int64").sum().over(cw),
    )
    b = b.mutate(ev_np_gap=(b.np_end & (b.ts > b.run_start + gap)).fill_null(False))
    # a row that is neither producing with an e, nor a candidate, nor a repeated timestamp
    # is never steady and never counted: drop it before the rest reads the passes' output
    b = b.filter((b.producing & b.e.notnull()) | b.candidate | b.dup_extra).select(
        "controller_id",
        "ts",
        "setpoint_c",
        *keep,
        "e",
        "producing",
        "first",
        "ev_setpoint",
        "ev_time_gap",
        "ev_np_gap",
        "candidate",
        "segment",
        "stretch",
        "dup_extra",
    )
    # the anchor of a stretch: the last event at or before its candidate, a running max over
    # the candidates alone (a few per hour of samples) instead of a third pass over every row
    c = b.filter(b.candidate)
    event = c.first | c.ev_setpoint | c.ev_time_gap | c.ev_np_gap
    kw = ibis.cumulative_window(group_by=c.controller_id, order_by=c.stretch)
    anchors = c.select(
        anchor_controller_id=c.controller_id,
        anchor_stretch=c.stretch,
        anchor=ibis.ifelse(event, c.ts, no_ts).max().over(kw),
    )
    d = b.inner_join(
        anchors,
        (b.controller_id == anchors.anchor_controller_id) & (b.stretch == anchors.anchor_stretch),
    ).drop("anchor_controller_id", "anchor_stretch")
    return d.mutate(steady=d.producing & d.e.notnull() & (d.ts >= d.anchor + warm))


def steady_samples(samples: ir.Table, site: Site) -> ir.Table:
    """Steady-state samples of every controller, for statistics and control charts.

    Parameters
    ----------
    samples : ibis.Table
        The normalized ``mold_temperature`` table (``SCHEMAS['mold_temperature']``): ``ts``
        (UTC), ``controller_id``, ``setpoint_c`` [°C], ``actual_c`` [°C], optional ``state``
        (null counts as producing) and ``_row`` (orders samples with the same timestamp).
    site : Site
        Gives the period, the time zone and ``options.steady_state`` (``warmup_min``,
        ``gap_min`` [min]).

    Returns
    -------
    ibis.Table
        ``controller_id``, ``ts``, ``setpoint_c``, ``actual_c``, ``e`` = actual − setpoint
        [°C], ``segment`` (int; identifies the cpk segment within its controller, increasing
        in time, not consecutive). Unordered: order by ``controller_id, ts`` to draw.

    Notes
    -----
    Contract ``thermaudit.dataset/1``, *Period membership* and *Mold temperature steady
    state*; see :func:`_annotate` for how each clause is computed.
    """
    _check_samples(samples)
    a = _annotate(samples, site, keep=("actual_c",))
    return a.filter(a.steady).select(
        "controller_id", "ts", "setpoint_c", "actual_c", "e", "segment"
    )


def _tolerances(site: Site, ids: list[str] | None = None) -> ir.Table:
    """Map each controller to its declared tolerance.

    Keyed by the position in ``ids`` when given (see :func:`_coded`).
    """
    declared = {c.id: c.tolerance_c for c in site.temperature_controllers}
    if ids is None:
        keys: pa.Array = pa.array(list(declared), pa.string())
        values: list[float | None] = list(declared.values())
    else:
        keys = pa.array(range(len(ids)), pa.int32())
        values = [declared.get(cid) for cid in ids]
    return ibis.memtable(
        pa.table({"controller_id": keys, "tolerance_c": pa.array(values, pa.float64())})
    ).rename(tol_controller_id="controller_id")


def _coded(samples: ir.Table, ids: list[str]) -> ir.Table:
    """``controller_id`` replaced by its position in ``ids`` (int32).

    The window passes partition and sort by controller; an integer key instead of the
    string makes them about a quarter cheaper (measured at scale M: 31 → 22 s of CPU).
    """
    if not ids:
        return samples.mutate(controller_id=ibis.null("int32"))
    branches = ((cid, ibis.literal(i, "int32")) for i, cid in enumerate(ids))
    return samples.mutate(controller_id=samples.controller_id.cases(*branches))


def _kept(a: ir.Table) -> ir.Table:
    """Keep the annotated rows that :func:`_statistics` reads: steady samples, event rows.

    Every other row (non-producing, warming up) only counts, and the counts of rows and
    producing rows come from one cheap aggregate over the input instead; at a year of
    samples this halves what the window passes write.
    """
    return a.filter(a.steady | a.ev_setpoint | a.ev_time_gap | a.ev_np_gap | a.dup_extra)


def _statistics(a: ir.Table, tol: ir.Table, pooled: bool = True) -> ir.Table:
    """Summarize each controller with kept rows (:func:`_kept`) in one row.

    Event counts, statistics, cpk and (with ``pooled``) the pooled P95 of |e| as ``value``
    with its ``pooled_samples``.

    A duplicated timestamp's rows are counted as the extra rows (``dup_extra``, every row
    after the first of its group) plus one per group (distinct timestamps among them).
    """
    dup = a.filter(a.dup_extra)
    groups = (
        dup.group_by(dup.controller_id)
        .aggregate(dup_groups=dup.ts.nunique())
        .rename(dup_controller_id="controller_id")
    )
    per = a.left_join(tol, a.controller_id == tol.tol_controller_id)
    per_abs = per.e.abs()
    stats = per.group_by(per.controller_id).aggregate(
        samples=per.steady.cast("int64").sum(),
        setpoint_changes=per.ev_setpoint.cast("int64").sum(),
        time_gaps=per.ev_time_gap.cast("int64").sum(),
        nonproducing_gaps=per.ev_np_gap.cast("int64").sum(),
        duplicate_extra_rows=per.dup_extra.cast("int64").sum(),
        tolerance_c=per.tolerance_c.max(),
        p95_abs_c=per_abs.quantile(ACCURACY_QUANTILE, where=per.steady),
        max_abs_c=per_abs.max(where=per.steady),
        bias_c=per.e.mean(where=per.steady),
        rms_c=(per.e * per.e).mean(where=per.steady).sqrt(),
        within_tolerance=(per_abs <= per.tolerance_c).cast("float64").mean(where=per.steady),
    )

    # Cpk per segment; σ of e equals σ of the actual temperature within a segment (one
    # setpoint) and is computed on e for numerical accuracy; min(USL − μ, μ − LSL) with
    # USL/LSL = setpoint ± tolerance is tolerance − |mean e|.
    st = a.filter(a.steady)
    seg = st.group_by([st.controller_id, st.segment]).aggregate(
        n=st.count(), mean_e=st.e.mean(), sd=st.e.std(how="pop")
    )
    seg = seg.left_join(tol, seg.controller_id == tol.tol_controller_id)
    ok = (seg.n >= 2) & (seg.sd > 0) & seg.tolerance_c.notnull()
    seg = seg.mutate(
        ok=ok,
        cpk_n=ibis.ifelse(ok, (seg.tolerance_c - seg.mean_e.abs()) / (3 * seg.sd) * seg.n, None),
        n_ok=ibis.ifelse(ok, seg.n, 0),
    )
    cpk = (
        seg.group_by(seg.controller_id)
        .aggregate(
            cpk_sum=seg.cpk_n.sum(),
            cpk_weight=seg.n_ok.sum(),
            segments=seg.count(),
            cpk_segments=seg.ok.cast("int64").sum(),
        )
        .rename(cpk_controller_id="controller_id")
    )

    out = stats.left_join(cpk, stats.controller_id == cpk.cpk_controller_id)
    out = out.left_join(groups, out.controller_id == groups.dup_controller_id)
    out = out.mutate(
        cpk=ibis.ifelse(out.cpk_weight > 0, out.cpk_sum / out.cpk_weight, ibis.null("float64")),
        duplicate_rows=out.duplicate_extra_rows + out.dup_groups.fill_null(0),
    ).drop("cpk_sum", "cpk_weight", "cpk_controller_id", "dup_groups", "dup_controller_id")
    if not pooled:
        return out
    return out.cross_join(
        st.aggregate(value=st.e.abs().quantile(ACCURACY_QUANTILE), pooled_samples=st.count())
    )


def _float(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def _batch_rows(con: ibis.BaseBackend) -> int | None:
    """Return the samples per batch whose window passes fit in DuckDB's memory.

    ``None`` (one pass) on an engine that partitions and spills by itself (Spark).
    """
    return engine_batch_rows(con, WINDOW_BYTES_PER_ROW)


def _batches(rows: dict[str, int], limit: int) -> list[list[str]]:
    """Pack controllers (sorted) greedily into batches of at most ``limit`` samples.

    Samples are counted in the period; a controller with more samples than that is a batch
    of its own.
    """
    out: list[list[str]] = []
    size = 0
    for cid in sorted(rows):
        if out and size + rows[cid] <= limit:
            out[-1].append(cid)
            size += rows[cid]
        else:
            out.append([cid])
            size = rows[cid]
    return out


def _batched_statistics(
    con: ibis.BaseBackend, samples: ir.Table, site: Site, batches: list[list[str]]
) -> tuple[list[dict[str, Any]], float | None]:
    """Rows of :func:`_statistics` for every controller and the pooled P95 of |e|.

    Controllers are independent in the steady-state filter, so the window passes run per
    batch of controllers (:func:`_batches`), each into a narrow table that the statistics
    read three times (per controller, per cpk segment, pooled); recomputing the windows per
    read would double the time. With more than one batch, the pooled P95 is taken by
    :func:`~thermaudit.metrics.quantile.exact_quantile` over the |e| of every batch,
    spooled to Parquet: the same number, in bounded memory.
    """
    ids = sorted(cid for batch in batches for cid in batch)
    tol = _tolerances(site, ids)

    def rows(expr: ir.Table) -> list[dict[str, Any]]:
        out = con.to_pyarrow(expr).to_pylist()
        for r in out:
            r["controller_id"] = ids[r["controller_id"]]
        return out

    if len(batches) <= 1:
        narrow = materialize(con, _kept(_annotate(_coded(samples, ids), site)).select(*_ANNOTATED))
        try:
            table = rows(_statistics(narrow, tol))
        finally:
            release(con, narrow)
        pooled = [r for r in table if r["pooled_samples"]]
        return table, _float(pooled[0]["value"]) if pooled else None
    table = []
    with tempfile.TemporaryDirectory(prefix="mold-", dir=spill_dir()) as tmp:
        spooled = []
        for i, batch in enumerate(batches):
            sub = _coded(samples.filter(samples.controller_id.isin(batch)), ids)
            narrow = materialize(con, _kept(_annotate(sub, site)).select(*_ANNOTATED))
            try:
                table += rows(_statistics(narrow, tol, pooled=False))
                path = Path(tmp) / f"abs_e_{i:04d}.parquet"
                st = narrow.filter(narrow.steady)
                con.to_parquet(st.select(abs_e=st.e.abs()), path)
                spooled.append(str(path))
            finally:
                release(con, narrow)
        value, _ = exact_quantile(con, con.read_parquet(spooled), "abs_e", ACCURACY_QUANTILE)
    return table, value


def mold_temperature_accuracy(
    con: ibis.BaseBackend,
    samples: ir.Table,
    site: Site,
    *,
    batch_rows: int | None = None,
    grading: Mapping[str, Any] | None = None,
) -> MoldResult:
    """Mold temperature control accuracy: P95 of |actual − setpoint| over steady state.

    Parameters
    ----------
    con : ibis.BaseBackend
        Engine that executes the expressions (:func:`thermaudit.engine.connect`).
    samples : ibis.Table
        The normalized ``mold_temperature`` table, see :func:`steady_samples`. [°C]
    site : Site
        Period, time zone, ``options.steady_state`` and each controller's ``tolerance_c``.
    batch_rows : int, optional
        Rows of samples per batch of controllers (default: the engine's).
    grading : mapping, optional
        The metric's ``grading`` block of the specification: ``tolerance_of`` and
        ``default_tolerance_c`` decide ``passed`` and ``tolerance_c``
        (:func:`thermaudit.metrics.grading.pooled_tolerance`); without it, the tolerances of
        the contributing controllers and no default.

    Returns
    -------
    MoldResult
        ``value`` [°C], ``by_controller``, ``steady_samples``, ``passed``, ``tolerance_c`` and
        ``facts``:

        - ``rows_in_period``, ``rows_outside_period`` (ignored by the metric) and
          ``rows_outside_period_by_controller``;
        - ``duplicate_timestamp_rows``: per controller, rows in the period that share
          controller and timestamp with another row (all are kept);
          ``duplicate_timestamp_extra_rows``:
          per controller, rows beyond the first at a timestamp;
        - ``controllers_without_steady_samples`` (have samples, none steady),
          ``controllers_without_samples`` (declared in site.yaml, no sample in the period),
          ``unknown_controllers`` (samples of an id site.yaml does not declare: no tolerance,
          so no ``within_tolerance``, ``cpk`` or ``pass``);
        - ``by_controller``: per controller ``rows``, ``producing``, ``steady``,
          ``setpoint_changes``, ``time_gaps``, ``nonproducing_gaps`` (gaps longer than ``gap_min``),
          ``segments`` and ``cpk_segments`` (segments that qualify for Cpk).

    Notes
    -----
    For each controller over its steady-state samples (contract, *Mold temperature steady
    state*), with e = actual − setpoint [°C]:

    - ``p95_abs_c`` = linear-interpolation quantile 0.95 of |e| (numpy default, DuckDB
      ``quantile_cont``), ``max_abs_c`` = max |e|, ``bias_c`` = mean e,
      ``rms_c`` = sqrt(mean e²), ``within_tolerance`` = fraction of |e| ≤ tolerance (0–1);
    - Cpk per segment (a maximal run of consecutive steady samples with one setpoint; any
      non-steady sample or setpoint change ends it) = min(USL − μ, μ − LSL) / 3σ of the actual
      temperature against setpoint ± tolerance, σ the population standard deviation;
      segments with fewer than 2 samples or σ = 0 are skipped; the controller's Cpk is the
      sample-weighted mean, ``None`` when no segment qualifies. Cpk ranges over (−∞, ∞);
      ≥ 1.33 is usually read as capable.

    The enterprise value is the P95 of |e| over the pooled steady samples of all
    controllers; it passes when ≤ the tolerance the specification's grading rule names
    (``tolerance_of``; in ``miit-2026-provisional@1`` the tightest among the controllers that
    contributed samples — metrics.md names one tolerance; the tightest is the conservative
    reading when controllers differ). The grade uses the same rule. ``pass`` of a controller
    compares its own P95 with its own tolerance.

    References
    ----------
    metrics.md (``miit-2026-provisional`` v1), section 3; GB/T 39957-2021 (die-casting cell
    ±1 °C, clause to be checked); contract ``thermaudit.dataset/1``.
    """
    _check_samples(samples)
    inside = _in_period(samples, site)
    producing = (
        samples.state.isnull() | (samples.state == PRODUCING)
        if "state" in samples.columns
        else ibis.literal(True)
    )
    per = con.to_pyarrow(
        samples.group_by(samples.controller_id).aggregate(
            rows_in=inside.cast("int64").sum(),
            rows_out=(~inside).cast("int64").sum(),
            producing_in=(inside & producing).cast("int64").sum(),
        )
    ).to_pylist()
    outside_by = {r["controller_id"]: int(r["rows_out"]) for r in per if r["rows_out"]}
    rows_in = {r["controller_id"]: int(r["rows_in"]) for r in per if r["rows_in"]}
    producing_in = {r["controller_id"]: int(r["producing_in"]) for r in per}
    limit = batch_rows or _batch_rows(con)
    batches = _batches(rows_in, limit) if limit else [sorted(rows_in)]
    kept, value = _batched_statistics(con, samples, site, batches)
    # a controller whose in-period rows are all non-producing or warming up keeps no row
    stats = {r["controller_id"]: r for r in kept}
    table = [stats.get(cid, {"controller_id": cid}) for cid in rows_in]

    declared = {c.id: c.tolerance_c for c in site.temperature_controllers}
    by_controller: dict[str, dict[str, Any]] = {}
    counts: dict[str, dict[str, int]] = {}
    for r in sorted(table, key=lambda r: r["controller_id"]):
        cid = r["controller_id"]
        n = int(r.get("samples") or 0)
        tol = _float(declared.get(cid))
        p95 = _float(r["p95_abs_c"]) if n else None
        by_controller[cid] = {
            "p95_abs_c": p95,
            "max_abs_c": _float(r["max_abs_c"]) if n else None,
            "bias_c": _float(r["bias_c"]) if n else None,
            "rms_c": _float(r["rms_c"]) if n else None,
            "within_tolerance": _float(r["within_tolerance"]) if n and tol is not None else None,
            "cpk": _float(r.get("cpk")),
            "samples": n,
            "pass": None if p95 is None or tol is None else p95 <= tol,
            "tolerance_c": tol,
        }
        counts[cid] = {
            "rows": rows_in[cid],
            "producing": producing_in[cid],
            "steady": n,
            "setpoint_changes": int(r.get("setpoint_changes") or 0),
            "time_gaps": int(r.get("time_gaps") or 0),
            "nonproducing_gaps": int(r.get("nonproducing_gaps") or 0),
            "segments": int(r.get("segments") or 0),
            "cpk_segments": int(r.get("cpk_segments") or 0),
        }
    n_steady = sum(c["samples"] for c in by_controller.values())
    if n_steady == 0:
        value = None
    # one rule with the grading (thermaudit.metrics.grading.pooled_tolerance)
    tolerance = pooled_tolerance(
        grading or {"tolerance_of": "contributing"},
        site,
        {cid: c["samples"] for cid, c in by_controller.items()},
    )

    facts: dict[str, Any] = {
        "rows_in_period": sum(c["rows"] for c in counts.values()),
        "rows_outside_period": sum(outside_by.values()),
        "rows_outside_period_by_controller": dict(sorted(outside_by.items())),
        "duplicate_timestamp_rows": {
            r["controller_id"]: int(r["duplicate_rows"])
            for r in sorted(table, key=lambda r: r["controller_id"])
            if r.get("duplicate_rows")
        },
        "duplicate_timestamp_extra_rows": {
            r["controller_id"]: int(r["duplicate_extra_rows"])
            for r in sorted(table, key=lambda r: r["controller_id"])
            if r.get("duplicate_extra_rows")
        },
        "controllers_without_steady_samples": [
            cid for cid, c in by_controller.items() if c["samples"] == 0
        ],
        "controllers_without_samples": sorted(set(declared) - set(by_controller)),
        "unknown_controllers": sorted(set(by_controller) - set(declared)),
        "by_controller": counts,
        "steady_state": {
            "warmup_min": site.options.steady_state.warmup_min,
            "gap_min": site.options.steady_state.gap_min,
        },
    }
    return MoldResult(
        value=value,
        by_controller=by_controller,
        steady_samples=n_steady,
        facts=facts,
        passed=None if value is None or tolerance is None else value <= tolerance,
        tolerance_c=tolerance,
    )
