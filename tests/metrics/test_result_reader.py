"""Reading assessment.json back: :class:`Assessment` and :class:`AssessedMetric`.

What :meth:`MetricResult.as_dict` writes, :meth:`AssessedMetric.from_json` reads back field for
field; a block of another shape is refused naming the file, the key, what was expected and
what was found, instead of being guessed at by each reader (report, workbook, web).
"""

from __future__ import annotations

import pytest

from thermaudit.errors import InvalidAssessment
from thermaudit.metrics.result import (
    AssessedMetric,
    Assessment,
    MetricResult,
    Reason,
    Sufficiency,
)


def _written(**kw: object) -> dict:
    r = MetricResult(
        "unit_product_energy",
        198.3,
        "kgce/t",
        {"energy_kgce": 1000.0},
        sufficiency=Sufficiency((Reason("sufficiency.meter_no_data", "E-MAIN"),)),
        grade="reference",
    )
    for k, v in kw.items():
        setattr(r, k, v)
    return r.as_dict()


def test_what_as_dict_writes_is_read_back_field_for_field() -> None:
    doc = {
        "metrics": {"unit_product_energy": _written(uncertainty=1.2, uncertainty_budget={"U": 1.2})}
    }
    m = Assessment.from_json(doc).metric("unit_product_energy")
    assert m == AssessedMetric(
        id="unit_product_energy",
        value=198.3,
        unit="kgce/t",
        detail={"energy_kgce": 1000.0},
        grade="reference",
        uncertainty=1.2,
        uncertainty_budget={"U": 1.2},
        qualified=False,
        reasons=("E-MAIN: no readings in the period",),
        reason_codes=(Reason("sufficiency.meter_no_data", "E-MAIN"),),
    )
    assert m.reasons_in("zh") == ["E-MAIN：期间内无读数"]
    assert m.reasons_in("ko") == ["E-MAIN: 기간 내 검침값 없음"]
    assert m.reasons_in("en") == list(m.reasons)


def test_a_metric_the_document_lacks_is_empty_with_no_verdict() -> None:
    a = Assessment.from_json({"metrics": {"unit_product_energy": None}})
    m = a.metric("unit_product_energy")
    assert (m.value, m.unit, m.detail, m.grade, m.qualified) == (None, "", {}, None, None)
    assert a.metric("energy_metering_coverage").id == "energy_metering_coverage"


@pytest.mark.parametrize(
    ("block", "column", "expected", "found"),
    [
        ({"value": "198.3"}, "metrics.upe.value", "a number or null", "str"),
        ({"value": True}, "metrics.upe.value", "a number or null", "bool"),
        ({"uncertainty": {"U": 2.0}}, "metrics.upe.uncertainty", "a number or null", "dict"),
        ({"detail": []}, "metrics.upe.detail", "an object", "list"),
        ({"grade": 3}, "metrics.upe.grade", "a text or null", "int"),
        (
            {"sufficiency": {"qualified": "yes"}},
            "metrics.upe.sufficiency.qualified",
            "true or false",
            "str",
        ),
        (
            {"sufficiency": {"qualified": False, "reasons": "none"}},
            "metrics.upe.sufficiency.reasons",
            "a list of texts",
            "str",
        ),
    ],
)
def test_a_field_of_another_shape_is_refused_with_its_key(
    block: dict, column: str, expected: str, found: str
) -> None:
    with pytest.raises(InvalidAssessment) as err:
        Assessment.from_json({"metrics": {"upe": block}}, source="out/assessment.json")
    e = err.value
    assert (e.file, e.column, e.expected, e.found) == (
        "out/assessment.json",
        column,
        expected,
        found,
    )
    assert str(e).startswith("not a thermaudit.assessment/1 document: out/assessment.json")


def test_metrics_that_are_not_an_object_are_refused() -> None:
    with pytest.raises(InvalidAssessment) as err:
        Assessment.from_json({"metrics": [1, 2]})
    assert (err.value.column, err.value.found) == ("metrics", "list")
    with pytest.raises(InvalidAssessment) as err:
        Assessment.from_json({"metrics": {"upe": 5}})
    assert (err.value.column, err.value.found) == ("metrics.upe", "int")
