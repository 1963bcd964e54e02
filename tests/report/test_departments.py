"""The cross-department reconciliation table of the data-quality chapter."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from report.test_content import DOC

from thermaudit.metrics.spec import load_spec
from thermaudit.report import content
from thermaudit.report.blocks import Table
from thermaudit.report.html_render import render_html

SUMMARY: dict[str, Any] = {
    "tables": {"maintenance": True, "quality": False},
    "maintenance_windows": {"total": 3, "in_period": 2, "planned": 1, "unplanned": 1},
    "scrap_used_by_metrics": "production",
    "thresholds": {
        "maintenance_load_fraction": 0.3,
        "scrap_tolerance_pct": 5.0,
        "scrap_tolerance_pieces": 2.0,
    },
    "checks": [
        {
            "check": "maintenance_production",
            "unit": "windows",
            "compared": 2,
            "consistent": 1,
            "inconsistent": 1,
            "not_compared": 0,
        },
        {
            "check": "maintenance_energy",
            "unit": "windows",
            "compared": 2,
            "consistent": 2,
            "inconsistent": 0,
        },
        {"check": "scrap", "unit": "records", "compared": 0, "consistent": 0, "inconsistent": 0},
        {
            "check": "mold_producing",
            "unit": "controller-days",
            "compared": 1234,
            "consistent": 1230,
            "inconsistent": 4,
        },
        {
            "check": "mold_output",
            "unit": "line-days",
            "compared": 36,
            "consistent": 36,
            "inconsistent": 0,
            "not_compared": 3,
        },
    ],
}


def _table(lang: str) -> tuple[Table, str]:
    doc = copy.deepcopy(DOC)
    doc["cross_department"] = SUMMARY
    rep = content.build(doc, load_spec(), lang=lang)
    (section,) = [s for s in rep.sections if s.id == "findings"]
    tables = [b for b in section.blocks if isinstance(b, Table)]
    return tables[-1], render_html(rep, lang)


@pytest.mark.parametrize(
    ("lang", "title", "missing", "windows"),
    [
        (
            "en",
            "Cross-department reconciliation",
            "Not provided: quality inspection record",
            "2 (1 planned, 1 unplanned)",
        ),
        ("zh", "跨部门核对", "未提供：质量检验记录", "2 个（计划 1，非计划 1）"),
        ("ko", "부서 간 대조", "제공되지 않음: 품질 검사 기록", "2건(계획 1, 비계획 1)"),
    ],
)
def test_the_data_quality_chapter_shows_what_was_compared(
    lang: str, title: str, missing: str, windows: str
) -> None:
    table, html = _table(lang)
    assert len(table.rows) == 5
    # compared, consistent, inconsistent, not compared of each check, thousands separated
    mold = table.rows[3]
    assert mold[2] == "1,234"
    assert [getattr(c, "text", c) for c in mold[3:5]] == ["1,230", "4"]
    assert mold[5] == "—"
    assert title in html and missing in html
    assert windows in html


def test_an_assessment_without_the_reconciliation_has_no_table() -> None:
    rep = content.build(copy.deepcopy(DOC), load_spec(), lang="en")
    (section,) = [s for s in rep.sections if s.id == "findings"]
    assert not [b for b in section.blocks if isinstance(b, Table)]


def test_unplanned_stops_that_coincide_with_waste_are_listed() -> None:
    doc = copy.deepcopy(DOC)
    doc["cross_department"] = SUMMARY
    doc["diagnosis"] = {
        "measures": [],
        "downtime": {
            "compared": 2,
            "coinciding": 1,
            "windows": [
                {
                    "equipment": "DCM-05",
                    "start": "2025-12-07T08:00:00+08:00",
                    "end": "2025-12-07T15:00:00+08:00",
                    "wastes": [
                        {"detector": "idle_holding", "subject": "E-HOLD", "quantity": 717.0}
                        | {"unit": "kWh"}
                    ],
                },
                {"equipment": "DCM-02", "start": "x", "end": "y", "wastes": []},
            ],
        },
    }
    html = render_html(content.build(doc, load_spec(), lang="en"), "en")
    assert "Unplanned stops: 2, of which 1 coincide with wastes found by the diagnosis." in html
    assert "DCM-05 2025-12-07 08:00 – 2025-12-07 15:00: idle holding E-HOLD 717.0 kWh" in html
    assert "DCM-02" not in html
    zh = render_html(content.build(doc, load_spec(), lang="zh"), "zh")
    assert "无生产保温 E-HOLD 717.0 kWh" in zh
