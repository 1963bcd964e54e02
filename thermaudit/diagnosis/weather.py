"""Outdoor temperature of the ``weather`` table as daily heating and cooling degree-days, the
weather regressors of the energy baseline (:mod:`thermaudit.diagnosis.baseline`).

Day d is the local day (d 00:00, d+1 00:00] of :func:`thermaudit.diagnosis.days.local_days`,
the same day the daily energy and production are summed over; a temperature sample belongs
to the day that holds its timestamp (interval-end convention, as every time-stamped table of
the contract).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pyarrow as pa

from thermaudit.dataset.model import NormalizedDataset
from thermaudit.diagnosis.days import local_days
from thermaudit.engine import connect

__all__ = [
    "DEGREE_DAY_BASES",
    "DailyTemperature",
    "daily_degree_days",
    "daily_weather",
    "degree_days",
]

#: Base temperatures of the degree-days and their source (the single place code, JSON and
#: docs read them from).
DEGREE_DAY_BASES: dict[str, Any] = {
    "heating_c": 18.0,
    "cooling_c": 26.0,
    "source": (
        "HDD18 and CDD26, the degree-days of China's building thermal design climate zoning "
        "(GB 50176-2016 clause 4.1 (check); JGJ 26, JGJ 134 and JGJ 75 use the same bases "
        "(check)); mean-temperature method as in ISO 15927-6:2007 and ASHRAE Handbook - "
        "Fundamentals, chapter 14 (Climatic design information) (check the edition's clause)"
    ),
}

#: A day whose samples cover less than this share of it gets no degree-day value. [1]
MIN_COVERAGE = 0.75


def degree_days(
    t_mean_c: Any,
    *,
    base_heating_c: float = DEGREE_DAY_BASES["heating_c"],
    base_cooling_c: float = DEGREE_DAY_BASES["cooling_c"],
) -> tuple[np.ndarray, np.ndarray]:
    """Heating and cooling degree-days of days with daily mean temperatures ``t_mean_c``.

    Parameters
    ----------
    t_mean_c : array
        Daily mean outdoor air temperature; NaN for a day without a value. [°C]
    base_heating_c : float
        Base (balance-point) temperature of the heating degree-days. [°C]
    base_cooling_c : float
        Base temperature of the cooling degree-days. [°C]

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        HDD and CDD of each day, NaN where ``t_mean_c`` is NaN. [K·d]

    Notes
    -----
    Mean-temperature method, one day at a time::

        HDD = max(0, base_heating − T̄)      CDD = max(0, T̄ − base_cooling)

    with T̄ the day's mean temperature. Both are ≥ 0 and at most one of them is non-zero when
    base_heating ≤ base_cooling. The defaults 18 °C and 26 °C are HDD18 and CDD26 of the
    Chinese building climate zoning (:data:`DEGREE_DAY_BASES`). The method ignores the hours
    of a day on the other side of the base (a day with mean 18 °C has HDD = 0 even if its
    nights were cold); hourly methods count them and give larger sums in spring and autumn.

    Worked example: T̄ = 6, 28, 18 °C gives HDD = 12, 0, 0 and CDD = 0, 2, 0 K·d.

    References
    ----------
    ISO 15927-6:2007, Hygrothermal performance of buildings — Calculation and presentation of
    climatic data — Part 6: Accumulated temperature differences (degree-days) (check the
    clause of the daily formula).
    ASHRAE Handbook — Fundamentals, chapter 14 "Climatic Design Information" (degree-days
    from daily mean temperatures) (check the edition).
    GB 50176-2016 民用建筑热工设计规范, climate zoning by HDD18 and CDD26 (check the clause).
    """
    t = np.asarray(t_mean_c, dtype=float)
    with np.errstate(invalid="ignore"):
        hdd = np.where(np.isnan(t), np.nan, np.maximum(0.0, base_heating_c - t))
        cdd = np.where(np.isnan(t), np.nan, np.maximum(0.0, t - base_cooling_c))
    return hdd, cdd


@dataclass(frozen=True)
class DailyTemperature:
    """Daily mean temperature and degree-days of consecutive days (one entry per day).

    Attributes
    ----------
    samples : numpy.ndarray
        Samples whose timestamp lies in the day.
    expected : numpy.ndarray
        Samples the day would hold at the series' step: day length / ``step_s``.
    coverage : numpy.ndarray
        min(1, samples / expected). [1]
    covered : numpy.ndarray
        coverage ≥ ``min_coverage``: the day has a mean temperature and degree-days.
    t_mean_c : numpy.ndarray
        Mean of the day's samples, NaN when not covered. [°C]
    hdd, cdd : numpy.ndarray
        Degree-days of :func:`degree_days`, NaN when not covered. [K·d]
    step_s : float
        Sampling step: the median spacing of the samples (NaN with fewer than two). [s]
    min_coverage : float
        The coverage a day needs. [1]
    """

    samples: np.ndarray
    expected: np.ndarray
    coverage: np.ndarray
    covered: np.ndarray
    t_mean_c: np.ndarray
    hdd: np.ndarray
    cdd: np.ndarray
    step_s: float
    min_coverage: float


def daily_degree_days(
    ts_s: Any,
    temperature_c: Any,
    edges_s: Any,
    *,
    base_heating_c: float = DEGREE_DAY_BASES["heating_c"],
    base_cooling_c: float = DEGREE_DAY_BASES["cooling_c"],
    min_coverage: float = MIN_COVERAGE,
    step_s: float | None = None,
) -> DailyTemperature:
    """Daily mean temperature and degree-days of consecutive days from temperature samples.

    Parameters
    ----------
    ts_s : array
        Sample instants (end of each sample's interval), any order, no repeats. [s since
        the epoch]
    temperature_c : array
        Outdoor air temperature of each sample. [°C]
    edges_s : array
        Day boundaries, n + 1 increasing instants for n days: day k is
        (edges[k], edges[k + 1]]. [s since the epoch]
    base_heating_c, base_cooling_c : float
        Bases of :func:`degree_days`. [°C]
    min_coverage : float
        Share of the expected samples a day needs for a value, 0 < min_coverage ≤ 1. [1]
    step_s : float, optional
        Sampling step; by default the median spacing of the samples. [s]

    Returns
    -------
    DailyTemperature

    Notes
    -----
    A sample at instant t belongs to day k when edges[k] < t ≤ edges[k + 1] (the hourly mean
    stamped 00:00 closes the previous day). The day's mean temperature is the arithmetic
    mean of its samples — for hourly samples the mean of the 24 hourly values. The step is
    the median of the spacings between consecutive samples, robust to a few missing or
    extra samples; a day of length L expects L/step samples (23 or 25 at a daylight-saving
    change) and has a value when samples ≥ ``min_coverage`` · L/step. A day below that
    share gets NaN: a mean of a few samples would be biased to the hours they cover.

    Worked example (time zone UTC, samples every 6 h, so 4 expected per day)::

        day 1  06:00 4, 12:00 10, 18:00 8, 24:00 2 °C    T̄ = 6.0  HDD 12.0  CDD 0
        day 2  06:00 22, 12:00 30, 18:00 34, 24:00 26    T̄ = 28.0 HDD 0     CDD 2.0
        day 3  12:00 15, 18:00 17 (2 of 4: 50 %)         no value
        day 4  06:00 16, 12:00 20, 18:00 18 (3 of 4)     T̄ = 18.0 HDD 0     CDD 0

    The spacings are 6 h except 12 h twice (before day 3 12:00 and day 4 06:00): median
    6 h. Day 4 has 75 % of its samples, exactly the default ``min_coverage``.
    """
    if not 0.0 < min_coverage <= 1.0:
        raise ValueError(f"min_coverage: expected 0 < min_coverage <= 1, found {min_coverage}")
    ts = np.asarray(ts_s, dtype=float).reshape(-1)
    temp = np.asarray(temperature_c, dtype=float).reshape(-1)
    edges = np.asarray(edges_s, dtype=float).reshape(-1)
    if len(ts) != len(temp):
        raise ValueError(
            f"ts_s and temperature_c: expected the same length, found {len(ts)} and {len(temp)}"
        )
    if len(edges) < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges_s: expected at least two increasing instants")
    n = len(edges) - 1
    order = np.argsort(ts, kind="stable")
    ts, temp = ts[order], temp[order]
    if step_s is None:
        gaps = np.diff(ts)
        step_s = float(np.median(gaps)) if len(gaps) else float("nan")
    # day k holds edges[k] < t <= edges[k + 1]
    k = np.searchsorted(edges, ts, side="left") - 1
    inside = (k >= 0) & (k < n)
    samples = np.bincount(k[inside], minlength=n).astype(np.int64)
    sums = np.bincount(k[inside], weights=temp[inside], minlength=n)
    length = np.diff(edges)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = length / step_s if step_s > 0 else np.full(n, np.nan)
        coverage = np.minimum(1.0, samples / expected)
        covered = np.nan_to_num(coverage, nan=0.0) >= min_coverage - 1e-12
        mean = np.where(covered & (samples > 0), sums / np.maximum(samples, 1), np.nan)
    hdd, cdd = degree_days(mean, base_heating_c=base_heating_c, base_cooling_c=base_cooling_c)
    return DailyTemperature(
        samples=samples,
        expected=expected,
        coverage=np.nan_to_num(coverage, nan=0.0),
        covered=covered,
        t_mean_c=mean,
        hdd=hdd,
        cdd=cdd,
        step_s=step_s,
        min_coverage=min_coverage,
    )


def daily_weather(
    dataset: NormalizedDataset,
    con: ibis.BaseBackend | None = None,
    *,
    base_heating_c: float = DEGREE_DAY_BASES["heating_c"],
    base_cooling_c: float = DEGREE_DAY_BASES["cooling_c"],
    min_coverage: float = MIN_COVERAGE,
) -> pa.Table:
    """Daily outdoor temperature and degree-days of the site, one row per local day.

    Parameters
    ----------
    dataset : NormalizedDataset
        A dataset with a ``weather`` table.
    con : ibis backend, optional
        Engine; an in-memory DuckDB by default.
    base_heating_c, base_cooling_c : float
        Bases of the degree-days. [°C]
    min_coverage : float
        Share of the expected samples a day needs for a value. [1]

    Returns
    -------
    pyarrow.Table
        Columns (unit in each field's metadata): ``date`` (local day), ``samples``,
        ``coverage`` [1], ``t_mean_c`` [°C], ``hdd`` and ``cdd`` [K·d] (null when the day is
        not covered). Schema metadata: ``step_s``, ``base_heating_c``, ``base_cooling_c``,
        ``min_coverage`` and ``stations`` (a JSON list of the ``station`` values).

    Notes
    -----
    The samples of the period, (start 00:00, day after end 00:00] local time, are computed
    per day by :func:`daily_degree_days`; the step is their median spacing.
    """
    if not dataset.has("weather"):
        raise ValueError("daily_weather: expected a dataset with a weather table, found none")
    con = con or connect()
    days = local_days(dataset.site)
    lo, hi = days[0][1], days[-1][2]
    w = con.read_parquet(dataset.tables["weather"])
    w = w.filter((w.ts > lo) & (w.ts <= hi))
    got = con.to_pyarrow(w.select(t=w.ts.epoch_seconds(), temp=w.temperature_c, station=w.station))
    stations = sorted({s for s in got.column("station").to_pylist() if s})
    edges = [int(d0.timestamp()) for _, d0, _ in days] + [int(hi.timestamp())]
    daily = daily_degree_days(
        got.column("t").to_numpy(),
        got.column("temp").to_numpy(),
        edges,
        base_heating_c=base_heating_c,
        base_cooling_c=base_cooling_c,
        min_coverage=min_coverage,
    )

    def field(name: str, typ: pa.DataType, unit: str) -> pa.Field:
        return pa.field(name, typ, metadata={"unit": unit})

    def nullable(a: np.ndarray) -> pa.Array:
        return pa.array(a, pa.float64(), mask=~daily.covered)

    schema = pa.schema(
        [
            field("date", pa.date32(), "local day"),
            field("samples", pa.int64(), "1"),
            field("coverage", pa.float64(), "1"),
            field("t_mean_c", pa.float64(), "°C"),
            field("hdd", pa.float64(), "K·d"),
            field("cdd", pa.float64(), "K·d"),
        ],
        metadata={
            "step_s": repr(daily.step_s),
            "base_heating_c": repr(base_heating_c),
            "base_cooling_c": repr(base_cooling_c),
            "min_coverage": repr(min_coverage),
            "stations": json.dumps(stations, ensure_ascii=False),
        },
    )
    dates: list[dt.date] = [d for d, _, _ in days]
    return pa.table(
        [
            pa.array(dates, pa.date32()),
            pa.array(daily.samples, pa.int64()),
            pa.array(daily.coverage, pa.float64()),
            nullable(daily.t_mean_c),
            nullable(daily.hdd),
            nullable(daily.cdd),
        ],
        schema=schema,
    )
