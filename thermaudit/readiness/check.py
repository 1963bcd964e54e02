"""The readiness check: what a plant lacks, per metric of the specification in force, before
an assessor comes.

:func:`readiness` reads whatever the plant has — a ``site.yaml`` alone, a partial dataset
folder, a workspace — and answers per metric: can it be computed (``yes``, ``partially``,
``no``), at what data-quality level (the assessment's own sufficiency verdict, ``qualified``
or ``not qualified`` with its reasons, when the assessment can run; ``not assessed`` when it
cannot) and which gaps stand in the way. A table the import would refuse is a gap, "present
but refused", never a crash. Nothing is guessed: a check that needs a table that is absent
is not made, and the absent table is the gap.

Each gap names the metrics it affects, the owner (``site.yaml`` ``owners``: the subject's
own, else its table's), the effort that closes it and the product certificate renewals it
endangers: a gap endangers a certificate whose SKU's figures depend on an affected metric
(the figures a renewal file needs, :data:`~thermaudit.diagnosis.priorities.REQUIRED_METRICS`).
Gaps are ordered by the earliest renewal they endanger; gaps that endanger none come last.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ibis

from thermaudit.dataset.contract import TABLES
from thermaudit.dataset.model import NormalizedDataset
from thermaudit.dataset.reader import PartialDataset, normalize_available
from thermaudit.dataset.site import Meter, Site
from thermaudit.diagnosis.priorities import REQUIRED_METRICS
from thermaudit.engine import connect
from thermaudit.errors import InvalidDataset, Problem, ThermauditError
from thermaudit.metrics import coverage as cov
from thermaudit.metrics.assess import Assessment, assess
from thermaudit.metrics.coefficients import resolve
from thermaudit.metrics.context import boundary_meters
from thermaudit.metrics.melting import melting_meters
from thermaudit.metrics.spec import Specification, load_spec
from thermaudit.readiness.gaps import EFFORTS, Gap, table_uses
from thermaudit.store.workspace import MARKER, open_workspace

SCHEMA = "thermaudit.readiness/1"

M1, M2, M3, M4, M5, M6 = (
    "unit_product_energy",
    "waste_heat_recovery_rate",
    "mold_temperature_control_accuracy",
    "melting_energy_intensity",
    "unit_product_carbon_intensity",
    "energy_metering_coverage",
)

#: the tables without which the assessment cannot run at all
ASSESSMENT_TABLES = ("readings", "production")

#: gaps that lower the evidence behind a metric (calibration, equipping, what buyers need)
#: but leave none of its data out: the metric is still computed whole
EVIDENCE_GAPS = frozenset(
    {
        "readiness.instrument.uncalibrated",
        "readiness.instrument.calibration_lapses",
        "readiness.equipment.no_dedicated_meter",
        "readiness.sku.no_cn_code",
        "readiness.customer.no_market",
    }
)
#: tables whose absence lowers the evidence only (see :data:`EVIDENCE_GAPS`)
EVIDENCE_TABLES = frozenset({"calibrations", "green_certificates"})


def readiness(
    site: Site | None,
    source: Path,
    *,
    spec: Specification | str | Path | None = None,
    engine: str | None = None,
) -> dict[str, Any]:
    """Check what a dataset folder or a workspace lacks for the specification's metrics.

    Parameters
    ----------
    site : Site or None
        The site to judge; ``None`` reads ``site.yaml`` of ``source`` (or the workspace's
        current site). When given, it replaces the dataset's own ``site.yaml``.
    source : Path
        A dataset folder (``site.yaml`` and any tables, possibly none) or a workspace.
    spec : Specification, str or Path, optional
        The specification in force (default ``miit-2026-provisional@1``).
    engine : str, optional
        The engine the assessment runs on (:func:`thermaudit.engine.connect`).

    Returns
    -------
    dict
        ``thermaudit.readiness/1``: ``metrics`` (one row per metric of the specification:
        ``computable``, ``level``, ``reasons``, ``gaps`` as indexes into ``gaps``),
        ``gaps`` (ordered by the date they matter), ``tables`` (the state of each table).

    Raises
    ------
    InvalidDataset
        ``site.yaml`` is missing or invalid (the problems name its line and YAML path).
    """
    specification = spec if isinstance(spec, Specification) else load_spec(spec)
    source = Path(source)
    con = connect(engine)
    if (source / MARKER).is_file():
        ds = open_workspace(source).current_dataset()
        if site is not None:
            ds = NormalizedDataset(site, ds.tables, ds.inputs, ds.source)
        return _check(PartialDataset(ds, {}, []), specification, con)
    if not source.exists():
        raise InvalidDataset(
            [Problem(str(source), None, None, "a dataset folder or a workspace", "no such path")]
        )
    with tempfile.TemporaryDirectory(prefix="thermaudit-readiness-") as tmp:
        part = normalize_available(source, Path(tmp), site=site)
        return _check(part, specification, con)


def _check(part: PartialDataset, spec: Specification, con: ibis.BaseBackend) -> dict[str, Any]:
    ds = part.dataset
    site = ds.site
    rows = _Rows(ds, con)
    metric_ids = tuple(m.id for m in spec.metrics)
    gaps = _table_gaps(part, site)
    gaps += _site_gaps(site, spec)
    gaps += _data_gaps(site, rows)
    for g in gaps:
        g.metrics = tuple(m for m in metric_ids if m in g.metrics)
        g.blocking = tuple(m for m in metric_ids if m in g.blocking)
    assessment, not_run = _assess(ds, spec, con, part)
    certificates = rows.get("certifications") if ds.has("certifications") else []
    ordered = _order(gaps, certificates, site)
    tables = _tables(part)
    return {
        "schema": SCHEMA,
        "specification": spec.ref,
        "enterprise": site.enterprise.name,
        "enterprise_en": site.enterprise.name_en,
        "period": {"start": site.period.start.isoformat(), "end": site.period.end.isoformat()},
        "metrics": [_metric_row(m.id, ordered, assessment, not_run, spec) for m in spec.metrics],
        "gaps": ordered,
        "tables": tables,
        "efforts": {k: {"zh": b.zh, "en": b.en, "ko": b.ko} for k, b in EFFORTS.items()},
    }


class _Rows:
    """The rows of the small tables, read once."""

    def __init__(self, ds: NormalizedDataset, con: ibis.BaseBackend) -> None:
        self.ds, self.con = ds, con
        self._cache: dict[str, list[dict[str, Any]]] = {}

    def get(self, name: str) -> list[dict[str, Any]]:
        if name not in self._cache:
            path = self.ds.tables.get(name)
            self._cache[name] = (
                self.con.to_pyarrow(self.con.read_parquet(path)).to_pylist() if path else []
            )
        return self._cache[name]

    def ids(self, name: str, column: str) -> set[str]:
        """The distinct values of ``column`` of a table (a large one is not read whole)."""
        path = self.ds.tables.get(name)
        if path is None:
            return set()
        t = self.con.read_parquet(path)
        return {str(v) for v in self.con.to_pyarrow(t.select(column).distinct())[0].to_pylist()}


# --------------------------------------------------------------------------- tables


def _table_gaps(part: PartialDataset, site: Site) -> list[Gap]:
    uses = table_uses()
    out: list[Gap] = []
    for name in TABLES:
        use = uses[name]
        metrics = _table_metrics(name, site)
        blocking = use.blocking
        if name in part.refused:
            problems = part.refused[name]
            message = str(problems[0]) if problems else "not readable"
            if len(problems) > 1:
                message += f" (and {len(problems) - 1} more)"
            first = problems[0] if problems else Problem(name, None, None, "a readable table", "?")
            out.append(
                Gap(
                    "readiness.table.refused",
                    metrics,
                    blocking,
                    subject=name,
                    table=name,
                    evidence={
                        "table": name,
                        "message": message,
                        "expected": first.expected,
                        "found": first.found,
                    },
                    localized=_refusal_words(first, len(problems) - 1),
                )
            )
        elif not part.dataset.has(name):
            out.append(
                Gap(
                    "readiness.table.missing",
                    metrics,
                    blocking,
                    effort=use.effort,
                    subject=name,
                    table=name,
                    evidence={"table": name},
                    localized={
                        lang: {"purpose": use.purpose.get(lang)} for lang in ("zh", "en", "ko")
                    },
                )
            )
    for p in part.unreadable:
        out.append(
            Gap(
                "readiness.file.unreadable",
                (),
                subject=p.file,
                evidence={"file": p.file, "message": str(p)},
            )
        )
    return out


def _refusal_words(p: Problem, more: int) -> dict[str, dict[str, str]]:
    """Where a table was refused (file, row, column as a spreadsheet shows them) and how
    many more problems it has, in each language of the gap texts."""
    yaml_file = p.file.endswith((".yaml", ".yml"))
    en = zh = ko = p.file
    if p.row is not None:
        en += f", {'line' if yaml_file else 'row'} {p.row}"
        zh += f" 第 {p.row} 行"
        ko += f" {p.row}{'번째 줄' if yaml_file else '행'}"
    if p.column:
        en += f", {p.column}" if yaml_file else f", column {p.column}"
        zh += f" {p.column}" if yaml_file else f" {p.column} 列"
        ko += f" {p.column}" if yaml_file else f" {p.column} 열"
    return {
        "en": {"where": en, "more": f" (and {more} more)" if more > 0 else ""},
        "zh": {"where": zh, "more": f"（另有 {more} 处）" if more > 0 else ""},
        "ko": {"where": ko, "more": f"(외 {more}건)" if more > 0 else ""},
    }


def _table_metrics(name: str, site: Site) -> tuple[str, ...]:
    """The metrics a table feeds for this site (``data/tables.csv``; the readings feed the
    recovery rate too when a ``recovered_heat`` meter counts recovered heat)."""
    metrics = table_uses()[name].metrics
    if name == "readings" and any(m.role == "recovered_heat" for m in site.meters):
        metrics = (*metrics, M2)
    return metrics


def _tables(part: PartialDataset) -> list[dict[str, Any]]:
    rows = {i.table: i.rows for i in part.dataset.inputs if i.table}
    out = []
    for name in TABLES:
        if name in part.refused:
            state = "refused"
        elif part.dataset.has(name):
            state = "valid"
        else:
            state = "missing"
        out.append({"table": name, "state": state, "rows": rows.get(name)})
    return out


# --------------------------------------------------------------------------- site.yaml


def _site_gaps(site: Site, spec: Specification) -> list[Gap]:
    out: list[Gap] = []
    if not site.temperature_controllers:
        out.append(Gap("readiness.site.no_controllers", (M3,), (M3,)))
    if not any(s.kind == "available" for s in site.heat_streams):
        out.append(Gap("readiness.site.no_available_streams", (M2,), (M2,)))
    furnaces = [e for e in site.equipment if e.type == "melting_furnace"]
    if not furnaces:
        out.append(Gap("readiness.site.no_furnaces", (M4,), (M4,)))
    elif not melting_meters(site):
        out.append(Gap("readiness.melting.no_meter", (M4,), (M4,)))
    out += _metering_gaps(site, spec)
    out += _export_gaps(site)
    return out


def _metering_gaps(site: Site, spec: Specification) -> list[Gap]:
    """Key energy-using equipment (GB 17167 table 2, as metric 6 classifies it) that no meter
    measures alone."""
    coef = resolve(site, spec.parameters, None)
    key = {e.id: k for e in site.equipment if (k := cov.is_key_equipment(e, coef, spec.parameters))}
    if not key:
        return [Gap("readiness.site.no_key_equipment", (M6,), (M6,))]
    dedicated = {m.equipment[0] for m in site.meters if len(m.equipment) == 1}
    out = []
    for e in site.equipment:
        if e.id not in key or e.id in dedicated:
            continue
        if e.rated_flow_m3h is not None and key[e.id] == "fuel":
            rating = f"{e.rated_flow_m3h:g} m3/h"
        else:
            rating = f"{e.rated_kw:g} kW" if e.rated_kw is not None else "—"
        metrics = (M6, M4) if e.type == "melting_furnace" else (M6,)
        out.append(
            Gap(
                "readiness.equipment.no_dedicated_meter",
                metrics,
                subject=e.id,
                evidence={"equipment": e.id, "rating": rating},
            )
        )
    return out


def _export_gaps(site: Site) -> list[Gap]:
    """SKUs sold outside China (site.yaml markets) without the CN code the buyers' and
    CBAM's product figures are filed under."""
    out = []
    for p in site.products:
        abroad = [m for m in p.markets if m != "CN"]
        if abroad and not p.cn_code:
            out.append(
                Gap(
                    "readiness.sku.no_cn_code",
                    (M5,),
                    subject=p.sku,
                    sku=p.sku,
                    evidence={"sku": p.sku, "markets": ", ".join(abroad)},
                )
            )
    return out


