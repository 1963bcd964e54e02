"""Waste detectors: where energy went that did not make good product (issue 6, diagnosis).

Each detector reads the plant's own rows (ibis expressions on DuckDB by default) and the
assessment already computed for the same dataset, and returns :class:`~thermaudit.diagnosis.
waste.Waste` records with the energy over the assessed period and the evidence behind it.
:func:`detect` runs them all; a detector whose data are absent returns nothing (each
docstring says what it needs).

Production activity
-------------------
Several detectors need to know *when the plant was not producing*. It is taken from the data,
not from a clock:

* per line, an hour is **producing** when a mold temperature sample of a controller of that
  line has ``state: producing`` (or an empty state) in the hour — used when the
  ``mold_temperature`` table states are filled in (at least one non-producing state);
* otherwise from the ``production`` table: a timestamped row makes its hour producing, a
  date-only row with a quantity makes its whole local day producing (then the detectors work
  on days, not hours).

Hours are the UTC hours (h, h + 1 h] from the period start (local midnight); a sample or an
interval amount at ``ts`` belongs to the hour holding ``ts`` by the contract's "interval ending
at the timestamp" rule. At hour resolution, the hour before and the hour after a producing
hour are **transition** hours (warm-up, run-down) and belong to neither class; the remaining
hours are **non-production** hours. A cumulative meter's interval is shared among the hours
it overlaps in proportion to the overlap (the linear interpolation of
:mod:`thermaudit.metrics.meters`), an interval meter's amount goes to the hour of its
timestamp.

Materiality: a detector reports a waste only when it is at least :data:`MIN_SHARE` of the
relevant total (below that the figure is within metering resolution and day-to-day noise).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from thermaudit.dataset.model import NormalizedDataset
from thermaudit.dataset.site import Meter, Site
from thermaudit.diagnosis.student import linregress
from thermaudit.diagnosis.waste import DETECTORS, Waste
from thermaudit.metrics.assess import Assessment
from thermaudit.metrics.melting import material_for, melting_meters, top_level
from thermaudit.quality.checks import BUCKET_S, _day_buckets
from thermaudit.quality.intervals import interval_amounts

__all__ = [
    "BASE_LOAD_MIN_SHARE",
    "BENCHMARK_MELTING_EFFICIENCY",
    "MIN_SHARE",
    "POWER_FACTOR_REFERENCE",
    "DetectionContext",
    "base_load",
    "compressed_air_leakage",
    "detect",
    "idle_holding",
    "melting_efficiency",
    "mold_instability",
    "power_factor",
    "scrap_embodied",
    "unrecovered_heat",
]

#: smallest reported waste, as a fraction of the relevant total (furnace energy, available
#: heat, melting energy, compressor energy) [1]
MIN_SHARE = 0.01

#: base load above the floor is reported from this fraction of non-production energy on: the
#: floor is estimated from the data, and hourly amounts of a gate meter carry its register
#: resolution (12 kWh a count on a 1200:1 CT meter), worth a few per cent of a night's load [1]
BASE_LOAD_MIN_SHARE = 0.05

#: p-value below which the relation between mold temperature spread and scrap rate counts
MOLD_P_MAX = 0.05

#: good-practice thermal efficiency of aluminium melting by the furnace's energy carrier
#: (theoretical heat / energy input) [1]
BENCHMARK_MELTING_EFFICIENCY: dict[str, float] = {"fuel": 0.50, "electricity": 0.70}
BENCHMARK_SOURCE = (
    "good practice (check): gas-fired shaft (tower) melters for aluminium reach about 50 % "
    "(550-650 kWh of gas per tonne against ~300 kWh/t theoretical); electric induction and "
    "resistance furnaces 59-76 %, 70 % taken — U.S. DOE / BCS Inc., Advanced Melting "
    "Technologies: Energy Saving Concepts and Opportunities for the Metal Casting Industry "
    "(2005), melting efficiency tables"
)

#: power factor the Chinese tariff assesses against when the meter states none: 0.90 for
#: industrial users of 160 kVA and above (功率因数调整电费办法, (83)水电财字第215号)
POWER_FACTOR_REFERENCE = 0.90
POWER_FACTOR_SOURCE = (
    "功率因数调整电费办法 ((83)水电财字第215号, 水利电力部 / 国家物价局 1983): 0.90 for "
    "industrial users of 160 kVA and above, 0.85 for 100 kVA and above, 0.80 for agriculture; "
    "monthly PF from active and reactive energy"
)

FURNACE_TYPES = ("holding_furnace", "melting_furnace")


# --------------------------------------------------------------------------- context


@dataclass
class DetectionContext:
    """The dataset, the engine and the assessment, with the hourly series the detectors
    share (computed once, on first use)."""

    dataset: NormalizedDataset
    con: ibis.BaseBackend
    assessment: Assessment
    _hourly: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _activity: tuple[dict[str, np.ndarray], str] | None = field(default=None, repr=False)

    @property
    def site(self) -> Site:
        return self.dataset.site

    @property
    def basis(self) -> str:
        d = self.assessment.document["metrics"]["unit_product_energy"]["detail"]
        return str(d.get("electricity_basis") or self.site.options.electricity_basis)

    def kgce(self, meter: Meter, amount: float) -> float:
        """``amount`` [canonical unit of the meter] in kgce on the assessment's basis."""
        return amount * self.assessment.coefficients.kgce_per_unit(meter, self.basis)

    @property
    def bounds(self) -> tuple[int, int, int]:
        """(period start, period end) as epoch seconds and the number of hours."""
        s, e = self.site.period_bounds_utc()
        s_ep, e_ep = int(s.timestamp()), int(e.timestamp())
        return s_ep, e_ep, (e_ep - s_ep + 3599) // 3600

    def table(self, name: str) -> ir.Table | None:
        path = self.dataset.tables.get(name)
        return self.con.read_parquet(path) if path is not None else None

    # ---- hourly amounts per meter

    def hourly(self, meters: list[Meter]) -> dict[str, np.ndarray]:
        """Amount of each meter in each hour of the period [canonical unit]."""
        want = [m for m in meters if m.id not in self._hourly]
        if want:
            self._hourly.update(_hourly_amounts(self, want))
        return {m.id: self._hourly[m.id] for m in meters}

    # ---- production activity

    def activity(self) -> tuple[dict[str, np.ndarray], str]:
        """Per line, a boolean per hour (producing), and the resolution (``hour``/``day``)."""
        if self._activity is None:
            self._activity = _activity(self)
        return self._activity

    def active(self, lines: set[str] | None = None) -> np.ndarray:
        """Producing hours of ``lines`` (all lines when None or empty)."""
        act, _ = self.activity()
        n = self.bounds[2]
        out = np.zeros(n, dtype=bool)
        for line, a in act.items():
            if not lines or line in lines:
                out |= a
        return out

    def idle(self, active: np.ndarray) -> np.ndarray:
        """Non-production hours: not active and, at hour resolution, not next to an active
        hour."""
        _, res = self.activity()
        if res != "hour":
            return ~active
        near = active.copy()
        near[1:] |= active[:-1]
        near[:-1] |= active[1:]
        return ~near


