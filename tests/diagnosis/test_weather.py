"""Degree-days from the ``weather`` table and their use in the energy baseline: the
mean-temperature method by hand, day coverage (a day short of samples gets no value and is
left out of the fit, counted), a planted weather dependence recovered within its standard
errors and agreeing with statsmodels, and an unchanged baseline without the table."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from builders import Plant, hourly

from thermaudit.dataset.model import NormalizedDataset
from thermaudit.dataset.reader import normalize
from thermaudit.diagnosis.baseline import BaselineError, baseline_section, daily_series
from thermaudit.diagnosis.weather import (
    DEGREE_DAY_BASES,
    daily_degree_days,
    daily_weather,
    degree_days,
)
from thermaudit.metrics.assess import assess

sm = pytest.importorskip("statsmodels.api", reason="statsmodels is the independent OLS route")

# --------------------------------------------------------------------------- the kernels


def test_degree_days_by_hand() -> None:
    """Docstring of :func:`degree_days`: T̄ = 6, 28, 18 °C with bases 18 and 26 °C gives
    HDD = 18 − 6 = 12, 0, 0 and CDD = 0, 28 − 26 = 2, 0 K·d."""
    hdd, cdd = degree_days([6.0, 28.0, 18.0])
    # exact: one subtraction of numbers exact in binary
    assert hdd.tolist() == [12.0, 0.0, 0.0]
    assert cdd.tolist() == [0.0, 2.0, 0.0]
    assert (DEGREE_DAY_BASES["heating_c"], DEGREE_DAY_BASES["cooling_c"]) == (18.0, 26.0)


def test_degree_days_limits() -> None:
    # analytic limits: at the base both are zero; between the bases both are zero; a missing
    # day stays missing; another base shifts the value one for one
    hdd, cdd = degree_days([18.0, 22.0, 26.0, math.nan])
    assert hdd[:3].tolist() == [0.0, 0.0, 0.0] and cdd[:3].tolist() == [0.0, 0.0, 0.0]
    assert math.isnan(hdd[3]) and math.isnan(cdd[3])
    hdd15, cdd22 = degree_days([10.0, 25.0], base_heating_c=15.0, base_cooling_c=22.0)
    assert hdd15.tolist() == [5.0, 0.0] and cdd22.tolist() == [0.0, 3.0]


def test_daily_degree_days_worked_example() -> None:
    """Docstring of :func:`daily_degree_days`, in UTC with samples every 6 h (4 per day)::

        day 1  06 h 4, 12 h 10, 18 h 8, 24 h 2 °C  4 of 4   T̄ = 6.0   HDD 12.0  CDD 0
        day 2  22, 30, 34, 26                      4 of 4   T̄ = 28.0  HDD 0     CDD 2.0
        day 3  12 h 15, 18 h 17                    2 of 4   50 %: no value
        day 4  06 h 16, 12 h 20, 18 h 18           3 of 4   T̄ = 18.0  HDD 0     CDD 0

    T̄ of day 1 = (4 + 10 + 8 + 2)/4 = 6, HDD = 18 − 6 = 12; day 2: 112/4 = 28, CDD =
    28 − 26 = 2; day 4: 54/3 = 18 (75 % covered: exactly the default minimum). Spacings:
    6 h ten times, 12 h twice → median 6 h (21 600 s). The 24 h sample of day 1 is 00:00
    of day 2 and belongs to day 1 (interval end)."""
    day = 86_400
    h = 3_600
    ts = [6 * h, 12 * h, 18 * h, 24 * h]
    ts += [day + 6 * h, day + 12 * h, day + 18 * h, day + 24 * h]
    ts += [2 * day + 12 * h, 2 * day + 18 * h]
    ts += [3 * day + 6 * h, 3 * day + 12 * h, 3 * day + 18 * h]
    temp = [4, 10, 8, 2, 22, 30, 34, 26, 15, 17, 16, 20, 18]
    # the order of the samples does not matter
    perm = np.random.default_rng(3).permutation(len(ts))
    got = daily_degree_days(
        np.array(ts)[perm], np.array(temp, float)[perm], [0, *range(day, 5 * day, day)]
    )
    assert got.step_s == 21_600.0
    assert got.samples.tolist() == [4, 4, 2, 3]
    assert got.expected.tolist() == [4.0, 4.0, 4.0, 4.0]
    assert got.coverage.tolist() == [1.0, 1.0, 0.5, 0.75]
    assert got.covered.tolist() == [True, True, False, True]
    # rel 1e-12: means of four small integers
    assert got.t_mean_c[[0, 1, 3]] == pytest.approx([6.0, 28.0, 18.0], rel=1e-12)
    assert got.hdd[[0, 1, 3]] == pytest.approx([12.0, 0.0, 0.0], abs=1e-12)
    assert got.cdd[[0, 1, 3]] == pytest.approx([0.0, 2.0, 0.0], abs=1e-12)
    assert math.isnan(got.t_mean_c[2]) and math.isnan(got.hdd[2]) and math.isnan(got.cdd[2])
    # a stricter coverage drops day 4 too
    strict = daily_degree_days(ts, temp, [0, day, 2 * day, 3 * day, 4 * day], min_coverage=0.9)
    assert strict.covered.tolist() == [True, True, False, False]


def test_a_23_hour_day_expects_23_hourly_samples() -> None:
    # Europe/Berlin 2025-03-30 has 23 h: 17 hourly samples are 17/23 = 73.9 % < 75 %,
    # 18 are 78.3 %; a 24-h day with 18 samples is exactly 75 %
    lo = dt.datetime(2025, 3, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    hi = dt.datetime(2025, 3, 31, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    edges = [lo.timestamp(), hi.timestamp()]
    assert edges[1] - edges[0] == 23 * 3600
    hours = [edges[0] + 3600 * k for k in range(1, 24)]
    full = daily_degree_days(hours, np.full(23, 10.0), edges)
    assert full.expected.tolist() == [23.0] and full.coverage.tolist() == [1.0]
    got17 = daily_degree_days(hours[:17], np.full(17, 10.0), edges, step_s=3600.0)
    got18 = daily_degree_days(hours[:18], np.full(18, 10.0), edges, step_s=3600.0)
    assert got17.covered.tolist() == [False] and got18.covered.tolist() == [True]
    assert got18.hdd.tolist() == [8.0]


def test_kernel_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="min_coverage"):
        daily_degree_days([1], [1.0], [0, 10], min_coverage=0.0)
    with pytest.raises(ValueError, match="same length, found 2 and 1"):
        daily_degree_days([1, 2], [1.0], [0, 10])


# --------------------------------------------------------------------------- a planted plant

START = dt.date(2025, 1, 6)
DAYS = 60
A_KWH, B_KWH_PER_T, C_KWH_PER_KD = 3000.0, 400.0, 150.0
SIGMA_KWH = 150.0
SHORT_DAY = 9  # the tenth day has only 12 hourly samples: no degree-day value


def _planted(seed: int = 5) -> tuple[Plant, np.ndarray, np.ndarray]:
    """Daily kWh = a + b·processed mass + c·HDD18 + noise on one hourly cumulative meter;
    the day's mean outdoor temperature is exact (a 24-h cosine sums to zero)."""
    rng = np.random.default_rng(seed)
    mass_t = rng.uniform(5.0, 30.0, DAYS)
    pieces = np.round(mass_t * 500.0)  # unit mass 2 kg, no scrap
    mass_t = pieces * 2.0 / 1000.0
    t_mean = rng.uniform(2.0, 24.0, DAYS)
    hdd = np.maximum(0.0, 18.0 - t_mean)
    kwh = A_KWH + B_KWH_PER_T * mass_t + C_KWH_PER_KD * hdd + rng.normal(0.0, SIGMA_KWH, DAYS)
    p = Plant()
    end = START + dt.timedelta(days=DAYS - 1)
    p.site["period"] = {"start": START.isoformat(), "end": end.isoformat()}
    steps = [float(k) / 24.0 for k in kwh for _ in range(24)]
    p.rows("readings", *hourly("E-MAIN", 1000.0, steps, day=START.isoformat()))
    weather = []
    for i in range(DAYS):
        day = dt.datetime.combine(START + dt.timedelta(days=i), dt.time())
        hours = range(1, 13) if i == SHORT_DAY else range(1, 25)
        for h in hours:
            t = float(t_mean[i]) + 4.0 * math.cos(2 * math.pi * (h - 14) / 24)
            weather.append(
                {
                    "timestamp": (day + dt.timedelta(hours=h)).isoformat(sep=" "),
                    "temperature_c": repr(t),
                    "station": "test",
                }
            )
    p.rows("weather", *weather)
    p.rows(
        "production",
        *(
            {
                "date": (START + dt.timedelta(days=i)).isoformat(),
                "sku": "P-1",
                "line": "L1",
                "good_qty": int(pieces[i]),
                "scrap_qty": 0,
            }
            for i in range(DAYS)
        ),
    )
    return p, mass_t, hdd


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[NormalizedDataset, Any, Any, float]:
    root = tmp_path_factory.mktemp("weather")
    p, mass_t, hdd = _planted()
    ds = normalize(p.write(root / "ds"), root / "norm")
    kgce_per_kwh = assess(ds).coefficients.electricity_calorific
    return ds, mass_t, hdd, kgce_per_kwh


