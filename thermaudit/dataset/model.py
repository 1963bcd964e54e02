"""The normalized dataset: validated ``site.yaml`` plus one Parquet file per table.

Normalized tables are in canonical units (see :mod:`thermaudit.units`) with timestamps as
UTC instants. Their schemas are :data:`SCHEMAS`; every table also has ``_row``, the row of the
source file as a spreadsheet shows it (header = 1), for evidence in findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from thermaudit.dataset.site import Site

TS = pa.timestamp("us", tz="UTC")

#: canonical Parquet schema of each table (extra source columns follow as strings)
SCHEMAS: dict[str, pa.Schema] = {
    "readings": pa.schema(
        [
            ("meter_id", pa.string()),
            ("ts", TS),
            # register value or interval amount x unit factor to the carrier's canonical unit
            # (the meter's multiplier is NOT applied here: it belongs to the differencing rule)
            ("value", pa.float64()),
            ("_row", pa.int64()),
        ]
    ),
    "production": pa.schema(
        [
            ("date", pa.date32()),  # local date: the date column, or the local date of ts
            ("ts", TS),  # null for date-only rows
            ("sku", pa.string()),
            ("line", pa.string()),
            ("good_qty", pa.float64()),
            ("scrap_qty", pa.float64()),
            ("_row", pa.int64()),
        ]
    ),
    "mold_temperature": pa.schema(
        [
            ("ts", TS),
            ("controller_id", pa.string()),
            ("setpoint_c", pa.float64()),
            ("actual_c", pa.float64()),
            ("state", pa.string()),
            ("_row", pa.int64()),
        ]
    ),
    "heat_streams": pa.schema(
        [
            ("ts", TS),
            ("stream_id", pa.string()),
            ("flow", pa.float64()),
            ("flow_unit", pa.string()),
            ("t_hot_c", pa.float64()),
            ("t_cold_c", pa.float64()),
            ("_row", pa.int64()),
        ]
    ),
    "melting": pa.schema(
        [
            ("date", pa.date32()),
            ("ts", TS),
            ("furnace_id", pa.string()),
            ("metal_kg", pa.float64()),
            ("alloy", pa.string()),
            ("tap_temp_c", pa.float64()),
            ("_row", pa.int64()),
        ]
    ),
    "calibrations": pa.schema(
        [
            ("instrument_id", pa.string()),
            ("certificate_no", pa.string()),
            ("calibrated_on", pa.date32()),
            ("valid_until", pa.date32()),
            ("lab", pa.string()),
            ("expanded_uncertainty", pa.float64()),
            ("uncertainty_unit", pa.string()),
            ("k", pa.float64()),
            ("_row", pa.int64()),
        ]
    ),
    "meter_events": pa.schema(
        [
            ("meter_id", pa.string()),
            ("ts", TS),
            ("event", pa.string()),
            ("old_final", pa.float64()),
            ("new_initial", pa.float64()),
            ("_row", pa.int64()),
        ]
    ),
    "energy_purchases": pa.schema(
        [
            ("carrier", pa.string()),
            ("period_start", pa.date32()),
            ("period_end", pa.date32()),
            ("quantity", pa.float64()),
            ("unit", pa.string()),
            ("amount_cny", pa.float64()),
            ("ncv_mj_per_unit", pa.float64()),
            ("_row", pa.int64()),
        ]
    ),
    "green_certificates": pa.schema(
        [
            ("period_start", pa.date32()),
            ("period_end", pa.date32()),
            ("mwh", pa.float64()),
            ("certificate_no", pa.string()),
            ("_row", pa.int64()),
        ]
    ),
    "customers": pa.schema(
        [
            ("customer", pa.string()),
            ("market", pa.string()),
            ("sku", pa.string()),  # null: every SKU
            ("energy_clause", pa.string()),  # yes | no
            ("clause_text", pa.string()),
            ("_row", pa.int64()),
        ]
    ),
    "certifications": pa.schema(
        [
            ("scheme", pa.string()),
            ("sku", pa.string()),
            ("certificate_no", pa.string()),
            ("issued_on", pa.date32()),
            ("renewal_due", pa.date32()),
            ("body", pa.string()),
            ("_row", pa.int64()),
        ]
    ),
    "weather": pa.schema(
        [
            ("ts", TS),  # end of the sample's interval
            ("temperature_c", pa.float64()),  # outdoor dry-bulb air temperature [°C]
            ("station", pa.string()),
            ("_row", pa.int64()),
        ]
    ),
}


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
