"""The portfolio store: no-op re-add, supersession without deletion, refusals naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from cli_run import thermaudit

from thermaudit.errors import InvalidAssessment
from thermaudit.portfolio import init_portfolio, open_portfolio
from thermaudit.portfolio.store import PortfolioError


def _parquet_rows(pf: Path, table: str) -> list[tuple]:
    glob = str(pf / table / "**" / "*.parquet")
    sql = f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true) ORDER BY ALL"
    return duckdb.sql(sql).fetchall()


def test_adding_the_same_assessment_twice_is_a_no_op(tmp_path: Path, write_assessment) -> None:
    pf = init_portfolio(tmp_path / "pf")
    a = write_assessment("a", "C1", skus={"S1": 150.0, "S2": 170.0})
    first = pf.add(a)
    before = sorted(p.relative_to(pf.path) for p in pf.path.rglob("*.parquet"))
    second = pf.add(a / "assessment.json")
    assert not first.unchanged and second.unchanged
    assert second.sha256 == first.sha256
    assert sorted(p.relative_to(pf.path) for p in pf.path.rglob("*.parquet")) == before
    assert len(pf.catalog()) == 1
    assert len(_parquet_rows(pf.path, "assessments")) == 1
    assert len(_parquet_rows(pf.path, "skus")) == 2


def test_partitioned_by_year_and_sector(tmp_path: Path, write_assessment) -> None:
    pf = init_portfolio(tmp_path / "pf")
    pf.add(write_assessment("a", "C1", sector="mold_making", end="2026-03-31"))
    root = pf.path / "assessments"
    parts = [p.parent.relative_to(root) for p in root.rglob("*.parquet")]
    assert {str(p) for p in parts} == {"year=2026/sector=mold_making"}


def test_newer_assessment_supersedes_but_never_deletes(tmp_path: Path, write_assessment) -> None:
    pf = init_portfolio(tmp_path / "pf")
    old = pf.add(
        write_assessment("old", "C1", end="2025-11-30", values={"waste_heat_recovery_rate": 10.0})
    )
    new = pf.add(
        write_assessment("new", "C1", end="2025-12-31", values={"waste_heat_recovery_rate": 20.0})
    )
    other = pf.add(write_assessment("other", "C2", end="2025-10-31"))
    assert new.supersedes == (old.sha256,)
    assert other.supersedes == ()
    assert {r["sha256"] for r in pf.catalog()} == {old.sha256, new.sha256, other.sha256}
    assert len(_parquet_rows(pf.path, "assessments")) == 3
    # an older one added after the newer supersedes nothing
    late = pf.add(write_assessment("late", "C1", end="2025-06-30"))
    assert late.supersedes == ()


def test_refusals_name_the_file_and_the_key(tmp_path: Path, write_assessment) -> None:
    pf = init_portfolio(tmp_path / "pf")
    bad = write_assessment("bad", "C1")
    doc = json.loads((bad / "assessment.json").read_text())
    del doc["enterprise"]["credit_code"]
    (bad / "assessment.json").write_text(json.dumps(doc))
    with pytest.raises(InvalidAssessment) as e:
        pf.add(bad)
    assert e.value.file == str(bad / "assessment.json")
    assert e.value.column == "enterprise.credit_code"
    doc["enterprise"]["credit_code"] = "C1"
    doc["enterprise"]["sector"] = "bakery"
    (bad / "assessment.json").write_text(json.dumps(doc))
    with pytest.raises(InvalidAssessment) as e:
        pf.add(bad)
    assert e.value.column == "enterprise.sector" and e.value.found == "'bakery'"
    assert pf.catalog() == []  # nothing stored by a refused add
    assert not list(pf.path.rglob("*.parquet"))
    with pytest.raises(PortfolioError, match="no portfolio here"):
        open_portfolio(tmp_path / "nothing")


def test_cli_init_add_and_refusal(tmp_path: Path, write_assessment) -> None:
    a = write_assessment("a", "C1")
    assert thermaudit("portfolio", "init", tmp_path / "pf").returncode == 0
    r = thermaudit("portfolio", "add", tmp_path / "pf", a, a)
    assert r.returncode == 0, r.stderr
    assert "1 added, 1 unchanged" in " ".join(r.stdout.split())  # Rich wraps lines
    r = thermaudit("portfolio", "add", tmp_path / "pf", tmp_path / "missing", columns=400)
    assert r.returncode == 2
    assert str(tmp_path / "missing" / "assessment.json") in r.stderr
    assert "Traceback" not in r.stderr


def test_signature_status_is_recorded(tmp_path: Path, write_assessment) -> None:
    from thermaudit.signing import sign_folder
    from thermaudit.signing_keys import generate_key

    key = tmp_path / "assessor.key"
    generate_key(key, signer="Wang Fang, Example Assessment Body")
    signed = write_assessment("signed", "C1")
    sign_folder(signed, key, sign_report=False)
    broken = write_assessment("broken", "C2")
    sign_folder(broken, key, sign_report=False)
    (broken / "manifest.json").write_text("{}", encoding="utf-8")  # changed after signing
    plain = write_assessment("plain", "C3")
    pf = init_portfolio(tmp_path / "pf")
    for f in (signed, broken, plain):
        pf.add(f)
    rows = duckdb.sql(
        "SELECT enterprise, signature FROM read_parquet("
        f"'{pf.path}/assessments/**/*.parquet', hive_partitioning = true) ORDER BY 1"
    ).fetchall()
    assert rows == [("C1", "valid"), ("C2", "invalid"), ("C3", "unsigned")]
