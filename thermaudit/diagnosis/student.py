"""Student's t distribution and the least-squares line the diagnosis tests with.

The baseline's p-values and savings uncertainty and the mold-stability detector's slope test
need Student's t. ``scipy.stats`` takes 1.2 s to import (its hundred distributions and
tests), more than the diagnosis computes at scale M; the same functions live in
``scipy.special`` (0.25 s), which ``scipy.stats`` itself calls:

- ``scipy.stats.t.sf(x, df)`` is ``special.stdtr(df, -x)``;
- ``scipy.stats.t.ppf(q, df)`` is ``special.stdtrit(df, q)``;
- ``scipy.stats.linregress``'s two-sided p-value is ``2 · special.stdtr(n - 2, -|t|)``.

Each function below repeats scipy's own arithmetic (scipy 1.17), so the results are the same
numbers, bit for bit, not merely close: ``tests/diagnosis/test_student.py`` compares them
with ``scipy.stats`` exactly. ``scipy.special`` itself loads when a function is first called.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class Line(NamedTuple):
    """A least-squares line y = intercept + slope·x, its correlation and the slope's test."""

    slope: float
    intercept: float
    rvalue: float
    pvalue: float


def t_sf(x: Any, df: float) -> Any:
    """Survival function 1 − F(x) of Student's t with ``df`` degrees of freedom.

    Parameters
    ----------
    x : float or array of float
        The statistic. [1]
    df : float
        Degrees of freedom, > 0. [1]

    Returns
    -------
    float or array of float
        P(T > x), as ``scipy.stats.t.sf(x, df)``. [1]
    """
    from scipy import special

    return special.stdtr(df, -np.asarray(x, dtype=float))


def t_ppf(q: float, df: float) -> float:
    """Quantile function of Student's t: the x with F(x) = ``q``.

    Parameters
    ----------
    q : float
        Probability, 0 < q < 1. [1]
    df : float
        Degrees of freedom, > 0. [1]

    Returns
    -------
    float
        As ``scipy.stats.t.ppf(q, df)``. [1]
    """
    from scipy import special

    return float(special.stdtrit(df, q))


def linregress(x: Any, y: Any) -> Line:
    """The least-squares line y = a + b·x and the two-sided p-value of b ≠ 0.

    Parameters
    ----------
    x, y : array of float
        At least three points; ``x`` not all equal. [any units]

    Returns
    -------
    Line
        ``slope`` b [unit of y / unit of x], ``intercept`` a [unit of y], ``rvalue`` r [1]
        and ``pvalue`` [1], 2 · P(T > |t|) with T Student's t of n − 2 degrees of freedom:
        the fields of the same names of ``scipy.stats.linregress(x, y)``.

    Notes
    -----
    With the population moments ssxm = mean((x − x̄)²), ssym = mean((y − ȳ)²) and
    ssxym = mean((x − x̄)(y − ȳ)): r = ssxym / √(ssxm · ssym) clipped to [−1, 1],
    b = ssxym / ssxm, a = ȳ − b·x̄ and t = r · √((n − 2) / ((1 − r + 10⁻²⁰)(1 + r + 10⁻²⁰))),
    the 10⁻²⁰ keeping t finite at |r| = 1 (scipy's ``TINY``).
    """
    xa = np.asarray(x)
    ya = np.asarray(y)
    n = len(xa)
    if n < 3 or np.amax(xa) == np.amin(xa):
        raise ValueError("linregress needs three points or more and x not all equal")
    tiny = 1.0e-20
    xmean = np.mean(xa, None)
    ymean = np.mean(ya, None)
    ssxm, ssxym, _, ssym = np.cov(xa, ya, bias=True).flat  # scipy's bias=1: ddof 0
    r: Any
    if ssxm == 0.0 or ssym == 0.0:
        r = np.asarray(np.nan if ssxym == 0 else 0.0)[()]
    else:
        r = ssxym / np.sqrt(ssxm * ssym)
        if r > 1.0:
            r = 1.0
        elif r < -1.0:
            r = -1.0
    slope = ssxym / ssxm
    intercept = ymean - slope * xmean
    df = n - 2
    t = r * np.sqrt(df / ((1.0 - r + tiny) * (1.0 + r + tiny)))
    p = 2 * t_sf(np.abs(t), df)
    return Line(float(slope), float(intercept), float(r), float(p))
