"""Exact linear-interpolation quantiles of a column too large to hold in memory.

An engine's quantile aggregate (DuckDB ``quantile_cont``) keeps every value of its group in
memory: a year of 1 Hz samples of 24 mold temperature controllers is 757 M doubles, 6 GB.
:func:`exact_quantile` finds the same number in a few scans of bounded memory: it narrows
down the value range holding the order statistics it needs with a histogram per scan, and
sorts only the few values left in that range.

Public names: :func:`exact_quantile`.
"""

from __future__ import annotations

import math

import ibis
import ibis.expr.types as ir
import numpy as np

__all__ = ["exact_quantile"]

#: histogram bins per narrowing scan
BINS = 4096
#: values fetched and sorted in memory at the end (8 MB of doubles)
FETCH = 1_000_000


def exact_quantile(
    con: ibis.BaseBackend,
    table: ir.Table,
    column: str,
    q: float,
    *,
    fetch: int = FETCH,
    bins: int = BINS,
) -> tuple[float | None, int]:
    """Quantile ``q`` of the non-null values of ``table[column]``, numpy's default method.

    Parameters
    ----------
    con : ibis.BaseBackend
        Engine running the scans.
    table : ibis.Table
    column : str
        A floating-point column; nulls are ignored (NaN must not occur).
    q : float
        Quantile in [0, 1].
    fetch : int
        At most this many values are brought into memory at once.
    bins : int
        Histogram bins per narrowing scan.

    Returns
    -------
    (float or None, int)
        The quantile (``None`` when there is no value) and the number of values.

    Notes
    -----
    Linear interpolation between order statistics (numpy ``method="linear"``, DuckDB
    ``quantile_cont``): with n values sorted ascending x[0] ≤ … ≤ x[n−1], h = q·(n − 1),
    the quantile is x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). Each order statistic x[k] is
    found by narrowing: within the current subset (all values at first) with minimum a and
    maximum b, values go to bin ⌊(x − a)/(b − a)·bins⌋ (the maximum to the last bin); the
    bin holding rank k becomes the subset, its rank offset the count of the bins below.
    The loop stops when the subset has one distinct value (a = b) or at most ``fetch``
    values, which are sorted. Bins are tested with the same expression at every later scan,
    so no value is lost or counted twice at a bin edge.
    """
    x = table.select(v=table[column]).filter(lambda t: t.v.notnull())
    n = int(con.to_pyarrow(x.count()).as_py() or 0)
    if n == 0:
        return None, 0
    h = q * (n - 1)
    lo = math.floor(h)
    x_lo = _order_statistic(con, x, lo, fetch, bins)
    if h == lo or lo + 1 >= n:
        return x_lo, n
    x_hi = _order_statistic(con, x, lo + 1, fetch, bins)
    return x_lo + (h - lo) * (x_hi - x_lo), n


def _order_statistic(con: ibis.BaseBackend, x: ir.Table, k: int, fetch: int, bins: int) -> float:
    """Return the k-th smallest value (0-based) of ``x.v``."""
    subset = x
    below = 0  # values of x smaller than every value of subset
    while True:
        s = con.to_pyarrow(subset.aggregate(n=subset.count(), a=subset.v.min(), b=subset.v.max()))
        row = s.to_pylist()[0]
        m, a, b = int(row["n"]), float(row["a"]), float(row["b"])
        if a == b:
            return a
        if m <= fetch:
            values = np.sort(con.to_pyarrow(subset.v).to_numpy())
            return float(values[k - below])
        width = b - a
        idx = ((subset.v - a) / width * bins).floor().cast("int64")
        idx = ibis.least(idx, bins - 1)
        hist = con.to_pyarrow(
            subset.mutate(bin=idx).group_by("bin").aggregate(c=lambda t: t.count()).order_by("bin")
        )
        seen = below
        chosen = None
        for j, c in zip(hist["bin"].to_pylist(), hist["c"].to_pylist(), strict=True):
            if k < seen + c:
                chosen = j
                break
            seen += c
        if chosen is None:  # cannot happen: the bins hold all m values and below ≤ k < below + m
            raise RuntimeError(f"rank {k} not found among {m} values")
        below = seen
        subset = subset.filter(idx == chosen)
