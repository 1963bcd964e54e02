"""``thermaudit report`` and ``thermaudit assess --report`` are one pipeline: the same
assessment (with its diagnosis), the same report and the same workbook, as a user runs them
(real subprocesses of the installed entry point, real Typst and poppler)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cli_run import thermaudit
from openpyxl import load_workbook

from thermaudit.demo import write_demo
from thermaudit.report.xlsx import HEADINGS, SHEETS


def _text(pdf: Path, *options: str) -> str:
    return subprocess.run(
        ["pdftotext", *options, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))  # type: ignore[union-attr]


def _stable(doc: dict[str, Any]) -> dict[str, Any]:
    """The assessment without the moment it was written."""
    return {k: v for k, v in doc.items() if k != "generated_at"}


def _same(a: Any, b: Any, where: str = "") -> None:
    """Equal documents; floats to 1e-12 relative: DuckDB's parallel sums may add in another
    order from one run to the next (526295.9999999948 and ...937 kWh)."""
    if isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12), where
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}/{i}")
    else:
        assert a == b, where


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pipeline")
    write_demo(root / "plant")
    out = {"report": root / "by-report", "assess": root / "by-assess"}
    r = thermaudit("report", str(root / "plant"), "-o", str(out["report"]), "--lang", "en")
    assert r.returncode == 0, r.stderr
    r = thermaudit(
        "assess", str(root / "plant"), "-o", str(out["assess"]), "--report", "--lang", "en"
    )
    assert r.returncode == 0, r.stderr
    return out


def test_same_assessment_with_its_diagnosis(both: dict[str, Path]) -> None:
    a = json.loads((both["report"] / "assessment.json").read_text("utf-8"))
    b = json.loads((both["assess"] / "assessment.json").read_text("utf-8"))
    assert a["diagnosis"]["measures"], "report wrote an assessment without the diagnosis"
    _same(_stable(a), _stable(b))


def test_same_report(both: dict[str, Path]) -> None:
    pa, pb = both["report"] / "report.pdf", both["assess"] / "report.pdf"
    assert _pages(pa) == _pages(pb)
    doc = json.loads((both["report"] / "assessment.json").read_text("utf-8"))
    first = doc["diagnosis"]["measures"][0]["title"]["en"]
    ta = _text(pa)
    assert first.split(" (")[0] in ta.replace("\n", " ")  # the diagnosis chapter is there

    def unstamped(text: str) -> list[str]:
        # the document id and the time of writing differ between two runs, nothing else
        return [
            " ".join(line.split())
            for line in text.splitlines()
            if not re.search(r"\b[0-9A-F]{12}\b|\d{4}-\d\d-\d\dT\d\d:\d\d", line)
        ]

    # the physical layout, line by line: the reading order of plain pdftotext swaps table cells
    # whose baselines differ by a fraction of a point between two runs (the id's glyph widths)
    la, lb = _text(pa, "-layout"), _text(pb, "-layout")
    assert unstamped(la) == unstamped(lb)


def test_workbook_has_the_measures(both: dict[str, Path]) -> None:
    for folder in both.values():
        doc = json.loads((folder / "assessment.json").read_text("utf-8"))
        measures = doc["diagnosis"]["measures"]
        wb = load_workbook(folder / "report.xlsx", read_only=True)
        sheets = [ws.title for ws in wb.worksheets]
        header, *rows = wb[SHEETS["measures"].en].iter_rows(values_only=True)
        assert sheets[-2:] == [SHEETS["measures"].en, SHEETS["inputs"].en]
        assert [r[0] for r in rows] == [m["rank"] for m in measures]
        assert [r[1] for r in rows] == [m["title"]["en"] for m in measures]
        saving = [m["saving_kgce"] for m in measures]
        col = header.index(HEADINGS["saving"].en)
        assert [r[col] for r in rows] == pytest.approx(saving, rel=1e-14)


def test_no_diagnosis_leaves_it_out(tmp_path: Path, both: dict[str, Path]) -> None:
    plant = both["report"].parent / "plant"
    r = thermaudit("report", str(plant), "-o", str(tmp_path / "o"), "--no-diagnosis")
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "o" / "assessment.json").read_text("utf-8"))
    assert "diagnosis" not in doc
    assert _pages(tmp_path / "o" / "report.pdf") < _pages(both["report"] / "report.pdf")
    wb = load_workbook(tmp_path / "o" / "report.xlsx", read_only=True)
    assert len(wb.worksheets) == 5
