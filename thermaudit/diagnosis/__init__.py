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
from thermaudit.diagnosis.weather import daily_weather, degree_days

__all__ = [
    "BaselineError",
    "BaselineModel",
    "Savings",
    "baseline_section",
    "daily_series",
    "daily_weather",
    "degree_days",
    "fit_baseline",
    "normalized_savings",
]
