"""The report of the demo plant: PDF/A with embedded fonts and the assessment attached,
self-contained HTML, and a workbook that prints every figure as the PDF does.

Needs poppler-utils (pdftoppm, pdffonts, pdftotext, pdfdetach).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from thermaudit.api import open_dataset
from thermaudit.demo import write_demo
from thermaudit.metrics.spec import load_spec
from thermaudit.report.build import report_dataset, write_report
from thermaudit.report.content import metric_name
from thermaudit.report.fmt import fmt, fmt_measured
from thermaudit.report.series import collect
from thermaudit.report.xlsx import HEADINGS, SHEETS

POPPLER = ("pdftoppm", "pdffonts", "pdftotext", "pdfdetach")
missing_tools = [t for t in POPPLER if shutil.which(t) is None]
if missing_tools:  # pragma: no cover - CI installs poppler-utils
    pytest.fail(
        f"poppler-utils missing ({', '.join(missing_tools)}): apt-get install -y poppler-utils",
        pytrace=False,
    )


def run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    write_demo(root / "plant")
    return root


@pytest.fixture(scope="module")
def assessed(demo: Path) -> dict[str, Any]:
    """The whole pipeline once (zh); other languages reuse its assessment and chart data."""
    out = demo / "out-zh"
    with open_dataset(demo / "plant") as ds:
        result, files = report_dataset(ds, out, lang="zh")
        series = collect(ds, result.coefficients)
    return {"out": out, "doc": result.document, "files": files, "site": ds.site, "series": series}


@pytest.fixture(scope="module", params=["zh", "en"])
def built(request: pytest.FixtureRequest, demo: Path, assessed: dict[str, Any]) -> dict[str, Any]:
    lang = request.param
    if lang == "zh":
        return {"lang": lang, **assessed}
    out = demo / f"out-{lang}"
    (out).mkdir()
    (out / "assessment.json").write_bytes((assessed["out"] / "assessment.json").read_bytes())
    files = write_report(
        assessed["doc"], out, lang=lang, site=assessed["site"], series=assessed["series"]
    )
    return {**assessed, "lang": lang, "out": out, "files": files}


def test_typst_gave_no_warning(built: dict[str, Any]) -> None:
    # Typst's own warnings plus the report's glyph-coverage check (missing glyphs)
    assert built["files"].warnings == []


def test_fonts_are_embedded(built: dict[str, Any]) -> None:
    lines = run("pdffonts", built["files"].pdf).splitlines()[2:]
    assert lines, "the PDF has no fonts"
    for line in lines:
        # columns: name type encoding emb sub uni object ID; 'emb' is the 4th from the end
        assert line.split()[-5] == "yes", line
    assert any("NotoSansSC" in line for line in lines)


def test_pages_render_to_png(built: dict[str, Any], tmp_path: Path) -> None:
    run("pdftoppm", "-r", "40", "-png", "-f", "2", "-l", "2", built["files"].pdf, tmp_path / "p")
    pngs = list(tmp_path.glob("p-*.png"))
    assert len(pngs) == 1
    assert pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_assessment_is_attached(built: dict[str, Any], tmp_path: Path) -> None:
    listing = run("pdfdetach", "-list", built["files"].pdf)
    assert "assessment.json" in listing
    run("pdfdetach", "-saveall", "-o", tmp_path, built["files"].pdf)
    attached = json.loads((tmp_path / "assessment.json").read_text("utf-8"))
    assert attached == built["doc"]
    assert attached == json.loads((built["out"] / "assessment.json").read_text("utf-8"))


def _pdf_text(pdf: Path) -> str:
    return run("pdftotext", "-layout", pdf, "-")


def _workbook_text(path: Path) -> dict[str, list[list[Any]]]:
    wb = load_workbook(path, read_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def _sheet(built: dict[str, Any], key: str) -> tuple[list[str], list[list[Any]]]:
    """One sheet of the workbook, by its name in the report's language."""
    header, *rows = _workbook_text(built["files"].xlsx)[SHEETS[key].get(built["lang"])]
    return header, rows


def _col(built: dict[str, Any], header: list[str], key: str) -> int:
    return header.index(HEADINGS[key].get(built["lang"]))


def _by_metric(built: dict[str, Any], rows: list[list[Any]]) -> dict[str, list[Any]]:
    """The metrics sheet's rows by metric id: the sheet names metrics in the reader's words."""
    ids = {metric_name(ms).get(built["lang"]): ms.id for ms in load_spec(None).metrics}
    return {ids[r[0]]: r for r in rows}


