"""``thermaudit diagnose``, the ``diagnosis`` key of assessment.json, ``--no-diagnosis`` and
the report chapter (HTML content, and the PDF of the demo plant)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from builders import Plant, hourly
from typer.testing import CliRunner

from thermaudit.cli import _register, app


def _plant(folder: Path) -> Path:
    """One day: E-MAIN 100 kWh/h, compressor COMP-1 (fixed speed, 100 kW) on E-COMP
    50 kWh/h; tariff 0.8 CNY/kWh; the demo's customers and certificates."""
    from thermaudit.demo.commerce import write_commerce

    p = Plant()
    p.site["options"] = {"tariffs": {"electricity": 0.8}}
    p.site["equipment"] = [{"id": "COMP-1", "type": "compressor", "rated_kw": 100}]
    p.site["products"][0]["markets"] = ["EU"]
    p.meter(id="E-COMP", parent="E-MAIN", equipment=["COMP-1"], process="compressed_air")
    p.rows("readings", *hourly("E-MAIN", 0, [100] * 24), *hourly("E-COMP", 0, [50] * 24))
    p.write(folder)
    write_commerce(folder)
    return folder


def _invoke(*args: str) -> Any:
    _register()
    return CliRunner().invoke(app, list(args))


def test_diagnose_prints_ranked_measures_and_writes_json(tmp_path: Path) -> None:
    ds = _plant(tmp_path / "ds")
    res = _invoke("diagnose", str(ds), "-o", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    text = re.sub(r"\s+", " ", res.output)  # Rich wraps at the runner's 80 columns
    assert "measures, ranked by simple payback" in text
    assert "Variable-speed" in text
    assert "electricity 0.8 CNY/kWh (option)" in text
    assert "export priorities" in text
    doc = json.loads((tmp_path / "out" / "diagnosis.json").read_text("utf-8"))["diagnosis"]
    ranks = [m["rank"] for m in doc["measures"]]
    assert ranks == list(range(1, len(ranks) + 1)) and ranks
    paybacks = [m["payback_years"] for m in doc["measures"] if m["payback_years"] is not None]
    assert paybacks == sorted(paybacks)
    # VSD: 1,200 kWh × 365 × 0.20 × 0.8 CNY = 70,080 CNY/a (see test_recommend)
    vsd = next(m for m in doc["measures"] if m["id"] == "compressor_vsd")
    assert vsd["saving_cny"] == pytest.approx(70080.0, rel=1e-9)
    # one day cannot carry a baseline: recorded, not raised
    assert "error" in doc["baseline"] and doc["baseline"]["expected"]
    assert [i["status"] for i in doc["certifications"]["items"]] == ["urgent", "plan", "monitor"]
    assert doc["tariffs"]["electricity"]["kind"] == "option"


def test_diagnose_rejects_a_bad_date(tmp_path: Path) -> None:
    res = _invoke("diagnose", str(_plant(tmp_path / "ds")), "--as-of", "2025-02-30")
    assert res.exit_code == 2
    assert "expected YYYY-MM-DD, found '2025-02-30'" in res.output


def test_assess_carries_the_diagnosis_unless_told_not_to(tmp_path: Path) -> None:
    ds = _plant(tmp_path / "ds")
    res = _invoke("assess", str(ds), "-o", str(tmp_path / "a"))
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "a" / "assessment.json").read_text("utf-8"))
    assert doc["diagnosis"]["schema"] == "thermaudit.diagnosis/1"
    assert doc["diagnosis"]["measures"]
    res = _invoke("assess", str(ds), "-o", str(tmp_path / "b"), "--no-diagnosis")
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "b" / "assessment.json").read_text("utf-8"))
    assert "diagnosis" not in doc


def test_chapter_shows_measures_wastes_priorities_and_warnings(tmp_path: Path) -> None:
    """The chapter from a real diagnosis: the measures table first (ranked), then wastes,
    the basis of each measure, the baseline's reason, the priorities and the plan with a
    warning where the product figures are not qualified."""
    from thermaudit.api import open_dataset
    from thermaudit.diagnosis.section import diagnosis_section
    from thermaudit.diagnosis.waste import Waste
    from thermaudit.engine import connect
    from thermaudit.metrics.assess import assess
    from thermaudit.metrics.spec import load_spec
    from thermaudit.report import content
    from thermaudit.report.blocks import Table
    from thermaudit.report.html_render import render_html

    leak = Waste(
        "compressed_air_leakage",
        "E-COMP",
        "electricity",
        100.0,
        "kWh",
        12.29,
        "E-COMP 停产时耗电 100 kWh",
        "E-COMP drew 100 kWh with production stopped",
        "E-COMP: 생산 중단 중 100 kWh 소비",
    )
    with open_dataset(_plant(tmp_path / "ds")) as ds:
        con = connect()
        a = assess(ds, con=con)
        a.document["metrics"]["unit_product_carbon_intensity"]["sufficiency"] = {
            "qualified": False,
            "reasons": ["test"],
        }
        a.document["diagnosis"] = diagnosis_section(ds, con, a, wastes=[leak])
    rep = content.build(a.document, load_spec(), lang="en")
    diag = next(s for s in rep.sections if s.id == "diagnosis")
    table = next(b for b in diag.blocks if isinstance(b, Table))
    first = a.document["diagnosis"]["measures"][0]
    assert table.rows[0][0].en.startswith(f"1. {first['title']['en']}")  # type: ignore[union-attr]
    assert [s.id for s in diag.subsections] == [
        "wastes",
        "measure-basis",
        "baseline",
        "export",
        "certificates",
    ]
    html = render_html(rep, "en")
    assert "E-COMP drew 100 kWh with production stopped" in html
    assert "No baseline could be fitted" in html
    name = load_spec(None).metric("unit_product_carbon_intensity").name_en
    assert f"required figures not qualified: {name}" in html
    assert "unit_product_carbon_intensity" not in html
    assert "electricity 0.8000 CNY/kWh (set by the plant)" in html


def _pdf_text(pdf: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    )
    return re.sub(r"\s+", " ", out.stdout)


@pytest.mark.slow
def test_demo_report_has_the_diagnosis_chapter(tmp_path: Path) -> None:
    """The demo plant (14 days) with its commerce tables: the PDF builds with the chapter,
    its wastes, the ranked measures, the export priorities and the certificate plan."""
    from thermaudit.api import report_path
    from thermaudit.demo import write_demo
    from thermaudit.demo.commerce import write_commerce

    info = write_demo(tmp_path / "demo", days=14, seed=3)
    write_commerce(info.path)
    _, files = report_path(info.path, tmp_path / "out", lang="en")
    assert files.warnings == []
    text = _pdf_text(files.pdf)
    for heading in (
        "Diagnosis and measures",
        "Where energy is wasted",
        "How each measure is quantified",
        "Energy baseline (EnPI)",
        "Export priorities",
        "Certificate renewal plan",
    ):
        assert heading in text
    assert "1. " in text and "Payback" in text
    doc = json.loads((tmp_path / "out" / "assessment.json").read_text("utf-8"))
    assert {w["detector"] for w in doc["diagnosis"]["wastes"]} >= {
        "idle_holding",
        "compressed_air_leakage",
        "unrecovered_heat",
    }
    assert doc["diagnosis"]["baseline"].get("validity") is not None
