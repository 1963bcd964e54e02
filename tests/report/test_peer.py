"""The peer position chapter: the plant's percentile in its published benchmark cell."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from thermaudit.api import assess_path
from thermaudit.metrics.spec import load_spec
from thermaudit.portfolio.peer import peer_position, percentile_from_quantiles
from thermaudit.report import content
from thermaudit.report.blocks import Para, Section, Table

MINI = Path(__file__).parent.parent / "fixtures" / "conformance" / "mini"
STATS = {"count": 12, "p10": 100.0, "p25": 150.0, "median": 200.0, "p75": 250.0, "p90": 300.0}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (99.0, ("below", None)),
        (301.0, ("above", None)),
        (100.0, ("within", 10.0)),
        (175.0, ("within", 37.5)),  # 25 + (175 − 150)/(200 − 150) × 25
        (300.0, ("within", 90.0)),
    ],
)
def test_percentile_read_off_the_published_quantiles(value: float, expected: tuple) -> None:
    assert percentile_from_quantiles(value, STATS) == expected


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("peer")
    d = copy.deepcopy(assess_path(MINI, out, diagnose=False).document)
    d["metrics"]["unit_product_energy"]["value"] = 175.0
    return d


def _bench(sector: str) -> dict[str, Any]:
    return {
        "schema": "thermaudit.benchmark/1",
        "cells": [
            {"level": "overall", "enterprises": 30, "metrics": {"unit_product_energy": STATS}},
            {"level": "sector", "sector": sector, "suppressed": "primary"},
        ],
        "meta": {"generated_at": "2026-12-07T23:00:00+00:00"},
    }


def _texts(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, list | tuple):
        return [t for x in obj for t in _texts(x)]
    if hasattr(obj, "__dataclass_fields__"):
        return [t for f in obj.__dataclass_fields__ for t in _texts(getattr(obj, f))]
    return []


def test_chapter_shows_percentile_cell_size_and_date(doc: dict[str, Any]) -> None:
    spec = load_spec()
    pos = peer_position(doc, _bench(doc["enterprise"]["sector"]))
    assert pos is not None
    assert pos["metrics"]["unit_product_energy"]["level"] == "overall"  # its sector is hidden
    assert set(pos["metrics"]) == {"unit_product_energy"}
    report = content.build(doc, spec, lang="en", benchmark=_bench(doc["enterprise"]["sector"]))
    peer = [s for s in report.sections if isinstance(s, Section) and s.id == "peer"]
    assert len(peer) == 1
    para = next(b for b in peer[0].blocks if isinstance(b, Para))
    assert "2026-12-07" in para.text.en and "2026-12-07" in para.text.zh
    table = next(b for b in peer[0].blocks if isinstance(b, Table))
    assert len(table.rows) == 1  # only the metric the cell publishes
    row = _texts(table.rows[0])
    assert "about P38" in row  # 37.5 rounded
    assert "all enterprises" in row and "12" in row  # the peer group and its size
    text = " ".join(_texts(peer[0]))
    assert not re.findall(r"\b[a-z0-9]+_[a-z0-9_]+\b", text)  # no internal identifiers


def test_no_chapter_without_a_benchmark_or_a_published_cell(doc: dict[str, Any]) -> None:
    spec = load_spec()
    ids = [s.id for s in content.build(doc, spec, lang="en").sections if isinstance(s, Section)]
    assert "peer" not in ids
    hidden = _bench(doc["enterprise"]["sector"])
    hidden["cells"][0] = {"level": "overall", "suppressed": "primary"}
    assert peer_position(doc, hidden) is None
    report = content.build(doc, spec, lang="en", benchmark=hidden)
    assert "peer" not in [s.id for s in report.sections if isinstance(s, Section)]


def test_report_refuses_a_file_that_is_not_a_benchmark(tmp_path: Path) -> None:
    from cli_run import thermaudit

    bad = tmp_path / "bench.json"
    bad.write_text('{"schema": "thermaudit.assessment/1"}', encoding="utf-8")
    r = thermaudit("report", MINI, "-o", tmp_path / "out", "--benchmark", bad, columns=400)
    assert r.returncode == 2
    assert f"{bad}: expected schema 'thermaudit.benchmark/1'" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "out").exists()
