"""What a metric returns: :class:`MetricResult`, with a coded data-sufficiency verdict.

A metric module's ``compute`` returns one :class:`MetricResult`; the assessment grades it,
adds its expanded uncertainty and writes :meth:`MetricResult.as_dict` into
``assessment.json``. The report and the web read these fields back through
:class:`Assessment` and :class:`AssessedMetric` (:meth:`Assessment.from_json`), never by
guessing JSON shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from thermaudit.errors import InvalidAssessment, Problem
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

#: the same reasons in Chinese and Korean, for the report (the fields as in :data:`REASON_TEXT`)
REASON_TEXT_ZH_KO: dict[str, tuple[str, str]] = {
    "sufficiency.meter_completeness": (
        "{subject}：数据完整率 {completeness_pct:.1f} % < {floor_pct:.0f} %",
        "{subject}: 데이터 완전성 {completeness_pct:.1f} % < {floor_pct:.0f} %",
    ),
    "sufficiency.meter_no_data": ("{subject}：期间内无读数", "{subject}: 기간 내 검침값 없음"),
    "sufficiency.supply_negative_differences": (
        "{subject}：输入计量器具有 {count} 个无法解释的负差值",
        "{subject}: 외부 구입 계량기에 설명되지 않는 음(-)의 차이 {count}건",
    ),
    "sufficiency.stream_rows": (
        "{subject}：{rows} 行，应有 {expected:.0f} 行（{share_pct:.1f} % < {floor_pct:.0f} %）",
        "{subject}: {rows}행 / 예상 {expected:.0f}행({share_pct:.1f} % < {floor_pct:.0f} %)",
    ),
    "sufficiency.not_computable": ("无法计算", "계산할 수 없음"),
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

    def text_in(self, lang: str) -> str:
        """Word the reason in ``lang`` (``zh``, ``en`` or ``ko``), for the report."""
        if lang == "en":
            return self.text
        template = REASON_TEXT_ZH_KO[self.code][("zh", "ko").index(lang)]
        return template.format(subject=self.subject, **self.values)

    def as_dict(self) -> dict[str, Any]:
        """``{"code", "subject", "values"}`` as in ``assessment.json``."""
        return {"code": self.code, "subject": self.subject, "values": self.values}


@dataclass(frozen=True)
class Sufficiency:
    """The data-sufficiency gate of one metric: qualified when there is no reason."""

    reasons: tuple[Reason, ...] = ()

    @property
    def qualified(self) -> bool:
        """True when no reason disqualifies the data."""
        return not self.reasons

    def as_dict(self) -> dict[str, Any]:
        """Write ``{"qualified", "reasons", "reason_codes"}`` as in ``assessment.json``.

        The texts are in English; each reason is coded too, so that a report can word it in
        its reader's language.
        """
        return {
            "qualified": self.qualified,
            "reasons": [r.text for r in self.reasons],
            "reason_codes": [r.as_dict() for r in self.reasons],
        }


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
        """Write the metric as ``assessment.json`` holds it (``thermaudit.assessment/1``)."""
        out: dict[str, Any] = {"value": self.value, "unit": self.unit, "detail": self.detail}
        if self.uncertainty_budget is not None:
            out["uncertainty"] = self.uncertainty
            out["uncertainty_budget"] = self.uncertainty_budget
        out["grade"] = self.grade
        out.setdefault("uncertainty", self.uncertainty)
        out["sufficiency"] = self.sufficiency.as_dict()
        return out


# ---------------------------------------------------------------------------------------------
# Reading back: what assessment.json holds of each metric


def _shape(value: Any) -> str:
    return "null" if value is None else type(value).__name__


@dataclass(frozen=True)
class AssessedMetric:
    """One metric as :meth:`MetricResult.as_dict` wrote it into ``assessment.json``.

    Attributes
    ----------
    id : str
        Metric id of the specification.
    value : float or None
        The headline value; ``None`` when it could not be computed. [``unit``]
    unit : str
        Unit of ``value``; empty when the document names none.
    detail : dict
        The figures behind the value (the metric module's ``detail``).
    grade : str or None
        The grade, ``None`` when not graded.
    uncertainty : float or None
        Expanded uncertainty U (k=2). [``unit``]
    uncertainty_budget : dict or None
        The budget behind ``uncertainty``.
    qualified : bool or None
        The data-sufficiency verdict; ``None`` when the document records none (a metric the
        assessment does not hold).
    reasons : tuple of str
        Why the data do not qualify, as written.
    reason_codes : tuple of Reason
        The same reasons coded, when the document records them (older documents do not).
    """

    id: str
    value: float | None = None
    unit: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    grade: str | None = None
    uncertainty: float | None = None
    uncertainty_budget: dict[str, Any] | None = None
    qualified: bool | None = None
    reasons: tuple[str, ...] = ()
    reason_codes: tuple[Reason, ...] = ()

    def reasons_in(self, lang: str) -> list[str]:
        """Say why the data do not qualify, in ``lang``.

        The texts as written when the document records no codes (an older document).
        """
        if self.reason_codes:
            return [r.text_in(lang) for r in self.reason_codes]
        return list(self.reasons)

    @classmethod
    def from_json(
        cls, metric_id: str, data: Mapping[str, Any], *, source: str = "assessment.json"
    ) -> AssessedMetric:
        """Read one metric block of ``assessment.json``.

        Parameters
        ----------
        metric_id : str
            The key of the block under ``metrics``.
        data : mapping
            The block, as :meth:`MetricResult.as_dict` writes it.
        source : str
            The file named in an error.

        Returns
        -------
        AssessedMetric
            The block's fields.

        Raises
        ------
        InvalidAssessment
            A field of another type than ``thermaudit.assessment/1`` writes, naming the
            file, the key, what was expected and what was found.
        """

        def bad(key: str, expected: str, found: Any = None) -> InvalidAssessment:
            found = data.get(key) if found is None else found
            return InvalidAssessment(
                Problem(source, None, f"metrics.{metric_id}.{key}", expected, _shape(found))
            )

        def number(key: str) -> float | None:
            v = data.get(key)
            if v is None:
                return None
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise bad(key, "a number or null")
            return v  # as written: an int stays an int, so the report prints it alike

        def typed(key: str, kind: type, expected: str, default: Any) -> Any:
            v = data.get(key)
            if v is None:
                return default
            if not isinstance(v, kind):
                raise bad(key, expected)
            return v

        suff = typed("sufficiency", dict, "an object with qualified and reasons", None)
        qualified, reasons = None, ()
        reason_codes: tuple[Reason, ...] = ()
        if suff is not None:
            qualified = suff.get("qualified")
            if not isinstance(qualified, bool):
                raise bad("sufficiency.qualified", "true or false", qualified)
            listed = suff.get("reasons") or []
            if not isinstance(listed, list) or not all(isinstance(r, str) for r in listed):
                raise bad("sufficiency.reasons", "a list of texts", listed)
            reasons = tuple(listed)
            codes = suff.get("reason_codes") or []
            if not isinstance(codes, list):
                raise bad("sufficiency.reason_codes", "a list of coded reasons", codes)
            try:
                reason_codes = tuple(
                    Reason(str(c["code"]), c.get("subject"), dict(c.get("values") or {}))
                    for c in codes
                )
                for code in reason_codes:  # each can be worded (its values fill the texts)
                    code.text_in("zh"), code.text_in("en"), code.text_in("ko")
            except (TypeError, KeyError, AttributeError, ValueError, IndexError):
                raise bad(
                    "sufficiency.reason_codes",
                    "a list of {code, subject, values} with a known code",
                    codes,
                ) from None
        return cls(
            id=metric_id,
            value=number("value"),
            unit=typed("unit", str, "a text", ""),
            detail=typed("detail", dict, "an object", {}),
            grade=typed("grade", str, "a text or null", None),
            uncertainty=number("uncertainty"),
            uncertainty_budget=typed("uncertainty_budget", dict, "an object or null", None),
            qualified=qualified,
            reasons=reasons,
            reason_codes=reason_codes,
        )


@dataclass(frozen=True)
class Assessment:
    """The metrics of an ``assessment.json``, read into :class:`AssessedMetric` records.

    Attributes
    ----------
    metrics : dict of str to AssessedMetric
        The metric blocks, in the document's order.
    """

    metrics: dict[str, AssessedMetric]

    @classmethod
    def from_json(cls, doc: Mapping[str, Any], *, source: str = "assessment.json") -> Assessment:
        """Read the ``metrics`` of an assessment document.

        Parameters
        ----------
        doc : mapping
            The parsed ``assessment.json``.
        source : str
            The file named in an error.

        Returns
        -------
        Assessment
            One record per metric block.

        Raises
        ------
        InvalidAssessment
            ``metrics`` or one of its blocks is not an object, or a field has another type.
        """
        blocks = doc.get("metrics")
        if blocks is None:
            blocks = {}
        if not isinstance(blocks, dict):
            raise InvalidAssessment(
                Problem(source, None, "metrics", "an object of metric blocks", _shape(blocks))
            )
        metrics = {}
        for mid, block in blocks.items():
            if block is None:
                continue
            if not isinstance(block, dict):
                raise InvalidAssessment(
                    Problem(source, None, f"metrics.{mid}", "an object", _shape(block))
                )
            metrics[mid] = AssessedMetric.from_json(mid, block, source=source)
        return cls(metrics)

    def metric(self, metric_id: str) -> AssessedMetric:
        """Return the record of ``metric_id``; an empty one when the document has none.

        Parameters
        ----------
        metric_id : str
            Metric id of the specification.

        Returns
        -------
        AssessedMetric
            The record, or one with no value, no detail and no sufficiency verdict.
        """
        return self.metrics.get(metric_id) or AssessedMetric(metric_id)
