"""Baseline and EnPI (ISO 50006 / ISO 50015, ASHRAE Guideline 14): the OLS statistics agree
with statsmodels, known parameters are recovered, the Guideline 14 statistics and the
savings uncertainty match hand calculations, and the demo plant's daily energy adds up to
the assessment's E."""

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

from thermaudit.dataset.model import NormalizedDataset
from thermaudit.dataset.reader import normalize
from thermaudit.demo import write_demo
from thermaudit.diagnosis.baseline import (
    BaselineError,
    baseline_section,
    cv_rmse_nmbe,
    daily_series,
    fit_baseline,
    normalized_savings,
)
from thermaudit.metrics.assess import Assessment, assess

sm = pytest.importorskip("statsmodels.api", reason="statsmodels is the independent OLS route")


# --------------------------------------------------------------------------- regression


def _data(seed: int, n: int = 45) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)  # local generator: no global seeding
    mass = rng.uniform(0.0, 30.0, n)
    pieces = rng.uniform(2000.0, 11000.0, n)
    y = 800.0 + 140.0 * mass + 0.02 * pieces + rng.normal(0.0, 60.0, n)
    return {"processed_t": mass, "pieces": pieces}, y


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_ols_agrees_with_statsmodels(seed: int) -> None:
    x, y = _data(seed)
    model = fit_baseline(x, y)
    X = sm.add_constant(np.column_stack([x["processed_t"], x["pieces"]]))
    ref = sm.OLS(y, X).fit()
    # rel 1e-9: two least-squares routes (lstsq + QR vs pinv) on a well-conditioned problem
    # agree to ~1e-12; 1e-9 leaves room for BLAS differences and nothing else
    assert model.coefficients == pytest.approx(ref.params, rel=1e-9)
    assert model.std_errors == pytest.approx(ref.bse, rel=1e-9)
    assert model.t_values == pytest.approx(ref.tvalues, rel=1e-9)
    assert model.p_values == pytest.approx(ref.pvalues, rel=1e-9)
    assert model.r2 == pytest.approx(ref.rsquared, rel=1e-9)
    assert model.adj_r2 == pytest.approx(ref.rsquared_adj, rel=1e-9)
    assert model.rmse == pytest.approx(math.sqrt(ref.mse_resid), rel=1e-9)
    assert model.dof == int(ref.df_resid)


def test_known_intercept_and_slope_are_recovered() -> None:
    rng = np.random.default_rng(2026)
    n, b0, b1, sigma = 400, 750.0, 145.0, 50.0
    mass = rng.uniform(0.0, 30.0, n)
    y = b0 + b1 * mass + rng.normal(0.0, sigma, n)
    model = fit_baseline({"processed_t": mass}, y)
    # within 4 standard errors (two-sided chance of failing ≈ 6e-5 per parameter for a
    # correct estimator); the standard errors themselves are ≈ 5 kgce/d and 0.3 kgce/t
    for est, se, truth in zip(model.coefficients, model.std_errors, (b0, b1), strict=True):
        assert abs(est - truth) < 4 * se, (est, truth, se)
    assert model.std_errors[1] < 0.5
    # the residual standard deviation estimates σ: within 10 % for n = 400 (χ² spread ≈ 3.5 %)
    assert model.rmse == pytest.approx(sigma, rel=0.10)


def test_noise_free_line_is_exact() -> None:
    # analytic limit: zero noise -> exact coefficients, R² = 1, CV(RMSE) = 0
    x = np.arange(1.0, 11.0)
    model = fit_baseline({"processed_t": x}, 100.0 + 3.0 * x)
    assert model.coefficients == pytest.approx([100.0, 3.0], rel=1e-12)
    assert model.r2 == pytest.approx(1.0, abs=1e-12)
    assert model.cv_rmse == pytest.approx(0.0, abs=1e-12)


