"""Where the expressions run: DuckDB in process (the default) or Spark.

Metric definitions are engine-neutral ibis expressions; this module is the one place that
chooses and configures the engine. :func:`connect` returns the backend named by its argument,
else by ``THERMAUDIT_ENGINE``, else DuckDB; an unknown name is refused with the valid ones.

Each engine is an ibis backend subclass that makes the two engines agree on what the
metrics rely on (``tests/test_engine.py`` proves each point on both):

- **Timestamps are instants in UTC.** The normalized Parquet tables store
  ``timestamp[us, tz=UTC]``. DuckDB reads them as such; Spark's catalog maps its
  ``TIMESTAMP`` (an instant, shown in the session time zone, set to UTC) to a *naive* ibis
  timestamp, so :class:`SparkBackend` reports those columns as UTC again. ``TIMESTAMP_NTZ``
  (wall-clock values) stays naive on both.
- **``epoch_seconds()`` keeps fractions of a second.** Spark's ``UNIX_TIMESTAMP`` truncates
  to whole seconds; :class:`SparkCompiler` writes ``UNIX_MICROS(ts) / 1e6``, DuckDB's
  ``epoch(ts)``.
- **``isnull()`` is SQL ``IS NULL``.** ibis' Spark compiler also counts NaN as null; a NaN
  in a float column is a value on DuckDB, so :class:`SparkCompiler` tests for NULL only.
- **Several Parquet paths read as one table** (``read_parquet([...])``): DuckDB natively,
  Spark through ``DataFrameReader.parquet(*paths)``.
- **Materialize and release** through each backend's own cache: a temporary table on DuckDB,
  a cached DataFrame registered as a temporary view on Spark (Spark has no temporary tables).

DuckDB additionally gets :class:`DuckDBCompiler`'s faster text for two operations on UTC
timestamps (the same instants, without a trip through ICU's calendar) and a memory limit with
a spill folder; batching work to fit that limit (:func:`batch_rows`) applies to DuckDB only,
Spark partitions and spills by itself.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import sqlglot.expressions as sge
from ibis.backends.duckdb import Backend as _IbisDuckDB
from ibis.backends.sql.compilers.duckdb import DuckDBCompiler as _IbisDuckDBCompiler

from thermaudit.errors import EngineError

#: the environment variable that selects the engine when no ``--engine`` is given
ENGINE_VARIABLE = "THERMAUDIT_ENGINE"
DEFAULT_ENGINE = "duckdb"

#: microseconds per unit of a fixed-length interval (calendar units are left to the engine)
_US_PER_UNIT = {"us": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000}


def _utc(dtype: Any) -> bool:
    return bool(dtype.is_timestamp() and dtype.timezone is not None)


# ---------------------------------------------------------------------------------------------
# DuckDB


class DuckDBCompiler(_IbisDuckDBCompiler):
    """ibis' DuckDB compiler with faster text for two operations on UTC timestamps.

    ibis 12 compiles them through ICU's calendar, evaluated for every row:

    - ``epoch_seconds()``: ibis writes ``epoch(CAST(ts AS TIMESTAMP))``, the cast converting
      each value to the session's wall clock; ``epoch(ts)`` is the same number (seconds
      since 1970-01-01 UTC). Over the 28 M mold samples of the scale-M demo: 0.88 s
      against 0.14 s.
    - ``ts ± interval`` with a literal interval of fixed length (µs to hours): ICU's
      calendar addition becomes ``make_timestamptz(epoch_us(ts) ± n)``, the same instant
      in whole microseconds: 0.33 s against 0.11 s over the same samples; the mold
      steady-state passes compare eight such sums per sample (9.2 → 8.2 s).

    Naive timestamps and calendar units (days, months) keep ibis's rules. The metric
    definitions stay plain ibis; only the DuckDB text changes.
    """

    def visit_ExtractEpochSeconds(self, op: Any, *, arg: Any) -> Any:
        if _utc(op.arg.dtype):
            return self.f.epoch(arg)
        return super().visit_ExtractEpochSeconds(op, arg=arg)

    def _shift(self, op: Any, left: Any, right: Any, sign: int) -> Any | None:
        r = op.right
        unit = getattr(getattr(r, "dtype", None), "unit", None)
        per = _US_PER_UNIT.get(getattr(unit, "short", ""))
        if _utc(op.left.dtype) and isinstance(r, ibis.expr.operations.Literal) and per:
            return self.f.make_timestamptz(self.f.epoch_us(left) + sign * int(r.value) * per)
        return None

    def visit_TimestampAdd(self, op: Any, *, left: Any, right: Any) -> Any:
        fast = self._shift(op, left, right, 1)
        return fast if fast is not None else super().visit_TimestampAdd(op, left=left, right=right)

    def visit_TimestampSub(self, op: Any, *, left: Any, right: Any) -> Any:
        fast = self._shift(op, left, right, -1)
        return fast if fast is not None else super().visit_TimestampSub(op, left=left, right=right)


class DuckDBBackend(_IbisDuckDB):
    """ibis' DuckDB backend with :class:`DuckDBCompiler`; cached tables dropped by name."""

    compiler = DuckDBCompiler()

    def _drop_cached_table(self, name: str) -> None:
        # ibis 12's drop_table fails on DuckDB 2 (it emits ``DROP TABLE`` without a name for
        # temporary tables); the statement itself is portable SQL
        self.raw_sql(f'DROP TABLE IF EXISTS "{name}"')