def test_every_metric_value_is_in_pdf_and_workbook(built: dict[str, Any]) -> None:
    text = _pdf_text(built["files"].pdf)
    sheets = _workbook_text(built["files"].xlsx)
    assert list(sheets) == [SHEETS[k].get(built["lang"]) for k in SHEETS]
    header, rows = _sheet(built, "metrics")
    by_id = _by_metric(built, rows)
    reported = {k: r[_col(built, header, "value_text")] for k, r in by_id.items()}
    raw = {k: r[_col(built, header, "value")] for k, r in by_id.items()}
    u_reported = {k: r[_col(built, header, "u_text")] for k, r in by_id.items()}
    metrics = built["doc"]["metrics"]
    assert set(reported) == set(metrics)
    for mid, m in metrics.items():
        # value and U as one policy prints them (GUM 7.2.6: U to 2 digits, the value at its
        # last digit); tests/report/test_fmt.py checks the policy itself
        shown, u_shown = fmt_measured(m["value"], m.get("uncertainty"), m["unit"])
        assert shown in text, (mid, shown)
        assert reported[mid] == shown, mid
        if m.get("uncertainty") is not None:  # U (k=2), when the assessment has it
            assert u_shown in text, (mid, "U", u_shown)
            assert u_reported[mid] == u_shown, mid
        # the number itself, for calculation; xlsx stores 15 significant digits
        assert raw[mid] == pytest.approx(m["value"], rel=1e-14), mid


def test_sku_intensities_are_in_pdf_and_workbook(built: dict[str, Any]) -> None:
    text = _pdf_text(built["files"].pdf)
    header, rows = _sheet(built, "by_sku")
    by_sku = built["doc"]["metrics"]["unit_product_energy"]["detail"]["by_sku"]
    assert {r[0] for r in rows} == set(by_sku)
    col = _col(built, header, "value_text")
    for r in rows:
        shown = fmt(by_sku[r[0]]["value"])
        assert r[col] == shown
        assert re.search(rf"{re.escape(r[0])}\b.*\b{re.escape(shown)}\b", text), r[0]


def test_inputs_and_findings_are_listed(built: dict[str, Any]) -> None:
    text = _pdf_text(built["files"].pdf)
    for i in built["doc"]["inputs"]:
        # a digest may wrap inside its table cell: look for its first half
        assert i["sha256"][:32] in text.replace("\n", ""), i["file"]
    lang = built["lang"]
    flat = re.sub(r"\s+", "", text)
    from thermaudit.report.content import finding_text

    for f in built["doc"]["findings"]:
        # as printed: a message naming an energy carrier names it in the reader's words
        message = finding_text(f).get(lang)
        assert re.sub(r"\s+", "", message)[:20] in flat, f["code"]
        assert "natural_gas" not in message, f["code"]


def test_html_is_self_contained(built: dict[str, Any]) -> None:
    html = built["files"].html.read_text("utf-8")
    urls = set(re.findall(r"(?:https?:)?//[^\s\"'<>)]+", html))
    # the only URL is the SVG namespace name, which is never fetched
    assert urls <= {"http://www.w3.org/2000/svg"}, urls
    for pattern in (r"<script", r"<link", r"<img", r"src=", r"url\(", r"@import", r"@font-face"):
        assert not re.search(pattern, html, re.I), pattern
    assert html.count("<svg") >= 5  # sankey, trend, ranking, control charts, heat
    assert "<text" not in html  # chart text is drawn as outlines: no font needed
    for m in built["doc"]["metrics"].values():
        assert fmt_measured(m["value"], m.get("uncertainty"), m["unit"])[0] in html


def test_chapters_in_order(built: dict[str, Any]) -> None:
    text = _pdf_text(built["files"].pdf)
    zh = built["lang"] == "zh"
    titles = (
        [
            "评估结论摘要",
            "评估边界与方法",
            "能源平衡",
            "产品单耗排名",
            "模温控制精度",
            "余热资源与回收",
            "熔炼",
            "碳排放",
            "计量器具配备与校准",
            "数据质量发现",
            "节能降碳诊断与建议",
            "供客户与监管机构使用的数据",
        ]
        if zh
        else [
            "Summary of results",
            "Boundary and methodology",
            "Energy balance",
            "Intensity by product",
            "Mold temperature control",
            "Waste heat",
            "Melting",
            "Carbon emissions",
            "Metering coverage and calibration",
            "Findings",
            "Diagnosis and measures",
            "For your buyers",
        ]
    )
    if any(m.get("uncertainty_budget") for m in built["doc"]["metrics"].values()):
        titles.insert(9, "测量不确定度" if zh else "Measurement uncertainty")
    annex = (
        ["附录 A 暂行系数与阈值", "附录 B 输入数据清单"]
        if zh
        else ["Annex A Provisional coefficients and thresholds", "Annex B Input data"]
    )
    headings = [f"{i} {t}" for i, t in enumerate(titles, 1)] + annex
    positions = [
        m.start() if (m := re.search(rf"^\s*{re.escape(h)}\s*$", text, re.M)) else -1
        for h in headings
    ]
    assert all(p >= 0 for p in positions), dict(zip(headings, positions, strict=True))
    assert positions == sorted(positions)


