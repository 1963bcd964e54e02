"""Where the expressions run: the embedded default engine (DuckDB in process).

Metric definitions are engine-neutral ibis expressions; this module is the one place that
chooses and configures the engine, so another ibis backend can be passed in instead.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir

#: microseconds per unit of a fixed-length interval (calendar units are left to the engine)
_US_PER_UNIT = {"us": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000}


def _utc_timestamp_rules() -> None:
    """DuckDB text for two operations on time-zone-aware (UTC) timestamps that ibis 12
    compiles through ICU's calendar, evaluated for every row:

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
    from ibis.backends.sql.compilers.duckdb import DuckDBCompiler
    from ibis.expr import operations as ops

    if getattr(DuckDBCompiler, "_thermaudit_utc_rules", False):
        return

    def utc(dtype: Any) -> bool:
        return bool(dtype.is_timestamp() and dtype.timezone is not None)

    epoch_default = DuckDBCompiler.visit_ExtractEpochSeconds

    def visit_epoch(self: DuckDBCompiler, op: Any, *, arg: Any) -> Any:
        if utc(op.arg.dtype):
            return self.f.epoch(arg)
        return epoch_default(self, op, arg=arg)

    def shift(default: Any, sign: int) -> Any:
        def visit(self: DuckDBCompiler, op: Any, *, left: Any, right: Any) -> Any:
            r = op.right
            unit = getattr(getattr(r, "dtype", None), "unit", None)
            per = _US_PER_UNIT.get(getattr(unit, "short", ""))
            if utc(op.left.dtype) and isinstance(r, ops.Literal) and per is not None:
                n = sign * int(r.value) * per
                return self.f.make_timestamptz(self.f.epoch_us(left) + n)
            return default(self, op, left=left, right=right)

        return visit

    DuckDBCompiler.visit_ExtractEpochSeconds = visit_epoch
    DuckDBCompiler.visit_TimestampAdd = shift(DuckDBCompiler.visit_TimestampAdd, 1)
    DuckDBCompiler.visit_TimestampSub = shift(DuckDBCompiler.visit_TimestampSub, -1)
    DuckDBCompiler._thermaudit_utc_rules = True


_utc_timestamp_rules()

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


def connect() -> ibis.BaseBackend:
    """The embedded default engine for ibis expressions: DuckDB in memory."""
    return ibis.duckdb.connect(**duckdb_config())


def raw_connect() -> duckdb.DuckDBPyConnection:
    """A plain DuckDB connection with the same limits, for bulk copies."""
    config: dict[str, str | bool | int | float | list[str]] = dict(duckdb_config())
    return duckdb.connect(config=config)


def materialize(con: ibis.BaseBackend, expr: ir.Table) -> ir.Table:
    """Compute ``expr`` once into a temporary table of the engine.

    For a result that several queries read (e.g. the mold steady-state annotation, whose
    window passes are the most expensive step of an assessment): computing it once costs
    less than letting each query recompute it. Call :func:`release` when done.
    """
    return con.create_table(f"_thermaudit_{uuid.uuid4().hex}", expr, temp=True)


def release(con: ibis.BaseBackend, table: ir.Table) -> None:
    """Drop a table made by :func:`materialize` (frees its memory and spill files)."""
    # ibis 12's drop_table fails on DuckDB 2 (it emits ``DROP TABLE`` without a name for
    # temporary tables); the statement itself is portable SQL
    con.raw_sql(f'DROP TABLE IF EXISTS "{table.get_name()}"')
