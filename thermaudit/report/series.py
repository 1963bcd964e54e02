"""Time series behind the charts, reduced on the engine (ibis, DuckDB by default) to what a
chart draws: daily energy and output, and per controller a downsampled error trace and the
histogram of all its steady-state samples.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import ibis
import pyarrow as pa

from thermaudit.dataset.model import NormalizedDataset
from thermaudit.engine import connect
from thermaudit.metrics.coefficients import Coefficients
from thermaudit.metrics.energy import ROLE_SIGN
from thermaudit.metrics.mold import steady_samples
from thermaudit.quality.intervals import interval_amounts

#: at most this many points of one controller's error trace are drawn
TRACE_POINTS = 700
#: histogram bins across ±2 tolerances
HIST_BINS = 40


@dataclass
class Series:
    """Reduced data for the charts."""

    days: list[dt.date] = field(default_factory=list)
    daily_kgce: list[float | None] = field(default_factory=list)
    daily_good_t: list[float | None] = field(default_factory=list)
    #: controller → (hours since period start, e [°C]) downsampled
    traces: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    #: controller → (bin edges [°C], counts)
    histograms: dict[str, tuple[list[float], list[int]]] = field(default_factory=dict)
    period_hours: float = 0.0

    @property
    def daily_intensity(self) -> list[float | None]:
        return [
            (e / m if e is not None and m else None)
            for e, m in zip(self.daily_kgce, self.daily_good_t, strict=True)
        ]


def collect(
    dataset: NormalizedDataset,
    coefficients: Coefficients,
    con: ibis.BaseBackend | None = None,
) -> Series:
    """Daily energy (headline basis) and output, and the control-chart data of ``dataset``."""
    con = con or connect()
    site = dataset.site
    out = Series()
    start, end = site.period_bounds_utc()
    out.period_hours = (end - start).total_seconds() / 3600.0
    z = site.zone
    days = [site.period.start + dt.timedelta(d) for d in range(site.period.days)]
    out.days = days
    index = {d: i for i, d in enumerate(days)}

    def tbl(name: str) -> Any:
        p = dataset.tables.get(name)
        return con.read_parquet(p) if p is not None else None

    # --- daily energy: each interval counted on the local day of its end (hourly bins)
    readings = tbl("readings")
    kgce: list[float] = [0.0] * len(days)
    if readings is not None:
        iv = interval_amounts(readings, tbl("meter_events"), site)
        iv = iv.filter(
            iv.amount.notnull() & (iv.ts > ibis.literal(start)) & (iv.ts <= ibis.literal(end))
        )
        iv = iv.mutate(hour=(iv.ts - ibis.interval(seconds=1)).truncate("h"))
        hourly = iv.group_by(["meter_id", "hour"]).aggregate(amount=iv.amount.sum())
        factor = {
            m.id: coefficients.kgce_per_unit(m) * ROLE_SIGN[m.role]
            for m in site.meters
            if m.quantity == "active"  # a reactive meter measures no energy
        }
        for r in con.to_pyarrow(hourly).to_pylist():
            f = factor.get(r["meter_id"], 0.0)
            if not f:
                continue
            h = r["hour"]
            if h.tzinfo is None:
                h = h.replace(tzinfo=dt.UTC)
            i = index.get(h.astimezone(z).date())
            if i is not None:
                kgce[i] += r["amount"] * f
    out.daily_kgce = [v if v else None for v in kgce]

    # --- daily good mass of mass-denominated products
    prod = tbl("production")
    mass = {p.sku: p.unit_mass_kg / 1000.0 for p in site.products if p.denominator == "mass"}
    good = [0.0] * len(days)
    if prod is not None:
        g = prod.group_by(["date", "sku"]).aggregate(q=prod.good_qty.sum())
        for r in con.to_pyarrow(g).to_pylist():
            i = index.get(r["date"])
            if i is not None and r["sku"] in mass:
                good[i] += r["q"] * mass[r["sku"]]
    out.daily_good_t = [v if v else None for v in good]

    # --- mold temperature: downsampled traces and full histograms
    mt = tbl("mold_temperature")
    if mt is not None and site.temperature_controllers:
        st = steady_samples(mt, site)
        tol = {c.id: c.tolerance_c for c in site.temperature_controllers}
        st = st.mutate(h=(st.ts.epoch_seconds() - int(start.timestamp())) / 3600.0)
        w = ibis.window(group_by=st.controller_id, order_by=[st.ts])
        n = st.group_by("controller_id").aggregate(n=st.count())
        st2 = st.join(n, "controller_id").mutate(k=ibis.row_number().over(w))
        stepped = st2.filter(
            (st2.k % ibis.greatest((st2.n / TRACE_POINTS).ceil().cast("int64"), 1)) == 0
        ).select("controller_id", "h", "e")
        traces: dict[str, tuple[list[float], list[float]]] = {}
        for r in con.to_pyarrow(stepped.order_by(["controller_id", "h"])).to_pylist():
            t, e = traces.setdefault(r["controller_id"], ([], []))
            t.append(float(r["h"]))
            e.append(float(r["e"]))
        out.traces = traces
        for cid, tc in tol.items():
            width = 4.0 * tc / HIST_BINS
            edges = [-2 * tc + i * width for i in range(HIST_BINS + 1)]
            out.histograms[cid] = (edges, [0] * HIST_BINS)
        tol_t = ibis.memtable(
            pa.table(
                {
                    "cid": pa.array(list(tol), pa.string()),
                    "tol": pa.array(list(tol.values()), pa.float64()),
                }
            )
        )
        hs = st.join(tol_t, st.controller_id == tol_t.cid)
        b = ((hs.e + 2 * hs.tol) / (4.0 * hs.tol / HIST_BINS)).floor().cast("int64")
        hs = hs.mutate(b=b.clip(0, HIST_BINS - 1))
        agg = hs.group_by(["controller_id", "b"]).aggregate(c=hs.count())
        for r in con.to_pyarrow(agg).to_pylist():
            if r["controller_id"] in out.histograms and r["b"] is not None:
                out.histograms[r["controller_id"]][1][int(r["b"])] += int(r["c"])
    return out


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)
