"""Unplanned downtime against the diagnosis's wastes (issue 19, section 3): the demo plant's
unplanned stop of DCM-05 on its day without shifts coincides with the furnaces holding
metal; the same stop moved into production hours coincides with nothing."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.dataset as pds
import pytest

from thermaudit.dataset.reader import normalize
from thermaudit.demo import DemoInfo, write_demo
from thermaudit.diagnosis.section import diagnosis_section
from thermaudit.engine import connect
from thermaudit.metrics.assess import assess


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoInfo:
    return write_demo(tmp_path_factory.mktemp("downtime") / "dataset", days=7)


def _diagnose(folder: Path, tmp: Path) -> dict[str, Any]:
    ds = normalize(folder, tmp / "norm")
    con = connect()
    return diagnosis_section(ds, con, assess(ds, con=con))


def _register(folder: Path, meter: str, at: dt.datetime) -> float:
    """The register value of ``meter`` at local time ``at``, read from the demo's files."""
    path = next(folder.glob("readings.*"))
    t = pds.dataset(path, format=path.suffix[1:]).to_table()
    ids = pc.cast(t.column("meter_id"), "string")
    stamps = pc.cast(t.column("timestamp"), "timestamp[s]")
    hit = t.filter(pc.and_(pc.equal(ids, meter), pc.equal(stamps, at)))
    (value,) = hit.column("value").to_pylist()
    return float(value)


def test_unplanned_stop_coincides_with_idle_holding(demo: DemoInfo, tmp_path: Path) -> None:
    (stop,) = demo.events_of("unplanned_stop")
    d = _diagnose(demo.path, tmp_path)["downtime"]
    assert (d["compared"], d["coinciding"]) == (1, 1)
    (w,) = d["windows"]
    assert (w["equipment"], w["line"], w["hours"]) == ("DCM-05", "DC-05", 7)
    assert w["start"] == "2025-12-07T08:00:00+08:00" == f"{stop.start:%Y-%m-%dT%H:%M:%S}+08:00"
    hold = {x["subject"]: x for x in w["wastes"] if x["detector"] == "idle_holding"}["E-HOLD"]
    # E-HOLD (multiplier 20) over 08:00–15:00 of the Sunday, from the register values: an
    # independent route through the raw readings (15-min register: exact to rounding)
    want = _register(demo.path, "E-HOLD", stop.end) - _register(demo.path, "E-HOLD", stop.start)
    assert hold["quantity"] == pytest.approx(want * 20, rel=1e-9)
    assert hold["hours"] == 7 and 0 < hold["share"] < 1


def test_unplanned_stop_in_production_hours_coincides_with_nothing(
    demo: DemoInfo, tmp_path: Path
) -> None:
    folder = tmp_path / "dataset"
    shutil.copytree(demo.path, folder)
    with open(folder / "maintenance.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        if r["kind"] == "unplanned":  # Tuesday, while every line casts (date-only rows)
            r["start"], r["end"] = "2025-12-02 10:00:00", "2025-12-02 12:00:00"
    with open(folder / "maintenance.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    d = _diagnose(folder, tmp_path)["downtime"]
    assert (d["compared"], d["coinciding"]) == (1, 0)
    assert d["windows"][0]["wastes"] == []


def test_without_a_maintenance_log_there_is_no_downtime_item(
    demo: DemoInfo, tmp_path: Path
) -> None:
    folder = tmp_path / "dataset"
    shutil.copytree(demo.path, folder)
    (folder / "maintenance.csv").unlink()
    assert _diagnose(folder, tmp_path)["downtime"] is None
