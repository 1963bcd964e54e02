"""The normalized dataset: validated ``site.yaml`` plus one Parquet file per table.

Normalized tables are in canonical units (see :mod:`thermaudit.units`) with timestamps as
UTC instants. Their schemas are :data:`SCHEMAS`; every table also has ``_row``, the row of the
source file as a spreadsheet shows it (header = 1), for evidence in findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from thermaudit.dataset.contract import NORMALIZED, arrow_schemas
from thermaudit.dataset.site import Site

#: canonical Parquet schema of each table (extra source columns follow as strings), built from
#: the contract's :data:`~thermaudit.dataset.contract.NORMALIZED` layout: ``timestamp`` is
#: stored as the UTC instant ``ts``; ``value`` is the register value or interval amount times
#: the unit factor to the carrier's canonical unit (the meter's multiplier is NOT applied
#: here: it belongs to the differencing rule); a date-or-timestamp table keeps both ``date``
#: (the date column, or the local date of ``ts``) and ``ts`` (null for date-only rows)
SCHEMAS: dict[str, pa.Schema] = arrow_schemas(NORMALIZED)


@dataclass(frozen=True)
class InputFile:
    """One file as received: name relative to the dataset folder, sha256 of its bytes and
    the number of data rows it gave (per table for a workbook)."""

    file: str
    sha256: str
    rows: int
    table: str | None = None  # None for site.yaml


@dataclass(frozen=True)
class NormalizedDataset:
    """A validated dataset: ``site`` plus ``tables[name]`` → Parquet file of :data:`SCHEMAS`."""

    site: Site
    tables: dict[str, Path]
    inputs: tuple[InputFile, ...]
    source: Path

    def has(self, table: str) -> bool:
        return table in self.tables
