"""The charts' layout: no label is crossed by a data line or a reference line or covered by a
bar, whatever the data; control charts have a date axis and their unit on the y axis."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from thermaudit.report import charts
from thermaudit.report.charts import Box, Chart, ControlPanel, date_ticks

finite = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)
small = st.floats(min_value=-10.0, max_value=10.0, allow_nan=False, allow_infinity=False)


def test_box_geometry() -> None:
    b = Box(0, 0, 10, 10)
    assert b.crosses((-5, 5), (15, 5))  # straight through
    assert not b.crosses((-5, 20), (15, 20))  # below
    assert b.crosses((5, 5), (5.01, 5))  # a dot inside
    assert not b.crosses((11, -1), (20, 5))
    assert b.overlaps(Box(5, 5, 20, 20)) and not b.overlaps(Box(10.2, 0, 20, 10))


def _clear(svg: str) -> None:
    assert isinstance(svg, Chart)
    assert svg.layout.collisions() == []


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), finite), min_size=1, max_size=40),
    mean=st.one_of(st.none(), finite),
    with_bars=st.booleans(),
)
def test_trend_labels_are_never_crossed(
    values: list[float | None], mean: float | None, with_bars: bool
) -> None:
    points = [(f"12/{i + 1}", v) for i, v in enumerate(values)]
    bars = [None if v is None else v / 7 for v in values] if with_bars else None
    svg = charts.trend(
        points,
        "kgce/t",
        "daily",
        mean=None if mean is None else (f"period {mean:.4g}", mean),
        bars=bars,
        bars_unit="t",
    )
    _clear(svg)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), finite), min_size=1, max_size=25),
    reference=st.one_of(st.none(), finite),
)
def test_bar_labels_are_clear_of_the_reference_line(
    values: list[float | None], reference: float | None
) -> None:
    items = [(f"SKU-{i:03d}", v) for i, v in enumerate(values)]
    ref = None if reference is None else (f"plant {reference:.4g}", reference)
    _clear(charts.hbar(items, "kgce/t", "by product", reference=ref))


def test_bar_label_moves_past_a_reference_line_it_would_cross() -> None:
    # the plant figure just right of the bar's end: the label would sit on the line
    svg = charts.hbar([("A", 100.0), ("B", 40.0)], "kgce/t", "t", reference=("plant", 103.0))
    _clear(svg)
    label = next(box for text, box in svg.layout.labels if text == "100.0")
    line = next(a for role, a, _ in svg.layout.segments if role == "reference")
    assert label.x0 > line[0]


@settings(max_examples=25, deadline=None)
@given(
    tolerance=st.floats(min_value=0.2, max_value=5.0),
    errors=st.lists(small, min_size=0, max_size=200),
    p95=st.one_of(st.none(), st.floats(min_value=0.0, max_value=20.0)),
    days=st.integers(min_value=1, max_value=400),
)
def test_control_chart_labels_are_never_crossed(
    tolerance: float, errors: list[float], p95: float | None, days: int
) -> None:
    hours = days * 24.0
    t = [hours * (i + 0.5) / max(len(errors), 1) for i in range(len(errors))]
    panels = [
        ControlPanel(f"TCU-{k}", tolerance, t, errors, [-1.0, 0.0, 1.0], [3, 4], p95, f"TCU-{k}")
        for k in range(3)
    ]
    _clear(charts.control_charts(panels, hours, "control", dt.date(2025, 3, 1)))


def test_control_chart_has_dates_and_degrees() -> None:
    panel = ControlPanel("TCU-01", 1.0, [1.0, 300.0], [0.2, -0.4], [-1, 0, 1], [1, 1], 0.4, "c")
    svg = charts.control_charts([panel], 31 * 24.0, "control", dt.date(2025, 12, 1))
    texts = [text for text, _ in svg.layout.labels]
    assert "°C" in texts
    assert [x for x in texts if "/" in x] == ["12/1", "12/8", "12/15", "12/22", "12/29"]


def test_date_ticks() -> None:
    assert date_ticks(dt.date(2025, 12, 1), 3 * 24) == [
        (0.0, "12/1"),
        (24.0, "12/2"),
        (48.0, "12/3"),
        (72.0, "12/4"),
    ]
    year = date_ticks(dt.date(2025, 1, 1), 365 * 24)
    assert [label for _, label in year][:3] == ["2025-01", "2025-02", "2025-03"]
    assert len(year) == 13 and year[1][0] == 31 * 24 and year[-1] == (8760.0, "2026-01")
    # a period starting mid-month: months from the next first
    assert date_ticks(dt.date(2025, 1, 15), 100 * 24)[0] == (17 * 24.0, "2025-02")