def test_guideline14_statistics_of_the_docstring_fit() -> None:
    """The worked example of :func:`fit_baseline`: x = 1..5, y = 3, 5, 6, 9, 11 gives
    b1 = 20/10 = 2.0, b0 = 6.8 − 2·3 = 0.8, Σe² = 0.8, CV(RMSE) = sqrt(0.8/3)/6.8."""
    model = fit_baseline({"processed_t": [1, 2, 3, 4, 5]}, [3, 5, 6, 9, 11])
    assert model.coefficients == pytest.approx([0.8, 2.0], rel=1e-12)
    assert model.cv_rmse == pytest.approx(math.sqrt(0.8 / 3) / 6.8, rel=1e-12)
    assert model.cv_rmse == pytest.approx(0.0759408, rel=1e-6)
    # OLS with an intercept: residuals sum to zero, so NMBE is 0 up to rounding
    assert model.nmbe == pytest.approx(0.0, abs=1e-14)


def test_guideline14_statistics_by_hand() -> None:
    """Docstring of :func:`cv_rmse_nmbe`: y = 10, 12, 14, 16, 18, ŷ = 11, 12, 13, 15, 17,
    p = 2: residuals −1, 0, 1, 1, 1; Σe² = 4, Σe = 2, ȳ = 14, n − p = 3."""
    cv, nmbe = cv_rmse_nmbe([10, 12, 14, 16, 18], [11, 12, 13, 15, 17], 2)
    assert cv == pytest.approx(math.sqrt(4 / 3) / 14, rel=1e-12)
    assert cv == pytest.approx(0.0824786, rel=1e-6)
    assert nmbe == pytest.approx(2 / (3 * 14), rel=1e-12)
    assert nmbe == pytest.approx(0.04761905, rel=1e-6)


def test_validity_uses_the_guideline_limits() -> None:
    model = fit_baseline({"processed_t": [1, 2, 3, 4, 5]}, [3, 5, 6, 9, 11])
    v = model.validity()
    assert v["cv_rmse_max"] == 0.20 and v["nmbe_abs_max"] == 0.00005
    assert v["valid"] is True
    noisy = fit_baseline({"processed_t": [1, 2, 3, 4, 5]}, [1, 9, 2, 12, 3])
    assert noisy.cv_rmse > 0.20
    assert noisy.validity()["valid"] is False


@pytest.mark.parametrize(
    ("x", "y", "found"),
    [
        ({"processed_t": [1.0, 2.0]}, [1.0, 2.0], "2"),
        ({"processed_t": [2.0, 2.0, 2.0, 2.0]}, [1.0, 2.0, 3.0, 4.0], "rank 1"),
        ({"processed_t": [1.0, 2.0, 3.0]}, [1.0, 2.0], "2"),
    ],
)
def test_unfittable_input_is_refused_with_what_was_found(
    x: dict[str, Any], y: list[float], found: str
) -> None:
    with pytest.raises(BaselineError) as err:
        fit_baseline(x, y)
    assert found in err.value.found
    assert err.value.found in str(err.value)


# --------------------------------------------------------------------------- savings


def test_savings_uncertainty_by_hand() -> None:
    """Docstring of :func:`normalized_savings`. A noise-free baseline cannot carry CV = 0.05,
    so the model is built with a residual pattern of known CV and zero autocorrelation:
    baseline y = 100 + 2x + e, n = 32. Reporting: 10 days at x = 50 (adjusted baseline
    2000 kgce), actual 1800 kgce (10 % less): savings 200 kgce, F = 0.1,
    ΔE = t(0.84, n−2) · 1.26 · CV · sqrt((n/n′)(1 + 2/n)/m) · 2000; then the docstring's
    own numbers (CV = 0.05, n = 30, ρ = 0)."""
    from scipy import stats

    x = np.tile([10.0, 20.0, 30.0, 40.0], 8)
    e = np.tile([3.0, -3.0, -3.0, 3.0], 8)  # orthogonal to 1 and x: the fit is exact
    model = fit_baseline({"processed_t": x}, 100.0 + 2.0 * x + e)
    assert model.coefficients == pytest.approx([100.0, 2.0], rel=1e-12)
    s = normalized_savings(model, {"processed_t": np.full(10, 50.0)}, np.full(10, 180.0))
    assert s.adjusted_baseline == pytest.approx(2000.0, rel=1e-12)
    assert s.savings == pytest.approx(200.0, rel=1e-12)
    assert s.fraction == pytest.approx(0.1, rel=1e-12)
    rho = max(model.rho, 0.0)
    n_eff = 32 * (1 - rho) / (1 + rho)
    by_hand = (
        stats.t.ppf(0.84, 30)
        * 1.26
        * model.cv_rmse
        * math.sqrt((32 / n_eff) * (1 + 2 / 32) / 10)
        * 2000
    )
    assert s.uncertainty == pytest.approx(by_hand, rel=1e-12)
    assert s.fractional_uncertainty == pytest.approx(by_hand / 200.0, rel=1e-12)
    # the docstring's numbers with CV = 0.05 and ρ = 0: t(28) at 68 % = 1.01243, 41.663 kgce
    t = stats.t.ppf(0.84, 28)
    assert t == pytest.approx(1.01243, rel=1e-5)
    assert t * 1.26 * 0.05 * math.sqrt((1 + 2 / 30) / 10) * 2000 == pytest.approx(41.663, rel=1e-4)
    # 90 % is wider than 68 %
    s90 = normalized_savings(
        model, {"processed_t": np.full(10, 50.0)}, np.full(10, 180.0), confidence=0.90
    )
    assert s90.uncertainty > s.uncertainty