# --------------------------------------------------------------------------- table contents


def _meter_metrics(site: Site, meter: Meter) -> tuple[str, ...]:
    out = [M6]
    if meter.id in boundary_meters(site):
        out += [M1, M5]
    if meter in melting_meters(site):
        out.append(M4)
    if meter.role == "recovered_heat":
        out.append(M2)
    return tuple(out)


def _data_gaps(site: Site, rows: _Rows) -> list[Gap]:
    """Gaps found in the tables present: ids of site.yaml that a table names nowhere."""
    ds = rows.ds
    out: list[Gap] = []
    if ds.has("readings"):
        seen = rows.ids("readings", "meter_id")
        for m in site.meters:
            if m.id not in seen and m.quantity == "active":
                out.append(
                    Gap(
                        "readiness.meter.no_readings",
                        _meter_metrics(site, m),
                        subject=m.id,
                        table="readings",
                        evidence={"meter": m.id},
                    )
                )
    if ds.has("mold_temperature"):
        seen = rows.ids("mold_temperature", "controller_id")
        out += [
            Gap(
                "readiness.controller.no_log",
                (M3,),
                subject=c.id,
                table="mold_temperature",
                evidence={"controller": c.id},
            )
            for c in site.temperature_controllers
            if c.id not in seen
        ]
    if ds.has("heat_streams"):
        seen = rows.ids("heat_streams", "stream_id")
        out += [
            Gap(
                "readiness.stream.no_rows",
                (M2,),
                subject=s.id,
                table="heat_streams",
                evidence={"stream": s.id},
            )
            for s in site.heat_streams
            if s.id not in seen
        ]
    if ds.has("melting"):
        seen = rows.ids("melting", "furnace_id")
        out += [
            Gap(
                "readiness.furnace.no_melting_records",
                (M4,),
                subject=e.id,
                table="melting",
                evidence={"furnace": e.id},
            )
            for e in site.equipment
            if e.type == "melting_furnace" and e.id not in seen
        ]
    if ds.has("calibrations"):
        out += _calibration_gaps(site, rows.get("calibrations"))
    if ds.has("deliveries") and ds.has("customers"):
        known = {str(r["customer"]) for r in rows.get("customers")}
        delivered = sorted({str(r["customer"]) for r in rows.get("deliveries")} - known)
        out += [
            Gap(
                "readiness.customer.no_market",
                (),
                subject=c,
                table="customers",
                evidence={"customer": c},
            )
            for c in delivered
        ]
    return out


