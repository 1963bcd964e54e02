"""DuckDB and Spark give the same benchmark.json on a 200-enterprise programme (#22 evidence).

One portfolio, one comparison: a Spark session takes most of a minute to start here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cli_run import thermaudit

from thermaudit.portfolio import init_portfolio
from thermaudit.portfolio.store import METRICS

SECTORS = ("die_casting", "mold_making", "precision_casting")
MATERIALS = ("aluminium_alloy", "zinc_alloy", "magnesium_alloy")


@pytest.mark.slow
def test_duckdb_and_spark_benchmarks_differ_only_in_meta(
    tmp_path: Path, write_assessment, spark: Any
) -> None:
    rng = np.random.default_rng(22)
    pf = init_portfolio(tmp_path / "pf")
    for i in range(200):
        values = {m: float(rng.lognormal(4, 0.3)) for m in METRICS}
        pf.add(
            write_assessment(
                f"e{i}",
                f"C{i % 190}",  # ten enterprises assessed twice: the later one counts
                end=("2025-12-31", "2026-01-31")[i // 190],
                sector=SECTORS[int(rng.integers(3))],
                material=MATERIALS[int(rng.integers(3))],
                good_t=float(rng.choice([50.0, 200.0, 900.0, 3000.0])),
                values=values,
                grades={"waste_heat_recovery_rate": ["good", "fair", "poor"][i % 3]},
                completeness=100.0 if i % 17 else 50.0,
                skus={"S1": float(rng.uniform(100, 300)), "S2": float(rng.uniform(100, 300))},
            )
        )
    docs = {}
    for engine in ("duckdb", "spark"):
        r = thermaudit("benchmark", pf.path, "-o", tmp_path / engine, "--engine", engine)
        assert r.returncode == 0, r.stderr
        docs[engine] = json.loads((tmp_path / engine / "benchmark.json").read_text("utf-8"))
    assert docs["spark"]["meta"]["engine"]["name"] == "spark"
    assert docs["duckdb"]["meta"]["inputs"] == docs["spark"]["meta"]["inputs"]
    assert docs["duckdb"]["meta"]["inputs"]["latest_assessments"] == 190
    published = [c for c in docs["duckdb"]["cells"] if "suppressed" not in c]
    assert len(published) > 4  # the comparison covers real statistics, not only suppressions
    for d in docs.values():
        del d["meta"]
    assert docs["duckdb"] == docs["spark"]  # exact: the same values, sorted, the same arithmetic
