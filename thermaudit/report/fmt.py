"""Number formatting shared by every output of the report (PDF, HTML, workbook).

One function, :func:`fmt`, turns a value into the text the report prints, so a figure reads
the same in the PDF, the HTML and the workbook, and tests can look it up in each.
"""

from __future__ import annotations

import math

#: significant digits of a reported figure
SIG = 4
#: what the report prints for a missing value (null in assessment.json)
MISSING = "—"


def fmt(value: float | int | None, sig: int = SIG) -> str:
    """``value`` with ``sig`` significant digits, fixed-point, thousands separated.

    Integers of ``10**sig`` or more keep all their digits (``134,680``); never scientific
    notation; ``None``, NaN and infinities print as :data:`MISSING`.

    Examples
    --------
    >>> fmt(182.75516943791592), fmt(0.4310369), fmt(134680.15), fmt(None), fmt(-0.0)
    ('182.8', '0.4310', '134,680', '—', '0')
    """
    if value is None or isinstance(value, bool):
        return MISSING if value is None else str(value)
    x = float(value)
    if not math.isfinite(x):
        return MISSING
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 10 ** (sig - 1):
        text = f"{x:,.0f}"
    else:
        decimals = min(sig - 1 - math.floor(math.log10(a)), 8)
        text = f"{x:,.{decimals}f}"
        # rounding can carry into a new digit (9.9996 -> 10.000): drop the extra decimal
        if len(text.replace("-", "").replace(",", "").replace(".", "").lstrip("0")) > sig:
            text = f"{x:,.{max(decimals - 1, 0)}f}"
    return "0" if text.strip("-0.,") == "" else text


def fmt_pct_share(fraction: float | None) -> str:
    """A fraction 0–1 as a percentage figure (``0.8310`` → ``83.10``), via :func:`fmt`."""
    return fmt(None if fraction is None else 100.0 * fraction)


def fmt_given(value: float | int | None) -> str:
    """A figure as its source gives it (reference tables, parameters, tolerances): no
    rounding beyond 10 significant digits, no padding (``1.2143``, ``2023``, ``0.04``)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    return format(float(value), ".10g") if isinstance(value, float) else str(value)


def fmt_tick(value: float) -> str:
    """An axis tick: the shortest exact text of a round number (``0.5``, ``250``, ``-2``)."""
    text = format(round(value, 10), ",.10g")
    return "0" if text in ("-0", "0") else text


def fmt_count(value: float | int | None) -> str:
    """A count (rows, pieces, days, samples): a whole number, thousands separated."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    return f"{round(value):,}"
