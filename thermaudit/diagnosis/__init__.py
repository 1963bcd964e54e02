"""Diagnosis: what the metrics mean for the plant (energy baseline, EnPI, savings)."""

from thermaudit.diagnosis.baseline import (
    BaselineError,
    BaselineModel,
    Savings,
    baseline_section,
    daily_series,
    fit_baseline,
    normalized_savings,
)

__all__ = [
    "BaselineError",
    "BaselineModel",
    "Savings",
    "baseline_section",
    "daily_series",
    "fit_baseline",
    "normalized_savings",
]
