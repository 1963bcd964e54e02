"""The tables of ``thermaudit.dataset/1`` as data.

This module is the single source for the reader's checks, the normalized Parquet schemas
and the generated contract documentation (``docs/dataset-contract.md``). Extend it with
new optional tables or columns; never change the meaning of what is here.

Column kinds
------------
``str``        non-empty text (ids, names)
``float``      a finite number
``qty``        a finite number ≥ 0 (kg, m3/h)
``count``      a whole number ≥ 0 (pieces): ``254.5`` pieces is an error
``timestamp``  ISO 8601 date-time, with or without UTC offset; without one it is local
               time in the site's ``timezone``. Stored as UTC.
``date``       ISO 8601 calendar date (local)
``temp``       a finite temperature in °C, above absolute zero
``enum:a|b``   one of the listed words

A column may also name ``limits`` (a plausible range, both ends included: a value outside is
an error), and a table ``unique`` columns (a value repeated in two rows is an error).

A table whose rows may be dated either by day or by instant (``production``,
``melting``) accepts a ``date`` column or a ``timestamp`` column (at least one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from thermaudit.units import CARRIERS

CONTRACT = "thermaudit.dataset/1"

#: tables the contract defines (added 2026-12) that this version does not read yet: their
#: files are ignored like any unknown file, and ``site.yaml`` may name their owners
UNREAD_TABLES = ("metal_inputs", "deliveries", "maintenance", "quality")

#: markets a product may be sold to (site.yaml ``products[].markets``, ``customers.market``)
MARKETS = ("EU", "UK", "KR", "ASEAN", "CN", "US", "other")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = True
    unit: str = ""
    doc: str = ""
    #: references another list of site.yaml / table ("meters", "products", ...)
    ref: str | None = None
    #: plausible range (low, high), both included, in ``unit``; a value outside is an error
    limits: tuple[float, float] | None = None


@dataclass(frozen=True)
class Table:
    name: str
    required: str  # "yes", "for metric 3", "optional", ...
    meaning: str
    columns: tuple[Column, ...]
    #: the table is dated by a ``date`` or a ``timestamp`` column (one is required)
    date_or_timestamp: bool = False
    mandatory: bool = False
    extra_doc: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: columns whose value identifies a row: a value that two rows share is an error
    unique: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


TIME_COLUMNS = (
    Column("date", "date", required=False, doc="local calendar date"),
    Column("timestamp", "timestamp", required=False, doc="instant (see time zones)"),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "readings",
            "yes",
            "cumulative meters: register value at the timestamp; interval meters: amount in "
            "the interval ending at the timestamp",
            (
                Column("meter_id", "str", ref="meters"),
                Column("timestamp", "timestamp"),
                Column("value", "float", unit="meter unit", doc="register value or amount"),
            ),
            mandatory=True,
        ),
        Table(
            "production",
            "yes",
            "output of one SKU on one line in one day or shift",
            (
                *TIME_COLUMNS,
                Column("sku", "str", ref="products"),
                Column("line", "str"),
                Column("good_qty", "count", unit="pieces"),
                Column("scrap_qty", "count", unit="pieces"),
            ),
            date_or_timestamp=True,
            mandatory=True,
        ),
        Table(
            "mold_temperature",
            "for metric 3",
            "one instantaneous sample of a mold temperature controller",
            (
                Column("timestamp", "timestamp"),
                Column("controller_id", "str", ref="temperature_controllers"),
                Column("setpoint_c", "temp", unit="°C"),
                Column("actual_c", "temp", unit="°C"),
                Column(
                    "state",
                    "enum:producing|idle|warmup|maintenance",
                    required=False,
                    doc="empty means producing",
                ),
            ),
        ),
        Table(
            "heat_streams",
            "for metric 2",
            "mean flow and temperatures over the stream's interval_s ending at the timestamp",
            (
                Column("timestamp", "timestamp"),
                Column("stream_id", "str", ref="heat_streams"),
                Column("flow", "qty", unit="flow_unit"),
                Column("flow_unit", "enum:m3/h|t/h|Nm3/h|kg/h"),
                Column("t_hot_c", "temp", unit="°C"),
                Column(
                    "t_cold_c",
                    "temp",
                    required=False,
                    unit="°C",
                    doc="empty on an available stream: the stream's t_ref_c",
                ),
            ),
        ),
        Table(
            "melting",
            "for metric 4",
            "metal melted in one batch or day",
            (
                *TIME_COLUMNS,
                Column("furnace_id", "str", ref="equipment"),
                Column("metal_kg", "qty", unit="kg"),
                Column("alloy", "str"),
                Column("tap_temp_c", "temp", unit="°C"),
            ),
            date_or_timestamp=True,
        ),
        Table(
            "calibrations",
            "recommended",
            "one calibration certificate (dates inclusive)",
            (
                Column("instrument_id", "str", ref="instruments"),
                Column("certificate_no", "str"),
                Column("calibrated_on", "date"),
                Column("valid_until", "date"),
                Column("lab", "str", required=False),
                Column("expanded_uncertainty", "qty", required=False, unit="uncertainty_unit"),
                Column("uncertainty_unit", "enum:%|C", required=False),
                Column("k", "qty", required=False, doc="coverage factor"),
            ),
        ),
        Table(
            "meter_events",
            "optional",
            "a register that restarted (replacement or reset)",
            (
                Column("meter_id", "str", ref="meters"),
                Column("timestamp", "timestamp"),
                Column("event", "enum:replaced|reset"),
                Column("old_final", "float", unit="meter unit"),
                Column("new_initial", "float", unit="meter unit"),
            ),
        ),
        Table(
            "energy_purchases",
            "optional",
            "an invoice, for reconciliation",
            (
                Column(
                    "carrier",
                    "enum:" + "|".join(CARRIERS),
                ),
                Column("period_start", "date"),
                Column("period_end", "date"),
                Column("quantity", "qty", unit="unit"),
                Column("unit", "str"),
                Column("amount_cny", "qty", required=False, unit="CNY"),
                Column("ncv_mj_per_unit", "qty", required=False, unit="MJ/unit"),
            ),
        ),
        Table(
            "green_certificates",
            "optional",
            "retired green electricity certificates (market-based scope 2)",
            (
                Column("period_start", "date"),
                Column("period_end", "date"),
                Column("mwh", "qty", unit="MWh"),
                Column("certificate_no", "str"),
            ),
        ),
        Table(
            "customers",
            "optional",
            "one customer buying one SKU (or, with sku empty, every SKU), for the export "
            "priorities of the diagnosis",
            (
                Column("customer", "str"),
                Column("market", "enum:" + "|".join(MARKETS)),
                Column("sku", "str", required=False, ref="products", doc="empty: every SKU"),
                Column(
                    "energy_clause",
                    "enum:yes|no",
                    doc="the contract asks for energy or carbon figures of the product",
                ),
                Column("clause_text", "str", required=False, doc="what the clause asks for"),
            ),
        ),
        Table(
            "certifications",
            "optional",
            "one product certificate whose renewal needs the product's energy and carbon "
            "figures (lead-time plan of the diagnosis)",
            (
                Column("scheme", "enum:CE|UKCA|KC|other"),
                Column("sku", "str", ref="products"),
                Column("certificate_no", "str"),
                Column("issued_on", "date", required=False),
                Column("renewal_due", "date", doc="local date the renewal file is due"),
                Column("body", "str", required=False, doc="notified or certification body"),
            ),
        ),
        Table(
            "weather",
            "optional",
            "one outdoor air temperature of the site: the sample (or the mean over the "
            "logger's interval) ending at the timestamp; one series, each instant once "
            "(degree-days of the energy baseline)",
            (
                Column("timestamp", "timestamp", doc="end of the sample's interval"),
                Column(
                    "temperature_c",
                    "temp",
                    unit="°C",
                    doc="outdoor dry-bulb air temperature",
                    limits=(-60.0, 60.0),
                ),
                Column(
                    "station",
                    "str",
                    required=False,
                    doc="where the temperature comes from (on-site sensor, weather station "
                    "name or WMO id)",
                ),
            ),
            unique=("timestamp",),
        ),
    )
}
