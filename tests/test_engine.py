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


def test_epoch_seconds_of_utc_timestamps() -> None:
    """``epoch_seconds()`` of a UTC timestamp compiles to ``epoch(ts)`` (no cast through
    the session's wall clock, 6x cheaper) and gives seconds since 1970 UTC, across DST
    changes and in a session whose time zone is not UTC; naive timestamps keep ibis's rule."""
    import datetime as dt

    import ibis
    import pyarrow as pa

    instants = [
        dt.datetime(2025, 3, 30, 0, 59, 59, 500000, dt.UTC),
        dt.datetime(2025, 3, 30, 1, 0, tzinfo=dt.UTC),
        dt.datetime(2025, 10, 26, 1, 0, tzinfo=dt.UTC),
        dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
    ]
    t = ibis.memtable(pa.table({"ts": pa.array(instants, pa.timestamp("us", tz="UTC"))}))
    expr = t.select(e=t.ts.epoch_seconds().cast("float64"))
    sql = str(ibis.to_sql(expr, dialect="duckdb"))
    assert 'EPOCH("t0"."ts")' in sql and "AS TIMESTAMP" not in sql
    naive = ibis.table({"n": "timestamp"}, name="n")
    assert "AS TIMESTAMP" in str(
        ibis.to_sql(naive.select(e=naive.n.epoch_seconds()), dialect="duckdb")
    )
    con = connect()
    con.raw_sql("SET TimeZone = 'Europe/Berlin'")
    got = con.to_pyarrow(expr).column("e").to_pylist()
    assert got == [x.timestamp() for x in instants]
