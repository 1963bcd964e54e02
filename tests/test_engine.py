"""The engines: DuckDB bounded (memory limit, spill folder), chosen by name, and agreeing with
Spark on what the metrics rely on (UTC instants, NULL versus NaN, fractional epoch seconds,
several Parquet paths, materialize/release)."""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from thermaudit.engine import (
    ENGINES,
    batch_rows,
    connect,
    engine_info,
    engine_name,
    materialize,
    raw_connect,
    release,
)
from thermaudit.errors import EngineError, ThermauditError


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


# ---------------------------------------------------------------------------------------------
# choosing the engine


def test_default_engine_is_duckdb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THERMAUDIT_ENGINE", raising=False)
    assert engine_name() == "duckdb"
    assert connect().name == "duckdb"


def test_environment_selects_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THERMAUDIT_ENGINE", "Spark")
    assert engine_name() == "spark"
    assert engine_name("duckdb") == "duckdb"  # the option wins over the environment


@pytest.mark.parametrize(("given", "env"), [("flink", None), (None, "dask")])
def test_unknown_engine_is_refused_listing_the_valid_ones(
    monkeypatch: pytest.MonkeyPatch, given: str | None, env: str | None
) -> None:
    if env is None:
        monkeypatch.delenv("THERMAUDIT_ENGINE", raising=False)
    else:
        monkeypatch.setenv("THERMAUDIT_ENGINE", env)
    with pytest.raises(EngineError) as info:
        connect(given)
    text = str(info.value)
    assert isinstance(info.value, ThermauditError) and isinstance(info.value, ValueError)
    assert repr(given or env) in text
    assert ("--engine" if given else "THERMAUDIT_ENGINE") in text
    assert "valid engines: duckdb, spark" in text
    assert list(ENGINES) == ["duckdb", "spark"]


def test_no_module_connects_to_duckdb_directly() -> None:
    """Every connection comes from thermaudit.engine (one place chooses the engine)."""
    package = Path(__file__).parents[1] / "thermaudit"
    offenders = [
        str(p.relative_to(package))
        for p in package.rglob("*.py")
        if "ibis.duckdb.connect(" in p.read_text("utf-8")
        or "ibis.pyspark.connect(" in p.read_text("utf-8")
    ]
    assert offenders == []


# ---------------------------------------------------------------------------------------------
# DuckDB's compiler pass


def test_utc_timestamp_rules() -> None:
    """``epoch_seconds()`` and ``ts ± fixed interval`` of UTC timestamps compile without a
    trip through the session's wall clock (``thermaudit.engine.DuckDBCompiler``) and give
    the same instants, across DST changes and in a session whose time zone is not UTC;
    naive timestamps and calendar units keep ibis's rules; ibis' own DuckDB compiler is left
    as it is (a subclass, no monkeypatch)."""
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
    con = connect("duckdb")
    sql = str(con.compile(expr))
    assert 'EPOCH("t0"."ts")' in sql and "AS TIMESTAMP" not in sql
    assert "MAKE_TIMESTAMPTZ(EPOCH_US(" in sql and "INTERVAL '1' DAY" in sql
    assert "AS TIMESTAMP" in str(ibis.to_sql(expr, dialect="duckdb"))  # ibis untouched
    naive = ibis.table({"n": "timestamp"}, name="n")
    naive_sql = str(
        con.compile(naive.select(e=naive.n.epoch_seconds(), m=naive.n + ibis.interval(seconds=1)))
    )
    assert "AS TIMESTAMP" in naive_sql and "INTERVAL '1' SECOND" in naive_sql
    con.raw_sql("SET TimeZone = 'Europe/Berlin'")
    got = con.to_pyarrow(expr).to_pylist()
    for x, r in zip(instants, got, strict=True):
        assert r["e"] == x.timestamp()
        assert r["later"] == x + dt.timedelta(microseconds=600_000_001)
        assert r["earlier"] == x - dt.timedelta(hours=2)


# ---------------------------------------------------------------------------------------------
# the same answers on every engine


def _parquet(path: Path, **columns: pa.Array) -> Path:
    pq.write_table(pa.table(columns), path)
    return path


#: what both engines call the normalized tables' timestamps: UTC instants in microseconds
UTC_US = ibis.dtype("timestamp('UTC', 6)")

INSTANTS = [
    dt.datetime(2025, 3, 30, 0, 59, 59, 250000, dt.UTC),
    dt.datetime(2025, 3, 30, 1, 0, 0, 750000, dt.UTC),
    dt.datetime(1969, 12, 31, 23, 59, 59, 500000, dt.UTC),
]


