"""The gap catalogue of the readiness check (``data/gaps.csv``) and what each table feeds
(``data/tables.csv``), as data.

A gap is what a plant lacks before an assessor comes: a table not provided, a meter without
readings, key equipment without a dedicated meter. Its text exists in Chinese, English and
Korean, filled from the gap's evidence like a finding's (:mod:`thermaudit.quality.findings`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from thermaudit.report.labels import LANGUAGES, Bi

#: what closing a gap takes, with the reader's words
EFFORTS: dict[str, Bi] = {
    "configure": Bi("配置", "configure", "설정"),
    "install_meter": Bi("加装计量器具", "install a meter", "계량기 설치"),
    "start_logging": Bi("开始记录", "start logging", "기록 시작"),
}


@dataclass(frozen=True)
class TableUse:
    """What one table of the contract feeds (a row of ``data/tables.csv``)."""

    table: str
    effort: str
    #: metrics whose figures read the table
    metrics: tuple[str, ...]
    #: of those, the metrics that cannot be computed without it
    blocking: tuple[str, ...]
    purpose: Bi


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def _ids(cell: str) -> tuple[str, ...]:
    return tuple(x for x in cell.split(";") if x)


@cache
def table_uses() -> dict[str, TableUse]:
    """Every row of ``data/tables.csv`` by table name."""
    return {
        r["table"]: TableUse(
            r["table"],
            r["effort"],
            _ids(r["metrics"]),
            _ids(r["blocking"]),
            Bi(r["zh"], r["en"], r["ko"]),
        )
        for r in _rows("tables.csv")
    }


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every row of ``data/gaps.csv`` by code."""
    return {r["code"]: r for r in _rows("gaps.csv")}


@dataclass
class Gap:
    """One thing the plant lacks for the metrics of the specification in force.

    Attributes
    ----------
    code : str
        A code of ``data/gaps.csv`` (``readiness.meter.no_readings`` ...).
    metrics : tuple of str
        The metrics whose figures it affects, in the specification's order.
    blocking : tuple of str
        Of those, the metrics it keeps from being computed at all.
    effort : str
        One of :data:`EFFORTS`.
    subject : str or None
        The meter, equipment, controller, stream, instrument, SKU or customer it is about.
    table : str or None
        The table whose data it lacks (``None`` for ``site.yaml``).
    sku : str or None
        The SKU whose figures alone it affects (``None``: every SKU's).
    evidence : dict
        The values that fill the message templates.
    """

    code: str
    metrics: tuple[str, ...]
    blocking: tuple[str, ...] = ()
    effort: str = ""
    subject: str | None = None
    table: str | None = None
    sku: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    #: per-language values of the templates (``purpose``), by language
    localized: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        entry = catalogue().get(self.code)
        if entry is None:
            raise KeyError(
                f"unknown readiness gap {self.code!r}; known: {', '.join(sorted(catalogue()))}"
            )
        self.effort = self.effort or entry["effort"]
        if self.effort not in EFFORTS:
            raise ValueError(f"gap {self.code}: effort {self.effort!r} not in {list(EFFORTS)}")

    @property
    def message(self) -> Bi:
        """The gap in the reader's words."""
        entry = catalogue()[self.code]
        texts = []
        for lang in LANGUAGES:
            fill = {**self.evidence, **self.localized.get(lang, {})}
            texts.append(entry[lang].format(**fill))
        return Bi(*texts)
