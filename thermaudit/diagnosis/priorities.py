"""Export priorities: which SKUs to work on first for the markets that ask for energy and
carbon figures, and when each product certificate's renewal needs them.

SKU ranking
    score = exposure × (½ · energy intensity / site energy intensity
    + ½ · carbon intensity / site carbon intensity); highest first. Exposure = Σ of the
    weights (:data:`MARKET_WEIGHTS`) of the distinct markets the SKU is sold to (site.yaml
    ``products[].markets`` and the ``customers`` table) + :data:`CLAUSE_WEIGHT` per customer
    whose contract has an energy or carbon clause for the SKU.
Carbon per SKU
    E of each carrier is shared among SKUs as the assessment shares E (line submeters to the
    line's SKUs, the rest by processed mass); each carrier's share carries the carrier's
    emissions per kgce (electricity: location-based scope 2; fuels: their scope 1). The SKU
    emissions add up to scope 1 + scope 2 (location).
Certification plan
    Relative to ``as_of`` (default: the period end): renewal before ``as_of`` → ``overdue``;
    within 12 months → ``urgent``; from 12 up to and including 24 months → ``plan``; later →
    ``monitor``. A certificate not ``monitor`` whose product figures (metrics
    ``unit_product_energy`` and ``unit_product_carbon_intensity``) are not qualified, or whose
    SKU made nothing in the period, carries a warning (naming the figures as the
    specification names them, in zh, en and ko).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from thermaudit.dataset.site import Site
from thermaudit.metrics.assess import Assessment
from thermaudit.metrics.energy import EnergyBalance, allocate, energy_balance
from thermaudit.metrics.spec import load_spec

__all__ = [
    "CBAM_CN_PREFIXES",
    "CLAUSE_WEIGHT",
    "LEAD_TIME_MONTHS",
    "MARKET_WEIGHTS",
    "REQUIRED_METRICS",
    "add_months",
    "certification_plan",
    "sku_carbon",
    "sku_priorities",
]

#: weight of a market in the exposure of a SKU, with its rationale
MARKET_WEIGHTS: dict[str, tuple[float, str]] = {
    "EU": (
        2.0,
        "EU buyers ask for product carbon data (CSRD scope 3 reporting, Battery Regulation); "
        "3.0 when the CN code is in CBAM Annex I (see CBAM_CN_PREFIXES)",
    ),
    "UK": (
        1.5,
        "UK buyers ask for carbon data; 2.5 when the CN code is covered by the UK CBAM "
        "planned from 2027 on aluminium, iron and steel (check)",
    ),
    "KR": (1.5, "Korean OEM buyers' supply-chain carbon and ESG questionnaires (check)"),
    "ASEAN": (1.0, "carbon pricing emerging (Singapore carbon tax, Indonesia ETS) (check)"),
    "US": (1.0, "no border carbon price; OEM scope 3 requests"),
    "CN": (0.5, "national ETS does not cover die casting yet; this report is the driver"),
    "other": (0.5, "unknown exposure"),
}
#: extra weight of a CBAM-covered product on the EU and UK markets
CBAM_BONUS = 1.0
#: weight of each customer with an energy or carbon clause for the SKU
CLAUSE_WEIGHT = 1.0
#: CN code prefixes of CBAM Annex I aluminium and iron and steel goods
CBAM_CN_PREFIXES: tuple[str, ...] = (
    *("7601", "7603", "7604", "7605", "7606", "7607", "7608", "7609", "7610", "7611"),
    *("7612", "7613", "7614", "7616"),
    "72",
    *("7301", "7302", "7303", "7304", "7305", "7306", "7307", "7308", "7309", "7310"),
    *("7311", "7318", "7326"),
)
CBAM_SOURCE = "Regulation (EU) 2023/956 (CBAM), Annex I, aluminium and iron and steel (check)"
#: metrics a certificate renewal file needs qualified
REQUIRED_METRICS = ("unit_product_energy", "unit_product_carbon_intensity")
#: lead times before a renewal is due [months]: a year of qualified data, verification,
#: the file (engineering judgement, check with the certification body)
LEAD_TIME_MONTHS = {"collect_data_from": 16, "verify_by": 4, "submit_by": 1}


def cbam_covered(cn_code: str | None) -> bool:
    return bool(cn_code) and str(cn_code).startswith(CBAM_CN_PREFIXES)


def add_months(d: dt.date, months: int) -> dt.date:
    """``d`` moved by whole months, the day clamped to the month's last day
    (2024-02-29 + 12 months = 2025-02-28)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(d.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- carbon per SKU


def sku_carbon(assessment: Assessment, site: Site) -> dict[str, float]:
    """Emissions of each SKU over the period [tCO2e] (scope 1 + location-based scope 2)."""
    output = assessment.facts.get("output") or {}
    if not output:
        return {}
    coef = assessment.coefficients
    bal = energy_balance(site, assessment.consumption, coef, site.options.electricity_basis)
    carbon = assessment.document["metrics"]["unit_product_carbon_intensity"]["detail"]
    per_carrier_t: dict[str, float] = {"electricity": float(carbon.get("scope2_location_t") or 0)}
    for fuel, t in (carbon.get("scope1_by_fuel_t") or {}).items():
        per_carrier_t[fuel] = float(t)
    out = {sku: 0.0 for sku in output}
    for carrier, t in per_carrier_t.items():
        kgce = bal.by_carrier.get(carrier, 0.0)
        if not t or kgce <= 0:
            continue
        only = EnergyBalance(
            bal.basis,
            kgce,
            {carrier: kgce},
            bal.by_role,
            {m.id: (bal.by_meter[m.id] if m.carrier == carrier else 0.0) for m in site.meters},
        )
        share = allocate(site, only, output).by_sku_kgce
        for sku, e in share.items():
            out[sku] += e * t / kgce
    return out


# --------------------------------------------------------------------------- SKU ranking


def _qualified(doc: Mapping[str, Any]) -> dict[str, bool]:
    return {
        mid: bool(((doc["metrics"].get(mid) or {}).get("sufficiency") or {}).get("qualified"))
        for mid in REQUIRED_METRICS
    }


def sku_priorities(
    assessment: Assessment,
    site: Site,
    customers: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """SKUs ranked by energy and carbon intensity weighted by market exposure.

    Parameters
    ----------
    assessment : Assessment
    site : Site
    customers : iterable of mapping
        Rows of the normalized ``customers`` table (``customer``, ``market``, ``sku`` or
        None for every SKU, ``energy_clause`` yes/no, ``clause_text``).

    Returns
    -------
    dict
        ``{"rule", "weights", "site": {...}, "skus": [ranked rows]}``; a row has
        ``energy_kgce_per_t``, ``carbon_tco2e_per_t``, their ratios to the site, the markets,
        the customers with clauses, ``exposure``, ``score`` and ``rank``.
    """
    doc = assessment.document
    by_sku = doc["metrics"]["unit_product_energy"]["detail"].get("by_sku") or {}
    carbon = sku_carbon(assessment, site)
    products = {p.sku: p for p in site.products}
    rows: list[dict[str, Any]] = []
    e_total = sum(float(r["energy_kgce"]) for r in by_sku.values())
    t_total = sum(carbon.values())
    mass_total = sum(float(r["good_mass_t"]) for r in by_sku.values())
    site_e = e_total / mass_total if mass_total > 0 else None
    site_c = t_total / mass_total if mass_total > 0 else None
    customer_rows = list(customers)
    for sku, p in products.items():
        markets: set[str] = set(p.markets)
        clauses: list[dict[str, Any]] = []
        for c in customer_rows:
            if c.get("sku") not in (None, sku):
                continue
            markets.add(str(c["market"]))
            if c.get("energy_clause") == "yes":
                clauses.append(
                    {"customer": c["customer"], "market": c["market"], "text": c.get("clause_text")}
                )
        cbam = cbam_covered(p.cn_code)
        weights = {
            m: MARKET_WEIGHTS.get(m, MARKET_WEIGHTS["other"])[0]
            + (CBAM_BONUS if cbam and m in ("EU", "UK") else 0.0)
            for m in sorted(markets)
        }
        exposure = sum(weights.values()) + CLAUSE_WEIGHT * len(clauses)
        r = by_sku.get(sku)
        mass = float(r["good_mass_t"]) if r else 0.0
        e = float(r["energy_kgce"]) / mass if r and mass > 0 else None
        c_int = carbon.get(sku, 0.0) / mass if mass > 0 else None
        e_rel = e / site_e if e is not None and site_e else None
        c_rel = c_int / site_c if c_int is not None and site_c else None
        score = (
            exposure * (0.5 * e_rel + 0.5 * c_rel)
            if e_rel is not None and c_rel is not None
            else None
        )
        rows.append(
            {
                "sku": sku,
                "name": {"zh": p.name, "en": p.name_en or p.name, "ko": p.name_en or p.name},
                "cn_code": p.cn_code,
                "cbam_covered": cbam,
                "markets": sorted(markets),
                "market_weights": weights,
                "customers_with_clause": clauses,
                "good_mass_t": mass,
                "energy_kgce_per_t": e,
                "carbon_tco2e_per_t": c_int,
                "energy_ratio": e_rel,
                "carbon_ratio": c_rel,
                "exposure": exposure,
                "score": score,
            }
        )
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0.0), r["sku"]))
    for i, r in enumerate(rows, start=1):
        r["rank"] = i
    return {
        "rule": (
            "score = exposure × (0.5 × energy intensity / site + 0.5 × carbon intensity / "
            "site); exposure = Σ market weights + 1 per customer with an energy clause"
        ),
        "weights": {
            **{m: {"weight": w, "why": why} for m, (w, why) in MARKET_WEIGHTS.items()},
            "cbam_bonus": {"weight": CBAM_BONUS, "why": CBAM_SOURCE},
            "energy_clause": {"weight": CLAUSE_WEIGHT, "why": "per customer with a clause"},
        },
        "site": {
            "energy_kgce_per_t": site_e,
            "carbon_tco2e_per_t": site_c,
            "qualified": _qualified(doc),
        },
        "skus": rows,
    }


