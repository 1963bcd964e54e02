"""The metric registry: one module per metric, the specification's metrics computed in its
order, grading kinds that refuse what they do not know, constants only from the
specification or the coefficient tables."""

from __future__ import annotations

import ast
import inspect
from importlib import resources
from pathlib import Path

import pytest

from thermaudit.api import open_dataset
from thermaudit.errors import SpecificationError
from thermaudit.metrics import grading
from thermaudit.metrics.assess import assess
from thermaudit.metrics.registry import METRICS, definition
from thermaudit.metrics.result import MetricResult, Reason, Sufficiency
from thermaudit.metrics.spec import KNOWN_METRICS, load_spec, parse_spec

MINI = Path(__file__).parents[1] / "fixtures" / "conformance" / "mini"
METRICS_DIR = Path(__file__).parents[2] / "thermaudit" / "metrics"


def _spec_text() -> str:
    return (
        resources.files("thermaudit.metrics")
        .joinpath("specs", "miit-2026-provisional@1.yaml")
        .read_text("utf-8")
    )


def test_every_known_metric_has_its_module() -> None:
    assert tuple(METRICS) == KNOWN_METRICS
    for mid, d in METRICS.items():
        assert d.module.__name__ == f"thermaudit.metrics.{mid}"
        assert mid == d.module.ID
        doc = inspect.getdoc(d.compute) or ""
        assert "Parameters" in doc and "Returns" in doc and "References" in doc, mid
        assert d.summary.startswith("Metric "), mid


def test_unknown_metric_id_lists_the_known_ones() -> None:
    with pytest.raises(SpecificationError) as info:
        definition("water_intensity")
    assert "'water_intensity'" in str(info.value)
    assert ", ".join(KNOWN_METRICS) in str(info.value)


def test_unknown_grading_kind_is_refused_listing_the_valid_ones() -> None:
    """Regression: the grading was an if/elif chain: an unknown kind gave grade null."""
    text = _spec_text().replace("kind: tolerance", "kind: stars")
    with pytest.raises(SpecificationError) as info:
        parse_spec(text, "custom.yaml")
    msg = str(info.value)
    assert "custom.yaml" in msg and "'mold_temperature_control_accuracy'" in msg
    assert "'stars'" in msg and "valid kinds: reference, bands, tolerance, required" in msg


def test_tolerance_grading_needs_its_default_from_the_specification() -> None:
    """Regression: a hidden 1.0 °C default stood in for a specification without one."""
    text = _spec_text().replace("      default_tolerance_c: 1.0\n", "")
    with pytest.raises(SpecificationError, match="'tolerance' needs default_tolerance_c"):
        parse_spec(text, "custom.yaml")


@pytest.mark.parametrize(
    ("kind", "block", "detail", "value", "expected"),
    [
        ("reference", {}, {}, 5.0, "reference"),
        (
            "bands",
            {"bands": [{"grade": "good", "min": 30}, {"grade": "poor", "min": 0}]},
            {},
            29.9,
            "poor",
        ),
        (
            "bands",
            {"bands": [{"grade": "good", "min": 30}, {"grade": "poor", "min": 0}]},
            {},
            30.0,
            "good",
        ),
        (
            "bands",
            {"on": "eff", "bands_efficiency": [{"grade": "fair", "min": 30}]},
            {"eff": 31.0},
            1.0,
            "fair",
        ),
        (
            "tolerance",
            {"default_tolerance_c": 0.5, "tolerance_of": "contributing"},
            {},
            0.5,
            "pass",
        ),
        (
            "tolerance",
            {"default_tolerance_c": 0.5, "tolerance_of": "contributing"},
            {},
            0.51,
            "fail",
        ),
        (
            "required",
            {"site_pct": 100, "electricity_key_pct": 95, "fuel_key_pct": 90},
            {"site": 100.0, "key_equipment_electricity": 94.9, "key_equipment_fuel": None},
            94.9,
            "fail",
        ),
        (
            "required",
            {"site_pct": 100, "electricity_key_pct": 95, "fuel_key_pct": 90},
            {"site": 100.0, "key_equipment_electricity": 95.0, "key_equipment_fuel": None},
            95.0,
            "pass",
        ),
    ],
)
def test_grading_kinds(kind, block, detail, value, expected) -> None:  # type: ignore[no-untyped-def]
    from thermaudit.dataset.site import load_site

    site = load_site(MINI / "site.yaml").model_copy(update={"temperature_controllers": []})
    r = MetricResult("m", value, "x", detail)
    grading.grade(r, {"kind": kind, **block}, site, "spec")
    assert r.grade == expected
    r = MetricResult("m", None, "x", detail)
    grading.grade(r, {"kind": kind, **block}, site, "spec")
    assert r.grade is None  # no value, no grade


