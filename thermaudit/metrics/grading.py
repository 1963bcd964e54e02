"""Grading a metric against its specification: one rule per ``grading.kind``.

The specification's ``grading`` block of a metric names a kind and that kind's keys. The
kinds are a registry (:data:`KINDS`); a specification that names another kind, or leaves out
a key the kind needs, is refused when it is loaded (:func:`check`), listing what is valid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from thermaudit.dataset.site import Site
from thermaudit.errors import SpecificationError
from thermaudit.metrics.result import MetricResult

Rule = Callable[[MetricResult, Mapping[str, Any], Site], "str | None"]


@dataclass(frozen=True)
class Kind:
    """One grading kind: the keys it needs in the ``grading`` block and its rule."""

    name: str
    required: tuple[str, ...]
    rule: Rule
    alternatives: tuple[str, ...] = ()  # at least one of these keys


def _reference(result: MetricResult, g: Mapping[str, Any], site: Site) -> str | None:
    """No limit in force: the value is shown against reference points."""
    return "reference"


def _bands(result: MetricResult, g: Mapping[str, Any], site: Site) -> str | None:
    """Grade by the first band whose ``min`` the value (or ``detail[on]``) reaches."""
    key = g.get("on")
    v = result.detail.get(key) if key else result.value
    bands = g.get("bands") or g.get("bands_efficiency") or []
    return next((b["grade"] for b in bands if v is not None and v >= b["min"]), None)


#: which controllers' tolerances judge the pooled P95 (the ``tolerance_of`` key of a
#: ``tolerance`` grading block): ``contributing`` — those whose steady samples make up the
#: value; ``declared`` — every controller site.yaml declares, sampled or not
TOLERANCE_OF = ("contributing", "declared")


def pooled_tolerance(
    grading: Mapping[str, Any], site: Site, samples: Mapping[str, int]
) -> float | None:
    """Return the tolerance the pooled value is judged against [°C].

    The tightest ``tolerance_c`` of the controllers the specification's ``tolerance_of``
    names, else its ``default_tolerance_c`` (``None`` when the block has none).

    The one rule of metric 3's pass/fail, used by :func:`grade` and by
    :func:`thermaudit.metrics.mold.mold_temperature_accuracy` alike.

    Parameters
    ----------
    grading : mapping
        The metric's ``grading`` block: ``tolerance_of`` (one of :data:`TOLERANCE_OF`;
        ``contributing`` when absent) and optionally ``default_tolerance_c`` [°C].
    site : Site
        The declared controllers and their ``tolerance_c`` [°C].
    samples : mapping of str to int
        Steady-state samples of each controller in the value.
    """
    rule = str(grading.get("tolerance_of", "contributing"))
    if rule not in TOLERANCE_OF:
        raise SpecificationError(
            f"grading tolerance_of {rule!r} is unknown; valid: {', '.join(TOLERANCE_OF)}"
        )
    declared = {c.id: c.tolerance_c for c in site.temperature_controllers}
    ids = [cid for cid, n in samples.items() if n] if rule == "contributing" else list(declared)
    tols = [declared[cid] for cid in ids if cid in declared]
    if tols:
        return min(tols)
    default = grading.get("default_tolerance_c")
    return None if default is None else float(default)


def _tolerance(result: MetricResult, g: Mapping[str, Any], site: Site) -> str | None:
    """Pass when the value is within :func:`pooled_tolerance` [°C]."""
    by = result.detail.get("by_controller") or {}
    samples = {cid: int(c.get("samples") or 0) for cid, c in by.items()}
    tol = pooled_tolerance(g, site, samples)
    assert result.value is not None and tol is not None  # graded only when computed
    return "pass" if result.value <= tol else "fail"


def _required(result: MetricResult, g: Mapping[str, Any], site: Site) -> str | None:
    """Pass when each metering level that applies reaches its required share [%]."""
    d = result.detail
    checks = (
        ("site", "site_pct"),
        ("key_equipment_electricity", "electricity_key_pct"),
        ("key_equipment_fuel", "fuel_key_pct"),
    )
    ok = all(d.get(level) is None or d[level] >= g[need] for level, need in checks)
    return "pass" if ok else "fail"


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("reference", (), _reference),
        Kind("bands", (), _bands, alternatives=("bands", "bands_efficiency")),
        Kind("tolerance", ("default_tolerance_c", "tolerance_of"), _tolerance),
        Kind("required", ("site_pct", "electricity_key_pct", "fuel_key_pct"), _required),
    )
}


def kind_of(metric_id: str, grading: Mapping[str, Any], label: str) -> Kind:
    """Return the :class:`Kind` a metric's ``grading`` block names, its keys checked.

    Raises
    ------
    SpecificationError
        The kind is not in :data:`KINDS` or a key it needs is missing (both listed).
    """
    name = grading.get("kind")
    kind = KINDS.get(str(name)) if name is not None else None
    if kind is None:
        raise SpecificationError(
            f"{label}: metric {metric_id!r}: grading kind {name!r} is unknown; "
            f"valid kinds: {', '.join(KINDS)}"
        )
    missing = [k for k in kind.required if k not in grading]
    if kind.alternatives and not any(k in grading for k in kind.alternatives):
        missing.append(" or ".join(kind.alternatives))
    if missing:
        raise SpecificationError(
            f"{label}: metric {metric_id!r}: grading kind {kind.name!r} needs {', '.join(missing)}"
        )
    if "tolerance_of" in kind.required and grading["tolerance_of"] not in TOLERANCE_OF:
        raise SpecificationError(
            f"{label}: metric {metric_id!r}: grading tolerance_of {grading['tolerance_of']!r} "
            f"is unknown; valid: {', '.join(TOLERANCE_OF)}"
        )
    return kind


def grade(result: MetricResult, grading: Mapping[str, Any], site: Site, label: str) -> None:
    """Set ``result.grade`` by the rule of its kind (``None`` when there is no value)."""
    kind = kind_of(result.id, grading, label)
    result.grade = None if result.value is None else kind.rule(result, grading, site)
