"""The readiness catalogues: every gap code the code raises is in ``gaps.csv`` (read by AST)
and every row is raised; ``tables.csv`` covers every table of the contract with metrics the
engine knows; every text exists in zh, en and ko."""

from __future__ import annotations

import ast
import inspect
import re

import pytest

from thermaudit.dataset.contract import TABLES, UNREAD_TABLES
from thermaudit.metrics.spec import KNOWN_METRICS
from thermaudit.readiness import check
from thermaudit.readiness.gaps import EFFORTS, Gap, catalogue, table_uses


def _codes_in_code() -> set[str]:
    tree = ast.parse(inspect.getsource(check))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Gap":
            first = node.args[0]
            assert isinstance(first, ast.Constant), ast.dump(node)
            out.add(first.value)
    return out


def test_every_gap_code_raised_is_in_the_catalogue_and_every_row_is_raised() -> None:
    assert _codes_in_code() == set(catalogue())


def test_every_row_has_three_languages_with_the_same_fields() -> None:
    for code, row in catalogue().items():
        fields = [set(re.findall(r"{(\w+)", row[lang])) for lang in ("zh", "en", "ko")]
        assert fields[0] == fields[1] == fields[2], code
        assert row["effort"] in ("", *EFFORTS), code


def test_tables_csv_covers_the_contract() -> None:
    uses = table_uses()
    assert set(uses) == {*TABLES, *UNREAD_TABLES}
    for use in uses.values():
        assert use.effort in EFFORTS, use.table
        assert set(use.metrics) <= set(KNOWN_METRICS), use.table
        assert set(use.blocking) <= set(use.metrics), use.table
        assert use.purpose.zh and use.purpose.en and use.purpose.ko


def test_an_unknown_code_or_effort_is_refused() -> None:
    with pytest.raises(KeyError, match=re.escape("unknown readiness gap 'readiness.nope'")):
        Gap("readiness.nope", ())
    with pytest.raises(ValueError, match="effort 'paint'"):
        Gap("readiness.meter.no_readings", (), effort="paint")
