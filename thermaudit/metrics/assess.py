"""The assessment: the six metrics of a specification over one normalized dataset.

The findings met on the way go with them into ``assessment.json``
(``thermaudit.assessment/1``).

Everything heavy runs as ibis expressions on an embedded DuckDB (or another ibis backend
passed as ``con``); what comes back to Python is per-meter, per-stream and per-SKU sums.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from thermaudit._version import __version__
from thermaudit.dataset.model import NormalizedDataset
from thermaudit.dataset.site import Site
from thermaudit.engine import connect, engine_info
from thermaudit.metrics import energy as en
from thermaudit.metrics.coefficients import Coefficients, resolve
from thermaudit.metrics.context import Context, local_text
from thermaudit.metrics.energy import SkuOutput
from thermaudit.metrics.energy_use import energy_use
from thermaudit.metrics.footprint import buyer_shares, product_footprint
from thermaudit.metrics.grading import grade
from thermaudit.metrics.meters import MeterConsumption, meter_consumption
from thermaudit.metrics.registry import definition
from thermaudit.metrics.result import MetricResult
from thermaudit.metrics.spec import Specification, load_spec
from thermaudit.metrics.uncertainty import instrument_uncertainties, propagate
from thermaudit.quality.checks import THRESHOLDS, check_dataset
from thermaudit.quality.crosscheck import cross_check
from thermaudit.quality.findings import Finding, finding, with_owner
from thermaudit.quality.reconcile import reconcile

SCHEMA = "thermaudit.assessment/1"

Progress = Callable[[str], None]


@dataclass
class Assessment:
    """Result of :func:`assess`: the ``assessment.json`` document plus the facts behind it."""

    document: dict[str, Any]
    findings: list[Finding]
    consumption: dict[str, MeterConsumption]
    coefficients: Coefficients
    facts: dict[str, Any] = field(default_factory=dict)
    results: dict[str, MetricResult] = field(default_factory=dict)

    def metric(self, metric_id: str) -> dict[str, Any]:
        """One metric of the document (a copy)."""
        return dict(self.document["metrics"][metric_id])

    def disqualified(self) -> dict[str, list[str]]:
        """Metrics whose data did not pass the sufficiency gate, with the reasons."""
        return {
            mid: list(m["sufficiency"]["reasons"])
            for mid, m in self.document["metrics"].items()
            if not m["sufficiency"]["qualified"]
        }

    def write(self, out_dir: Path) -> Path:
        """Write ``out_dir/assessment.json`` (the folder is created when missing)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / "assessment.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(
            json.dumps(self.document, ensure_ascii=False, indent=2, default=_json), "utf-8"
        )
        tmp.replace(path)
        return path


def _json(o: Any) -> Any:
    if isinstance(o, dt.datetime | dt.date):
        return o.isoformat()
    raise TypeError(type(o).__name__)


def json_ready(obj: Any) -> Any:
    """``obj`` as plain JSON values: dates and times as ISO text, NaN and inf as null."""
    return _clean(json.loads(json.dumps(obj, default=_json, ensure_ascii=False)))


