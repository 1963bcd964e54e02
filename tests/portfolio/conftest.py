"""Hand-made assessment.json documents for the portfolio and benchmark tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

METRIC_IDS = (
    "unit_product_energy",
    "waste_heat_recovery_rate",
    "mold_temperature_control_accuracy",
    "melting_energy_intensity",
    "unit_product_carbon_intensity",
    "energy_metering_coverage",
)


def assessment_doc(
    code: str,
    *,
    sector: str = "die_casting",
    material: str = "aluminium_alloy",
    good_t: float = 100.0,
    days: int = 31,
    end: str = "2025-12-31",
    generated_at: str = "2026-01-05T00:00:00+00:00",
    values: dict[str, float | None] | None = None,
    grades: dict[str, str] | None = None,
    qualified: dict[str, bool] | None = None,
    completeness: float = 100.0,
    skus: dict[str, float] | None = None,
) -> dict[str, Any]:
    """A minimal thermaudit.assessment/1 document; ``good_t`` is the period's good mass [t]
    (annual output = good_t x 365 / days)."""
    import datetime as dt

    e = dt.date.fromisoformat(end)
    start = (e - dt.timedelta(days=days - 1)).isoformat()
    values = {m: 100.0 for m in METRIC_IDS} | (values or {})
    metrics: dict[str, Any] = {}
    for m in METRIC_IDS:
        detail: dict[str, Any] = {}
        if m == "unit_product_energy":
            detail = {
                "good_mass_t": good_t,
                "by_sku": {
                    s: {"value": v, "good_mass_t": good_t / max(1, len(skus or {}))}
                    for s, v in (skus or {}).items()
                },
            }
        if m == "energy_metering_coverage":
            detail = {"completeness": completeness}
        metrics[m] = {
            "value": values.get(m),
            "unit": "",
            "detail": detail,
            "uncertainty": None,
            "uncertainty_budget": {},
            "grade": (grades or {}).get(m),
            "sufficiency": {
                "qualified": (qualified or {}).get(m, True),
                "reasons": [],
                "reason_codes": [],
            },
        }
    return {
        "schema": "thermaudit.assessment/1",
        "specification": "miit-2026-provisional@1",
        "inputs": [{"file": "site.yaml", "sha256": "0" * 64, "rows": 0}],
        "enterprise": {"name": f"Ent {code}", "credit_code": code, "sector": sector},
        "period": {"start": start, "end": end, "timezone": "Asia/Shanghai"},
        "metrics": metrics,
        "product_footprint": {
            "by_sku": {s: {"material": material, "good_mass_t": 1.0} for s in (skus or {"X": 0})}
        },
        "generated_at": generated_at,
    }


@pytest.fixture
def write_assessment(tmp_path: Path):  # type: ignore[no-untyped-def]
    """``write_assessment(name, code, **kw)`` writes tmp/…/name/assessment.json; the folder."""

    def write(name: str, code: str, **kw: Any) -> Path:
        folder = tmp_path / "assessments" / name
        folder.mkdir(parents=True)
        doc = assessment_doc(code, **kw)
        (folder / "assessment.json").write_text(json.dumps(doc), encoding="utf-8")
        return folder

    return write
