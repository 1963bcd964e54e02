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
``country``    an ISO 3166-1 alpha-2 country code (``CN``, ``DE``, ``KR``)

A column may also name ``limits`` (a plausible range, both ends included: a value outside is
an error), and a table ``unique`` columns (a value repeated in two rows is an error).

A table whose rows may be dated either by day or by instant (``production``,
``melting``) accepts a ``date`` column or a ``timestamp`` column (at least one).

Storage layouts
---------------
The same tables are stored as Arrow in two layouts, declared below as data and built by
:func:`arrow_schema`: :data:`NORMALIZED` (the Parquet files of a validated dataset: canonical
units, UTC instants in ``ts``, every date-or-timestamp table with both, the internal ``_row``
column) and :data:`DEMO` (the files the demo generator writes as a plant would deliver them:
local wall time in ``timestamp``, whole pieces as integers, dictionary-encoded ids, one time
column per table and the pass-through column ``shift``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import iso3166
import pyarrow as pa

from thermaudit.units import CARRIERS

CONTRACT = "thermaudit.dataset/1"

#: tables the contract defines that this version does not read yet (their files would be
#: ignored like any unknown file, and ``site.yaml`` may name their owners); none since
#: ``maintenance`` and ``quality`` are read (added 2026-12)
UNREAD_TABLES: tuple[str, ...] = ()

#: what kind of stop a ``maintenance`` window is (contract, added 2026-12)
MAINTENANCE_KINDS = ("planned", "unplanned")

#: the ISO 3166-1 alpha-2 codes a ``country`` column accepts
COUNTRY_CODES = frozenset(iso3166.countries_by_alpha2)

#: what a row of ``metal_inputs`` is (contract, added 2026-12)
METAL_FORMS = ("primary_ingot", "secondary_ingot", "purchased_scrap", "master_alloy")

#: energy attribute certificate schemes of ``green_certificates.scheme`` (contract, added
#: 2026-12): China's green electricity certificate (the default), I-REC, EU guarantees of origin
CERTIFICATE_SCHEMES = ("GEC", "I-REC", "GO", "other")

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
                Column(
                    "scheme",
                    "enum:" + "|".join(CERTIFICATE_SCHEMES),
                    required=False,
                    doc="the certificate scheme (added 2026-12); empty: GEC",
                ),
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
            "metal_inputs",
            "optional (added 2026-12)",
            "metal bought in the period, for the cradle-to-gate product carbon footprint",
            (
                Column("date", "date", doc="local date the metal was received"),
                Column(
                    "material",
                    "str",
                    doc="alloy designation, matched like melting.alloy (ADC12, A380, "
                    "AlSi9Cu3(Fe), ...)",
                ),
                Column("form", "enum:" + "|".join(METAL_FORMS)),
                Column("mass_kg", "qty", unit="kg"),
                Column("supplier", "str"),
                Column("country", "country", doc="country where the metal was produced"),
                Column(
                    "see_direct_tco2_per_t",
                    "qty",
                    required=False,
                    unit="tCO2e/t",
                    doc="the supplier's declared direct embedded emissions; empty: the "
                    "default factor applies",
                    limits=(0.0, 100.0),
                ),
                Column(
                    "see_indirect_tco2_per_t",
                    "qty",
                    required=False,
                    unit="tCO2e/t",
                    doc="the supplier's declared indirect embedded emissions (electricity)",
                    limits=(0.0, 100.0),
                ),
                Column(
                    "evidence",
                    "str",
                    required=False,
                    doc="the supplier declaration or EPD the declared values come from",
                ),
            ),
        ),
        Table(
            "deliveries",
            "optional (added 2026-12)",
            "what one customer received of one SKU on one day, for the buyer's share of the "
            "emissions and energy (its scope 3 category 1)",
            (
                Column("date", "date", doc="local date of the delivery"),
                Column("customer", "str", doc="need not appear in the customers table"),
                Column("sku", "str", ref="products"),
                Column("qty", "count", unit="pieces"),
            ),
        ),
        Table(
            "maintenance",
            "optional (added 2026-12)",
            "one piece of equipment out of production from start to end, for the "
            "cross-department reconciliation (production, meters and mold logs against the "
            "maintenance log)",
            (
                Column("equipment_id", "str", ref="equipment"),
                Column("start", "timestamp", doc="when the equipment stopped producing"),
                Column(
                    "end",
                    "timestamp",
                    doc="when it was handed back to production; not before start",
                ),
                Column("kind", "enum:" + "|".join(MAINTENANCE_KINDS)),
                Column("note", "str", required=False, doc="work done, fault found"),
            ),
        ),
        Table(
            "quality",
            "optional (added 2026-12)",
            "what the quality department inspected and scrapped of one SKU on one line on "
            "one day, checked against production's scrap (the metrics use production's)",
            (
                Column("date", "date", doc="local date of the production inspected"),
                Column("sku", "str", ref="products"),
                Column("line", "str"),
                Column("inspected_qty", "count", unit="pieces"),
                Column(
                    "scrap_qty",
                    "count",
                    unit="pieces",
                    doc="pieces rejected; not more than inspected_qty",
                ),
                Column("defect", "str", required=False, doc="main defect (porosity, cold shut)"),
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


# ---------------------------------------------------------------------------------------------
# Storage layouts: how the tables above are stored as Arrow


@dataclass(frozen=True)
class TableLayout:
    """The choices one layout makes for one table."""

    #: which time columns of a date-or-timestamp table are stored: ``both``, ``date`` or
    #: ``timestamp``
    time: str = "both"
    #: columns stored dictionary-encoded (``int16`` codes into strings)
    dictionary: tuple[str, ...] = ()
    #: columns not in the contract, each stored after the named contract column
    extra: tuple[tuple[str, Column], ...] = ()


@dataclass(frozen=True)
class Layout:
    """One way of storing the contract's tables as Arrow (see *Storage layouts* above)."""

    name: str
    #: Arrow type of each column kind (``enum`` stands for every ``enum:…`` kind)
    types: Mapping[str, pa.DataType]
    #: the tables this layout stores, in order, with their choices
    tables: Mapping[str, TableLayout]
    #: a contract column's name in this layout, where it differs
    rename: Mapping[str, str] = field(default_factory=dict)
    #: columns the layout derives and appends to every table (not in any input file)
    internal: tuple[Column, ...] = ()

    def arrow_type(self, kind: str) -> pa.DataType:
        """The Arrow type a column of ``kind`` is stored as; raises on an unknown kind."""
        key = "enum" if kind.startswith("enum:") else kind
        try:
            return self.types[key]
        except KeyError:
            raise KeyError(
                f"layout {self.name!r} has no storage type for column kind {kind!r}; "
                f"known kinds: {', '.join(sorted(self.types))}"
            ) from None


_FLOAT = pa.float64()

NORMALIZED = Layout(
    name="normalized",
    types=MappingProxyType(
        {
            "str": pa.string(),
            "enum": pa.string(),
            "country": pa.string(),
            "float": _FLOAT,
            "qty": _FLOAT,
            "count": _FLOAT,  # checked whole at import, stored as float like every quantity
            "temp": _FLOAT,
            "date": pa.date32(),
            "timestamp": pa.timestamp("us", tz="UTC"),
            "row": pa.int64(),
        }
    ),
    tables=MappingProxyType({name: TableLayout() for name in TABLES}),
    rename=MappingProxyType({"timestamp": "ts"}),
    internal=(
        Column(
            "_row",
            "row",
            doc="row of the source file as a spreadsheet shows it (header = 1)",
        ),
    ),
)

_DICT = pa.dictionary(pa.int16(), pa.string())

DEMO = Layout(
    name="demo",
    types=MappingProxyType(
        {
            "str": pa.string(),
            "enum": pa.string(),
            "country": pa.string(),
            "float": _FLOAT,
            "qty": _FLOAT,
            "count": pa.int64(),  # whole pieces, as a plant's MES exports them
            "temp": _FLOAT,
            "date": pa.date32(),
            # local wall time, no offset: the site's timezone applies (contract)
            "timestamp": pa.timestamp("s"),
            "dictionary": _DICT,
        }
    ),
    tables=MappingProxyType(
        {
            "readings": TableLayout(dictionary=("meter_id",)),
            "mold_temperature": TableLayout(dictionary=("controller_id", "state")),
            "heat_streams": TableLayout(dictionary=("stream_id", "flow_unit")),
            "production": TableLayout(
                time="date",
                extra=(
                    (
                        "line",
                        Column(
                            "shift",
                            "str",
                            required=False,
                            doc="shift of the line; a column the contract passes through",
                        ),
                    ),
                ),
            ),
            "melting": TableLayout(time="timestamp"),
            "calibrations": TableLayout(),
            "meter_events": TableLayout(),
            "energy_purchases": TableLayout(),
            "green_certificates": TableLayout(),
        }
    ),
)


def arrow_schema(table: str, layout: Layout) -> pa.Schema:
    """The Arrow schema of contract ``table`` stored in ``layout``.

    Columns follow the contract's order, with the layout's extra columns after the column
    each names and its internal columns last; a date-or-timestamp table keeps the time
    columns its :class:`TableLayout` names.
    """
    spec = TABLES[table]
    choice = layout.tables[table]
    dropped = {"both": (), "date": ("timestamp",), "timestamp": ("date",)}[choice.time]
    if dropped and not spec.date_or_timestamp:
        raise ValueError(f"layout {layout.name!r}: table {table!r} has one time column only")
    after: dict[str, list[Column]] = {}
    for anchor, extra in choice.extra:
        spec.column(anchor)  # a KeyError names an anchor the contract does not have
        after.setdefault(anchor, []).append(extra)
    fields = []
    for column in spec.columns:
        if column.name in dropped:
            continue
        for c in (column, *after.get(column.name, ())):
            kind = "dictionary" if c.name in choice.dictionary else c.kind
            fields.append(pa.field(layout.rename.get(c.name, c.name), layout.arrow_type(kind)))
    fields += [pa.field(c.name, layout.arrow_type(c.kind)) for c in layout.internal]
    return pa.schema(fields)


def arrow_schemas(layout: Layout) -> dict[str, pa.Schema]:
    """:func:`arrow_schema` of every table ``layout`` stores, in the layout's order."""
    return {name: arrow_schema(name, layout) for name in layout.tables}