def test_planted_ten_percent_reduction_is_recovered_within_its_uncertainty() -> None:
    rng = np.random.default_rng(11)
    n, m = 60, 30
    mass = rng.uniform(5.0, 30.0, n + m)
    y = 800.0 + 140.0 * mass + rng.normal(0.0, 80.0, n + m)
    model = fit_baseline({"processed_t": mass[:n]}, y[:n])
    truth_baseline = 800.0 + 140.0 * mass[n:] + (y[n:] - (800.0 + 140.0 * mass[n:]))
    actual = 0.9 * truth_baseline
    s = normalized_savings(model, {"processed_t": mass[n:]}, actual, confidence=0.90)
    planted = 0.1 * truth_baseline.sum()
    assert abs(s.savings - planted) <= s.uncertainty, (s.savings, planted, s.uncertainty)
    assert s.fraction == pytest.approx(0.1, abs=0.02)
    assert s.fractional_uncertainty < 0.5


# --------------------------------------------------------------------------- demo plant


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[NormalizedDataset, Assessment]:
    root = tmp_path_factory.mktemp("baseline-demo")
    write_demo(root / "dataset", days=60)
    ds = normalize(root / "dataset", root / "norm")
    return ds, assess(ds)


def test_demo_daily_energy_adds_up_to_the_assessment(demo: tuple[Any, ...]) -> None:
    ds, result = demo
    series = daily_series(ds, coefficients=result.coefficients)
    detail = result.document["metrics"]["unit_product_energy"]["detail"]
    assert series.num_rows == ds.site.period.days
    assert all(series["complete"].to_pylist())
    # rel 1e-9: the same interval amounts, shared by day instead of once by period
    assert sum(series["energy_kgce"].to_pylist()) == pytest.approx(detail["energy_kgce"], rel=1e-9)
    for carrier, kgce in detail["by_carrier"].items():
        got = sum(series[f"energy_kgce_{carrier}"].to_pylist())
        assert got == pytest.approx(kgce, rel=1e-9, abs=1e-9), carrier
    # good mass of mass-denominated SKUs: the same rows, summed by day (exact up to rounding)
    assert sum(series["good_mass_t"].to_pylist()) == pytest.approx(detail["good_mass_t"], rel=1e-12)
    # the default coefficients are the assessment's
    again = daily_series(ds)
    # rel 1e-12: DuckDB may add a day's intervals in another order from run to run
    assert again["energy_kgce"].to_pylist() == pytest.approx(
        series["energy_kgce"].to_pylist(), rel=1e-12
    )
    assert series.schema.field("energy_kgce").metadata == {b"unit": b"kgce"}


