"""The ``diagnosis`` section of ``assessment.json``: baseline, wastes, ranked measures, export
priorities, certification plan, the tariffs used and the unplanned downtime that coincides
with the wastes."""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections.abc import Callable, Sequence
from typing import Any

import ibis

from thermaudit.dataset.model import NormalizedDataset
from thermaudit.diagnosis.baseline import BaselineError, baseline_section
from thermaudit.diagnosis.downtime import downtime_waste
from thermaudit.diagnosis.priorities import certification_plan, sku_priorities
from thermaudit.diagnosis.recommend import CONSTANT_SOURCES, resolve_tariffs, screen
from thermaudit.diagnosis.waste import DETECTORS, Waste
from thermaudit.metrics.assess import Assessment, json_ready

__all__ = ["SCHEMA", "detect_wastes", "diagnosis_section"]

SCHEMA = "thermaudit.diagnosis/1"

Detect = Callable[[NormalizedDataset, ibis.BaseBackend, Assessment], Sequence[Waste]]


def detect_wastes(
    dataset: NormalizedDataset, con: ibis.BaseBackend, assessment: Assessment
) -> tuple[list[Waste], str]:
    """Integration point with the detectors: :func:`thermaudit.diagnosis.detectors.detect`
    when that module exists, else no wastes. Returns (wastes, status)."""
    if importlib.util.find_spec("thermaudit.diagnosis.detectors") is None:
        return [], "detectors not available (thermaudit.diagnosis.detectors is missing)"
    from thermaudit.diagnosis import detectors

    detect: Detect = detectors.detect
    wastes = list(detect(dataset, con, assessment))
    order = {d: i for i, d in enumerate(DETECTORS)}
    wastes.sort(key=lambda w: (order.get(w.detector, len(order)), -w.kgce, w.subject))
    return wastes, "ok"


def _rows(con: ibis.BaseBackend, dataset: NormalizedDataset, name: str) -> list[dict[str, Any]]:
    if not dataset.has(name):
        return []
    return con.to_pyarrow(con.read_parquet(dataset.tables[name])).to_pylist()


def diagnosis_section(
    dataset: NormalizedDataset,
    con: ibis.BaseBackend,
    assessment: Assessment,
    *,
    wastes: Sequence[Waste] | None = None,
    as_of: dt.date | None = None,
) -> dict[str, Any]:
    """Assemble the diagnosis of an assessed dataset (JSON-ready).

    Parameters
    ----------
    dataset : NormalizedDataset
    con : ibis backend
        The engine the assessment ran on.
    assessment : Assessment
        :func:`thermaudit.metrics.assess.assess` of ``dataset``.
    wastes : sequence of Waste, optional
        Wastes already detected; default :func:`detect_wastes`.
    as_of : datetime.date, optional
        Date of the certification plan; default the period end.

    A baseline that cannot be fitted (too few complete days, ...) is recorded with the
    reason instead of failing the diagnosis.
    """
    site = dataset.site
    try:
        baseline: dict[str, Any] = baseline_section(
            dataset, con=con, coefficients=assessment.coefficients
        )
    except BaselineError as exc:
        baseline = {
            "error": str(exc),
            "expected": exc.expected,
            "found": exc.found,
            "reason": exc.reason,
            "values": exc.values,
        }
    if wastes is None:
        found, status = detect_wastes(dataset, con, assessment)
    else:
        found, status = list(wastes), "given"
    tariffs = resolve_tariffs(site, _rows(con, dataset, "energy_purchases"))
    measures, skipped = screen(found, assessment, site, tariffs)
    carriers = {m.carrier for m in site.meters} | {c for m in measures for c in m.saved}
    certs = _rows(con, dataset, "certifications")
    doc = {
        "schema": SCHEMA,
        "baseline": baseline,
        "detectors": {"status": status, "ids": list(DETECTORS)},
        "wastes": [w.as_dict() for w in found],
        "measures": [m.as_dict() for m in measures],
        "not_applicable": [s.as_dict() for s in skipped],
        "ranking": (
            "by typical simple payback (shortest first; no CNY saving last), then by typical "
            "kgce saving; each measure against today's use, so savings of measures on the "
            "same energy do not add up"
        ),
        "annualised": {"period_days": site.period.days, "factor": 365.0 / site.period.days},
        "constants": dict(CONSTANT_SOURCES),
        "tariffs": {c: t.as_dict() for c, t in sorted(tariffs.items()) if c in carriers},
        "priorities": sku_priorities(assessment, site, _rows(con, dataset, "customers")),
        "certifications": certification_plan(certs, assessment, site, as_of=as_of)
        if dataset.has("certifications")
        else None,
        # unplanned maintenance windows against the idle wastes (cross-department check)
        "downtime": downtime_waste(dataset, con, assessment, found)
        if dataset.has("maintenance")
        else None,
    }
    out: dict[str, Any] = json_ready(doc)
    return out