def test_daily_weather_of_the_planted_plant(planted: tuple[Any, ...]) -> None:
    ds, _, hdd, _ = planted
    wx = daily_weather(ds)
    assert wx.num_rows == DAYS
    assert json.loads(wx.schema.metadata[b"stations"]) == ["test"]
    assert float(wx.schema.metadata[b"step_s"]) == 3600.0
    assert wx.schema.field("hdd").metadata == {b"unit": "K·d".encode()}
    got = wx.column("hdd").to_pylist()
    assert got[SHORT_DAY] is None and wx.column("samples").to_pylist()[SHORT_DAY] == 12
    keep = [i for i in range(DAYS) if i != SHORT_DAY]
    # abs 1e-9 K·d: 24 samples written with repr() and a cosine that sums to 1e-15
    assert [got[i] for i in keep] == pytest.approx(hdd[keep].tolist(), abs=1e-9)
    assert set(wx.column("cdd").to_pylist()) - {None} == {0.0}


def test_planted_weather_dependence_is_recovered(planted: tuple[Any, ...]) -> None:
    ds, mass_t, hdd, f = planted
    doc = baseline_section(ds)
    assert doc["enpi"]["regressors"] == ["processed_t", "hdd"]
    w = doc["weather"]
    assert w["used"] == ["hdd"]
    assert w["base_heating_c"] == 18.0 and w["base_cooling_c"] == 26.0
    assert w["step_s"] == 3600.0 and w["min_coverage"] == 0.75
    # the short day: counted among the days without a value and left out of the fit
    short = (START + dt.timedelta(days=SHORT_DAY)).isoformat()
    assert w["days"] == {
        "total": DAYS,
        "with_value": DAYS - 1,
        "without_value": [{"date": short, "samples": 12, "coverage": 0.5}],
    }
    assert w["left_out_of_fit"] == [{"date": short, "period": "baseline"}]
    assert doc["model"]["n"] == DAYS - 1 == doc["baseline_period"]["days"]
    cdd = {t["name"]: t for t in w["terms"]}["cdd"]
    assert cdd["used"] is False and cdd["nonzero_days"] == 0
    # the planted coefficients (kWh → kgce) within 4 standard errors: the two-sided chance
    # that a correct estimator misses is 6e-5 per coefficient
    terms = {t["name"]: t for t in doc["model"]["terms"]}
    truth = {"intercept": A_KWH * f, "processed_t": B_KWH_PER_T * f, "hdd": C_KWH_PER_KD * f}
    for name, value in truth.items():
        t = terms[name]
        assert abs(t["coefficient"] - value) < 4 * t["std_error"], (name, t, value)
        assert t["significant"] is True and t["p_value"] < 1e-6
    assert terms["hdd"]["unit"] == "kgce/(K·d)"
    assert doc["validity"]["valid"] is True

    # independent route: statsmodels OLS on the same days
    keep = np.array([i != SHORT_DAY for i in range(DAYS)])
    series = daily_series(ds)
    y = np.array(series.column("energy_kgce").to_pylist())[keep]
    x = np.column_stack([np.array(series.column("processed_t").to_pylist())[keep], hdd[keep]])
    # the series' mass is the planted one (exact: pieces × 2 kg)
    assert x[:, 0] == pytest.approx(mass_t[keep], rel=1e-12)
    ref = sm.OLS(y, sm.add_constant(x)).fit()
    got = [terms[n] for n in ("intercept", "processed_t", "hdd")]
    # rel 1e-8: the same least squares by two routes; hdd from the weather table differs
    # from the planted one by ~1e-14 K·d (rounding of the hourly means)
    assert [t["coefficient"] for t in got] == pytest.approx(ref.params, rel=1e-8)
    assert [t["std_error"] for t in got] == pytest.approx(ref.bse, rel=1e-8)
    assert [t["p_value"] for t in got] == pytest.approx(ref.pvalues, rel=1e-6)
    assert doc["model"]["r2"] == pytest.approx(ref.rsquared, rel=1e-9)
    json.dumps(doc)  # JSON-ready


