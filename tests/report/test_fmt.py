"""The one number format shared by the PDF, the HTML and the workbook."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thermaudit.report.fmt import (
    MISSING,
    fmt,
    fmt_given,
    fmt_measured,
    fmt_tick,
    fmt_u,
    number_format,
    u_decimals,
    value_decimals,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (182.75516943791592, "182.8"),  # 4 significant digits
        (0.4310369287250466, "0.4310"),  # trailing zero kept: 4 significant digits
        (134680.15196884456, "134,680"),  # ≥ 10^3: integer, thousands separated
        (-636.065039999994, "-636.1"),
        (0.000123456, "0.0001235"),  # never scientific notation
        (9.9996, "10.00"),  # rounding carries into a new digit: still 4 digits
        (999.96, "1,000"),
        (100.0, "100.0"),
        (0, "0"),
        (-0.0, "0"),
        (20065, "20,065"),
    ],
)
def test_fmt_worked_examples(value: float, text: str) -> None:
    assert fmt(value) == text


@pytest.mark.parametrize("value", [None, math.nan, math.inf, -math.inf])
def test_missing_values_print_as_dash(value: float | None) -> None:
    assert fmt(value) == MISSING


def test_fmt_keeps_four_significant_digits_across_magnitudes() -> None:
    # independent route: Python's own significant-digit rounding ('g'), compared numerically
    for x in (1.23456, 12.3456, 123.456, 0.0123456, 7.0):
        assert float(fmt(x).replace(",", "")) == pytest.approx(float(f"{x:.4g}"), rel=0, abs=0)


def test_given_figures_are_not_rounded() -> None:
    # coefficients and parameters print exactly as the reference tables give them
    assert fmt_given(1.2143) == "1.2143"
    assert fmt_given(29.3076) == "29.3076"
    assert fmt_given(2023.0) == "2023"
    assert fmt_given(None) == MISSING


def test_ticks_are_short() -> None:
    assert [fmt_tick(v) for v in (0.0, 0.5, 250.0, -2.0, 1500.0)] == [
        "0",
        "0.5",
        "250",
        "-2",
        "1,500",
    ]


# ---------------------------------------------------------------- value ± U (GUM 7.2.6)


@pytest.mark.parametrize(
    ("value", "u", "texts"),
    [
        # the demo plant's carbon intensity: U 0.0008408 -> 0.00084, value at 10^-5
        (0.4310369287, 0.0008408, ("0.43104", "0.00084")),
        (182.75516943791592, 0.4135, ("182.76", "0.41")),
        (34.41, 0.4937, ("34.41", "0.49")),
        (0.73, 0.12, ("0.73", "0.12")),
        # U rounds up into a new digit: 0.0995 -> 0.10, the value at 10^-2
        (1.23456, 0.0995, ("1.23", "0.10")),
        # U of tens and hundreds: the value rounded to tens/hundreds, no spurious decimals
        (526295.9999999948, 1234.5, ("526,300", "1,200")),
        (-12.345, 0.25, ("-12.35", "0.25")),  # half away from zero, as written
        (0.0001, 0.25, ("0.00", "0.25")),
    ],
)
def test_measured_worked_examples(value: float, u: float, texts: tuple[str, str]) -> None:
    assert fmt_measured(value, u) == texts


def test_without_uncertainty_the_quantity_decides_the_digits() -> None:
    # the mold accuracy was 0.73 in the CLI and ±0.7300 in the PDF: one rule, 3 digits for °C
    assert fmt_measured(0.73, None, "°C") == ("0.730", MISSING)
    assert fmt_measured(182.75516943791592, None, "kgce/t") == ("182.8", MISSING)
    assert fmt_measured(None, 0.1) == (MISSING, "0.10")


def test_a_nonpositive_uncertainty_is_refused_by_the_decimals_rule() -> None:
    with pytest.raises(ValueError, match="positive and finite, found -1"):
        u_decimals(-1.0)


def test_workbook_format_shows_the_decimals_of_the_text() -> None:
    assert number_format(0) == "#,##0"
    assert number_format(3) == "#,##0.000"
    assert number_format(-2) == "#,##0"
    assert value_decimals(182.75516943791592) == 1
    assert value_decimals(0.4310369) == 4
    assert value_decimals(526295.9999999948) == 0


def _sig_digits(text: str) -> int:
    return len(text.replace(",", "").replace(".", "").lstrip("-").lstrip("0"))


_U = st.floats(min_value=1e-9, max_value=1e9, allow_nan=False, allow_infinity=False)
_X = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(_U)
def test_u_has_two_significant_digits(u: float) -> None:
    text = fmt_u(u)
    # "0.10" and "1,200" count two digits: trailing zeros of the mantissa are significant,
    # zeros before the decimal point that only place it (hundreds) are not
    digits = text.replace(",", "")
    d = u_decimals(u)
    mantissa = digits if d >= 0 else digits[: len(digits) + d]
    assert _sig_digits(mantissa) == 2, (u, text)
    # and it is u rounded at that place: within half a unit of its last digit
    assert abs(Decimal(digits) - Decimal(repr(u))) <= Decimal(1).scaleb(-d) / 2


@given(_X, _U)
def test_value_is_rounded_at_the_last_digit_of_u(x: float, u: float) -> None:
    v_text, u_text = fmt_measured(x, u)
    d = u_decimals(u)
    v = Decimal(v_text.replace(",", ""))
    # same number of decimals as U (none when U is ten or more)
    assert len(v_text.partition(".")[2]) == max(d, 0) == len(u_text.partition(".")[2])
    # a multiple of U's last place, within half of it from the value (round trip)
    step = Decimal(1).scaleb(-d)
    assert v % step == 0
    assert abs(v - Decimal(repr(x))) <= step / 2


@given(_X, _U)
def test_round_trip_is_stable(x: float, u: float) -> None:
    # formatting the printed figure again prints the same text: rounding is idempotent
    v_text, u_text = fmt_measured(x, u)
    again = fmt_measured(float(v_text.replace(",", "")), float(u_text.replace(",", "")))
    assert again == (v_text, u_text)
