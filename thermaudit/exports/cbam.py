"""EU CBAM communication of an installation to its EU importers: ``cbam-communication.xlsx``
and the same facts as ``cbam-communication.json``.

Scope: an SKU is a CBAM good when its CN code starts with a heading of Annex I of Regulation
(EU) 2023/956 (``data/cbam_goods.csv``); any other SKU (most cast auto parts: 8708, 8409) is
"outside CBAM Annex I" and gets its embedded emissions for voluntary disclosure only, on its
own sheet and never in ``Summary_Communication``.

Specific embedded emissions (Annex IV; Implementing Regulation (EU) 2025/2547), per tonne of
good output, direct and indirect apart::

    SEE = (attributed emissions of the good + Σ precursor tonnes × precursor SEE) / good tonnes

- attributed direct emissions: the good's share of fuel combustion and of measurable heat
  bought; indirect: its share of electricity × the grid factor (the allocation of the energy
  metric, :mod:`thermaudit.metrics.footprint`);
- precursors: the unwrought metal bought (``metal_inputs``), shared among the goods of its
  material by processed mass; purchased scrap carries no embedded emissions; an ingot or master
  alloy carries its supplier's declared direct and indirect values. A precursor without declared
  values has none here: the goods it went into are listed as to complete (with the Commission's
  default values of Implementing Regulation (EU) 2025/2621 or the supplier's actual values)
  and stay out of ``Summary_Communication`` — a value is never invented.

From 2026 (definitive period) only direct emissions count in the declaration of iron, steel
and aluminium goods (Annex II); both are reported, and the notes say which counts.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from thermaudit.exports.files import write_json

FILE = "cbam-communication.xlsx"
JSON_FILE = "cbam-communication.json"
SCHEMA = "thermaudit.cbam-communication/1"

#: the columns importers read on ``Summary_Communication``, in the template's order
SUMMARY_COLUMNS = (
    "Production process",
    "Type of aggregated good",
    "CN Codes",
    "CN Name",
    "Product name",
    "SEE (direct)",
    "SEE (indirect)",
    "SEE (total)",
    "Unit (tCO2e/t)",
    "Share of emissions by default value",
    "Source for electricity EF",
    "Embedded electricity (MWh/t)",
    "Electricity EF (tCO2/MWh)",
    "t scrap per t aluminium",
    "% non-aluminium elements",
    "%Mn",
    "%Cr",
    "%Ni",
    "% other alloys",
    "% carbon",
    "t scrap per t steel",
    "Carbon price due",
    "Carbon price rebate",
)

#: material of a product → (material group of its precursors, aggregated-good family)
_FAMILY = {
    "aluminium_alloy": "aluminium",
    "cast_iron": "cast_iron",
    "cast_steel": "cast_steel",
}

_NOTES = (
    "Specific embedded emissions (SEE) per tonne of good: (attributed emissions of the good + "
    "precursor tonnes x precursor SEE) / good tonnes, direct and indirect apart (Regulation "
    "(EU) 2023/956 Annex IV; Implementing Regulation (EU) 2025/2547).",
    "Definitive period (from 2026): for iron, steel and aluminium goods only the direct SEE "
    "counts in the CBAM declaration (Annex II of Regulation (EU) 2023/956); the indirect SEE "
    "is reported as the template asks.",
    "Attributed emissions: the good's share of the installation's fuel, heat and electricity "
    "emissions by processed mass (line submeters to the goods of their line).",
    "Precursors: purchased scrap carries no embedded emissions; ingots and master alloys carry "
    "their supplier's declared direct and indirect SEE. No default value is used: a good whose "
    "precursor lacks declared values is listed under To_complete, not in Summary_Communication.",
    "Embedded electricity counts the installation's own electricity only; the precursors' "
    "embedded electricity is not in the supplier declarations.",
    "CN codes are the product codes of the enterprise's records: the importer confirms the CN "
    "code of the imported good.",
    "The carbon price columns and the alloy composition columns are to be completed by the "
    "installation (the dataset holds no such figures).",
)


@cache
def goods() -> tuple[dict[str, str], ...]:
    """The Annex I headings (``data/cbam_goods.csv``), longest prefix first."""
    text = resources.files(__package__).joinpath("data", "cbam_goods.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    return tuple(sorted(rows, key=lambda r: -len(r["cn_prefix"])))


def annex_i(cn_code: str | None) -> dict[str, str] | None:
    """Find the Annex I heading a CN code falls under, else ``None``."""
    code = (cn_code or "").replace(" ", "").replace(".", "")
    for row in goods():
        if code.startswith(row["cn_prefix"]):
            return row
    return None


def document(doc: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """Build the CBAM communication of the assessment ``doc`` (``source`` names it)."""
    fp = doc["product_footprint"]
    carbon = doc["metrics"]["unit_product_carbon_intensity"]["detail"]
    grid = carbon["grid_factor_kgco2_per_kwh"]  # kg/kWh = t/MWh
    grid_source = carbon.get("grid_factor_source") or ""
    lines = fp["metal"]
    goods_rows, outside, to_complete = [], [], []
    for sku, v in fp["by_sku"].items():
        heading = annex_i(v.get("cn_code"))
        good_t = v["good_mass_t"]
        direct_own = v["scope12_location_t"] - v["electricity_t"]
        indirect_own = v["electricity_t"]
        group = _FAMILY.get(v.get("material") or "")
        precursors, missing = [], []
        for x in lines:
            if x["group"] != group or not v["metal_share"]:
                continue
            t = x["mass_t"] * v["metal_share"]
            if x["form"] == "purchased_scrap":
                d = i = 0.0
            elif x["declared"]:
                d, i = x["direct_tco2e_per_t"], x["indirect_tco2e_per_t"]
            else:
                missing.append({**_precursor(x, t), "to_complete": True})
                continue
            precursors.append({**_precursor(x, t), "see_direct": d, "see_indirect": i})
        direct = direct_own + sum(p["mass_t"] * p["see_direct"] for p in precursors)
        indirect = indirect_own + sum(p["mass_t"] * p["see_indirect"] for p in precursors)
        scrap_t = sum(p["mass_t"] for p in precursors if p["form"] == "purchased_scrap")
        row = {
            "sku": sku,
            "product_name": v.get("name_en") or v.get("name"),
            "cn_code": v.get("cn_code"),
            "good_mass_t": good_t,
            "attributed_direct_t": direct_own,
            "attributed_indirect_t": indirect_own,
            "electricity_mwh": v["electricity_mwh"],
            "precursors": precursors,
            "see_direct": direct / good_t if good_t > 0 else None,
            "see_indirect": indirect / good_t if good_t > 0 else None,
            "see_total": (direct + indirect) / good_t if good_t > 0 else None,
            "embedded_electricity_mwh_per_t": v["electricity_mwh"] / good_t if good_t else None,
            "scrap_t_per_t": scrap_t / good_t if good_t > 0 else None,
            "share_default": 0.0,
        }
        if heading is None:
            status = "outside CBAM Annex I"
            if missing:
                status += " (incomplete: precursor values missing)"
            outside.append({**row, "status": status})
        elif missing or good_t <= 0:
            to_complete.append(
                {
                    **row,
                    "aggregated_good": heading["aggregated_good"],
                    "cn_name": heading["cn_name"],
                    "missing_precursors": missing,
                }
            )
        else:
            goods_rows.append(
                {
                    **row,
                    "aggregated_good": heading["aggregated_good"],
                    "cn_name": heading["cn_name"],
                    "production_process": f"{heading['aggregated_good']} (casting)",
                }
            )
    site = fp["site"]
    elec_t = sum(v["electricity_t"] for v in fp["by_sku"].values())
    heat_gj = max(0.0, carbon.get("heat_net_gj") or 0.0)  # heat bought, net of heat sold
    heat_t = max(0.0, site["scope2_location_t"] - elec_t)
    enterprise, period = doc["enterprise"], doc["period"]
    return {
        "schema": SCHEMA,
        "assessment": source,
        "installation": {
            "reporting_period_start": period["start"],
            "reporting_period_end": period["end"],
            "name": enterprise["name"],
            "name_en": enterprise.get("name_en"),
            "country": "CN",
            "province": enterprise.get("province"),
            "economic_activity": enterprise.get("sector"),
            "aggregated_goods": sorted({g["aggregated_good"] for g in goods_rows}),
            "purchased_precursors": [
                {"form": x["form"], "supplier": x["supplier"], "country": x["country"]}
                for x in lines
                if x["group"] in _FAMILY.values()
            ],
            "to_complete": [
                "street",
                "postcode",
                "city",
                "UN/LOCODE",
                "latitude and longitude of the main emission source",
            ],
        },
        "processes": _processes(goods_rows, grid, grid_source, heat_gj, heat_t),
        "goods": goods_rows,
        "to_complete": to_complete,
        "outside_annex_i": outside,
        "electricity_factor_tco2_per_mwh": grid,
        "electricity_factor_source": grid_source,
        "counts_in_declaration": "direct",
        "notes": list(_NOTES),
    }


def _precursor(x: dict[str, Any], mass_t: float) -> dict[str, Any]:
    return {
        "form": x["form"],
        "supplier": x["supplier"],
        "country": x["country"],
        "mass_t": mass_t,
        "evidence": x["source"] if x["declared"] else "",
    }


def _processes(
    goods_rows: list[dict[str, Any]], grid: float, grid_source: str, heat_gj: float, heat_t: float
) -> list[dict[str, Any]]:
    """One production process per aggregated good (D_Processes)."""
    out = []
    for good in sorted({g["aggregated_good"] for g in goods_rows}):
        rows = [g for g in goods_rows if g["aggregated_good"] == good]
        out.append(
            {
                "production_process": f"{good} (casting)",
                "activity_level_t": sum(g["good_mass_t"] for g in rows),
                "directly_attributable_emissions_t": sum(g["attributed_direct_t"] for g in rows),
                "electricity_mwh": sum(g["electricity_mwh"] for g in rows),
                "electricity_factor_tco2_per_mwh": grid,
                "electricity_factor_source": grid_source,
                "measurable_heat_bought_tj": heat_gj / 1000.0,
                "heat_factor_tco2_per_tj": heat_t / (heat_gj / 1000.0) if heat_gj > 0 else None,
            }
        )
    return out


def write(out: Path, doc: dict[str, Any], source: dict[str, Any]) -> list[Path]:
    """Write ``cbam-communication.xlsx`` and ``.json`` into ``out``."""
    comm = document(doc, source)
    wb = Workbook()
    summary = wb.active
    summary.title = "Summary_Communication"
    _rows(summary, list(SUMMARY_COLUMNS), [_summary_row(g, comm) for g in comm["goods"]])
    inst = comm["installation"]
    _rows(
        wb.create_sheet("A_InstData"),
        ["Item", "Value"],
        [
            ["Reporting period start", inst["reporting_period_start"]],
            ["Reporting period end", inst["reporting_period_end"]],
            ["Installation name", inst["name"]],
            ["Installation name (English)", inst["name_en"]],
            ["Country", inst["country"]],
            ["Province", inst["province"]],
            ["Economic activity", inst["economic_activity"]],
            ["Aggregated goods categories", ", ".join(inst["aggregated_goods"])],
            *(
                [f"Purchased precursor {i + 1}", f"{p['form']}, {p['supplier']}, {p['country']}"]
                for i, p in enumerate(inst["purchased_precursors"])
            ),
            *([item, "to complete"] for item in inst["to_complete"]),
        ],
    )
    _rows(
        wb.create_sheet("D_Processes"),
        [
            "Production process",
            "Activity level (t)",
            "Directly attributable emissions (tCO2e)",
            "Electricity (MWh)",
            "Electricity EF (tCO2/MWh)",
            "Source for electricity EF",
            "Measurable heat bought (TJ)",
            "Heat EF (tCO2/TJ)",
        ],
        [list(p.values()) for p in comm["processes"]],
    )
    _rows(
        wb.create_sheet("E_PurchPrec"),
        [
            "Product",
            "Precursor",
            "Supplier",
            "Country of origin",
            "Tonnes",
            "SEE direct (tCO2e/t)",
            "SEE indirect (tCO2e/t)",
            "Values",
            "Evidence",
        ],
        [
            [
                g["sku"],
                p["form"],
                p["supplier"],
                p["country"],
                p["mass_t"],
                p.get("see_direct"),
                p.get("see_indirect"),
                "to complete"
                if p.get("to_complete")
                else ("zero (scrap)" if p["form"] == "purchased_scrap" else "measured"),
                p["evidence"],
            ]
            for g in (*comm["goods"], *comm["to_complete"])
            for p in (*g["precursors"], *g.get("missing_precursors", []))
        ],
    )
    _rows(
        wb.create_sheet("To_complete"),
        ["Product", "CN Codes", "Type of aggregated good", "What is missing"],
        [
            [
                g["sku"],
                g["cn_code"],
                g["aggregated_good"],
                "; ".join(
                    f"SEE of {p['form']} from {p['supplier']} ({p['country']}): the supplier's "
                    "values or the default values of Implementing Regulation (EU) 2025/2621"
                    for p in g["missing_precursors"]
                )
                or "good output in the period",
            ]
            for g in comm["to_complete"]
        ],
    )
    _rows(
        wb.create_sheet("Outside_Annex_I"),
        [
            "Product",
            "CN Codes",
            "Status",
            "Embedded emissions direct (tCO2e/t)",
            "Embedded emissions indirect (tCO2e/t)",
            "Embedded emissions total (tCO2e/t)",
        ],
        [
            [
                g["sku"],
                g["cn_code"],
                g["status"],
                g["see_direct"],
                g["see_indirect"],
                g["see_total"],
            ]
            for g in comm["outside_annex_i"]
        ],
    )
    _rows(
        wb.create_sheet("Notes"),
        ["Notes"],
        [[n] for n in comm["notes"]] + [[f"Made from assessment.json sha256 {source['sha256']}"]],
    )
    path = out / FILE
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    tmp.replace(path)
    return [path, write_json(out / JSON_FILE, comm)]


def _summary_row(g: dict[str, Any], comm: dict[str, Any]) -> list[Any]:
    aluminium = g["aggregated_good"] in ("Aluminium products", "Unwrought aluminium")
    return [
        g["production_process"],
        g["aggregated_good"],
        g["cn_code"],
        g["cn_name"],
        g["product_name"],
        g["see_direct"],
        g["see_indirect"],
        g["see_total"],
        "tCO2e/t",
        g["share_default"],
        comm["electricity_factor_source"],
        g["embedded_electricity_mwh_per_t"],
        comm["electricity_factor_tco2_per_mwh"],
        g["scrap_t_per_t"] if aluminium else None,
        None,
        None,
        None,
        None,
        None,
        None,
        None if aluminium else g["scrap_t_per_t"],
        None,
        None,
    ]


def _rows(ws: Any, header: list[str], rows: list[list[Any]]) -> None:
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(r)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, float):
                cell.number_format = "0.000000"
    for i, name in enumerate(header, 1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = min(max(len(name), 12) + 2, 60)