def _hours_table(s_ep: int, n: int) -> ir.Table:
    k = np.arange(n, dtype=np.int64)
    return ibis.memtable(
        pa.table(
            {
                "k": pa.array(k),
                "h0": pa.array(s_ep + 3600 * k),
                "h1": pa.array(s_ep + 3600 * (k + 1)),
            }
        )
    )


def _hourly_amounts(ctx: DetectionContext, meters: list[Meter]) -> dict[str, np.ndarray]:
    s_ep, e_ep, n = ctx.bounds
    out = {m.id: np.zeros(n) for m in meters}
    readings = ctx.table("readings")
    if readings is None or not meters:
        return out
    iv = interval_amounts(readings, ctx.table("meter_events"), ctx.site)
    iv = iv.filter(iv.meter_id.isin([m.id for m in meters]) & iv.amount.notnull())
    iv = iv.mutate(t0=iv.prev_ts.epoch_seconds(), t1=iv.ts.epoch_seconds())
    a = iv.filter(iv.kind == "interval")
    a = a.mutate(k=(a.t1 - (s_ep + 1)) // 3600)
    a = a.filter((a.t1 > s_ep) & (a.t1 <= e_ep)).select("meter_id", "k", part=a.amount)
    c = iv.filter((iv.kind != "interval") & iv.prev_ts.notnull() & (iv.t1 > iv.t0))
    c = c.filter((c.t1 > s_ep) & (c.t0 < e_ep))
    hours = _hours_table(s_ep, n)
    j = c.join(hours, (c.t0 < hours.h1) & (c.t1 > hours.h0))
    overlap = (ibis.least(j.t1, j.h1) - ibis.greatest(j.t0, j.h0)).cast("float64")
    b = j.select("meter_id", "k", part=j.amount * overlap / (j.t1 - j.t0).cast("float64"))
    u = a.union(b)
    agg = u.group_by(["meter_id", "k"]).aggregate(amount=u.part.sum())
    tab = ctx.con.to_pyarrow(agg)
    ids = tab.column("meter_id").to_pylist()
    ks = tab.column("k").to_numpy()
    vals = tab.column("amount").to_numpy(zero_copy_only=False)
    for mid, k, v in zip(ids, ks, vals, strict=True):
        if 0 <= k < n:
            out[mid][int(k)] += float(v)
    return out


def _activity(ctx: DetectionContext) -> tuple[dict[str, np.ndarray], str]:
    site = ctx.site
    s_ep, e_ep, n = ctx.bounds
    act: dict[str, np.ndarray] = {}
    resolution = "day"
    mold = ctx.table("mold_temperature")
    ctrl_line = {c.id: c.line for c in site.temperature_controllers if c.line}
    if mold is not None and ctrl_line:
        stated = ctx.con.to_pyarrow(
            mold.filter(mold.state.notnull() & (mold.state != "producing")).count()
        ).as_py()
        if stated:
            lines = ibis.memtable(
                pa.table({"c_id": list(ctrl_line), "c_line": list(ctrl_line.values())})
            )
            t = mold.ts.epoch_seconds()
            m = mold.filter(
                (mold.state.isnull() | (mold.state == "producing")) & (t > s_ep) & (t <= e_ep)
            )
            m = m.join(lines, m.controller_id == lines.c_id)
            m = m.select(line=m.c_line, k=(m.ts.epoch_seconds() - (s_ep + 1)) // 3600).distinct()
            for r in ctx.con.to_pyarrow(m).to_pylist():
                act.setdefault(r["line"], np.zeros(n, dtype=bool))[int(r["k"])] = True
            for line in set(ctrl_line.values()):
                act.setdefault(line, np.zeros(n, dtype=bool))
            resolution = "hour"
    prod = ctx.table("production")
    if prod is not None:
        prod = prod.filter((prod.good_qty + prod.scrap_qty) > 0)
        timed = prod.filter(prod.ts.notnull())
        timed = timed.mutate(t=timed.ts.epoch_seconds())
        timed = timed.filter((timed.t > s_ep) & (timed.t <= e_ep))
        timed = timed.select("line", k=(timed.t - (s_ep + 1)) // 3600).distinct()
        dated = prod.filter(prod.ts.isnull()).select("line", "date").distinct()
        trows = ctx.con.to_pyarrow(timed).to_pylist()
        drows = ctx.con.to_pyarrow(dated).to_pylist()
        for r in trows:
            if r["line"] in act and resolution == "hour" and r["line"] in ctrl_line.values():
                continue  # the line's mold states already say when it produced
            act.setdefault(r["line"], np.zeros(n, dtype=bool))[int(r["k"])] = True
        if trows and not drows:
            resolution = "hour"
        z = site.zone
        hourly_lines = set(act)  # known by the hour before the date-only rows: kept as is
        for r in drows:
            if resolution == "hour" and r["line"] in hourly_lines:
                continue
            d: dt.date = r["date"]
            d0 = int(dt.datetime.combine(d, dt.time(), z).timestamp())
            d1 = int(dt.datetime.combine(d + dt.timedelta(days=1), dt.time(), z).timestamp())
            k0, k1 = max(0, (d0 - s_ep) // 3600), min(n, (d1 - s_ep) // 3600)
            if k1 > k0:
                act.setdefault(r["line"], np.zeros(n, dtype=bool))[k0:k1] = True
        if (
            drows
            and resolution == "hour"
            and any(r["line"] not in ctrl_line.values() for r in drows)
        ):
            resolution = "day"  # some lines are known by the day only: no hour margins
    return act, resolution


def _meter_lines(site: Site, m: Meter) -> set[str]:
    eq = {e.id: e for e in site.equipment}
    lines = {m.line} if m.line else set()
    for e in m.equipment:
        line = eq[e].line if e in eq else None
        if line:
            lines.add(line)
    return lines


def _furnace_meters(site: Site) -> list[Meter]:
    furnaces = {e.id for e in site.equipment if e.type in FURNACE_TYPES}
    chosen = [
        m
        for m in site.meters
        if m.quantity == "active"
        and m.role in ("supply", "submeter")
        and (m.process in ("holding", "melting") or any(e in furnaces for e in m.equipment))
    ]
    return top_level(site, chosen)


def _compressor_meters(site: Site) -> list[Meter]:
    comps = {e.id for e in site.equipment if e.type == "compressor"}
    chosen = [
        m
        for m in site.meters
        if m.quantity == "active"
        and m.carrier == "electricity"
        and m.role in ("supply", "submeter")
        and (m.process == "compressed_air" or any(e in comps for e in m.equipment))
    ]
    return top_level(site, chosen)


def _rate_unit(unit: str) -> str:
    return {"kWh": "kW", "m3": "m3/h", "GJ": "GJ/h", "kg": "kg/h"}.get(unit, f"{unit}/h")


def _unit(ctx: DetectionContext, m: Meter) -> str:
    c = ctx.assessment.consumption.get(m.id)
    return c.unit if c is not None else m.unit


def _consumption(ctx: DetectionContext, m: Meter) -> float:
    c = ctx.assessment.consumption.get(m.id)
    return c.consumption if c is not None else 0.0


# --------------------------------------------------------------------------- detectors


def idle_holding(ctx: DetectionContext) -> list[Waste]:
    """Furnaces holding (or melting) metal while nothing is produced.

    Needs furnace meters (``process: holding`` or ``melting``, or serving equipment of type
    ``holding_furnace`` / ``melting_furnace``) and production activity; returns nothing
    without them.

    Notes
    -----
    For each furnace meter (a meter below another furnace meter is skipped), its *active*
    hours are the producing hours of the lines of its equipment (of any line when it names
    none) and, for melting furnaces, the hours in which a ``melting`` batch of its furnaces
    was tapped (the batch is melted before its tap). Its idle hours are the non-production
    hours of that activity (not active, not next to an active hour). The waste is::

        W = Σ_{h idle} q_h        [the meter's unit, kWh or m3]
        share = W / Q_period,  mean rate = W / hours

    reported when share ≥ :data:`MIN_SHARE`. Holding metal molten over a weekend or a
    night without production is the classic avoidable load of a die-casting plant (drain
    and switch off, or lid and lower the set point).
    """
    site = ctx.site
    meters = _furnace_meters(site)
    if not meters or not ctx.activity()[0]:
        return []
    hourly = ctx.hourly(meters)
    taps = _tap_hours(ctx)
    eq = {e.id: e for e in site.equipment}
    out = []
    for m in meters:
        lines = _meter_lines(site, m)
        idle = furnace_idle_hours(ctx, m, taps)
        q = hourly[m.id]
        w = float(q[idle].sum())
        total = _consumption(ctx, m)
        hours = int(idle.sum())
        if total <= 0 or w <= 0 or w < MIN_SHARE * total:
            continue
        unit = _unit(ctx, m)
        rate = w / hours if hours else 0.0
        out.append(
            Waste(
                detector="idle_holding",
                subject=m.id,
                carrier=m.carrier,
                quantity=w,
                unit=unit,
                kgce=ctx.kgce(m, w),
                share=w / total,
                hours=float(hours),
                title_zh=f"{m.id} 在无生产的 {hours} 小时内耗能 {w:,.0f} {unit}"
                f"（平均 {rate:,.1f} {_rate_unit(unit)}，占其能耗 {100 * w / total:.1f}%）",
                title_en=f"{m.id} used {w:,.0f} {unit} in {hours} hours without production "
                f"(mean {rate:,.1f} {_rate_unit(unit)}, {100 * w / total:.1f} % of its energy)",
                title_ko=f"{m.id}: 비생산 {hours}시간 동안 {w:,.0f} {unit} 소비"
                f"(평균 {rate:,.1f} {_rate_unit(unit)}, 자체 에너지의 {100 * w / total:.1f} %)",
                evidence={
                    "idle_hours": hours,
                    "mean_rate": rate,
                    "rate_unit": _rate_unit(unit),
                    "meter_energy": total,
                    "lines": sorted(lines),
                    "furnaces": [e for e in m.equipment if e in eq],
                    "activity_resolution": ctx.activity()[1],
                },
            )
        )
    return out


def furnace_idle_hours(
    ctx: DetectionContext, m: Meter, taps: dict[str, np.ndarray] | None = None
) -> np.ndarray:
    """The idle hours of furnace meter ``m`` (:func:`idle_holding`): not producing on the
    lines of its equipment and, for melting furnaces, not holding a tapped batch."""
    eq = {e.id: e for e in ctx.site.equipment}
    taps = _tap_hours(ctx) if taps is None else taps
    active = ctx.active(_meter_lines(ctx.site, m))
    for f in m.equipment:
        if f in eq and eq[f].type == "melting_furnace" and f in taps:
            active = active | taps[f]
    return ctx.idle(active)


def _tap_hours(ctx: DetectionContext) -> dict[str, np.ndarray]:
    """Per melting furnace, the hours holding a tapped batch (or whole days for date-only
    rows)."""
    melt = ctx.table("melting")
    if melt is None:
        return {}
    s_ep, e_ep, n = ctx.bounds
    t = melt.ts.epoch_seconds()
    timed = melt.filter(melt.ts.notnull() & (t > s_ep) & (t <= e_ep))
    timed = timed.select("furnace_id", k=(timed.ts.epoch_seconds() - (s_ep + 1)) // 3600).distinct()
    dated = melt.filter(melt.ts.isnull()).select("furnace_id", "date").distinct()
    out: dict[str, np.ndarray] = {}
    for r in ctx.con.to_pyarrow(timed).to_pylist():
        out.setdefault(r["furnace_id"], np.zeros(n, dtype=bool))[int(r["k"])] = True
    z = ctx.site.zone
    for r in ctx.con.to_pyarrow(dated).to_pylist():
        d0 = int(dt.datetime.combine(r["date"], dt.time(), z).timestamp())
        k0 = max(0, (d0 - s_ep) // 3600)
        out.setdefault(r["furnace_id"], np.zeros(n, dtype=bool))[k0 : min(n, k0 + 24)] = True
    return out


def base_load(ctx: DetectionContext) -> list[Waste]:
    """Night and weekend electricity base load above the floor the plant demonstrably reaches.

    Needs electricity meters entering E and production activity; returns nothing without
    them.

    Notes
    -----
    Site load in hour h (kWh in the hour = mean kW)::

        P_h = Σ supply + Σ generation − Σ excluded − Σ export   (electricity)
              − Σ furnace and compressor submeters   (their idle energy is reported by
                idle_holding and compressed_air_leakage, not twice)

    Non-production hours NP form runs of consecutive hours (a night, a weekend). The
    *floor* is the 10th percentile of the mean load of runs of at least 3 hours (the
    lowest load the plant sustains when nothing runs; a run's mean carries the meters'
    register resolution once, not once an hour); with fewer than 3 such runs, the
    10th percentile of the hours. The waste is::

        W = Σ_{h ∈ NP} (P_h − floor) = E_NP − floor · H_NP     [kWh]

    reported when W ≥ :data:`BASE_LOAD_MIN_SHARE` · E_NP. Evidence: the floor, the mean
    non-production and production-hour loads [kW], the hours and the runs.
    """
    load = site_load(ctx)
    if load is None or not ctx.activity()[0]:
        return []
    p, gate, own = load
    active = ctx.active()
    np_mask = ctx.idle(active)
    hours = int(np_mask.sum())
    if hours < 3:
        return []
    runs = _runs(np_mask)
    long_runs = [(a, b) for a, b in runs if b - a >= 3]
    if len(long_runs) >= 3:
        floor = float(np.percentile([p[a:b].mean() for a, b in long_runs], 10))
    else:
        floor = float(np.percentile(p[np_mask], 10))
    e_np = float(p[np_mask].sum())
    w = e_np - floor * hours
    if e_np <= 0 or w < BASE_LOAD_MIN_SHARE * e_np:
        return []
    prod_mask = active
    prod_kw = float(p[prod_mask].mean()) if prod_mask.any() else None
    np_kw = e_np / hours
    subject = "site"
    m0 = gate[0]
    share_site = w / float(p.sum()) if p.sum() > 0 else None
    return [
        Waste(
            detector="base_load",
            subject=subject,
            carrier="electricity",
            quantity=w,
            unit="kWh",
            kgce=ctx.kgce(m0, w),
            share=share_site,
            hours=float(hours),
            title_zh=f"非生产时段（{hours} 小时）基础负荷平均 {np_kw:,.1f} kW，高于可达下限 "
            f"{floor:,.1f} kW，多耗电 {w:,.0f} kWh",
            title_en=f"Base load in {hours} non-production hours averaged {np_kw:,.1f} kW "
            f"against a floor of {floor:,.1f} kW: {w:,.0f} kWh above it",
            title_ko=f"비생산 {hours}시간의 기저 부하 평균 {np_kw:,.1f} kW, 달성 가능 하한 "
            f"{floor:,.1f} kW 대비 {w:,.0f} kWh 초과 소비",
            evidence={
                "floor_kw": floor,
                "non_production_kw": np_kw,
                "production_kw": prod_kw,
                "non_production_hours": hours,
                "non_production_kwh": e_np,
                "runs": len(runs),
                "runs_for_floor": len(long_runs),
                "meters": [m.id for m in gate],
                "subtracted_meters": [m.id for m in own],
                "activity_resolution": ctx.activity()[1],
            },
        )
    ]


def site_load(ctx: DetectionContext) -> tuple[np.ndarray, list[Meter], list[Meter]] | None:
    """The site's electricity load P_h of :func:`base_load` [kWh per hour], with the gate
    meters and the furnace and compressor submeters subtracted; ``None`` without gate
    meters."""
    site = ctx.site
    sign = {"supply": 1.0, "generation": 1.0, "excluded": -1.0, "export": -1.0}
    gate = [
        m
        for m in site.meters
        if m.quantity == "active" and m.carrier == "electricity" and m.role in sign
    ]
    if not gate:
        return None
    own = [
        m
        for m in _furnace_meters(site) + _compressor_meters(site)
        if m.carrier == "electricity" and m.role == "submeter"
    ]
    hourly = ctx.hourly(gate + own)
    p = np.zeros(ctx.bounds[2])
    for m in gate:
        p += sign[m.role] * hourly[m.id]
    for m in own:
        p -= hourly[m.id]
    return p, gate, own


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True."""
    d = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def compressed_air_leakage(ctx: DetectionContext) -> list[Waste]:
    """Compressor load while production is stopped: an estimate of leakage.

    Needs compressor meters (``process: compressed_air`` or serving equipment of type
    ``compressor``) and production activity; returns nothing without them.

    Notes
    -----
    With production stopped the air demand of the machines is nil, so the compressors'
    energy in non-production hours NP (all lines) is what the leaks (and any air left
    blowing) cost. Per compressor meter::

        W = Σ_{h ∈ NP} q_h   [kWh];   leakage ratio ≈ P_NP / P_prod

    with P the mean load [kW] in non-production and producing hours — the classic
    "leak-down" estimate of the share of compressor capacity lost to leaks (U.S. DOE,
    Improving Compressed Air System Performance, 2003, p. 35: leakage % = load time under
    no demand / total time). Reported when W ≥ :data:`MIN_SHARE` of the meter's energy.
    """
    site = ctx.site
    meters = _compressor_meters(site)
    if not meters or not ctx.activity()[0]:
        return []
    hourly = ctx.hourly(meters)
    active = ctx.active()
    idle = ctx.idle(active)
    out = []
    for m in meters:
        q = hourly[m.id]
        w = float(q[idle].sum())
        total = _consumption(ctx, m)
        hours = int(idle.sum())
        if total <= 0 or w <= 0 or w < MIN_SHARE * total:
            continue
        np_kw = w / hours
        prod_kw = float(q[active].mean()) if active.any() else None
        ratio = np_kw / prod_kw if prod_kw else None
        out.append(
            Waste(
                detector="compressed_air_leakage",
                subject=m.id,
                carrier="electricity",
                quantity=w,
                unit="kWh",
                kgce=ctx.kgce(m, w),
                share=w / total,
                hours=float(hours),
                title_zh=f"停产 {hours} 小时内空压机（{m.id}）平均 {np_kw:,.1f} kW，"
                f"耗电 {w:,.0f} kWh，约为泄漏",
                title_en=f"Compressors ({m.id}) drew {np_kw:,.1f} kW on average in {hours} hours "
                f"with production stopped: {w:,.0f} kWh, an estimate of leakage",
                title_ko=f"생산 중단 {hours}시간 동안 공기 압축기({m.id}) 평균 {np_kw:,.1f} kW, "
                f"{w:,.0f} kWh 소비(누설 추정치)",
                evidence={
                    "non_production_kw": np_kw,
                    "production_kw": prod_kw,
                    "leakage_ratio": ratio,
                    "non_production_hours": hours,
                    "meter_energy": total,
                    "activity_resolution": ctx.activity()[1],
                },
            )
        )
    return out


def scrap_embodied(ctx: DetectionContext) -> list[Waste]:
    """Energy embodied in scrap, per SKU.

    Needs the assessment's per-SKU figures (production with scrap); returns nothing for a
    SKU without scrap.

    Notes
    -----
    The SKU's allocated energy E_sku (unit_product_energy, allocation by processed mass) went
    into good and scrap alike, so the scrap carries its mass share::

        W_sku = E_sku · m_scrap / m_processed    [kgce]

    with m_scrap = scrap_qty × unit mass and m_processed = (good + scrap) × unit mass.
    Remelting returns the metal, not the energy spent melting, holding and casting it.
    """
    by_sku = ctx.assessment.document["metrics"]["unit_product_energy"]["detail"].get("by_sku") or {}
    products = {p.sku: p for p in ctx.site.products}
    out = []
    for sku, d in sorted(by_sku.items()):
        scrap = float(d.get("scrap_qty") or 0.0)
        e = float(d.get("energy_kgce") or 0.0)
        proc_t = float(d.get("processed_mass_t") or 0.0)
        if scrap <= 0 or proc_t <= 0 or e <= 0 or sku not in products:
            continue
        scrap_kg = scrap * products[sku].unit_mass_kg
        share = scrap_kg / 1000.0 / proc_t
        w = e * share
        out.append(
            Waste(
                detector="scrap_embodied",
                subject=sku,
                carrier=None,
                quantity=w,
                unit="kgce",
                kgce=w,
                share=share,
                title_zh=f"{sku} 废品 {scrap:,.0f} 件（{scrap_kg / 1000:,.2f} t，占加工量 "
                f"{100 * share:.1f}%）含能 {w:,.0f} kgce",
                title_en=f"{sku}: {scrap:,.0f} scrap pieces ({scrap_kg / 1000:,.2f} t, "
                f"{100 * share:.1f} % of processed mass) embody {w:,.0f} kgce",
                title_ko=f"{sku}: 불량 {scrap:,.0f}개({scrap_kg / 1000:,.2f} t, 가공량의 "
                f"{100 * share:.1f} %)에 내재된 에너지 {w:,.0f} kgce",
                evidence={
                    "scrap_qty": scrap,
                    "scrap_mass_kg": scrap_kg,
                    "processed_mass_t": proc_t,
                    "sku_energy_kgce": e,
                },
            )
        )
    return out


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_BUCKET_US = BUCKET_S * 1_000_000


def mold_instability(ctx: DetectionContext) -> list[Waste]:
    """Mold temperature instability against scrap rate, per line.

    Needs ``mold_temperature`` samples of controllers with a ``line`` and production rows
    of the same line on at least 5 days; reports a line only when the relation is
    significant.

    Notes
    -----
    Per line and local day d (the day (d 00:00, d+1 00:00]):

    * s_d, the spread of the control error e = actual − setpoint: its population standard
      deviation over the producing samples (state ``producing`` or empty) of the line's
      controllers [°C];
    * r_d = Σ scrap / Σ (good + scrap) of the line's production rows of the day [1].

    Ordinary least squares r_d = a + b·s_d over the days with both (``scipy.stats.
    linregress``); the relation counts when b > 0 and its two-sided p-value < 0.05
    (:data:`MOLD_P_MAX`). The scrap attributable to instability is what exceeds the rate
    predicted at the best observed stability s_min::

        n_attr = Σ_d b · (s_d − s_min) · N_d           [pieces], N_d pieces made on day d
        W      = Σ_d Σ_sku n_attr,d,sku · E_sku / N_sku  [kgce]

    with each day's attributable pieces shared over its SKUs by pieces made and valued at the
    SKU's allocated energy per processed piece.
    """
    site = ctx.site
    mold = ctx.table("mold_temperature")
    prod = ctx.table("production")
    ctrl_line = {c.id: c.line for c in site.temperature_controllers if c.line}
    if mold is None or prod is None or not ctrl_line:
        return []
    from thermaudit.diagnosis.baseline import _days, _days_table

    days = _days_table(_days(site))
    lines = ibis.memtable(pa.table({"c_id": list(ctrl_line), "c_line": list(ctrl_line.values())}))
    m = mold.filter(mold.state.isnull() | (mold.state == "producing"))
    m = m.join(lines, m.controller_id == lines.c_id)
    # local day of each sample through its 15-min bucket (every UTC offset in use is a
    # multiple of 15 min): an equi-join, where a range join on the day bounds took 14 s
    # for a year of 10 s samples; microseconds, so a fractional second is never misplaced
    _, _, buckets = _day_buckets(site)
    us = m.ts.delta(ibis.literal(_EPOCH), unit="microsecond")
    m = m.mutate(b=(us + (_BUCKET_US - 1)) // _BUCKET_US)
    m = m.join(buckets, m.b == buckets.b)
    e = m.actual_c - m.setpoint_c
    spread = con_rows(
        ctx,
        m.group_by([m.c_line, m.day]).aggregate(s=e.std(how="pop"), n=m.count()),
    )
    dated = prod.filter(prod.ts.isnull())
    dated = dated.join(days, dated.date == days.day).select(
        "day", "line", "sku", "good_qty", "scrap_qty"
    )
    timed = prod.filter(prod.ts.notnull())
    timed = timed.join(days, (timed.ts > days.d0) & (timed.ts <= days.d1)).select(
        "day", "line", "sku", "good_qty", "scrap_qty"
    )
    u = dated.union(timed)
    prows = con_rows(
        ctx,
        u.group_by(["line", "day", "sku"]).aggregate(
            good=u.good_qty.sum(), scrap=u.scrap_qty.sum()
        ),
    )
    by_sku = ctx.assessment.document["metrics"]["unit_product_energy"]["detail"].get("by_sku") or {}
    per_piece = {
        sku: d["energy_kgce"] / (d["good_qty"] + d["scrap_qty"])
        for sku, d in by_sku.items()
        if (d.get("good_qty") or 0) + (d.get("scrap_qty") or 0) > 0
    }
    mass = {p.sku: p.unit_mass_kg for p in site.products}
    s_of = {(r["c_line"], r["day"]): r["s"] for r in spread if r["s"] is not None and r["n"] > 1}
    daily: dict[str, dict[dt.date, dict[str, tuple[float, float]]]] = {}
    for r in prows:
        daily.setdefault(r["line"], {}).setdefault(r["day"], {})[r["sku"]] = (
            float(r["good"] or 0.0),
            float(r["scrap"] or 0.0),
        )
    out = []
    for line in sorted(set(ctrl_line.values())):
        pts = []
        for d, skus in sorted(daily.get(line, {}).items()):
            total = sum(g + s for g, s in skus.values())
            if total <= 0 or (line, d) not in s_of:
                continue
            pts.append((d, s_of[(line, d)], sum(s for _, s in skus.values()) / total, total, skus))
        if len(pts) < 5:
            continue
        x = np.array([p[1] for p in pts])
        y = np.array([p[2] for p in pts])
        if np.ptp(x) <= 0 or np.ptp(y) <= 0:
            continue
        fit = linregress(x, y)
        slope, p_value = fit.slope, fit.pvalue
        if not (slope > 0 and p_value < MOLD_P_MAX):
            continue
        s_min = float(x.min())
        pieces = 0.0
        kg = 0.0
        kgce = 0.0
        for _d, s, _r, total, skus in pts:
            n_attr = slope * (s - s_min) * total
            pieces += n_attr
            for sku, (g, sc) in skus.items():
                part = n_attr * (g + sc) / total
                kg += part * mass.get(sku, 0.0)
                kgce += part * per_piece.get(sku, 0.0)
        if kgce <= 0:
            continue
        scrap_total = sum(sum(s for _, s in p[4].values()) for p in pts)
        share = pieces / scrap_total if scrap_total > 0 else None
        out.append(
            Waste(
                detector="mold_instability",
                subject=line,
                carrier=None,
                quantity=kgce,
                unit="kgce",
                kgce=kgce,
                share=share,
                title_zh=f"{line} 模温波动每增加 1 °C，废品率上升 {100 * slope:.2f} 个百分点"
                f"（p = {p_value:.3g}）；约 {pieces:,.0f} 件废品（{kg:,.0f} kg）、"
                f"{kgce:,.0f} kgce 源于波动",
                title_en=f"{line}: each 1 °C more mold temperature spread adds {100 * slope:.2f} "
                f"points of scrap rate (p = {p_value:.3g}); about {pieces:,.0f} scrap pieces "
                f"({kg:,.0f} kg), {kgce:,.0f} kgce, come from the instability",
                title_ko=f"{line}: 금형 온도 변동이 1 °C 커질 때마다 불량률이 {100 * slope:.2f} "
                f"%p 상승(p = {p_value:.3g}); 불량 약 {pieces:,.0f}개({kg:,.0f} kg), "
                f"{kgce:,.0f} kgce가 변동에서 비롯됨",
                evidence={
                    "slope_per_c": slope,
                    "intercept": float(fit.intercept),
                    "r": float(fit.rvalue),
                    "p_value": p_value,
                    "days": len(pts),
                    "spread_min_c": s_min,
                    "spread_max_c": float(x.max()),
                    "attributable_scrap_pieces": pieces,
                    "attributable_scrap_kg": kg,
                    "scrap_pieces": scrap_total,
                    "spread": "population std of actual − setpoint over producing samples [°C]",
                },
            )
        )
    return out


def con_rows(ctx: DetectionContext, expr: ir.Table) -> list[dict[str, Any]]:
    return ctx.con.to_pyarrow(expr).to_pylist()


def unrecovered_heat(ctx: DetectionContext) -> list[Waste]:
    """Waste heat that was available and not recovered, per source.

    Needs ``heat_streams`` of kind ``available`` with data (the assessment's per-stream heat);
    returns nothing without them.

    Notes
    -----
    Per source equipment s (the stream's ``source``; ``site`` when it names none)::

        W_s = Σ available_s − Σ recovered_s     [MJ]

    with recovered_s the recovered streams of the same source and the ``recovered_heat``
    meters (in GJ) that list s among their equipment. Recovered heat of no known source is
    shared among the sources in proportion to their unrecovered heat. kgce = MJ / 29.3076
    (GB/T 2589-2020). Reported when W_s ≥ :data:`MIN_SHARE` of the available heat.
    """
    site = ctx.site
    by_stream = (
        ctx.assessment.document["metrics"]["waste_heat_recovery_rate"]["detail"].get("by_stream_gj")
        or {}
    )
    streams = {s.id: s for s in site.heat_streams}
    avail: dict[str, float] = {}
    rec: dict[str, float] = {}
    for sid, gj in by_stream.items():
        s = streams.get(sid)
        if s is None or gj is None:
            continue
        src = s.source or "site"
        target = avail if s.kind == "available" else rec
        target[src] = target.get(src, 0.0) + float(gj)
    if not avail or sum(avail.values()) <= 0:
        return []
    unattributed = 0.0
    for m in site.meters:
        if m.role != "recovered_heat" or m.quantity != "active" or _unit(ctx, m) != "GJ":
            continue
        if not m.equipment:
            unattributed += _consumption(ctx, m)
            continue
        src = next((e for e in m.equipment if e in avail), m.equipment[0])
        rec[src] = rec.get(src, 0.0) + _consumption(ctx, m)
    gap = {s: max(0.0, a - rec.get(s, 0.0)) for s, a in avail.items()}
    total_gap = sum(gap.values())
    if unattributed > 0 and total_gap > 0:
        gap = {s: g - min(total_gap, unattributed) * g / total_gap for s, g in gap.items()}
    kgce_mj = ctx.assessment.coefficients.kgce_mj
    out = []
    for src in sorted(gap):
        mj = 1000.0 * gap[src]
        a_mj = 1000.0 * avail[src]
        if mj <= 0 or mj < MIN_SHARE * a_mj:
            continue
        out.append(
            Waste(
                detector="unrecovered_heat",
                subject=src,
                carrier="heat",
                quantity=mj,
                unit="MJ",
                kgce=mj / kgce_mj,
                share=mj / a_mj,
                title_zh=f"{src} 可回收余热 {a_mj / 1000:,.1f} GJ 中有 {mj / 1000:,.1f} GJ 未回收"
                f"（{100 * mj / a_mj:.0f}%）",
                title_en=f"{src}: {mj / 1000:,.1f} GJ of {a_mj / 1000:,.1f} GJ available waste "
                f"heat not recovered ({100 * mj / a_mj:.0f} %)",
                title_ko=f"{src}: 이용 가능 폐열 {a_mj / 1000:,.1f} GJ 중 {mj / 1000:,.1f} GJ "
                f"미회수({100 * mj / a_mj:.0f} %)",
                evidence={
                    "available_gj": avail[src],
                    "recovered_gj": rec.get(src, 0.0),
                    "unattributed_recovered_gj": unattributed,
                    "streams": sorted(k for k, s in streams.items() if (s.source or "site") == src),
                },
            )
        )
    return out


def melting_efficiency(ctx: DetectionContext) -> list[Waste]:
    """Melting energy above what a good-practice furnace would use.

    Needs melting meters and the ``melting`` table with alloys of known properties; returns
    nothing without them.

    Notes
    -----
    Per melting meter whose equipment names melting furnaces that appear in the ``melting``
    rows (otherwise one figure for all melting meters)::

        Q_th = Σ metal_kg · (cp_s (T_m − 20) + L + cp_l (T_tap − T_m))   [kJ]  (materials.csv)
        W    = E − Q_th / η_ref                                           [MJ]

    with E the meter's energy over the period [MJ] (electricity 3.6 MJ/kWh, fuels by NCV) and
    η_ref the good-practice efficiency of :data:`BENCHMARK_MELTING_EFFICIENCY` for the
    meter's carrier (fuel or electricity); W is reported in the meter's unit. Reported when
    W ≥ :data:`MIN_SHARE` · E. Evidence: the actual efficiency Q_th / E and η_ref with its
    source.
    """
    site = ctx.site
    meters = melting_meters(site)
    meters = [m for m in meters if m.quantity == "active"]
    melt = ctx.table("melting")
    if not meters or melt is None:
        return []
    s, e = site.period_bounds_utc()
    member = ibis.cases(
        (melt.ts.notnull(), (melt.ts > ibis.literal(s)) & (melt.ts <= ibis.literal(e))),
        else_=(melt.date >= ibis.literal(site.period.start))
        & (melt.date <= ibis.literal(site.period.end)),
    )
    m_in = melt.filter(member)
    rows = con_rows(
        ctx,
        m_in.group_by(["furnace_id", "alloy"]).aggregate(
            kg=m_in.metal_kg.sum(),
            kg_tap=(m_in.metal_kg * m_in.tap_temp_c).sum(),
            tmin=m_in.tap_temp_c.min(),
        ),
    )
    t_ref = 20.0
    theo: dict[str, float] = {}
    for r in rows:
        mat = material_for(r["alloy"])
        if mat is None:
            return []  # an unknown alloy: the theoretical minimum is not known
        if r["tmin"] < mat.melting_point_c:
            return []  # solid-only batches: left to the metric's batch-by-batch rule
        kj = (
            r["kg"]
            * (
                mat.cp_solid * (mat.melting_point_c - t_ref)
                + mat.latent_heat
                - mat.cp_liquid * mat.melting_point_c
            )
            + mat.cp_liquid * r["kg_tap"]
        )
        theo[r["furnace_id"]] = theo.get(r["furnace_id"], 0.0) + kj / 1000.0
    coef = ctx.assessment.coefficients
    groups: list[tuple[str, list[Meter], list[str]]] = []
    furnaces_of = {m.id: [f for f in m.equipment if f in theo] for m in meters}
    mapped = set().union(*furnaces_of.values()) if furnaces_of else set()
    if all(furnaces_of.values()) and mapped == set(theo):
        groups = [(m.id, [m], furnaces_of[m.id]) for m in meters]
    else:
        groups = [("melting", meters, sorted(theo))]
    out = []
    for subject, ms, furnaces in groups:
        e_mj = sum(_consumption(ctx, m) * coef.mj_per_unit(m) for m in ms)
        q_th = sum(theo.get(f, 0.0) for f in furnaces)
        if e_mj <= 0 or q_th <= 0:
            continue
        carriers = {m.carrier for m in ms}
        kinds = {"electricity" if c == "electricity" else "fuel" for c in carriers}
        if len(kinds) == 1:
            eta = BENCHMARK_MELTING_EFFICIENCY[kinds.pop()]
        else:  # mixed: energy-weighted benchmark
            eta = (
                sum(
                    _consumption(ctx, m)
                    * coef.mj_per_unit(m)
                    * BENCHMARK_MELTING_EFFICIENCY[
                        "electricity" if m.carrier == "electricity" else "fuel"
                    ]
                    for m in ms
                )
                / e_mj
            )
        w_mj = e_mj - q_th / eta
        if w_mj <= 0 or w_mj < MIN_SHARE * e_mj:
            continue
        if len(ms) == 1:
            m = ms[0]
            qty = w_mj / coef.mj_per_unit(m)
            unit, carrier, kgce = _unit(ctx, m), m.carrier, ctx.kgce(m, w_mj / coef.mj_per_unit(m))
        else:
            qty, unit, carrier, kgce = w_mj, "MJ", None, w_mj / coef.kgce_mj
        eff = q_th / e_mj
        out.append(
            Waste(
                detector="melting_efficiency",
                subject=subject,
                carrier=carrier,
                quantity=qty,
                unit=unit,
                kgce=kgce,
                share=w_mj / e_mj,
                title_zh=f"{subject} 熔化热效率 {100 * eff:.1f}%，低于良好实践 {100 * eta:.0f}%；"
                f"多耗 {qty:,.0f} {unit}",
                title_en=f"{subject}: melting efficiency {100 * eff:.1f} % against a good-practice "
                f"{100 * eta:.0f} %; {qty:,.0f} {unit} above it",
                title_ko=f"{subject}: 용해 열효율 {100 * eff:.1f} %, 우수 사례 {100 * eta:.0f} % "
                f"미달; {qty:,.0f} {unit} 초과 소비",
                evidence={
                    "energy_mj": e_mj,
                    "theoretical_mj": q_th,
                    "efficiency": eff,
                    "benchmark_efficiency": eta,
                    "benchmark_source": BENCHMARK_SOURCE,
                    "excess_mj": w_mj,
                    "furnaces": furnaces,
                    "meters": [m.id for m in ms],
                },
            )
        )
    return out


def power_factor(ctx: DetectionContext) -> list[Waste]:
    """Power factor below the tariff reference, where reactive energy is metered.

    Needs a meter with ``quantity: reactive`` (kvarh) and its ``active_meter`` (or, when it
    names none, the site's only active electricity supply meter); returns nothing without.

    Notes
    -----
    Over the period, at each metering point with active energy P [kWh] and reactive energy
    Q [kvarh]::

        PF = P / sqrt(P² + Q²)

    (the monthly power factor of the 功率因数调整电费办法). Below the reference PF_ref (the
    meter's ``power_factor_reference``, default 0.90) the waste is the reactive energy above
    what PF_ref allows, the energy the penalty (力调电费) is about::

        W = Q − P · tan(arccos PF_ref)     [kvarh]

    Reactive energy is not energy consumed: ``kgce`` is 0 (the extra line and transformer
    losses it causes are not metered); the saving is the tariff adjustment.
    """
    site = ctx.site
    supplies = [
        m
        for m in site.meters
        if m.quantity == "active" and m.carrier == "electricity" and m.role == "supply"
    ]
    out = []
    for q_m in site.meters:
        if q_m.quantity != "reactive":
            continue
        if q_m.active_meter is not None:
            p_m = site.meter(q_m.active_meter)
        elif len(supplies) == 1:
            p_m = supplies[0]
        else:
            continue
        p = _consumption(ctx, p_m)
        q = _consumption(ctx, q_m)
        if p <= 0 or q < 0:
            continue
        pf = p / math.hypot(p, q)
        ref = q_m.power_factor_reference or POWER_FACTOR_REFERENCE
        allowed = p * math.tan(math.acos(ref))
        w = q - allowed
        if pf >= ref or w <= 0:
            continue
        out.append(
            Waste(
                detector="power_factor",
                subject=p_m.id,
                carrier=None,
                quantity=w,
                unit="kvarh",
                kgce=0.0,
                share=w / q if q > 0 else None,
                title_zh=f"{p_m.id} 功率因数 {pf:.3f}，低于考核标准 {ref:.2f}；超出的无功电量 "
                f"{w:,.0f} kvarh",
                title_en=f"{p_m.id}: power factor {pf:.3f} below the tariff reference {ref:.2f}; "
                f"{w:,.0f} kvarh of reactive energy above what it allows",
                title_ko=f"{p_m.id}: 역률 {pf:.3f}, 요금 기준 {ref:.2f} 미달; "
                f"허용 초과 무효 전력량 "
                f"{w:,.0f} kvarh",
                evidence={
                    "power_factor": pf,
                    "reference": ref,
                    "active_kwh": p,
                    "reactive_kvarh": q,
                    "allowed_kvarh": allowed,
                    "reactive_meter": q_m.id,
                    "source": POWER_FACTOR_SOURCE,
                },
            )
        )
    return out


#: detector id -> function, in the order of :data:`DETECTORS`
REGISTRY: dict[str, Callable[[DetectionContext], list[Waste]]] = {
    "idle_holding": idle_holding,
    "base_load": base_load,
    "compressed_air_leakage": compressed_air_leakage,
    "scrap_embodied": scrap_embodied,
    "mold_instability": mold_instability,
    "unrecovered_heat": unrecovered_heat,
    "melting_efficiency": melting_efficiency,
    "power_factor": power_factor,
}
assert tuple(REGISTRY) == DETECTORS


def detect(
    dataset: NormalizedDataset,
    con: ibis.BaseBackend,
    assessment: Assessment,
    *,
    only: tuple[str, ...] | None = None,
) -> list[Waste]:
    """Run every detector (or those named in ``only``) and return their wastes, in the order
    of :data:`~thermaudit.diagnosis.waste.DETECTORS`.

    A detector whose data are absent returns nothing (see each docstring).

    Raises
    ------
    KeyError
        When ``only`` names an unknown detector (the message lists the known ones).
    """
    names = DETECTORS if only is None else only
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise KeyError(f"unknown detector {unknown[0]!r}; known: {', '.join(DETECTORS)}")
    ctx = DetectionContext(dataset, con, assessment)
    out: list[Waste] = []
    for name in DETECTORS:
        if name in names:
            out += REGISTRY[name](ctx)
    return out