def _instrument_metrics(site: Site, instrument: str) -> tuple[str, ...]:
    if instrument in {c.id for c in site.temperature_controllers}:
        return (M3,)
    if instrument in {s.id for s in site.heat_streams}:
        return (M2,)
    return _meter_metrics(site, site.meter(instrument))


def _calibration_gaps(site: Site, certificates: list[dict[str, Any]]) -> list[Gap]:
    """Instruments (meters, controllers, streams) without a valid calibration on every day
    of the period (the rule of metric 6's calibration level)."""
    out = []
    start, end = site.period.start, site.period.end
    active = {m.id for m in site.meters if m.quantity == "active"}
    instruments = active | {c.id for c in site.temperature_controllers}
    instruments |= {s.id for s in site.heat_streams}
    for inst in sorted(instruments):
        ok, uncovered = cov.calibration_coverage(inst, certificates, start, end)
        if ok:
            continue
        metrics = _instrument_metrics(site, inst)
        if not any(c["instrument_id"] == inst for c in certificates):
            out.append(
                Gap(
                    "readiness.instrument.uncalibrated",
                    metrics,
                    subject=inst,
                    table="calibrations",
                    evidence={"instrument": inst},
                )
            )
        else:
            text = ", ".join(
                a.isoformat() if a == b else f"{a.isoformat()}–{b.isoformat()}"
                for a, b in uncovered
            )
            out.append(
                Gap(
                    "readiness.instrument.calibration_lapses",
                    metrics,
                    subject=inst,
                    table="calibrations",
                    evidence={"instrument": inst, "gaps": text},
                )
            )
    return out


