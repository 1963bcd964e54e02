"""Benchmark ``thermaudit assess`` against hand-written DuckDB SQL and plain pandas.

For each scale (S, M, L of ``thermaudit demo``) the dataset is generated once and cached under
``--data`` (``benchmarks/.data/<scale>/``), imported once into a workspace (the import is timed
and reported, not compared), then the contenders run, each in its own subprocess so that its
peak RSS (``os.wait4`` → ``ru_maxrss``) is its own:

``assess``
    ``python -m thermaudit assess WS -o OUT --no-diagnosis``: the real CLI, all six metrics
    with their findings, uncertainty and ``assessment.json`` (the issue's target).
``assess+diagnosis``
    the default ``thermaudit assess WS -o OUT``, which adds the diagnosis (baseline, waste
    detectors, measures, export priorities); reported, not part of the target.
``sql``
    one raw ``duckdb`` connection over ``read_parquet`` of the normalized files: per-meter
    period consumption (dedup, lag differencing, multiplier, meter events, rollover, boundary
    share), heat per stream, the mold steady-state filter of
    ``thermaudit.metrics.mold._annotate`` written as SQL in its straightforward form (three
    window passes over every sample; ``_annotate`` does two and a join over the few event
    rows), per-controller P95/max/bias/RMS/
    within-tolerance/Cpk and pooled P95, good/processed mass per SKU, metal melted.
``pandas``
    the same aggregates with ``pd.read_parquet``, ``groupby``/``shift``/``cummax``/``cumsum``.
``spark``
    ``thermaudit assess WS -o OUT --no-diagnosis --engine spark`` (``local[2]``): the same
    metrics on the distributed engine; its numbers are compared with ``assess`` like the
    others. After the table, a fixed-cost analysis: the Spark session's start-up, the number
    of queries an assessment runs and the time of a trivial query (the per-query overhead).

The workers read only a JSON *plan* (file paths, period bounds, meter/stream/controller
parameters from ``site.yaml``) written by the parent, so they import duckdb or pandas but not
thermaudit. Their numbers are compared with ``assessment.json``: consumption per meter, heat per
stream and P95 per controller must agree within 1e-9 relative (an independent-route check).

Usage::

    python benchmarks/bench_assess.py --scales S M [L] [--data benchmarks/.data] [--repeat 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CONTENDERS = ("assess", "sql", "pandas", "assess+diagnosis", "spark")
#: relative tolerance of the agreement checks: the three routes evaluate the same formulas in
#: float64; only the summation order differs (parallel hash aggregation), ~1e-15 relative
REL_TOL = 1e-9
#: targets of the issue
TARGET_RATIO = 1.3
TARGET_L_RSS_MB = 4096.0
#: pandas bytes per mold row at peak, measured at scale M (3.1 GB for 29.7 M in-period rows
#: incl. readings/heat; see README) with a margin; used to skip pandas where it cannot fit
PANDAS_BYTES_PER_ROW = 160.0


# ---------------------------------------------------------------------------------------------
# parent: data, workspace, plan


def log(msg: str) -> None:
    print(f"[{dt.datetime.now(dt.UTC):%H:%M:%S}] {msg}", flush=True)


def thermaudit_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "thermaudit", *args]


def ensure_dataset(scale: str, root: Path) -> Path:
    """Generate ``root/dataset`` once; a ``dataset.ok`` marker says generation finished."""
    dataset = root / "dataset"
    marker = root / "dataset.ok"
    if marker.is_file() and (dataset / "site.yaml").is_file():
        log(f"{scale}: reusing dataset {dataset}")
        return dataset
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    log(f"{scale}: generating the dataset (thermaudit demo --scale {scale} --no-run)")
    t0 = time.perf_counter()
    # the child's Rich progress bar (days written) goes to our terminal
    cmd = thermaudit_cmd("demo", "--scale", scale, "--no-run", "-o", str(root))
    subprocess.run(cmd, check=True)
    marker.write_text(f"{dt.datetime.now(dt.UTC).isoformat()} {time.perf_counter() - t0:.1f}\n")
    log(f"{scale}: generated in {time.perf_counter() - t0:.1f} s")
    return dataset


def ensure_workspace(scale: str, root: Path, dataset: Path) -> tuple[Path, float | None]:
    """Import once into ``root/workspace``; returns the import wall time (None if reused)."""
    ws = root / "workspace"
    marker = root / "import.ok"
    if marker.is_file() and ws.is_dir():
        log(f"{scale}: reusing workspace {ws}")
        text = marker.read_text().split()
        return ws, float(text[1]) if len(text) > 1 else None
    if ws.exists():
        shutil.rmtree(ws)
    log(f"{scale}: importing into {ws}")
    t0 = time.perf_counter()
    subprocess.run(thermaudit_cmd("init", str(ws)), check=True, stdout=subprocess.DEVNULL)
    # the import prints its own progress; shown for L, where it takes minutes
    subprocess.run(
        thermaudit_cmd("import", str(dataset), "-w", str(ws)),
        check=True,
        stdout=None if scale == "L" else subprocess.DEVNULL,
    )
    wall = time.perf_counter() - t0
    marker.write_text(f"{dt.datetime.now(dt.UTC).isoformat()} {wall:.2f}\n")
    log(f"{scale}: imported in {wall:.1f} s")
    return ws, wall


def build_plan(ws: Path) -> dict[str, Any]:
    """Everything the workers need from the workspace, as plain JSON (no thermaudit import
    in the workers). Site parameters are read through the package's own loaders."""
    import pyarrow.parquet as pq

    from thermaudit.metrics.spec import load_spec
    from thermaudit.reference import density
    from thermaudit.store import open_workspace
    from thermaudit.units import to_canonical

    ds = open_workspace(ws).current_dataset()
    site = ds.site
    spec = load_spec()
    start, end = site.period_bounds_utc()
    meters = []
    for m in site.meters:
        conv = to_canonical(m.carrier, m.unit, density(m.carrier))
        meters.append(
            {
                "meter_id": m.id,
                "cumulative": m.reading == "cumulative",
                "multiplier": float(m.multiplier),
                "rollover": None if m.rollover is None else m.rollover * conv.factor,
            }
        )
    default_cp = {
        "water": spec.param("water_cp_kj_per_kg_k"),
        "flue_gas": spec.param("flue_gas_cp_kj_per_nm3_k"),
        "air": spec.param("air_cp_kj_per_nm3_k"),
    }
    streams = [
        {
            "stream_id": s.id,
            "cp": s.cp if s.cp is not None else default_cp[s.medium],
            "t_ref_c": s.t_ref_c,
            "interval_s": float(s.interval_s),
            "available": s.kind == "available",
            "medium": s.medium,
        }
        for s in site.heat_streams
    ]
    from thermaudit.metrics.heat import FLOW_FACTORS

    rows = {
        name: pq.ParquetFile(path).metadata.num_rows
        for name, path in ds.tables.items()
        if name in ("readings", "mold_temperature", "heat_streams")
    }
    ss = site.options.steady_state
    return {
        "tables": {k: str(v) for k, v in ds.tables.items()},
        "table_bytes": {k: Path(v).stat().st_size for k, v in ds.tables.items()},
        "rows": rows,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "period_start": site.period.start.isoformat(),
        "period_end": site.period.end.isoformat(),
        "meters": meters,
        "streams": streams,
        "flow_factors": [
            {"medium": md, "unit": u, "factor": f}
            for md, units in FLOW_FACTORS.items()
            for u, f in units.items()
        ],
        "controllers": [
            {"controller_id": c.id, "tolerance_c": c.tolerance_c}
            for c in site.temperature_controllers
        ],
        "products": [
            {"sku": p.sku, "unit_mass_kg": p.unit_mass_kg, "denominator": p.denominator}
            for p in site.products
        ],
        "warmup_us": round(ss.warmup_min * 60_000_000),
        "gap_us": round(ss.gap_min * 60_000_000),
    }


