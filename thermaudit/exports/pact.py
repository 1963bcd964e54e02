"""``pact-footprints.json``: the product footprints of an assessment in the PACT data model
(WBCSD PACT Technical Specifications v3.0.3), one ``ProductFootprint`` per SKU, as the web
service's PACT host serves them (:mod:`thermaudit.web.pact`).

The figures are those of ``assessment.json`` ``product_footprint``
(:mod:`thermaudit.metrics.footprint`), per good piece, unrounded, written as PACT decimals
(JSON strings without exponent). Choices this module makes, each stated in the footprint's
``comment`` and in docs/exports.md:

- declared unit: one ``piece`` with ``productMassPerDeclaredUnit`` the SKU's unit mass [kg];
- ``pcfExcludingBiogenicUptake``: the **market-based** footprint (scope 2 electricity less
  retired green electricity certificates), as the PACT Methodology asks for electricity; the
  location-based figure is in the comment. Die castings hold no biogenic carbon, so the
  footprint including biogenic uptake is the same figure and all of it is fossil;
- reference period: the assessment period (its start at 00:00 local time, its end the next
  day at 00:00 local time, the end excluded as PACT reads it);
- ids derived, never random: the footprint ``id`` is a UUIDv5 of the credit code, SKU,
  period and the footprint's figures, so exporting the same assessment again gives the same
  id and a change of any figure gives a new one (PACT 3: a changed footprint is a new
  footprint); the product id is a UUIDv5 of credit code and SKU (``urn:uuid:``), the same in
  every period;
- the company id: the unified social credit code as ``urn:pact:gsxt.gov.cn:uscc:<code>``
  (the PACT custom URN form; no registered namespace exists for the code);
- the CN code, when the SKU has one, as ``urn:pact:taxation-customs.ec.europa.eu:cn:<code>``.

PACT footprints are cradle-to-gate. An SKU is left out, with its reason in the file, when its
footprint is not a complete cradle-to-gate one: a gate-to-gate assessment (no metal inputs),
a metal input without a declaration or a default factor, no good output in the period, or a
cast iron or steel part (whose fossil carbon content the dataset does not hold).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from thermaudit.exports.files import write_json

FILE = "pact-footprints.json"
SCHEMA = "thermaudit.pact-footprints/1"
SPEC_VERSION = "3.0.3"

#: namespace of the ids this module derives (a UUIDv5 of the project's name)
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "pact.thermaudit")

#: PACT names of the standards of :data:`thermaudit.metrics.footprint.STANDARDS`
CROSS_SECTORAL = {
    "ISO 14067:2018": "ISO14067",
    "GHG Protocol Product Standard": "GHGP-Product",
}
#: the plant's own emissions are CO2 only (GWP 1 in every IPCC report); the default metal
#: factors are published as CO2e with the GWP100 of the IPCC's Fifth Assessment Report
#: (International Aluminium Institute, European Aluminium) (check for other sources)
IPCC_FACTORS = ("AR5",)
#: product materials without carbon as an alloying element (fossil carbon content 0)
CARBON_FREE = ("aluminium_alloy", "zinc_alloy", "magnesium_alloy")


def decimal(x: float) -> str:
    """A float as a PACT decimal string, exact to the float's shortest repr, no exponent.

    >>> decimal(1e-7), decimal(2.0), decimal(-0.5)
    ('0.0000001', '2.0', '-0.5')
    """
    text = format(Decimal(repr(float(x))), "f")
    return text if "." in text else text + ".0"


def company_urn(credit_code: str) -> str:
    """The company id URN of a unified social credit code."""
    return f"urn:pact:gsxt.gov.cn:uscc:{credit_code}"


def product_urn(credit_code: str, sku: str) -> str:
    """The product id URN of an SKU of an enterprise: the same in every period."""
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'product|{credit_code}|{sku}')}"


def cn_urn(cn_code: str) -> str:
    """The product classification URN of a CN code."""
    return f"urn:pact:taxation-customs.ec.europa.eu:cn:{cn_code}"


def reference_period(period: dict[str, Any]) -> tuple[str, str]:
    """The reference period of the assessment period as RFC 3339 instants (end excluded)."""
    tz = ZoneInfo(period["timezone"])
    start = dt.datetime.combine(dt.date.fromisoformat(period["start"]), dt.time(), tz)
    end_day = dt.date.fromisoformat(period["end"]) + dt.timedelta(days=1)
    end = dt.datetime.combine(end_day, dt.time(), tz)
    return start.isoformat(), end.isoformat()


def _left_out_reason(fp: dict[str, Any], v: dict[str, Any]) -> str | None:
    if fp["boundary"] != "cradle-to-gate":
        return (
            "gate-to-gate: no metal inputs were recorded, so the upstream emissions of the "
            "metal are not in the footprint; PACT footprints are cradle-to-gate"
        )
    if v["kgco2e_per_piece_market"] is None or v["primary_data_share"] is None:
        return "no good output or no emissions in the period"
    if not v["complete"]:
        return (
            "incomplete: a metal input of its material has neither a supplier declaration "
            "nor a default factor"
        )
    if v["material"] not in CARBON_FREE:
        return "the fossil carbon content of a cast iron or steel part is not in the dataset"
    return None


def _comment(v: dict[str, Any], source: dict[str, Any]) -> str:
    share = v["default_share"] or 0.0
    return (
        "Cradle-to-gate product carbon footprint of one good piece (ISO 14067, GHG Protocol "
        "Product Standard): the plant's scope 1 and 2 allocated by processed mass and the "
        "upstream emissions of the metal bought in the period, allocated by metal consumed; "
        "purchased scrap enters burden-free (recycled content method). "
        "Scope 2 is market-based (electricity less retired green electricity certificates); "
        f"location-based: {decimal(v['kgco2e_per_piece_location'])} kgCO2e per piece. "
        f"Share from default factors: {decimal(share * 100.0)} %. "
        f"Made from assessment.json sha256 {source['sha256']} ({source['schema']})."
    )


#: the decimal fields of a footprint that carry a computed figure
_FIGURES = (
    "pcfExcludingBiogenicUptake",
    "pcfIncludingBiogenicUptake",
    "fossilGhgEmissions",
    "primaryDataShare",
    "productMassPerDeclaredUnit",
)


def footprint(
    doc: dict[str, Any], source: dict[str, Any], sku: str, v: dict[str, Any]
) -> dict[str, Any]:
    """The ``ProductFootprint`` of SKU ``sku`` (its ``by_sku`` entry ``v``) of ``doc``."""
    ent, fp = doc["enterprise"], doc["product_footprint"]
    start, end = reference_period(doc["period"])
    per_piece = decimal(v["kgco2e_per_piece_market"])
    pcf = {
        "declaredUnitOfMeasurement": "piece",
        "declaredUnitAmount": "1.0",
        "productMassPerDeclaredUnit": decimal(v["unit_mass_kg"]),
        "referencePeriodStart": start,
        "referencePeriodEnd": end,
        "geographyCountry": "CN",
        "pcfExcludingBiogenicUptake": per_piece,
        "pcfIncludingBiogenicUptake": per_piece,
        "fossilGhgEmissions": per_piece,
        "fossilCarbonContent": "0.0",
        "ipccCharacterizationFactors": list(IPCC_FACTORS),
        "crossSectoralStandards": [CROSS_SECTORAL[s] for s in fp["standards"]],
        "exemptedEmissionsPercent": "0.0",
        "boundaryProcessesDescription": (
            "die casting plant's fuels, bought heat and electricity, and the production of "
            "the metal bought (primary and secondary ingots, master alloys); excluded: "
            "packaging, transport to the plant, other purchased goods"
        ),
        "packagingEmissionsIncluded": False,
        "primaryDataShare": decimal(v["primary_data_share"] * 100.0),
        "ccsTechnologicalCO2CaptureIncluded": False,
    }
    # the id follows the figures at 9 significant digits, not their last bits: the sums of a
    # parallel engine may differ in the 16th digit from one run to the next, and the same
    # data must keep the same footprint id (a changed figure still gives a new one)
    stable = {k: (f"{float(str(x)):.9g}" if k in _FIGURES else x) for k, x in pcf.items()}
    key = json.dumps(
        [ent["credit_code"], sku, doc["period"], stable], sort_keys=True, ensure_ascii=False
    )
    out: dict[str, Any] = {
        "id": str(uuid.uuid5(NAMESPACE, "footprint|" + key)),
        "specVersion": SPEC_VERSION,
        "created": _rfc3339(doc["generated_at"]),
        "status": "Active",
        "companyName": ent["name"],
        "companyIds": [company_urn(ent["credit_code"])],
        "productDescription": _description(sku, v),
        "productIds": [product_urn(ent["credit_code"], sku)],
        "productNameCompany": v.get("name") or sku,
        "comment": _comment(v, source),
        "pcf": pcf,
    }
    if v.get("cn_code"):
        out["productClassifications"] = [cn_urn(v["cn_code"])]
    return out


def _rfc3339(text: str) -> str:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _description(sku: str, v: dict[str, Any]) -> str:
    name = v.get("name_en") or v.get("name") or sku
    material = str(v["material"]).replace("_", " ")
    return f"{name}: cast part of {material}, {decimal(v['unit_mass_kg'])} kg, SKU {sku}"


def document(doc: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """The PACT file of the assessment ``doc`` (``source`` names it): ``data`` the
    footprints, ``thermaudit`` what they were made from, the SKU of each footprint
    (``products``) and which SKUs are left out, why."""
    fp = doc["product_footprint"]
    data, products, left_out = [], [], []
    for sku, v in fp["by_sku"].items():
        reason = _left_out_reason(fp, v)
        if reason is None:
            pf = footprint(doc, source, sku, v)
            data.append(pf)
            products.append({"sku": sku, "id": pf["id"], "productId": pf["productIds"][0]})
        else:
            left_out.append({"sku": sku, "reason": reason})
    return {
        "data": data,
        "thermaudit": {
            "schema": SCHEMA,
            "assessment": source,
            "boundary": fp["boundary"],
            "scope2_basis": "market-based",
            "products": products,
            "left_out": left_out,
        },
    }


def write(out: Path, doc: dict[str, Any], source: dict[str, Any]) -> list[Path]:
    """Write ``pact-footprints.json`` into ``out``."""
    return [write_json(out / FILE, document(doc, source))]