# --------------------------------------------------------------------------- assessment


def _assess(
    ds: NormalizedDataset, spec: Specification, con: ibis.BaseBackend, part: PartialDataset
) -> tuple[Assessment | None, str | None]:
    """The assessment of the valid tables, or why it cannot run."""
    lacking = [t for t in ASSESSMENT_TABLES if not ds.has(t)]
    if lacking:
        return None, f"needs the {' and '.join(lacking)} table{'s' if len(lacking) > 1 else ''}"
    try:
        return assess(ds, spec=spec, con=con), None
    except ThermauditError as exc:  # a user problem the import does not catch: say it
        return None, str(exc)


def _metric_row(
    metric_id: str,
    gaps: list[dict[str, Any]],
    assessment: Assessment | None,
    not_run: str | None,
    spec: Specification,
) -> dict[str, Any]:
    ms = spec.metric(metric_id)
    mine = [i for i, g in enumerate(gaps) if metric_id in g["metrics"]]
    blocked = any(metric_id in gaps[i]["blocking"] for i in mine)
    partial = any(gaps[i]["partial"] for i in mine)
    reasons: list[str] = []
    value_missing = False
    if assessment is not None:
        doc = assessment.document["metrics"][metric_id]
        qualified = bool(doc["sufficiency"]["qualified"])
        level = "qualified" if qualified else "not_qualified"
        reasons = list(doc["sufficiency"]["reasons"])
        value_missing = doc["value"] is None
        reasons += [
            f.evidence["reason"]
            for f in assessment.findings
            if f.code == "metric.not_computable"
            and f.evidence.get("metric") == metric_id
            and "reason" in f.evidence
        ]
    else:
        level = "not_assessed"
        reasons = [f"the assessment {not_run}"] if not_run else []
    if blocked or value_missing:
        computable = "no"
    elif partial:
        computable = "partially"
    else:
        computable = "yes"
    return {
        "metric": metric_id,
        "name": {"zh": ms.name_zh, "en": ms.name_en, "ko": ms.name_ko},
        "computable": computable,
        "level": level,
        "reasons": list(dict.fromkeys(reasons)),
        "gaps": mine,
    }


