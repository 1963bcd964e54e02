"""Where the expressions run: the embedded default engine (DuckDB in process).

Metric definitions are engine-neutral ibis expressions; this module is the one place that
chooses and configures the engine, so another ibis backend can be passed in instead.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb
import ibis

#: DuckDB's working memory before it spills to disk; DuckDB's own default (80 % of RAM)
#: would let a year of 1 Hz mold samples take the whole machine. ``THERMAUDIT_MEMORY_LIMIT``
#: overrides it (e.g. ``8GB``).
DEFAULT_MEMORY_LIMIT = "3GB"


def duckdb_config() -> dict[str, str]:
    """Memory limit and a spill folder in the system temp folder (never the current one)."""
    return {
        "memory_limit": os.environ.get("THERMAUDIT_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
        "temp_directory": str(Path(tempfile.gettempdir()) / "thermaudit-duckdb"),
    }


def connect() -> ibis.BaseBackend:
    """The embedded default engine for ibis expressions: DuckDB in memory."""
    return ibis.duckdb.connect(**duckdb_config())


def raw_connect() -> duckdb.DuckDBPyConnection:
    """A plain DuckDB connection with the same limits, for bulk copies."""
    config: dict[str, str | bool | int | float | list[str]] = dict(duckdb_config())
    return duckdb.connect(config=config)
