"""Company-level disclosures of one assessment: ESRS E1-5/E1-6 and VSME B3 datapoints (JSON
and an xBRL-JSON rendering of the same facts) and the K-ESG environment figures (a Korean
workbook).

The datapoints are named by their taxonomy element names, and which quantity of the
assessment fills each one is a data file (``data/datapoints.csv``: framework, element,
quantity, unit, label), so that a renamed element (revised ESRS apply from FY2027) is a data
change. The quantities come from ``assessment.json``: ``energy_use`` (MWh by source,
:mod:`thermaudit.metrics.energy_use`) and the carbon metric's scope 1 and 2 [tCO2e].

Never guessed:

* an intensity per revenue needs ``enterprise.net_revenue`` in ``site.yaml``: without it the
  datapoint is listed under ``not_reported`` with the reason;
* the assessment covers scope 1 and 2: ESRS's scope 3 and totals that include scope 3 are
  ``not_reported`` (the footprint export carries the metal's upstream emissions per product);
* a figure resting on a default (the grid's generation mix, the fossil heat assumption) lists
  it under ``defaults``.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from thermaudit.errors import InvalidAssessment, Problem
from thermaudit.exports.files import write_json
from thermaudit.report.labels import translated

ESRS_FILE = "esrs-e1.json"
VSME_FILE = "vsme-b3.json"
ESRS_XBRL = "esrs-e1.xbrl.json"
VSME_XBRL = "vsme-b3.xbrl.json"
KESG_FILE = "k-esg.xlsx"
SCHEMA = "thermaudit.disclosure/1"

#: the taxonomies, as the reference names them (entry points to be checked before filing)
TAXONOMIES = {
    "esrs": {
        "name": "EFRAG ESRS XBRL taxonomy 2023-12-22 (ESRS E1-5 energy, E1-6 GHG)",
        "prefix": "esrs",
        "namespace": "https://xbrl.efrag.org/taxonomy/esrs/2023-12-22",
    },
    "vsme": {
        "name": "EFRAG VSME XBRL taxonomy 2025-07-30 (basic module B3), Commission "
        "Recommendation (EU) 2025/1710",
        "prefix": "vsme",
        "namespace": "https://xbrl.efrag.org/taxonomy/vsme/2025-07-30",
    },
}

#: why a quantity is not reported
NOT_REPORTED = {
    "revenue": "needs the net revenue of the period (site.yaml enterprise.net_revenue)",
    "scope3": "scope 3 is not assessed (the product footprint export carries the upstream "
    "emissions of the metal per product)",
}
#: the energy split rests on these defaults
_SPLIT_DEFAULTS = ("grid generation mix", "purchased heat and steam counted as fossil")


@cache
def datapoints() -> tuple[dict[str, str], ...]:
    """Rows of ``data/datapoints.csv``."""
    raw = resources.files(__package__).joinpath("data", "datapoints.csv").read_text("utf-8")
    return tuple(csv.DictReader(raw.splitlines()))


def _needs(doc: dict[str, Any], key: str, expected: str) -> Any:
    value = doc.get(key)
    if value is None:
        raise InvalidAssessment(
            Problem("assessment.json", None, key, expected, "none (made by an older thermaudit)")
        )
    return value


def quantities(doc: dict[str, Any]) -> dict[str, tuple[float | None, str | None, tuple[str, ...]]]:
    """Every quantity a datapoint may name: ``(value, reason not reported, defaults used)``."""
    use = _needs(doc, "energy_use", "an assessment with the energy use in MWh (thermaudit 0.1)")
    carbon = doc["metrics"]["unit_product_carbon_intensity"]["detail"]
    revenue = (doc.get("enterprise") or {}).get("net_revenue")
    amount = float(revenue["amount"]) if revenue and revenue.get("amount") else None
    s1 = carbon.get("scope1_t")
    s2l, s2m = carbon.get("scope2_location_t"), carbon.get("scope2_market_t")
    s12 = None if s1 is None or s2l is None else s1 + s2l
    split = tuple(_SPLIT_DEFAULTS)
    fuels = use["fuels_mwh"]
    q: dict[str, tuple[float | None, str | None, tuple[str, ...]]] = {
        "energy.total": (use["total_mwh"], None, ()),
        "energy.total_tj": (use["total_mwh"] * 0.0036, None, ()),
        "energy.fossil": (use["fossil_mwh"], None, split),
        "energy.nuclear": (use["nuclear_mwh"], None, split),
        "energy.renewable": (use["renewable_mwh"], None, split),
        "energy.renewable_share": (use["renewable_pct"], None, split),
        "energy.fuel_coal": (fuels["coal"], None, ()),
        "energy.fuel_oil": (fuels["oil"], None, ()),
        "energy.fuel_gas": (fuels["natural_gas"], None, ()),
        "energy.fuel_other_fossil": (fuels["other_fossil"], None, ()),
        "energy.fuel_renewable": (use["fuels_renewable_mwh"], None, ()),
        "energy.fuels": (fuels["total"], None, ()),
        "energy.electricity": (use["electricity_total_mwh"], None, ()),
        "energy.purchased_renewable": (use["electricity_purchased_renewable_mwh"], None, split),
        "energy.self_generated_renewable": (
            use["electricity_self_generated_renewable_mwh"],
            None,
            (),
        ),
        "ghg.scope1": (s1, None, ()),
        "ghg.scope2_location": (s2l, None, ()),
        "ghg.scope2_market": (s2m, None, ()),
        "ghg.scope12_location": (s12, None, ()),
        "ghg.scope3": (None, NOT_REPORTED["scope3"], ()),
        "ghg.total": (None, NOT_REPORTED["scope3"], ()),
        "ghg.total_location_per_revenue": (None, NOT_REPORTED["scope3"], ()),
        "ghg.total_market_per_revenue": (None, NOT_REPORTED["scope3"], ()),
    }
    per = {
        "energy.per_revenue": (use["total_mwh"], 1.0),
        "energy.per_revenue_million": (use["total_mwh"], 1e6),
        "ghg.scope12_location_per_revenue": (s12, 1.0),
        "ghg.scope12_location_per_revenue_million": (s12, 1e6),
    }
    for key, (num, scale) in per.items():
        if amount is None or num is None:
            q[key] = (None, NOT_REPORTED["revenue"], ())
        else:
            q[key] = (num / amount * scale, None, ())
    return q


def facts(doc: dict[str, Any], framework: str) -> dict[str, Any]:
    """The datapoints of ``framework`` (``esrs``, ``vsme`` or ``kesg``) of assessment ``doc``:
    ``reported`` (element, value, unit, label, defaults) and ``not_reported`` (with why)."""
    q = quantities(doc)
    currency = ((doc.get("enterprise") or {}).get("net_revenue") or {}).get("currency", "")
    reported, missing = [], []
    for row in datapoints():
        if row["framework"] != framework:
            continue
        value, why, defaults = q[row["quantity"]]
        unit = row["unit"].replace("revenue", currency)
        item = {
            "element": row["element"],
            "quantity": row["quantity"],
            "label": row["label"],
            "labels": {"en": row["label"], "zh": row["label_zh"], "ko": row["label_ko"]},
            "unit": unit,
        }
        if value is None:
            missing.append({**item, "reason": why})
        else:
            reported.append({**item, "value": value, "defaults": list(defaults)})
    return {"reported": reported, "not_reported": missing}


def _document(
    doc: dict[str, Any], source: dict[str, Any], framework: str, extra: dict[str, Any]
) -> dict[str, Any]:
    use = _needs(doc, "energy_use", "an assessment with the energy use in MWh (thermaudit 0.1)")
    tax = TAXONOMIES[framework]
    f = facts(doc, framework)
    for item in f["reported"] + f["not_reported"]:
        item["element"] = f"{tax['prefix']}:{item['element']}"
        del item["labels"], item["quantity"]
    return {
        "schema": SCHEMA,
        "framework": tax["name"],
        "assessment": source,
        "enterprise": doc["enterprise"],
        "period": doc["period"],
        **extra,
        "datapoints": f["reported"],
        "not_reported": f["not_reported"],
        "basis": {
            "energy": "energy content of each meter's net quantity in the period (electricity "
            "3.6 MJ/kWh, natural gas by its net calorific value, other fuels by GB/T 2589), "
            "in MWh",
            "scope2": "location-based: the regional grid factor; market-based: less the "
            "energy attribute certificates retired for the period",
            "grid_mix": use["grid_mix"],
            "assumptions": use["assumptions"],
            "certificate_schemes": use["certificate_schemes"],
        },
    }


def _xbrl(document: dict[str, Any], framework: str) -> dict[str, Any]:
    """An xBRL-JSON (OIM) rendering of the reported datapoints: one fact per datapoint, the
    entity by its unified social credit code, the period as a duration."""
    tax = TAXONOMIES[framework]
    start = dt.date.fromisoformat(document["period"]["start"])
    end = dt.date.fromisoformat(document["period"]["end"]) + dt.timedelta(days=1)
    entity = f"uscc:{document['enterprise']['credit_code']}"
    out: dict[str, Any] = {}
    for n, d in enumerate(document["datapoints"], start=1):
        value, unit = d["value"], d["unit"]
        dims = {
            "concept": d["element"],
            "entity": entity,
            "period": f"{start.isoformat()}T00:00:00/{end.isoformat()}T00:00:00",
        }
        if unit == "%":  # a percentage is a pure ratio in XBRL
            value, dims["unit"] = value / 100.0, "xbrli:pure"
        else:
            num, _, den = unit.partition("/")
            dims["unit"] = f"utr:{num}" + (f"/iso4217:{den}" if den else "")
        out[f"f{n}"] = {"value": repr(float(value)), "dimensions": dims}
    return {
        "documentInfo": {
            "documentType": "https://xbrl.org/2021/xbrl-json",
            "namespaces": {
                tax["prefix"]: tax["namespace"],
                "uscc": "urn:cn:uscc",
                "utr": "http://www.xbrl.org/2009/utr",
                "iso4217": "http://www.xbrl.org/2003/iso4217",
                "xbrli": "http://www.xbrl.org/2003/instance",
            },
            "taxonomy": [tax["namespace"]],
        },
        "facts": out,
    }


def write_esrs(out: Path, doc: dict[str, Any], source: dict[str, Any]) -> list[Path]:
    """``esrs-e1.json`` and ``esrs-e1.xbrl.json``."""
    document = _document(doc, source, "esrs", {})
    return [
        write_json(out / ESRS_FILE, document),
        write_json(out / ESRS_XBRL, _xbrl(document, "esrs")),
    ]


def write_vsme(out: Path, doc: dict[str, Any], source: dict[str, Any]) -> list[Path]:
    """``vsme-b3.json`` (with the renewable / non-renewable breakdown of B3) and
    ``vsme-b3.xbrl.json``."""
    use = _needs(doc, "energy_use", "an assessment with the energy use in MWh (thermaudit 0.1)")
    elec_ren = (
        use["electricity_purchased_renewable_mwh"]
        + (use["electricity_self_generated_renewable_mwh"])
    )
    breakdown = {
        "electricity": {
            "renewable_mwh": elec_ren,
            "non_renewable_mwh": use["electricity_total_mwh"] - elec_ren,
        },
        "fuels": {
            "renewable_mwh": use["fuels_renewable_mwh"],
            "non_renewable_mwh": use["fuels_mwh"]["total"] - use["fuels_renewable_mwh"],
        },
        "heat_and_steam": {
            "renewable_mwh": 0.0,
            "non_renewable_mwh": use["heat_steam_purchased_mwh"],
        },
        "total": {
            "renewable_mwh": use["renewable_mwh"],
            "non_renewable_mwh": use["total_mwh"] - use["renewable_mwh"],
        },
    }
    document = _document(doc, source, "vsme", {"energy_breakdown": breakdown})
    return [
        write_json(out / VSME_FILE, document),
        write_json(out / VSME_XBRL, _xbrl(document, "vsme")),
    ]


_HEAD = Font(bold=True, color="1F3A5F")
_FILL = PatternFill("solid", fgColor="E8EEF5")
_DEFAULT_KO = {
    "grid generation mix": "전력망 발전원 구성(기본값)",
    "purchased heat and steam counted as fossil": "구입 열·증기는 화석 에너지로 간주",
}
#: what each K-ESG figure covers, in Korean
_KESG_NOTE = {
    "energy.total": "전력·연료·열의 열량 환산 합계",
    "energy.total_tj": "총 에너지 사용량의 열량 환산",
    "energy.renewable": "재생에너지 인증서 전력, 자가 발전, 전력망 재생에너지 비중 포함",
    "energy.renewable_share": "총 에너지 사용량 중 재생에너지 비율",
    "ghg.scope1": "직접 배출량",
    "ghg.scope2_location": "간접 배출량(전력망 평균 배출계수)",
    "ghg.scope2_market": "간접 배출량(재생에너지 인증서 반영)",
    "ghg.scope12_location": "직접·간접 배출량 합계(위치 기반)",
    "energy.per_revenue_million": "매출액 백만 단위당 에너지 사용량",
    "ghg.scope12_location_per_revenue_million": "매출액 백만 단위당 Scope 1+2 배출량(위치 기반)",
}
_REASON_KO = {
    NOT_REPORTED["revenue"]: "기간 매출액(site.yaml 의 순매출액)이 없어 산정하지 않음",
    NOT_REPORTED["scope3"]: "Scope 3 는 평가 범위 밖",
}


def write_kesg(out: Path, doc: dict[str, Any], source: dict[str, Any]) -> list[Path]:
    """``k-esg.xlsx``: the K-ESG environment figures a Korean buyer asks a supplier for, in
    Korean and named by item name (the guideline's item numbers are not confirmed)."""
    f = facts(doc, "kesg")
    ent = doc["enterprise"]
    wb = Workbook()
    ws = wb.active
    ws.title = "K-ESG 환경"
    ws.append(["항목", "값", "단위", "설명", "기본값 사용"])
    for c in ws[1]:
        c.font, c.fill = _HEAD, _FILL
        c.alignment = Alignment(wrap_text=True)
    for d in f["reported"]:
        ws.append(
            [
                d["element"],
                d["value"],
                d["unit"].replace("million ", "백만 "),
                _KESG_NOTE[d["quantity"]],
                ", ".join(_DEFAULT_KO[x] for x in d["defaults"]),
            ]
        )
        ws.cell(ws.max_row, 2).number_format = "#,##0.000"
    for d in f["not_reported"]:
        ws.append(
            [
                d["element"],
                None,
                d["unit"].replace("million ", "백만 "),
                _KESG_NOTE[d["quantity"]],
                _REASON_KO[d["reason"]],
            ]
        )
    ws.append([])
    ws.append(
        [
            "온실가스 배출량 검증",
            "해당 없음",
            None,
            "본 수치는 에너지 진단 평가 결과이며 제3자 온실가스 검증(ISO 14064-3)이 아님",
            None,
        ]
    )
    info = wb.create_sheet("기본 정보")
    rows = [
        ["회사명", ent.get("name")],
        ["회사명(영문)", ent.get("name_en")],
        ["통일사회신용코드", ent.get("credit_code")],
        ["평가 기간", f"{doc['period']['start']} – {doc['period']['end']}"],
        ["전력망 발전원 구성 출처", translated(doc["energy_use"]["grid_mix"]["source"]).ko],
        ["평가 결과 파일(SHA-256)", source["sha256"]],
    ]
    for r in rows:
        info.append(r)
    for sheet, widths in ((ws, (34, 16, 18, 60, 40)), (info, (26, 90))):
        for i, w in enumerate(widths):
            sheet.column_dimensions[chr(ord("A") + i)].width = w
    wb.properties.title = f"K-ESG — {ent.get('name')}"
    wb.properties.creator = "thermaudit"
    wb.properties.language = "ko-KR"
    tmp = out / (KESG_FILE + ".tmp")
    wb.save(tmp)
    tmp.replace(out / KESG_FILE)
    return [out / KESG_FILE]