# --------------------------------------------------------------------------- certificates


def _status(due: dt.date, as_of: dt.date) -> str:
    if due < as_of:
        return "overdue"
    if due < add_months(as_of, 12):
        return "urgent"
    if due <= add_months(as_of, 24):
        return "plan"
    return "monitor"


def certification_plan(
    certifications: Iterable[Mapping[str, Any]],
    assessment: Assessment,
    site: Site,
    *,
    as_of: dt.date | None = None,
) -> dict[str, Any]:
    """The lead-time plan of the product certificates, soonest renewal first.

    Parameters
    ----------
    certifications : iterable of mapping
        Rows of the normalized ``certifications`` table (``scheme``, ``sku``,
        ``certificate_no``, ``renewal_due`` as a date, ``body``, ``_row``).
    as_of : datetime.date, optional
        The date the plan is made on; default the period end.
    """
    ref = as_of or site.period.end
    qualified = _qualified(assessment.document)
    spec = load_spec(assessment.document.get("specification"))
    # a warning names the figures in the reader's words, never by their ids
    names = {
        m: {
            "zh": spec.metric(m).name_zh,
            "en": spec.metric(m).name_en,
            "ko": spec.metric(m).name_ko,
        }
        for m in REQUIRED_METRICS
    }
    by_sku = assessment.document["metrics"]["unit_product_energy"]["detail"].get("by_sku") or {}
    items = []
    for c in certifications:
        due: dt.date = c["renewal_due"]
        status = _status(due, ref)
        sku = c["sku"]
        made = sku in by_sku and float(by_sku[sku].get("good_mass_t") or 0) > 0
        missing = [names[m] for m, ok in qualified.items() if not ok]
        warnings: list[dict[str, str]] = []
        if status != "monitor":
            if missing:
                warnings.append(
                    {
                        "zh": f"{c['scheme']} {c['certificate_no']}（{sku}）将于 {due} 到期换证，"
                        f"所需数据不充分：{'、'.join(n['zh'] for n in missing)}",
                        "en": f"{c['scheme']} {c['certificate_no']} ({sku}) renewal due "
                        f"{due}: required figures not qualified: "
                        f"{', '.join(n['en'] for n in missing)}",
                        "ko": f"{c['scheme']} {c['certificate_no']}({sku}) 갱신 기한 {due}: "
                        f"필요한 수치의 데이터가 불충분함: {', '.join(n['ko'] for n in missing)}",
                    }
                )
            if not made:
                warnings.append(
                    {
                        "zh": f"{sku} 在评估期内无产量，无法给出产品能耗与碳强度",
                        "en": f"{sku} made nothing in the period: no product energy or carbon "
                        "figure",
                        "ko": f"{sku}: 평가 기간 중 생산 실적이 없어 제품 에너지·탄소 강도를 "
                        "산출할 수 없음",
                    }
                )
        steps = {k: add_months(due, -months).isoformat() for k, months in LEAD_TIME_MONTHS.items()}
        late = [k for k, months in LEAD_TIME_MONTHS.items() if add_months(due, -months) < ref]
        items.append(
            {
                "scheme": c["scheme"],
                "sku": sku,
                "certificate_no": c["certificate_no"],
                "body": c.get("body"),
                "renewal_due": due.isoformat(),
                "months_left": (due.year - ref.year) * 12 + due.month - ref.month,
                "status": status,
                "steps": steps,
                "late_steps": late,
                "warnings": warnings,
                "row": c.get("_row"),
            }
        )
    items.sort(key=lambda x: (x["renewal_due"], x["scheme"], x["certificate_no"]))
    return {
        "as_of": ref.isoformat(),
        "rule": (
            "overdue: due before as_of; urgent: due within 12 months; plan: 12 to 24 months; "
            "monitor: later. Warning when not monitor and "
            + " or ".join(REQUIRED_METRICS)
            + " is not qualified, or the SKU made nothing in the period"
        ),
        "lead_time_months": dict(LEAD_TIME_MONTHS),
        "required_metrics": list(REQUIRED_METRICS),
        "items": items,
    }
