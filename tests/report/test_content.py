"""Report content without compiling: chapters, the diagnosis hook, null metrics, glyphs."""

from __future__ import annotations

import ast
import copy
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from thermaudit.errors import InvalidAssessment
from thermaudit.metrics.spec import load_spec, methodology_formulas
from thermaudit.report import charts, content
from thermaudit.report.blocks import Section, Table
from thermaudit.report.build import UnknownLanguage, check_lang
from thermaudit.report.fonts import text_path, uncovered
from thermaudit.report.html_render import render_html
from thermaudit.report.labels import Bi

DOC: dict[str, Any] = {
    "schema": "thermaudit.assessment/1",
    "specification": "miit-2026-provisional@1",
    "enterprise": {
        "name": "测试压铸厂",
        "name_en": "Test plant",
        "credit_code": "X",
        "sector": "die_casting",
        "province": "Guangdong",
    },
    "period": {"start": "2025-12-01", "end": "2025-12-31", "timezone": "Asia/Shanghai"},
    "metrics": {
        mid: {
            "value": None,
            "unit": "",
            "detail": {},
            "grade": None,
            "uncertainty": None,
            "sufficiency": {"qualified": False, "reasons": ["not computable"]},
        }
        for mid in (
            "unit_product_energy",
            "waste_heat_recovery_rate",
            "mold_temperature_control_accuracy",
            "melting_energy_intensity",
            "unit_product_carbon_intensity",
            "energy_metering_coverage",
        )
    },
    "meters": {},
    "findings": [],
    "inputs": [{"file": "site.yaml", "sha256": "0" * 64, "rows": 0}],
    "coefficients": {"tables": ["coefficients"], "grid_factor_year": 2023},
    "software": {"name": "thermaudit", "version": "0"},
}


def _titles(sections: list[Section]) -> list[str]:
    return [s.id for s in sections]


def test_empty_assessment_builds_with_dashes() -> None:
    # every metric null (no data): the report still builds, shows "—" and says why
    rep = content.build(DOC, load_spec(), lang="en")
    html = render_html(rep, "en")
    assert "diagnosis" not in _titles(rep.sections)
    assert "not qualified: not computable" in html
    assert "—" in html


def test_diagnosis_chapter_only_when_present() -> None:
    doc = copy.deepcopy(DOC)
    doc["diagnosis"] = {
        "measures": [
            {
                "title": {
                    "zh": "熔炉烟气余热回收",
                    "en": "Furnace flue gas heat recovery",
                    "ko": "용해로 배기가스 폐열 회수",
                },
                "saving_kgce": 12000.0,
                "saving_tco2e": 30.5,
                "investment": 450000.0,
                "payback_years": 2.4,
            }
        ]
    }
    rep = content.build(doc, load_spec(), lang="zh")
    ids = _titles(rep.sections)
    assert "diagnosis" in ids
    assert ids.index("diagnosis") == ids.index("findings") + 1  # before the annexes
    diag = rep.sections[ids.index("diagnosis")]
    table = next(b for b in diag.blocks if isinstance(b, Table))
    assert table.rows[0][1] == "12,000"


def test_uncertainty_is_read_as_written_and_another_shape_is_refused() -> None:
    doc = copy.deepcopy(DOC)
    doc["metrics"]["unit_product_energy"].update(
        value=200.0,
        uncertainty=1.5,
        unit="kgce/t",
        sufficiency={"qualified": True, "reasons": []},
    )
    html = render_html(content.build(doc, load_spec(), lang="en"), "en")
    # two significant digits of U, the value at U's last digit (GUM 7.2.6): was 1.500
    assert "U (k=2) = 1.5 kgce/t" in html and ">200.0<" in html
    # the report used to guess other shapes ({"U": ...}, {"expanded": ...}); the assessment
    # schema writes a number or null, so anything else is a malformed document
    doc["metrics"]["unit_product_energy"]["uncertainty"] = {"U": 2.0, "k": 2}
    with pytest.raises(InvalidAssessment) as err:
        content.build(doc, load_spec(), lang="en")
    assert err.value.column == "metrics.unit_product_energy.uncertainty"
    assert (err.value.expected, err.value.found) == ("a number or null", "dict")


