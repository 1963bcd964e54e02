"""The one number format shared by the PDF, the HTML and the workbook."""

from __future__ import annotations

import math

import pytest

from thermaudit.report.fmt import MISSING, fmt, fmt_given, fmt_tick


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