def test_without_hdd_the_weather_effect_is_left_in_the_residuals(
    planted: tuple[Any, ...],
) -> None:
    ds, *_ = planted
    with_hdd = baseline_section(ds)
    without = baseline_section(ds, regressors=["processed_t"])
    assert without["enpi"]["regressors"] == ["processed_t"]
    # no weather term: no day is left out for lack of weather
    assert without["model"]["n"] == DAYS and without["weather"]["left_out_of_fit"] == []
    assert {t["name"]: t["used"] for t in without["weather"]["terms"]} == {
        "hdd": False,
        "cdd": False,
    }
    assert without["model"]["cv_rmse"] > 2 * with_hdd["model"]["cv_rmse"]


def test_a_degree_day_term_that_is_almost_always_zero_is_refused(
    planted: tuple[Any, ...],
) -> None:
    ds, *_ = planted
    with pytest.raises(BaselineError) as err:
        baseline_section(ds, regressors=["processed_t", "cdd"])
    assert "cdd" in str(err.value)
    assert err.value.found == f"0 of {DAYS - 1} days"
    assert "10 %" in err.value.expected


def test_savings_leave_out_reporting_days_without_weather(planted: tuple[Any, ...]) -> None:
    ds, *_ = planted
    doc = baseline_section(ds, baseline_days=5)  # the short day is in the reporting period
    short = (START + dt.timedelta(days=SHORT_DAY)).isoformat()
    assert doc["weather"]["left_out_of_fit"] == [{"date": short, "period": "reporting"}]
    assert doc["reporting_period"]["days"] == DAYS - 5 - 1
    assert doc["savings"]["reporting_days"] == DAYS - 5 - 1


