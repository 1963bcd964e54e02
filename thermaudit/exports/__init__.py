"""Buyer and regulator exports of one assessment.

Each export is made from an output folder's ``assessment.json`` and names it: its sha256 and
its schema, so a buyer can tell which assessment (and, through the signed manifest, which
signed report) a figure comes from. Figures are unrounded, in the units the file states;
rounding is for display only.

Importing this package loads none of the writers (openpyxl, the metrics): ``thermaudit export
--help`` lists :data:`FORMATS` without them; a writer loads when its format is written.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from thermaudit.errors import InvalidAssessment, Problem

#: (output folder, assessment, its source) → the files written
Writer = Callable[[Path, dict[str, Any], dict[str, Any]], list[Path]]

#: each format's writer, as ``module:function`` of this package (see :func:`writer`)
FORMATS: dict[str, str] = {
    "pcf": "pcf:write",
    "cbam": "cbam:write",
    "esrs": "disclosures:write_esrs",
    "vsme": "disclosures:write_vsme",
    "kesg": "disclosures:write_kesg",
    "pact": "pact:write",
}


def writer(name: str) -> Writer:
    """The writer of format ``name`` (a key of :data:`FORMATS`), its module loaded now."""
    module, function = FORMATS[name].split(":")
    found: Writer = getattr(importlib.import_module(f"{__name__}.{module}"), function)
    return found


def source_of(doc_bytes: bytes, name: str = "assessment.json") -> dict[str, Any]:
    """What an export says about the assessment it was made from."""
    from thermaudit.metrics.assess import SCHEMA

    return {"file": name, "sha256": hashlib.sha256(doc_bytes).hexdigest(), "schema": SCHEMA}


def read_assessment(out: Path) -> tuple[dict[str, Any], bytes]:
    """The assessment of output folder ``out`` and its bytes; a refusal naming the file when
    it is missing or is not a thermaudit assessment."""
    from thermaudit.metrics.assess import SCHEMA

    path = out / "assessment.json"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidAssessment(
            Problem(str(path), None, None, "an assessment (thermaudit assess)", "no such file")
        ) from None
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        line = getattr(e, "lineno", None)
        raise InvalidAssessment(
            Problem(str(path), line, None, "JSON written by thermaudit assess", str(e))
        ) from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise InvalidAssessment(Problem(str(path), None, "schema", SCHEMA, repr(found)))
    if "product_footprint" not in doc:
        raise InvalidAssessment(
            Problem(
                str(path),
                None,
                "product_footprint",
                "an assessment with product footprints (thermaudit 0.1 or later)",
                "none",
            )
        )
    return doc, data


def export_folder(out: Path, formats: list[str]) -> list[Path]:
    """Write the exports ``formats`` of the assessment in ``out`` next to it; returns the
    files written. Unknown formats raise ``KeyError`` naming the known ones."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise KeyError(f"unknown format {unknown[0]!r}; known: {', '.join(FORMATS)}, all")
    doc, data = read_assessment(out)
    source = source_of(data)
    written: list[Path] = []
    for name in formats:
        written += writer(name)(out, doc, source)
    return written
