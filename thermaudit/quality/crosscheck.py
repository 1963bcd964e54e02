"""Cross-department reconciliation: production, meters and mold logs against the maintenance
log, and production's scrap against the quality department's (issue 19, section 3).

:func:`cross_check` compares what the departments recorded about the same equipment, line
and day. It returns findings (codes of :data:`CODES`, catalogue ``data/findings.csv``) and a
summary of what was compared and what matched (``assessment.json`` ``cross_department``,
shown by ``thermaudit check`` and in the report's data-quality chapter).

Rules (defaults in :data:`THRESHOLDS`; a specification parameter of the same name overrides
one, as for :data:`thermaudit.quality.checks.THRESHOLDS`):

``quality.maintenance.production``
    A ``maintenance`` window of equipment that has a ``line`` in ``site.yaml`` and production
    with output (good + scrap > 0) on that line during the window. A date-only production
    row (a day's or shift's output without an instant) conflicts with every window that
    overlaps its local day, since the day's output cannot be placed before or after the
    window; a timestamped row conflicts when its instant (the end of its shift) lies in
    (start, end]. One finding per window, naming the production rows. Equipment without a
    line is not compared (counted in the summary).
``quality.maintenance.full_load``
    A meter dedicated to the equipment (its ``equipment`` lists that id alone; electricity)
    whose mean power over the window's intervals (each interval wholly inside the window)
    is at least ``maintenance_load_fraction`` (0.3) × the equipment's ``rated_kw``: a
    machine under maintenance is switched off or at a few per cent of its rating; a
    die-casting machine that casts averages 30–60 % of its rated motor power (pump
    unloaded between shots), so 30 % means production-level load. Windows shorter than one
    interval of the meter, and equipment without ``rated_kw``, are not judged.
``quality.scrap.mismatch``
    Per (date, SKU, line) of the ``quality`` table in the period: Δ = quality scrap −
    production scrap (Σ of the production rows of that day, SKU and line; none gives 0).
    Beyond the tolerance when |Δ| > max(``scrap_tolerance_pieces`` (2),
    ``scrap_tolerance_pct`` (5) % × production scrap). The metrics use production's scrap
    (the contract's processed mass = good + scrap of ``production``); the finding says so.
    One finding per (line, SKU), naming the days and rows.
``quality.mold.output_without_producing``
    A line with temperature controllers whose samples carry a ``state``: a local day with
    output on the line on which its controllers logged samples but none ``producing``.
    Days on which they logged nothing are not judged (a logger gap, not a contradiction).
    The opposite direction (``producing`` samples on a day without output) is
    ``quality.mold.no_output`` of :mod:`thermaudit.quality.checks`; the summary counts
    both by the same rule (days are local days, interval-end convention).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ibis
import pyarrow as pa

from thermaudit.dataset.model import NormalizedDataset
from thermaudit.dataset.site import Site
from thermaudit.quality.checks import BUCKET_S, EXAMPLES, _day_buckets
from thermaudit.quality.findings import Finding, finding
from thermaudit.quality.intervals import interval_amounts

#: default tolerances; a specification parameter of the same name overrides one
THRESHOLDS: dict[str, float] = {
    "maintenance_load_fraction": 0.3,
    "scrap_tolerance_pct": 5.0,
    "scrap_tolerance_pieces": 2.0,
}

#: codes this module emits
CODES = (
    "quality.maintenance.production",
    "quality.maintenance.full_load",
    "quality.scrap.mismatch",
    "quality.mold.output_without_producing",
)

#: the comparisons of the summary, in the order shown, with their names (zh, en, ko)
CHECK_LABELS: dict[str, tuple[str, str, str]] = {
    "maintenance_production": (
        "维护时段与产量记录",
        "Maintenance windows against production",
        "정비 시간과 생산 기록",
    ),
    "maintenance_energy": (
        "维护时段与设备专用计量",
        "Maintenance windows against the equipment's meter",
        "정비 시간과 설비 전용 계량",
    ),
    "scrap": (
        "质量部门废品与生产废品",
        "Quality department's scrap against production's",
        "품질 부서 불량과 생산 불량",
    ),
    "mold_producing": (
        "模温机生产状态与产量",
        "Controllers producing against output",
        "금형온도조절기 생산 상태와 생산 실적",
    ),
    "mold_output": (
        "产量与模温机生产状态",
        "Output against controllers producing",
        "생산 실적과 금형온도조절기 생산 상태",
    ),
}
CHECKS = tuple(CHECK_LABELS)
#: what a check counts (zh, en, ko)
UNIT_LABELS: dict[str, tuple[str, str, str]] = {
    "windows": ("维护时段", "windows", "정비 시간"),
    "records": ("记录（日期·产品·产线）", "records (day, SKU, line)", "기록(일자·품목·라인)"),
    "controller-days": ("模温机·日", "controller-days", "조절기·일"),
    "line-days": ("产线·日", "line-days", "라인·일"),
}


@dataclass
class CrossCheck:
    """The findings and the summary of :func:`cross_check`."""

    findings: list[Finding] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Ctx:
    con: ibis.BaseBackend
    dataset: NormalizedDataset
    site: Site
    params: dict[str, float]

    def rows(self, name: str) -> list[dict[str, Any]]:
        if not self.dataset.has(name):
            return []
        return self.con.to_pyarrow(self.con.read_parquet(self.dataset.tables[name])).to_pylist()

    def local(self, t: dt.datetime) -> str:
        return t.astimezone(self.site.zone).isoformat(timespec="seconds")

    def in_period(self, d: dt.date) -> bool:
        return self.site.period.start <= d <= self.site.period.end


def cross_check(
    dataset: NormalizedDataset,
    *,
    con: ibis.BaseBackend,
    parameters: Mapping[str, float] | None = None,
) -> CrossCheck:
    """Reconcile the departments' records of ``dataset`` (see the module docstring).

    Parameters
    ----------
    dataset : NormalizedDataset
    con : ibis backend
        Engine to run on.
    parameters : mapping, optional
        Specification parameters; keys of :data:`THRESHOLDS` override the defaults.

    Returns
    -------
    CrossCheck
        Findings in a stable order (by check, then subject) and the summary: per check of
        :data:`CHECKS` what was compared, how much was consistent and inconsistent.
    """
    params = {k: float((parameters or {}).get(k, v)) for k, v in THRESHOLDS.items()}
    ctx = _Ctx(con, dataset, dataset.site, params)
    windows = _windows(ctx)
    production = _production(ctx)
    result = CrossCheck()
    checks: list[dict[str, Any]] = []
    for run in (_maintenance_production, _maintenance_energy):
        fs, summary = run(ctx, windows, production)
        result.findings += fs
        checks.append(summary)
    for run2 in (_scrap, _mold):
        fs, summaries = run2(ctx, production)
        result.findings += fs
        checks += summaries
    result.summary = {
        "tables": {name: dataset.has(name) for name in ("maintenance", "quality")},
        "maintenance_windows": {
            "total": len(windows),
            "in_period": sum(1 for w in windows if w["in_period"]),
            "planned": sum(1 for w in windows if w["in_period"] and w["kind"] == "planned"),
            "unplanned": sum(1 for w in windows if w["in_period"] and w["kind"] == "unplanned"),
        },
        "scrap_used_by_metrics": "production",
        "thresholds": params,
        "checks": checks,
    }
    return result


# ---------------------------------------------------------------------------------------------
# inputs


def _windows(ctx: _Ctx) -> list[dict[str, Any]]:
    """The maintenance windows with their equipment's line, local days and membership of
    the period (a window belongs when it overlaps (period start 00:00, day after end])."""
    lo, hi = ctx.site.period_bounds_utc()
    eq = {e.id: e for e in ctx.site.equipment}
    z = ctx.site.zone
    out = []
    for r in sorted(ctx.rows("maintenance"), key=lambda r: r["_row"]):
        start, end = r["start"], r["end"]
        last = end if end == start else end - dt.timedelta(microseconds=1)
        d, days = start.astimezone(z).date(), []
        while d <= last.astimezone(z).date():
            if ctx.in_period(d):
                days.append(d)
            d += dt.timedelta(days=1)
        e = eq.get(r["equipment_id"])
        out.append(
            {
                **r,
                "line": e.line if e is not None else None,
                "rated_kw": e.rated_kw if e is not None else None,
                "days": days,
                "in_period": start < hi and end > lo,
            }
        )
    return out


def _production(ctx: _Ctx) -> list[dict[str, Any]]:
    """Production rows of the period with output (date, ts, sku, line, good, scrap, row)."""
    prod = ctx.con.read_parquet(ctx.dataset.tables["production"])
    p = prod.filter(
        (prod.date >= ibis.literal(ctx.site.period.start))
        & (prod.date <= ibis.literal(ctx.site.period.end))
    ).select("date", "ts", "sku", "line", "good_qty", "scrap_qty", "_row")
    return ctx.con.to_pyarrow(p.order_by("_row")).to_pylist()


def _summary(
    check: str, unit: str, compared: int, inconsistent: int, **extra: Any
) -> dict[str, Any]:
    return {
        "check": check,
        "unit": unit,
        "compared": compared,
        "consistent": compared - inconsistent,
        "inconsistent": inconsistent,
        **extra,
    }


# ---------------------------------------------------------------------------------------------
# maintenance against production and meters


def _maintenance_production(
    ctx: _Ctx, windows: list[dict[str, Any]], production: list[dict[str, Any]]
) -> tuple[list[Finding], dict[str, Any]]:
    by_line: dict[str, list[dict[str, Any]]] = {}
    for p in production:
        if p["good_qty"] + p["scrap_qty"] > 0:
            by_line.setdefault(p["line"], []).append(p)
    out = []
    compared = no_line = 0
    for w in windows:
        if not w["in_period"]:
            continue
        if w["line"] is None:
            no_line += 1
            continue
        compared += 1
        days = set(w["days"])
        hits = [
            p
            for p in by_line.get(w["line"], [])
            if (p["ts"] is None and p["date"] in days)
            or (p["ts"] is not None and w["start"] < p["ts"] <= w["end"])
        ]
        if not hits:
            continue
        out.append(
            finding(
                "quality.maintenance.production",
                equipment=w["equipment_id"],
                line=w["line"],
                kind=w["kind"],
                start=ctx.local(w["start"]),
                end=ctx.local(w["end"]),
                _row=w["_row"],
                count=len(hits),
                good_qty=int(sum(p["good_qty"] for p in hits)),
                days=sorted({p["date"].isoformat() for p in hits}),
                production_rows=[p["_row"] for p in hits[:EXAMPLES]],
            )
        )
    return out, _summary(
        "maintenance_production", "windows", compared, len(out), not_compared=no_line
    )


def _maintenance_energy(
    ctx: _Ctx, windows: list[dict[str, Any]], production: list[dict[str, Any]]
) -> tuple[list[Finding], dict[str, Any]]:
    del production  # the energy side needs the readings only
    site = ctx.site
    pairs = []  # (window index, meter, rated kW)
    for i, w in enumerate(windows):
        if not w["in_period"] or not w["rated_kw"]:
            continue
        for m in site.meters:
            if (
                m.equipment == [w["equipment_id"]]
                and m.carrier == "electricity"
                and m.quantity == "active"
            ):
                pairs.append((i, m))
    if not pairs:
        return [], _summary("maintenance_energy", "windows", 0, 0)
    readings = ctx.con.read_parquet(ctx.dataset.tables["readings"])
    meter_ids = sorted({m.id for _, m in pairs})
    readings = readings.filter(readings.meter_id.isin(meter_ids))
    events = None
    if ctx.dataset.has("meter_events"):
        events = ctx.con.read_parquet(ctx.dataset.tables["meter_events"])
    iv = interval_amounts(readings, events, site)
    step = {m.id: m.interval_s for _, m in pairs}
    keys = pa.table(
        {
            "k_pair": pa.array(range(len(pairs)), pa.int64()),
            "k_meter": pa.array([m.id for _, m in pairs], pa.string()),
            "k_start": pa.array([windows[i]["start"] for i, _ in pairs], pa.timestamp("us", "UTC")),
            "k_end": pa.array([windows[i]["end"] for i, _ in pairs], pa.timestamp("us", "UTC")),
            "k_step": pa.array([step[m.id] for _, m in pairs], pa.float64()),
        }
    )
    k = ibis.memtable(keys)
    t1 = iv.ts.epoch_seconds()
    seconds = ibis.cases(
        ((iv.kind == "interval") & k.k_step.notnull(), k.k_step),
        else_=(t1 - iv.prev_ts.epoch_seconds()).cast("float64"),
    )
    j = iv.join(k, iv.meter_id == k.k_meter).mutate(seconds=seconds)
    j = j.filter(
        j.amount.notnull()
        & j.seconds.notnull()
        & (j.ts <= j.k_end)
        & ((j.ts.epoch_seconds() - j.seconds) >= j.k_start.epoch_seconds())
    )
    agg = j.group_by("k_pair").aggregate(kwh=j.amount.sum(), s=j.seconds.sum(), n=j.count())
    got = {r["k_pair"]: r for r in ctx.con.to_pyarrow(agg).to_pylist()}
    frac = ctx.params["maintenance_load_fraction"]
    out, compared = [], 0
    for n, (i, m) in enumerate(pairs):
        r = got.get(n)
        if r is None or not r["s"]:
            continue
        compared += 1
        w = windows[i]
        kw = r["kwh"] / (r["s"] / 3600.0)
        if kw < frac * w["rated_kw"]:
            continue
        out.append(
            finding(
                "quality.maintenance.full_load",
                equipment=w["equipment_id"],
                meter=m.id,
                kind=w["kind"],
                start=ctx.local(w["start"]),
                end=ctx.local(w["end"]),
                _row=w["_row"],
                mean_kw=round(kw, 1),
                rated_kw=w["rated_kw"],
                load_pct=round(100.0 * kw / w["rated_kw"], 1),
                threshold_pct=round(100.0 * frac, 1),
                intervals=int(r["n"]),
                energy_kwh=round(r["kwh"], 3),
            )
        )
    return out, _summary("maintenance_energy", "windows", compared, len(out))


# ---------------------------------------------------------------------------------------------
# quality against production


def _scrap(
    ctx: _Ctx, production: list[dict[str, Any]]
) -> tuple[list[Finding], list[dict[str, Any]]]:
    if not ctx.dataset.has("quality"):
        return [], [_summary("scrap", "records", 0, 0)]
    made: dict[tuple[dt.date, str, str], dict[str, Any]] = {}
    for p in production:
        key = (p["date"], p["sku"], p["line"])
        rec = made.setdefault(key, {"scrap": 0.0, "good": 0.0, "rows": []})
        rec["scrap"] += p["scrap_qty"]
        rec["good"] += p["good_qty"]
        rec["rows"].append(p["_row"])
    tol_pct = ctx.params["scrap_tolerance_pct"]
    tol_pieces = ctx.params["scrap_tolerance_pieces"]
    quality: dict[tuple[dt.date, str, str], dict[str, Any]] = {}
    for q in ctx.rows("quality"):
        if not ctx.in_period(q["date"]):
            continue
        rec = quality.setdefault(
            (q["date"], q["sku"], q["line"]), {"scrap": 0.0, "inspected": 0.0, "rows": []}
        )
        rec["scrap"] += q["scrap_qty"]
        rec["inspected"] += q["inspected_qty"]
        rec["rows"].append(q["_row"])
    bad: dict[tuple[str, str], list[dict[str, Any]]] = {}
    q_total = p_total = 0.0
    for (day, sku, line), q in sorted(quality.items()):
        p = made.get((day, sku, line), {"scrap": 0.0, "good": 0.0, "rows": []})
        q_total += q["scrap"]
        p_total += p["scrap"]
        diff = q["scrap"] - p["scrap"]
        if abs(diff) <= max(tol_pieces, tol_pct / 100.0 * p["scrap"]):
            continue
        bad.setdefault((line, sku), []).append(
            {
                "day": day.isoformat(),
                "quality_scrap": int(q["scrap"]),
                "production_scrap": int(p["scrap"]),
                "difference": int(diff),
                "inspected": int(q["inspected"]),
                "quality_rows": q["rows"],
                "production_rows": p["rows"],
            }
        )
    out = []
    for (line, sku), days in sorted(bad.items()):
        worst = max(days, key=lambda d: abs(d["difference"]))
        out.append(
            finding(
                "quality.scrap.mismatch",
                line=line,
                sku=sku,
                count=len(days),
                day=worst["day"],
                quality_scrap=worst["quality_scrap"],
                production_scrap=worst["production_scrap"],
                used="production",
                days=days[:EXAMPLES],
            )
        )
    n_bad = sum(len(d) for d in bad.values())
    not_inspected = sum(1 for k in made if k not in quality)
    return out, [
        _summary(
            "scrap",
            "records",
            len(quality),
            n_bad,
            quality_scrap=int(q_total),
            production_scrap=int(p_total),
            production_without_record=not_inspected,
        )
    ]


# ---------------------------------------------------------------------------------------------
# mold temperature log against production


def _mold(
    ctx: _Ctx, production: list[dict[str, Any]]
) -> tuple[list[Finding], list[dict[str, Any]]]:
    site = ctx.site
    lines = {c.id: c.line for c in site.temperature_controllers if c.line}
    empty = [_summary("mold_producing", "controller-days", 0, 0)]
    empty.append(_summary("mold_output", "line-days", 0, 0))
    if not ctx.dataset.has("mold_temperature") or not lines:
        return [], empty
    samples = ctx.con.read_parquet(ctx.dataset.tables["mold_temperature"])
    x = samples.filter(samples.state.notnull() & samples.controller_id.isin(sorted(lines)))
    x = x.mutate(
        b=((x.ts.epoch_seconds() + (BUCKET_S - 1)) // BUCKET_S).cast("int64"),
        producing=(x.state == "producing").cast("int64"),
    )
    per_b = x.group_by(["controller_id", "b"]).aggregate(n=x.count(), p=x.producing.sum())
    _, _, bt = _day_buckets(site)
    j = per_b.join(bt, per_b.b == bt.b)
    per_day = j.group_by(["controller_id", "day"]).aggregate(n=j.n.sum(), p=j.p.sum())
    logged: dict[tuple[str, dt.date], tuple[int, int]] = {}
    for r in ctx.con.to_pyarrow(per_day).to_pylist():
        logged[(r["controller_id"], r["day"])] = (int(r["n"]), int(r["p"]))
    if not logged:
        return [], empty
    output: dict[tuple[str, dt.date], list[dict[str, Any]]] = {}
    for p in production:
        if p["good_qty"] + p["scrap_qty"] > 0:
            output.setdefault((p["line"], p["date"]), []).append(p)
    # producing samples against output: the rule of quality.mold.no_output, counted here
    producing = [(c, d) for (c, d), (_, n_p) in logged.items() if n_p > 0]
    no_output = sum(1 for c, d in producing if (lines[c], d) not in output)
    # output against producing samples, per line with logging controllers
    by_line: dict[str, list[str]] = {}
    for c, line in lines.items():
        if any(k[0] == c for k in logged):
            by_line.setdefault(line, []).append(c)
    out = []
    compared = not_logged = 0
    for line, ctrls in sorted(by_line.items()):
        flagged = []
        for (l_, day), rows in sorted(output.items(), key=lambda kv: kv[0][1]):
            if l_ != line:
                continue
            counts = [logged.get((c, day), (0, 0)) for c in ctrls]
            if sum(n for n, _ in counts) == 0:
                not_logged += 1
                continue
            compared += 1
            if sum(n_p for _, n_p in counts) == 0:
                flagged.append(
                    {
                        "day": day.isoformat(),
                        "samples": sum(n for n, _ in counts),
                        "good_qty": int(sum(r["good_qty"] for r in rows)),
                        "production_rows": [r["_row"] for r in rows],
                    }
                )
        if flagged:
            out.append(
                finding(
                    "quality.mold.output_without_producing",
                    line=line,
                    controllers=sorted(ctrls),
                    count=len(flagged),
                    first=flagged[0]["day"],
                    days=flagged[:EXAMPLES],
                )
            )
    n_bad = sum(f.evidence["count"] for f in out)
    return out, [
        _summary("mold_producing", "controller-days", len(producing), no_output),
        _summary("mold_output", "line-days", compared, n_bad, not_compared=not_logged),
    ]
