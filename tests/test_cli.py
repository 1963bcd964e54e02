"""The CLI as a user meets it: real subprocesses of the installed entry point."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cli_run import thermaudit as run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "conformance"


def thermaudit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, timeout=300)


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
    # every export for buyers and the EU, each naming the assessment it was made from
    sha = hashlib.sha256(
        (tmp_path / "demo" / "assessment" / "assessment.json").read_bytes()
    ).hexdigest()
    for name in (
        "product-footprints.json",
        "pact-footprints.json",
        "cbam-communication.json",
        "esrs-e1.json",
        "vsme-b3.json",
    ):
        doc = json.loads((tmp_path / "demo" / "assessment" / name).read_text("utf-8"))
        named = doc.get("assessment") or doc.get("thermaudit", {}).get("assessment")
        assert named["sha256"] == sha, name
    for name in ("cbam-communication.xlsx", "k-esg.xlsx", "esrs-e1.xbrl.json"):
        assert (tmp_path / "demo" / "assessment" / name).is_file(), name
    assert "exports:" in r.stdout


def test_assess_report_writes_the_three_report_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = thermaudit("assess", str(FIXTURES / "mini"), "-o", str(out), "--report", "--lang", "en")
    assert r.returncode == 0, r.stderr
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert (out / "report.html").is_file() and (out / "report.xlsx").is_file()


def test_report_lang_ko_writes_korean_and_an_unknown_lang_names_the_choices(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    r = thermaudit("assess", str(FIXTURES / "mini"), "-o", str(out), "--report", "--lang", "ko")
    assert r.returncode == 0, r.stderr
    text = subprocess.run(
        ["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "단위 제품당 종합 에너지 소비량" in text and "평가 결과 요약" in text
    assert 'lang="ko"' in (out / "report.html").read_text("utf-8")
    bad = thermaudit("report", str(out), "-o", str(tmp_path / "fr"), "--lang", "fr")
    assert bad.returncode != 0
    said = " ".join((bad.stderr + bad.stdout).split())  # the console wraps long lines
    assert "'fr'" in said and "zh, en, ko, zh+en, zh+ko, en+ko" in said


# ---------------------------------------------------------------------------------------------
# user data is printed as it is, never read as Rich markup or emoji codes (issue #15)

MARKUP = "Evil [/] Co [bold red]x[/] :smile: [link=http://e.invalid]y[/link]"


def wide(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI on a 400-column terminal, so that Rich does not wrap the text read back."""
    return run_cli(*args, columns=400, timeout=300)


def _dataset_named(tmp_path: Path, name: str) -> Path:
    ds = tmp_path / "ds"
    shutil.copytree(FIXTURES / "mini", ds, ignore=shutil.ignore_patterns("expected.json"))
    site = ds / "site.yaml"
    text = site.read_text("utf-8")
    site.write_text(text.replace("name: 苏州虎丘精密压铸有限公司", f"name: '{name}'", 1), "utf-8")
    return ds


def test_enterprise_name_with_markup_is_printed_literally_not_markup_error(tmp_path: Path) -> None:
    ds = _dataset_named(tmp_path, MARKUP)
    r = wide("assess", str(ds), "-o", str(tmp_path / "out"), "--no-diagnosis")
    assert r.returncode == 0, r.stderr
    assert MARKUP in r.stdout
    assert "😄" not in r.stdout
    assert "MarkupError" not in r.stderr and "Traceback" not in r.stderr


def test_refusal_naming_user_text_with_markup_is_printed_literally(tmp_path: Path) -> None:
    ds = _dataset_named(tmp_path, "x")
    site = ds / "site.yaml"
    site.write_text(site.read_text("utf-8") + "'[/]:smile:[bold]': 1\n", "utf-8")
    r = wide("assess", str(ds), "-o", str(tmp_path / "out"))
    assert r.returncode == 2
    assert "'[/]:smile:[bold]'" in r.stderr
    assert "😄" not in r.stderr and "Traceback" not in r.stderr


def test_error_message_with_markup_in_a_path_is_printed_literally(tmp_path: Path) -> None:
    not_a_workspace = tmp_path / "[" / "] :smile:"  # the path holds "[/] :smile:"
    not_a_workspace.mkdir(parents=True)
    r = wide("import", str(FIXTURES / "mini"), "-w", str(not_a_workspace))
    assert r.returncode == 2, r.stderr
    assert "[/] :smile:" in r.stderr
    assert "😄" not in r.stderr and "Traceback" not in r.stderr


def test_styled_escapes_its_values_and_renders_its_own_markup() -> None:
    from thermaudit.cli import make_console, styled

    con = make_console(width=200, force_terminal=False)
    with con.capture() as cap:
        con.print(styled("[green]imported[/] as {x}", x=MARKUP))
        con.print(f"plain {MARKUP}")
    assert cap.get().splitlines() == [f"imported as {MARKUP}", f"plain {MARKUP}"]


# ---------------------------------------------------------------------------------------------
# refusals leave the workspace byte-identical (issue #15)


def _tree(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
    }


def test_replace_with_an_empty_required_table_is_refused_and_supersedes_nothing(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    assert thermaudit("init", str(ws)).returncode == 0
    assert thermaudit("import", str(FIXTURES / "mini"), "-w", str(ws)).returncode == 0
    before = _tree(ws)
    empty = tmp_path / "empty"
    shutil.copytree(FIXTURES / "mini", empty, ignore=shutil.ignore_patterns("expected.json"))
    header = (empty / "readings.csv").read_text("utf-8").splitlines()[0]
    (empty / "readings.csv").write_text(header + "\n", "utf-8")
    r = thermaudit("import", str(empty), "-w", str(ws), "--replace")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "readings.csv, row 2: expected at least one data row" in r.stderr
    assert "Traceback" not in r.stderr
    assert _tree(ws) == before


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda ds: (ds / "site.yaml").write_bytes((ds / "site.yaml").read_bytes().decode().encode("utf-16")), "site.yaml, line 1"),  # noqa: E501
        (lambda ds: (ds / "site.yaml").write_text((ds / "site.yaml").read_text("utf-8").replace("start: 2025-10-06", "start: 2025-02-29"), "utf-8"), "site.yaml, line 8"),  # noqa: E501
        (lambda ds: (ds / "customers.csv").write_bytes("customer,market,sku,energy_clause\n博世,EU,,no\n".encode("gbk")), "customers.csv, row 2, column customer"),  # noqa: E501
    ],
    ids=["utf-16-site", "impossible-date", "gbk-customers"],
)  # fmt: skip
def test_import_refusal_exits_2_and_leaves_the_workspace_byte_identical(
    tmp_path: Path, edit: object, where: str
) -> None:
    ws = tmp_path / "ws"
    assert thermaudit("init", str(ws)).returncode == 0
    before = _tree(ws)
    ds = tmp_path / "ds"
    shutil.copytree(FIXTURES / "mini", ds, ignore=shutil.ignore_patterns("expected.json"))
    edit(ds)  # type: ignore[operator]
    r = thermaudit("import", str(ds), "-w", str(ws))
    assert r.returncode == 2, r.stdout + r.stderr
    assert where in r.stderr
    assert "Traceback" not in r.stderr
    assert _tree(ws) == before
