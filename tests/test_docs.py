"""The committed docs are what the code renders: the contract and the metric definitions
cannot drift from the models and data files."""

from __future__ import annotations

from pathlib import Path

from thermaudit.docs import render_contract, render_metrics

DOCS = Path(__file__).parents[1] / "docs"


def test_contract_doc_is_generated() -> None:
    assert (DOCS / "dataset-contract.md").read_text("utf-8") == render_contract(), (
        "run: python -m thermaudit.docs docs"
    )


def test_metrics_doc_is_generated() -> None:
    assert (DOCS / "metrics.md").read_text("utf-8") == render_metrics(), (
        "run: python -m thermaudit.docs docs"
    )


def test_every_table_and_coefficient_is_documented() -> None:
    contract = render_contract()
    metrics = render_metrics()
    for name in (
        "readings",
        "production",
        "mold_temperature",
        "heat_streams",
        "melting",
        "calibrations",
        "meter_events",
        "energy_purchases",
        "green_certificates",
        "customers",
        "certifications",
        "weather",
        "metal_inputs",
        "maintenance",
        "quality",
    ):
        assert f"### {name}" in contract
    for coefficient in (
        "0.1229",
        "1.2143",
        "0.03412" if "0.03412" in metrics else "34.12",
        "0.5306",
        "15.3",
    ):
        assert coefficient in metrics
