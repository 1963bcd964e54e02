"""Lay a :class:`~thermaudit.report.blocks.Report` out as one self-contained HTML file:
inline CSS and inline SVG, no script, no font file and no external URL, so it opens offline
and prints the same anywhere (chart text is drawn as outlines)."""

from __future__ import annotations

import re
from html import escape
from importlib import resources

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
from thermaudit.report.labels import ANNEX, Bi, primary


def _css() -> str:
    return resources.files(__package__).joinpath("templates", "report.css").read_text("utf-8")


class _Html:
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def t(self, text: Text, block: bool = False) -> str:
        if isinstance(text, Bi):
            texts = text.pair(self.lang)
            if len(texts) == 2:
                return f'{escape(texts[0])}<span class="second">{escape(texts[1])}</span>'
            return escape(texts[0])
        return escape(text)

    def cell(self, c: Cell | Text, align: str) -> str:
        cls = {"r": "r", "c": "c"}.get(align, "")
        if not isinstance(c, Cell):
            return f'<td class="{cls}">{self.t(c)}</td>' if cls else f"<td>{self.t(c)}</td>"
        classes = [x for x in (cls, c.tone or "", "mono" if c.mono else "") if x]
        body = self.t(c.text)
        if c.bold:
            body = f"<strong>{body}</strong>"
        return f'<td class="{" ".join(classes)}">{body}</td>'

    def block(self, b: object) -> str:
        if isinstance(b, Para):
            cls = ' class="note"' if b.tone in ("note", "muted") else ""
            return f"<p{cls}>{self.t(b.text)}</p>"
        if isinstance(b, Callout):
            return f'<div class="callout {b.tone}">{self.t(b.text)}</div>'
        if isinstance(b, Table):
            cap = f"<caption>{self.t(b.caption)}</caption>" if b.caption is not None else ""
            head = "".join(
                f'<th class="{b.align[i]}">{self.t(h)}</th>' for i, h in enumerate(b.header)
            )
            rows = "".join(
                "<tr>" + "".join(self.cell(c, b.align[i]) for i, c in enumerate(r)) + "</tr>"
                for r in b.rows
            )
            notes = "".join(f'<p class="note">{self.t(n)}</p>' for n in b.notes)
            classes = " ".join(c for c, on in (("small", b.small), ("narrow", b.narrow)) if on)
            cls = f' class="{classes}"' if classes else ""
            return (
                f"<table{cls}>{cap}<thead><tr>{head}</tr></thead>"
                f"<tbody>{rows}</tbody></table>{notes}"
            )
        if isinstance(b, Figure):
            svg = re.sub(r"^<svg ", '<svg aria-label="chart" ', b.svg)
            return f"<figure>{svg}<figcaption>{self.t(b.caption)}</figcaption></figure>"
        if isinstance(b, Formula):
            return f'<pre class="formula">{escape(chr(10).join(b.lines))}</pre>'
        if isinstance(b, Facts):
            items = "".join(
                f'<div class="k">{self.t(k)}</div><div>{self.t(v)}</div>' for k, v in b.items
            )
            return f'<div class="facts">{items}</div>'
        if isinstance(b, Cards):
            cards = "".join(
                f'<div class="card {c.tone}"><div class="ct">{self.t(c.title)}</div>'
                f'<div class="cv">{escape(c.value)} <span class="cu">{escape(c.unit)}</span></div>'
                f'<div class="cg">{self.t(c.grade)}</div>'
                + (f'<div class="cn">{self.t(c.note)}</div>' if c.note else "")
                + "</div>"
                for c in b.cards
            )
            return f'<div class="cards">{cards}</div>'
        if isinstance(b, Bullets):
            return "<ul>" + "".join(f"<li>{self.t(x)}</li>" for x in b.items) + "</ul>"
        if isinstance(b, PageBreak):
            return ""
        raise TypeError(f"unknown block {type(b).__name__}")  # pragma: no cover

    def section(self, sec: Section, number: str, level: int = 2) -> str:
        out = [
            f'<section id="{escape(sec.id)}">',
            f"<h{level}>{escape(number)} {self.t(sec.title)}</h{level}>",
        ]
        out += [self.block(b) for b in sec.blocks]
        for i, sub in enumerate(sec.subsections, 1):
            out.append(self.section(sub, f"{number}.{i}", level + 1))
        out.append("</section>")
        return "\n".join(out)


#: the ``lang`` attribute of the page for each primary language
HTML_LANG = {"zh": "zh-CN", "en": "en", "ko": "ko"}


def render_html(report: Report, lang: str) -> str:
    """The whole report as one HTML document (no external resource)."""
    h = _Html(lang)
    c = report.cover

    def pick(b: Bi) -> str:
        return b.get(lang)

    html_lang = HTML_LANG[primary(lang)]
    facts = "".join(f'<div class="k">{h.t(k)}</div><div>{h.t(v)}</div>' for k, v in c.facts)
    sign = "".join(f"<div>{h.t(x)}</div>" for x in c.signatures)
    ent_second = (
        f'<span class="second">{escape(c.enterprise.en)}</span>'
        if pick(c.enterprise) != c.enterprise.en
        else ""
    )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{html_lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(pick(c.title))} — {escape(pick(c.enterprise))}</title>",
        f"<style>{_css()}</style></head><body><main>",
        '<header class="cover">',
        f'<div class="kicker">THERMAUDIT · {escape(c.report_id)}</div>',
        f'<h1 class="title">{h.t(c.title)}</h1>',
        f'<div class="note">{h.t(c.subtitle)}</div>',
        f'<div class="enterprise">{escape(pick(c.enterprise))}{ent_second}</div>',
        f'<div class="facts">{facts}</div>',
        f'<div class="sign">{sign}</div>',
        f'<div class="callout warn">{h.t(c.status)}</div>',
        "</header>",
    ]
    n = 0
    annex = 0
    for sec in report.sections:
        if sec.annex:
            annex += 1
            number = ANNEX.get(lang) + " " + chr(64 + annex)
        else:
            n += 1
            number = str(n)
        parts.append(h.section(sec, number))
    parts.append("</main></body></html>")
    return "\n".join(parts)
