"""``product-footprints.json``: the product carbon footprint of every SKU of an assessment,
cradle-to-gate (or gate-to-gate, and then it says so), per kg and per piece.

The figures are those of ``assessment.json`` ``product_footprint``
(:mod:`thermaudit.metrics.footprint`), unrounded; this module only shapes them for a buyer:
one record per product with its identity (SKU, names, CN code), the declared units, both
scope 2 bases, the share of primary data and what is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from thermaudit.exports.files import write_json

FILE = "product-footprints.json"
SCHEMA = "thermaudit.product-footprints/1"

#: what each boundary covers, for the reader of the file
BOUNDARY_TEXT = {
    "cradle-to-gate": "the plant's own scope 1 and 2 and the upstream emissions of the metal "
    "bought in the period",
    "gate-to-gate": "the plant's own scope 1 and 2 only: no metal inputs were recorded, so the "
    "upstream emissions of the metal are not included",
}


def document(doc: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """The export document of the assessment ``doc`` (``source`` names it)."""
    fp = doc["product_footprint"]
    products = []
    for sku, v in fp["by_sku"].items():
        products.append(
            {
                "sku": sku,
                "name": v.get("name"),
                "name_en": v.get("name_en"),
                "cn_code": v.get("cn_code"),
                "material": v.get("material"),
                "unit_mass_kg": v["unit_mass_kg"],
                "good_pieces": v["good_qty"],
                "good_mass_t": v["good_mass_t"],
                "kgco2e_per_kg": {
                    "location_based": v["kgco2e_per_kg_location"],
                    "market_based": v["kgco2e_per_kg_market"],
                },
                "kgco2e_per_piece": {
                    "location_based": v["kgco2e_per_piece_location"],
                    "market_based": v["kgco2e_per_piece_market"],
                },
                "tco2e": {
                    "scope1_and_2_location_based": v["scope12_location_t"],
                    "scope1_and_2_market_based": v["scope12_market_t"],
                    "metal_upstream": v["metal_t"],
                    "metal_upstream_from_default_factors": v["metal_default_t"],
                },
                "primary_data_share": v["primary_data_share"],
                "complete": v["complete"],
            }
        )
    notes = [
        f"boundary {fp['boundary']}: {BOUNDARY_TEXT[fp['boundary']]}",
        "allocation by processed mass: line submeters to the products of their line, the "
        "rest of the site and the metal of each material to the products of that material",
        "market-based: scope 2 electricity less retired green electricity certificates",
    ]
    notes += [
        f["message"]
        for f in doc.get("findings", [])
        if f["code"].startswith(("quality.metal.", "quality.footprint."))
    ]
    return {
        "schema": SCHEMA,
        "assessment": source,
        "enterprise": doc["enterprise"],
        "period": doc["period"],
        "boundary": fp["boundary"],
        "standards": fp["standards"],
        "site_tco2e": fp["site"],
        "metal_inputs": fp["metal"],
        "products": products,
        "notes": notes,
    }


def write(out: Path, doc: dict[str, Any], source: dict[str, Any]) -> list[Path]:
    """Write ``product-footprints.json`` into ``out``."""
    return [write_json(out / FILE, document(doc, source))]
