"""What a metric returns: :class:`MetricResult`, with a coded data-sufficiency verdict.

A metric module's ``compute`` returns one :class:`MetricResult`; the assessment grades it,
adds its expanded uncertainty and writes :meth:`MetricResult.as_dict` into
``assessment.json``. The report and the web read these fields, never guess JSON shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from thermaudit.quality.findings import Finding

#: the reasons a metric's data may not qualify, each with the text written into
#: ``assessment.json`` (``sufficiency.reasons``); the fields fill the text
REASON_TEXT: dict[str, str] = {
    "sufficiency.meter_completeness": (
        "{subject}: completeness {completeness_pct:.1f} % < {floor_pct:.0f} %"
    ),
    "sufficiency.meter_no_data": "{subject}: no readings in the period",
    "sufficiency.supply_negative_differences": (
        "{subject}: {count} unexplained negative differences on a supply meter"
    ),
    "sufficiency.stream_rows": (
        "{subject}: {rows} of {expected:.0f} rows ({share_pct:.1f} % < {floor_pct:.0f} %)"
    ),
    "sufficiency.not_computable": "not computable",
}


@dataclass(frozen=True)
class Reason:
    """One reason why a metric's data do not qualify.

    Attributes
    ----------
    code : str
        One of :data:`REASON_TEXT` (``sufficiency.meter_completeness`` ...).
    subject : str or None
        The meter or stream the reason is about; ``None`` for the metric itself.
    values : dict
        The figures of the reason (e.g. ``completeness_pct``, ``floor_pct``). [as named]
    """

    code: str
    subject: str | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse a code that :data:`REASON_TEXT` does not list."""
        if self.code not in REASON_TEXT:
            raise ValueError(
                f"unknown sufficiency reason {self.code!r}; known: {', '.join(REASON_TEXT)}"
            )

    @property
    def text(self) -> str:
        """The reason as ``assessment.json`` writes it (English, stable)."""
        return REASON_TEXT[self.code].format(subject=self.subject, **self.values)


@dataclass(frozen=True)
class Sufficiency:
    """The data-sufficiency gate of one metric: qualified when there is no reason."""

    reasons: tuple[Reason, ...] = ()

    @property
    def qualified(self) -> bool:
        """True when no reason disqualifies the data."""
        return not self.reasons

    def as_dict(self) -> dict[str, Any]:
        """``{"qualified": ..., "reasons": [text, ...]}`` as in ``assessment.json``."""
        return {"qualified": self.qualified, "reasons": [r.text for r in self.reasons]}


@dataclass
class MetricResult:
    """The result of one metric over one dataset.

    Attributes
    ----------
    id : str
        Metric id of the specification (``unit_product_energy`` ...).
    value : float or None
        The headline value, ``None`` when it cannot be computed (a finding says why).
        [``unit``]
    unit : str
        Unit of ``value`` (``kgce/t``, ``%``, ``°C``, ``tCO2e/t``).
    detail : dict
        The figures behind the value, written as ``detail`` into ``assessment.json``.
    uncertainty_inputs : dict
        The quantities the uncertainty budget of the metric reads besides the meters'
        consumption (e.g. ``good_mass_t`` [t]), see :func:`~thermaudit.metrics.uncertainty
        .propagate`.
    findings : list of Finding
        Findings met while computing the metric, in the order met.
    sufficiency : Sufficiency
        Whether the data qualify, with coded reasons.
    facts : dict
        Intermediate results other stages reuse (not written), e.g. the heat of each stream.
    grade : str or None
        Set by :func:`~thermaudit.metrics.grading.grade`.
    uncertainty : float or None
        Expanded uncertainty U (k=2), set by the assessment. [``unit``]
    uncertainty_budget : dict or None
        The budget behind ``uncertainty``.
    """

    id: str
    value: float | None
    unit: str
    detail: dict[str, Any]
    uncertainty_inputs: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    sufficiency: Sufficiency = field(default_factory=Sufficiency)
    facts: dict[str, Any] = field(default_factory=dict)
    grade: str | None = None
    uncertainty: float | None = None
    uncertainty_budget: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The metric as ``assessment.json`` writes it (``thermaudit.assessment/1``)."""
        out: dict[str, Any] = {"value": self.value, "unit": self.unit, "detail": self.detail}
        if self.uncertainty_budget is not None:
            out["uncertainty"] = self.uncertainty
            out["uncertainty_budget"] = self.uncertainty_budget
        out["grade"] = self.grade
        out.setdefault("uncertainty", self.uncertainty)
        out["sufficiency"] = self.sufficiency.as_dict()
        return out
