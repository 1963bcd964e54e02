"""Metric specifications as data.

A specification file (YAML) names the metrics, their Chinese and English names, units,
formula parameters, grading thresholds and sources. The packaged
``miit-2026-provisional@1`` is the default; ``--spec FILE`` selects another one, so the
official ministry specification can replace it without code changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from thermaudit.errors import SpecificationError
from thermaudit.metrics.grading import kind_of

DEFAULT_SPEC = "miit-2026-provisional@1"

#: the metric ids the engine knows how to compute
KNOWN_METRICS = (
    "unit_product_energy",
    "waste_heat_recovery_rate",
    "mold_temperature_control_accuracy",
    "melting_energy_intensity",
    "unit_product_carbon_intensity",
    "energy_metering_coverage",
)

#: the reference tables a specification uses when it names none (``coefficient_tables``)
DEFAULT_COEFFICIENT_TABLES = (
    "coefficients",
    "emission_factors",
    "grid_factors",
    "materials",
    "provinces",
)

_REQUIRED_PARAMETERS = (
    "kgce_mj",
    "electricity_mj_per_kwh",
    "grid_factor_year",
    "heat_tco2_per_gj",
    "water_cp_kj_per_kg_k",
    "flue_gas_cp_kj_per_nm3_k",
    "air_cp_kj_per_nm3_k",
    "melting_reference_temp_c",
    "key_equipment_electricity_kw",
    "key_equipment_fuel_m3h",
    "completeness_floor_pct",
)


@dataclass(frozen=True)
class MetricSpec:
    """One metric of a specification: id, names, unit and the raw YAML block."""

    id: str
    name_zh: str
    name_en: str
    name_ko: str
    unit: str
    raw: dict[str, Any]

    @property
    def grading(self) -> dict[str, Any]:
        """The ``grading`` block (a copy; empty when the metric has none)."""
        return dict(self.raw.get("grading") or {})


@dataclass(frozen=True)
class Specification:
    """A metric specification: metrics, parameters, coefficient tables, source."""

    id: str
    version: int
    title_zh: str
    title_en: str
    title_ko: str
    status: str
    parameters: dict[str, float]
    metrics: tuple[MetricSpec, ...]
    source: str
    coefficient_tables: tuple[str, ...] = DEFAULT_COEFFICIENT_TABLES

    @property
    def ref(self) -> str:
        """``id@version``, as written into assessment.json."""
        return f"{self.id}@{self.version}"

    def metric(self, metric_id: str) -> MetricSpec:
        """Return the metric ``metric_id``; a :class:`SpecificationError` lists the others."""
        for m in self.metrics:
            if m.id == metric_id:
                return m
        raise SpecificationError(
            f"the specification {self.ref} has no metric {metric_id!r}; "
            f"it defines {', '.join(m.id for m in self.metrics)}"
        )

    def param(self, name: str) -> float:
        """Return the formula parameter ``name`` as a float."""
        return float(self.parameters[name])


#: the methodology formulas the report and ``docs/metrics.md`` print, one line each; every
#: ``{name}`` is a parameter of the specification (all in ``_REQUIRED_PARAMETERS``), so a
#: number in them is the specification's, never a copy
#: the formulas in symbols only, so that they read the same in every report language
_METHODOLOGY = (
    "1 kgce = {kgce_mj:g} MJ;  1 kWh = {electricity_mj_per_kwh:g} MJ;  E = Σ_i q_i · c_i  "
    "[kgce];  e = E / P  [kgce/t]",
    "Q = V · cp · (t_hot − t_cold) · Δt;  cp_w = {water_cp_kj_per_kg_k:g} "
    "kJ/(kg·K), cp_fg = {flue_gas_cp_kj_per_nm3_k:g} kJ/(Nm3·K), cp_a = "
    "{air_cp_kj_per_nm3_k:g} kJ/(Nm3·K);  R = Σ Q_rec / Σ Q_av × 100 %",
    "δ = P95 |T_act − T_set|;  Cpk = min(USL − μ, μ − LSL) / 3σ",
    "η = Q_th / Q_in;  Q_th = m · [cp_s (T_m − {melting_reference_temp_c:g}) "
    "+ L + cp_l (T_tap − T_m)]",
    "CO2_1 = B · NCV · C · OF · 44/12;  CO2_2 = W_el · EF_grid "
    "+ Q_heat · {heat_tco2_per_gj:g}  [tCO2/GJ]",
)


def methodology_formulas(spec: Specification) -> list[str]:
    """Return the methodology formulas with the numbers of ``spec``.

    Parameters
    ----------
    spec : Specification
        The specification in force; its parameters fill the formulas.

    Returns
    -------
    list of str
        One formula line per metric family, as the report's methodology chapter and
        ``docs/metrics.md`` print them.
    """
    return [line.format(**spec.parameters) for line in _METHODOLOGY]


def packaged_specs() -> list[str]:
    """List the ``id@version`` of every packaged specification."""
    folder = resources.files(__package__).joinpath("specs")
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def load_spec(spec: str | Path | None = None) -> Specification:
    """Load a packaged specification by ``id@version`` or a YAML file by path."""
    if spec is None:
        spec = DEFAULT_SPEC
    if isinstance(spec, str) and spec in packaged_specs():
        text = resources.files(__package__).joinpath("specs", f"{spec}.yaml").read_text("utf-8")
        label = f"{spec} (packaged)"
    else:
        path = Path(spec)
        if not path.is_file():
            raise SpecificationError(
                f"no specification {str(spec)!r}: not a packaged one "
                f"({', '.join(packaged_specs())}) and no such file"
            )
        text = path.read_text("utf-8")
        label = str(path)
    return parse_spec(text, label)


def parse_spec(text: str, label: str) -> Specification:
    """Parse and check the YAML text of a specification (``label`` names it in errors)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecificationError(f"{label}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SpecificationError(f"{label}: expected a YAML mapping")
    for key in ("id", "version", "title", "parameters", "metrics"):
        if key not in data:
            raise SpecificationError(f"{label}: missing key {key!r}")
    _check_texts(data, label)
    params = data["parameters"] or {}
    missing = [p for p in _REQUIRED_PARAMETERS if p not in params]
    if missing:
        raise SpecificationError(f"{label}: parameters missing: {', '.join(missing)}")
    metrics = []
    for i, m in enumerate(data["metrics"]):
        try:
            mid = m["id"]
            name = m["name"]
            zh, en, ko = (str(name[x]) for x in TEXT_LANGUAGES)
            metrics.append(MetricSpec(mid, zh, en, ko, str(m["unit"]), m))
        except (KeyError, TypeError):
            raise SpecificationError(
                f"{label}: metrics[{i}] needs id, name ({', '.join(TEXT_LANGUAGES)}) and unit"
            ) from None
        if mid not in KNOWN_METRICS:
            raise SpecificationError(
                f"{label}: metrics[{i}].id {mid!r} is not a metric this engine computes; "
                f"known: {', '.join(KNOWN_METRICS)}"
            )
        kind_of(mid, metrics[-1].grading, label)  # an unknown grading kind is refused here
    title = data["title"]
    return Specification(
        id=str(data["id"]),
        version=int(data["version"]),
        title_zh=str(title.get("zh", "")),
        title_en=str(title.get("en", "")),
        title_ko=str(title.get("ko", "")),
        status=str(data.get("status", "")),
        parameters={k: float(v) for k, v in params.items()},
        metrics=tuple(metrics),
        source=label,
        coefficient_tables=tuple(
            str(t) for t in data.get("coefficient_tables") or DEFAULT_COEFFICIENT_TABLES
        ),
    )


#: the languages of a text in a specification file
TEXT_LANGUAGES = ("zh", "en", "ko")


def _check_texts(node: Any, label: str, where: str = "") -> None:
    """Refuse a text given per language with other keys or a missing text.

    A text given per language is a mapping with ``zh`` or ``en``; it may hold only language
    keys, each with a text.

    An unquoted comma in a YAML flow mapping (``{en: cast iron (2013 …, abolished 2019)}``)
    silently cut the text and made its tail a key.
    """
    if isinstance(node, dict):
        if "zh" in node or "en" in node:
            odd = [k for k in node if k not in TEXT_LANGUAGES]
            empty = [k for k, v in node.items() if k in TEXT_LANGUAGES and not isinstance(v, str)]
            if odd or empty:
                found = ", ".join(repr(k) for k in odd + empty)
                raise SpecificationError(
                    f"{label}: the text at {where or 'top'} has {found}, expected only "
                    f"{', '.join(TEXT_LANGUAGES)} with a text each",
                    hint="quote a text that holds a comma in a {...} mapping",
                )
            return
        for k, v in node.items():
            _check_texts(v, label, f"{where}.{k}" if where else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _check_texts(v, label, f"{where}[{i}]")
