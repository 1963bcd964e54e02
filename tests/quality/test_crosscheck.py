"""Cross-department reconciliation (issue 19, section 3) on small hand-made plants: each
finding once with its defect (positive) and once without (negative), the summary's counts,
and the contract's refusals of bad ``maintenance`` and ``quality`` rows.

The plant: one day (2025-03-01, Asia/Shanghai), die-casting machine DCM-1 on line L1 (rated
100 kW) with its own meter E-DCM1 read every hour, and the builder's production row (500 good
pieces of P-1 on L1, no scrap)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from builders import Plant, hourly
from cli_run import thermaudit

from thermaudit.api import open_dataset
from thermaudit.dataset.reader import normalize
from thermaudit.demo import DemoInfo
from thermaudit.errors import InvalidDataset
from thermaudit.metrics.assess import Assessment, assess, connect
from thermaudit.quality.crosscheck import CHECKS, CODES, CrossCheck, cross_check
from thermaudit.quality.findings import catalogue

DAY = "2025-03-01"
TZ = ZoneInfo("Asia/Shanghai")


def plant(dcm_kwh_per_hour: list[float] | None = None) -> Plant:
    p = Plant()
    p.site["equipment"] = [
        {"id": "DCM-1", "type": "die_casting_machine", "rated_kw": 100, "line": "L1"},
        {"id": "COMP-1", "type": "compressor", "rated_kw": 30},
    ]
    p.meter(id="E-DCM1", parent="E-MAIN", line="L1", equipment=["DCM-1"])
    steps = dcm_kwh_per_hour if dcm_kwh_per_hour is not None else [40.0] * 24
    p.rows("readings", *hourly("E-MAIN", 1000.0, [100.0] * 24))
    p.rows("readings", *hourly("E-DCM1", 500.0, steps))
    return p


def window(start: str, end: str, kind: str = "planned", eq: str = "DCM-1") -> dict[str, Any]:
    return {"equipment_id": eq, "start": start, "end": end, "kind": kind, "note": "die polish"}


def run(p: Plant, tmp: Path, **parameters: float) -> CrossCheck:
    with open_dataset(p.write(tmp / "ds")) as ds:
        return cross_check(ds, con=connect(), parameters=parameters)


def check_of(result: CrossCheck, name: str) -> dict[str, Any]:
    (c,) = [c for c in result.summary["checks"] if c["check"] == name]
    return c


def codes(result: CrossCheck) -> list[str]:
    return [f.code for f in result.findings]


def test_every_code_is_in_the_catalogue() -> None:
    for code in CODES:
        assert code in catalogue(), code


# ---------------------------------------------------------------------------------------------
# maintenance against production


def test_date_only_production_on_a_maintenance_day_conflicts(tmp_path: Path) -> None:
    """A window 10:00–12:00 overlaps 2025-03-01: the day's date-only output on L1 cannot be
    placed outside it."""
    p = plant([40.0] * 10 + [1.0, 1.0] + [40.0] * 12)
    p.rows("maintenance", window(f"{DAY} 10:00:00", f"{DAY} 12:00:00"))
    r = run(p, tmp_path)
    (f,) = [f for f in r.findings if f.code == "quality.maintenance.production"]
    assert f.evidence["equipment"] == "DCM-1" and f.evidence["line"] == "L1"
    assert f.evidence["kind"] == "planned"
    assert f.evidence["start"] == "2025-03-01T10:00:00+08:00"
    assert f.evidence["end"] == "2025-03-01T12:00:00+08:00"
    assert f.evidence["_row"] == 2  # maintenance.csv row 2
    assert f.evidence["production_rows"] == [2] and f.evidence["days"] == [DAY]
    assert f.evidence["good_qty"] == 500
    assert "DCM-1" in f.message and "maintenance row 2" in f.message
    c = check_of(r, "maintenance_production")
    assert (c["compared"], c["consistent"], c["inconsistent"]) == (1, 0, 1)
    # the machine was at 1 kWh/h in the window: not production-level load
    assert "quality.maintenance.full_load" not in codes(r)


def test_maintenance_without_output_on_its_line_is_consistent(tmp_path: Path) -> None:
    """Output on another line, equipment without a line and a window before the period:
    nothing conflicts, and the summary says what was (not) compared."""
    p = plant([40.0] * 10 + [1.0, 1.0] + [40.0] * 12)
    p.tables["production"] = [
        {"date": DAY, "sku": "P-1", "line": "L2", "good_qty": 500, "scrap_qty": 0},
        {"date": DAY, "sku": "P-1", "line": "L1", "good_qty": 0, "scrap_qty": 0},
    ]
    p.rows(
        "maintenance",
        window(f"{DAY} 10:00:00", f"{DAY} 12:00:00"),
        window(f"{DAY} 08:00:00", f"{DAY} 09:00:00", kind="unplanned", eq="COMP-1"),
        window("2025-02-27 08:00:00", "2025-02-28 23:00:00"),
    )
    r = run(p, tmp_path)
    assert codes(r) == []
    c = check_of(r, "maintenance_production")
    assert (c["compared"], c["consistent"], c["not_compared"]) == (1, 1, 1)
    assert r.summary["maintenance_windows"] == {
        "total": 3,
        "in_period": 2,
        "planned": 1,
        "unplanned": 1,
    }


@pytest.mark.parametrize(("shift_end", "conflicts"), [("11:00:00", True), ("16:00:00", False)])
def test_timestamped_production_conflicts_inside_the_window_only(
    tmp_path: Path, shift_end: str, conflicts: bool
) -> None:
    p = plant([40.0] * 10 + [1.0, 1.0] + [40.0] * 12)
    p.tables["production"] = [
        {"timestamp": f"{DAY} {shift_end}", "sku": "P-1", "line": "L1", "good_qty": 80}
        | {"scrap_qty": 1}
    ]
    p.rows("maintenance", window(f"{DAY} 10:00:00", f"{DAY} 12:00:00"))
    r = run(p, tmp_path)
    assert ("quality.maintenance.production" in codes(r)) is conflicts


def test_a_window_ending_at_midnight_does_not_touch_the_next_day(tmp_path: Path) -> None:
    p = plant()
    p.rows("maintenance", window("2025-02-28 20:00:00", f"{DAY} 00:00:00"))
    assert "quality.maintenance.production" not in codes(run(p, tmp_path))


# ---------------------------------------------------------------------------------------------
# maintenance against the equipment's meter


def test_full_load_under_maintenance(tmp_path: Path) -> None:
    """55 kWh in each hour of 10:00–12:00 → 55 kW mean, 55 % of the 100 kW rating ≥ 30 %."""
    p = plant([40.0] * 10 + [55.0, 55.0] + [40.0] * 12)
    p.rows("maintenance", window(f"{DAY} 10:00:00", f"{DAY} 12:00:00", kind="unplanned"))
    r = run(p, tmp_path)
    (f,) = [f for f in r.findings if f.code == "quality.maintenance.full_load"]
    e = f.evidence
    assert (e["meter"], e["equipment"], e["intervals"]) == ("E-DCM1", "DCM-1", 2)
    assert e["mean_kw"] == pytest.approx(55.0, abs=0.05)  # rounded to 0.1 kW
    assert e["energy_kwh"] == pytest.approx(110.0, abs=1e-3)
    assert e["load_pct"] == pytest.approx(55.0, abs=0.05) and e["threshold_pct"] == 30.0
    c = check_of(r, "maintenance_energy")
    assert (c["compared"], c["inconsistent"]) == (1, 1)


def test_low_load_under_maintenance_and_a_higher_threshold(tmp_path: Path) -> None:
    """2 kWh/h is a machine switched off; 55 kW passes a fraction raised to 0.6."""
    p = plant([40.0] * 10 + [2.0, 2.0] + [40.0] * 12)
    p.rows("maintenance", window(f"{DAY} 10:00:00", f"{DAY} 12:00:00"))
    r = run(p, tmp_path)
    assert "quality.maintenance.full_load" not in codes(r)
    assert check_of(r, "maintenance_energy")["consistent"] == 1

    p2 = plant([40.0] * 10 + [55.0, 55.0] + [40.0] * 12)
    p2.rows("maintenance", window(f"{DAY} 10:00:00", f"{DAY} 12:00:00"))
    r2 = run(p2, tmp_path / "b", maintenance_load_fraction=0.6)
    assert "quality.maintenance.full_load" not in codes(r2)


def test_a_window_shorter_than_an_interval_is_not_judged(tmp_path: Path) -> None:
    p = plant([40.0] * 10 + [55.0, 55.0] + [40.0] * 12)
    p.rows("maintenance", window(f"{DAY} 10:15:00", f"{DAY} 10:45:00"))
    r = run(p, tmp_path)
    assert "quality.maintenance.full_load" not in codes(r)
    assert check_of(r, "maintenance_energy")["compared"] == 0


# ---------------------------------------------------------------------------------------------
# quality against production


def test_quality_scrap_differs_from_production(tmp_path: Path) -> None:
    p = plant()
    p.tables["production"] = [
        {"date": DAY, "sku": "P-1", "line": "L1", "good_qty": 480, "scrap_qty": 20},
        {"date": DAY, "sku": "P-1", "line": "L1", "good_qty": 470, "scrap_qty": 30},
    ]
    p.rows(
        "quality",
        {"date": DAY, "sku": "P-1", "line": "L1", "inspected_qty": 1000, "scrap_qty": 80},
    )
    r = run(p, tmp_path)
    (f,) = [f for f in r.findings if f.code == "quality.scrap.mismatch"]
    e = f.evidence
    assert (e["line"], e["sku"], e["count"], e["day"]) == ("L1", "P-1", 1, DAY)
    assert (e["quality_scrap"], e["production_scrap"], e["used"]) == (80, 50, "production")
    (d,) = e["days"]
    assert d["difference"] == 30 and d["quality_rows"] == [2] and d["production_rows"] == [2, 3]
    assert "metrics use production's scrap" in f.message
    c = check_of(r, "scrap")
    assert (c["compared"], c["inconsistent"]) == (1, 1)
    assert (c["quality_scrap"], c["production_scrap"]) == (80, 50)


@pytest.mark.parametrize(
    ("quality_scrap", "params", "flagged"),
    [
        (52, {}, False),  # Δ 2 ≤ max(2 pieces, 5 % × 50 = 2.5)
        (53, {}, True),  # Δ 3 > 2.5
        (53, {"scrap_tolerance_pct": 10.0}, False),  # Δ 3 ≤ 10 % × 50 = 5
        (45, {"scrap_tolerance_pieces": 5.0}, False),  # |Δ| 5 ≤ 5 pieces
    ],
)
def test_scrap_tolerance(
    tmp_path: Path, quality_scrap: int, params: dict[str, float], flagged: bool
) -> None:
    p = plant()
    p.tables["production"] = [
        {"date": DAY, "sku": "P-1", "line": "L1", "good_qty": 950, "scrap_qty": 50}
    ]
    p.rows(
        "quality",
        {
            "date": DAY,
            "sku": "P-1",
            "line": "L1",
            "inspected_qty": 1000,
            "scrap_qty": quality_scrap,
        },
    )
    r = run(p, tmp_path, **params)
    assert ("quality.scrap.mismatch" in codes(r)) is flagged


def test_quality_record_of_a_line_without_production_is_compared_with_zero(
    tmp_path: Path,
) -> None:
    p = plant()
    p.rows(
        "quality",
        {"date": DAY, "sku": "P-1", "line": "L9", "inspected_qty": 100, "scrap_qty": 10},
        {"date": "2025-03-02", "sku": "P-1", "line": "L1", "inspected_qty": 100, "scrap_qty": 9},
    )
    r = run(p, tmp_path)
    (f,) = [f for f in r.findings if f.code == "quality.scrap.mismatch"]
    assert f.evidence["line"] == "L9" and f.evidence["days"][0]["production_rows"] == []
    c = check_of(r, "scrap")
    # the row of 2025-03-02 lies outside the period; L1's production has no quality record
    assert (c["compared"], c["production_without_record"]) == (1, 1)


# ---------------------------------------------------------------------------------------------
# mold temperature log against production


def mold_rows(state: str) -> list[dict[str, Any]]:
    return [
        {
            "timestamp": f"{DAY} {h:02d}:00:00",
            "controller_id": "TCU-1",
            "setpoint_c": 180,
            "actual_c": 180.5,
            "state": state,
        }
        for h in range(8, 12)
    ]


def mold_plant(state: str) -> Plant:
    p = plant()
    p.site["temperature_controllers"] = [
        {"id": "TCU-1", "mold": "M-1", "line": "L1", "medium": "oil", "tolerance_c": 1.0}
    ]
    p.rows("mold_temperature", *mold_rows(state))
    return p


def test_output_without_a_producing_controller(tmp_path: Path) -> None:
    r = run(mold_plant("idle"), tmp_path)
    (f,) = [f for f in r.findings if f.code == "quality.mold.output_without_producing"]
    assert f.evidence["line"] == "L1" and f.evidence["controllers"] == ["TCU-1"]
    assert f.evidence["days"] == [
        {"day": DAY, "samples": 4, "good_qty": 500, "production_rows": [2]}
    ]
    c = check_of(r, "mold_output")
    assert (c["compared"], c["inconsistent"]) == (1, 1)


def test_output_with_a_producing_controller(tmp_path: Path) -> None:
    r = run(mold_plant("producing"), tmp_path)
    assert "quality.mold.output_without_producing" not in codes(r)
    assert check_of(r, "mold_output")["consistent"] == 1
    assert check_of(r, "mold_producing")["consistent"] == 1


def test_producing_without_output_is_counted_like_the_mold_check(tmp_path: Path) -> None:
    """Producing samples on a day without output: quality.mold.no_output (checks) reports
    it; the summary counts the same controller-day."""
    p = mold_plant("producing")
    p.tables["production"] = [
        {"date": DAY, "sku": "P-1", "line": "L2", "good_qty": 500, "scrap_qty": 0}
    ]
    with open_dataset(p.write(tmp_path / "ds")) as ds:
        a = assess(ds, con=connect())
    assert "quality.mold.no_output" in [f.code for f in a.findings]
    checks = {c["check"]: c for c in a.document["cross_department"]["checks"]}
    assert (checks["mold_producing"]["compared"], checks["mold_producing"]["inconsistent"]) == (
        1,
        1,
    )
    assert checks["mold_output"]["compared"] == 0  # L1 made nothing


# ---------------------------------------------------------------------------------------------
# the contract's refusals


@pytest.mark.parametrize(
    ("table", "row", "expected"),
    [
        (
            "maintenance",
            window(f"{DAY} 12:00:00", f"{DAY} 10:00:00"),
            ("end", "a time on or after start (2025-03-01 12:00"),
        ),
        (
            "maintenance",
            window(f"{DAY} 10:00", f"{DAY} 12:00", kind="breakdown"),
            ("kind", "planned"),
        ),
        (
            "maintenance",
            window(f"{DAY} 10:00", f"{DAY} 12:00", eq="DCM-9"),
            ("equipment_id", "DCM-1"),
        ),
        ("maintenance", window("yesterday", f"{DAY} 12:00"), ("start", "yesterday")),
        (
            "quality",
            {"date": DAY, "sku": "P-1", "line": "L1", "inspected_qty": 10, "scrap_qty": 12},
            ("scrap_qty", "at most inspected_qty (10 pieces)"),
        ),
        (
            "quality",
            {"date": DAY, "sku": "P-1", "line": "L1", "inspected_qty": 10.5, "scrap_qty": 1},
            ("inspected_qty", "a whole number of pieces"),
        ),
        (
            "quality",
            {"date": DAY, "sku": "P-9", "line": "L1", "inspected_qty": 10, "scrap_qty": 1},
            ("sku", "P-1"),
        ),
        (
            "quality",
            {"date": DAY, "sku": "P-1", "line": "L1", "inspected_qty": 10, "scrap_qty": -1},
            ("scrap_qty", "≥ 0"),
        ),
    ],
)
def test_bad_rows_are_refused_at_their_cell(
    tmp_path: Path, table: str, row: dict[str, Any], expected: tuple[str, str]
) -> None:
    good = (
        window(f"{DAY} 10:00:00", f"{DAY} 12:00:00")
        if table == "maintenance"
        else {"date": DAY, "sku": "P-1", "line": "L1", "inspected_qty": 10, "scrap_qty": 1}
    )
    p = plant().rows(table, good, row)
    with pytest.raises(InvalidDataset) as e, open_dataset(p.write(tmp_path / "ds")):
        pass
    text = str(e.value)
    column, want = expected
    assert f"{table}.csv" in text and "row 3" in text and column in text, text
    assert want in text, text


# ---------------------------------------------------------------------------------------------
# the demo plant's planted inconsistencies


@pytest.fixture(scope="module")
def demo_run(demo: DemoInfo, tmp_path_factory: pytest.TempPathFactory) -> Assessment:
    tmp = tmp_path_factory.mktemp("crosscheck-demo")
    return assess(normalize(demo.path, tmp / "norm"), con=connect())


def _csv(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_demo_planted_maintenance_day_is_found(demo: DemoInfo, demo_run: Assessment) -> None:
    """The planned die repair of DC-03's machine (10:00–14:00) on a day the line produced:
    its date-only production rows are named; the machine's meter shows it stopped; the
    unplanned stop on the day without shifts conflicts with nothing."""
    (repair,) = demo.events_of("maintenance")
    (stop,) = demo.events_of("unplanned_stop")
    found = [f for f in demo_run.findings if f.code.startswith("quality.maintenance.")]
    (f,) = found
    assert f.code == "quality.maintenance.production"
    assert (f.evidence["equipment"], f.evidence["line"]) == ("DCM-03", repair.subject)
    assert f.evidence["start"] == repair.start.replace(tzinfo=TZ).isoformat()
    day = repair.start.date().isoformat()
    # the production rows of that line and day, read from production.csv (row = index + 2)
    rows = [
        i + 2
        for i, r in enumerate(_csv(demo.path, "production"))
        if r["date"] == day and r["line"] == repair.subject
    ]
    assert f.evidence["production_rows"] == rows and f.evidence["days"] == [day]
    stops = {r["equipment_id"]: r for r in _csv(demo.path, "maintenance")}
    assert stops[stop.subject]["kind"] == "unplanned"
    assert not any(
        r["date"] == stop.start.date().isoformat() for r in _csv(demo.path, "production")
    )
    checks = {c["check"]: c for c in demo_run.document["cross_department"]["checks"]}
    assert checks["maintenance_production"]["compared"] == 2
    assert checks["maintenance_production"]["inconsistent"] == 1
    assert (
        checks["maintenance_energy"]["compared"],
        checks["maintenance_energy"]["consistent"],
    ) == (
        2,
        2,
    )


def test_demo_planted_scrap_day_is_found(demo: DemoInfo, demo_run: Assessment) -> None:
    (planted,) = demo.events_of("quality_scrap_mismatch")
    (f,) = [f for f in demo_run.findings if f.code == "quality.scrap.mismatch"]
    day = planted.start.date().isoformat()
    made = sum(
        int(r["scrap_qty"])
        for r in _csv(demo.path, "production")
        if (r["date"], r["line"]) == (day, planted.subject)
    )
    booked = [
        r for r in _csv(demo.path, "quality") if (r["date"], r["line"]) == (day, planted.subject)
    ]
    assert (f.evidence["line"], f.evidence["day"], f.evidence["count"]) == (planted.subject, day, 1)
    assert f.evidence["production_scrap"] == made == planted.detail["production_scrap"]
    assert [int(r["scrap_qty"]) for r in booked] == [f.evidence["quality_scrap"]]
    assert f.evidence["quality_scrap"] - made >= max(12, made // 4)
    checks = {c["check"]: c for c in demo_run.document["cross_department"]["checks"]}
    assert checks["scrap"]["compared"] == len(_csv(demo.path, "quality"))
    assert checks["scrap"]["inconsistent"] == 1
    # every other record carries production's scrap exactly
    assert checks["mold_output"]["inconsistent"] == 0


def test_check_prints_the_cross_department_summary(demo: DemoInfo, tmp_path: Path) -> None:
    r = thermaudit("check", demo.path, "-o", tmp_path / "out", columns=200)
    assert r.returncode == 0, r.stderr
    assert "cross-department reconciliation" in r.stdout
    assert "Maintenance windows against production" in r.stdout
    assert "maintenance windows in the period: 2 (1 planned, 1 unplanned)" in r.stdout
    doc = json.loads((tmp_path / "out" / "findings.json").read_text("utf-8"))
    assert [c["check"] for c in doc["cross_department"]["checks"]] == list(CHECKS)


def test_owners_may_name_the_two_tables(tmp_path: Path) -> None:
    """site.yaml owners accept every read table, these two included (they were unread)."""
    p = plant()
    p.site["owners"] = {
        "maintenance": {"department": "maintenance", "role": "shift foreman"},
        "quality": {"department": "quality assurance"},
    }
    p.rows("maintenance", window(f"{DAY} 10:00:00", f"{DAY} 12:00:00"))
    with open_dataset(p.write(tmp_path / "ds")) as ds:
        assert ds.site.owners is not None
        assert ds.site.owners["quality"].department == "quality assurance"
        assert ds.has("maintenance") and not ds.has("quality")