def _clean(x: Any) -> Any:
    """NaN/inf never reach JSON: they become null."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x


def assess(
    dataset: NormalizedDataset,
    *,
    spec: Specification | str | Path | None = None,
    con: ibis.BaseBackend | None = None,
    progress: Progress | None = None,
) -> Assessment:
    """Compute the metrics of ``spec`` (default ``miit-2026-provisional@1``).

    Parameters
    ----------
    dataset : NormalizedDataset
        The normalized tables and the site.
    spec : Specification, str or Path, optional
        The specification in force; its metrics are computed in its order, each by its
        module of :data:`~thermaudit.metrics.registry.METRICS`.
    con : ibis.BaseBackend, optional
        The engine, :func:`thermaudit.engine.connect` by default.
    progress : callable, optional
        Called with the name of each step.

    Returns
    -------
    Assessment
        The ``assessment.json`` document, the findings, each meter's consumption and the
        typed :class:`~thermaudit.metrics.result.MetricResult` of each metric.
    """
    spec = spec if isinstance(spec, Specification) else load_spec(spec)
    con = con or connect()
    step = progress or (lambda _msg: None)
    findings: list[Finding] = []
    ctx, all_cons = _context(dataset, spec, con, step, findings)

    results: dict[str, MetricResult] = {}
    for m in spec.metrics:
        step(m.name_en)
        results[m.id] = definition(m.id).compute(ctx)
        findings += results[m.id].findings

    step("uncertainty")
    _uncertainty(ctx, results)
    step("data-quality checks")
    findings += check_dataset(dataset, con=con, parameters=ctx.params)
    recon = _reconciliation(ctx)
    step("cross-department reconciliation")
    departments = cross_check(dataset, con=con, parameters=ctx.params)
    findings += departments.findings
    for m in spec.metrics:
        grade(results[m.id], m.grading, ctx.site, spec.ref)

    step("product footprint")
    footprint, footprint_findings = product_footprint(ctx)
    findings += footprint_findings
    if dataset.has("deliveries"):
        upe = results[UPE].detail.get("by_sku", {}) if UPE in results else {}
        shares, share_findings = buyer_shares(
            ctx, footprint["by_sku"], {k: v["energy_kgce"] for k, v in upe.items()}
        )
        footprint["by_customer"] = shares
        findings += share_findings
    findings = [with_owner(f, ctx.site) for f in findings]
    metrics = {mid: r.as_dict() for mid, r in results.items()}
    document = _document(ctx, con, metrics, all_cons, recon, findings, footprint)
    document["energy_use"] = _clean(energy_use(ctx))
    document["cross_department"] = json_ready(departments.summary)
    heat = results[WHR].facts.get("heat", {}) if WHR in results else {}
    alloc = results[UPE].facts.get("allocation") if UPE in results else None
    return Assessment(
        document,
        findings,
        all_cons,
        ctx.coef,
        facts={"output": ctx.output, "allocation": alloc, "heat": heat},
        results=results,
    )


WHR = "waste_heat_recovery_rate"
UPE = "unit_product_energy"


def _context(
    dataset: NormalizedDataset,
    spec: Specification,
    con: ibis.BaseBackend,
    step: Progress,
    findings: list[Finding],
) -> tuple[Context, dict[str, MeterConsumption]]:
    """Meter consumption, coefficients and production: what every metric reads."""
    site = dataset.site

    def tbl(name: str) -> ir.Table | None:
        path = dataset.tables.get(name)
        return con.read_parquet(path) if path is not None else None

    readings = tbl("readings")
    assert readings is not None  # required table, checked at import
    step("meter consumption")
    all_cons = meter_consumption(con, readings, tbl("meter_events"), site)
    findings += _meter_findings(site, all_cons)
    # a reactive-energy meter (quantity: reactive) measures no energy: every metric sees
    # the active meters only; its consumption stays in Assessment.consumption and "meters"
    site = site.model_copy(update={"meters": [m for m in site.meters if m.quantity == "active"]})
    cons = {m.id: all_cons[m.id] for m in site.meters}
    purchases = (
        con.to_pyarrow(tbl("energy_purchases")).to_pylist()
        if dataset.has("energy_purchases")
        else []
    )
    coef = resolve(site, spec.parameters, _invoice_ncv(purchases))
    ctx = Context(con, dataset, site, spec, coef, cons, {}, purchases)
    step("production")
    ctx.output = _production(ctx, findings)
    return ctx, all_cons


def _production(ctx: Context, findings: list[Finding]) -> dict[str, SkuOutput]:
    """Production in the period by SKU (date-only rows by date, timestamped by instant)."""
    prod = ctx.table("production")
    assert prod is not None  # required table, checked at import
    member = ctx.in_period(prod)
    prod_in = prod.filter(member)
    prod_rows = ctx.con.to_pyarrow(
        prod_in.group_by(["sku", "line"]).aggregate(
            good_qty=prod_in.good_qty.sum(), scrap_qty=prod_in.scrap_qty.sum()
        )
    ).to_pylist()
    outside = ctx.con.to_pyarrow(prod.filter(~member).count()).as_py()
    if outside:
        findings.append(
            finding("quality.reading.outside_period", table="production", count=int(outside))
        )
    return en.production_by_sku(prod_rows, ctx.site)


def _uncertainty(ctx: Context, results: dict[str, MetricResult]) -> None:
    """Set the expanded uncertainty U (k=2) of each metric (GUM first order, uncorrelated)."""
    instruments = instrument_uncertainties(ctx.site, ctx.rows("calibrations"))
    heat = results[WHR].facts.get("heat", {}) if WHR in results else {}
    inputs = {
        mid: {"value": r.value, "unit": r.unit, "detail": r.uncertainty_inputs}
        for mid, r in results.items()
    }
    budgets = propagate(
        ctx.site, ctx.cons, instruments, ctx.coef, inputs, heat=heat, output=ctx.output
    )
    for mid, budget in budgets.items():
        results[mid].uncertainty = budget["U"]
        results[mid].uncertainty_budget = budget


def _reconciliation(ctx: Context) -> list[dict[str, Any]]:
    params = ctx.params
    return reconcile(
        ctx.dataset,
        {k: c.consumption for k, c in ctx.cons.items()},
        ctx.coef.kgce_per_unit,
        tolerance_pct=params.get("submeter_tolerance_pct", THRESHOLDS["submeter_tolerance_pct"]),
        invoice_tolerance_pct=params.get(
            "invoice_tolerance_pct", THRESHOLDS["invoice_tolerance_pct"]
        ),
    )


def _document(
    ctx: Context,
    con: ibis.BaseBackend,
    metrics: dict[str, dict[str, Any]],
    all_cons: dict[str, MeterConsumption],
    recon: list[dict[str, Any]],
    findings: list[Finding],
    footprint: dict[str, Any],
) -> dict[str, Any]:
    """Build the ``thermaudit.assessment/1`` document."""
    site, dataset = ctx.site, ctx.dataset
    document = {
        "schema": SCHEMA,
        "specification": ctx.spec.ref,
        "enterprise": {
            "name": site.enterprise.name,
            "name_en": site.enterprise.name_en,
            "credit_code": site.enterprise.credit_code,
            "sector": site.enterprise.sector,
            "province": site.enterprise.province,
            **(
                {"net_revenue": site.enterprise.net_revenue.model_dump()}
                if site.enterprise.net_revenue is not None
                else {}
            ),
        },
        "period": {
            "start": site.period.start.isoformat(),
            "end": site.period.end.isoformat(),
            "timezone": site.timezone,
        },
        "metrics": _clean(metrics),
        "meters": {
            c.meter_id: {
                "consumption": c.consumption,
                "unit": c.unit,
                "intervals_received": c.intervals_received,
                "intervals_expected": c.intervals_expected,
                "readings_in_period": c.readings_in_period,
            }
            for c in all_cons.values()
        },
        "reconciliation": recon,
        "product_footprint": _clean(footprint),
        "findings": [f.as_dict() for f in findings],
        "inputs": [
            {"file": i.file, "sha256": i.sha256, "rows": i.rows, "owner": _owner(site, i.table)}
            for i in dataset.inputs
        ],
        "coefficients": {
            "tables": list(ctx.spec.coefficient_tables),
            "grid_factor_year": int(ctx.params["grid_factor_year"]),
        },
        "software": {"name": "thermaudit", "version": __version__},
        "engine": engine_info(con),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return dict(json.loads(json.dumps(document, default=_json, ensure_ascii=False)))


def _owner(site: Site, table: str | None) -> dict[str, str | None] | None:
    """Who answers for an input file's table (``site.yaml`` ``owners``); ``None`` for none."""
    owner = site.owner(table=table) if table is not None else None
    return owner.as_dict() if owner is not None else None


