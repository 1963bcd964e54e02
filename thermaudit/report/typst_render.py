"""Lay a :class:`~thermaudit.report.blocks.Report` out with Typst and compile it to PDF/A-3b.

The generated ``report.typ`` calls the functions of ``templates/base.typ``; every text goes
in as a Typst string literal, so no content can be read as markup. Fonts come only from the
package (:mod:`thermaudit.report.fonts`) and Typst's own embedded fonts; system fonts are
ignored, so the PDF is the same on every machine.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

from thermaudit.errors import ThermauditError
from thermaudit.report.blocks import (
    Bullets,
    Callout,
    Cards,
    Cell,
    Facts,
    Figure,
    Formula,
    PageBreak,
    Para,
    Report,
    Section,
    Table,
    Text,
)
from thermaudit.report.fonts import FAMILIES, font_dirs, text_width, uncovered
from thermaudit.report.labels import (
    ANNEX,
    KICKER,
    REPORT_ID,
    SIGNATURE_HINT,
    Bi,
    is_pair,
    langs_of,
    primary,
)
from thermaudit.report.signature_slots import typst_slot

#: PDF standard written (PDF/A-3b allows the embedded assessment.json)
PDF_STANDARD: Final = "a-3b"


class ReportCompileError(ThermauditError, RuntimeError):
    """Typst refused the generated document (a bug in the report, not in the data)."""


#: chapters that start on a new page
NEW_PAGE = frozenset({"methodology", "energy", "mold", "findings", "diagnosis"})


class MissingGlyphs(ReportCompileError, ValueError):
    """Some text of the report has characters that no bundled font can draw."""


@dataclass
class CompileResult:
    path: Path
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def s(text: str) -> str:
    """A Typst string literal (code mode)."""
    return json.dumps(text, ensure_ascii=False)


class _Writer:
    def __init__(self, lang: str, figdir: Path) -> None:
        self.lang = lang
        self.figdir = figdir
        self.out: list[str] = []

    # -- text
    def t(self, text: Text) -> str:
        """A content expression (code mode) for ``text``."""
        if isinstance(text, Bi):
            texts = text.pair(self.lang)
            if len(texts) == 2:
                return f"bi({s(texts[0])}, {s(texts[1])})"
            return f"[#{s(texts[0])}]"
        return f"[#{s(text)}]"

    def cell(self, c: Cell | Text) -> str:
        if not isinstance(c, Cell):
            return self.t(c)
        args = []
        if c.tone:
            args.append(f"tone: {s(c.tone)}")
        if c.mono:
            args.append("mono: true")
        if c.bold:
            args.append("bold: true")
        return f"cell({self.t(c.text)}{', ' if args else ''}{', '.join(args)})"

    def _para(self, text: Text) -> str:
        """Paragraph content: in a pair, the second language follows on its own line."""
        if isinstance(text, Bi) and len(texts := text.pair(self.lang)) == 2:
            return f"[#{s(texts[0])}] + linebreak() + second[#{s(texts[1])}]"
        return self.t(text)

    def emit(self, line: str) -> None:
        self.out.append(line)

    # -- blocks
    def block(self, b: object) -> None:
        if isinstance(b, Para):
            if isinstance(b.text, Bi) and is_pair(self.lang):
                first, second = (b.text.get(x) for x in langs_of(self.lang))
                body = f"[#{s(first)}] + parbreak() + second[#{s(second)}]"
            else:
                body = self.t(b.text)
            fn = "note" if b.tone in ("note", "muted") else ""
            self.emit(f"#{fn}({body})" if fn else f"#({body})")
            self.emit("")
        elif isinstance(b, Callout):
            if isinstance(b.text, Bi) and is_pair(self.lang):
                first, second = (b.text.get(x) for x in langs_of(self.lang))
                body = f"[#{s(first)}] + linebreak() + second[#{s(second)}]"
            else:
                body = self.t(b.text)
            self.emit(f"#callout({body}, tone: {s(b.tone)})")
        elif isinstance(b, Table):
            header = ", ".join(self.t(h) for h in b.header)
            rows = ", ".join("(" + ", ".join(self.cell(c) for c in r) + ",)" for r in b.rows)
            align = ", ".join({"l": "left", "r": "right", "c": "center"}[a] for a in b.align)
            widths = ", ".join(f"{w:.2f}" for w in column_widths(b, self.lang))
            cap = self.t(b.caption) if b.caption is not None else "none"
            notes = ", ".join(self.t(n) for n in b.notes)
            small = "true" if b.small else "false"
            narrow = "true" if b.narrow else "false"
            w1 = "," if len(b.rows) == 1 else ""
            w2 = "," if len(b.notes) == 1 else ""
            self.emit(
                f"#rtable(({header},), ({rows}{w1}), align: ({align},), widths: ({widths},), "
                f"caption: {cap}, small: {small}, narrow: {narrow}, notes: ({notes}{w2}))"
            )
        elif isinstance(b, Figure):
            path = self.figdir / f"{b.name}.svg"
            path.write_text(b.svg, "utf-8")
            self.emit(
                f"#chart({s('fig/' + path.name)}, {self.t(b.caption)}, width: {b.width_pct}%)"
            )
        elif isinstance(b, Formula):
            self.emit(f"#formula(({', '.join(s(x) for x in b.lines)},))")
        elif isinstance(b, Facts):
            items = ", ".join(f"({self.t(k)}, {self.t(v)})" for k, v in b.items)
            self.emit(f"#facts(({items},))")
        elif isinstance(b, Cards):
            items = ", ".join(
                f"({self.t(c.title)}, {s(c.value)}, {s(c.unit)}, {self.t(c.grade)}, {s(c.tone)}, "
                f"{self.t(c.note) if c.note else 'none'})"
                for c in b.cards
            )
            self.emit(f"#cards(({items},))")
        elif isinstance(b, Bullets):
            items = ", ".join(self._para(x) for x in b.items)
            self.emit(f"#bullets({items})")
        elif isinstance(b, PageBreak):
            self.emit("#pagebreak()")
        else:  # pragma: no cover - every block type is handled above
            raise TypeError(f"unknown block {type(b).__name__}")

    def heading(self, title: Bi, level: int) -> None:
        eq = "=" * level
        texts = title.pair(self.lang)
        if len(texts) == 2:
            self.emit(
                f"{eq} #{s(texts[0])} #h(0.4em) #text(weight: 400, fill: muted, {s(texts[1])})"
            )
        else:
            self.emit(f"{eq} #{s(texts[0])}")

    def section(self, sec: Section, level: int = 1) -> None:
        self.heading(sec.title, level)
        for b in sec.blocks:
            self.block(b)
        for sub in sec.subsections:
            self.section(sub, level + 1)


#: width of the page's text column (A4, 22 mm side margins) in pt; rtable's cell inset
TEXT_WIDTH_PT = (210 - 2 * 22) / 25.4 * 72
CELL_INSET_PT = 4.0
#: DejaVu Sans Mono advance (em) and the size of a mono cell relative to the table text
MONO_ADVANCE, MONO_SCALE = 0.602, 0.92
#: measured text is a little narrower than Typst's shaping at times: a margin in pt
SLACK_PT = 1.5
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def _lines(text: Text, lang: str) -> list[str]:
    """The lines a cell shows in ``lang`` (both languages of a pair)."""
    if isinstance(text, Bi):
        return text.pair(lang)
    return [text]


def _unbreakable(line: str) -> list[str]:
    """The pieces of ``line`` a line break cannot split: words, CJK characters one by one
    (with the punctuation that may not start or end a line kept on them)."""
    out: list[str] = []
    for word in line.split():
        piece = ""
        for ch in word:
            if _CJK.match(ch):
                if piece and not _CJK.match(piece[-1]) and ch in "，。、；：）」』》":
                    piece += ch
                    continue
                if piece:
                    out.append(piece)
                piece = ch
            else:
                if piece and _CJK.match(piece[-1]) and piece[-1] not in "（「『《":
                    out.append(piece)
                    piece = ""
                piece += ch
        if piece:
            out.append(piece)
    return out


def _need(c: Cell | Text, lang: str, size: float, weight: int) -> float:
    """The narrowest content width (pt) that holds the cell's longest unbreakable piece; an
    identifier (a mono cell) is one piece, so it never breaks at a hyphen."""
    mono = isinstance(c, Cell) and c.mono
    text = c.text if isinstance(c, Cell) else c
    if isinstance(c, Cell) and c.bold:
        weight = 700
    widest = 0.0
    for line in _lines(text, lang):
        if mono:
            widest = max(widest, len(line) * MONO_ADVANCE * MONO_SCALE * size)
            continue
        for piece in _unbreakable(line):
            widest = max(widest, text_width(piece, size, weight))
    return widest


def column_widths(table: Table, lang: str) -> list[float]:
    """Column widths (pt, passed to Typst as fractions) from the table's relative widths,
    widened where a column's header word, number or identifier would not fit, the others
    narrowed in proportion; so no text runs out of its column."""
    n = len(table.header)
    rel = table.widths or [1.0] * n
    size = 7.6 if table.small else 8.6
    total = TEXT_WIDTH_PT * (0.62 if table.narrow else 1.0)
    need = [_need(h, lang, size, 600) for h in table.header]
    for row in table.rows:
        for i, c in enumerate(row[:n]):
            need[i] = max(need[i], _need(c, lang, size, 400))
    need = [w + 2 * CELL_INSET_PT + SLACK_PT for w in need]
    fixed: dict[int, float] = {}
    while True:
        free = [i for i in range(n) if i not in fixed]
        left = total - sum(fixed.values())
        share = sum(rel[i] for i in free)
        width = {i: left * rel[i] / share for i in free} if share > 0 else {}
        short = [i for i in free if width[i] < need[i]]
        if not short or left <= 0:
            break
        fixed.update({i: need[i] for i in short})
    return [fixed.get(i, width.get(i, 0.0)) for i in range(n)]


def _pick(text: Bi, lang: str) -> str:
    return text.get(lang)


#: Typst's ``lang`` and ``region`` of each language (hyphenation, line breaking, quotes)
TYPST_LANG = {"zh": ("zh", "cn"), "en": ("en", "gb"), "ko": ("ko", "kr")}


def typst_source(report: Report, lang: str, figdir: Path, attachment: str | None) -> str:
    """The Typst document for ``report`` (figures are written into ``figdir``)."""
    w = _Writer(lang, figdir)
    tlang, region = TYPST_LANG[primary(lang)]
    # Korean first where Korean leads, so Hangul and its punctuation come from the KR face
    fams = sorted(FAMILIES, key=lambda f: 0 if ("KR" in f) == (primary(lang) == "ko") else 1)
    fonts = ", ".join(s(f) for f in fams)
    c = report.cover
    running = _pick(report.running, lang)
    title = _pick(c.title, lang) + " — " + _pick(c.enterprise, lang)
    w.emit('#import "base.typ": *')
    w.emit(
        f"#show: report-style.with(fonts: ({fonts},), lang: {s(tlang)}, region: {s(region)}, "
        f"title: {s(title)})"
    )
    if attachment:
        w.emit(
            f'#pdf.attach({s(attachment)}, relationship: "data", '
            f'mime-type: "application/json", '
            f"description: {s('thermaudit assessment (' + attachment + ')')})"
        )
    titles = c.title.pair(lang)
    names = list(dict.fromkeys([c.enterprise.get(primary(lang)), c.enterprise.en]))
    items = ", ".join(f"({w.t(k)}, {w.t(v)})" for k, v in c.facts)
    kicker = "THERMAUDIT · " + KICKER.get(lang)
    w.emit("#cover(")
    w.emit(f"  kicker: {s(kicker)},")
    w.emit(f"  title: ({', '.join(s(t) for t in titles)},),")
    w.emit(f"  subtitle: {w.t(c.subtitle)},")
    w.emit(f"  enterprise: ({', '.join(s(n) for n in names)},),")
    w.emit(f"  facts-items: ({items},),")
    w.emit(f"  signatures: ({', '.join(w.t(x) for x in c.signatures)},),")
    w.emit(f"  signature-hint: {s(SIGNATURE_HINT.get(lang))},")
    w.emit(f"  status: {w.t(c.status)},")
    w.emit(f"  report-id: {s(REPORT_ID.get(lang) + c.report_id)},")
    w.emit(f"  slot: {typst_slot()},")
    w.emit(")")
    w.emit("#pagebreak()")
    w.emit(
        f"#show: body-pages.with(running: {s(running)}, report-id: {s(c.report_id)}, "
        f"lang: {s(tlang)})"
    )
    annex_started = False
    for i, sec in enumerate(report.sections):
        if sec.annex and not annex_started:
            annex_started = True
            w.emit("#pagebreak()")
            sup = ANNEX.get(lang)
            w.emit(f"#show: annexes.with(supplement: {s(sup)})")
        elif i > 0 and sec.id in NEW_PAGE:
            w.emit("#pagebreak(weak: true)")
        w.section(sec)
    return "\n".join(w.out) + "\n"


def compile_pdf(
    report: Report,
    lang: str,
    out: Path,
    *,
    attachment: tuple[str, bytes] | None = None,
    keep_source: Path | None = None,
    layout_probe: bool = False,
) -> CompileResult:
    """Compile ``report`` to ``out`` (PDF/A-3b, fonts embedded), returning Typst's warnings.

    ``layout_probe`` outlines every table cell's content area (for the layout tests; the
    outline takes no space, so the text lies where it lies without it)."""
    return _compile(
        lambda figdir, name: typst_source(report, lang, figdir, name),
        out,
        attachment=attachment,
        keep_source=keep_source,
        layout_probe=layout_probe,
    )


def sheet_source(
    title: Bi, sections: list[Section], lang: str, running: Bi, figdir: Path, attachment: str | None
) -> str:
    """The Typst document of a short sheet: ``title`` and ``sections``, no cover, the
    report's fonts, styles and running header (the readiness check's one page)."""
    w = _Writer(lang, figdir)
    tlang, region = TYPST_LANG[primary(lang)]
    fams = sorted(FAMILIES, key=lambda f: 0 if ("KR" in f) == (primary(lang) == "ko") else 1)
    fonts = ", ".join(s(f) for f in fams)
    w.emit('#import "base.typ": *')
    w.emit(
        f"#show: report-style.with(fonts: ({fonts},), lang: {s(tlang)}, region: {s(region)}, "
        f"title: {s(title.get(lang))})"
    )
    if attachment:
        w.emit(
            f'#pdf.attach({s(attachment)}, relationship: "data", '
            f'mime-type: "application/json", description: {s("thermaudit " + attachment)})'
        )
    w.emit(
        f"#show: body-pages.with(running: {s(running.get(lang))}, report-id: {s('')}, "
        f"lang: {s(tlang)})"
    )
    w.emit("#set heading(numbering: none)")
    first, *second = title.pair(lang)
    w.emit(f"#text(size: 15pt, weight: 700, fill: navy)[#{s(first)}]")
    for text in second:
        w.emit(f"#h(0.5em)#text(size: 11pt, fill: muted)[#{s(text)}]")
    for sec in sections:
        w.section(sec, 2)
    return "\n".join(w.out) + "\n"


def compile_sheet(
    title: Bi,
    sections: list[Section],
    lang: str,
    out: Path,
    *,
    running: Bi,
    attachment: tuple[str, bytes] | None = None,
) -> CompileResult:
    """Compile a short sheet (:func:`sheet_source`) to ``out`` (PDF/A-3b, fonts embedded)."""
    return _compile(
        lambda figdir, name: sheet_source(title, sections, lang, running, figdir, name),
        out,
        attachment=attachment,
    )


def _compile(
    make_source: Callable[[Path, str | None], str],
    out: Path,
    *,
    attachment: tuple[str, bytes] | None = None,
    keep_source: Path | None = None,
    layout_probe: bool = False,
) -> CompileResult:
    import typst

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="thermaudit-report-") as tmp:
        root = Path(tmp)
        (root / "fig").mkdir()
        base = resources.files(__package__).joinpath("templates", "base.typ").read_text("utf-8")
        (root / "base.typ").write_text(base, "utf-8")
        name = None
        if attachment is not None:
            name, data = attachment
            (root / name).write_bytes(data)
        src = make_source(root / "fig", name)
        (root / "report.typ").write_text(src, "utf-8")
        if keep_source is not None:
            keep_source.mkdir(parents=True, exist_ok=True)
            shutil.copytree(root, keep_source, dirs_exist_ok=True)
        texts = [src] + [p.read_text("utf-8") for p in sorted((root / "fig").glob("*.svg"))]
        missing = uncovered("".join(texts))
        if missing:
            listed = ", ".join(f"U+{ord(c):04X} {c!r}" for c in missing[:20])
            raise MissingGlyphs(
                f"the report fonts ({', '.join(FAMILIES)}) have no glyph for "
                f"{len(missing)} character(s) of the report: {listed}",
                hint="PDF/A needs every character drawn; spell the name or text with "
                "Chinese, Korean or Latin characters",
            )
        try:
            pdf, warnings = typst.compile_with_warnings(
                str(root / "report.typ"),
                output=None,
                root=str(root),
                font_paths=[str(d) for d in font_dirs()],
                ignore_system_fonts=True,
                pdf_standards=[PDF_STANDARD],
                format="pdf",
                sys_inputs={"layout-probe": "1"} if layout_probe else {},
            )
        except typst.TypstError as exc:
            raise ReportCompileError(
                f"Typst could not compile the report: {_message(exc)}",
                hint="this is a bug in thermaudit's report; keep the source with --keep-source",
            ) from None
    messages = [_message(w) for w in warnings]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_suffix(".pdf.tmp")
    tmp_out.write_bytes(pdf)
    tmp_out.replace(out)
    return CompileResult(out, messages, time.perf_counter() - t0)


def _message(x: Any) -> str:
    diag = getattr(x, "diagnostic", None)
    if isinstance(diag, str) and "error:" in diag:
        return diag[diag.index("error:") :][:2000]
    for attr in ("message", "diagnostic"):
        v = getattr(x, attr, None)
        if v:
            hints = getattr(x, "hints", None)
            return f"{v}" + (f" ({'; '.join(map(str, hints))})" if hints else "")
    return str(x)