#: DuckDB's working memory before it spills to disk; DuckDB's own default (80 % of RAM)
#: would let a year of 1 Hz mold samples take the whole machine. ``THERMAUDIT_MEMORY_LIMIT``
#: overrides it (e.g. ``8GB``).
DEFAULT_MEMORY_LIMIT = "3GB"


def spill_dir() -> Path:
    """Where the engine and the metrics spill intermediate data (created when missing)."""
    path = Path(tempfile.gettempdir()) / "thermaudit-duckdb"
    path.mkdir(parents=True, exist_ok=True)
    return path


def duckdb_config() -> dict[str, str]:
    """Memory limit and a spill folder in the system temp folder (never the current one)."""
    return {
        "memory_limit": os.environ.get("THERMAUDIT_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
        "temp_directory": str(Path(tempfile.gettempdir()) / "thermaudit-duckdb"),
    }


def memory_limit_bytes() -> int:
    """The configured engine memory limit in bytes (``3GB``, ``512MB``, ``8GiB`` ...)."""
    text = duckdb_config()["memory_limit"].strip().upper().replace(" ", "")
    units = {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
    units |= {"KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "B": 1}
    for suffix, factor in sorted(units.items(), key=lambda kv: -len(kv[0])):
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(float(text))


def _connect_duckdb() -> ibis.BaseBackend:
    ibis.duckdb  # noqa: B018 - loads the backend: registers its options (ibis.options.duckdb)
    return DuckDBBackend().connect(**duckdb_config())


def raw_connect() -> duckdb.DuckDBPyConnection:
    """A plain DuckDB connection with the same limits, for the store's own bulk copies.

    The workspace (``thermaudit.store``) merges and copies its Parquet files on local disk
    with DuckDB SQL whatever engine computes the metrics: it is part of the import, not of
    the assessment, and its output is Parquet that every engine reads.
    """
    config: dict[str, str | bool | int | float | list[str]] = dict(duckdb_config())
    return duckdb.connect(config=config)


# ---------------------------------------------------------------------------------------------
# Spark


def _spark_classes() -> tuple[type, type]:
    """The Spark compiler and backend classes (pyspark is an optional extra: imported here)."""
    global _SPARK_CLASSES
    if _SPARK_CLASSES is not None:
        return _SPARK_CLASSES
    try:
        from ibis.backends.pyspark import Backend as _IbisPySpark
        from ibis.backends.sql.compilers.pyspark import PySparkCompiler as _IbisPySparkCompiler
    except ImportError as exc:
        raise EngineError(
            f"the spark engine needs pyspark, which is not installed ({exc})",
            hint="pip install 'thermaudit[spark]' (pyspark 4.0 and a Java 17 runtime)",
        ) from None

    class SparkCompiler(_IbisPySparkCompiler):
        """ibis' Spark compiler made to agree with DuckDB on NULL and epoch seconds."""

        def visit_IsNull(self, op: Any, *, arg: Any) -> Any:
            # NaN is a value, as on DuckDB (ibis' Spark rule adds ``OR isnan(x)``)
            return arg.is_(sge.Null())

        def visit_NotNull(self, op: Any, *, arg: Any) -> Any:
            return sge.Not(this=arg.is_(sge.Null()))

        def visit_ExtractEpochSeconds(self, op: Any, *, arg: Any) -> Any:
            # UNIX_TIMESTAMP drops fractions of a second; UNIX_MICROS keeps them
            return self.f.unix_micros(self.cast(arg, dt.timestamp)) / 1_000_000.0

    class SparkBackend(_IbisPySpark):
        """ibis' pyspark backend: UTC instants, several Parquet paths, the compiler above."""

        compiler = SparkCompiler()

        def get_schema(
            self, table_name: str, *, catalog: str | None = None, database: str | None = None
        ) -> Any:
            schema = super().get_schema(table_name, catalog=catalog, database=database)
            kinds = {f.name: f.dataType for f in self._session.table(table_name).schema.fields}
            from pyspark.sql.types import TimestampType

            return ibis.schema(
                {
                    name: dt.Timestamp(timezone="UTC", scale=6, nullable=typ.nullable)
                    if isinstance(kinds.get(name), TimestampType)
                    else typ
                    for name, typ in schema.items()
                }
            )

        def _register_in_memory_table(self, op: Any) -> None:
            # through Arrow, not pandas: pandas turns a null float into NaN, which the
            # NULL-only isnull() above would then count as a value
            frame = self._session.createDataFrame(op.data.to_pyarrow(op.schema))
            frame.createOrReplaceTempView(op.name)

        def to_pyarrow(
            self, expr: ir.Expr, /, *, params: Any = None, limit: Any = None, **kwargs: Any
        ) -> Any:
            # through Arrow, not pandas: keeps NaN apart from null, as DuckDB does
            from ibis.formats.pyarrow import PyArrowData

            self._run_pre_execute_hooks(expr)
            table_expr = expr.as_table()
            sql = self.compile(table_expr, params=params, limit=limit, **kwargs)
            arrow = self._session.sql(sql).toArrow()
            table = PyArrowData.convert_table(arrow, table_expr.schema())
            return expr.__pyarrow_result__(table)

        def _create_cached_table(self, name: str, expr: ir.Table) -> ir.Table:
            # ibis compiles the expression without registering its in-memory tables first
            self._run_pre_execute_hooks(expr)
            return super()._create_cached_table(name, expr)

        def read_parquet(
            self,
            path: str | Path | Sequence[str | Path],
            /,
            *,
            table_name: str | None = None,
            **kwargs: Any,
        ) -> ir.Table:
            paths = [str(path)] if isinstance(path, str | Path) else [str(p) for p in path]
            frame = self._session.read.parquet(*paths, **kwargs)
            name = table_name or f"_thermaudit_parquet_{uuid.uuid4().hex}"
            frame.createOrReplaceTempView(name)
            return self.table(name)

    _SPARK_CLASSES = (SparkCompiler, SparkBackend)
    return _SPARK_CLASSES


_SPARK_CLASSES: tuple[type, type] | None = None


def spark_session() -> Any:
    """The Spark session: ``SPARK_MASTER`` (default ``local[2]``), UTC, no web UI.

    ``SPARK_LOCAL_IP`` defaults to 127.0.0.1 (a local session binds no other interface);
    ``THERMAUDIT_SPARK_DRIVER_MEMORY`` sets the driver's memory (default ``2g``), which is
    all the memory of a ``local`` session. One session per process: a second call returns it.
    """
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master(os.environ.get("SPARK_MASTER", "local[2]"))
        .appName("thermaudit")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", os.environ.get("THERMAUDIT_SPARK_DRIVER_MEMORY", "2g"))
        .config("spark.sql.shuffle.partitions", os.environ.get("THERMAUDIT_SPARK_PARTITIONS", "4"))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def _connect_spark() -> ibis.BaseBackend:
    _compiler, backend = _spark_classes()
    ibis.pyspark  # noqa: B018 - loads the backend: registers ibis.options.pyspark
    return backend().connect(spark_session())


# ---------------------------------------------------------------------------------------------
# the registry


@dataclass(frozen=True)
class Engine:
    """One engine thermaudit runs on: its name, a one-line description and how to connect."""

    name: str
    description: str
    open: Callable[[], ibis.BaseBackend]
    backend: str  # ibis' name of the backend (``con.name``)


ENGINES: dict[str, Engine] = {
    "duckdb": Engine(
        "duckdb", "DuckDB in process (embedded, the default)", _connect_duckdb, "duckdb"
    ),
    "spark": Engine(
        "spark",
        "Apache Spark through ibis' pyspark backend (SPARK_MASTER or local[2])",
        _connect_spark,
        "pyspark",
    ),
}


def engine_name(name: str | None = None) -> str:
    """The engine in force: ``name``, else ``THERMAUDIT_ENGINE``, else ``duckdb``.

    Raises
    ------
    EngineError
        When the name is not one of :data:`ENGINES` (the message lists the valid ones).
    """
    source = "--engine"
    if name is None:
        name = os.environ.get(ENGINE_VARIABLE) or None
        source = ENGINE_VARIABLE
    if name is None:
        return DEFAULT_ENGINE
    key = name.strip().lower()
    if key not in ENGINES:
        raise EngineError(
            f"{source}: no engine {name!r}; valid engines: {', '.join(ENGINES)}",
            hint=f"use one of {', '.join(ENGINES)} (default {DEFAULT_ENGINE})",
        )
    return key


def connect(name: str | None = None) -> ibis.BaseBackend:
    """A connection to the engine in force (see :func:`engine_name`)."""
    return ENGINES[engine_name(name)].open()


def engine_info(con: ibis.BaseBackend) -> dict[str, str]:
    """``{"name": ..., "version": ...}`` of the engine behind ``con`` (for assessment.json)."""
    name = next((e.name for e in ENGINES.values() if e.backend == con.name), str(con.name))
    return {"name": name, "version": str(con.version)}


def is_duckdb(con: ibis.BaseBackend) -> bool:
    return bool(con.name == "duckdb")


def batch_rows(con: ibis.BaseBackend, bytes_per_row: int) -> int | None:
    """Rows per batch so that one batch's work fits DuckDB's memory limit; ``None`` (no
    batching) on engines that partition and spill by themselves (Spark)."""
    if not is_duckdb(con):
        return None
    return max(1_000_000, memory_limit_bytes() // bytes_per_row)


def materialize(con: ibis.BaseBackend, expr: ir.Table) -> ir.Table:
    """Compute ``expr`` once and keep it in the engine (temporary table on DuckDB, cached
    temporary view on Spark).

    For a result that several queries read (e.g. the mold steady-state annotation, whose
    window passes are the most expensive step of an assessment): computing it once costs
    less than letting each query recompute it. Call :func:`release` when done.
    """
    return con._create_cached_table(f"_thermaudit_{uuid.uuid4().hex}", expr)


def release(con: ibis.BaseBackend, table: ir.Table) -> None:
    """Free a table made by :func:`materialize` (its memory and spill files)."""
    # the table's own name: get_name() is qualified on DuckDB (temp.main.<name>), and a
    # qualified name quoted as one identifier would drop nothing
    name = table.op().name
    if is_duckdb(con):
        # also for a connection made by ibis' own DuckDB backend: see DuckDBBackend
        DuckDBBackend._drop_cached_table(con, name)
    else:
        con._drop_cached_table(name)
