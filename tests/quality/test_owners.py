"""Findings and inputs name their owner (issue 19 part 2): the owner of the meter, controller,
stream or instrument a finding is about, else the owner of the table holding it."""

from __future__ import annotations

from pathlib import Path

import pytest

from thermaudit.api import open_dataset
from thermaudit.demo import write_demo
from thermaudit.metrics.assess import Assessment, assess
from thermaudit.quality.findings import finding, with_owner

READINGS = {"department": "设备动力部", "role": "能源管理员", "person": None}
CALIBRATIONS = {"department": "质量部", "role": "计量管理员", "person": None}
MOLD = {"department": "压铸车间", "role": "工艺工程师", "person": None}
E_MAIN = {"department": "设备动力部", "role": "电气主管", "person": "陈志强"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Assessment:
    folder = tmp_path_factory.mktemp("owners") / "plant"
    write_demo(folder, days=3)
    with open_dataset(folder) as ds:
        return assess(ds)


def _owners(result: Assessment, code: str) -> list[object]:
    return [f["owner"] for f in result.document["findings"] if f["code"] == code]


def test_assessment_findings_carry_the_owner(demo: Assessment) -> None:
    # E-CANTEEN rolls over: a meter without an owner of its own -> the readings' owner
    assert _owners(demo, "quality.reading.rollover") == [READINGS]
    # calibration findings -> the owner of the calibrations, not of the instrument's data
    assert _owners(demo, "quality.calibration.missing") == [CALIBRATIONS]
    assert _owners(demo, "quality.calibration.expired_during_period") == [CALIBRATIONS]
    assert _owners(demo, "quality.mold.duplicate_timestamp") == [MOLD]
    # a finding about no table or meter names nobody
    nobody = _owners(demo, "quality.metal.default_used")
    assert nobody and all(o is None for o in nobody)
    assert all("owner" in f for f in demo.document["findings"])


def test_inputs_carry_their_tables_owner(demo: Assessment) -> None:
    owners = {i["file"]: i["owner"] for i in demo.document["inputs"]}
    assert owners["readings.csv"] == READINGS
    assert owners["production.csv"] == {
        "department": "生产计划部",
        "role": None,
        "person": None,
    }
    assert owners["site.yaml"] is None and owners["weather.csv"] is None


def test_a_meter_with_its_own_owner_wins_over_the_table(tmp_path: Path) -> None:
    folder = tmp_path / "plant"
    write_demo(folder, days=1)
    with open_dataset(folder) as ds:
        site = ds.site
    f = with_owner(finding("quality.calibration.missing", instrument="E-MAIN"), site)
    assert f.owner == E_MAIN
    g = with_owner(finding("quality.calibration.missing", instrument="TCU-04"), site)
    assert g.owner == CALIBRATIONS