# ---------------------------------------------------------------------------------------------
# running one contender in its own process


def _rss_now_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def _tree_rss_mb(pid: int) -> float:
    """RSS of ``pid`` and all its descendants (Spark's JVM is a child of the Python process,
    which never reaps it, so wait4's peak does not include it)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        rss = _rss_now_mb(p)
        total += 0.0 if math.isnan(rss) else rss
        todo += children.get(p, [])
    return total


def run_child(cmd: list[str], log_path: Path, timeout: float | None) -> dict[str, Any]:
    """Run ``cmd``; wall time (perf_counter) and peak RSS: the larger of that process's (wait4
    rusage) and its process tree's, sampled every 0.5 s."""
    load = os.getloadavg()[0]  # other work on the machine skews the timings: shown per run
    with open(log_path, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
        deadline = None if timeout is None else t0 + timeout
        beat = t0 + 60.0
        tree_peak, sample = 0.0, t0
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            now = time.perf_counter()
            if now > sample:
                sample = now + 0.5
                tree_peak = max(tree_peak, _tree_rss_mb(proc.pid))
            if now > beat:  # progress for long runs (scale L)
                beat = now + 60.0
                log(f"  ... {now - t0:.0f} s, RSS now {_rss_now_mb(proc.pid):.0f} MB")
            if deadline and time.perf_counter() > deadline:
                proc.kill()
                pid, status, ru = os.wait4(proc.pid, 0)
                proc.returncode = -9
                rss = ru.ru_maxrss / 1024.0
                return {
                    "ok": False,
                    "reason": f"killed at timeout {timeout:.0f} s; peak RSS so far {rss:.0f} MB",
                    "wall_s": None,
                    "rss_mb": rss,
                    "load": load,
                }
            time.sleep(0.01)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    res = {
        "wall_s": wall,
        "rss_mb": max(ru.ru_maxrss / 1024.0, tree_peak),
        "ok": proc.returncode == 0,
        "load": load,
    }
    if not res["ok"]:
        res["reason"] = f"exit {proc.returncode}, see {log_path}"
    return res


# ---------------------------------------------------------------------------------------------
# worker: hand-written DuckDB SQL

SQL_METERS = """
WITH r0 AS (
    SELECT meter_id, ts, value FROM read_parquet($readings)
    QUALIFY row_number() OVER (PARTITION BY meter_id, ts ORDER BY _row DESC) = 1
), r AS (
    SELECT r0.meter_id, r0.ts, r0.value, m.cumulative, m.multiplier, m.rollover,
           lag(r0.ts) OVER w AS prev_ts, lag(r0.value) OVER w AS prev_value
    FROM r0 JOIN meters m USING (meter_id)
    WINDOW w AS (PARTITION BY r0.meter_id ORDER BY r0.ts)
), ev AS (      -- the (few) intervals that span a meter event
    SELECT r.meter_id, r.ts, min(e.old_final) AS old_final, min(e.new_initial) AS new_initial,
           count(e.ts) AS event_count
    FROM r JOIN {events} e
      ON r.meter_id = e.meter_id AND r.cumulative AND (
           (r.prev_ts < e.ts AND e.ts < r.ts)
        OR (e.ts = r.ts AND r.value <> e.old_final)
        OR (e.ts = r.prev_ts AND r.prev_value = e.old_final AND r.prev_value <> e.new_initial))
    GROUP BY r.meter_id, r.ts
), k AS (
    SELECT r.*, ev.old_final, ev.new_initial, coalesce(ev.event_count, 0) AS event_count,
           r.value - r.prev_value AS delta
    FROM r LEFT JOIN ev USING (meter_id, ts)
), iv AS (
    SELECT *, CASE WHEN NOT cumulative THEN 'interval' WHEN prev_ts IS NULL THEN 'first'
                   WHEN event_count > 0 THEN 'event' WHEN delta >= 0 THEN 'normal'
                   WHEN rollover IS NOT NULL THEN 'wrap' ELSE 'excluded' END AS kind,
           epoch(CAST(ts AS TIMESTAMP)) AS t1, epoch(CAST(prev_ts AS TIMESTAMP)) AS t0
    FROM k
), a AS (
    SELECT meter_id, ts, prev_ts,
        multiplier * CASE kind WHEN 'interval' THEN value
            WHEN 'event' THEN (old_final - prev_value) + (value - new_initial)
            WHEN 'normal' THEN delta WHEN 'wrap' THEN rollover - prev_value + value END AS amount,
        CAST(least(t1, $e_ep) - greatest(t0, $s_ep) AS DOUBLE) AS overlap,
        kind, t1, t0
    FROM iv
)
SELECT meter_id,
    sum(amount * CASE WHEN kind = 'interval'
                      THEN (CASE WHEN ts > $s AND ts <= $e THEN 1.0 ELSE 0.0 END)
                      WHEN prev_ts IS NULL THEN 0.0
                      WHEN overlap > 0 THEN overlap / CAST(t1 - t0 AS DOUBLE)
                      ELSE 0.0 END) AS consumption,
    count(*) FILTER (WHERE ts > $s AND ts <= $e AND (kind = 'interval' OR prev_ts IS NOT NULL))
        AS received
FROM a GROUP BY meter_id ORDER BY meter_id
"""

SQL_HEAT = """
SELECT h.stream_id,
    sum(h.flow * f.factor * s.cp * (h.t_hot_c - tc.t_cold) * (s.interval_s / 3600.0) / 1e6)
        FILTER (WHERE f.factor IS NOT NULL AND tc.t_cold IS NOT NULL) AS heat_gj,
    count(*) FILTER (WHERE f.factor IS NOT NULL AND tc.t_cold IS NOT NULL) AS rows
FROM read_parquet($heat) h
JOIN streams s USING (stream_id)
LEFT JOIN flow_factors f ON f.medium = s.medium AND f.unit = h.flow_unit,
LATERAL (SELECT CASE WHEN h.t_cold_c IS NOT NULL THEN h.t_cold_c
                     WHEN s.available THEN s.t_ref_c END AS t_cold) tc
WHERE h.ts > $s AND h.ts <= $e
GROUP BY h.stream_id ORDER BY h.stream_id
"""

# The steady-state filter of thermaudit.metrics.mold._annotate written the straightforward way,
# one window pass over every sample per level of dependence (neighbours; running max/count;
# anchor); _annotate takes the anchor from the event rows alone instead of a third pass.
# Times as epoch microseconds (exact).
SQL_MOLD_ANNOTATE = """
CREATE TEMP TABLE steady AS
WITH t AS (
    SELECT controller_id, setpoint_c, epoch_us(ts) AS t_us, _row,
           (state IS NULL OR state = 'producing') AS producing, actual_c - setpoint_c AS e
    FROM read_parquet($mold) WHERE ts > $s AND ts <= $e
), a AS (
    SELECT *, lag(t_us) OVER w AS prev_t, lag(setpoint_c) OVER w AS prev_sp,
           lag(producing) OVER w AS prev_prod
    FROM t WINDOW w AS (PARTITION BY controller_id ORDER BY t_us, _row)
), b AS (
    SELECT *, prev_t IS NULL AS first,
        prev_t IS NOT NULL AND setpoint_c IS DISTINCT FROM prev_sp AS ev_sp,
        prev_t IS NOT NULL AND t_us > prev_t + $gap AS ev_gap
    FROM a
), c AS (
    SELECT *,
        max(CASE WHEN NOT producing AND (first OR prev_prod) THEN t_us END) OVER cw AS run_start,
        sum(CAST(NOT producing OR e IS NULL OR ev_sp OR ($warm > 0 AND ev_gap) AS BIGINT))
            OVER cw AS segment
    FROM b WINDOW cw AS (PARTITION BY controller_id ORDER BY t_us, _row
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
), d AS (
    SELECT *, max(CASE WHEN first OR ev_sp OR ev_gap
                         OR coalesce(producing AND NOT first AND NOT prev_prod
                                     AND t_us > run_start + $gap, FALSE)
                       THEN t_us END) OVER cw AS anchor
    FROM c WINDOW cw AS (PARTITION BY controller_id ORDER BY t_us, _row
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT controller_id, segment, e FROM d
WHERE producing AND e IS NOT NULL AND t_us >= anchor + $warm
"""


def sql_worker(plan: dict[str, Any]) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    tables = plan["tables"]
    start = dt.datetime.fromisoformat(plan["start"])
    end = dt.datetime.fromisoformat(plan["end"])
    p = {"s": start, "e": end}

    con.execute(
        "CREATE TEMP TABLE meters (meter_id VARCHAR, cumulative BOOLEAN, multiplier DOUBLE, "
        "rollover DOUBLE)"
    )
    con.executemany(
        "INSERT INTO meters VALUES (?, ?, ?, ?)",
        [[m["meter_id"], m["cumulative"], m["multiplier"], m["rollover"]] for m in plan["meters"]],
    )
    events = (
        f"read_parquet('{tables['meter_events']}')"
        if "meter_events" in tables
        else "(SELECT NULL::VARCHAR AS meter_id, NULL::TIMESTAMPTZ AS ts, NULL::DOUBLE AS "
        "old_final, NULL::DOUBLE AS new_initial LIMIT 0)"
    )
    sql = SQL_METERS.format(events=events)
    out: dict[str, Any] = {}
    rows = con.execute(
        sql,
        {
            "readings": tables["readings"],
            **p,
            "s_ep": start.timestamp(),
            "e_ep": end.timestamp(),
        },
    ).fetchall()
    out["consumption"] = {r[0]: float(r[1] or 0.0) for r in rows}

    con.execute(
        "CREATE TEMP TABLE streams (stream_id VARCHAR, cp DOUBLE, t_ref_c DOUBLE, "
        "interval_s DOUBLE, available BOOLEAN, medium VARCHAR)"
    )
    con.executemany(
        "INSERT INTO streams VALUES (?, ?, ?, ?, ?, ?)",
        [
            [s["stream_id"], s["cp"], s["t_ref_c"], s["interval_s"], s["available"], s["medium"]]
            for s in plan["streams"]
        ],
    )
    con.execute("CREATE TEMP TABLE flow_factors (medium VARCHAR, unit VARCHAR, factor DOUBLE)")
    con.executemany(
        "INSERT INTO flow_factors VALUES (?, ?, ?)",
        [[f["medium"], f["unit"], f["factor"]] for f in plan["flow_factors"]],
    )
    out["heat_gj"] = {}
    if "heat_streams" in tables:
        rows = con.execute(SQL_HEAT, {"heat": tables["heat_streams"], **p}).fetchall()
        out["heat_gj"] = {r[0]: float(r[1] or 0.0) for r in rows}

    con.execute("CREATE TEMP TABLE tolerances (controller_id VARCHAR, tolerance_c DOUBLE)")
    con.executemany(
        "INSERT INTO tolerances VALUES (?, ?)",
        [[c["controller_id"], c["tolerance_c"]] for c in plan["controllers"]],
    )
    con.execute(
        SQL_MOLD_ANNOTATE,
        {"mold": tables["mold_temperature"], **p, "gap": plan["gap_us"], "warm": plan["warmup_us"]},
    )
    rows = con.execute(
        """
        WITH seg AS (
            SELECT controller_id, segment, count(*) AS n, avg(e) AS mean_e,
                   stddev_pop(e) AS sd
            FROM steady GROUP BY controller_id, segment
        ), cpk AS (
            SELECT seg.controller_id,
                sum((tol.tolerance_c - abs(mean_e)) / (3 * sd) * n) FILTER (WHERE ok)
                    / nullif(sum(n) FILTER (WHERE ok), 0) AS cpk
            FROM (SELECT seg.*, n >= 2 AND sd > 0 AS ok FROM seg) seg
            LEFT JOIN tolerances tol USING (controller_id)
            WHERE tol.tolerance_c IS NOT NULL OR NOT ok
            GROUP BY seg.controller_id
        )
        SELECT s.controller_id, count(*) AS samples, quantile_cont(abs(s.e), 0.95),
               max(abs(s.e)), avg(s.e), sqrt(avg(s.e * s.e)),
               avg(CAST(abs(s.e) <= tol.tolerance_c AS DOUBLE)), any_value(cpk.cpk)
        FROM steady s LEFT JOIN tolerances tol USING (controller_id)
        LEFT JOIN cpk USING (controller_id)
        GROUP BY s.controller_id ORDER BY s.controller_id
        """
    ).fetchall()
    keys = ("samples", "p95_abs_c", "max_abs_c", "bias_c", "rms_c", "within_tolerance", "cpk")
    out["mold"] = {r[0]: dict(zip(keys, r[1:], strict=True)) for r in rows}
    out["mold_pooled_p95"] = con.execute(
        "SELECT quantile_cont(abs(e), 0.95) FROM steady"
    ).fetchone()[0]

    con.execute(
        "CREATE TEMP TABLE products (sku VARCHAR, unit_mass_kg DOUBLE, denominator VARCHAR)"
    )
    con.executemany(
        "INSERT INTO products VALUES (?, ?, ?)",
        [[x["sku"], x["unit_mass_kg"], x["denominator"]] for x in plan["products"]],
    )
    member = (
        "CASE WHEN ts IS NOT NULL THEN ts > $s AND ts <= $e ELSE date >= $ps AND date <= $pe END"
    )
    dates = {
        "ps": dt.date.fromisoformat(plan["period_start"]),
        "pe": dt.date.fromisoformat(plan["period_end"]),
    }
    rows = con.execute(
        f"""
        SELECT sku, sum(good_qty) * any_value(unit_mass_kg) / 1000.0,
               sum(good_qty + scrap_qty) * any_value(unit_mass_kg) / 1000.0
        FROM read_parquet($prod) JOIN products USING (sku)
        WHERE {member} GROUP BY sku ORDER BY sku
        """,
        {"prod": tables["production"], **p, **dates},
    ).fetchall()
    out["sku"] = {r[0]: {"good_mass_t": r[1], "processed_mass_t": r[2]} for r in rows}
    out["metal_t"] = 0.0
    if "melting" in tables:
        out["metal_t"] = (
            con.execute(
                f"SELECT coalesce(sum(metal_kg), 0) FROM read_parquet($melt) WHERE {member}",
                {"melt": tables["melting"], **p, **dates},
            ).fetchone()[0]
            / 1000.0
        )
    return out


# ---------------------------------------------------------------------------------------------
# worker: straightforward pandas


def pandas_worker(plan: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    tables = plan["tables"]
    start = pd.Timestamp(plan["start"])
    end = pd.Timestamp(plan["end"])
    out: dict[str, Any] = {}

    # --- meters
    r = pd.read_parquet(tables["readings"], columns=["meter_id", "ts", "value", "_row"])
    r = r.sort_values(["meter_id", "ts", "_row"]).drop_duplicates(["meter_id", "ts"], keep="last")
    r = r.merge(pd.DataFrame(plan["meters"]), on="meter_id")
    r = r.sort_values(["meter_id", "ts"]).reset_index(drop=True)
    g = r.groupby("meter_id", sort=False)
    r["prev_ts"] = g["ts"].shift()
    r["prev_value"] = g["value"].shift()
    r["delta"] = r["value"] - r["prev_value"]
    r["event_count"] = 0
    r["old_final"] = np.nan
    r["new_initial"] = np.nan
    if "meter_events" in tables:
        ev = pd.read_parquet(tables["meter_events"])
        for e in ev.itertuples():  # a handful of events: one vector mask each
            hit = (
                (r.meter_id == e.meter_id)
                & r.cumulative
                & (
                    ((r.prev_ts < e.ts) & (e.ts < r.ts))
                    | ((e.ts == r.ts) & (r.value != e.old_final))
                    | (
                        (e.ts == r.prev_ts)
                        & (r.prev_value == e.old_final)
                        & (r.prev_value != e.new_initial)
                    )
                )
            )
            r.loc[hit, "event_count"] += 1
            r.loc[hit, "old_final"] = np.fmin(r.loc[hit, "old_final"], e.old_final)
            r.loc[hit, "new_initial"] = np.fmin(r.loc[hit, "new_initial"], e.new_initial)
    kind = np.select(
        [~r.cumulative, r.prev_ts.isna(), r.event_count > 0, r.delta >= 0, r.rollover.notna()],
        ["interval", "first", "event", "normal", "wrap"],
        "excluded",
    )
    raw = np.select(
        [kind == "interval", kind == "event", kind == "normal", kind == "wrap"],
        [
            r.value,
            (r.old_final - r.prev_value) + (r.value - r.new_initial),
            r.delta,
            r.rollover - r.prev_value + r.value,
        ],
        np.nan,
    )
    amount = raw * r.multiplier
    t1 = (r.ts - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    t0 = (r.prev_ts - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    overlap = np.minimum(t1, end.timestamp()) - np.maximum(t0, start.timestamp())
    in_period = (r.ts > start) & (r.ts <= end)
    share = np.select(
        [kind == "interval", r.prev_ts.isna(), overlap > 0],
        [in_period.astype(float), 0.0, overlap / (t1 - t0)],
        0.0,
    )
    r["x"] = amount * share
    out["consumption"] = {k: float(v) for k, v in r.groupby("meter_id")["x"].sum().items()}

    # --- heat
    out["heat_gj"] = {}
    if "heat_streams" in tables:
        h = pd.read_parquet(tables["heat_streams"])
        h = h[(h.ts > start) & (h.ts <= end)]
        h = h.merge(pd.DataFrame(plan["streams"]), on="stream_id")
        f = pd.DataFrame(plan["flow_factors"]).rename(
            columns={"medium": "medium", "unit": "flow_unit", "factor": "flow_factor"}
        )
        h = h.merge(f, on=["medium", "flow_unit"], how="left")
        t_cold = h.t_cold_c.where(h.t_cold_c.notna(), h.t_ref_c.where(h.available))
        kj = h.flow * h.flow_factor * h.cp * (h.t_hot_c - t_cold) * (h.interval_s / 3600.0)
        h["gj"] = kj / 1e6
        out["heat_gj"] = {k: float(v) for k, v in h.groupby("stream_id")["gj"].sum().items()}

    # --- mold: the steady-state filter as three groupby shift/cummax/cumsum passes (as the SQL)
    m = pd.read_parquet(
        tables["mold_temperature"],
        columns=["ts", "controller_id", "setpoint_c", "actual_c", "state", "_row"],
    )
    m = m[(m.ts > start) & (m.ts <= end)]
    m["controller_id"] = m["controller_id"].astype("category")
    m["t_us"] = (m.ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(microseconds=1)
    m = m.drop(columns="ts").sort_values(["controller_id", "t_us", "_row"]).reset_index(drop=True)
    m["producing"] = m.state.isna() | (m.state == "producing")
    m = m.drop(columns="state")
    m["e"] = m.actual_c - m.setpoint_c
    g = m.groupby("controller_id", sort=False, observed=True)
    prev_t = g["t_us"].shift()
    prev_sp = g["setpoint_c"].shift()
    prev_prod = g["producing"].shift()
    first = prev_t.isna()
    same_sp = (m.setpoint_c == prev_sp) | (m.setpoint_c.isna() & prev_sp.isna())
    ev_sp = ~first & ~same_sp
    ev_gap = ~first & (m.t_us > prev_t + plan["gap_us"])
    prev_prod_b = prev_prod.fillna(False).astype(bool)
    np_start = ~m.producing & (first | prev_prod_b)
    low = np.iinfo(np.int64).min
    run_start = m.t_us.where(np_start, low).groupby(m.controller_id, observed=True).cummax()
    seg_break = ~m.producing | m.e.isna() | ev_sp
    if plan["warmup_us"] > 0:
        seg_break = seg_break | ev_gap
    m["segment"] = seg_break.astype("int64").groupby(m.controller_id, observed=True).cumsum()
    ev_np_gap = (
        m.producing
        & ~first
        & ~prev_prod_b
        & (run_start != low)
        & (m.t_us > run_start + plan["gap_us"])
    )
    event = first | ev_sp | ev_gap | ev_np_gap
    anchor = m.t_us.where(event, low).groupby(m.controller_id, observed=True).cummax()
    steady = m.producing & m.e.notna() & (m.t_us >= anchor + plan["warmup_us"])
    st = m.loc[steady, ["controller_id", "segment", "e"]]
    del m, prev_t, prev_sp, prev_prod, run_start, anchor, event
    tol = pd.Series({c["controller_id"]: c["tolerance_c"] for c in plan["controllers"]})
    st["abs_e"] = st.e.abs()
    st["tol"] = st.controller_id.map(tol).astype(float)
    st["within"] = (st.abs_e <= st.tol).astype(float)
    st["e2"] = st.e * st.e
    g = st.groupby("controller_id", observed=True)
    seg = st.groupby(["controller_id", "segment"], observed=True)["e"].agg(["count", "mean"])
    seg["sd"] = np.sqrt(st.groupby(["controller_id", "segment"], observed=True)["e"].var(ddof=0))
    seg = seg.reset_index()
    seg["tol"] = seg.controller_id.map(tol).astype(float)
    ok = (seg["count"] >= 2) & (seg.sd > 0) & seg.tol.notna()
    seg["cpk_n"] = ((seg.tol - seg["mean"].abs()) / (3 * seg.sd) * seg["count"]).where(ok)
    seg["n_ok"] = seg["count"].where(ok, 0)
    sums = seg.groupby("controller_id", observed=True)[["cpk_n", "n_ok"]].sum()
    cpk = (sums.cpk_n / sums.n_ok).where(sums.n_ok > 0)
    out["mold"] = {}
    for cid, grp in g:
        a = grp.abs_e
        out["mold"][str(cid)] = {
            "samples": len(grp),
            "p95_abs_c": float(a.quantile(0.95)),
            "max_abs_c": float(a.max()),
            "bias_c": float(grp.e.mean()),
            "rms_c": float(math.sqrt(grp.e2.mean())),
            "within_tolerance": float(grp.within.mean()),
            "cpk": None if pd.isna(cpk.get(cid)) else float(cpk[cid]),
        }
    out["mold_pooled_p95"] = float(st.abs_e.quantile(0.95))
    del st

    # --- production and melting
    ps = pd.Timestamp(plan["period_start"]).date()
    pe = pd.Timestamp(plan["period_end"]).date()

    def member(df: pd.DataFrame) -> pd.Series:
        by_ts = (df.ts > start) & (df.ts <= end)
        by_date = (df.date >= ps) & (df.date <= pe)
        return by_ts.where(df.ts.notna(), by_date).astype(bool)

    pr = pd.read_parquet(tables["production"])
    pr = pr[member(pr)].merge(pd.DataFrame(plan["products"]), on="sku")
    agg = pr.groupby("sku").agg(
        good=("good_qty", "sum"), scrap=("scrap_qty", "sum"), mass=("unit_mass_kg", "first")
    )
    out["sku"] = {
        k: {
            "good_mass_t": v.good * v.mass / 1000.0,
            "processed_mass_t": (v.good + v.scrap) * v.mass / 1000.0,
        }
        for k, v in agg.iterrows()
    }
    out["metal_t"] = 0.0
    if "melting" in tables:
        ml = pd.read_parquet(tables["melting"])
        out["metal_t"] = float(ml.loc[member(ml), "metal_kg"].sum()) / 1000.0
    return out


def worker_main(kind: str, plan_path: Path, result_path: Path) -> None:
    plan = json.loads(plan_path.read_text())
    fn = {"sql": sql_worker, "pandas": pandas_worker}[kind]
    result = fn(plan)
    result_path.write_text(json.dumps(result, indent=1, default=float))


# ---------------------------------------------------------------------------------------------
# agreement with assessment.json


def from_assessment(doc: dict[str, Any]) -> dict[str, Any]:
    m = doc["metrics"]
    mold = m["mold_temperature_control_accuracy"]
    return {
        "consumption": {k: v["consumption"] for k, v in doc["meters"].items()},
        "heat_gj": m["waste_heat_recovery_rate"]["detail"]["by_stream_gj"],
        "mold": mold["detail"].get("by_controller", {}),
        "mold_pooled_p95": mold["value"],
        "sku": m["unit_product_energy"]["detail"]["by_sku"],
        "metal_t": m["melting_energy_intensity"]["detail"]["metal_t"],
    }


def close(a: float | None, b: float | None, rel: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= rel * max(abs(a), abs(b)) or abs(a - b) <= 1e-12


def compare(ref: dict[str, Any], got: dict[str, Any], rel: float) -> tuple[list[str], list[str]]:
    """(hard failures on the asserted quantities, soft differences on the rest)."""
    hard: list[str] = []
    soft: list[str] = []

    def check(bucket: list[str], what: str, a: Any, b: Any) -> None:
        if not close(a, b, rel):
            bucket.append(f"{what}: assess {a!r} vs {b!r}")

    for k in sorted(set(ref["consumption"]) | set(got["consumption"])):
        check(hard, f"consumption[{k}]", ref["consumption"].get(k), got["consumption"].get(k, 0.0))
    for k in sorted(set(ref["heat_gj"]) | set(got["heat_gj"])):
        check(hard, f"heat_gj[{k}]", ref["heat_gj"].get(k), got["heat_gj"].get(k, 0.0))
    for k in sorted(set(ref["mold"]) | set(got["mold"])):
        a, b = ref["mold"].get(k, {}), got["mold"].get(k, {})
        check(hard, f"p95[{k}]", a.get("p95_abs_c"), b.get("p95_abs_c"))
        for key in ("max_abs_c", "bias_c", "rms_c", "within_tolerance", "cpk", "samples"):
            check(soft, f"{key}[{k}]", a.get(key), b.get(key))
    check(hard, "pooled p95", ref["mold_pooled_p95"], got["mold_pooled_p95"])
    for k in sorted(set(ref["sku"]) | set(got["sku"])):
        a, b = ref["sku"].get(k, {}), got["sku"].get(k, {})
        for key in ("good_mass_t", "processed_mass_t"):
            check(soft, f"{key}[{k}]", a.get(key), b.get(key))
    check(soft, "metal_t", ref["metal_t"], got["metal_t"])
    return hard, soft


# ---------------------------------------------------------------------------------------------
# main


def pandas_estimate_mb(plan: dict[str, Any]) -> float:
    rows = sum(plan["rows"].values())
    return rows * PANDAS_BYTES_PER_ROW / 2**20


def mem_available_mb() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024.0
    return float("inf")


def bench_scale(scale: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    root = args.data / scale
    dataset = ensure_dataset(scale, root)
    ws, import_s = ensure_workspace(scale, root, dataset)
    plan = build_plan(ws)
    plan_path = root / "plan.json"
    plan_path.write_text(json.dumps(plan, indent=1))
    rows = plan["rows"]
    rows_txt = (
        f"{rows.get('readings', 0) / 1e6:.2f} M / {rows.get('mold_temperature', 0) / 1e6:.1f} M"
        f" / {rows.get('heat_streams', 0) / 1e6:.2f} M"
    )
    log(
        f"{scale}: rows readings/mold/heat {rows_txt}; normalized Parquet "
        f"{sum(plan['table_bytes'].values()) / 2**20:.0f} MB; import "
        + (f"{import_s:.1f} s" if import_s is not None else "n/a")
    )
    runs = root / "runs"
    runs.mkdir(exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    ref: dict[str, Any] | None = None
    for name in CONTENDERS:
        if name not in args.contenders:
            continue
        if name == "pandas":
            need, have = pandas_estimate_mb(plan), mem_available_mb()
            if need > 0.8 * have:
                reason = (
                    f"skipped: estimated peak {need / 1024:.1f} GB "
                    f"({PANDAS_BYTES_PER_ROW:.0f} B/row) > 80 % of {have / 1024:.1f} GB available"
                )
                log(f"{scale}: pandas {reason}")
                results[name] = {"ok": False, "reason": reason}
                continue
        best: dict[str, Any] | None = None
        peaks = []
        for i in range(args.repeat):
            out_dir = runs / f"{name}-out"
            if name == "assess":
                shutil.rmtree(out_dir, ignore_errors=True)
                cmd = thermaudit_cmd("assess", str(ws), "-o", str(out_dir), "--no-diagnosis")
            elif name == "spark":
                shutil.rmtree(out_dir, ignore_errors=True)
                cmd = thermaudit_cmd(
                    "assess", str(ws), "-o", str(out_dir), "--no-diagnosis", "--engine", "spark"
                )
            elif name == "assess+diagnosis":
                shutil.rmtree(out_dir, ignore_errors=True)
                cmd = thermaudit_cmd("assess", str(ws), "-o", str(out_dir))
            else:
                out_dir.mkdir(exist_ok=True)
                cmd = [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--worker",
                    name,
                    str(plan_path),
                    str(out_dir / "result.json"),
                ]
            log(f"{scale}: {name} run {i + 1}/{args.repeat}")
            res = run_child(cmd, runs / f"{name}.log", args.timeout)
            if not res["ok"]:
                best = res
                log(f"{scale}: {name} failed: {res['reason']}")
                break
            peaks.append(res["rss_mb"])
            log(
                f"{scale}: {name} {res['wall_s']:.2f} s, peak RSS {res['rss_mb']:.0f} MB "
                f"(load average before the run {res['load']:.1f})"
            )
            if best is None or res["wall_s"] < best["wall_s"]:
                best = res
        assert best is not None
        if best["ok"]:
            best["rss_mb"] = max(peaks)
            if name == "assess":
                ref = from_assessment(json.loads((out_dir / "assessment.json").read_text()))
            elif name in ("sql", "pandas"):
                best["numbers"] = json.loads((out_dir / "result.json").read_text())
            elif name == "spark":
                best["numbers"] = from_assessment(
                    json.loads((out_dir / "assessment.json").read_text())
                )
        results[name] = best

    # agreement
    for name in ("sql", "pandas", "spark"):
        r = results.get(name)
        if not r or not r.get("ok") or ref is None:
            continue
        hard, soft = compare(ref, r["numbers"], REL_TOL)
        n_m, n_h, n_c = len(ref["consumption"]), len(ref["heat_gj"]), len(ref["mold"])
        if hard:
            print(f"{scale}: {name} DISAGREES with assess (rel {REL_TOL:g}):", *hard, sep="\n  ")
            r["agree"] = False
        else:
            print(
                f"{scale}: {name} agrees with assess within {REL_TOL:g} relative on consumption "
                f"of {n_m} meters, heat of {n_h} streams, P95 of {n_c} controllers and the pooled "
                "P95"
                + (
                    "; also max/bias/RMS/within-tolerance/Cpk/samples, SKU masses, metal melted"
                    if not soft
                    else f"; other differences: {'; '.join(soft)}"
                )
            )
            r["agree"] = True
    table = []
    sql = results.get("sql", {})
    for name in CONTENDERS:
        if name not in results:
            continue
        r = results[name]
        ratio = (
            r["wall_s"] / sql["wall_s"]
            if r.get("ok") and sql.get("ok") and sql.get("wall_s")
            else None
        )
        table.append(
            {
                "scale": scale,
                "rows": rows_txt,
                "import_s": import_s,
                "contender": name,
                "wall_s": r.get("wall_s") if r.get("ok") else None,
                "rss_mb": r.get("rss_mb"),
                "load": r.get("load"),
                "ratio": ratio,
                "note": r.get("reason", "") if not r.get("ok") else "",
                "agree": r.get("agree"),
            }
        )
    return table


def spark_fixed_cost(ws: Path, queries: int = 20) -> dict[str, float]:
    """Where Spark's time goes at small scale: session start-up, the queries of one assessment
    (counted by wrapping the backend's ``to_pyarrow``) and a trivial query's wall time."""
    import pyarrow as pa

    from thermaudit.api import open_dataset
    from thermaudit.engine import connect
    from thermaudit.metrics.assess import assess

    t0 = time.perf_counter()
    con = connect("spark")
    start_s = time.perf_counter() - t0
    backend = type(con)
    plain = backend.to_pyarrow
    calls: dict[str, Any] = {"n": 0, "s": 0.0, "each": []}

    def counted(self: Any, *a: Any, **k: Any) -> Any:
        t = time.perf_counter()
        try:
            return plain(self, *a, **k)
        finally:
            calls["n"] += 1
            calls["s"] += time.perf_counter() - t
            calls["each"].append(time.perf_counter() - t)

    backend.to_pyarrow = counted  # type: ignore[method-assign]
    try:
        t1 = time.perf_counter()
        with open_dataset(ws) as ds:
            assess(ds, con=con)
        assess_s = time.perf_counter() - t1
    finally:
        backend.to_pyarrow = plain  # type: ignore[method-assign]
    import ibis

    tiny = ibis.memtable(pa.table({"v": [1.0, 2.0, 3.0]}))
    con.to_pyarrow(tiny.v.sum())  # warm
    t2 = time.perf_counter()
    for _ in range(queries):
        con.to_pyarrow(tiny.v.sum())
    per_query = (time.perf_counter() - t2) / queries
    return {
        "start_s": start_s,
        "assess_s": assess_s,
        "queries": calls["n"],
        "query_s": calls["s"],
        "trivial_query_s": per_query,
        "slowest_s": sorted(calls["each"], reverse=True)[:3],
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    def f(x: float | None, fmt: str) -> str:
        return "—" if x is None else format(x, fmt)

    header = [
        "scale",
        "rows readings / mold / heat",
        "import s",
        "contender",
        "wall s",
        "peak RSS MB",
        "× SQL",
        "load",
        "note",
    ]
    body = [
        [
            r["scale"],
            r["rows"],
            f(r["import_s"], ".1f"),
            r["contender"],
            f(r["wall_s"], ".2f"),
            f(r["rss_mb"], ".0f"),
            f(r["ratio"], ".2f"),
            f(r["load"], ".1f"),
            r["note"] or ({True: "agrees", False: "DISAGREES", None: ""}[r["agree"]]),
        ]
        for r in rows
    ]
    try:
        from rich.console import Console
        from rich.table import Table

        t = Table(title=f"thermaudit assess benchmark ({dt.date.today()}, {os.cpu_count()} cores)")
        for i, h in enumerate(header):
            t.add_column(h, justify="right" if i in (2, 4, 5, 6, 7) else "left")
        for b in body:
            t.add_row(*b)
        Console(width=160).print(t)
    except ImportError:  # plain aligned text
        widths = [max(len(x) for x in col) for col in zip(header, *body, strict=True)]
        for line in (header, *body):
            print("  ".join(x.ljust(w) for x, w in zip(line, widths, strict=True)))


def verdict(rows: list[dict[str, Any]]) -> str:
    parts = []
    ok = True
    for r in rows:
        if r["contender"] != "assess":
            continue
        if r["ratio"] is not None:
            hold = r["ratio"] <= TARGET_RATIO
            ok &= hold
            parts.append(
                f"{r['scale']}: assess {r['ratio']:.2f}× SQL "
                f"({'≤' if hold else '>'} {TARGET_RATIO}×, {'holds' if hold else 'MISSED'})"
            )
        if r["scale"] == "L":
            if r["rss_mb"] is None:
                ok = False
                parts.append("L: assess peak RSS not measured")
            else:
                hold = r["rss_mb"] <= TARGET_L_RSS_MB
                ok &= hold
                parts.append(
                    f"L: assess peak {r['rss_mb']:.0f} MB "
                    f"({'≤' if hold else '>'} {TARGET_L_RSS_MB:.0f} MB, "
                    f"{'holds' if hold else 'MISSED'})"
                )
    if not any(r["scale"] == "L" for r in rows):
        parts.append("L not measured (L memory target unchecked)")
    return ("targets hold: " if ok else "targets NOT met: ") + "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", nargs="+", default=["S", "M"], choices=["S", "M", "L"])
    ap.add_argument("--data", type=Path, default=HERE / ".data", help="dataset/workspace cache")
    ap.add_argument("--repeat", type=int, default=1, help="runs per contender (best wall kept)")
    ap.add_argument("--contenders", nargs="+", default=list(CONTENDERS), choices=list(CONTENDERS))
    ap.add_argument("--timeout", type=float, default=None, help="seconds per contender run")
    ap.add_argument("--json", type=Path, default=None, help="also write the table as JSON")
    ap.add_argument(
        "--spark-fixed-cost",
        action="store_true",
        help="after the table, measure Spark's per-query overhead on the first scale",
    )
    ap.add_argument("--worker", nargs=3, metavar=("KIND", "PLAN", "RESULT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker_main(args.worker[0], Path(args.worker[1]), Path(args.worker[2]))
        return 0
    args.data = args.data.resolve()
    all_rows: list[dict[str, Any]] = []
    for scale in args.scales:
        all_rows += bench_scale(scale, args)
    print_table(all_rows)
    print(verdict(all_rows))
    if args.spark_fixed_cost:
        ws = args.data / args.scales[0] / "workspace"
        fc = spark_fixed_cost(ws)
        print(
            f"spark fixed cost ({args.scales[0]}, in process): session start "
            f"{fc['start_s']:.1f} s; "
            f"assess {fc['assess_s']:.1f} s of which {fc['queries']} queries took "
            f"{fc['query_s']:.1f} s; a trivial query {fc['trivial_query_s']:.2f} s, so "
            f"{fc['queries'] * fc['trivial_query_s']:.1f} s of the assessment is per-query "
            "overhead; the slowest queries " + ", ".join(f"{x:.1f}" for x in fc["slowest_s"]) + " s"
        )
    if args.json:
        args.json.write_text(json.dumps(all_rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
