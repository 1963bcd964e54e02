"""The readiness check (issue 19 part 1) on the demo plant and on hand-cut variants of it:
each table removed in turn, site.yaml alone, a refused table, owners, renewals at risk, the
JSON shape, the command and its one-page PDF."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli_run import thermaudit
from thermaudit.dataset.contract import TABLES
from thermaudit.demo import write_demo
from thermaudit.errors import InvalidDataset
from thermaudit.metrics.spec import load_spec
from thermaudit.readiness import readiness

M1, M2, M3, M4, M5, M6 = (m.id for m in load_spec().metrics)
ALL = {M1, M2, M3, M4, M5, M6}

#: what each table of the demo plant feeds, written out by hand from the metric modules:
#: the readings feed the recovery rate through the demo's recovered_heat meter H-REC-COMP
FEEDS: dict[str, set[str]] = {
    "readings": {M1, M2, M4, M5, M6},
    "production": {M1, M5},
    "mold_temperature": {M3},
    "heat_streams": {M2},
    "melting": {M4},
    "calibrations": ALL,
    "meter_events": set(),
    "energy_purchases": {M6},
    "green_certificates": {M5},
    "customers": set(),
    "certifications": set(),
    "metal_inputs": set(),
    "deliveries": set(),
    "weather": set(),
    # the cross-department tables of issue 19 part 3 feed no metric
    "maintenance": set(),
    "quality": set(),
}
#: tables of FEEDS the demo plant may not write yet (issue 19 part 3 adds them)
NOT_YET = {"maintenance", "quality"}
#: the metrics that cannot be computed at all without the table
BLOCKS: dict[str, set[str]] = {
    "readings": {M1, M4, M5},
    "production": {M1, M5},
    "mold_temperature": {M3},
    "heat_streams": {M2},
    "melting": {M4},
}


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ready") / "plant"
    write_demo(folder, days=2)
    return folder


@pytest.fixture(scope="module")
def full(plant: Path) -> dict[str, Any]:
    return readiness(None, plant)


def _copy(plant: Path, dst: Path, *, without: str | None = None) -> Path:
    shutil.copytree(plant, dst)
    if without is not None:
        (dst / f"{without}.csv").unlink()
    return dst


def _key(g: dict[str, Any]) -> tuple[str, str | None]:
    return g["code"], g["subject"]


def _gap(doc: dict[str, Any], code: str, subject: str | None = None) -> dict[str, Any]:
    found = [g for g in doc["gaps"] if g["code"] == code and subject in (None, g["subject"])]
    assert len(found) == 1, (code, subject, [_key(g) for g in doc["gaps"]])
    return found[0]


def _metric(doc: dict[str, Any], metric_id: str) -> dict[str, Any]:
    return next(m for m in doc["metrics"] if m["metric"] == metric_id)


def test_the_demo_plant_writes_every_table_the_removal_test_knows(plant: Path) -> None:
    """The parametrized removal below covers exactly the demo's table files."""
    files = {p.stem for p in plant.glob("*.csv")}
    assert files <= set(FEEDS) and set(FEEDS) - files <= NOT_YET
    assert files <= set(TABLES)


def test_the_complete_demo_plant_has_only_its_planted_gaps(full: dict[str, Any]) -> None:
    """The demo plant computes every metric on qualified data; what it lacks: COMP-1
    (132 kW, key equipment by GB 17167) shares its meter E-COMP with COMP-2, TCU-02's
    calibration lapses, TCU-04 has none."""
    assert {_key(g) for g in full["gaps"]} == {
        ("readiness.equipment.no_dedicated_meter", "COMP-1"),
        ("readiness.instrument.calibration_lapses", "TCU-02"),
        ("readiness.instrument.uncalibrated", "TCU-04"),
    }
    assert all(m["level"] == "qualified" for m in full["metrics"])
    assert all(m["computable"] == "yes" for m in full["metrics"])
    comp = _gap(full, "readiness.equipment.no_dedicated_meter")
    assert (comp["metrics"], comp["effort"]) == ([M6], "install_meter")
    assert "132 kW" in comp["message"]["en"] and "132 kW" in comp["message"]["zh"]


