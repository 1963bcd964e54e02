"""The one number policy of thermaudit: how every output (CLI table, PDF, HTML, workbook and
web pages) prints a figure, so a figure reads the same everywhere and tests can look it up in
each.

- A figure without uncertainty: :func:`fmt`, with the significant digits of its quantity
  (:func:`sig_for`: 4, temperatures 3), fixed-point, thousands separated.
- A measured value with its expanded uncertainty U: :func:`fmt_measured`. U is given to two
  significant digits and the value is rounded to the last digit of U (GUM, JCGM 100:2008,
  7.2.6), e.g. 0.431037 ± 0.00840 → ``0.4310`` ± ``0.0084``.
- A workbook cell keeps the full-precision number; :func:`number_format` is the Excel format
  that displays it as the text above.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

#: significant digits of a reported figure
SIG = 4
#: what the report prints for a missing value (null in assessment.json)
MISSING = "—"
#: significant digits of an expanded uncertainty (GUM 7.2.6: "at most two")
U_SIG = 2
#: significant digits of a figure without uncertainty, by its unit (the quantity it measures);
#: other units take :data:`SIG`. Temperature deviations: instruments resolve 0.1 °C at best,
#: so four digits of a sub-degree P95 (0.7300 °C) claim a resolution nobody has.
SIG_BY_UNIT = {"°C": 3, "C": 3}


def sig_for(unit: str | None) -> int:
    """Significant digits of a figure in ``unit`` without uncertainty (:data:`SIG_BY_UNIT`)."""
    return SIG_BY_UNIT.get(unit or "", SIG)


def _finite(value: float | int | None) -> bool:
    return value is not None and not isinstance(value, bool) and math.isfinite(float(value))


def u_decimals(u: float) -> int:
    """Decimal places of ``u`` rounded to :data:`U_SIG` significant digits (negative: tens,
    hundreds …); the place every value quoted with this U is rounded to (GUM 7.2.6).

    >>> u_decimals(0.0008408), u_decimals(0.4135), u_decimals(12.6), u_decimals(0.0995)
    (5, 2, 0, 2)
    """
    if not (u > 0 and math.isfinite(u)):
        raise ValueError(f"an uncertainty must be positive and finite, found {u!r}")
    exponent = math.floor(math.log10(u))
    decimals = U_SIG - 1 - exponent
    # rounding can carry into a new digit (0.0995 -> 0.10): one decimal fewer
    if _round(u, decimals) >= Decimal(10) ** (exponent + 1):
        decimals -= 1
    return decimals


def _round(x: float, decimals: int) -> Decimal:
    """``x`` rounded half away from zero at ``decimals`` places (negative: tens …), from its
    shortest decimal text, so 0.125 rounds as written, not as its binary neighbour."""
    quantum = Decimal(1).scaleb(-decimals)
    return (Decimal(repr(float(x))) / quantum).quantize(Decimal(1), ROUND_HALF_UP) * quantum


def _text(d: Decimal, decimals: int) -> str:
    """``d`` fixed-point at ``decimals`` places (none when negative), thousands separated."""
    if d == 0:
        d = abs(d)  # no "-0.00"
    return f"{d:,.{max(decimals, 0)}f}"


def fmt_u(u: float | None) -> str:
    """An expanded uncertainty to two significant digits (``0.0008408`` → ``0.00084``)."""
    if not _finite(u) or float(u) <= 0:  # type: ignore[arg-type]
        return MISSING if not _finite(u) else "0"
    d = u_decimals(float(u))  # type: ignore[arg-type]
    return _text(_round(float(u), d), d)  # type: ignore[arg-type]


def fmt_measured(
    value: float | int | None, u: float | None, unit: str | None = None
) -> tuple[str, str]:
    """Texts of a measured value and its expanded uncertainty U (GUM 7.2.6).

    U to two significant digits, the value rounded to the last digit of U; without a usable U
    (``None``, zero) the value as :func:`fmt` with the digits of its quantity, U as
    :data:`MISSING`.

    Examples
    --------
    >>> fmt_measured(0.4310369, 0.0008408), fmt_measured(182.75517, 0.41352)
    (('0.43104', '0.00084'), ('182.76', '0.41'))
    >>> fmt_measured(526295.9999999948, 1234.5), fmt_measured(0.73, None, "°C")
    (('526,300', '1,200'), ('0.730', '—'))
    """
    if not _finite(u) or float(u) <= 0 or not _finite(value):  # type: ignore[arg-type]
        return fmt(value, sig_for(unit)), MISSING if not _finite(u) else fmt_u(u)
    d = u_decimals(float(u))  # type: ignore[arg-type]
    return _text(_round(float(value), d), d), fmt_u(u)  # type: ignore[arg-type]


def value_decimals(value: float | int | None, sig: int = SIG) -> int:
    """Decimal places :func:`fmt` prints ``value`` with (0 for large or missing values)."""
    if not _finite(value) or float(value) == 0:  # type: ignore[arg-type]
        return 0
    text = fmt(value, sig)
    return len(text.split(".")[1]) if "." in text else 0


def number_format(decimals: int) -> str:
    """Excel number format showing ``decimals`` places, thousands separated (``#,##0.00``)."""
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


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