def test_sufficiency_reasons_are_coded() -> None:
    r = Reason(
        "sufficiency.meter_completeness", "E-1", {"completeness_pct": 85.04, "floor_pct": 90}
    )
    assert r.text == "E-1: completeness 85.0 % < 90 %"
    s = Sufficiency((r, Reason("sufficiency.not_computable")))
    assert s.as_dict() == {
        "qualified": False,
        "reasons": [r.text, "not computable"],
        "reason_codes": [
            {"code": r.code, "subject": "E-1", "values": r.values},
            {"code": "sufficiency.not_computable", "subject": None, "values": {}},
        ],
    }
    assert Sufficiency().as_dict() == {"qualified": True, "reasons": [], "reason_codes": []}
    # every reason reads in every language of a report
    assert r.text_in("zh") == "E-1：数据完整率 85.0 % < 90 %"
    assert r.text_in("ko") == "E-1: 데이터 완전성 85.0 % < 90 %"
    with pytest.raises(ValueError, match="unknown sufficiency reason 'low data'"):
        Reason("low data")


def test_the_specification_in_force_decides_which_metrics_run(tmp_path: Path) -> None:
    """assess() loops over the specification's metrics: a specification with two metrics
    gives two, typed and as written."""
    data = _spec_text()
    keep = ("waste_heat_recovery_rate", "energy_metering_coverage")
    blocks = data.split("\n  - id: ")
    head, metrics = blocks[0], blocks[1:]
    text = head + "".join("\n  - id: " + b for b in metrics if b.split("\n", 1)[0].strip() in keep)
    spec = parse_spec(text, "two.yaml")
    with open_dataset(MINI) as ds:
        result = assess(ds, spec=spec)
    assert tuple(result.document["metrics"]) == keep
    assert tuple(result.results) == keep
    for mid in keep:
        assert result.results[mid].as_dict() == result.document["metrics"][mid]
    assert result.document["engine"]["name"] == "duckdb"


#: numbers that belong to the specification (parameters) or the coefficient tables
SPEC_NUMBERS = {29.3076, 3.6, 0.11, 0.1229, 1.2143, 4.187, 1.38, 1.30, 0.5500, 0.3, 38.931}


def test_no_specification_constant_in_the_metric_code() -> None:
    """Regression: 29.3076, 3.6 and 0.11 were written in code beside the specification."""
    found = []
    for path in sorted(METRICS_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            number = isinstance(node, ast.Constant) and isinstance(node.value, float)
            if number and node.value in SPEC_NUMBERS:  # type: ignore[attr-defined]
                found.append(f"{path.name}:{node.lineno}: {node.value}")  # type: ignore[attr-defined]
    assert found == []


def test_packaged_specification_names_its_coefficient_tables() -> None:
    spec = load_spec()
    assert spec.coefficient_tables == (
        "coefficients",
        "emission_factors",
        "grid_factors",
        "materials",
        "provinces",
    )


def test_a_text_cut_by_an_unquoted_comma_is_refused() -> None:
    """Regression: ``{en: cast iron (2013 foundry access conditions, abolished 2019)}`` read as
    the text "cast iron (2013 foundry access conditions" and a key "abolished 2019)", and the
    report printed the cut text."""
    quoted = 'en: "cast iron (2013 foundry access conditions, abolished 2019)"'
    text = _spec_text()
    assert quoted in text
    text = text.replace(quoted, quoted.replace('"', ""))
    with pytest.raises(SpecificationError) as info:
        parse_spec(text, "custom.yaml")
    msg = str(info.value)
    assert "custom.yaml" in msg and "'abolished 2019)'" in msg and "zh, en, ko" in msg
    assert "metrics[0].grading.references[0].label" in msg  # where in the file