def test_unknown_language_names_the_valid_ones() -> None:
    with pytest.raises(UnknownLanguage, match=r"'fr'.*zh, en, ko, zh\+en, zh\+ko, en\+ko"):
        check_lang("fr")


def test_cli_rejects_unknown_language(tmp_path: Path) -> None:
    from thermaudit.cli import _register, app

    _register()
    res = CliRunner().invoke(
        app, ["report", str(tmp_path), "-o", str(tmp_path / "o"), "--lang", "fr"]
    )
    assert res.exit_code != 0
    assert "fr" in str(res.exception) or "fr" in res.output


def test_cli_refuses_an_assessment_file_with_a_malformed_metric(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from thermaudit.cli import main

    doc = copy.deepcopy(DOC)
    doc["metrics"]["energy_metering_coverage"]["value"] = "62.5 %"
    given = tmp_path / "given.json"
    given.write_text(json.dumps(doc), "utf-8")
    monkeypatch.setattr("sys.argv", ["thermaudit", "report", str(given), "-o", str(tmp_path / "o")])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 2
    text = re.sub(r"\s+", " ", capsys.readouterr().err)  # Rich wraps long lines
    assert "given.json" in text and "metrics.energy_metering_coverage.value" in text
    assert "expected a number or null, found str" in text
    assert "Traceback" not in text
    assert not (tmp_path / "o").exists()  # nothing written


def test_chart_text_is_outlines_not_fonts() -> None:
    svg = charts.hbar([("压铸 HSG-100", 188.9), ("한국", 170.0)], "kgce/t", "t")
    assert "<text" not in svg and "font-family" not in svg
    assert svg.count("<path") > 10  # glyph outlines


def test_text_path_advances_by_glyph_widths() -> None:
    one = text_path("M", 0, 0, 10)
    two = text_path("MM", 0, 0, 10)
    # the second glyph is translated by the first one's advance (Noto Sans SC 'M' ≈ 0.74 em)
    offsets = [float(x) for x in re.findall(r"translate\(([-\d.]+) 0\)", two)]
    assert offsets[0] == 0.0 and 6.0 < offsets[1] < 9.0
    assert one.count("<path") == 1


def test_uncovered_lists_characters_without_glyphs() -> None:
    assert uncovered("单位产品 kgce/t ±0.5 °C 한국어") == []
    assert uncovered("ก ok ก") == ["ก"]  # Thai is not in the bundled fonts


def test_bilingual_labels_render_both_languages() -> None:
    rep = content.build(DOC, load_spec(), lang="zh+en")
    html = render_html(rep, "zh+en")
    assert "评估结论摘要" in html and "Summary of results" in html
    assert json.dumps(Bi("a", "b", "c").__dict__) == '{"zh": "a", "en": "b", "ko": "c"}'


def test_report_from_assessment_alone_compiles(tmp_path: Path) -> None:
    # no site, no chart data, every metric null: the PDF still compiles, without warnings
    from thermaudit.report.build import write_report

    files = write_report(DOC, tmp_path, lang="zh+en")
    assert files.warnings == []
    assert files.pdf.read_bytes()[:5] == b"%PDF-"
    assert files.xlsx.exists() and files.html.exists()


def test_missing_glyphs_are_refused_with_the_characters(tmp_path: Path) -> None:
    # PDF/A needs every character drawn: say which ones the bundled fonts lack
    from thermaudit.report.build import write_report
    from thermaudit.report.typst_render import MissingGlyphs

    doc = copy.deepcopy(DOC)
    doc["enterprise"]["name"] = "โรงงาน 测试"  # Thai: not in the bundled fonts
    with pytest.raises(MissingGlyphs, match=r"U\+0E42 'โ'.*U\+0E23 'ร'") as exc:
        write_report(doc, tmp_path, lang="zh")
    assert "Noto Sans SC" in str(exc.value)
    assert not (tmp_path / "report.pdf").exists()


# ---------------------------------------------------------------------------------------------
# The methodology's numbers come from the specification, never from a copy: no string or
# template under thermaudit/report/ spells one of the specification's parameters (a copy would
# go stale the day the official specification replaces the provisional one), and a
# specification with other parameters yields a report showing those.

REPORT = Path(content.__file__).parent

#: a decimal number standing alone (not part of an identifier, a longer number or a unit
#: glued to it) and not a markup attribute value (``stroke-width="1.3"`` is drawing, not
#: a parameter)
_NUMBER = re.compile(r'(?<![\w.="])\d+\.\d+(?![\w.])')


def _spec_numbers() -> dict[float, str]:
    # whole-number parameters (20 °C, 100 kW, 90 %, the year 2023) are left out: they are
    # also ordinary counts and percentages in prose, so a match would not mean a copy
    return {v: k for k, v in load_spec().parameters.items() if not float(v).is_integer()}


def _texts() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(REPORT.rglob("*")):
        if path.suffix == ".py":
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    found.append((path.name, node.lineno, node.value))
        elif path.is_file() and path.suffix in {".typ", ".css", ".html", ".md", ".txt"}:
            for i, line in enumerate(path.read_text("utf-8").splitlines(), 1):
                found.append((path.name, i, line))
    return found


def test_the_scan_sees_the_methodology_and_would_catch_a_copy() -> None:
    numbers = _spec_numbers()
    assert {29.3076, 3.6, 0.11} <= set(numbers)  # the constants the issue names
    assert any(name == "content.py" for name, _, _ in _texts())
    copied = "1 kgce = 29.3076 MJ; scope 2 = net heat · 0.11"
    assert [float(n) for n in _NUMBER.findall(copied)] == [29.3076, 0.11]


def test_no_report_text_copies_a_specification_parameter() -> None:
    numbers = _spec_numbers()
    copies = [
        f"{name}:{line}: {tok} is the parameter {numbers[float(tok)]}"
        for name, line, text in _texts()
        for tok in _NUMBER.findall(text)
        if float(tok) in numbers
    ]
    assert copies == []


def test_methodology_shows_the_numbers_of_the_specification_in_force() -> None:
    spec = load_spec()
    other = dataclasses.replace(
        spec,
        parameters={
            **spec.parameters,
            "kgce_mj": 29.3,
            "electricity_mj_per_kwh": 3.5,
            "heat_tco2_per_gj": 0.12,
            "melting_reference_temp_c": 25.0,
            "water_cp_kj_per_kg_k": 4.2,
        },
    )
    html = render_html(content.build(DOC, other, lang="en"), "en")
    for line in methodology_formulas(other):
        assert line in html
    for shown in ("1 kgce = 29.3 MJ", "1 kWh = 3.5 MJ", "Q_heat · 0.12", "(T_m − 25)"):
        assert shown in html
    # 29.3076 still appears in the report, in the coefficients table's source column
    # (coefficients.csv: "NCV/29.3076"): reference data, not a methodology copy
    assert "1 kgce = 29.3076 MJ" not in html


def test_sufficiency_reasons_are_worded_in_the_readers_language() -> None:
    """A disqualified metric says why in zh, en and ko alike: the assessment codes each
    reason beside its English text, and the report words the code (issue #17, 2)."""
    doc = copy.deepcopy(DOC)
    doc["metrics"]["unit_product_energy"]["sufficiency"] = {
        "qualified": False,
        "reasons": ["E-MAIN: completeness 85.0 % < 90 %"],
        "reason_codes": [
            {
                "code": "sufficiency.meter_completeness",
                "subject": "E-MAIN",
                "values": {"completeness_pct": 85.04, "floor_pct": 90},
            }
        ],
    }
    texts = {
        lang: render_html(content.build(doc, load_spec(), lang=lang), lang)
        for lang in ("zh", "en", "ko")
    }
    assert (
        "E-MAIN：数据完整率 85.0 % &lt; 90 %" in texts["zh"]
        or "E-MAIN：数据完整率 85.0 % < 90 %" in texts["zh"]
    )
    assert "completeness 85.0 %" in texts["en"]
    assert "데이터 완전성 85.0 %" in texts["ko"]
    assert "completeness" not in texts["zh"] + texts["ko"]
    bad = copy.deepcopy(doc)
    bad["metrics"]["unit_product_energy"]["sufficiency"]["reason_codes"] = [{"code": "x.y"}]
    with pytest.raises(InvalidAssessment, match="reason_codes"):
        content.build(bad, load_spec(), lang="zh")


def test_a_baseline_not_fitted_says_why_in_the_readers_language() -> None:
    doc = copy.deepcopy(DOC)
    doc["diagnosis"] = {
        "measures": [],
        "baseline": {
            "error": "too few observations for the model: expected more than 2, found 1",
            "expected": "more than 2",
            "found": "1",
            "reason": "too_few_days",
            "values": {"found": 1, "needed": 3},
        },
    }
    zh = render_html(content.build(doc, load_spec(), lang="zh"), "zh")
    assert "可用于建模的完整日数为 1 天，至少需要 3 天" in zh
    assert "too few observations" not in zh
    ko = render_html(content.build(doc, load_spec(), lang="ko"), "ko")
    assert "최소 3일이 필요함" in ko
    doc["diagnosis"]["baseline"] = {
        "error": "x",
        "reason": "collinear",
        "values": {"regressors": ["good_mass_t", "pieces"]},
    }
    en = render_html(content.build(doc, load_spec(), lang="en"), "en")
    assert "the regressors (good mass, pieces) repeat one another" in en


def test_the_input_annex_names_each_files_owner() -> None:
    """Issue 19 part 2: the data-source table shows who answers for each file; an old
    assessment without owners shows a dash."""
    doc = copy.deepcopy(DOC)
    doc["inputs"] = [
        {"file": "site.yaml", "sha256": "0" * 64, "rows": 0},
        {
            "file": "readings.csv",
            "sha256": "1" * 64,
            "rows": 5,
            "owner": {"department": "设备动力部", "role": "能源管理员", "person": "陈志强"},
        },
        {"file": "production.csv", "sha256": "2" * 64, "rows": 3, "owner": None},
    ]
    rep = content.build(doc, load_spec(), lang="en")
    (annex,) = [s for s in rep.sections if s.id == "inputs"]
    (table,) = [b for b in annex.blocks if isinstance(b, Table)]
    assert [h.en if isinstance(h, Bi) else h for h in table.header][2] == "Owner"
    assert [r[2] for r in table.rows] == ["—", "设备动力部 · 能源管理员 · 陈志强", "—"]


def test_a_finding_names_the_contracts_words_in_the_readers_language() -> None:
    """A meter event and a carrier in a finding's evidence are worded in zh, en and ko in
    the report (and the web pages, which call the same function), never as the data spells
    them ("replaced 已处理")."""
    from thermaudit.quality.findings import finding

    f = finding(
        "quality.reading.meter_event",
        meter="E-MAIN",
        event="replaced",
        at="t",
        amount=1.0,
        unit="kWh",
    ).as_dict()
    assert "replaced" in f["message_zh"]  # as stored: the data's word
    text = content.finding_text(f)
    assert "更换表计" in text.zh and "replaced" not in text.zh
    assert "계량기 교체" in text.ko and "meter replaced" in text.en
    gas = finding(
        "quality.production.no_energy", carrier="natural_gas", count=2, first="d"
    ).as_dict()
    assert "natural_gas" in gas["message_zh"]
    assert "天然气" in content.finding_text(gas).zh
    assert "natural_gas" not in content.finding_text(gas).zh + content.finding_text(gas).ko