def test_the_buyers_chapter_shows_what_the_exports_hold(built: dict[str, Any]) -> None:
    """One table per format, with the figures the files are written from (issue #18, 5)."""
    from thermaudit.exports import cbam, disclosures

    text = _pdf_text(built["files"].pdf)
    doc = built["doc"]
    chapter = text[text.index("供客户与监管" if built["lang"] == "zh" else "For your buyers") :]
    flat = re.sub(r"\s+", " ", chapter)
    for sku, v in doc["product_footprint"]["by_sku"].items():
        assert re.search(rf"{sku}\b.*?{re.escape(fmt(v['kgco2e_per_piece_location']))}", flat)
    for g in cbam.document(doc, {})["goods"]:
        assert re.search(rf"{g['sku']}\b.*?{re.escape(fmt(g['see_direct']))}", flat), g["sku"]
    for framework in ("esrs", "vsme", "kesg"):
        for d in disclosures.facts(doc, framework)["reported"]:
            # a long label wraps inside its cell: its first words, then the value
            words = " ".join(d["labels"][built["lang"]].split()[:3])[:12]
            assert re.search(rf"{re.escape(words)}.*?\s{re.escape(fmt(d['value']))}\s", flat), (
                framework,
                words,
            )
    for c in doc["product_footprint"]["by_customer"]:
        assert c["customer"] in flat
    # the PACT ids the buyer will read are the ids the chapter prints (they derive from the
    # figures, not from the file they travel in)
    from thermaudit.exports import pact, source_of

    raw = (built["out"] / "assessment.json").read_bytes()
    served = pact.document(doc, source_of(raw))["thermaudit"]["products"]
    assert served and all(f"{p['sku']} {p['id']}" in flat for p in served)


def test_provisional_figures_are_in_the_annex_with_source_and_confidence(
    built: dict[str, Any],
) -> None:
    """Regression: the figures marked (check) were listed as "coefficients.csv: lpg (kg) —
    … (check)"; they are now in an annex, in the reader's words, with source and confidence."""
    text = re.sub(r"\s+", " ", _pdf_text(built["files"].pdf))
    zh = built["lang"] == "zh"
    assert ("待官方技术规范发布后确认" if zh else "pending the official specification") in text
    assert "(check" not in text and "coefficients.csv" not in text
    from thermaudit.reference import table
    from thermaudit.report.labels import provisional, term, translated

    flagged = [r for r in table("coefficients") if provisional(r["source"])]
    assert flagged
    for r in flagged:
        what = term("carrier", r["carrier"]).get(built["lang"])
        src = translated(r["source"]).get(built["lang"])
        # a wrapped cell's lines interleave with the next column's in the text: its first part
        head = re.split(r"[;；]", src)[0]
        flat = re.sub(r"\s", "", text)
        assert re.sub(r"\s", "", what) in flat and re.sub(r"\s", "", head) in flat, (what, src)


def test_bilingual_report_and_korean_text(demo: Path, built: dict[str, Any]) -> None:
    doc = json.loads(json.dumps(built["doc"]))
    doc["enterprise"]["name_en"] = "한국 협력사 Korean partner"  # Hangul must render too
    files = write_report(doc, demo / "bi", lang="zh+en", site=built["site"], spec=load_spec())
    assert files.warnings == []
    fonts = run("pdffonts", files.pdf)
    assert "NotoSansKR" in fonts
    assert "한국 협력사" in _pdf_text(files.pdf)


def test_sankey_flows_balance(built: dict[str, Any]) -> None:
    from thermaudit.report.content import sankey_flows

    d = built["doc"]["metrics"]["unit_product_energy"]["detail"]
    nodes = sankey_flows(built["site"], d)
    assert nodes is not None
    carriers, _procs, flows = nodes
    into_skus = sum(f.value for f in flows if f.target.startswith("s:"))
    # the products add up to E exactly (float sums: 1e-9 relative)
    assert into_skus == pytest.approx(d["energy_kgce"], rel=1e-9)
    for c, v in carriers.items():  # each carrier's input leaves it completely
        out = sum(f.value for f in flows if f.source == f"c:{c}")
        assert out == pytest.approx(v, rel=1e-9), c
    # independent route: carrier inputs = supply + generation from by_role
    assert sum(carriers.values()) == pytest.approx(
        d["by_role"]["supply"] + d["by_role"]["generation"], rel=1e-9
    )