def _invoice_ncv(purchases: list[dict[str, Any]]) -> float | None:
    """Quantity-weighted NCV of natural gas invoices that state one (a measured NCV)."""
    gas = [p for p in purchases if p["carrier"] == "natural_gas" and p.get("ncv_mj_per_unit")]
    q = sum(p["quantity"] for p in gas)
    if not gas or q <= 0:
        return None
    return sum(p["quantity"] * p["ncv_mj_per_unit"] for p in gas) / q


def _meter_findings(site: Site, cons: dict[str, MeterConsumption]) -> list[Finding]:
    out = []
    for m in site.meters:
        c = cons[m.id]
        f = c.facts
        if f.get("no_data"):
            out.append(finding("quality.reading.no_data", meter=m.id))
            continue
        for i in f["interpolated"]:
            side_zh = "起点" if i["side"] == "start" else "终点"
            out.append(
                finding(
                    "quality.reading.interpolated_boundary",
                    meter=m.id,
                    side=i["side"],
                    side_zh=side_zh,
                    side_ko="시작 시점" if i["side"] == "start" else "종료 시점",
                    before=local_text(i["between"][0], site),
                    after=local_text(i["between"][1], site),
                    value=i["value"],
                )
            )
        for u in f["uncovered"]:
            hours = (u["to"] - u["from"]).total_seconds() / 3600.0
            out.append(
                finding(
                    "quality.reading.uncovered_boundary",
                    meter=m.id,
                    side=u["side"],
                    side_zh="起点" if u["side"] == "start" else "终点",
                    side_ko="시작 시점" if u["side"] == "start" else "종료 시점",
                    hours=hours,
                    uncovered_from=local_text(u["from"], site),
                    uncovered_to=local_text(u["to"], site),
                )
            )
        for x in f["excluded"]:
            out.append(
                finding(
                    "quality.reading.negative_delta",
                    meter=m.id,
                    at=local_text(x["at"], site),
                    delta=abs(x["delta"]),
                    role=m.role,
                )
            )
        for w in f["wraps"]:
            out.append(
                finding(
                    "quality.reading.rollover",
                    meter=m.id,
                    at=local_text(w["at"], site),
                    rollover=w["rollover"],
                    amount=w["amount"],
                    unit=c.unit,
                )
            )
        for r in f["resets"]:
            out.append(
                finding(
                    "quality.reading.meter_event",
                    meter=m.id,
                    at=local_text(r["at"], site),
                    event=r["event"],
                    amount=r["amount"],
                    unit=c.unit,
                )
            )
        if f["duplicate_timestamps"]:
            out.append(
                finding(
                    "quality.reading.duplicate_timestamp",
                    meter=m.id,
                    count=f["duplicate_timestamps"],
                )
            )
    return out
