"""The synthetic programme: N different enterprises, each a valid dataset."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from cli_run import thermaudit

from thermaudit.dataset.site import check_credit_code, load_site
from thermaudit.demo.programme import SECTORS, write_programme
from thermaudit.portfolio import open_portfolio


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_enterprises_differ_and_each_site_is_valid(tmp_path: Path) -> None:
    written = write_programme(tmp_path, 12, seed=5, days=3)
    assert len({e.credit_code for e in written}) == 12
    assert all(check_credit_code(e.credit_code) is None for e in written)
    assert {e.sector for e in written} <= set(SECTORS)
    assert len({e.size_factor for e in written}) > 2  # a spread of sizes, not one plant
    for e in written:
        site = load_site(e.folder / "dataset" / "site.yaml")
        assert site.enterprise.credit_code == e.credit_code
        assert site.enterprise.sector == e.sector


def test_size_factor_scales_pieces_and_meters(tmp_path: Path) -> None:
    a = write_programme(tmp_path / "a", 1, seed=9, days=2)[0]
    rows = _rows(a.folder / "dataset" / "production.csv")
    # pieces stay whole numbers after scaling (the contract refuses fractional pieces)
    assert all(r["good_qty"].isdigit() for r in rows)
    site = load_site(a.folder / "dataset" / "site.yaml")
    main = next(m for m in site.meters if m.id == "E-MAIN")
    assert main.multiplier == 1200 * a.size_factor  # the demo plant's E-MAIN multiplier


def test_incomplete_enterprise_loses_the_end_of_its_readings(tmp_path: Path) -> None:
    written = write_programme(tmp_path, 16, seed=3, days=4)
    cut = [e for e in written if e.incomplete]
    whole = [e for e in written if not e.incomplete]
    assert cut and whole
    last = max(r["timestamp"] for r in _rows(cut[0].folder / "dataset" / "readings.csv"))
    # 4 days cut at 70 % (rounded up to whole days: 3): nothing from Dec 4 on
    assert "2025-12-03 12:00:00" < last < "2025-12-04 00:00:00"
    full = max(r["timestamp"] for r in _rows(whole[0].folder / "dataset" / "readings.csv"))
    assert full >= "2025-12-04 12:00:00"


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    write_programme(tmp_path / "a", 2, seed=11, days=1)
    write_programme(tmp_path / "b", 2, seed=11, days=1)
    for name in ("site.yaml", "production.csv", "readings.csv"):
        a = (tmp_path / "a" / "E002" / "dataset" / name).read_bytes()
        assert a == (tmp_path / "b" / "E002" / "dataset" / name).read_bytes()


def test_cli_writes_and_assesses_one_assessment_per_enterprise(tmp_path: Path) -> None:
    pf = tmp_path.parent / f"{tmp_path.name}-pf"
    r = thermaudit(
        "demo", "--programme", "3", "-o", tmp_path, "--days", "2", "--seed", "4", "--portfolio", pf
    )
    assert r.returncode == 0, r.stderr
    assert "(3 added, 0 unchanged)" in " ".join(r.stdout.split())  # Rich wraps lines
    assert len(open_portfolio(pf).catalog()) == 3
    folders = sorted(p for p in tmp_path.iterdir() if p.is_dir())
    assert [p.name for p in folders] == ["E001", "E002", "E003"]
    for f in folders:
        found = list(f.rglob("assessment.json"))
        assert found == [f / "assessment" / "assessment.json"]
        doc = json.loads(found[0].read_text(encoding="utf-8"))
        assert doc["enterprise"]["name_en"].startswith("Programme enterprise")


def test_cli_no_run_writes_datasets_only(tmp_path: Path) -> None:
    r = thermaudit("demo", "--programme", "2", "-o", tmp_path, "--days", "1", "--no-run")
    assert r.returncode == 0, r.stderr
    assert not list(tmp_path.rglob("assessment.json"))
    assert (tmp_path / "E002" / "dataset" / "site.yaml").is_file()
