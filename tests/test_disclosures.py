"""ESRS E1 and VSME B3 datapoints, their xBRL-JSON rendering and the K-ESG workbook, on a
one-day plant worked by hand.

The plant (period 2025-03-01, Jiangsu → East China grid; the grid's generation mix falls back
to the national 2023 row: fossil 64.5 %, nuclear 4.6 %, renewable 30.9 %):

  E-MAIN  electricity supply            1000 kWh → 1.000 MWh purchased
  E-PV    electricity generation (PV)    100 kWh → 0.100 MWh self-generated, renewable
  G-MAIN  natural gas supply             100 m3 at the measured NCV 36.0 MJ/m3
                                         → 3600 MJ = 1.000 MWh, fossil (natural gas)
  green certificates: 0.2 MWh over 10 days → 0.020 MWh in the period, renewable

Purchased electricity not covered by certificates: 1.000 − 0.020 = 0.980 MWh, split by the
grid mix: fossil 0.980 × 0.645 = 0.63210, nuclear 0.980 × 0.046 = 0.04508, renewable
0.980 × 0.309 = 0.30282 MWh.

  total       1.000 + 0.100 + 1.000                  = 2.100 MWh
  fossil      1.000 (gas) + 0.63210                  = 1.63210 MWh
  nuclear                                              0.04508 MWh
  renewable   0.100 + 0.020 + 0.30282                = 0.42282 MWh (20.1343 %)
  fossil + nuclear + renewable = 2.100 MWh = total.

Net revenue 1,000,000 CNY: energy intensity 2.1 × 10⁻⁶ MWh/CNY (2.1 MWh per million CNY).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from builders import Plant
from cli_run import thermaudit
from openpyxl import load_workbook

REL = 1e-12


def plant(revenue: bool = True) -> Plant:
    p = Plant()
    day = dict(reading="interval", interval_s=86400)
    p.site["meters"][0].update(**day)
    p.meter(id="E-PV", role="generation", **day)
    p.meter(id="G-MAIN", carrier="natural_gas", unit="m3", role="supply", **day)
    p.site.setdefault("options", {})["natural_gas_ncv_mj_per_m3"] = 36.0
    if revenue:
        p.site["enterprise"]["net_revenue"] = {"amount": 1_000_000, "currency": "CNY"}
    end = "2025-03-02 00:00:00"
    for mid, q in (("E-MAIN", 1000), ("E-PV", 100), ("G-MAIN", 100)):
        p.rows("readings", {"meter_id": mid, "timestamp": end, "value": q})
    p.rows(
        "green_certificates",
        {
            "period_start": "2025-02-25",
            "period_end": "2025-03-06",
            "mwh": 0.2,
            "certificate_no": "GEC-1",
            "scheme": "I-REC",
        },
    )
    return p


def _export(root: Path, p: Plant) -> Path:
    dataset = p.write(root / "dataset")
    out = root / "out"
    run = thermaudit("export", dataset, "-o", out, "--format", "esrs,vsme,kesg")
    assert run.returncode == 0, run.stderr
    return out


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _export(tmp_path_factory.mktemp("disclosures"), plant())


def _load(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def _points(doc: dict[str, Any]) -> dict[str, Any]:
    return {d["element"]: d for d in doc["datapoints"]}


def test_the_energy_split_by_hand(out: Path) -> None:
    use = _load(out / "assessment.json")["energy_use"]
    assert use["total_mwh"] == pytest.approx(2.1, rel=REL)
    assert use["fossil_mwh"] == pytest.approx(1.0 + 0.98 * 0.645, rel=REL)
    assert use["nuclear_mwh"] == pytest.approx(0.98 * 0.046, rel=REL)
    assert use["renewable_mwh"] == pytest.approx(0.1 + 0.02 + 0.98 * 0.309, rel=REL)
    assert use["renewable_pct"] == pytest.approx(100 * 0.42282 / 2.1, rel=1e-9)
    assert use["fossil_mwh"] + use["nuclear_mwh"] + use["renewable_mwh"] == pytest.approx(
        use["total_mwh"], rel=REL
    )
    assert use["certificate_schemes"] == ["I-REC"]
    assert use["grid_mix"]["used_national"] is True and use["grid_mix"]["year"] == 2023


def test_esrs_datapoints_by_element_name(out: Path) -> None:
    esrs = _load(out / "esrs-e1.json")
    doc = _load(out / "assessment.json")
    carbon = doc["metrics"]["unit_product_carbon_intensity"]["detail"]
    p = _points(esrs)
    assert p["esrs:EnergyConsumptionRelatedToOwnOperations"]["value"] == pytest.approx(2.1)
    assert p["esrs:EnergyConsumptionRelatedToOwnOperations"]["unit"] == "MWh"
    assert p["esrs:FuelConsumptionFromNaturalGas"]["value"] == pytest.approx(1.0, rel=REL)
    assert p["esrs:ConsumptionOfSelfgeneratedNonfuelRenewableEnergy"]["value"] == pytest.approx(
        0.1, rel=REL
    )
    purchased_renewable = "esrs:ConsumptionOfPurchasedOrAcquiredElectricityHeatSteamAndCooling"
    assert p[purchased_renewable + "FromRenewableSources"]["value"] == pytest.approx(
        0.02 + 0.98 * 0.309, rel=REL
    )
    # unrounded, exactly the assessment's figures
    assert p["esrs:GrossScope1GreenhouseGasEmissions"]["value"] == carbon["scope1_t"]
    assert (
        p["esrs:GrossMarketBasedScope2GreenhouseGasEmissions"]["value"]
        == (carbon["scope2_market_t"])
    )
    intensity = p[
        "esrs:EnergyIntensityFromActivitiesInHighClimateImpactSectors"
        "TotalEnergyConsumptionPerNetRevenue"
    ]
    assert intensity["value"] == pytest.approx(2.1e-6, rel=1e-9)
    assert intensity["unit"] == "MWh/CNY"
    # a figure that rests on the grid mix says so; one that does not, does not
    assert "grid generation mix" in p["esrs:EnergyConsumptionFromFossilSources"]["defaults"]
    assert p["esrs:FuelConsumptionFromNaturalGas"]["defaults"] == []
    # scope 3 is not assessed: never a number, always the reason
    missing = {d["element"]: d["reason"] for d in esrs["not_reported"]}
    assert "scope 3 is not assessed" in missing["esrs:GrossScope3GreenhouseGasEmissions"]
    assert "esrs:GrossGreenhouseGasEmissions" in missing
    assert esrs["assessment"]["sha256"]


def test_vsme_b3_with_its_breakdown(out: Path) -> None:
    vsme = _load(out / "vsme-b3.json")
    p = _points(vsme)
    assert p["vsme:TotalEnergyConsumption"]["value"] == pytest.approx(2.1, rel=REL)
    assert p["vsme:EnergyConsumptionFromElectricity"]["value"] == pytest.approx(1.1, rel=REL)
    assert p["vsme:EnergyConsumptionFromFuels"]["value"] == pytest.approx(1.0, rel=REL)
    s12 = p["vsme:TotalGrossLocationBasedScope1AndScope2GHGEmissions"]["value"]
    assert s12 == pytest.approx(
        p["vsme:GrossScope1GreenhouseGasEmissions"]["value"]
        + p["vsme:GrossLocationBasedScope2GreenhouseGasEmissions"]["value"],
        rel=REL,
    )
    intensity = p["vsme:TotalLocationBasedGreenhouseGasEmissionsIntensityValue"]
    assert intensity["value"] == pytest.approx(s12 / 1_000_000, rel=REL)
    b = vsme["energy_breakdown"]
    assert b["electricity"]["renewable_mwh"] == pytest.approx(0.1 + 0.02 + 0.98 * 0.309)
    assert b["total"]["renewable_mwh"] + b["total"]["non_renewable_mwh"] == pytest.approx(2.1)


def test_xbrl_json_renders_the_same_facts(out: Path) -> None:
    esrs = _load(out / "esrs-e1.json")
    x = _load(out / "esrs-e1.xbrl.json")
    assert x["documentInfo"]["documentType"] == "https://xbrl.org/2021/xbrl-json"
    facts = list(x["facts"].values())
    assert len(facts) == len(esrs["datapoints"])
    by_concept = {f["dimensions"]["concept"]: f for f in facts}
    for d in esrs["datapoints"]:
        f = by_concept[d["element"]]
        assert f["dimensions"]["period"] == "2025-03-01T00:00:00/2025-03-02T00:00:00"
        assert f["dimensions"]["entity"].startswith("uscc:")
        assert re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", f["value"]), f["value"]
        expected = d["value"] / 100 if d["unit"] == "%" else d["value"]
        assert float(f["value"]) == pytest.approx(expected, rel=1e-15)
    share = by_concept["esrs:PercentageOfRenewableSourcesInTotalEnergyConsumption"]
    assert share["dimensions"]["unit"] == "xbrli:pure"
    prefix = x["documentInfo"]["namespaces"]
    assert {"esrs", "utr", "iso4217", "uscc"} <= set(prefix)
    assert _load(out / "vsme-b3.xbrl.json")["facts"]


def test_kesg_workbook_in_korean(out: Path) -> None:
    wb = load_workbook(out / "k-esg.xlsx")
    assert wb.sheetnames == ["K-ESG 환경", "기본 정보"]
    rows = list(wb["K-ESG 환경"].iter_rows(values_only=True))
    by_item = {r[0]: r for r in rows[1:] if r and r[0]}
    assert by_item["에너지 사용량"][1:3] == (pytest.approx(2.1, rel=REL), "MWh")
    assert by_item["에너지 사용량(TJ)"][1] == pytest.approx(2.1 * 0.0036, rel=REL)
    assert by_item["에너지 사용량 집약도"][1] == pytest.approx(2.1, rel=1e-9)  # per million CNY
    assert by_item["에너지 사용량 집약도"][2] == "MWh/백만 CNY"
    # no English prose in the Korean workbook: every text cell is Korean or a unit/code
    texts = [v for r in rows for v in r if isinstance(v, str)]
    english = [t for t in texts if re.search(r"[A-Za-z]{3,}\s+[A-Za-z]{3,}\s+[A-Za-z]{3,}", t)]
    assert english == []


def test_without_net_revenue_the_intensities_say_why(tmp_path: Path) -> None:
    out = _export(tmp_path, plant(revenue=False))
    esrs = _load(out / "esrs-e1.json")
    missing = {d["element"]: d["reason"] for d in esrs["not_reported"]}
    key = (
        "esrs:EnergyIntensityFromActivitiesInHighClimateImpactSectors"
        "TotalEnergyConsumptionPerNetRevenue"
    )
    assert "net revenue" in missing[key]
    assert key not in _points(esrs)
    rows = list(load_workbook(out / "k-esg.xlsx")["K-ESG 환경"].iter_rows(values_only=True))
    row = next(r for r in rows if r[0] == "에너지 사용량 집약도")
    assert row[1] is None and "매출액" in row[4]


def test_an_assessment_without_energy_use_is_refused(out: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    doc = _load(out / "assessment.json")
    del doc["energy_use"]
    (old / "assessment.json").write_text(json.dumps(doc), "utf-8")
    run = thermaudit("export", old, "--format", "esrs")
    assert run.returncode != 0
    text = " ".join(run.stderr.split())
    assert "energy_use" in text and "Traceback" not in run.stderr


def test_the_grid_mix_rows_add_up_and_are_cited() -> None:
    from thermaudit.reference import table

    for r in table("grid_mix"):
        assert r["fossil_pct"] + r["nuclear_pct"] + r["renewable_pct"] == pytest.approx(100)
        assert r["source"] and r["confidence"] in ("high", "medium", "low")
