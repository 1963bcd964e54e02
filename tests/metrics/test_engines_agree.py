"""The same assessment on DuckDB and Spark: ``thermaudit assess DATASET -o OUT --engine spark``
writes the same assessment.json values as the default, every number compared, on both
conformance plants (in CI) and on the demo plant (slow); the Spark document also passes the
conformance plants' own checks.

Tolerance: strings, booleans, nulls, counts and list lengths must be equal. Floats agree to
a relative 1e-12: Spark adds a column's values partition by partition, so a sum is the same
numbers added in another order (seen here: at most 2e-15 relative), or an absolute 1e-12 for
figures that are a difference of near-equal sums (a mean bias of 3e-16 against 4e-16, a
reconciliation gap of -0.0216 % differing by 1e-13); quantiles are exact on
both (``PERCENTILE`` and ``quantile_cont`` over the same sorted values).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conformance_checks import assess_cli, differences, path_check_failures

FIXTURES = Path(__file__).parents[1] / "fixtures" / "conformance"
PLANTS = ["mini", "mini-options"]


def test_differences_finds_what_differs() -> None:
    """The comparison itself can fail: a relative 1e-11, a key, a type, a length."""
    a = {"m": {"v": 1.0, "n": 3, "s": "x", "l": [1.0, None]}, "engine": {"name": "duckdb"}}
    assert differences(a, json.loads(json.dumps(a)) | {"engine": {"name": "spark"}}) == []
    assert differences(a, {**a, "m": {**a["m"], "v": 1.0 + 1e-11}}) == ["m.v: 1.0 != 1.00000000001"]
    assert differences(a, {**a, "m": {**a["m"], "n": 3.0}}) == ["m.n: 3 != 3.0"]
    assert differences(a, {**a, "m": {**a["m"], "l": [1.0]}}) == ["m.l: 2 != 1 items"]
    assert differences(a, {**a, "x": 1}) == [": keys ['x']"]
    assert differences(1.0 + 2e-15, 1.0) == []
    assert differences(4.3e-16, 2.7e-16) == []  # both rounding noise about 0
    assert differences(1e-10, 2e-10) == [": 1e-10 != 2e-10"]


@pytest.fixture(scope="module", params=PLANTS)
def both(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, spark: Any
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    name = request.param
    out = tmp_path_factory.mktemp(f"{name}-engines")
    default = assess_cli(FIXTURES / name, out / "duckdb")
    on_spark = assess_cli(FIXTURES / name, out / "spark", "--engine", "spark")
    return name, default, on_spark


def test_spark_cli_gives_the_same_assessment(
    both: tuple[str, dict[str, Any], dict[str, Any]],
) -> None:
    _name, default, on_spark = both
    assert default["engine"]["name"] == "duckdb"
    assert on_spark["engine"]["name"] == "spark"
    assert on_spark["engine"]["version"].startswith("4.0.")
    assert "diagnosis" in on_spark  # the whole document, diagnosis included
    assert differences(default, on_spark) == []


def test_spark_document_passes_the_conformance_checks(
    both: tuple[str, dict[str, Any], dict[str, Any]],
) -> None:
    name, _default, on_spark = both
    expected = json.loads((FIXTURES / name / "expected.json").read_text("utf-8"))
    failures, checked = path_check_failures(name, on_spark, expected)
    assert checked > 50 and failures == []


@pytest.mark.slow
def test_spark_cli_on_the_demo_plant(tmp_path: Path, spark: Any) -> None:
    """The demo plant (10 days) through the CLI on both engines: the same numbers."""
    from thermaudit.demo import write_demo

    write_demo(tmp_path / "dataset", days=10)
    default = assess_cli(tmp_path / "dataset", tmp_path / "duckdb")
    on_spark = assess_cli(tmp_path / "dataset", tmp_path / "spark", "--engine", "spark")
    assert differences(default, on_spark) == []