def test_cli_accepts_degree_day_regressors(planted: tuple[Any, ...], tmp_path: Path) -> None:
    ds, *_ = planted
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "thermaudit", "baseline", str(ds.source), "-o", str(out)]
    proc = subprocess.run(
        [*cmd, "--regressor", "processed_t", "--regressor", "hdd"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())  # the console wraps at 80 columns
    assert "degree-days (HDD18, CDD26) on 59 of 60 days; terms used: hdd" in text
    assert "1 day(s) without enough temperature samples left out" in text
    doc = json.loads((out / "baseline.json").read_text("utf-8"))["diagnosis"]["baseline"]
    assert doc["enpi"]["regressors"] == ["processed_t", "hdd"]
    bad = subprocess.run([*cmd, "--regressor", "wind"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert "hdd, cdd" in bad.stderr and "wind" in bad.stderr


# --------------------------------------------------------------------------- no weather table


def test_without_a_weather_table_the_baseline_is_unchanged(
    planted: tuple[Any, ...], tmp_path: Path
) -> None:
    ds, *_ = planted
    p, _, _ = _planted()
    del p.tables["weather"]
    bare = normalize(p.write(tmp_path / "ds"), tmp_path / "norm")
    doc = baseline_section(bare)
    assert doc["weather"] is None
    assert doc["enpi"]["regressors"] == ["processed_t"]
    assert doc["model"]["n"] == DAYS
    # the same model as the weather dataset with the production regressor only
    same = baseline_section(ds, regressors=["processed_t"])
    for a, b in zip(doc["model"]["terms"], same["model"]["terms"], strict=True):
        # rel 1e-12: DuckDB may add a day's intervals in another order
        assert a["coefficient"] == pytest.approx(b["coefficient"], rel=1e-12)
    with pytest.raises(BaselineError) as err:
        baseline_section(bare, regressors=["processed_t", "hdd"])
    assert err.value.expected.startswith("a weather table")
    assert err.value.found == "none"
