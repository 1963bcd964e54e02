"""The demo plant's commercial tables: ``customers`` (who buys what, with which energy clause)
and ``certifications`` (product certificates and their renewal dates), for the export
priorities of the diagnosis, and ``metal_inputs`` (the metal bought), for the product carbon
footprint. Synthetic: no real customer, certificate or supplier."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import yaml

__all__ = ["write_commerce", "write_metal_inputs"]

#: (customer, market, sku index or None for every SKU, clause)
_CUSTOMERS: tuple[tuple[str, str, int | None, str | None], ...] = (
    (
        "Rhein Automotive GmbH (synthetic)",
        "EU",
        0,
        "yearly product carbon footprint per part (cradle-to-gate, ISO 14067) and CBAM "
        "embedded-emissions data",
    ),
    ("Midlands Pumps Ltd (synthetic)", "UK", 1, "energy per part reported each quarter"),
    ("Hanbit Motors Co. (synthetic)", "KR", 2, "supplier ESG questionnaire with scope 1 and 2"),
    ("Saigon Components JSC (synthetic)", "ASEAN", None, None),
)

#: (scheme, sku index, renewal months after the period end)
_CERTIFICATES: tuple[tuple[str, int, int], ...] = (
    ("CE", 0, 6),
    ("UKCA", 1, 18),
    ("KC", 2, 30),
)


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    return dt.date(d.year + y, m + 1, min(d.day, 28))


def write_commerce(folder: Path) -> dict[str, int]:
    """Write ``customers.csv`` and ``certifications.csv`` next to the ``site.yaml`` of the demo
    dataset ``folder``; returns the rows written per table.

    The SKUs are taken from site.yaml: first those sold to the EU, then to the UK, then to
    Korea (so the clauses and certificates land on exported products); renewals fall 6, 18
    and 30 months after the period end (one urgent, one to plan, one to monitor).
    """
    site: dict[str, Any] = yaml.safe_load((folder / "site.yaml").read_text("utf-8"))
    products = site["products"]
    end = dt.date.fromisoformat(str(site["period"]["end"]))

    def pick(market: str, fallback: int) -> str:
        for p in products:
            if market in (p.get("markets") or []):
                return str(p["sku"])
        return str(products[fallback % len(products)]["sku"])

    skus = [pick("EU", 0), pick("UK", 1), pick("KR", 2)]
    with (folder / "customers.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["customer", "market", "sku", "energy_clause", "clause_text"])
        for name, market, i, clause in _CUSTOMERS:
            w.writerow(
                [
                    name,
                    market,
                    "" if i is None else skus[i],
                    "yes" if clause else "no",
                    clause or "",
                ]
            )
    with (folder / "certifications.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["scheme", "sku", "certificate_no", "issued_on", "renewal_due", "body"])
        for n, (scheme, i, months) in enumerate(_CERTIFICATES, start=1):
            due = _add_months(end, months)
            w.writerow(
                [
                    scheme,
                    skus[i],
                    f"DEMO-{scheme}-{n:04d}",
                    _add_months(due, -60).isoformat(),
                    due.isoformat(),
                    "synthetic certification body",
                ]
            )
    return {"customers": len(_CUSTOMERS), "certifications": len(_CERTIFICATES)}


#: (alloy, form, supplier, share of the month's good mass, declared direct, indirect,
#: evidence): a recycler, a smelter and a master-alloy maker that declare their embedded
#: emissions (as EU importers' CBAM communications need), and a scrap dealer (purchased scrap
#: enters burden-free: the default rule, flagged)
_METAL: tuple[tuple[str, str, str, float, float | None, float | None, str], ...] = (
    (
        "ADC12",
        "secondary_ingot",
        "Nanhai Recycled Aluminium Co. (synthetic)",
        0.74,
        0.35,
        0.48,
        "supplier carbon declaration 2025 (synthetic)",
    ),
    (
        "A356.2",
        "primary_ingot",
        "Baise Smelter Co. (synthetic)",
        0.22,
        1.9,
        11.6,
        "smelter CBAM communication 2025 (synthetic)",
    ),
    ("ADC12", "purchased_scrap", "Foshan Scrap Metals (synthetic)", 0.06, None, None, ""),
    (
        "AlSi20",
        "master_alloy",
        "Hunan Master Alloys (synthetic)",
        0.01,
        2.2,
        11.9,
        "supplier declaration 2025 (synthetic)",
    ),
)


def write_metal_inputs(folder: Path, good_kg_by_month: dict[dt.date, float]) -> dict[str, int]:
    """Write ``metal_inputs.csv``: each month's metal bought, on the month's first day of
    production, in proportion to the month's good mass (1.03 t of metal per t of good
    castings, the melt loss); returns the rows written."""
    rows = 0
    with (folder / "metal_inputs.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "date",
                "material",
                "form",
                "mass_kg",
                "supplier",
                "country",
                "see_direct_tco2_per_t",
                "see_indirect_tco2_per_t",
                "evidence",
            ]
        )
        for day, good_kg in sorted(good_kg_by_month.items()):
            for alloy, form, supplier, share, direct, indirect, evidence in _METAL:
                w.writerow(
                    [
                        day.isoformat(),
                        alloy,
                        form,
                        f"{round(good_kg * 1.03 * share / 25.0) * 25:.0f}",  # 25 kg ingots
                        supplier,
                        "CN",
                        "" if direct is None else f"{direct:g}",
                        "" if indirect is None else f"{indirect:g}",
                        evidence,
                    ]
                )
                rows += 1
    return {"metal_inputs": rows}
