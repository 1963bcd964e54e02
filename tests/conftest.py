"""Shared fixtures: the conformance plants live in tests/fixtures/conformance; ``engine``
runs a test on every engine thermaudit supports (DuckDB, Spark)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import ibis
import pytest

from thermaudit.engine import ENGINES, connect

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def conformance() -> Path:
    return FIXTURES / "conformance"


def _require(name: str) -> None:
    """Skip (or, with ``THERMAUDIT_REQUIRE_SPARK=1`` as in ``.ci/run``, fail) when the
    engine cannot run here."""
    if name == "spark" and shutil.which("java") is None:
        msg = "the spark engine needs a Java 17 runtime (java not on PATH)"
        if os.environ.get("THERMAUDIT_REQUIRE_SPARK") == "1":
            pytest.fail(msg + "; THERMAUDIT_REQUIRE_SPARK=1 requires it")
        pytest.skip(msg)


@pytest.fixture(scope="session", params=list(ENGINES))
def engine(request: pytest.FixtureRequest) -> ibis.BaseBackend:
    """A connection to each engine; Spark's session is one for the whole run."""
    _require(request.param)
    return connect(request.param)


@pytest.fixture(scope="session")
def spark() -> ibis.BaseBackend:
    """The Spark engine alone (the same session as ``engine``'s)."""
    _require("spark")
    return connect("spark")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # a run that collected nothing must not pass silently (pytest already exits 5; keep it so)
    if session.testscollected == 0 and exitstatus == 0:  # pragma: no cover
        session.exitstatus = 5
