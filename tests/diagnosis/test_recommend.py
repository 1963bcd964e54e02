"""Measures against wastes: the catalogue, the tariffs and the savings arithmetic, each
checked against a hand calculation on a one-day plant (annualised × 365)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from builders import Plant, hourly

from thermaudit.dataset.reader import normalize
from thermaudit.diagnosis.recommend import (
    BOILER_EFFICIENCY,
    Measure,
    load_catalogue,
    parse_catalogue,
    pf_adjustment,
    recommend,
    resolve_tariffs,
    screen,
)
from thermaudit.diagnosis.waste import DETECTORS, Waste
from thermaudit.engine import connect
from thermaudit.metrics.assess import Assessment, assess

# ----------------------------------------------------------------------------- the plant


def _plant(*, gas: bool = False, tariffs: dict[str, float] | None = None) -> Plant:
    """One day; E-MAIN 100 kWh/h (2,400 kWh), E-COMP (compressor COMP-1, fixed speed,
    100 kW) 50 kWh/h (1,200 kWh); with ``gas`` G-MAIN 10 m3/h (240 m3) at 36 MJ/m3.
    Grid factor 0.5 kgCO2/kWh; tariffs 0.8 CNY/kWh and 4 CNY/m3 unless given."""
    p = Plant()
    p.site["options"] = {
        "grid_emission_factor_kgco2_per_kwh": 0.5,
        "tariffs": tariffs if tariffs is not None else {"electricity": 0.8, "natural_gas": 4.0},
    }
    p.site["equipment"] = [{"id": "COMP-1", "type": "compressor", "rated_kw": 100}]
    p.meter(id="E-COMP", parent="E-MAIN", equipment=["COMP-1"], process="compressed_air").rows(
        "readings", *hourly("E-MAIN", 0, [100] * 24), *hourly("E-COMP", 0, [50] * 24)
    )
    if gas:
        p.site["options"]["natural_gas_ncv_mj_per_m3"] = 36.0
        p.meter(id="G-MAIN", carrier="natural_gas", unit="m3", role="supply")
        p.rows("readings", *hourly("G-MAIN", 0, [10] * 24))
    return p


def _assessed(tmp_path: Path, plant: Plant) -> tuple[Any, Assessment]:
    ds = normalize(plant.write(tmp_path / "ds"), tmp_path / "norm")
    return ds, assess(ds, con=connect())


def _by_id(measures: list[Measure]) -> dict[str, Measure]:
    return {m.id: m for m in measures}


# ----------------------------------------------------------------------------- catalogue


def test_catalogue_has_the_measures_of_the_issue_with_sources() -> None:
    cat = {e.id: e for e in load_catalogue()}
    for mid in (
        "furnace_lids_idle",
        "burner_tuning",
        "regenerative_burners",
        "compressed_air_leaks",
        "compressor_vsd",
        "compressor_heat_recovery",
        "die_cooling",
        "scrap_reduction",
        "power_factor_correction",
        "rooftop_pv",
    ):
        assert mid in cat
    addressed = {d for e in cat.values() for d in e.addresses}
    assert addressed == set(DETECTORS)  # every detector has at least one measure
    for e in cat.values():
        assert e.source.strip()
        assert e.saving[0] <= e.saving[1] <= e.saving[2] <= 1
        assert e.lifetime_years > 0


def test_catalogue_errors_name_row_column_and_values() -> None:
    good = (Path(__file__).parents[2] / "thermaudit/diagnosis/data/measures.csv").read_text()
    header, first = good.splitlines()[:2]
    bad = first.replace("idle_holding", "idle_furnace", 1)
    with pytest.raises(ValueError, match=r"row 2, column addresses: expected detector ids .*"):
        parse_catalogue(header + "\n" + bad)
    swapped = first.replace("0.30,0.50,0.70", "0.60,0.50,0.70")
    with pytest.raises(ValueError, match=r"row 2, column saving_typical: .*0\.6/0\.5/0\.7"):
        parse_catalogue(header + "\n" + swapped)


# ----------------------------------------------------------------------------- tariffs


def test_tariffs_option_then_invoices_then_default(tmp_path: Path) -> None:
    """Invoices: 10 MWh for 7,000 CNY and 5,000 kWh for 3,600 CNY → (7,000 + 3,600) /
    15,000 kWh = 0.706667 CNY/kWh; gas from options 4.0; diesel is the marked default."""
    from thermaudit.dataset.site import load_site

    p = _plant(tariffs={"natural_gas": 4.0})
    site = load_site(p.write(tmp_path) / "site.yaml")
    invoices = [
        {"carrier": "electricity", "quantity": 10.0, "unit": "MWh", "amount_cny": 7000.0},
        {"carrier": "electricity", "quantity": 5000.0, "unit": "kWh", "amount_cny": 3600.0},
        {"carrier": "electricity", "quantity": 99.0, "unit": "kWh", "amount_cny": None},
        {"carrier": "natural_gas", "quantity": 100.0, "unit": "m3", "amount_cny": 999.0},
    ]
    t = resolve_tariffs(site, invoices)
    # rel 1e-12: one division of exact decimals
    assert t["electricity"].cny_per_unit == pytest.approx(10600 / 15000, rel=1e-12)
    assert t["electricity"].kind == "invoices"
    assert "2 invoice(s)" in t["electricity"].source
    assert (t["natural_gas"].cny_per_unit, t["natural_gas"].kind) == (4.0, "option")
    assert t["diesel"].kind == "default" and "(check)" in t["diesel"].source


def test_tariff_option_rejects_unknown_carrier(tmp_path: Path) -> None:
    from thermaudit.dataset.site import load_site
    from thermaudit.errors import InvalidDataset

    p = _plant(tariffs={"electricty": 0.8})
    with pytest.raises(InvalidDataset) as err:
        load_site(p.write(tmp_path) / "site.yaml")
    (problem,) = err.value.problems
    assert problem.column == "options.tariffs.electricty"
    assert problem.found == "'electricty'"
    assert "electricity, natural_gas" in problem.expected


# ----------------------------------------------------------------------------- power factor


@pytest.mark.parametrize(
    ("pf", "adjustment"),
    [
        (0.90, 0.0),
        (0.92, -0.003),
        (0.95, -0.0075),
        (1.00, -0.0075),
        (0.89, 0.005),
        (0.85, 0.025),
        (0.70, 0.10),
        (0.65, 0.15),
        (0.60, 0.25),
    ],
)
def test_power_factor_adjustment_table(pf: float, adjustment: float) -> None:
    """0.90 table: −0.15 % per 0.01 above (to −0.75 % at 0.95), +0.5 % per 0.01 down to 0.70
    (+10 %), +1 % per 0.01 down to 0.65 (+15 %), +2 % per 0.01 below (0.60: +25 %)."""
    assert pf_adjustment(pf) == pytest.approx(adjustment, abs=1e-12)  # exact table steps


# ----------------------------------------------------------------------------- savings


def test_leaks_and_vsd_worked_by_hand(tmp_path: Path) -> None:
    """A leak waste of 100 kWh in the one-day period, tariff 0.8 CNY/kWh, grid 0.5 kg/kWh:

    compressed_air_leaks (0.50/0.70/0.85 of the waste, 10,000–40,000 CNY fixed):
      typical saved = 0.70 × 100 kWh × 365 = 25,550 kWh/a
      kgce  = 25,550 × 0.1229 = 3,140.095 kgce/a
      tCO2e = 25,550 × 0.5 / 1000 = 12.775 t/a
      CNY   = 25,550 × 0.8 = 20,440 CNY/a
      investment = (10,000 + 40,000) / 2 = 25,000 CNY; payback = 25,000 / 20,440 = 1.2231 a
      range: 10,000 / (0.85 × 36,500 × 0.8) = 0.4029 a … 40,000 / (0.5 × 36,500 × 0.8) = 2.7397 a

    compressor_vsd (0.10/0.20/0.30 of the fixed-speed compressors' electricity; one
    fixed-speed compressor of 100 kW, so the share is 1):
      basis = 1,200 kWh × 365 = 438,000 kWh/a; typical saved = 87,600 kWh/a
      CNY = 70,080 CNY/a; investment = (10,000 + 30,000)/2 + 100 kW × (600 + 1,500)/2
            = 20,000 + 105,000 = 125,000 CNY; payback = 125,000 / 70,080 = 1.7837 a

    Ranked by payback: leaks (1.22 a) before VSD (1.78 a).
    """
    ds, a = _assessed(tmp_path, _plant())
    leak = Waste("compressed_air_leakage", "E-COMP", "electricity", 100.0, "kWh", 12.29, "", "", "")
    ms = recommend([leak], a, ds.site, resolve_tariffs(ds.site))
    by = _by_id(ms)
    m = by["compressed_air_leaks"]
    # rel 1e-9: sums and products of exact decimals; only float rounding separates them
    assert m.saved == pytest.approx({"electricity": 25550.0}, rel=1e-9)
    assert m.saving_kgce[1] == pytest.approx(3140.095, rel=1e-9)
    assert m.saving_tco2e[1] == pytest.approx(12.775, rel=1e-9)
    assert m.saving_cny[1] == pytest.approx(20440.0, rel=1e-9)
    assert m.investment_cny == pytest.approx((10000.0, 25000.0, 40000.0), rel=1e-12)
    assert m.payback_years == pytest.approx(25000 / 20440, rel=1e-9)
    assert m.payback_range == pytest.approx((10000 / 24820, 40000 / 14600), rel=1e-9)
    v = by["compressor_vsd"]
    assert v.addressed == pytest.approx({"electricity": 438000.0}, rel=1e-9)
    assert v.saving_cny[1] == pytest.approx(70080.0, rel=1e-9)
    assert v.size == 100.0
    assert v.investment_cny[1] == pytest.approx(125000.0, rel=1e-12)
    assert v.payback_years == pytest.approx(125000 / 70080, rel=1e-9)
    assert m.rank < v.rank
    ranks = [x.rank for x in ms]
    assert ranks == list(range(1, len(ms) + 1))
    paybacks = [x.payback_years for x in ms if x.payback_years is not None]
    assert paybacks == sorted(paybacks)


def test_zero_waste_and_no_waste_give_no_waste_measure(tmp_path: Path) -> None:
    """Analytic limit: without a leak there is no leak programme, with a zero leak neither."""
    ds, a = _assessed(tmp_path, _plant())
    t = resolve_tariffs(ds.site)
    _, skipped = screen([], a, ds.site, t)
    reasons = {s.id: s.reason for s in skipped}
    assert reasons["compressed_air_leaks"] == "no waste found by compressed_air_leakage"
    zero = Waste("compressed_air_leakage", "E-COMP", "electricity", 0.0, "kWh", 0.0, "", "", "")
    ms, skipped = screen([zero], a, ds.site, t)
    assert "compressed_air_leaks" not in _by_id(ms)
    assert any(s.id == "compressed_air_leaks" for s in skipped)


def test_compressor_heat_displaces_gas_at_boiler_efficiency(tmp_path: Path) -> None:
    """No heat stream at the compressor: its electricity becomes recoverable heat.

    basis = 1,200 kWh × 0.0036 GJ/kWh × 365 = 1,576.8 GJ/a; typical 0.70 → 1,103.76 GJ/a
    displaced gas = 1,103.76 × 1000 MJ / (36 MJ/m3 × 0.90) = 34,066.667 m3/a
    kgce = 34,066.667 × 36 / 29.3076 = 41,846.14 kgce/a; CNY = 34,066.667 × 4 = 136,266.67
    """
    ds, a = _assessed(tmp_path, _plant(gas=True))
    ms = recommend([], a, ds.site, resolve_tariffs(ds.site))
    m = _by_id(ms)["compressor_heat_recovery"]
    assert BOILER_EFFICIENCY == 0.90
    assert m.addressed == pytest.approx({"heat": 1576.8}, rel=1e-9)
    assert m.saved == pytest.approx({"natural_gas": 1103.76e3 / (36 * 0.9)}, rel=1e-9)
    assert m.saving_kgce[1] == pytest.approx(1103.76e3 / (36 * 0.9) * 36 / 29.3076, rel=1e-9)
    assert m.saving_cny[1] == pytest.approx(1103.76e3 / (36 * 0.9) * 4.0, rel=1e-9)


def test_power_factor_correction_worked_by_hand(tmp_path: Path) -> None:
    """PF 0.85 on a 2,400 kWh/day site at 0.8 CNY/kWh:

    bill = 2,400 × 365 × 0.8 = 700,800 CNY/a
    adjustment = +2.5 % (0.85) − (−0.75 %) (0.95) = 3.25 % → typical 22,776 CNY/a, 0 kgce
    capacitor = 100 kW × (tan acos 0.85 − tan acos 0.95) = 100 × (0.619744 − 0.328684)
              = 29.106 kvar; investment = 20,000 + 29.106 × 140 = 24,074.8 CNY
    payback = 24,074.8 / 22,776 = 1.0570 a
    """
    ds, a = _assessed(tmp_path, _plant())
    w = Waste(
        "power_factor",
        "E-MAIN",
        None,
        500.0,
        "kvarh",
        0.0,
        "",
        "",
        "",
        evidence={"power_factor": 0.85},
    )
    m = _by_id(recommend([w], a, ds.site, resolve_tariffs(ds.site)))["power_factor_correction"]
    kvar = 100 * (math.sqrt(1 - 0.85**2) / 0.85 - math.sqrt(1 - 0.95**2) / 0.95)
    assert kvar == pytest.approx(29.106, abs=5e-4)  # the hand value above, to its digits
    assert m.saving_kgce == (0.0, 0.0, 0.0)
    assert m.saving_cny[1] == pytest.approx(700800 * 0.0325, rel=1e-9)
    assert m.size == pytest.approx(kvar, rel=1e-9)
    assert m.investment_cny[1] == pytest.approx(20000 + kvar * 140, rel=1e-9)
    assert m.payback_years == pytest.approx((20000 + kvar * 140) / 22776, rel=1e-9)


def test_kgce_waste_is_split_over_the_site_mix_and_keeps_its_kgce(tmp_path: Path) -> None:
    """A scrap waste of 100 kgce (no carrier) on a site of 2,400 kWh (294.96 kgce) and 240 m3
    of gas at 36 MJ/m3 (294.80 kgce): split by kgce share, each share back at its own
    coefficient, so the typical saving is 0.30 × 100 × 365 = 10,950 kgce/a whatever the mix;
    CNY = Σ quantity × tariff."""
    ds, a = _assessed(tmp_path, _plant(gas=True))
    w = Waste("scrap_embodied", "P-1", None, 100.0, "kgce", 100.0, "", "", "")
    m = _by_id(recommend([w], a, ds.site, resolve_tariffs(ds.site)))["scrap_reduction"]
    assert m.saving_kgce[1] == pytest.approx(10950.0, rel=1e-9)
    e_kgce, g_kgce = 2400 * 0.1229, 240 * 36 / 29.3076
    kwh = 10950 * e_kgce / (e_kgce + g_kgce) / 0.1229
    m3 = 10950 * g_kgce / (e_kgce + g_kgce) / (36 / 29.3076)
    assert m.saved == pytest.approx({"electricity": kwh, "natural_gas": m3}, rel=1e-9)
    assert m.saving_cny[1] == pytest.approx(kwh * 0.8 + m3 * 4.0, rel=1e-9)
