"""Export priorities: SKU ranking by intensity × market exposure (worked by hand), the
certificate plan at the edges of its windows, and the contract of the two new tables."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from builders import Plant, hourly

from thermaudit.dataset.reader import normalize
from thermaudit.diagnosis.priorities import (
    add_months,
    cbam_covered,
    certification_plan,
    sku_carbon,
    sku_priorities,
)
from thermaudit.engine import connect
from thermaudit.errors import InvalidDataset
from thermaudit.metrics.assess import Assessment, assess
from thermaudit.metrics.spec import load_spec


def _two_lines() -> Plant:
    """One day. E-MAIN 2,400 kWh; E-L1 (line L1) 1,200 kWh; G-MAIN 240 m3 (default NCV:
    1.2143 kgce/m3, 2.162 kgCO2/m3); grid 0.5 kgCO2/kWh. P-1 (EU, CN code 7616 → CBAM)
    500 × 2 kg on L1; P-2 (CN) 500 × 2 kg on L2."""
    p = Plant()
    p.site["options"] = {"grid_emission_factor_kgco2_per_kwh": 0.5}
    p.site["products"] = [
        {
            "sku": "P-1",
            "name": "壳体",
            "unit_mass_kg": 2.0,
            "material": "aluminium_alloy",
            "cn_code": "7616991090",
            "markets": ["EU"],
        },
        {"sku": "P-2", "name": "支架", "unit_mass_kg": 2.0, "material": "aluminium_alloy"},
    ]
    p.site["products"][1]["markets"] = ["CN"]
    p.meter(id="E-L1", parent="E-MAIN", line="L1")
    p.meter(id="G-MAIN", carrier="natural_gas", unit="m3", role="supply")
    p.rows(
        "readings",
        *hourly("E-MAIN", 0, [100] * 24),
        *hourly("E-L1", 0, [50] * 24),
        *hourly("G-MAIN", 0, [10] * 24),
    )
    p.rows(
        "production",
        {"date": "2025-03-01", "sku": "P-1", "line": "L1", "good_qty": 500, "scrap_qty": 0},
        {"date": "2025-03-01", "sku": "P-2", "line": "L2", "good_qty": 500, "scrap_qty": 0},
    )
    return p


@pytest.fixture(scope="module")
def assessed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Assessment]:
    """The two-line plant, normalized and assessed once for the module."""
    tmp = tmp_path_factory.mktemp("two-lines")
    ds = normalize(_two_lines().write(tmp / "ds"), tmp / "norm")
    return ds, assess(ds, con=connect())


def test_sku_ranking_worked_by_hand(assessed: tuple[Any, Assessment]) -> None:
    """Electricity: E-L1 1,200 kWh to P-1; the other 1,200 kWh and the 240 m3 of gas by
    processed mass (1 t each): P-1 1,800 kWh + 120 m3, P-2 600 kWh + 120 m3.

    energy: P-1 1,800 × 0.1229 + 120 × 1.2143 = 221.22 + 145.716 = 366.936 kgce/t
            P-2   600 × 0.1229 + 145.716 = 219.456 kgce/t; site 293.196 kgce/t
    carbon: P-1 0.9 + 120 × 2.162 / 1000 = 1.15944 t/t; P-2 0.3 + 0.25944 = 0.55944 t/t;
            site 0.85944 t/t (= scope 1 0.51888 + scope 2 1.2 over 2 t)
    exposure: P-1 EU 2 + CBAM 1 + CN 0.5 (customer B buys every SKU) + one customer with
              a clause 1 = 4.5; P-2 CN 0.5 (once, though listed twice)
    score: P-1 4.5 × (0.5 × 1.251504 + 0.5 × 1.349065) = 5.851279
           P-2 0.5 × (0.5 × 0.748496 + 0.5 × 0.650935) = 0.349858
    """
    ds, a = assessed
    carbon = sku_carbon(a, ds.site)
    # rel 1e-9: products and sums of exact decimals
    assert carbon == pytest.approx({"P-1": 1.15944, "P-2": 0.55944}, rel=1e-9)
    d = a.document["metrics"]["unit_product_carbon_intensity"]["detail"]
    assert sum(carbon.values()) == pytest.approx(d["scope1_t"] + d["scope2_location_t"], rel=1e-9)
    customers = [
        {"customer": "A", "market": "EU", "sku": "P-1", "energy_clause": "yes"},
        {"customer": "B", "market": "CN", "sku": None, "energy_clause": "no"},
    ]
    pr = sku_priorities(a, ds.site, customers)
    rows = {r["sku"]: r for r in pr["skus"]}
    assert [r["sku"] for r in pr["skus"]] == ["P-1", "P-2"]
    assert rows["P-1"]["energy_kgce_per_t"] == pytest.approx(366.936, rel=1e-9)
    assert rows["P-2"]["energy_kgce_per_t"] == pytest.approx(219.456, rel=1e-9)
    assert pr["site"]["energy_kgce_per_t"] == pytest.approx(293.196, rel=1e-9)
    assert rows["P-1"]["exposure"] == 4.5
    assert rows["P-1"]["cbam_covered"] is True
    assert rows["P-1"]["markets"] == ["CN", "EU"]  # customer B buys every SKU in CN
    assert rows["P-2"]["exposure"] == 0.5
    # rel 1e-6: the hand values above carry 7 significant digits
    assert rows["P-1"]["score"] == pytest.approx(5.851279, rel=1e-6)
    assert rows["P-2"]["score"] == pytest.approx(0.349858, rel=1e-6)
    assert [c["customer"] for c in rows["P-1"]["customers_with_clause"]] == ["A"]


def test_cbam_codes() -> None:
    assert cbam_covered("7616991090")  # other articles of aluminium: CBAM Annex I
    assert cbam_covered("7325990000") is False  # cast iron articles, 7325: not listed
    assert cbam_covered("8708309990") is False  # vehicle parts
    assert cbam_covered(None) is False


# ----------------------------------------------------------------------------- certificates


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 3, 1), -16) == dt.date(2023, 11, 1)


@pytest.mark.parametrize(
    ("due", "status"),
    [
        ("2025-02-28", "overdue"),  # the day before as_of
        ("2025-03-01", "urgent"),  # due on as_of
        ("2026-02-28", "urgent"),  # the last day before 12 months
        ("2026-03-01", "plan"),  # exactly 12 months
        ("2027-03-01", "plan"),  # exactly 24 months: still in the window
        ("2027-03-02", "monitor"),  # the day after 24 months
    ],
)
def test_certificate_windows_at_their_edges(
    assessed: tuple[Any, Assessment], due: str, status: str
) -> None:
    ds, a = assessed
    cert = {
        "scheme": "CE",
        "sku": "P-1",
        "certificate_no": "X-1",
        "renewal_due": dt.date.fromisoformat(due),
    }
    plan = certification_plan([cert], a, ds.site, as_of=dt.date(2025, 3, 1))
    (item,) = plan["items"]
    assert item["status"] == status


def test_warning_when_required_figures_not_qualified(assessed: tuple[Any, Assessment]) -> None:
    """The same certificates, once with the product figures qualified, once with the carbon
    intensity disqualified: only certificates inside 24 months warn, naming the metric; a
    certificate of a SKU that made nothing warns too."""
    ds, a = assessed
    certs = [
        {"scheme": "CE", "sku": "P-1", "certificate_no": "A", "renewal_due": dt.date(2026, 1, 1)},
        {"scheme": "KC", "sku": "P-1", "certificate_no": "B", "renewal_due": dt.date(2027, 1, 1)},
        {"scheme": "UKCA", "sku": "P-1", "certificate_no": "C", "renewal_due": dt.date(2029, 1, 1)},
    ]
    ok = certification_plan(certs, a, ds.site)
    assert ok["as_of"] == "2025-03-01"  # the period end
    assert [i["warnings"] for i in ok["items"]] == [[], [], []]
    bad = copy.deepcopy(a)
    bad.document["metrics"]["unit_product_carbon_intensity"]["sufficiency"] = {
        "qualified": False,
        "reasons": ["test"],
    }
    plan = certification_plan(certs, bad, ds.site)
    by = {i["certificate_no"]: i for i in plan["items"]}
    assert (by["A"]["status"], by["B"]["status"], by["C"]["status"]) == (
        "urgent",
        "plan",
        "monitor",
    )
    # the figure by its name in each language, never by its id
    name = load_spec(None).metric("unit_product_carbon_intensity")
    for lang, text in by["A"]["warnings"][0].items():
        assert getattr(name, f"name_{lang}") in text, lang
        assert "unit_product" not in text, lang
    assert name.name_zh in by["B"]["warnings"][0]["zh"]
    assert by["C"]["warnings"] == []
    idle = [{**certs[0], "sku": "P-3"}]
    (item,) = certification_plan(idle, a, ds.site)["items"]
    assert "P-3 made nothing" in item["warnings"][0]["en"]


def test_lead_time_steps_before_the_renewal(assessed: tuple[Any, Assessment]) -> None:
    """Due 2026-06-30: collect data from 16 months before (2025-02-28, clamped), verify by
    4 months before (2026-02-28), submit by 1 month before (2026-05-30); as of 2025-03-01
    the data collection start is already past."""
    ds, a = assessed
    cert = {
        "scheme": "CE",
        "sku": "P-1",
        "certificate_no": "A",
        "renewal_due": dt.date(2026, 6, 30),
    }
    (item,) = certification_plan([cert], a, ds.site)["items"]
    assert item["steps"] == {
        "collect_data_from": "2025-02-28",
        "verify_by": "2026-02-28",
        "submit_by": "2026-05-30",
    }
    assert item["late_steps"] == ["collect_data_from"]
    assert item["months_left"] == 15


# ----------------------------------------------------------------------------- contract


def _problems(tmp_path: Path, plant: Plant) -> list[Any]:
    with pytest.raises(InvalidDataset) as err:
        normalize(plant.write(tmp_path / "ds"), tmp_path / "norm")
    return list(err.value.problems)


def test_customers_table_bad_rows(tmp_path: Path) -> None:
    p = _two_lines().rows(
        "customers",
        {"customer": "A", "market": "EU", "sku": "P-1", "energy_clause": "yes", "clause_text": ""},
        {"customer": "B", "market": "EUROPE", "sku": "", "energy_clause": "no"},
        {"customer": "C", "market": "KR", "sku": "P-9", "energy_clause": "maybe"},
        {"customer": "", "market": "UK", "sku": "P-2", "energy_clause": "no"},
    )
    got = {(x.file, x.row, x.column): x for x in _problems(tmp_path, p)}
    assert set(got) == {
        ("customers.csv", 3, "market"),
        ("customers.csv", 4, "sku"),
        ("customers.csv", 4, "energy_clause"),
        ("customers.csv", 5, "customer"),
    }
    assert got["customers.csv", 3, "market"].found == "'EUROPE'"
    assert "EU, UK, KR, ASEAN" in got["customers.csv", 3, "market"].expected
    assert "P-1, P-2" in got["customers.csv", 4, "sku"].expected
    assert got["customers.csv", 4, "energy_clause"].expected == "one of yes, no"


def test_certifications_table_bad_rows(tmp_path: Path) -> None:
    p = _two_lines().rows(
        "certifications",
        {
            "scheme": "CE",
            "sku": "P-1",
            "certificate_no": "A",
            "issued_on": "2021-01-01",
            "renewal_due": "2026-01-01",
        },
        {"scheme": "FCC", "sku": "P-1", "certificate_no": "B", "renewal_due": "2026-01-01"},
        {"scheme": "KC", "sku": "P-1", "certificate_no": "C", "renewal_due": "2026-13-01"},
        {
            "scheme": "UKCA",
            "sku": "P-2",
            "certificate_no": "D",
            "issued_on": "2026-02-01",
            "renewal_due": "2026-01-01",
        },
        {"scheme": "UKCA", "sku": "", "certificate_no": "E", "renewal_due": "2026-01-01"},
    )
    got = {(x.file, x.row, x.column): x for x in _problems(tmp_path, p)}
    assert set(got) == {
        ("certifications.csv", 3, "scheme"),
        ("certifications.csv", 4, "renewal_due"),
        ("certifications.csv", 5, "renewal_due"),
        ("certifications.csv", 6, "sku"),
    }
    assert got["certifications.csv", 3, "scheme"].expected == "one of CE, UKCA, KC, other"
    assert got["certifications.csv", 4, "renewal_due"].found == "'2026-13-01'"
    assert (
        "on or after issued_on (2026-02-01)" in got["certifications.csv", 5, "renewal_due"].expected
    )


def test_good_commerce_tables_reach_the_diagnosis(tmp_path: Path) -> None:
    """The demo's commerce writer on the two-line plant: the tables validate and the
    certificate renewals 6, 18 and 30 months after the period end are urgent, plan,
    monitor."""
    from thermaudit.demo.commerce import write_commerce
    from thermaudit.diagnosis.section import diagnosis_section

    folder = _two_lines().write(tmp_path / "ds")
    assert write_commerce(folder) == {"customers": 4, "certifications": 3}
    ds = normalize(folder, tmp_path / "norm")
    con = connect()
    a = assess(ds, con=con)
    doc = diagnosis_section(ds, con, a, wastes=[])
    statuses = [i["status"] for i in doc["certifications"]["items"]]
    assert statuses == ["urgent", "plan", "monitor"]
    assert doc["priorities"]["skus"][0]["customers_with_clause"]
