"""The laid-out report: no text outside its table cell or its page's text column, in every
report language. The PDF is compiled with the layout probe (every table cell's content area
outlined in a colour nothing else uses) and read back with pdfplumber: each glyph in a table
row must lie inside one cell's area, each glyph on a page inside the text column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pdfplumber
import pytest

from thermaudit.api import open_dataset
from thermaudit.demo import write_demo
from thermaudit.metrics.spec import load_spec
from thermaudit.report import content
from thermaudit.report.build import report_dataset
from thermaudit.report.labels import LANGS
from thermaudit.report.series import collect
from thermaudit.report.signature_slots import ROLES, signing_area
from thermaudit.report.typst_render import compile_pdf

#: the probe's outline colour, #ff00fe
PROBE = (1.0, 0.0, 254 / 255)
#: A4 side margins of the text column (22 mm), pt
MARGIN = 22 / 25.4 * 72
TOL = 0.6
#: CJK punctuation is drawn from a full-width glyph whose empty half Typst trims at line
#: starts and ends (the ink stays in the cell, the glyph box does not): only its ink half
#: counts, the right half of an opening mark, the left half of a closing one
CJK_OPEN = set("（《「『【“‘")
CJK_CLOSE = set("，。、；：？！）》」』】”’")


def _box(c: dict[str, Any]) -> tuple[float, float]:
    mid = (c["x0"] + c["x1"]) / 2
    if c["text"] in CJK_OPEN:
        return mid, c["x1"]
    if c["text"] in CJK_CLOSE:
        return c["x0"], mid
    return c["x0"], c["x1"]


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("layout")
    write_demo(root / "plant")
    with open_dataset(root / "plant") as ds:
        result, _ = report_dataset(ds, root / "out", lang="zh")
        series = collect(ds, result.coefficients)
        return {"root": root, "doc": result.document, "site": ds.site, "series": series}


def _is_probe(colour: Any) -> bool:
    return (
        isinstance(colour, tuple | list)
        and len(colour) == 3
        and all(abs(a - b) < 0.01 for a, b in zip(colour, PROBE, strict=True))
    )


def _words(chars: list[dict[str, Any]]) -> list[str]:
    """Neighbouring glyphs joined, for a readable failure message."""
    out: list[str] = []
    last = None
    for c in sorted(chars, key=lambda c: (round(c["top"]), c["x0"])):
        if last and abs(c["top"] - last["top"]) < 1 and c["x0"] - last["x1"] < 3:
            out[-1] += c["text"]
        else:
            out.append(c["text"])
        last = c
    return out


def outside(pdf_path: Path) -> dict[int, list[str]]:
    """Page → text lying outside its cell or outside the text column."""
    problems: dict[int, list[str]] = {}
    with pdfplumber.open(pdf_path) as pdf:
        for no, page in enumerate(pdf.pages, 1):
            cells = [
                (r["x0"], r["top"], r["x1"], r["bottom"])
                for r in page.rects
                if _is_probe(r.get("stroking_color"))
            ]
            bad = []
            for c in page.chars:
                if not c["text"].strip():
                    continue
                x0, x1 = _box(c)
                # punctuation hangs into the page margin by design (optical margin alignment)
                hanging = c["text"] in CJK_OPEN | CJK_CLOSE or c["text"] in ",.;:-"
                if not hanging and (x0 < MARGIN - TOL or x1 > page.width - MARGIN + TOL):
                    bad.append(c)
                    continue
                cy = (c["top"] + c["bottom"]) / 2
                row = [k for k in cells if k[1] - TOL <= cy <= k[3] + TOL]
                if row and not any(k[0] - TOL <= x0 and x1 <= k[2] + TOL for k in row):
                    bad.append(c)
            if bad:
                problems[no] = _words(bad)
    return problems


@pytest.mark.parametrize("lang", LANGS)
def test_no_text_outside_its_column(plant: dict[str, Any], lang: str) -> None:
    report = content.build(
        plant["doc"], load_spec(), site=plant["site"], series=plant["series"], lang=lang
    )
    pdf = plant["root"] / f"probe-{lang}.pdf"
    compile_pdf(report, lang, pdf, layout_probe=True)
    with pdfplumber.open(pdf) as doc:
        probes = sum(1 for p in doc.pages for r in p.rects if _is_probe(r.get("stroking_color")))
    assert probes > 200, "the layout probe drew no cell outline: the test would see nothing"
    assert outside(pdf) == {}


def test_probe_moves_no_glyph(plant: dict[str, Any]) -> None:
    """The probe's outlines take no space: the glyphs lie where they lie without it."""
    report = content.build(plant["doc"], load_spec(), lang="zh+en")
    a, b = plant["root"] / "with.pdf", plant["root"] / "without.pdf"
    compile_pdf(report, "zh+en", a, layout_probe=True)
    compile_pdf(report, "zh+en", b)

    def glyphs(path: Path) -> list[tuple[str, float, float]]:
        with pdfplumber.open(path) as pdf:
            return [
                (c["text"], round(c["x0"], 2), round(c["top"], 2))
                for p in pdf.pages
                for c in p.chars
            ]

    assert glyphs(a) == glyphs(b)


@pytest.mark.parametrize("lang", LANGS)
def test_signature_slots_lie_where_the_signer_puts_its_fields(
    plant: dict[str, Any], lang: str
) -> None:
    """Each slot's rule is the bottom edge of the signing area that ``thermaudit sign``
    fills, and no text of the cover lies inside a signing area (a signature would hide it)."""
    report = content.build(plant["doc"], load_spec(), lang=lang)
    pdf = plant["root"] / f"slots-{lang}.pdf"
    compile_pdf(report, lang, pdf)
    with pdfplumber.open(pdf) as doc:
        page = doc.pages[0]
        h = page.height
        rules = sorted(
            (round(ln["x0"], 1), round(h - ln["top"], 1), round(ln["x1"], 1))
            for ln in page.lines
            if abs(ln["top"] - ln["bottom"]) < 0.01
        )
        areas = [signing_area(r) for r in ROLES]
        # the rule spans the area's width at its bottom edge, to 0.1 pt (rounding)
        assert rules == [(round(x0, 1), round(y0, 1), round(x1, 1)) for x0, y0, x1, _ in areas]
        inside = [
            c["text"]
            for c in page.chars
            for x0, y0, x1, y1 in areas
            if x0 < (c["x0"] + c["x1"]) / 2 < x1 and y0 < h - (c["top"] + c["bottom"]) / 2 < y1
        ]
        assert inside == []