def test_demo_charts_have_no_crossed_label(built: dict[str, Any]) -> None:
    """The laid-out charts of the demo plant: no label crossed by a line or under a bar, and
    every chart kind with a layout is there."""
    from thermaudit.metrics.spec import load_spec
    from thermaudit.report import content
    from thermaudit.report.blocks import Figure, Section
    from thermaudit.report.charts import Chart

    report = content.build(
        built["doc"], load_spec(), site=built["site"], series=built["series"], lang=built["lang"]
    )

    def figures(sections: list[Section]) -> list[Figure]:
        out = []
        for s in sections:
            out += [b for b in s.blocks if isinstance(b, Figure)] + figures(s.subsections)
        return out

    charts = [f for f in figures(report.sections) if isinstance(f.svg, Chart)]
    assert {f.name.split("-")[0] for f in charts} >= {"control", "sankey"}, [f.name for f in charts]
    for f in charts:
        assert f.svg.layout.collisions() == [], f.name


def test_a_pass_on_expired_calibration_says_so_next_to_the_grade(built: dict[str, Any]) -> None:
    """The demo plant's TCU-02 certificate expires inside the period and TCU-02 feeds the mold
    accuracy, graded pass: the summary (card and table 1), the mold chapter, the HTML and the
    workbook's metrics sheet say so beside the grade (issue #17, 4c)."""
    m = built["doc"]["metrics"]["mold_temperature_control_accuracy"]
    assert m["grade"] == "pass"
    # independent route: controllers with steady samples whose calibration is expired
    expired = sorted(
        cid
        for cid, c in m["detail"]["by_controller"].items()
        if c["samples"] and c["calibration"] == "expired"
    )
    assert expired and m["uncertainty_budget"]["expired_instruments"] == expired
    zh = built["lang"] == "zh"
    ids = ("、" if zh else ", ").join(expired)
    beside = f"合格（校准已过期：{ids}）" if zh else f"pass (calibration expired: {ids})"
    text = re.sub(r"\s+", "", _pdf_text(built["files"].pdf))
    summary, _, rest = text.partition("主要结论" if zh else "Keyobservations")
    # the card carries it whole; table 1 too, wrapped in its narrow grade column (the words
    # of a wrapped cell can come apart in the extracted text, the ids and bracket stay)
    assert re.sub(r"\s+", "", beside) in summary, beside
    assert summary.count(ids.replace(" ", "") + ("）" if zh else ")")) >= 2
    chapter = "评级“合格”所依据的数据来自校准已过期的仪表" if zh else "Thegrade“pass”restsondata"
    assert chapter in rest
    html = built["files"].html.read_text("utf-8")
    assert beside in html
    header, rows = _sheet(built, "metrics")
    by_id = _by_metric(built, rows)
    row = by_id["mold_temperature_control_accuracy"]
    assert row[_col(built, header, "grade")] == ("合格" if zh else "pass")
    assert row[_col(built, header, "expired")] == ", ".join(expired)
    # a metric on calibrated data only has nothing beside its grade
    grade, beside_col = _col(built, header, "grade"), _col(built, header, "expired")
    others = [r for k, r in by_id.items() if k != "mold_temperature_control_accuracy"]
    assert any(r[grade] for r in others)
    assert all(not r[beside_col] for r in others if r[grade])


def test_uncertainty_chapter_prints_the_carbon_budget(built: dict[str, Any]) -> None:
    """Every input of the carbon U, coefficients included, with its share (issue #17, 4a)."""
    b = built["doc"]["metrics"]["unit_product_carbon_intensity"]["uncertainty_budget"]
    kinds = {c["kind"] for c in b["contributors"]}
    assert {"instrument", "coefficient"} <= kinds
    text = re.sub(r"\s+", " ", _pdf_text(built["files"].pdf))
    zh = built["lang"] == "zh"
    assert ("单位产品碳排放强度：不确定度预算" if zh else "uncertainty budget") in text
    assert ("电网排放因子" if zh else "grid emission factor") in text
    grid = next(c for c in b["contributors"] if c.get("coefficient") == "grid_factor")
    assert f"{fmt(100 * grid['share'], 2)}" in text
