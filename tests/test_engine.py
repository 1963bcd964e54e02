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


def test_utc_timestamp_rules() -> None:
    """``epoch_seconds()`` and ``ts ± fixed interval`` of UTC timestamps compile without a
    trip through the session's wall clock (``thermaudit.engine._utc_timestamp_rules``) and
    give the same instants, across DST changes and in a session whose time zone is not
    UTC; naive timestamps and calendar units keep ibis's rules."""
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
    expr = t.select(
        e=t.ts.epoch_seconds().cast("float64"),
        later=t.ts + ibis.interval(microseconds=600_000_001),
        earlier=t.ts - ibis.interval(hours=2),
        day=t.ts + ibis.interval(days=1),
    )
    sql = str(ibis.to_sql(expr, dialect="duckdb"))
    assert 'EPOCH("t0"."ts")' in sql and "AS TIMESTAMP" not in sql
    assert "MAKE_TIMESTAMPTZ(EPOCH_US(" in sql and "INTERVAL '1' DAY" in sql
    naive = ibis.table({"n": "timestamp"}, name="n")
    naive_sql = ibis.to_sql(
        naive.select(e=naive.n.epoch_seconds(), m=naive.n + ibis.interval(seconds=1)),
        dialect="duckdb",
    )
    assert "AS TIMESTAMP" in str(naive_sql) and "INTERVAL '1' SECOND" in str(naive_sql)
    con = connect()
    con.raw_sql("SET TimeZone = 'Europe/Berlin'")
    got = con.to_pyarrow(expr).to_pylist()
    for x, r in zip(instants, got, strict=True):
        assert r["e"] == x.timestamp()
        assert r["later"] == x + dt.timedelta(microseconds=600_000_001)
        assert r["earlier"] == x - dt.timedelta(hours=2)
