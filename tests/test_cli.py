"""The CLI as a user meets it: real subprocesses of the installed entry point."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "conformance"


def thermaudit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "thermaudit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def test_assess_writes_json_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "new" / "out"  # the output folder is created when missing
    r = thermaudit("assess", str(FIXTURES / "mini"), "-o", str(out))
    assert r.returncode == 0, r.stderr
    doc = json.loads((out / "assessment.json").read_text("utf-8"))
    assert doc["schema"] == "thermaudit.assessment/1"
    assert "213.9" in r.stdout  # unit product energy of the mini plant, 213.897 kgce/t
    assert "Traceback" not in r.stderr


def test_strict_makes_disqualification_an_error(tmp_path: Path) -> None:
    """In the mini plant, mold data is missing: that metric is not qualified, so --strict
    exits 2 naming it, after writing the assessment for inspection."""
    out = tmp_path / "out"
    r = thermaudit("assess", str(FIXTURES / "mini"), "-o", str(out), "--strict")
    assert r.returncode == 2
    assert "mold_temperature_control_accuracy" in r.stderr
    assert "not qualified" in r.stderr
    assert "Traceback" not in r.stderr
    assert (out / "assessment.json").is_file()


def test_bad_dataset_is_a_clear_error(tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    shutil.copytree(FIXTURES / "mini", ds)
    text = (ds / "readings.csv").read_text("utf-8").splitlines()
    text[4] = "E-MAIN,yesterday,4523.09"  # row 5 as a spreadsheet shows it
    (ds / "readings.csv").write_text("\n".join(text) + "\n", "utf-8")
    r = thermaudit("assess", str(ds), "-o", str(tmp_path / "out"))
    assert r.returncode == 2
    assert "readings.csv, row 5, column timestamp" in r.stderr
    assert "'yesterday'" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "out" / "assessment.json").exists()


def test_spec_show_and_unknown_spec(tmp_path: Path) -> None:
    r = thermaudit("spec", "show")
    assert r.returncode == 0
    assert "miit-2026-provisional@1" in r.stdout
    assert "0.1229" in r.stdout
    r = thermaudit("spec", "show", "--spec", str(tmp_path / "nope.yaml"))
    assert r.returncode == 2
    assert "no specification" in r.stderr


def test_spec_file_replaces_the_packaged_one(tmp_path: Path) -> None:
    """An official specification can be dropped in: same metrics, other grading bands."""
    from importlib import resources

    text = (
        resources.files("thermaudit.metrics")
        .joinpath("specs", "miit-2026-provisional@1.yaml")
        .read_text("utf-8")
    )
    custom = tmp_path / "official.yaml"
    custom.write_text(text.replace("id: miit-2026-provisional", "id: miit-2026-official"), "utf-8")
    out = tmp_path / "out"
    r = thermaudit("assess", str(FIXTURES / "mini"), "-o", str(out), "--spec", str(custom))
    assert r.returncode == 0, r.stderr
    doc = json.loads((out / "assessment.json").read_text("utf-8"))
    assert doc["specification"] == "miit-2026-official@1"


@pytest.mark.slow
def test_demo_runs_every_step(tmp_path: Path) -> None:
    r = thermaudit("demo", "-o", str(tmp_path / "demo"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "demo" / "assessment" / "assessment.json").is_file()
    assert (tmp_path / "demo" / "workspace" / "thermaudit-workspace.json").is_file()
    for name in ("report.pdf", "report.html", "report.xlsx"):
        assert (tmp_path / "demo" / "assessment" / name).stat().st_size > 10_000, name
    assert "assessment:" in r.stdout


def test_assess_report_writes_the_three_report_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = thermaudit("assess", str(FIXTURES / "mini"), "-o", str(out), "--report", "--lang", "en")
    assert r.returncode == 0, r.stderr
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert (out / "report.html").is_file() and (out / "report.xlsx").is_file()