@pytest.mark.parametrize("table", sorted(FEEDS))
def test_removing_a_table_names_exactly_what_it_fed(
    plant: Path, full: dict[str, Any], tmp_path: Path, table: str
) -> None:
    if table in NOT_YET and not (plant / f"{table}.csv").exists():
        pytest.skip(f"the demo plant writes no {table} table yet (issue 19 part 3)")
    doc = readiness(None, _copy(plant, tmp_path / "plant", without=table))
    missing = _gap(doc, "readiness.table.missing", table)
    assert set(missing["metrics"]) == FEEDS[table]
    assert set(missing["blocking"]) == BLOCKS.get(table, set())
    assert missing["table"] == table and table in missing["message"]["en"]
    before = {_key(g) for g in full["gaps"]}
    new = [g for g in doc["gaps"] if _key(g) not in before]
    assert [g["table"] for g in new] == [table]  # no gap about another table appears
    # the gaps of the full plant stay, except those the removed table itself held
    after = {_key(g) for g in doc["gaps"]}
    assert {_key(g) for g in full["gaps"] if g["table"] != table} <= after
    for m in doc["metrics"]:
        if m["metric"] in BLOCKS.get(table, set()):
            assert m["computable"] == "no", m
        elif m["metric"] not in FEEDS[table]:
            assert m["computable"] == _metric(full, m["metric"])["computable"], m