def test_demo_baseline_section(demo: tuple[Any, ...]) -> None:
    ds, _ = demo
    doc = baseline_section(ds, baseline_days=40)
    assert doc["baseline_period"] == {"start": "2025-12-01", "end": "2026-01-09", "days": 40}
    assert doc["reporting_period"]["days"] == 20
    # the demo plant's energy follows its production closely (weekends low)
    assert doc["model"]["r2"] > 0.9
    assert doc["validity"]["valid"] is True
    # no intervention was planted: zero savings lie within the 68 % uncertainty (with
    # a margin of 3 for a single draw)
    s = doc["savings"]
    assert abs(s["savings_kgce"]) < 3 * s["uncertainty_kgce"]
    json.dumps(doc)  # JSON-ready: no NaN objects, no numpy scalars
    # the demo writes an hourly weather table: HDD18 is non-zero on most December days and
    # enters the default model, CDD26 never does; the demo's energy has no weather
    # dependence, so the HDD term is found insignificant
    w = doc["weather"]
    assert doc["enpi"]["regressors"] == ["processed_t", "hdd"] and w["used"] == ["hdd"]
    assert w["days"]["with_value"] == 60 and w["left_out_of_fit"] == []
    assert {t["name"]: t["used"] for t in w["terms"]} == {"hdd": True, "cdd": False}
    hdd = {t["name"]: t for t in doc["model"]["terms"]}["hdd"]
    assert hdd["significant"] is False and hdd["p_value"] > 0.05
    with pytest.raises(BaselineError, match="2026-03-01"):
        baseline_section(ds, split=dt.date(2026, 3, 1))


def test_cli_writes_baseline_json(demo: tuple[Any, ...], tmp_path: Path) -> None:
    ds, _ = demo
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "thermaudit",
            "baseline",
            str(ds.source),
            "-o",
            str(out),
            "--split",
            "2026-01-10",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "CV(RMSE)" in proc.stdout and "valid" in proc.stdout
    doc = json.loads((out / "baseline.json").read_text("utf-8"))["diagnosis"]["baseline"]
    assert doc["split"] == "2026-01-10"
    assert doc["savings"]["reporting_days"] == 20


def test_days_by_hand_with_a_gap(tmp_path: Path) -> None:
    """Two days, one hourly electricity meter: day 1 read every hour (24 × 10 kWh), day 2
    read until 06:00 (6 × 10 kWh) and then only at midnight (one 18 h interval of 180 kWh).
    Both days hold 240 kWh; day 2 is covered 6/24 = 25 % by measured intervals."""
    from builders import Plant, hourly

    p = Plant()
    p.site["period"] = {"start": "2025-03-01", "end": "2025-03-02"}
    p.site["meters"][0]["role"] = "supply"
    p.rows("readings", *hourly("E-MAIN", 0.0, [10.0] * 30))
    p.rows("readings", {"meter_id": "E-MAIN", "timestamp": "2025-03-03 00:00:00", "value": 480})
    p.rows(
        "production",
        {"date": "2025-03-01", "sku": "P-1", "line": "L1", "good_qty": 500, "scrap_qty": 10},
        {"date": "2025-03-02", "sku": "P-1", "line": "L1", "good_qty": 400, "scrap_qty": 0},
    )
    ds = normalize(p.write(tmp_path / "ds"), tmp_path / "norm")
    result = assess(ds)
    series = daily_series(ds, coefficients=result.coefficients).to_pylist()
    kgce_per_kwh = result.coefficients.electricity_calorific
    assert [r["date"] for r in series] == [dt.date(2025, 3, 1), dt.date(2025, 3, 2)]
    for r in series:
        # rel 1e-12: 24 or 7 additions of exact register differences
        assert r["energy_kgce"] == pytest.approx(240.0 * kgce_per_kwh, rel=1e-12)
    assert series[0]["coverage"] == pytest.approx(1.0, rel=1e-12)
    assert series[1]["coverage"] == pytest.approx(0.25, rel=1e-12)
    assert [r["complete"] for r in series] == [True, False]
    # unit_mass_kg = 2: good 1.0 t and 0.8 t; processed (good + scrap) 1.02 t and 0.8 t
    assert [r["good_mass_t"] for r in series] == pytest.approx([1.0, 0.8], rel=1e-12)
    assert [r["processed_t"] for r in series] == pytest.approx([1.02, 0.8], rel=1e-12)
    assert [r["pieces"] for r in series] == [500.0, 400.0]