# --------------------------------------------------------------------------- order


def _endangered(gap: Gap, certificates: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    if not set(gap.metrics) & set(REQUIRED_METRICS):
        return []
    out = [
        {
            "scheme": c["scheme"],
            "certificate_no": c["certificate_no"],
            "sku": c["sku"],
            "renewal_due": c["renewal_due"].isoformat(),
        }
        for c in certificates
        if gap.sku is None or c["sku"] == gap.sku
    ]
    return sorted(out, key=lambda c: (c["renewal_due"], c["certificate_no"]))


def _partial(g: Gap) -> bool:
    """Whether the gap leaves part of a metric's data out (rather than its evidence)."""
    if g.code in EVIDENCE_GAPS:
        return False
    if g.code in ("readiness.table.missing", "readiness.table.refused"):
        return g.table not in EVIDENCE_TABLES and bool(set(g.metrics) - set(g.blocking))
    return bool(g.metrics)


def _order(gaps: list[Gap], certificates: list[dict[str, Any]], site: Site) -> list[dict[str, Any]]:
    """The gaps as JSON, earliest endangered renewal first, gaps without a date last."""
    out = []
    for g in gaps:
        certs = _endangered(g, certificates)
        owner = site.owner(g.subject, g.table)
        msg = g.message
        out.append(
            {
                "code": g.code,
                "message": {"zh": msg.zh, "en": msg.en, "ko": msg.ko},
                "subject": g.subject,
                "table": g.table,
                "metrics": list(g.metrics),
                "blocking": list(g.blocking),
                "partial": _partial(g),
                "effort": g.effort,
                "owner": owner.as_dict() if owner is not None else None,
                "renewals": certs,
                "matters_by": certs[0]["renewal_due"] if certs else None,
                "evidence": g.evidence,
            }
        )
    out.sort(
        key=lambda g: (
            g["matters_by"] is None,
            g["matters_by"] or "",
            not g["blocking"],
            g["code"],
            g["subject"] or "",
        )
    )
    return out
