"""The report as a tree of simple blocks, rendered to Typst (PDF) and HTML alike.

:mod:`thermaudit.report.content` builds the blocks once from the assessment; the renderers
(:mod:`~thermaudit.report.typst_render`, :mod:`~thermaudit.report.html_render`) only lay them
out, so the PDF and the HTML say the same thing with the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from thermaudit.report.labels import Bi

Text = str | Bi


@dataclass(frozen=True)
class Cell:
    text: Text
    tone: str | None = None  # good | warn | bad | muted
    mono: bool = False
    bold: bool = False


@dataclass(frozen=True)
class Para:
    text: Text
    tone: str = "body"  # body | note | muted


@dataclass(frozen=True)
class Callout:
    text: Text
    tone: str = "info"  # info | good | warn | bad


@dataclass(frozen=True)
class Table:
    header: list[Text]
    rows: list[list[Cell | Text]]
    align: str  # one letter per column: l, r, c
    widths: list[float] | None = None  # relative widths
    caption: Text | None = None
    small: bool = False
    #: a short table that would look stretched at full width
    narrow: bool = False
    #: table-wide notes printed under it
    notes: list[Text] = field(default_factory=list)


@dataclass(frozen=True)
class Figure:
    name: str  # file stem, e.g. "sankey"
    svg: str
    caption: Text
    width_pct: int = 100


@dataclass(frozen=True)
class Formula:
    lines: list[str]


@dataclass(frozen=True)
class Facts:
    """A two-column list of label → value."""

    items: list[tuple[Text, Text]]


@dataclass(frozen=True)
class Card:
    title: Text
    value: str
    unit: str
    grade: Text
    tone: str  # good | warn | bad | muted
    note: Text = ""


@dataclass(frozen=True)
class Cards:
    """Headline figures, three to a row."""

    cards: list[Card]


@dataclass(frozen=True)
class Bullets:
    items: list[Text]


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Para | Callout | Table | Figure | Formula | Facts | Cards | Bullets | PageBreak


@dataclass
class Section:
    id: str
    title: Bi
    blocks: list[Block] = field(default_factory=list)
    #: an annex is lettered (A, B, …) instead of numbered
    annex: bool = False
    subsections: list[Section] = field(default_factory=list)

    def add(self, *blocks: Block) -> Section:
        self.blocks.extend(blocks)
        return self

    def sub(self, sid: str, title: Bi) -> Section:
        s = Section(sid, title)
        self.subsections.append(s)
        return s


@dataclass
class Cover:
    title: Bi
    subtitle: Bi
    enterprise: Bi
    facts: list[tuple[Bi, Text]]
    signatures: list[Bi]
    report_id: str
    status: Bi


@dataclass
class Report:
    cover: Cover
    sections: list[Section]
    #: summary line under every page: enterprise · period
    running: Bi
