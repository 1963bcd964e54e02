"""The assessment: the six metrics of a specification over one normalized dataset, with the
findings met on the way, written as ``assessment.json`` (``thermaudit.assessment/1``).

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
from thermaudit.engine import connect
from thermaudit.metrics import coverage as cov
from thermaudit.metrics import energy as en
from thermaudit.metrics.coefficients import Coefficients, resolve
from thermaudit.metrics.heat import stream_heat
from thermaudit.metrics.melting import material_for, melting_meters
from thermaudit.metrics.meters import MeterConsumption, meter_consumption
from thermaudit.metrics.spec import Specification, load_spec
from thermaudit.metrics.uncertainty import instrument_uncertainties, propagate
from thermaudit.quality.checks import THRESHOLDS, check_dataset
from thermaudit.quality.findings import Finding, finding
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

    def metric(self, metric_id: str) -> dict[str, Any]:
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


def _local(ts: dt.datetime, site: Site) -> str:
    return ts.astimezone(site.zone).isoformat(timespec="seconds")


def assess(
    dataset: NormalizedDataset,
    *,
    spec: Specification | str | Path | None = None,
    con: ibis.BaseBackend | None = None,
    progress: Progress | None = None,
) -> Assessment:
    """Compute the six metrics of ``spec`` (default ``miit-2026-provisional@1``)."""
    spec = spec if isinstance(spec, Specification) else load_spec(spec)
    con = con or connect()
    site = dataset.site
    params = spec.parameters
    step = progress or (lambda _msg: None)
    findings: list[Finding] = []
    start, end = site.period_bounds_utc()

    def tbl(name: str) -> ir.Table | None:
        path = dataset.tables.get(name)
        return con.read_parquet(path) if path is not None else None

    def rows(expr: ir.Table) -> list[dict[str, Any]]:
        return con.to_pyarrow(expr).to_pylist()

    readings = tbl("readings")
    assert readings is not None  # required table, checked at import
    events = tbl("meter_events")
    step("meter consumption")
    all_cons = meter_consumption(con, readings, events, site)
    findings += _meter_findings(site, all_cons)
    # a reactive-energy meter (quantity: reactive) measures no energy: every metric below sees
    # the active meters only; its consumption stays in Assessment.consumption and "meters"
    site = site.model_copy(update={"meters": [m for m in site.meters if m.quantity == "active"]})
    cons = {m.id: all_cons[m.id] for m in site.meters}

    purchases = rows(tbl("energy_purchases")) if dataset.has("energy_purchases") else []
    coef = resolve(site, params, _invoice_ncv(purchases))

    # --- production in the period (date-only rows by date, timestamped rows by instant)
    step("production")
    prod = tbl("production")
    assert prod is not None
    member = ibis.cases(
        (prod.ts.notnull(), (prod.ts > ibis.literal(start)) & (prod.ts <= ibis.literal(end))),
        else_=(prod.date >= ibis.literal(site.period.start))
        & (prod.date <= ibis.literal(site.period.end)),
    )
    prod_in = prod.filter(member)
    prod_rows = rows(
        prod_in.group_by(["sku", "line"]).aggregate(
            good_qty=prod_in.good_qty.sum(), scrap_qty=prod_in.scrap_qty.sum()
        )
    )
    outside = con.to_pyarrow(prod.filter(~member).count()).as_py()
    if outside:
        findings.append(
            finding("quality.reading.outside_period", table="production", count=int(outside))
        )
    output = en.production_by_sku(prod_rows, site)

    metrics: dict[str, dict[str, Any]] = {}

    # --- 1. unit product energy
    step("unit product energy")
    basis = site.options.electricity_basis
    other = "equivalent" if basis == "calorific" else "calorific"
    bal = en.energy_balance(site, cons, coef, basis)
    bal_other = en.energy_balance(site, cons, coef, other)
    alloc = en.allocate(site, bal, output)
    value, by_sku = en.intensity(alloc, output)
    value_other, _ = en.intensity(en.allocate(site, bal_other, output), output)
    good_mass_t = sum(o.good_mass_t for o in output.values() if o.denominator == "mass")
    eq_value = value if basis == "equivalent" else value_other
    cal_value = value if basis == "calorific" else value_other
    metrics["unit_product_energy"] = {
        "value": value,
        "unit": "kgce/t",
        "detail": {
            "energy_kgce": bal.total_kgce,
            "good_mass_t": good_mass_t,
            "electricity_basis": basis,
            "equivalent_basis_value": eq_value,
            "calorific_basis_value": cal_value,
            "energy_kgce_equivalent_basis": (
                bal if basis == "equivalent" else bal_other
            ).total_kgce,
            "by_carrier": bal.by_carrier,
            "by_role": bal.by_role,
            "by_meter": bal.by_meter,
            "by_sku": by_sku,
            "line_energy_kgce": alloc.line_kgce,
            "rest_energy_kgce": alloc.rest_kgce,
            "coefficients": {
                "electricity_kgce_per_kwh": coef.electricity_calorific,
                "electricity_equivalent_kgce_per_kwh": coef.electricity_equivalent,
                "natural_gas_kgce_per_m3": coef.gas_ncv_mj_per_m3 / coef.kgce_mj,
                "natural_gas_ncv_mj_per_m3": coef.gas_ncv_mj_per_m3,
                "natural_gas_ncv_source": coef.gas_ncv_source,
            },
        },
    }
    for line, kgce in alloc.unallocated_lines.items():
        findings.append(
            finding(
                "metric.not_computable",
                metrics=("unit_product_energy",),
                metric=f"line {line}",
                reason=f"its submeters measured {kgce:.1f} kgce but the line made "
                "nothing in the period; shared with all SKUs instead",
            )
        )
    if value is None:
        findings.append(
            finding(
                "metric.not_computable",
                metrics=("unit_product_energy",),
                metric="unit_product_energy",
                reason="no good mass of mass-denominated products in the period",
            )
        )
    if (
        site.options.electricity_equivalent_kgce_per_kwh == 0.3
        and "electricity_equivalent_kgce_per_kwh" not in site.options.model_fields_set
    ):
        findings.append(
            finding(
                "metric.coefficient_check",
                what="electricity equivalent value",
                value="0.30 kgce/kWh",
            )
        )

    # --- 2. waste heat recovery rate
    step("waste heat recovery")
    streams = tbl("heat_streams")
    heat = stream_heat(con, streams, site, spec) if streams is not None else {}
    for sid, h in heat.items():
        s = next(x for x in site.heat_streams if x.id == sid)
        if h.facts["rows_wrong_unit"]:
            findings.append(
                finding(
                    "quality.heat.unit_medium_mismatch",
                    stream=sid,
                    flow_unit=h.facts["wrong_unit"],
                    medium=s.medium,
                    count=h.facts["rows_wrong_unit"],
                )
            )
        if h.facts["rows_no_cold"]:
            findings.append(
                finding(
                    "quality.heat.missing_cold_temperature",
                    stream=sid,
                    count=h.facts["rows_no_cold"],
                )
            )
    available = sum(h.heat_gj for h in heat.values() if h.kind == "available")
    rec_meters_gj = sum(
        cons[m.id].consumption
        for m in site.meters
        if m.role == "recovered_heat" and cons[m.id].unit == "GJ"
    )
    recovered = sum(h.heat_gj for h in heat.values() if h.kind == "recovered") + rec_meters_gj
    rate: float | None = None
    if available > 0:
        rate = 100.0 * recovered / available
        if rate > 100.0:
            findings.append(
                finding(
                    "quality.heat.recovery_above_100",
                    metrics=("waste_heat_recovery_rate",),
                    recovered=recovered,
                    available=available,
                )
            )
            rate = None
    else:
        findings.append(
            finding(
                "metric.not_computable",
                metrics=("waste_heat_recovery_rate",),
                metric="waste_heat_recovery_rate",
                reason="no available waste heat stream with data in the period",
            )
        )
    metrics["waste_heat_recovery_rate"] = {
        "value": rate,
        "unit": "%",
        "detail": {
            "recovered_gj": recovered,
            "available_gj": available,
            "recovered_heat_meters_gj": rec_meters_gj,
            "by_stream_gj": {k: v.heat_gj for k, v in heat.items()},
        },
    }

    # --- 3. mold temperature control accuracy
    step("mold temperature")
    metrics["mold_temperature_control_accuracy"] = _mold(
        con, tbl("mold_temperature"), site, dataset, findings
    )

    # --- 4. melting
    step("melting")
    metrics["melting_energy_intensity"] = _melting(
        con, tbl("melting"), site, cons, coef, params, findings
    )

    # --- 5. carbon
    step("carbon")
    green_rows = rows(tbl("green_certificates")) if dataset.has("green_certificates") else []
    green_kwh, green_detail = en.green_certificate_kwh(
        green_rows, site.period.start, site.period.end
    )
    carb, no_ef = en.carbon(site, cons, coef, green_kwh)
    for c in no_ef:
        findings.append(
            finding(
                "metric.not_computable",
                metrics=("unit_product_carbon_intensity",),
                metric=f"scope 1 of {c}",
                reason="no emission factor for the carrier",
            )
        )
    metrics["unit_product_carbon_intensity"] = {
        "value": (carb.scope1_t + carb.scope2_location_t) / good_mass_t
        if good_mass_t > 0
        else None,
        "unit": "tCO2e/t",
        "detail": {
            "scope1_t": carb.scope1_t,
            "scope2_location_t": carb.scope2_location_t,
            "scope2_market_t": carb.scope2_market_t,
            "market_based_value": (carb.scope1_t + carb.scope2_market_t) / good_mass_t
            if good_mass_t > 0
            else None,
            "scope1_by_fuel_t": carb.by_fuel_t,
            "electricity_net_kwh": carb.electricity_net_kwh,
            "heat_net_gj": carb.heat_net_gj,
            "green_certificates_kwh": green_kwh,
            "green_certificates": green_detail,
            "grid_factor_kgco2_per_kwh": coef.grid_factor,
            "grid_factor_source": coef.grid_factor_source,
            "good_mass_t": good_mass_t,
        },
    }

    # --- 6. metering coverage
    step("metering coverage")
    cal_rows = rows(tbl("calibrations")) if dataset.has("calibrations") else []
    cv = cov.coverage(site, cons, cal_rows, {p["carrier"] for p in purchases}, coef, params)
    if cv.key_pct is None:
        findings.append(
            finding(
                "metric.not_computable",
                metrics=("energy_metering_coverage",),
                metric="energy_metering_coverage",
                reason="no key energy-using equipment in site.yaml",
            )
        )
    metrics["energy_metering_coverage"] = {
        "value": cv.key_pct,
        "unit": "%",
        "detail": {
            "site": cv.site_pct,
            "process": cv.process_pct,
            "key_equipment": cv.key_pct,
            "key_equipment_electricity": cv.key_electricity_pct,
            "key_equipment_fuel": cv.key_fuel_pct,
            "calibration_valid": cv.calibration_valid_pct,
            "completeness": cv.completeness_pct,
            **cv.detail,
        },
    }
    findings += _calibration_findings(site, cal_rows)

    # --- expanded uncertainty U (k=2) of each metric (GUM first order, uncorrelated inputs)
    step("uncertainty")
    instruments = instrument_uncertainties(site, cal_rows)
    budgets = propagate(site, cons, instruments, coef, metrics, heat=heat, output=output)
    for mid, budget in budgets.items():
        metrics[mid]["uncertainty"] = budget["U"]
        metrics[mid]["uncertainty_budget"] = budget

    # --- data-quality checks over the normalized tables (the quality stage)
    step("data-quality checks")
    findings += check_dataset(dataset, con=con, parameters=params)
    recon = reconcile(
        dataset,
        {k: c.consumption for k, c in cons.items()},
        coef.kgce_per_unit,
        tolerance_pct=params.get("submeter_tolerance_pct", THRESHOLDS["submeter_tolerance_pct"]),
        invoice_tolerance_pct=params.get(
            "invoice_tolerance_pct", THRESHOLDS["invoice_tolerance_pct"]
        ),
    )

    _grade(metrics, spec, site)
    _sufficiency(metrics, site, cons, params, heat)

    document = {
        "schema": SCHEMA,
        "specification": spec.ref,
        "enterprise": {
            "name": site.enterprise.name,
            "name_en": site.enterprise.name_en,
            "credit_code": site.enterprise.credit_code,
            "sector": site.enterprise.sector,
            "province": site.enterprise.province,
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
        "findings": [f.as_dict() for f in findings],
        "inputs": [{"file": i.file, "sha256": i.sha256, "rows": i.rows} for i in dataset.inputs],
        "coefficients": {
            "tables": [
                "coefficients",
                "emission_factors",
                "grid_factors",
                "materials",
                "provinces",
            ],
            "grid_factor_year": int(params["grid_factor_year"]),
        },
        "software": {"name": "thermaudit", "version": __version__},
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    document = json.loads(json.dumps(document, default=_json, ensure_ascii=False))
    return Assessment(
        document,
        findings,
        all_cons,
        coef,
        facts={"output": output, "allocation": alloc, "heat": heat},
    )


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
                    before=_local(i["between"][0], site),
                    after=_local(i["between"][1], site),
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
                    hours=hours,
                    uncovered_from=_local(u["from"], site),
                    uncovered_to=_local(u["to"], site),
                )
            )
        for x in f["excluded"]:
            out.append(
                finding(
                    "quality.reading.negative_delta",
                    meter=m.id,
                    at=_local(x["at"], site),
                    delta=abs(x["delta"]),
                    role=m.role,
                )
            )
        for w in f["wraps"]:
            out.append(
                finding(
                    "quality.reading.rollover",
                    meter=m.id,
                    at=_local(w["at"], site),
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
                    at=_local(r["at"], site),
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


def _calibration_findings(site: Site, cal_rows: list[dict[str, Any]]) -> list[Finding]:
    out = []
    for inst in sorted(site.instruments):
        ok, gaps = cov.calibration_coverage(inst, cal_rows, site.period.start, site.period.end)
        if ok:
            continue
        if not any(r["instrument_id"] == inst for r in cal_rows):
            out.append(finding("quality.calibration.missing", instrument=inst))
        else:
            text = ", ".join(f"{a.isoformat()}–{b.isoformat()}" for a, b in gaps)
            out.append(
                finding(
                    "quality.calibration.not_covering",
                    instrument=inst,
                    gaps=text,
                    uncovered=[[a.isoformat(), b.isoformat()] for a, b in gaps],
                )
            )
    return out


def _mold(
    con: ibis.BaseBackend,
    samples: ir.Table | None,
    site: Site,
    dataset: NormalizedDataset,
    findings: list[Finding],
) -> dict[str, Any]:
    metric = "mold_temperature_control_accuracy"
    if samples is None or not site.temperature_controllers:
        findings.append(
            finding(
                "metric.not_computable",
                metrics=(metric,),
                metric=metric,
                reason="no mold_temperature table or no temperature_controllers",
            )
        )
        return {"value": None, "unit": "°C", "detail": {}}
    from thermaudit.metrics.mold import mold_temperature_accuracy

    res = mold_temperature_accuracy(con, samples, site)
    for cid, n in sorted(res.facts["duplicate_timestamp_rows"].items()):
        if n:
            findings.append(finding("quality.mold.duplicate_timestamp", controller=cid, count=n))
    for cid in sorted(res.facts["controllers_without_steady_samples"]):
        findings.append(
            finding("quality.mold.no_steady_samples", controller=cid, metrics=(metric,))
        )
    if res.facts.get("rows_outside_period"):
        findings.append(
            finding(
                "quality.reading.outside_period",
                table="mold_temperature",
                count=int(res.facts["rows_outside_period"]),
            )
        )
    if res.value is None:
        findings.append(
            finding(
                "metric.not_computable",
                metrics=(metric,),
                metric=metric,
                reason="no steady-state samples in the period",
            )
        )
    cal_rows = (
        con.to_pyarrow(con.read_parquet(dataset.tables["calibrations"])).to_pylist()
        if dataset.has("calibrations")
        else []
    )
    by_controller = {}
    for cid, stats in res.by_controller.items():
        ok, _gaps = cov.calibration_coverage(cid, cal_rows, site.period.start, site.period.end)
        cert = [r for r in cal_rows if r["instrument_id"] == cid]
        u = None
        if cert:
            last = max(cert, key=lambda r: r["valid_until"])
            if last.get("uncertainty_unit") == "C" and last.get("expanded_uncertainty") is not None:
                u = float(last["expanded_uncertainty"])
        by_controller[cid] = {
            **stats,
            "calibration_valid": ok,
            "calibration": "valid" if ok else ("missing" if not cert else "expired"),
            "expanded_uncertainty_c": u,
        }
    return {
        "value": res.value,
        "unit": "°C",
        "detail": {"by_controller": by_controller, "steady_samples": res.steady_samples},
    }


def _melting(
    con: ibis.BaseBackend,
    melt: ir.Table | None,
    site: Site,
    cons: dict[str, MeterConsumption],
    coef: Coefficients,
    params: dict[str, float],
    findings: list[Finding],
) -> dict[str, Any]:
    metric = "melting_energy_intensity"
    meters = melting_meters(site)
    if not meters:
        findings.append(finding("quality.melting.no_meters", metrics=(metric,)))
    if melt is None:
        findings.append(
            finding(
                "metric.not_computable", metrics=(metric,), metric=metric, reason="no melting table"
            )
        )
        return {
            "value": None,
            "unit": "kgce/t",
            "detail": {"thermal_efficiency_pct": None, "metal_t": None},
        }
    start, end = site.period_bounds_utc()
    member = ibis.cases(
        (melt.ts.notnull(), (melt.ts > ibis.literal(start)) & (melt.ts <= ibis.literal(end))),
        else_=(melt.date >= ibis.literal(site.period.start))
        & (melt.date <= ibis.literal(site.period.end)),
    )
    m_in = melt.filter(member)
    by_alloy = con.to_pyarrow(
        m_in.group_by("alloy").aggregate(
            kg=m_in.metal_kg.sum(),
            kg_tap=(m_in.metal_kg * m_in.tap_temp_c).sum(),
            batches=m_in.count(),
            below_melting=m_in.tap_temp_c.min(),
        )
    ).to_pylist()
    outside = con.to_pyarrow(melt.filter(~member).count()).as_py()
    if outside:
        findings.append(
            finding("quality.reading.outside_period", table="melting", count=int(outside))
        )
    metal_kg = sum(r["kg"] for r in by_alloy)
    t_ref = params["melting_reference_temp_c"]
    theoretical_kj = 0.0
    unknown = False
    for r in by_alloy:
        mat = material_for(r["alloy"])
        if mat is None:
            unknown = True
            findings.append(
                finding(
                    "quality.melting.unknown_alloy",
                    metrics=(metric,),
                    alloy=r["alloy"],
                    count=r["batches"],
                    metal_t=r["kg"] / 1000,
                )
            )
            continue
        if r["below_melting"] < mat.melting_point_c:
            # rare: compute batch by batch to honour the solid-only branch
            rows = con.to_pyarrow(
                m_in.filter(m_in.alloy == r["alloy"]).select("metal_kg", "tap_temp_c")
            ).to_pylist()
            theoretical_kj += sum(
                x["metal_kg"] * mat.heat_kj_per_kg(x["tap_temp_c"], t_ref) for x in rows
            )
        else:
            # Σ kg·q(tap) with q linear in tap: kg·(cp_s(Tm−Tref) + L − cp_l·Tm) + cp_l·Σ kg·tap
            theoretical_kj += (
                r["kg"]
                * (
                    mat.cp_solid * (mat.melting_point_c - t_ref)
                    + mat.latent_heat
                    - mat.cp_liquid * mat.melting_point_c
                )
                + mat.cp_liquid * r["kg_tap"]
            )
    energy_kgce = sum(cons[m.id].consumption * coef.kgce_per_unit(m) for m in meters)
    energy_mj = sum(cons[m.id].consumption * coef.mj_per_unit(m) for m in meters)
    metal_t = metal_kg / 1000.0
    value = energy_kgce / metal_t if metal_t > 0 and meters else None
    eff = (
        100.0 * theoretical_kj / 1000.0 / energy_mj
        if energy_mj > 0 and not unknown and metal_t > 0
        else None
    )
    if metal_t <= 0:
        findings.append(
            finding(
                "metric.not_computable",
                metrics=(metric,),
                metric=metric,
                reason="no metal melted in the period",
            )
        )
    return {
        "value": value,
        "unit": "kgce/t",
        "detail": {
            "thermal_efficiency_pct": eff,
            "metal_t": metal_t,
            "energy_kgce": energy_kgce,
            "energy_mj": energy_mj,
            "theoretical_mj": theoretical_kj / 1000.0,
            "meters": [m.id for m in meters],
            "by_alloy_t": {r["alloy"]: r["kg"] / 1000.0 for r in by_alloy},
        },
    }


def _grade(metrics: dict[str, dict[str, Any]], spec: Specification, site: Site) -> None:
    for mid, m in metrics.items():
        g = spec.metric(mid).grading
        kind = g.get("kind")
        value = m.get("value")
        grade: str | None = None
        if value is None:
            grade = None
        elif kind == "reference":
            grade = "reference"
        elif kind == "bands":
            key = g.get("on")
            v = m["detail"].get(key) if key else value
            bands = g.get("bands") or g.get("bands_efficiency") or []
            grade = next((b["grade"] for b in bands if v is not None and v >= b["min"]), None)
        elif kind == "tolerance":
            tols = [c.tolerance_c for c in site.temperature_controllers]
            tol = min(tols) if tols else float(g.get("default_tolerance_c", 1.0))
            grade = "pass" if value <= tol else "fail"
        elif kind == "required":
            d = m["detail"]
            checks = [
                d.get("site") is None or d["site"] >= g["site_pct"],
                d.get("key_equipment_electricity") is None
                or d["key_equipment_electricity"] >= g["electricity_key_pct"],
                d.get("key_equipment_fuel") is None or d["key_equipment_fuel"] >= g["fuel_key_pct"],
            ]
            grade = "pass" if all(checks) else "fail"
        m["grade"] = grade
        m.setdefault("uncertainty", None)


def _sufficiency(
    metrics: dict[str, dict[str, Any]],
    site: Site,
    cons: dict[str, MeterConsumption],
    params: dict[str, float],
    heat: dict[str, Any],
) -> None:
    """Whether each metric's data qualify (the data sufficiency gate).

    A metric is qualified when every meter it reads has completeness ≥ the specification's
    floor (90 %: the usual acceptance floor of online monitoring platforms), no supply
    meter has unexplained negative differences, every heat stream has rows for ≥ the floor
    of its intervals, and the metric could be computed. A disqualified metric is still
    computed and carries its reasons.
    """
    floor = params["completeness_floor_pct"] / 100.0
    start, end = site.period_bounds_utc()
    period_s = (end - start).total_seconds()

    def meter_reasons(ids: list[str]) -> list[str]:
        reasons = []
        for mid in ids:
            c = cons[mid]
            comp = c.completeness
            if comp is not None and comp < floor:
                reasons.append(f"{mid}: completeness {100 * comp:.1f} % < {100 * floor:.0f} %")
            if c.facts.get("no_data"):
                reasons.append(f"{mid}: no readings in the period")
            m = site.meter(mid)
            if m.role == "supply" and c.facts.get("excluded"):
                reasons.append(
                    f"{mid}: {len(c.facts['excluded'])} unexplained negative "
                    "differences on a supply meter"
                )
        return reasons

    boundary = [
        m.id for m in site.meters if m.role in ("supply", "generation", "excluded", "export")
    ]
    melting = [m.id for m in melting_meters(site)]
    for mid, ids in (
        ("unit_product_energy", boundary),
        ("unit_product_carbon_intensity", boundary),
        ("melting_energy_intensity", melting),
        ("waste_heat_recovery_rate", []),
        ("mold_temperature_control_accuracy", []),
        ("energy_metering_coverage", []),
    ):
        reasons = meter_reasons(ids)
        if mid == "waste_heat_recovery_rate":
            for stream in site.heat_streams:
                h = heat.get(stream.id)
                expected = period_s / stream.interval_s
                got = h.rows if h is not None else 0
                if got < floor * expected:
                    reasons.append(
                        f"{stream.id}: {got} of {expected:.0f} rows "
                        f"({100 * got / expected:.1f} % < {100 * floor:.0f} %)"
                    )
        if metrics[mid].get("value") is None:
            reasons.append("not computable")
        metrics[mid]["sufficiency"] = {"qualified": not reasons, "reasons": reasons}
