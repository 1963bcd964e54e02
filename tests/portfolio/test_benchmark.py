"""Sector benchmarks: an independent route for the percentiles, suppression against the
subtraction attack, supersession, incomplete periods and outliers kept apart."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cli_run import thermaudit
from openpyxl import load_workbook

from thermaudit.portfolio import init_portfolio
from thermaudit.portfolio.benchmark import MIN_CELL, _protect, benchmark, linear_quantile
from thermaudit.portfolio.store import METRICS as METRIC_IDS


def _cell(doc: dict[str, Any], level: str, **labels: str) -> dict[str, Any]:
    found = [
        c
        for c in doc["cells"]
        if c["level"] == level and all(c.get(k) == v for k, v in labels.items())
    ]
    assert len(found) == 1, (level, labels, found)
    return found[0]


@pytest.mark.parametrize("q", [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
def test_linear_quantile_is_numpys_linear_method(q: float) -> None:
    xs = sorted([3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.3])
    # tolerance: the same arithmetic in another order, a few ulps
    assert linear_quantile(xs, q) == pytest.approx(np.quantile(xs, q), rel=1e-15)


def _band(d: dict[str, Any]) -> str:
    """Size band by hand: good mass over the period scaled to 365 days."""
    import datetime as dt

    p = d["period"]
    days = (dt.date.fromisoformat(p["end"]) - dt.date.fromisoformat(p["start"])).days + 1
    t = d["metrics"]["unit_product_energy"]["detail"]["good_mass_t"] * 365 / days
    return (
        "under_1kt" if t < 1000 else "1-5kt" if t < 5000 else "5-20kt" if t < 20000 else "20kt_plus"
    )


def _members(docs: list[dict[str, Any]], cell: dict[str, Any]) -> list[dict[str, Any]]:
    def key(d: dict[str, Any]) -> dict[str, str]:
        material = next(iter(d["product_footprint"]["by_sku"].values()))["material"]
        process = {"die_casting": "die_casting", "mold_making": "mold_making"}
        return {
            "sector": d["enterprise"]["sector"],
            "material": material,
            "process": process[d["enterprise"]["sector"]],
            "size_band": _band(d),
        }

    labels = {k: cell[k] for k in ("sector", "material", "process", "size_band") if k in cell}
    return [d for d in docs if all(key(d)[k] == v for k, v in labels.items())]


def test_every_published_percentile_matches_plain_python(tmp_path: Path, write_assessment) -> None:
    """Independent route: numpy over the assessment.json files themselves, for every
    published cell (overall, sectors, and the product groups × size bands)."""
    rng = np.random.default_rng(7)
    pf = init_portfolio(tmp_path / "pf")
    folders = []
    for i in range(40):
        sector = ("die_casting", "mold_making")[i % 2]
        values = {m: float(rng.uniform(10, 200)) for m in METRIC_IDS}
        grades = {"waste_heat_recovery_rate": ["good", "fair", "poor"][i % 3]}
        skus = {f"S{j}": float(rng.uniform(100, 300)) for j in range(1 + i % 3)}
        folders.append(
            write_assessment(
                f"e{i}",
                f"C{i}",
                sector=sector,
                material=("aluminium_alloy", "zinc_alloy")[(i // 2) % 2],
                good_t=(50.0, 900.0)[(i // 4) % 2],  # 31 days: 589 and 10,597 t/a
                values=values,
                grades=grades,
                skus=skus,
            )
        )
        pf.add(folders[-1])
    doc, _ = benchmark(pf)
    docs = [json.loads((f / "assessment.json").read_text()) for f in folders]
    published = [c for c in doc["cells"] if "suppressed" not in c]
    assert {c["level"] for c in published} == {"overall", "sector", "group"}
    checked = 0
    for cell in published:
        mine = _members(docs, cell)
        assert cell["enterprises"] == len(mine)
        for m in METRIC_IDS:
            xs = [d["metrics"][m]["value"] for d in mine]
            st = cell["metrics"][m]
            assert st["count"] == len(xs)
            for name, q in (
                ("p10", 0.1),
                ("p25", 0.25),
                ("median", 0.5),
                ("p75", 0.75),
                ("p90", 0.9),
            ):
                # tolerance: the same interpolation, summed in another order
                assert st[name] == pytest.approx(np.quantile(xs, q), rel=1e-12), (m, name)
                checked += 1
            assert st["mean"] == pytest.approx(np.mean(xs), rel=1e-12)
        wh = [d["metrics"]["waste_heat_recovery_rate"]["grade"] for d in mine]
        passing = cell["metrics"]["waste_heat_recovery_rate"]["passing"]
        assert passing["good"] == pytest.approx(wh.count("good") / len(wh))
        assert passing["fair"] == pytest.approx((wh.count("good") + wh.count("fair")) / len(wh))
        assert passing["poor"] == pytest.approx(1.0)
        sku = [
            s["value"]
            for d in mine
            for s in d["metrics"]["unit_product_energy"]["detail"]["by_sku"].values()
        ]
        st = cell["metrics"]["sku_unit_energy"]
        assert st["values"] == len(sku) and st["count"] == len(mine)
        for name, q in (("p10", 0.1), ("median", 0.5), ("p90", 0.9)):
            assert st[name] == pytest.approx(np.quantile(sku, q), rel=1e-12)
    assert checked >= 5 * 6 * 4  # at least four cells' worth of percentiles


def test_protect_never_leaves_one_small_child_alone() -> None:
    counts = {("a",): 3, ("b",): 6, ("c",): 7, ("d",): 20}
    out = _protect(counts, set())
    assert out == {("a",): "primary", ("b",): "complementary"}
    # two small children already hold 5 enterprises together: nothing more to hide
    assert _protect({("a",): 2, ("b",): 3, ("c",): 9}, set()) == {
        ("a",): "primary",
        ("b",): "primary",
    }
    # two tiny ones (1 + 1 < 5): a third child is added
    out = _protect({("a",): 1, ("b",): 1, ("c",): 8, ("d",): 9}, set())
    assert set(out) == {("a",), ("b",), ("c",)}
    assert _protect({("a",): 6, ("b",): 9}, set()) == {}


def _group_portfolio(tmp_path: Path, write_assessment, sizes: dict[str, int]) -> Any:
    """One sector; group g has sizes[g] enterprises of material g."""
    pf = init_portfolio(tmp_path / "pf")
    i = 0
    for material, n in sizes.items():
        for _ in range(n):
            i += 1
            v = 100.0 + i * 7.0
            pf.add(
                write_assessment(
                    f"e{i}", f"C{i}", material=material, values={m: v for m in METRIC_IDS}
                )
            )
    return pf


def test_subtraction_attack_recovers_no_suppressed_cell(tmp_path: Path, write_assessment) -> None:
    sizes = {"aluminium_alloy": 8, "zinc_alloy": 2, "magnesium_alloy": 6, "copper_alloy": 9}
    pf = _group_portfolio(tmp_path, write_assessment, sizes)
    doc, _ = benchmark(pf)
    sector = _cell(doc, "sector", sector="die_casting")
    groups = [c for c in doc["cells"] if c["level"] == "group"]
    hidden = [c for c in groups if "suppressed" in c]
    shown = [c for c in groups if "suppressed" not in c]
    assert {c["material"] for c in hidden} == {"zinc_alloy", "magnesium_alloy"}
    assert _cell(doc, "group", material="zinc_alloy")["suppressed"] == "primary"
    assert _cell(doc, "group", material="magnesium_alloy")["suppressed"] == "complementary"
    # the attack: sector totals minus the published groups
    n_left = sector["enterprises"] - sum(c["enterprises"] for c in shown)
    m = "unit_product_energy"
    sum_left = sector["metrics"][m]["mean"] * sector["metrics"][m]["count"] - sum(
        c["metrics"][m]["mean"] * c["metrics"][m]["count"] for c in shown
    )
    assert n_left == 8 >= MIN_CELL  # only the pooled 2 + 6 enterprises come out
    assert all(n_left != sizes[c["material"]] for c in hidden)
    # no published cell (nor metric) has fewer than MIN_CELL enterprises
    for c in doc["cells"]:
        if "suppressed" not in c:
            assert c["enterprises"] >= MIN_CELL
            for st in c["metrics"].values():
                assert "suppressed" in st or st["count"] == 0 or st["count"] >= MIN_CELL
    assert sum_left == pytest.approx(sum(100.0 + i * 7.0 for i in range(9, 17)))


def test_identities_stay_in_the_operator_file(tmp_path: Path, write_assessment) -> None:
    pf = _group_portfolio(tmp_path, write_assessment, {"aluminium_alloy": 7})
    pf.add(write_assessment("far", "OUTLIER-9", values={"unit_product_energy": 10_000.0}))
    pf.add(write_assessment("bad", "UNQUAL-1", qualified={"melting_energy_intensity": False}))
    r = thermaudit("benchmark", pf.path, "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "out" / "benchmark.json").read_text(encoding="utf-8")
    wb = load_workbook(tmp_path / "out" / "benchmark.xlsx")
    cells = " ".join(str(v) for row in wb.active.iter_rows(values_only=True) for v in row)
    # no internal identifiers (snake_case codes) in what a reader sees
    assert not re.findall(r"\b[a-z0-9]+_[a-z0-9_]+\b", cells)
    header = next(wb.active.iter_rows(values_only=True))
    assert "中位数 / median / 중앙값" in header and "单位 / unit / 단위" in header
    for code in ["OUTLIER-9", "UNQUAL-1", *(f"C{i}" for i in range(1, 8))]:
        assert f'"{code}"' not in text and code not in cells
    review = json.loads((tmp_path / "out" / "operator" / "review.json").read_text())
    found = {(x["enterprise"], x["reason"], x["metric"]) for x in review["items"]}
    assert ("OUTLIER-9", "outlier", "unit_product_energy") in found
    assert ("UNQUAL-1", "not_qualified", "melting_energy_intensity") in found
    # flagged, not dropped: the outlier's value is in the sector's count
    doc = json.loads(text)
    sector = _cell(doc, "sector", sector="die_casting")["metrics"]
    assert sector["unit_product_energy"]["count"] == 9
    assert sector["unit_product_energy"]["outliers_flagged"] == 1  # said so in the cell
    assert sector["melting_energy_intensity"]["not_qualified"] == 1
    assert sector["melting_energy_intensity"]["count"] == 8


def test_latest_assessment_only_and_incomplete_kept_out(tmp_path: Path, write_assessment) -> None:
    pf = init_portfolio(tmp_path / "pf")
    for i in range(6):
        pf.add(write_assessment(f"e{i}", f"C{i}", values={"unit_product_energy": 100.0 + i}))
    # C0 re-assessed later: 200 supersedes 100
    pf.add(
        write_assessment("e0-new", "C0", end="2026-01-31", values={"unit_product_energy": 200.0})
    )
    # an incomplete one: counted as an enterprise, out of the percentiles
    pf.add(write_assessment("cut", "C9", completeness=60.0, values={"unit_product_energy": 1.0}))
    doc, review = benchmark(pf)
    cell = _cell(doc, "overall")
    assert cell["enterprises"] == 7 and cell["incomplete_excluded"] == 1
    st = cell["metrics"]["unit_product_energy"]
    xs = [200.0, 101.0, 102.0, 103.0, 104.0, 105.0]
    assert st["count"] == 6 and st["median"] == pytest.approx(np.median(xs))
    assert doc["meta"]["inputs"]["assessments_in_store"] == 8
    assert ("C9", "incomplete_period") in {(x["enterprise"], x["reason"]) for x in review["items"]}


def test_small_portfolio_is_wholly_suppressed(tmp_path: Path, write_assessment) -> None:
    pf = _group_portfolio(tmp_path, write_assessment, {"aluminium_alloy": 3})
    doc, _ = benchmark(pf)
    assert all(c.get("suppressed") for c in doc["cells"])


def test_cli_refuses_an_unknown_engine_and_a_missing_portfolio(tmp_path: Path) -> None:
    pf = init_portfolio(tmp_path / "pf")
    r = thermaudit("benchmark", pf.path, "-o", tmp_path / "out", "--engine", "oracle")
    assert r.returncode == 2
    assert "no engine 'oracle'" in r.stderr and "duckdb, spark" in r.stderr
    assert not (tmp_path / "out").exists()
    r = thermaudit("benchmark", tmp_path / "none", "-o", tmp_path / "out", columns=400)
    assert r.returncode == 2
    assert str(tmp_path / "none" / "portfolio.json") in r.stderr
    assert "Traceback" not in r.stderr