def test_parquet_timestamps_are_utc_instants(engine: ibis.BaseBackend, tmp_path: Path) -> None:
    """Regression: Spark's catalog gave the UTC timestamps of a Parquet file back as naive
    timestamps (and so did a table materialized from them)."""
    path = _parquet(tmp_path / "t.parquet", ts=pa.array(INSTANTS, pa.timestamp("us", tz="UTC")))
    t = engine.read_parquet(path)
    assert t.schema()["ts"] == UTC_US
    kept = materialize(engine, t.filter(t.ts > ibis.literal(INSTANTS[2])))
    try:
        assert kept.schema()["ts"] == UTC_US
        got = sorted(engine.to_pyarrow(kept).column("ts").to_pylist())
    finally:
        release(engine, kept)
    assert got == INSTANTS[:2]  # aware datetimes, the same instants


def test_epoch_seconds_keep_fractions(engine: ibis.BaseBackend, tmp_path: Path) -> None:
    """Regression: Spark's UNIX_TIMESTAMP dropped the fractions of a second."""
    path = _parquet(tmp_path / "t.parquet", ts=pa.array(INSTANTS, pa.timestamp("us", tz="UTC")))
    t = engine.read_parquet(path)
    got = engine.to_pyarrow(t.select(e=t.ts.epoch_seconds().cast("float64"))).column("e")
    assert sorted(got.to_pylist()) == sorted(x.timestamp() for x in INSTANTS)  # exact: µs


def test_isnull_counts_null_not_nan(engine: ibis.BaseBackend, tmp_path: Path) -> None:
    """Regression: ibis' Spark rule made ``isnull()`` also true for NaN; NaN is a value, as
    on DuckDB, in a Parquet table, in an in-memory table and in what comes back."""
    values = pa.array([1.0, math.nan, None, 2.0], pa.float64())
    for t in (
        engine.read_parquet(_parquet(tmp_path / "x.parquet", x=values)),
        ibis.memtable(pa.table({"x": values})),
    ):
        counts = engine.to_pyarrow(
            t.aggregate(nulls=t.x.isnull().sum(), values=t.x.notnull().sum())
        ).to_pylist()[0]
        assert counts == {"nulls": 1, "values": 3}
        back = engine.to_pyarrow(t.select("x")).column("x").to_pylist()
        assert sum(v is None for v in back) == 1
        assert sum(isinstance(v, float) and math.isnan(v) for v in back) == 1


def test_several_parquet_paths_read_as_one_table(engine: ibis.BaseBackend, tmp_path: Path) -> None:
    a = _parquet(tmp_path / "a.parquet", v=pa.array([1.0, 2.0]))
    b = _parquet(tmp_path / "b.parquet", v=pa.array([4.0]))
    t = engine.read_parquet([str(a), str(b)])
    assert engine.to_pyarrow(t.aggregate(n=t.count(), s=t.v.sum())).to_pylist() == [
        {"n": 3, "s": 7.0}
    ]


def test_materialize_and_release(engine: ibis.BaseBackend) -> None:
    """A materialized table is the engine's own (temporary table, cached view) and is gone
    after release."""
    t = ibis.memtable(pa.table({"v": [3.0, 1.0, 2.0]}))
    kept = materialize(engine, t.filter(t.v > 1.0))
    name = kept.op().name  # bare: get_name() is temp.main.<name> on DuckDB
    assert engine.to_pyarrow(kept.v.sum()).as_py() == 5.0
    if engine.name == "spark":
        assert engine._session.catalog.isCached(name)  # a cached temporary view
    release(engine, kept)
    # DuckDB's CatalogException, Spark's AnalysisException: both name the missing table
    with pytest.raises(Exception, match=name):
        engine.to_pyarrow(kept.v.sum())


def test_batching_only_on_duckdb(engine: ibis.BaseBackend) -> None:
    rows = batch_rows(engine, 100)
    if engine.name == "duckdb":
        assert rows == 3_000_000_000 // 100  # the 3 GB limit
    else:
        assert rows is None  # Spark partitions and spills by itself


def test_engine_info_names_engine_and_version(engine: ibis.BaseBackend) -> None:
    info = engine_info(engine)
    assert info["name"] == ("spark" if engine.name == "pyspark" else "duckdb")
    if engine.name == "duckdb":
        import duckdb

        assert info["version"] == duckdb.__version__
    else:
        import pyspark

        assert info["version"] == pyspark.__version__
