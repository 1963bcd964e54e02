"""Product carbon footprint per SKU on a one-day plant worked by hand.

The plant (period 2025-03-01, Jiangsu → East China grid 0.5500 kgCO2/kWh):

meters (interval meters, one reading at 24:00 holding the day's amount)
  E-MAIN  electricity supply       1000 kWh   → 0.55 tCO2 (location-based)
  E-L1    electricity submeter L1   300 kWh   → 0.165 tCO2, all to the SKUs of line L1
  G-MAIN  natural gas supply        100 m3    → scope 1 (table factor)
green certificates: 0.2 MWh over 10 days → 20 kWh in the period, so the market-based
electricity is 980 kWh: every electricity tonne × 0.98.

production (processed mass = (good + scrap) × unit mass)
  A  aluminium, 2 kg, line L1: 900 good + 100 scrap → 2.0 t processed, 1.8 t good
  B  aluminium, 5 kg, line L2: 400 good             → 2.0 t processed, 2.0 t good
  C  zinc, 0.5 kg, line L2:  1000 good (count SKU)  → 0.5 t processed, 0.5 t good

Scope 1 + 2 (location) S = 0.55 + 100 m3 × 2.162 kgCO2/m3 / 1000 = 0.7662 t.
Line L1's 0.165 t go to A (the only SKU on L1); the rest S − 0.165 = 0.6012 t is shared by
processed mass over 4.5 t: A 2/4.5, B 2/4.5, C 0.5/4.5.

metal inputs in the period
  ADC12 secondary ingot, 3000 kg, declared 0.4 + 0.3 tCO2e/t → 2.1 t (primary data)
  A380 primary ingot from CN, 1000 kg, no declaration → default 20 tCO2e/t → 20 t (default)
  ADC12 purchased scrap, 500 kg → 0 t (recycled content method)
  Zamak3 primary ingot, 400 kg, no declaration: zinc primary has no default → left out,
    the zinc SKU's footprint is incomplete (a warning says so)
  one ADC12 row dated 2025-02-20 lies outside the period → ignored, reported
Aluminium metal 22.1 t shared by processed mass between A and B (2 t each): 11.05 t each,
of which 10 t from the default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from builders import Plant

from thermaudit.api import open_dataset
from thermaudit.errors import InvalidDataset
from thermaudit.metrics.assess import assess

REL = 1e-12
GRID = 0.55  # kgCO2/kWh, East China 2023
GAS_EF = 2.162  # kgCO2/m3, GB/T 32151.29-2024 table row


def plant(metal: bool = True) -> Plant:
    p = Plant()
    day = dict(reading="interval", interval_s=86400)
    p.site["meters"][0].update(**day)
    p.meter(id="E-L1", line="L1", process="die_casting", **day)
    p.meter(id="G-MAIN", carrier="natural_gas", unit="m3", role="supply", **day)
    p.site["products"] = [
        {"sku": "A", "name": "支架", "unit_mass_kg": 2.0, "material": "aluminium_alloy"},
        {"sku": "B", "name": "壳体", "unit_mass_kg": 5.0, "material": "aluminium_alloy"},
        {
            "sku": "C",
            "name": "锌件",
            "unit_mass_kg": 0.5,
            "material": "zinc_alloy",
            "denominator": "count",
        },
    ]
    end = "2025-03-02 00:00:00"
    for mid, q in (("E-MAIN", 1000), ("E-L1", 300), ("G-MAIN", 100)):
        p.rows("readings", {"meter_id": mid, "timestamp": end, "value": q})
    p.rows(
        "production",
        {"date": "2025-03-01", "sku": "A", "line": "L1", "good_qty": 900, "scrap_qty": 100},
        {"date": "2025-03-01", "sku": "B", "line": "L2", "good_qty": 400, "scrap_qty": 0},
        {"date": "2025-03-01", "sku": "C", "line": "L2", "good_qty": 1000, "scrap_qty": 0},
    )
    p.rows(
        "green_certificates",
        {
            "period_start": "2025-02-25",
            "period_end": "2025-03-06",
            "mwh": 0.2,
            "certificate_no": "GEC-1",
        },
    )
    if metal:
        row = dict(date="2025-03-01", country="CN", evidence=None)
        p.rows(
            "metal_inputs",
            {
                **row,
                "material": "ADC12",
                "form": "secondary_ingot",
                "mass_kg": 3000,
                "supplier": "Recycler S1",
                "see_direct_tco2_per_t": 0.4,
                "see_indirect_tco2_per_t": 0.3,
                "evidence": "S1 declaration 2025-01",
            },
            {
                **row,
                "material": "A380",
                "form": "primary_ingot",
                "mass_kg": 1000,
                "supplier": "Smelter S2",
            },
            {
                **row,
                "material": "ADC12",
                "form": "purchased_scrap",
                "mass_kg": 500,
                "supplier": "Scrap S3",
            },
            {
                **row,
                "material": "Zamak3",
                "form": "primary_ingot",
                "mass_kg": 400,
                "supplier": "Zinc S4",
            },
            {
                **row,
                "date": "2025-02-20",
                "material": "ADC12",
                "form": "secondary_ingot",
                "mass_kg": 9999,
                "supplier": "Recycler S1",
            },
        )
    return p


def _assess(folder: Path) -> dict[str, Any]:
    with open_dataset(folder) as ds:
        return assess(ds).document


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _assess(plant().write(tmp_path_factory.mktemp("pcf")))


def test_scope_1_and_2_follow_the_energy_allocation(doc: dict[str, Any]) -> None:
    fp = doc["product_footprint"]
    s = 1000 * GRID / 1000 + 100 * GAS_EF / 1000
    assert fp["site"]["scope1_t"] + fp["site"]["scope2_location_t"] == pytest.approx(s, rel=REL)
    rest = s - 0.3 * GRID
    by = fp["by_sku"]
    assert by["A"]["scope12_location_t"] == pytest.approx(0.3 * GRID + rest * 2 / 4.5, rel=REL)
    assert by["B"]["scope12_location_t"] == pytest.approx(rest * 2 / 4.5, rel=REL)
    assert by["C"]["scope12_location_t"] == pytest.approx(rest * 0.5 / 4.5, rel=REL)
    # market-based: electricity less the 20 kWh of certificates, gas unchanged
    s_mkt = 980 * GRID / 1000 + 100 * GAS_EF / 1000
    rest_mkt = s_mkt - 0.3 * GRID * 0.98
    assert by["A"]["scope12_market_t"] == pytest.approx(
        0.3 * GRID * 0.98 + rest_mkt * 2 / 4.5, rel=REL
    )
    assert by["C"]["scope12_market_t"] == pytest.approx(rest_mkt * 0.5 / 4.5, rel=REL)


def test_metal_upstream_by_group_and_processed_mass(doc: dict[str, Any]) -> None:
    fp = doc["product_footprint"]
    assert fp["boundary"] == "cradle-to-gate"
    assert fp["standards"] == ["ISO 14067:2018", "GHG Protocol Product Standard"]
    by = fp["by_sku"]
    assert by["A"]["metal_t"] == pytest.approx(11.05, rel=REL)
    assert by["B"]["metal_t"] == pytest.approx(11.05, rel=REL)
    assert by["C"]["metal_t"] == 0
    assert by["A"]["metal_default_t"] == pytest.approx(10.0, rel=REL)
    assert fp["site"]["metal_t"] == pytest.approx(22.1, rel=REL)
    assert fp["site"]["metal_default_t"] == pytest.approx(20.0, rel=REL)
    # the zinc ingot has no default and no declaration: left out, never guessed
    assert fp["site"]["metal_mass_t"] == pytest.approx(4.5, rel=REL)
    assert (by["A"]["complete"], by["B"]["complete"], by["C"]["complete"]) == (
        True,
        True,
        False,
    )


def test_footprint_per_kg_and_per_piece(doc: dict[str, Any]) -> None:
    by = doc["product_footprint"]["by_sku"]
    s = 1000 * GRID / 1000 + 100 * GAS_EF / 1000
    rest = s - 0.3 * GRID
    a_total = 0.3 * GRID + rest * 2 / 4.5 + 11.05
    assert by["A"]["kgco2e_per_kg_location"] == pytest.approx(a_total * 1000 / 1800, rel=REL)
    assert by["A"]["kgco2e_per_piece_location"] == pytest.approx(a_total * 1000 / 900, rel=REL)
    # primary data: everything but the 10 t of default metal
    assert by["A"]["primary_data_share"] == pytest.approx((a_total - 10) / a_total, rel=REL)
    assert by["A"]["default_share"] == pytest.approx(10 / a_total, rel=REL)
    c_total = rest * 0.5 / 4.5
    assert by["C"]["kgco2e_per_piece_location"] == pytest.approx(c_total * 1000 / 1000, rel=REL)
    assert by["C"]["primary_data_share"] == 1.0


def test_sku_footprints_add_up_to_the_site(doc: dict[str, Any]) -> None:
    fp = doc["product_footprint"]
    by = fp["by_sku"].values()
    site = fp["site"]
    for basis in ("location", "market"):
        per_kg = sum(v[f"kgco2e_per_kg_{basis}"] * v["good_mass_t"] for v in by)  # kg/kg × t
        allocated = site[f"total_{basis}_t"] - site["metal_unallocated_t"]
        assert per_kg == pytest.approx(allocated, rel=REL)
        assert sum(v[f"total_{basis}_t"] for v in by) == pytest.approx(allocated, rel=REL)
    assert sum(v["scope12_location_t"] for v in by) == pytest.approx(
        site["scope1_t"] + site["scope2_location_t"], rel=REL
    )


def test_every_default_and_gap_is_flagged(doc: dict[str, Any]) -> None:
    codes = [f["code"] for f in doc["findings"]]
    defaults = [f for f in doc["findings"] if f["code"] == "quality.metal.default_used"]
    # the default of the A380 primary ingot, and the 0 of the purchased scrap
    assert sorted(f["evidence"]["form"] for f in defaults) == [
        "primary_ingot",
        "purchased_scrap",
    ]
    assert sum(f["evidence"]["mass_t"] for f in defaults) == pytest.approx(1.5, rel=REL)
    assert "quality.metal.no_default" in codes
    outside = [
        f
        for f in doc["findings"]
        if f["code"] == "quality.reading.outside_period"
        and f["evidence"]["table"] == "metal_inputs"
    ]
    assert outside and outside[0]["evidence"]["count"] == 1
    # each used default factor is shown with its source in the metal lines
    lines = doc["product_footprint"]["metal"]
    assert all(x["source"] for x in lines)
    assert {x["declared"] for x in lines} == {True, False}
    # and every default tonne is in some SKU's default share
    flagged = sum(v["metal_default_t"] for v in doc["product_footprint"]["by_sku"].values())
    assert flagged == pytest.approx(sum(x["tco2e"] for x in lines if not x["declared"]))


def test_without_metal_inputs_the_footprint_is_gate_to_gate(tmp_path: Path) -> None:
    doc = _assess(plant(metal=False).write(tmp_path))
    fp = doc["product_footprint"]
    assert fp["boundary"] == "gate-to-gate"
    assert fp["site"]["metal_t"] == 0
    assert not any(v["complete"] for v in fp["by_sku"].values())
    assert "quality.footprint.gate_to_gate" in [f["code"] for f in doc["findings"]]


def test_metal_of_a_material_no_product_is_made_of_is_not_allocated(tmp_path: Path) -> None:
    p = plant(metal=False)
    p.rows(
        "metal_inputs",
        {
            "date": "2025-03-01",
            "material": "AZ91D",
            "form": "secondary_ingot",
            "mass_kg": 100,
            "supplier": "Mg S5",
            "country": "CN",
            "see_direct_tco2_per_t": 1.0,
            "see_indirect_tco2_per_t": 2.0,
        },
    )
    doc = _assess(p.write(tmp_path))
    fp = doc["product_footprint"]
    assert fp["site"]["metal_unallocated_t"] == pytest.approx(0.3, rel=REL)
    assert sum(v["metal_t"] for v in fp["by_sku"].values()) == 0
    assert "quality.metal.no_product" in [f["code"] for f in doc["findings"]]


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("country", "XX", "ISO 3166-1 alpha-2"),
        ("country", "cn", "ISO 3166-1 alpha-2"),
        ("form", "ingot", "one of primary_ingot"),
        ("mass_kg", "-5", "≥ 0"),
        ("see_direct_tco2_per_t", "lots", "number"),
    ],
)
def test_bad_metal_input_is_refused_at_its_cell(
    tmp_path: Path, column: str, value: str, expected: str
) -> None:
    p = plant()
    p.tables["metal_inputs"][2][column] = value
    folder = p.write(tmp_path)
    with pytest.raises(InvalidDataset) as e, open_dataset(folder):
        pass
    text = str(e.value)
    assert "metal_inputs.csv" in text and "row 4" in text and column in text, text
    assert expected in text and value in text, text


def test_electricity_part_of_each_share(doc: dict[str, Any]) -> None:
    """The indirect (electricity) part follows the same rule: L1's 300 kWh to A, the other
    700 kWh by processed mass; the metal share is the SKU's part of its material's metal."""
    by = doc["product_footprint"]["by_sku"]
    assert by["A"]["electricity_mwh"] == pytest.approx(0.3 + 0.7 * 2 / 4.5, rel=REL)
    assert by["C"]["electricity_mwh"] == pytest.approx(0.7 * 0.5 / 4.5, rel=REL)
    assert by["A"]["electricity_t"] == pytest.approx(by["A"]["electricity_mwh"] * GRID, rel=REL)
    assert sum(v["electricity_mwh"] for v in by.values()) == pytest.approx(1.0, rel=REL)
    assert (by["A"]["metal_share"], by["B"]["metal_share"], by["C"]["metal_share"]) == (
        pytest.approx(0.5),
        pytest.approx(0.5),
        0.0,
    )
    declared = [x for x in doc["product_footprint"]["metal"] if x["declared"]]
    assert [(x["direct_tco2e_per_t"], x["indirect_tco2e_per_t"]) for x in declared] == [(0.4, 0.3)]
