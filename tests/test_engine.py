"""The embedded engine is bounded: a memory limit and a spill folder outside the cwd."""

from __future__ import annotations

import tempfile

import pytest

from thermaudit.engine import connect, raw_connect


def _settings(con) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return con.execute(
        "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
    ).fetchone()


def test_default_limits() -> None:
    """Regression: DuckDB's defaults (80 % of RAM, spill into ./.tmp) filled the checkout
    with 24 GB of spill files on a year of 1 Hz mold samples."""
    limit, temp = _settings(connect().con)
    assert limit == "2.7 GiB"  # 3 GB as DuckDB prints it
    assert temp.startswith(tempfile.gettempdir())
    assert _settings(raw_connect()) == (limit, temp)


def test_limit_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THERMAUDIT_MEMORY_LIMIT", "1GB")
    assert _settings(connect().con)[0] == "953.6 MiB"
