"""Findings: data-quality problems in valid data, as records with stable codes.

A finding is not an exception. It has a stable dotted code from the catalogue
(``data/findings.csv``: code, severity, English, Chinese and Korean message templates, what
to do),
a severity (``info`` < ``warning`` < ``error``) and JSON evidence. Findings flow into
``assessment.json`` and the report.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Any

from thermaudit.dataset.site import OWNER_FALLBACK_TABLE, Site

SEVERITIES = ("info", "warning", "error")


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    severity: str
    en: str
    zh: str
    ko: str
    action: str


@lru_cache(maxsize=1)
def catalogue() -> dict[str, CatalogueEntry]:
    text = resources.files(__package__).joinpath("data", "findings.csv").read_text("utf-8")
    entries = {}
    for row in csv.DictReader(text.splitlines()):
        entry = CatalogueEntry(**row)
        if entry.severity not in SEVERITIES:  # pragma: no cover - guarded by a test
            raise ValueError(f"findings.csv: {entry.code} has severity {entry.severity!r}")
        entries[entry.code] = entry
    return entries


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    message_zh: str
    message_ko: str
    evidence: dict[str, Any] = field(default_factory=dict)
    metrics: tuple[str, ...] = ()
    #: who answers for the table or meter the finding is about (``site.yaml`` ``owners``):
    #: ``{"department", "role", "person"}``, ``None`` when nobody is named
    owner: dict[str, str | None] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "message_zh": self.message_zh,
            "message_ko": self.message_ko,
            "evidence": self.evidence,
            "metrics": list(self.metrics),
            "owner": self.owner,
        }


#: evidence keys that name the subject of a finding, with the kind of id they hold
#: (:data:`~thermaudit.dataset.site.OWNER_FALLBACK_TABLE` gives the table of each kind)
SUBJECT_KEYS = (
    ("meter", "meter"),
    ("controller", "temperature_controller"),
    ("stream", "heat_stream"),
    ("furnace", "furnace"),
    ("instrument", "instrument"),
    ("equipment", None),
)


def with_owner(f: Finding, site: Site) -> Finding:
    """``f`` with the owner of its subject: the owner of the meter, controller, stream,
    furnace, instrument or equipment its evidence names, else of the table that holds that
    kind of id (a meter's ``readings``, an instrument's ``calibrations``), else of the table
    its evidence names."""
    subject: str | None = None
    table = f.evidence.get("table")
    for key, kind in SUBJECT_KEYS:
        value = f.evidence.get(key)
        if isinstance(value, str):
            subject = value
            if kind is not None:
                table = OWNER_FALLBACK_TABLE[kind]
            break
    owner = site.owner(subject, table if isinstance(table, str) else None)
    return f if owner is None else replace(f, owner=owner.as_dict())


def finding(code: str, *, metrics: tuple[str, ...] = (), **evidence: Any) -> Finding:
    """Build a finding from the catalogue; ``evidence`` fills the message templates.

    Raises
    ------
    KeyError
        For a code not in the catalogue (the message lists the known codes).
    """
    try:
        entry = catalogue()[code]
    except KeyError:
        raise KeyError(
            f"unknown finding code {code!r}; known: {', '.join(sorted(catalogue()))}"
        ) from None
    fill = {k: ("" if v is None else v) for k, v in evidence.items()}
    return Finding(
        code=code,
        severity=entry.severity,
        message=entry.en.format(**fill),
        message_zh=entry.zh.format(**fill),
        message_ko=entry.ko.format(**fill),
        evidence=evidence,
        metrics=metrics,
    )
