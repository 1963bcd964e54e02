"""All six metrics on a one-day plant small enough to work by hand.

The plant (period 2025-03-01, Jiangsu → East China grid 0.5500 kgCO2/kWh):

meters (interval meters, one reading at 24:00 holding the day's amount)
  E-MAIN   electricity supply       1000 kWh
  E-L1     electricity submeter L1   300 kWh   die_casting, serves DCM-1
  E-L2     electricity submeter L2   200 kWh   die_casting
  E-CANT   electricity excluded       50 kWh   canteen
  E-PV     electricity generation    100 kWh
  G-MAIN   natural gas supply        100 m3    measured NCV 35.9 MJ/m3 (site option)
  G-FURN   natural gas submeter       80 m3    melting, serves FURN-1
production: A on L1 900 good + 100 scrap × 2 kg; B on L2 400 good × 5 kg.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from builders import Plant

from thermaudit.api import open_dataset
from thermaudit.metrics.assess import assess

KGCE_MJ = 29.3076
GAS = 35.9 / KGCE_MJ  # kgce/m3 from the measured NCV (GB/T 2589: NCV / 29.3076)
EL = 0.1229  # kgce/kWh, calorific value
REL = 1e-12  # the engine does the same few multiplications; only rounding differs


def plant() -> Plant:
    p = Plant()
    p.site["options"] = {
        "natural_gas_ncv_mj_per_m3": 35.9,
        "electricity_equivalent_kgce_per_kwh": 0.3,
    }
    p.site["meters"][0].update(reading="interval", interval_s=86400)
    day = dict(reading="interval", interval_s=86400)
    p.meter(id="E-L1", line="L1", process="die_casting", equipment=["DCM-1"], **day)
    p.meter(id="E-L2", line="L2", process="die_casting", **day)
    p.meter(id="E-CANT", role="excluded", **day)
    p.meter(id="E-PV", role="generation", **day)
    p.meter(id="G-MAIN", carrier="natural_gas", unit="m3", role="supply", **day)
    p.meter(
        id="G-FURN",
        carrier="natural_gas",
        unit="m3",
        process="melting",
        equipment=["FURN-1"],
        parent="G-MAIN",
        **day,
    )
    p.site["equipment"] = [
        {
            "id": "FURN-1",
            "type": "melting_furnace",
            "fuel": "natural_gas",
            "rated_kw": 1000,
            "rated_flow_m3h": 120,
        },
        {"id": "DCM-1", "type": "die_casting_machine", "rated_kw": 150, "line": "L1"},
        {"id": "DCM-2", "type": "die_casting_machine", "rated_kw": 120, "line": "L2"},
    ]
    p.site["products"] = [
        {"sku": "A", "name": "支架", "unit_mass_kg": 2.0, "material": "aluminium_alloy"},
        {
            "sku": "B",
            "name": "壳体",
            "unit_mass_kg": 5.0,
            "material": "aluminium_alloy",
            "markets": ["EU"],
        },
    ]
    p.site["heat_streams"] = [
        {
            "id": "FLUE",
            "kind": "available",
            "medium": "flue_gas",
            "source": "FURN-1",
            "interval_s": 3600,
            "t_ref_c": 20,
        },
        {
            "id": "REC",
            "kind": "recovered",
            "medium": "water",
            "source": "FURN-1",
            "interval_s": 3600,
        },
    ]
    end = "2025-03-02 00:00:00"
    for mid, q in (
        ("E-MAIN", 1000),
        ("E-L1", 300),
        ("E-L2", 200),
        ("E-CANT", 50),
        ("E-PV", 100),
        ("G-MAIN", 100),
        ("G-FURN", 80),
    ):
        p.rows("readings", {"meter_id": mid, "timestamp": end, "value": q})
    p.rows(
        "production",
        {"date": "2025-03-01", "sku": "A", "line": "L1", "good_qty": 900, "scrap_qty": 100},
        {"date": "2025-03-01", "sku": "B", "line": "L2", "good_qty": 400, "scrap_qty": 0},
    )
    for h in range(1, 25):
        ts = f"2025-03-01 {h:02d}:00:00" if h < 24 else end
        p.rows(
            "heat_streams",
            {
                "timestamp": ts,
                "stream_id": "FLUE",
                "flow": 100,
                "flow_unit": "Nm3/h",
                "t_hot_c": 220,
                "t_cold_c": None,
            },
            {
                "timestamp": ts,
                "stream_id": "REC",
                "flow": 0.5,
                "flow_unit": "m3/h",
                "t_hot_c": 45,
                "t_cold_c": 40,
            },
        )
    p.rows(
        "melting",
        {
            "timestamp": "2025-03-01 08:00:00",
            "furnace_id": "FURN-1",
            "metal_kg": 1000,
            "alloy": "ADC12",
            "tap_temp_c": 700,
        },
        {
            "timestamp": "2025-03-01 16:00:00",
            "furnace_id": "FURN-1",
            "metal_kg": 1000,
            "alloy": "A380",
            "tap_temp_c": 750,
        },
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
    return p


@pytest.fixture(scope="module")
def hand_plant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return plant().write(tmp_path_factory.mktemp("hand"))


@pytest.fixture(scope="module")
def doc(hand_plant: Path, engine: Any) -> dict[str, Any]:
    """The plant assessed on each engine (``engine``): every check below runs on both."""
    with open_dataset(hand_plant) as ds:
        return assess(ds, con=engine).document


def test_engines_agree_on_every_number(hand_plant: Path, spark: Any) -> None:
    """DuckDB and Spark give the same document (every number within the tolerance of
    ``test_engines_agree``: sums over partitions add in another order)."""
    from conformance_checks import differences

    from thermaudit.engine import connect

    with open_dataset(hand_plant) as ds:
        default = assess(ds, con=connect("duckdb")).document
        on_spark = assess(ds, con=spark).document
    assert differences(default, on_spark) == []


def test_unit_product_energy(doc: dict[str, Any]) -> None:
    """E = (1000 + 100 − 50) kWh × 0.1229 + 100 m3 × 35.9/29.3076 = 129.045 + 122.494 kgce.
    P = 900 × 2 + 400 × 5 kg = 3.8 t. Submeters and the melting submeter do not add."""
    e = 1050 * EL + 100 * GAS
    m = doc["metrics"]["unit_product_energy"]
    assert m["detail"]["energy_kgce"] == pytest.approx(e, rel=REL)
    assert m["detail"]["good_mass_t"] == pytest.approx(3.8, rel=REL)
    assert m["value"] == pytest.approx(e / 3.8, rel=REL)
    assert m["detail"]["by_carrier"] == pytest.approx(
        {"electricity": 1050 * EL, "natural_gas": 100 * GAS}, rel=REL
    )
    assert m["detail"]["by_role"] == pytest.approx(
        {
            "supply": 1000 * EL + 100 * GAS,
            "generation": 100 * EL,
            "excluded": 50 * EL,
            "export": 0.0,
            "submeter": 500 * EL + 80 * GAS,
            "recovered_heat": 0.0,
        },
        rel=REL,
    )
    # equivalent value: all electricity at 0.3 kgce/kWh
    assert m["detail"]["equivalent_basis_value"] == pytest.approx(
        (1050 * 0.3 + 100 * GAS) / 3.8, rel=REL
    )


def test_per_sku_allocation(doc: dict[str, Any]) -> None:
    """Line L1's 300 kWh go to A, L2's 200 kWh to B; the rest E − 500 × 0.1229 is shared
    by processed mass, A (900 + 100) × 2 = 2 t and B 400 × 5 = 2 t: half each.
    A: (36.87 + rest/2) / 1.8 t; B: (24.58 + rest/2) / 2.0 t; A + B = E exactly."""
    e = 1050 * EL + 100 * GAS
    rest = e - 500 * EL
    by = doc["metrics"]["unit_product_energy"]["detail"]["by_sku"]
    assert by["A"]["energy_kgce"] == pytest.approx(300 * EL + rest / 2, rel=REL)
    assert by["B"]["energy_kgce"] == pytest.approx(200 * EL + rest / 2, rel=REL)
    assert by["A"]["value"] == pytest.approx((300 * EL + rest / 2) / 1.8, rel=REL)
    assert by["B"]["value"] == pytest.approx((200 * EL + rest / 2) / 2.0, rel=REL)
    # scrap raises the intensity of the SKU that made it
    assert by["A"]["value"] > by["B"]["value"]
    total = sum(v["energy_kgce"] for v in by.values())
    assert total == pytest.approx(e, rel=1e-14)


def test_waste_heat_recovery(doc: dict[str, Any]) -> None:
    """Available: 24 h × 100 Nm3/h × 1.38 kJ/(Nm3 K) × (220 − 20) K = 0.6624 GJ (t_cold empty
    → t_ref_c). Recovered: 24 h × 500 kg/h × 4.187 × 5 K = 0.25122 GJ. Rate 37.93 %."""
    m = doc["metrics"]["waste_heat_recovery_rate"]
    avail = 24 * 100 * 1.38 * 200 / 1e6
    rec = 24 * 500 * 4.187 * 5 / 1e6
    assert m["detail"]["available_gj"] == pytest.approx(avail, rel=REL)
    assert m["detail"]["recovered_gj"] == pytest.approx(rec, rel=REL)
    assert m["value"] == pytest.approx(100 * rec / avail, rel=REL)


def test_mold_metric_is_null_without_data(doc: dict[str, Any]) -> None:
    m = doc["metrics"]["mold_temperature_control_accuracy"]
    assert m["value"] is None
    assert any(
        f["code"] == "metric.not_computable" and "mold_temperature_control_accuracy" in f["metrics"]
        for f in doc["findings"]
    )


def test_melting(doc: dict[str, Any]) -> None:
    """Theoretical heat: ADC12 at 700 °C 0.9·640 + 397 + 1.18·40 = 1020.2 kJ/kg, A380 at
    750 °C 1079.2 kJ/kg → 2099.4 MJ for 2 t. Input: 80 m3 × 35.9 = 2872 MJ → 73.099 %.
    Intensity: 80 × 35.9/29.3076 kgce / 2 t."""
    m = doc["metrics"]["melting_energy_intensity"]
    assert m["detail"]["metal_t"] == pytest.approx(2.0, rel=REL)
    assert m["value"] == pytest.approx(80 * GAS / 2.0, rel=REL)
    assert m["detail"]["thermal_efficiency_pct"] == pytest.approx(100 * 2099.4 / 2872.0, rel=1e-12)


def test_carbon(doc: dict[str, Any]) -> None:
    """Scope 1: 100 m3 × 2.162 × 35.9/38.931 kgCO2. Scope 2: (1000 − 50) kWh × 0.5500 (PV
    emits nothing). Certificate 0.2 MWh over 10 days, 1 day in the period: 20 kWh, so the
    market-based figure is (950 − 20) × 0.55. Intensity (s1 + s2) / 3.8 t."""
    m = doc["metrics"]["unit_product_carbon_intensity"]
    s1 = 100 * 2.162 * 35.9 / 38.931 / 1000
    s2 = 950 * 0.55 / 1000
    assert m["detail"]["scope1_t"] == pytest.approx(s1, rel=REL)
    assert m["detail"]["scope2_location_t"] == pytest.approx(s2, rel=REL)
    assert m["detail"]["scope2_market_t"] == pytest.approx(930 * 0.55 / 1000, rel=REL)
    assert m["value"] == pytest.approx((s1 + s2) / 3.8, rel=REL)


def test_metering_coverage(doc: dict[str, Any]) -> None:
    """Key equipment: FURN-1 (120 m3/h ≥ 100), DCM-1 (150 kW), DCM-2 (120 kW); fitted with a
    dedicated meter: FURN-1 (G-FURN) and DCM-1 (E-L1) → 2/3. Electricity 1/2 = 50 % < 95 %:
    fail. Processes melting and die_casting both submetered → 100 %. No certificates → 0 %."""
    m = doc["metrics"]["energy_metering_coverage"]
    assert m["value"] == pytest.approx(200 / 3, rel=REL)
    assert m["detail"]["key_equipment_electricity"] == pytest.approx(50.0)
    assert m["detail"]["key_equipment_fuel"] == pytest.approx(100.0)
    assert m["detail"]["process"] == pytest.approx(100.0)
    assert m["detail"]["site"] == pytest.approx(100.0)
    assert m["detail"]["calibration_valid"] == pytest.approx(0.0)
    assert m["detail"]["completeness"] == pytest.approx(100.0)
    assert m["grade"] == "fail"


def test_no_scrap_limit(tmp_path: Path) -> None:
    """Analytic limit: without scrap processed mass = good mass, so with no line meters every
    SKU has the plant intensity E / P."""
    p = plant()
    p.site["meters"] = [m for m in p.site["meters"] if m["id"] not in ("E-L1", "E-L2")]
    p.tables["readings"] = [
        r for r in p.tables["readings"] if r["meter_id"] not in ("E-L1", "E-L2")
    ]
    p.tables["production"][0]["scrap_qty"] = 0
    with open_dataset(p.write(tmp_path / "ds")) as ds:
        d = assess(ds).document
    m = d["metrics"]["unit_product_energy"]
    for sku in ("A", "B"):
        assert m["detail"]["by_sku"][sku]["value"] == pytest.approx(m["value"], rel=1e-12)


def test_zero_recovery_limit(tmp_path: Path) -> None:
    """Analytic limit: a recovered stream with t_hot = t_cold recovers nothing: rate 0 %."""
    p = plant()
    for r in p.tables["heat_streams"]:
        if r["stream_id"] == "REC":
            r["t_hot_c"] = r["t_cold_c"] = 40
    with open_dataset(p.write(tmp_path / "ds")) as ds:
        d = assess(ds).document
    assert d["metrics"]["waste_heat_recovery_rate"]["value"] == 0.0


def test_recovery_above_100_is_never_shown(tmp_path: Path) -> None:
    p = plant()
    for r in p.tables["heat_streams"]:
        if r["stream_id"] == "REC":
            r["flow"] = 50
    with open_dataset(p.write(tmp_path / "ds")) as ds:
        d = assess(ds).document
    assert d["metrics"]["waste_heat_recovery_rate"]["value"] is None
    f = [f for f in d["findings"] if f["code"] == "quality.heat.recovery_above_100"]
    assert len(f) == 1 and f[0]["evidence"]["recovered"] > f[0]["evidence"]["available"]
