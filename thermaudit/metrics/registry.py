"""The metrics thermaudit computes: one module per metric, looked up by id.

A specification names the metrics it requires by id; :func:`definition` finds each one's
module here, and refuses an id no module computes, listing the known ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from thermaudit.errors import SpecificationError
from thermaudit.metrics import (
    energy_metering_coverage,
    melting_energy_intensity,
    mold_temperature_control_accuracy,
    unit_product_carbon_intensity,
    unit_product_energy,
    waste_heat_recovery_rate,
)
from thermaudit.metrics.context import Context
from thermaudit.metrics.result import MetricResult


@dataclass(frozen=True)
class MetricDefinition:
    """One metric: its id, the module that defines it and its ``compute``."""

    id: str
    module: ModuleType
    compute: Callable[[Context], MetricResult]

    @property
    def summary(self) -> str:
        """First line of the module's docstring (the metric and its standard)."""
        return (self.module.__doc__ or "").strip().splitlines()[0]


METRICS: dict[str, MetricDefinition] = {
    m.ID: MetricDefinition(m.ID, m, m.compute)
    for m in (
        unit_product_energy,
        waste_heat_recovery_rate,
        mold_temperature_control_accuracy,
        melting_energy_intensity,
        unit_product_carbon_intensity,
        energy_metering_coverage,
    )
}


def definition(metric_id: str) -> MetricDefinition:
    """Return the definition of ``metric_id``.

    Raises
    ------
    SpecificationError
        No module computes ``metric_id`` (the message lists the known ids).
    """
    try:
        return METRICS[metric_id]
    except KeyError:
        raise SpecificationError(
            f"no metric {metric_id!r} is computed by thermaudit; known: {', '.join(METRICS)}"
        ) from None
