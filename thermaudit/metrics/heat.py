"""Heat of waste-heat streams (contract: "Heat of a stream row"; metrics.md section 2).

Q = mass (or normal-volume) flow × cp × (t_hot − t_cold) × interval, summed over the rows
whose timestamp lies in the period. Water: 1 m3 = 1000 kg, cp 4.187 kJ/(kg·K); flue gas
1.38 kJ/(Nm3·K); air 1.30 kJ/(Nm3·K); a stream's own ``cp`` wins. For ``available`` streams
an empty t_cold falls back to the stream's ``t_ref_c``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from thermaudit.dataset.site import Site
from thermaudit.metrics.spec import Specification

#: flow units accepted per medium and their factor to kg/h (water) or Nm3/h (gases)
FLOW_FACTORS: dict[str, dict[str, float]] = {
    "water": {"m3/h": 1000.0, "t/h": 1000.0, "kg/h": 1.0},
    "flue_gas": {"Nm3/h": 1.0},
    "air": {"Nm3/h": 1.0},
}


@dataclass(frozen=True)
class StreamHeat:
    """Heat of one stream over the period [GJ]."""

    stream_id: str
    kind: str
    heat_gj: float
    rows: int
    facts: dict[str, Any] = field(default_factory=dict)


def _streams_table(site: Site, spec: Specification) -> ir.Table:
    default_cp = {
        "water": spec.param("water_cp_kj_per_kg_k"),
        "flue_gas": spec.param("flue_gas_cp_kj_per_nm3_k"),
        "air": spec.param("air_cp_kj_per_nm3_k"),
    }
    rows: dict[str, list[Any]] = {
        "stream_id": [],
        "cp": [],
        "t_ref_c": [],
        "interval_s": [],
        "available": [],
        "medium": [],
    }
    for s in site.heat_streams:
        rows["stream_id"].append(s.id)
        rows["cp"].append(s.cp if s.cp is not None else default_cp[s.medium])
        rows["t_ref_c"].append(s.t_ref_c)
        rows["interval_s"].append(float(s.interval_s))
        rows["available"].append(s.kind == "available")
        rows["medium"].append(s.medium)
    schema = pa.schema(
        [
            ("stream_id", pa.string()),
            ("cp", pa.float64()),
            ("t_ref_c", pa.float64()),
            ("interval_s", pa.float64()),
            ("available", pa.bool_()),
            ("medium", pa.string()),
        ]
    )
    return ibis.memtable(pa.table(rows, schema=schema))


def _factors_table() -> ir.Table:
    rows = [
        (medium, unit, f) for medium, units in FLOW_FACTORS.items() for unit, f in units.items()
    ]
    return ibis.memtable(
        pa.table(
            {
                "f_medium": [r[0] for r in rows],
                "f_unit": [r[1] for r in rows],
                "flow_factor": [r[2] for r in rows],
            }
        )
    )


def stream_rows(streams: ir.Table, site: Site, spec: Specification) -> ir.Table:
    """Value the heat of each stream row in the period.

    Columns stream_id, ts, heat_gj (null when the row cannot be valued) and status (``ok``,
    ``unit``, ``no_cold``).
    """
    start, end = site.period_bounds_utc()
    meta = _streams_table(site, spec)
    factors = _factors_table()
    r = streams.filter((streams.ts > ibis.literal(start)) & (streams.ts <= ibis.literal(end)))
    r = r.join(meta, "stream_id")
    r = r.left_join(factors, [r.medium == factors.f_medium, r.flow_unit == factors.f_unit])
    t_cold = ibis.cases(
        (r.t_cold_c.notnull(), r.t_cold_c), (r.available, r.t_ref_c), else_=ibis.null("float64")
    )
    # kJ = flow [kg/h or Nm3/h] x cp [kJ/(kg K) or kJ/(Nm3 K)] x dT [K] x interval [h]
    kj = r.flow * r.flow_factor * r.cp * (r.t_hot_c - t_cold) * (r.interval_s / 3600.0)
    status = ibis.cases((r.flow_factor.isnull(), "unit"), (t_cold.isnull(), "no_cold"), else_="ok")
    return r.select(
        "stream_id",
        "ts",
        "medium",
        "flow_unit",
        status=status,
        heat_gj=ibis.cases((status == "ok", kj / 1e6), else_=ibis.null("float64")),
    )


def stream_heat(
    con: ibis.BaseBackend, streams: ir.Table, site: Site, spec: Specification
) -> dict[str, StreamHeat]:
    """Heat of every declared stream over the period [GJ]."""
    rows = stream_rows(streams, site, spec)
    # per unit too: a stream logged in two wrong units names both
    agg = rows.group_by(["stream_id", "status", "flow_unit"]).aggregate(
        heat_gj=rows.heat_gj.sum(), rows=rows.count()
    )
    by: dict[str, dict[str, Any]] = {}
    for row in con.to_pyarrow(agg).to_pylist():
        part = by.setdefault(row["stream_id"], {}).setdefault(
            row["status"], {"heat_gj": None, "rows": 0, "units": set()}
        )
        if row["heat_gj"] is not None:
            part["heat_gj"] = (part["heat_gj"] or 0.0) + row["heat_gj"]
        part["rows"] += row["rows"]
        part["units"].add(row["flow_unit"])
    out = {}
    for s in site.heat_streams:
        parts = by.get(s.id, {})
        ok = parts.get("ok", {})
        wrong = sorted(u for u in parts.get("unit", {}).get("units", ()) if u is not None)
        facts = {
            "rows_wrong_unit": int(parts.get("unit", {}).get("rows", 0)),
            "wrong_unit": ", ".join(wrong) or None,
            "rows_no_cold": int(parts.get("no_cold", {}).get("rows", 0)),
        }
        out[s.id] = StreamHeat(
            s.id, s.kind, float(ok.get("heat_gj") or 0.0), int(ok.get("rows", 0)), facts
        )
    return out
