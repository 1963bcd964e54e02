"""The rendered text of the demo plant's report, scanned as a reader sees it (pdftotext, the
HTML's text): no untranslated sentence in a Chinese or Korean report, no internal identifier
in any language, and every text of the reference data in the translations table.

Needs poppler-utils (pdftotext).
"""

from __future__ import annotations

import csv
import html
import re
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook

from thermaudit.api import open_dataset
from thermaudit.demo import write_demo
from thermaudit.reference import table
from thermaudit.report.build import report_dataset, write_report
from thermaudit.report.labels import LANGS, translated
from thermaudit.report.series import collect

#: three English words in a row: a sentence or a phrase
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’.-]+(?:\s+[A-Za-z][A-Za-z'’.-]*){2,}")
#: snake_case keys: a first part of 3+ letters (kgce_mj, natural_gas) or 3+ parts; formula
#: symbols with a short subscript (cp_w, t_hot, Q_rec) are not keys
SNAKE = re.compile(r"\b(?:[a-z][a-z0-9]{2,}(?:_[a-z0-9]+)+|[a-z0-9]+(?:_[a-z0-9]+){2,})\b")
INTERNAL = re.compile(r"\.json\b|\.md\b|\(check|#/|metrics\.md|\bcheck clause\b")
#: a finding's stable code (quality.reading.gap) is the reader's handle on the catalogue
FINDING_CODE = re.compile(r"\b(?:quality|metric)\.[a-z_.]+[a-z]")


def _texts_of_reference_data() -> list[str]:
    out = []
    for name in ("coefficients", "emission_factors", "grid_factors", "materials", "grid_mix"):
        out += [str(r["source"]) for r in table(name)]
    out += [str(r["region"]) for r in table("grid_factors")]
    spec = yaml.safe_load(
        resources.files("thermaudit.metrics")
        .joinpath("specs", "miit-2026-provisional@1.yaml")
        .read_text("utf-8")
    )
    for m in spec["metrics"]:
        g = m.get("grading") or {}
        out += [str(m[k]) for k in ("formula", "standard", "note") if m.get(k)]
        out += [str(g[k]) for k in ("note", "source") if g.get(k)]
        out += [str(b["source"]) for b in g.get("bands", []) + g.get("bands_efficiency", [])]
        out += [str(r["source"]) for r in g.get("references", [])]
    for name in ("measures", "tariffs"):
        raw = resources.files("thermaudit.diagnosis").joinpath("data", f"{name}.csv")
        out += [r["source"] for r in csv.DictReader(raw.read_text("utf-8").splitlines())]
    return out


def test_every_text_of_the_reference_data_is_in_the_translations_table() -> None:
    texts = _texts_of_reference_data()
    assert len(texts) > 60
    for text in texts:
        t = translated(text)  # raises MissingTranslation naming the text
        assert "(check" not in t.zh + t.en + t.ko, text


def _original_titles(lang: str) -> str:
    """English kept as it is in ``lang``: the runs of English words that the translations
    table writes the same in English and in ``lang`` (titles of foreign standards)."""
    raw = resources.files("thermaudit.report").joinpath("data", "translations.csv")
    keep = []
    for r in csv.DictReader(raw.read_text("utf-8").splitlines()):
        keep += [run for run in ENGLISH_RUN.findall(r[lang]) if run in r["en"]]
    return " | ".join(keep)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo plant assessed once, its report written in zh, en, ko and zh+ko."""
    root = tmp_path_factory.mktemp("scan")
    write_demo(root / "plant")
    out: dict[str, Any] = {}
    with open_dataset(root / "plant") as ds:
        result, files = report_dataset(ds, root / "zh", lang="zh")
        series = collect(ds, result.coefficients)
        site = ds.site
    out["zh"] = files
    for lang in ("en", "ko", "zh+ko"):
        folder = root / lang
        folder.mkdir()
        out[lang] = write_report(result.document, folder, lang=lang, site=site, series=series)
    names = [site.enterprise.name_en or ""] + [p.name_en or "" for p in site.products]
    # the plant's customers, by the names its deliveries give them
    names += [c["customer"] for c in result.document["product_footprint"].get("by_customer", [])]
    return {"files": out, "dataset_names": names, "doc": result.document}


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _html_text(path: Path) -> str:
    body = re.sub(r"<(style|svg)[^>]*>.*?</\1>", " ", path.read_text("utf-8"), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "\n", body))


def _identifiers(text: str, doc: dict[str, Any]) -> list[str]:
    text = FINDING_CODE.sub(" ", text)
    inputs = [str(i.get("file") or i.get("path") or "") for i in doc.get("inputs") or []]
    for name in sorted(filter(None, inputs), key=len, reverse=True):
        text = text.replace(name, " ")  # the plant's own file names, listed with their digests
    return SNAKE.findall(text) + INTERNAL.findall(text)


def _untranslated(text: str, lang: str, dataset_names: list[str]) -> list[str]:
    allowed = _original_titles(lang) + " | " + " | ".join(dataset_names)
    allowed += " | SIL Open Font License | Noto Sans SC, Noto Sans KR"
    flat = " ".join(allowed.split())
    found = []
    for line in text.splitlines():
        # table columns are laid out side by side: judge each column's text on its own
        for part in re.split(r"\s{2,}", line):
            for run in ENGLISH_RUN.findall(part):
                words = run.split()
                if not any(" ".join(words[i : i + 3]) in flat for i in range(len(words) - 2)):
                    found.append(run)
    return found


@pytest.mark.parametrize("lang", ["zh", "en", "ko", "zh+ko"])
def test_rendered_text_has_no_internal_identifier(rendered: dict[str, Any], lang: str) -> None:
    files = rendered["files"][lang]
    for name, text in (("pdf", _pdf_text(files.pdf)), ("html", _html_text(files.html))):
        assert _identifiers(text, rendered["doc"]) == [], (lang, name)


@pytest.mark.parametrize("lang", ["zh", "ko"])
def test_chinese_and_korean_reports_hold_no_english_prose(
    rendered: dict[str, Any], lang: str
) -> None:
    files = rendered["files"][lang]
    for name, text in (("pdf", _pdf_text(files.pdf)), ("html", _html_text(files.html))):
        assert _untranslated(text, lang, rendered["dataset_names"]) == [], (lang, name)


def test_scan_catches_what_it_is_for() -> None:
    """The scan itself: an English sentence, a snake_case key and a file name are caught."""
    assert _untranslated("说明：see the chapter below", "zh", []) == ["see the chapter below"]
    assert _untranslated("GB/T 2589-2020 附录 A", "zh", []) == []
    assert _identifiers("系数 kgce_mj 与 natural_gas，见 diagnosis.json (check)", {}) == [
        "kgce_mj",
        "natural_gas",
        ".json",
        "(check",
    ]
    assert _identifiers("quality.reading.gap · cp_w · t_hot", {}) == []
    assert set(LANGS) >= {"zh", "en", "ko", "zh+ko"}


def _workbook_text(path: Path) -> str:
    """Every text of the workbook as a reader sees it: sheet names and the cells holding
    words (numbers are numbers), one cell per line."""
    wb = load_workbook(path, read_only=True)
    cells = [ws.title for ws in wb.worksheets]
    for ws in wb.worksheets:
        rows = ws.iter_rows(values_only=True)
        cells += [v for row in rows for v in row if isinstance(v, str)]
    return "\n".join(cells)


@pytest.mark.parametrize("lang", ["zh", "en", "ko", "zh+ko"])
def test_workbook_has_no_internal_identifier(rendered: dict[str, Any], lang: str) -> None:
    text = _workbook_text(rendered["files"][lang].xlsx)
    assert _identifiers(text, rendered["doc"]) == [], lang


@pytest.mark.parametrize("lang", ["zh", "ko"])
def test_chinese_and_korean_workbooks_hold_no_english_prose(
    rendered: dict[str, Any], lang: str
) -> None:
    """Sheet names, headings and every word in a cell in the reader's language (issue #17)."""
    text = _workbook_text(rendered["files"][lang].xlsx)
    assert _untranslated(text, lang, rendered["dataset_names"]) == [], lang
    # the headings are the reader's words: not one English heading in a zh or ko workbook
    wb = load_workbook(rendered["files"][lang].xlsx, read_only=True)
    for ws in wb.worksheets:
        header = next(ws.iter_rows(values_only=True))
        english = [h for h in header if re.fullmatch(r"[A-Za-z][A-Za-z ()%/-]*", str(h))]
        assert english == [], (ws.title, english)


def test_a_pair_workbook_carries_both_languages(rendered: dict[str, Any]) -> None:
    wb = load_workbook(rendered["files"]["zh+ko"].xlsx, read_only=True)
    assert wb.worksheets[0].title == "指标 지표"
    header = next(wb.worksheets[0].iter_rows(values_only=True))
    assert header[:2] == ("指标 (zh)", "지표 (ko)")
    assert "评级 / 등급" in header
