"""``thermaudit export``: the buyer files of an assessment, each naming the assessment it was
made from, with the assessment's figures unrounded."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_run import thermaudit

sys.path.insert(0, str(Path(__file__).parent / "metrics"))
from test_footprint import plant


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export")
    dataset = plant().write(root / "dataset")
    out = root / "out"
    run = thermaudit("export", dataset, "-o", out, "--format", "pcf")
    assert run.returncode == 0, run.stderr
    assert f"wrote {out / 'product-footprints.json'}" in " ".join(run.stdout.split())
    return out


def _load(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def test_the_footprint_file_names_its_assessment(exported: Path) -> None:
    pcf = _load(exported / "product-footprints.json")
    raw = (exported / "assessment.json").read_bytes()
    assert pcf["assessment"] == {
        "file": "assessment.json",
        "sha256": hashlib.sha256(raw).hexdigest(),
        "schema": "thermaudit.assessment/1",
    }
    assert pcf["schema"] == "thermaudit.product-footprints/1"


def test_the_figures_are_the_assessments_unrounded(exported: Path) -> None:
    pcf = _load(exported / "product-footprints.json")
    fp = _load(exported / "assessment.json")["product_footprint"]
    assert [p["sku"] for p in pcf["products"]] == list(fp["by_sku"])
    for p in pcf["products"]:
        v = fp["by_sku"][p["sku"]]
        assert p["kgco2e_per_kg"]["location_based"] == v["kgco2e_per_kg_location"]
        assert p["kgco2e_per_piece"]["market_based"] == v["kgco2e_per_piece_market"]
        assert p["primary_data_share"] == v["primary_data_share"]
    assert pcf["boundary"] == "cradle-to-gate"
    # every default and gap of the footprint travels with the file
    assert any("default factor" in n for n in pcf["notes"])
    assert any("no default factor" in n for n in pcf["notes"])


def test_export_of_an_output_folder_writes_next_to_its_assessment(
    exported: Path, tmp_path: Path
) -> None:
    out = tmp_path / "copy"
    out.mkdir()
    (out / "assessment.json").write_bytes((exported / "assessment.json").read_bytes())
    run = thermaudit("export", out)
    assert run.returncode == 0, run.stderr
    assert (out / "product-footprints.json").read_bytes() == (
        exported / "product-footprints.json"
    ).read_bytes()


def test_an_unknown_format_is_refused_naming_the_known_ones(exported: Path) -> None:
    run = thermaudit("export", exported, "--format", "pcf,cbm")
    assert run.returncode == 2
    text = " ".join(run.stderr.split())
    assert "'cbm'" in text and "pcf" in text and "all" in text, text
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "JSON written by thermaudit assess"),
        ('{"schema": "something/9"}', "thermaudit.assessment/1"),
    ],
)
def test_a_folder_whose_assessment_is_not_one_is_refused(
    tmp_path: Path, content: str, expected: str
) -> None:
    (tmp_path / "assessment.json").write_text(content, "utf-8")
    run = thermaudit("export", tmp_path)
    assert run.returncode == 2, run.stdout
    text = " ".join((run.stdout + run.stderr).split())
    assert "assessment.json" in text and expected in text, text
    assert "Traceback" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assessment.json"]
