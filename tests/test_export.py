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


# ---------------------------------------------------------------------------------------------
# CBAM communication


def cbam_plant(declared_primary: bool = True) -> Any:
    """The footprint plant with customs codes: A under CN 7616 (Annex I), B under 8708 (a
    cast auto part, outside), C (zinc) without a code; the smelter declares its ingot's SEE
    (1.8 direct, 10.0 indirect) unless ``declared_primary`` is false."""
    p = plant()
    codes = {"A": "7616991090", "B": "8708309990"}
    for prod in p.site["products"]:
        if prod["sku"] in codes:
            prod["cn_code"] = codes[prod["sku"]]
    if declared_primary:
        p.tables["metal_inputs"][1].update(see_direct_tco2_per_t=1.8, see_indirect_tco2_per_t=10.0)
    return p


@pytest.fixture(scope="module")
def cbam_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cbam")
    out = root / "out"
    run = thermaudit("export", cbam_plant().write(root / "dataset"), "-o", out, "-f", "cbam")
    assert run.returncode == 0, run.stderr
    return out


def test_cbam_see_of_an_annex_i_good_by_hand(cbam_out: Path) -> None:
    """A (1.8 t good, half of the aluminium): precursors 1.5 t secondary ingot (0.4 / 0.3),
    0.5 t primary ingot (1.8 / 10.0), 0.25 t scrap (zero). Its own direct emissions are its
    share of the gas, 100 m3 × 2.162 kg/m3 × 2/4.5 (all gas is in the shared rest); its own
    indirect ones its electricity, (300 + 700 × 2/4.5) kWh × 0.55 kg/kWh."""
    comm = _load(cbam_out / "cbam-communication.json")
    (a,) = comm["goods"]
    assert a["sku"] == "A" and a["aggregated_good"] == "Aluminium products"
    own_direct = 0.2162 * 2 / 4.5
    own_indirect = (0.3 + 0.7 * 2 / 4.5) * 0.55
    assert a["see_direct"] == pytest.approx((own_direct + 1.5 * 0.4 + 0.5 * 1.8) / 1.8, rel=1e-12)
    assert a["see_indirect"] == pytest.approx(
        (own_indirect + 1.5 * 0.3 + 0.5 * 10.0) / 1.8, rel=1e-12
    )
    assert a["see_total"] == pytest.approx(a["see_direct"] + a["see_indirect"], rel=1e-12)
    assert a["scrap_t_per_t"] == pytest.approx(0.25 / 1.8, rel=1e-12)
    assert a["embedded_electricity_mwh_per_t"] == pytest.approx(
        (0.3 + 0.7 * 2 / 4.5) / 1.8, rel=1e-12
    )
    assert comm["counts_in_declaration"] == "direct"
    # B (8708) and C (no code) are outside Annex I, with their embedded emissions
    assert {g["sku"] for g in comm["outside_annex_i"]} == {"B", "C"}
    assert all(g["see_total"] > 0 for g in comm["outside_annex_i"])


def test_cbam_workbook_summary_sheet_as_importers_read_it(cbam_out: Path) -> None:
    from openpyxl import load_workbook

    from thermaudit.exports.cbam import SUMMARY_COLUMNS

    wb = load_workbook(cbam_out / "cbam-communication.xlsx")
    assert wb.sheetnames[0] == "Summary_Communication"
    assert {"A_InstData", "D_Processes", "E_PurchPrec", "Outside_Annex_I"} <= set(wb.sheetnames)
    rows = list(wb["Summary_Communication"].iter_rows(values_only=True))
    assert rows[0] == SUMMARY_COLUMNS
    assert len(rows) == 2  # one Annex I good; the goods outside are never here
    row = dict(zip(SUMMARY_COLUMNS, rows[1], strict=True))
    comm = _load(cbam_out / "cbam-communication.json")
    assert (row["Product name"], row["CN Codes"]) == ("支架", "7616991090")
    for col, key in (("SEE (direct)", "see_direct"), ("SEE (indirect)", "see_indirect")):
        # a numeric cell; openpyxl writes 15 significant digits
        assert isinstance(row[col], float)
        assert row[col] == pytest.approx(comm["goods"][0][key], rel=1e-14)
    outside = [r[0] for r in wb["Outside_Annex_I"].iter_rows(min_row=2, values_only=True)]
    assert sorted(outside) == ["B", "C"]
    inst = dict(wb["A_InstData"].iter_rows(min_row=2, values_only=True))
    assert inst["Installation name"] == "测试压铸有限公司"
    assert inst["UN/LOCODE"] == "to complete"  # never invented


def test_a_precursor_without_declared_values_leaves_the_good_to_complete(tmp_path: Path) -> None:
    run = thermaudit(
        "export", cbam_plant(declared_primary=False).write(tmp_path / "d"), "-o", tmp_path / "o"
    )
    assert run.returncode == 0, run.stderr
    comm = _load(tmp_path / "o" / "cbam-communication.json")
    assert comm["goods"] == []
    (a,) = comm["to_complete"]
    assert [p["form"] for p in a["missing_precursors"]] == ["primary_ingot"]
    # the default of the footprint is never passed off as a CBAM value
    assert (tmp_path / "o" / "product-footprints.json").is_file()  # --format all by default
