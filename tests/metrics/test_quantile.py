"""Exact quantiles by narrowing scans agree with numpy's linear quantile exactly."""

from __future__ import annotations

import ibis
import numpy as np
import pyarrow as pa
import pytest

from thermaudit.engine import connect
from thermaudit.metrics.quantile import exact_quantile


def _table(values: np.ndarray) -> ibis.Table:
    return ibis.memtable(pa.table({"v": pa.array(values, pa.float64())}))


@pytest.mark.parametrize("q", [0.0, 0.5, 0.95, 0.999, 1.0])
@pytest.mark.parametrize(
    "kind", ["normal", "ties", "one_value", "two_values", "skewed", "resolution"]
)
def test_equals_numpy_while_fetching_few_values(kind: str, q: float) -> None:
    """fetch=50 and bins=8 force several narrowing scans on 20 000 values; the result must
    be numpy's linear quantile to the last bit (the same two order statistics, the same
    interpolation formula)."""
    rng = np.random.default_rng(7)
    n = 20_000
    values = {
        "normal": rng.normal(0.0, 1.0, n),
        "ties": rng.integers(0, 5, n).astype(float),
        "one_value": np.full(n, 0.72),
        "two_values": np.where(rng.random(n) < 0.97, 0.1, 3.5),
        "skewed": np.abs(rng.standard_cauchy(n)),
        # a logger with 0.01 °C resolution: many ties, a long tail
        "resolution": np.round(np.abs(rng.laplace(0, 0.3, n)), 2),
    }[kind]
    con = connect()
    got, count = exact_quantile(con, _table(values), "v", q, fetch=50, bins=8)
    assert count == n
    assert got == float(np.quantile(values, q))


def test_nulls_are_ignored_and_empty_is_none() -> None:
    con = connect()
    t = ibis.memtable(pa.table({"v": pa.array([None, 3.0, 1.0, None, 2.0], pa.float64())}))
    assert exact_quantile(con, t, "v", 0.5, fetch=1, bins=2) == (2.0, 3)
    empty = ibis.memtable(pa.table({"v": pa.array([None], pa.float64())}))
    assert exact_quantile(con, empty, "v", 0.95) == (None, 0)


def test_duckdb_quantile_cont_is_the_same_definition() -> None:
    """The in-memory route of the metrics (DuckDB quantile_cont) and the narrowing route give
    the same P95 on the same values."""
    rng = np.random.default_rng(11)
    t = _table(np.abs(rng.normal(0.2, 0.5, 5000)))
    con = connect()
    direct = con.to_pyarrow(t.v.quantile(0.95)).as_py()
    assert exact_quantile(con, t, "v", 0.95, fetch=10, bins=4)[0] == direct
