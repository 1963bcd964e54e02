"""Student's t on scipy.special (issue #23, target 4): the same numbers as scipy.stats, bit
for bit, and scipy.stats no longer loaded by a baseline fit."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy import stats

from thermaudit.diagnosis.student import linregress, t_ppf, t_sf

RNG_SEED = 20261207


def test_sf_is_scipy_stats_exactly() -> None:
    # tolerance 0: the same special function on the same argument
    rng = np.random.default_rng(RNG_SEED)
    x = np.concatenate([rng.normal(0, 3, 500), [0.0, -0.0, 1e-300, 40.0, -40.0, math.inf]])
    for df in (1, 2, 5, 27, 340, 10_000):
        assert np.array_equal(t_sf(x, df), stats.t.sf(x, df))
        assert np.array_equal(t_sf(np.abs(x), df), stats.t.sf(np.abs(x), df))
    assert math.isnan(t_sf(math.nan, 5))  # a t of 0/0 (zero standard error) stays NaN
    assert t_sf(math.inf, 5) == 0.0 and t_sf(0.0, 5) == 0.5  # analytic limits


def test_ppf_is_scipy_stats_exactly() -> None:
    for df in (1, 3, 10, 58, 364):
        for q in (0.5, 0.8, 0.9, 0.95, 0.975, 0.995, 0.999):
            assert t_ppf(q, df) == float(stats.t.ppf(q, df))
    assert t_ppf(0.5, 7) == 0.0
    # the published table value: t(0.975, 10) = 2.228 (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2)
    assert t_ppf(0.975, 10) == pytest.approx(2.228, abs=5e-4)


@pytest.mark.parametrize("n", [3, 5, 12, 31, 365])
def test_linregress_is_scipy_stats_exactly(n: int) -> None:
    rng = np.random.default_rng(RNG_SEED + n)
    for _ in range(20):
        x = rng.uniform(0.5, 4.0, n)
        y = 0.02 + 0.004 * x + rng.normal(0, 0.003, n)
        mine = linregress(x, y)
        ref = stats.linregress(x, y)
        assert (mine.slope, mine.intercept, mine.rvalue, mine.pvalue) == (
            float(ref.slope),
            float(ref.intercept),
            float(ref.rvalue),
            float(ref.pvalue),
        )


def test_linregress_on_a_perfect_line() -> None:
    # r = 1: the slope exact, p-value 0 (scipy's TINY keeps t finite), as scipy says
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    mine = linregress(x, 3.0 + 2.0 * x)
    ref = stats.linregress(x, 3.0 + 2.0 * x)
    assert mine.slope == 2.0 and mine.intercept == 3.0 and mine.rvalue == 1.0
    assert mine.pvalue == float(ref.pvalue)


def test_linregress_refuses_what_it_cannot_fit() -> None:
    with pytest.raises(ValueError, match="three points"):
        linregress([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="not all equal"):
        linregress([2.0, 2.0, 2.0], [1.0, 2.0, 3.0])


def test_a_baseline_fit_loads_no_scipy_stats() -> None:
    # a fresh interpreter: the fit and the savings uncertainty use Student's t, and
    # scipy.stats (1.2 s to import) stays unloaded
    probe = textwrap.dedent(
        """
        import json, sys
        import numpy as np
        from thermaudit.diagnosis.baseline import fit_baseline, normalized_savings
        rng = np.random.default_rng(7)
        x = {"processed_t": rng.uniform(10, 20, 60)}
        y = 300 + 25 * x["processed_t"] + rng.normal(0, 5, 60)
        model = fit_baseline(x, y)
        s = normalized_savings(
            model, {"processed_t": x["processed_t"][:10]}, y[:10] * 0.95, confidence=0.9
        )
        print(json.dumps({"p": list(model.p_values), "t": s.t,
                          "stats": "scipy.stats" in sys.modules}))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["stats"] is False
    assert out["t"] == float(stats.t.ppf(0.5 + 0.9 / 2, 58))  # 60 days, 2 parameters
    assert all(0.0 <= p <= 1.0 for p in out["p"])
