"""Shared fixtures: the conformance plants live in tests/fixtures/conformance."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def conformance() -> Path:
    return FIXTURES / "conformance"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # a run that collected nothing must not pass silently (pytest already exits 5; keep it so)
    if session.testscollected == 0 and exitstatus == 0:  # pragma: no cover
        session.exitstatus = 5
