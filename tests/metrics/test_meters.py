"""Consumption of a meter in the period, hand-calculated (contract computation rules).

Every plant below has the one-day period 2025-03-01 in Asia/Shanghai, i.e. intervals ending
in (2025-03-01 00:00, 2025-03-02 00:00] local time. Each test's docstring works the answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import Plant, hourly

from thermaudit.api import open_dataset
from thermaudit.metrics.assess import assess

# sums of a few decimal numbers: exact to well below 1e-9 relative
REL = 1e-9


def run(plant: Plant, tmp_path: Path) -> dict:
    with open_dataset(plant.write(tmp_path / "ds")) as ds:
        return assess(ds).document


def test_whole_day_of_hourly_readings(tmp_path: Path) -> None:
    """Readings every hour 00:00…24:00 rising by 10 kWh: the 00:00 reading is the first
    and closes no interval; 24 intervals × 10 kWh = 240 kWh; 24 of 24 intervals received;
    E = 240 × 0.1229 = 29.496 kgce; P = 500 × 2 kg = 1 t → 29.496 kgce/t."""
    p = Plant().rows("readings", *hourly("E-MAIN", 1000.0, [10.0] * 24))
    doc = run(p, tmp_path)
    m = doc["meters"]["E-MAIN"]
    assert m["consumption"] == pytest.approx(240.0, rel=REL)
    assert (m["intervals_received"], m["intervals_expected"]) == (24, 24)
    upe = doc["metrics"]["unit_product_energy"]
    assert upe["detail"]["energy_kgce"] == pytest.approx(29.496, rel=REL)
    assert upe["value"] == pytest.approx(29.496, rel=REL)
    assert not [f for f in doc["findings"] if f["code"].startswith("quality.reading")]


def test_boundary_interpolated_between_readings_around_it(tmp_path: Path) -> None:
    """Readings at 22:00 the day before (0) and 02:00 (40), then +10/h up to 24:00.
    The start 00:00 lies in (22:00, 02:00]: the interpolated register is 20, so that
    interval contributes 40 − 20 = 20; then 22 intervals × 10 = 220; total 240 kWh.
    The interpolation is reported with the readings around it."""
    rows = hourly("E-MAIN", 0.0, [], day="2025-02-28", from_hour=22)
    rows += hourly("E-MAIN", 40.0, [10.0] * 22, from_hour=2)
    doc = run(Plant().rows("readings", *rows), tmp_path)
    assert doc["meters"]["E-MAIN"]["consumption"] == pytest.approx(240.0, rel=REL)
    # 23 real readings in the period close intervals (02:00 … 24:00)
    assert doc["meters"]["E-MAIN"]["intervals_received"] == 23
    f = [f for f in doc["findings"] if f["code"] == "quality.reading.interpolated_boundary"]
    assert len(f) == 1
    assert f[0]["evidence"]["meter"] == "E-MAIN"
    assert f[0]["evidence"]["side"] == "start"
    assert f[0]["evidence"]["before"] == "2025-02-28T22:00:00+08:00"
    assert f[0]["evidence"]["after"] == "2025-03-01T02:00:00+08:00"
    assert f[0]["evidence"]["value"] == pytest.approx(20.0, rel=REL)


def test_rollover_with_multiplier(tmp_path: Path) -> None:
    """Register max 999.9, multiplier 2: 990 at 00:00, 995 at 01:00, 5 at 02:00, 15 at 03:00.
    Amounts: (995 − 990)·2 = 10; wrap (999.9 − 995 + 5)·2 = 19.8; (15 − 5)·2 = 20 → 49.8."""
    p = Plant()
    p.site["meters"][0].update(rollover=999.9, multiplier=2)
    p.rows(
        "readings",
        *[
            {"meter_id": "E-MAIN", "timestamp": f"2025-03-01 0{h}:00:00", "value": v}
            for h, v in enumerate([990, 995, 5, 15])
        ],
    )
    doc = run(p, tmp_path)
    assert doc["meters"]["E-MAIN"]["consumption"] == pytest.approx(49.8, rel=REL)
    wraps = [f for f in doc["findings"] if f["code"] == "quality.reading.rollover"]
    assert [w["evidence"]["amount"] for w in wraps] == [pytest.approx(19.8, rel=REL)]
    assert wraps[0]["evidence"]["at"] == "2025-03-01T02:00:00+08:00"


def test_negative_difference_without_rollover_is_excluded(tmp_path: Path) -> None:
    """100, 110, 109.5, 120 hourly: the fall of 0.5 is excluded and reported; the next
    interval continues from 109.5: 10 + 10.5 = 20.5 kWh."""
    p = Plant().rows(
        "readings",
        *[
            {"meter_id": "E-MAIN", "timestamp": f"2025-03-01 0{h}:00:00", "value": v}
            for h, v in enumerate([100, 110, 109.5, 120])
        ],
    )
    doc = run(p, tmp_path)
    assert doc["meters"]["E-MAIN"]["consumption"] == pytest.approx(20.5, rel=REL)
    neg = [f for f in doc["findings"] if f["code"] == "quality.reading.negative_delta"]
    assert len(neg) == 1
    assert neg[0]["evidence"] == {
        "meter": "E-MAIN",
        "at": "2025-03-01T02:00:00+08:00",
        "delta": pytest.approx(0.5),
        "role": "supply",
    }
    # a supply meter with an unexplained negative difference disqualifies energy
    assert not doc["metrics"]["unit_product_energy"]["sufficiency"]["qualified"]


@pytest.mark.parametrize(
    ("old_final", "new_initial", "next_value", "expected"),
    [
        # replaced by a new register at 0: (105 − 100) + (3 − 0) = 8
        (105.0, 0.0, 3.0, 8.0),
        # a used meter starting ABOVE the old one: raw difference 12004 − 100 is wrong;
        # (102 − 100) + (12004 − 12000) = 6
        (102.0, 12000.0, 12004.0, 6.0),
    ],
)
def test_meter_event_splits_the_interval(
    tmp_path: Path, old_final: float, new_initial: float, next_value: float, expected: float
) -> None:
    """Readings 90 (09:00), 100 (10:00), replacement at 10:30, ``next`` at 11:00; the first
    interval gives 10, the split one ``expected``; multiplier 1."""
    p = (
        Plant()
        .rows(
            "readings",
            {"meter_id": "E-MAIN", "timestamp": "2025-03-01 09:00:00", "value": 90},
            {"meter_id": "E-MAIN", "timestamp": "2025-03-01 10:00:00", "value": 100},
            {"meter_id": "E-MAIN", "timestamp": "2025-03-01 11:00:00", "value": next_value},
        )
        .rows(
            "meter_events",
            {
                "meter_id": "E-MAIN",
                "timestamp": "2025-03-01 10:30:00",
                "event": "replaced",
                "old_final": old_final,
                "new_initial": new_initial,
            },
        )
    )
    doc = run(p, tmp_path)
    assert doc["meters"]["E-MAIN"]["consumption"] == pytest.approx(10.0 + expected, rel=REL)
    ev = [f for f in doc["findings"] if f["code"] == "quality.reading.meter_event"]
    assert [e["evidence"]["amount"] for e in ev] == [pytest.approx(expected, rel=REL)]


def test_event_at_a_reading_of_the_old_register(tmp_path: Path) -> None:
    """The 10:00 reading equals old_final (105): it is the old register's last value, so the
    event splits (10:00, 11:00]: (105 − 105) + (3 − 0) = 3; plus (105 − 95) = 10 → 13."""
    p = (
        Plant()
        .rows(
            "readings",
            {"meter_id": "E-MAIN", "timestamp": "2025-03-01 09:00:00", "value": 95},
            {"meter_id": "E-MAIN", "timestamp": "2025-03-01 10:00:00", "value": 105},
            {"meter_id": "E-MAIN", "timestamp": "2025-03-01 11:00:00", "value": 3},
        )
        .rows(
            "meter_events",
            {
                "meter_id": "E-MAIN",
                "timestamp": "2025-03-01 10:00:00",
                "event": "reset",
                "old_final": 105,
                "new_initial": 0,
            },
        )
    )
    doc = run(p, tmp_path)
    assert doc["meters"]["E-MAIN"]["consumption"] == pytest.approx(13.0, rel=REL)


def test_no_reading_before_the_start_is_not_extrapolated(tmp_path: Path) -> None:
    """A meter commissioned at 12:00: readings 12:00…24:00 rising by 5. Its period starts at
    its first reading (no extrapolation): 12 intervals × 5 = 60; 12 h uncovered, reported."""
    p = Plant().rows("readings", *hourly("E-MAIN", 0.0, [5.0] * 12, from_hour=12))
    doc = run(p, tmp_path)
    assert doc["meters"]["E-MAIN"]["consumption"] == pytest.approx(60.0, rel=REL)
    assert doc["meters"]["E-MAIN"]["intervals_received"] == 12
    unc = [f for f in doc["findings"] if f["code"] == "quality.reading.uncovered_boundary"]
    assert len(unc) == 1
    assert unc[0]["evidence"]["side"] == "start"
    assert unc[0]["evidence"]["hours"] == pytest.approx(12.0)


def test_interval_meter_counts_interval_ends_inside_the_period(tmp_path: Path) -> None:
    """An interval meter (MWh, multiplier 1): amounts at 00:00 (belongs to the day before),
    12:00 and 24:00 (inside). 0.5 + 0.25 MWh = 750 kWh."""
    p = Plant()
    p.site["meters"][0].update(reading="interval", unit="MWh", interval_s=43200)
    p.rows(
        "readings",
        {"meter_id": "E-MAIN", "timestamp": "2025-03-01 00:00:00", "value": 9},
        {"meter_id": "E-MAIN", "timestamp": "2025-03-01 12:00:00", "value": 0.5},
        {"meter_id": "E-MAIN", "timestamp": "2025-03-02 00:00:00", "value": 0.25},
    )
    doc = run(p, tmp_path)
    assert doc["meters"]["E-MAIN"]["consumption"] == pytest.approx(750.0, rel=REL)
    assert doc["meters"]["E-MAIN"]["intervals_received"] == 2


def test_offsets_and_time_zone(tmp_path: Path) -> None:
    """The same instants written with a UTC offset give the same answer: 2025-03-01 00:00
    Asia/Shanghai is 2025-02-28T16:00:00Z."""
    rows = hourly("E-MAIN", 1000.0, [10.0] * 24)
    import datetime as dt

    for r in rows:
        t = dt.datetime.fromisoformat(r["timestamp"]) - dt.timedelta(hours=8)
        r["timestamp"] = t.isoformat() + "Z"
    doc = run(Plant().rows("readings", *rows), tmp_path)
    assert doc["meters"]["E-MAIN"]["consumption"] == pytest.approx(240.0, rel=REL)