def test_site_yaml_alone_names_every_table_and_computes_nothing(
    plant: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "alone"
    folder.mkdir()
    shutil.copy(plant / "site.yaml", folder / "site.yaml")
    doc = readiness(None, folder)
    missing = {g["subject"] for g in doc["gaps"] if g["code"] == "readiness.table.missing"}
    assert missing == set(TABLES)
    for m in doc["metrics"]:
        assert m["level"] == "not_assessed"
        assert m["reasons"] == ["the assessment needs the readings and production tables"]
    # the five metrics with a table of their own cannot be computed; coverage is judged
    # from site.yaml (key equipment and meters) without the readings' completeness
    assert {m["metric"]: m["computable"] for m in doc["metrics"]} == {
        M1: "no",
        M2: "no",
        M3: "no",
        M4: "no",
        M5: "no",
        M6: "partially",
    }
    # what site.yaml alone shows is still said: COMP-1 has no meter of its own
    _gap(doc, "readiness.equipment.no_dedicated_meter", "COMP-1")


def test_a_refused_table_is_a_gap_with_the_refusal(plant: Path, tmp_path: Path) -> None:
    folder = _copy(plant, tmp_path / "plant")
    path = folder / "production.csv"
    lines = path.read_text("utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[2].split(",")
    cells[header.index("good_qty")] = "12.5"
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    doc = readiness(None, folder)
    gap = _gap(doc, "readiness.table.refused", "production")
    assert "production.csv, row 3, column good_qty" in gap["message"]["en"]
    assert "12.5" in gap["message"]["en"]
    assert gap["message"]["zh"].startswith("production：已提供但被拒绝：")
    # where it was refused, in the reader's words (never the English "row 3, column")
    assert "production.csv 第 3 行 good_qty 列：应为" in gap["message"]["zh"]
    assert "production.csv 3행 good_qty 열: 예상" in gap["message"]["ko"]
    assert "row 3" not in gap["message"]["zh"] + gap["message"]["ko"]
    assert set(gap["blocking"]) == {M1, M5}
    assert {t["table"]: t["state"] for t in doc["tables"]}["production"] == "refused"
    assert _metric(doc, M1)["computable"] == "no"


def test_an_invalid_site_yaml_is_refused_naming_line_and_key(plant: Path, tmp_path: Path) -> None:
    folder = _copy(plant, tmp_path / "plant")
    text = (folder / "site.yaml").read_text("utf-8")
    (folder / "site.yaml").write_text(text.replace("timezone:", "timezon:", 1), "utf-8")
    with pytest.raises(InvalidDataset) as info:
        readiness(None, folder)
    columns = {p.column for p in info.value.problems}
    assert "timezon" in columns
    run = thermaudit("readiness", folder)
    assert run.returncode == 2, run.stderr
    assert "site.yaml, line" in run.stderr and "timezon" in run.stderr
    assert "Traceback" not in run.stderr


def _edit_site(folder: Path, edit: Any) -> None:
    data = yaml.safe_load((folder / "site.yaml").read_text("utf-8"))
    edit(data)
    (folder / "site.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")


def test_gaps_name_the_meters_owner_else_the_tables(plant: Path, tmp_path: Path) -> None:
    """E-MAIN has an owner of its own; E-OFFICE falls back to the owner of the readings."""
    folder = _copy(plant, tmp_path / "plant")
    path = folder / "readings.csv"
    lines = path.read_text("utf-8").splitlines()
    kept = [ln for ln in lines if not ln.startswith(("E-MAIN,", "E-OFFICE,"))]
    assert len(kept) < len(lines)
    path.write_text("\n".join(kept) + "\n", "utf-8")
    doc = readiness(None, folder)
    main = _gap(doc, "readiness.meter.no_readings", "E-MAIN")
    office = _gap(doc, "readiness.meter.no_readings", "E-OFFICE")
    assert main["owner"] == {"department": "设备动力部", "role": "电气主管", "person": "陈志强"}
    assert office["owner"] == {"department": "设备动力部", "role": "能源管理员", "person": None}
    assert set(main["metrics"]) == {M1, M5, M6}  # a supply meter: the product figures
    assert office["metrics"] == [M6]  # a submeter: only the metering's completeness
    assert main["effort"] == "start_logging"
    assert _metric(doc, M1)["computable"] == "partially"
    # COMP-1's gap is about site.yaml: no table, no owner
    assert _gap(doc, "readiness.equipment.no_dedicated_meter")["owner"] is None


def test_renewals_at_risk_order_the_gaps(plant: Path, tmp_path: Path) -> None:
    """A product gap endangers the certificates of that SKU only; a site gap every SKU's;
    the earliest renewal comes first and gaps without one come last."""
    folder = _copy(plant, tmp_path / "plant", without="green_certificates")

    def drop_cn_code(data: dict[str, Any]) -> None:
        for p in data["products"]:
            if p["sku"] == "MTR-220":
                p.pop("cn_code")

    _edit_site(folder, drop_cn_code)
    with (plant / "certifications.csv").open(encoding="utf-8") as fh:
        due = {r["certificate_no"]: r["renewal_due"] for r in csv.DictReader(fh)}
    assert due["DEMO-CE-0001"] < due["DEMO-UKCA-0002"] < due["DEMO-KC-0003"]
    doc = readiness(None, folder)
    cn = _gap(doc, "readiness.sku.no_cn_code", "MTR-220")
    assert [c["certificate_no"] for c in cn["renewals"]] == ["DEMO-UKCA-0002"]
    assert cn["matters_by"] == due["DEMO-UKCA-0002"] and cn["metrics"] == [M5]
    assert "EU, UK" in cn["message"]["en"]
    green = _gap(doc, "readiness.table.missing", "green_certificates")
    assert [c["certificate_no"] for c in green["renewals"]] == [
        "DEMO-CE-0001",
        "DEMO-UKCA-0002",
        "DEMO-KC-0003",
    ]
    dates = [g["matters_by"] for g in doc["gaps"]]
    dated = [d for d in dates if d is not None]
    assert dated == sorted(dated) and dates[: len(dated)] == dated
    assert doc["gaps"][0] is green  # the CE renewal comes before MTR-220's UKCA one
    assert green["matters_by"] == due["DEMO-CE-0001"]
    # a gap of metric 3 endangers no product certificate
    assert _gap(doc, "readiness.instrument.uncalibrated", "TCU-04")["renewals"] == []


def test_the_json_shape(full: dict[str, Any]) -> None:
    assert full["schema"] == "thermaudit.readiness/1"
    assert full["specification"] == "miit-2026-provisional@1"
    assert [m["metric"] for m in full["metrics"]] == [M1, M2, M3, M4, M5, M6]
    for m in full["metrics"]:
        assert set(m) == {"metric", "name", "computable", "level", "reasons", "gaps"}
        assert set(m["name"]) == {"zh", "en", "ko"}
        assert all(isinstance(i, int) and 0 <= i < len(full["gaps"]) for i in m["gaps"])
    for g in full["gaps"]:
        assert set(g) == {
            "code",
            "message",
            "subject",
            "table",
            "metrics",
            "blocking",
            "partial",
            "effort",
            "owner",
            "renewals",
            "matters_by",
            "evidence",
        }
        assert all(g["message"][lang] for lang in ("zh", "en", "ko"))
        assert g["effort"] in full["efforts"]
    assert {t["table"] for t in full["tables"]} == set(TABLES)


def test_a_workspace_is_checked_like_its_dataset(
    plant: Path, full: dict[str, Any], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    assert thermaudit("init", ws).returncode == 0
    run = thermaudit("import", plant, "-w", ws)
    assert run.returncode == 0, run.stderr
    doc = readiness(None, ws)
    assert [_key(g) for g in doc["gaps"]] == [_key(g) for g in full["gaps"]]


def _pdf_pages_and_text(pdf: Path) -> tuple[int, str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = next(int(ln.split()[-1]) for ln in info.stdout.splitlines() if ln.startswith("Pages"))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return pages, text


@pytest.mark.parametrize(
    ("lang", "title"),
    [
        ("zh", "评估前就绪检查"),
        ("en", "Readiness check"),
        ("ko", "평가 전 준비 점검"),
        ("zh+en", "Readiness check"),
    ],
)
def test_the_command_writes_json_and_a_one_page_pdf(
    plant: Path, tmp_path: Path, lang: str, title: str
) -> None:
    """Site.yaml alone gives the most gaps: the page stays one page."""
    folder = tmp_path / "alone"
    folder.mkdir()
    shutil.copy(plant / "site.yaml", folder / "site.yaml")
    out = tmp_path / "out"
    run = thermaudit("readiness", folder, "-o", out, "--lang", lang, columns=200)
    assert run.returncode == 0, run.stderr
    assert (out / "readiness.json").is_file()
    pages, text = _pdf_pages_and_text(out / "readiness.pdf")
    assert pages == 1
    assert title in text
    assert "readings" in text and "COMP-1" in text


def test_the_command_without_out_prints_the_table_only(plant: Path, tmp_path: Path) -> None:
    run = thermaudit("readiness", plant, "--lang", "en", columns=200, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "energy metering coverage" in run.stdout
    assert "COMP-1: key energy-using equipment (132 kW)" in run.stdout
    assert list(tmp_path.iterdir()) == []


def test_what_site_yaml_does_not_declare_is_said(plant: Path, tmp_path: Path) -> None:
    """No controllers, no available heat stream, no furnace, no key equipment: each metric
    that needs them is not computable, and the gap says what to declare."""
    folder = tmp_path / "bare"
    folder.mkdir()
    shutil.copy(plant / "site.yaml", folder / "site.yaml")

    def strip(data: dict[str, Any]) -> None:
        data["temperature_controllers"] = []
        data["heat_streams"] = [s for s in data["heat_streams"] if s["kind"] == "recovered"]
        for s in data["heat_streams"]:
            s.pop("source", None)
        data["equipment"] = []
        for m in data["meters"]:
            m["equipment"] = []
        data["owners"] = {k: v for k, v in data["owners"].items() if k != "G-FURN-1"}

    _edit_site(folder, strip)
    doc = readiness(None, folder)
    for code, metric in (
        ("readiness.site.no_controllers", M3),
        ("readiness.site.no_available_streams", M2),
        ("readiness.site.no_furnaces", M4),
        ("readiness.site.no_key_equipment", M6),
    ):
        gap = _gap(doc, code)
        assert (gap["metrics"], gap["blocking"], gap["effort"]) == ([metric], [metric], "configure")
        assert _metric(doc, metric)["computable"] == "no"


def test_furnaces_without_a_melting_meter(plant: Path, tmp_path: Path) -> None:
    folder = tmp_path / "nomelt"
    folder.mkdir()
    shutil.copy(plant / "site.yaml", folder / "site.yaml")

    def unmeter(data: dict[str, Any]) -> None:
        furnaces = {e["id"] for e in data["equipment"] if e["type"] == "melting_furnace"}
        for m in data["meters"]:
            m["equipment"] = [e for e in m["equipment"] if e not in furnaces]
            if m.get("process") == "melting":
                m["process"] = "other"

    _edit_site(folder, unmeter)
    doc = readiness(None, folder)
    gap = _gap(doc, "readiness.melting.no_meter")
    assert (gap["blocking"], gap["effort"]) == ([M4], "install_meter")
    # FURN-1 (110 m3/h) and FURN-3 (250 kW) are key equipment; FURN-2 (95 m3/h) is not
    keyed = {
        g["subject"]: g["metrics"]
        for g in doc["gaps"]
        if g["code"] == "readiness.equipment.no_dedicated_meter"
    }
    assert keyed == {"COMP-1": [M6], "FURN-1": [M4, M6], "FURN-3": [M4, M6]}
    assert (
        "110 m3/h" in _gap(doc, "readiness.equipment.no_dedicated_meter", "FURN-1")["message"]["en"]
    )


def test_an_unreadable_workbook_is_a_gap(plant: Path, tmp_path: Path) -> None:
    folder = _copy(plant, tmp_path / "plant")
    (folder / "extra.xlsx").write_bytes(b"not a workbook")
    doc = readiness(None, folder)
    gap = _gap(doc, "readiness.file.unreadable", "extra.xlsx")
    assert "a readable .xlsx workbook" in gap["message"]["en"]


def test_customers_that_receive_deliveries_without_a_market(plant: Path, tmp_path: Path) -> None:
    folder = _copy(plant, tmp_path / "plant")
    path = folder / "customers.csv"
    lines = path.read_text("utf-8").splitlines()
    kept = [ln for ln in lines if not ln.startswith("Saigon Components")]
    path.write_text("\n".join(kept) + "\n", "utf-8")
    doc = readiness(None, folder)
    gap = _gap(doc, "readiness.customer.no_market", "Saigon Components JSC (synthetic)")
    assert (gap["table"], gap["metrics"], gap["effort"]) == ("customers", [], "configure")


def test_a_given_site_replaces_the_folders_site_yaml(
    plant: Path, full: dict[str, Any], tmp_path: Path
) -> None:
    """The web calls ``readiness(site, folder)`` with the site it already holds."""
    from thermaudit.dataset.site import load_site

    site = load_site(plant / "site.yaml")
    folder = _copy(plant, tmp_path / "plant")
    (folder / "site.yaml").write_text("not: [a site", "utf-8")
    doc = readiness(site, folder)
    assert [_key(g) for g in doc["gaps"]] == [_key(g) for g in full["gaps"]]


def test_many_refused_tables_still_fit_one_page(plant: Path, tmp_path: Path) -> None:
    folder = _copy(plant, tmp_path / "plant")
    for name in ("production", "melting", "heat_streams", "mold_temperature", "calibrations"):
        (folder / f"{name}.csv").write_text("what,ever\n1,2\n", "utf-8")
    out = tmp_path / "out"
    run = thermaudit("readiness", folder, "-o", out, "--lang", "zh+ko", columns=200)
    assert run.returncode == 0, run.stderr
    pages, text = _pdf_pages_and_text(out / "readiness.pdf")
    assert pages == 1
    assert "已提供但被拒绝" in text and "제공되었으나 거부됨" in text
