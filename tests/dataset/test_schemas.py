"""The stored schemas derive from the contract and stay what they were.

``PINNED_NORMALIZED`` and ``PINNED_DEMO`` are the schemas as they were written out by hand
before :func:`thermaudit.dataset.contract.arrow_schema` built them (copied once, 2026-12-04,
from ``dataset/model.py`` and ``demo/generator.py``). A workspace stored by an earlier version
is read with the derived schema, so names, types and order must not drift: change a pinned
schema here only together with a migration of the stored Parquet.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from thermaudit.dataset import contract
from thermaudit.dataset.model import SCHEMAS
from thermaudit.demo import generator

UTC_TS = pa.timestamp("us", tz="UTC")
DEMO_TS = pa.timestamp("s")
DICT = pa.dictionary(pa.int16(), pa.string())

PINNED_NORMALIZED: dict[str, pa.Schema] = {
    "readings": pa.schema(
        [
            ("meter_id", pa.string()),
            ("ts", UTC_TS),
            ("value", pa.float64()),
            ("_row", pa.int64()),
        ]
    ),
    "production": pa.schema(
        [
            ("date", pa.date32()),
            ("ts", UTC_TS),
            ("sku", pa.string()),
            ("line", pa.string()),
            ("good_qty", pa.float64()),
            ("scrap_qty", pa.float64()),
            ("_row", pa.int64()),
        ]
    ),
    "mold_temperature": pa.schema(
        [
            ("ts", UTC_TS),
            ("controller_id", pa.string()),
            ("setpoint_c", pa.float64()),
            ("actual_c", pa.float64()),
            ("state", pa.string()),
            ("_row", pa.int64()),
        ]
    ),
    "heat_streams": pa.schema(
        [
            ("ts", UTC_TS),
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
            ("ts", UTC_TS),
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
            ("ts", UTC_TS),
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
            ("scheme", pa.string()),
            ("_row", pa.int64()),
        ]
    ),
    "customers": pa.schema(
        [
            ("customer", pa.string()),
            ("market", pa.string()),
            ("sku", pa.string()),
            ("energy_clause", pa.string()),
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
    "metal_inputs": pa.schema(
        [
            ("date", pa.date32()),
            ("material", pa.string()),
            ("form", pa.string()),
            ("mass_kg", pa.float64()),
            ("supplier", pa.string()),
            ("country", pa.string()),
            ("see_direct_tco2_per_t", pa.float64()),
            ("see_indirect_tco2_per_t", pa.float64()),
            ("evidence", pa.string()),
            ("_row", pa.int64()),
        ]
    ),
    "deliveries": pa.schema(
        [
            ("date", pa.date32()),
            ("customer", pa.string()),
            ("sku", pa.string()),
            ("qty", pa.float64()),
            ("_row", pa.int64()),
        ]
    ),
    "maintenance": pa.schema(
        [
            ("equipment_id", pa.string()),
            ("start", UTC_TS),
            ("end", UTC_TS),
            ("kind", pa.string()),
            ("note", pa.string()),
            ("_row", pa.int64()),
        ]
    ),
    "quality": pa.schema(
        [
            ("date", pa.date32()),
            ("sku", pa.string()),
            ("line", pa.string()),
            ("inspected_qty", pa.float64()),
            ("scrap_qty", pa.float64()),
            ("defect", pa.string()),
            ("_row", pa.int64()),
        ]
    ),
    "weather": pa.schema(
        [
            ("ts", UTC_TS),
            ("temperature_c", pa.float64()),
            ("station", pa.string()),
            ("_row", pa.int64()),
        ]
    ),
}


PINNED_DEMO: dict[str, pa.Schema] = {
    "readings": pa.schema([("meter_id", DICT), ("timestamp", DEMO_TS), ("value", pa.float64())]),
    "mold_temperature": pa.schema(
        [
            ("timestamp", DEMO_TS),
            ("controller_id", DICT),
            ("setpoint_c", pa.float64()),
            ("actual_c", pa.float64()),
            ("state", DICT),
        ]
    ),
    "heat_streams": pa.schema(
        [
            ("timestamp", DEMO_TS),
            ("stream_id", DICT),
            ("flow", pa.float64()),
            ("flow_unit", DICT),
            ("t_hot_c", pa.float64()),
            ("t_cold_c", pa.float64()),
        ]
    ),
    "production": pa.schema(
        [
            ("date", pa.date32()),
            ("sku", pa.string()),
            ("line", pa.string()),
            ("shift", pa.string()),
            ("good_qty", pa.int64()),
            ("scrap_qty", pa.int64()),
        ]
    ),
    "melting": pa.schema(
        [
            ("timestamp", DEMO_TS),
            ("furnace_id", pa.string()),
            ("metal_kg", pa.float64()),
            ("alloy", pa.string()),
            ("tap_temp_c", pa.float64()),
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
        ]
    ),
    "meter_events": pa.schema(
        [
            ("meter_id", pa.string()),
            ("timestamp", DEMO_TS),
            ("event", pa.string()),
            ("old_final", pa.float64()),
            ("new_initial", pa.float64()),
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
        ]
    ),
    "green_certificates": pa.schema(
        [
            ("period_start", pa.date32()),
            ("period_end", pa.date32()),
            ("mwh", pa.float64()),
            ("certificate_no", pa.string()),
            ("scheme", pa.string()),
        ]
    ),
}


def _same(derived: pa.Schema, pinned: pa.Schema) -> None:
    assert derived.names == pinned.names
    assert [str(t) for t in derived.types] == [str(t) for t in pinned.types]
    assert derived.equals(pinned, check_metadata=True)


@pytest.mark.parametrize("table", sorted(PINNED_NORMALIZED))
def test_normalized_schema_is_the_pinned_one(table: str) -> None:
    _same(SCHEMAS[table], PINNED_NORMALIZED[table])


def test_normalized_layout_stores_every_contract_table_and_no_other() -> None:
    assert list(SCHEMAS) == list(PINNED_NORMALIZED) == list(contract.TABLES)


@pytest.mark.parametrize("table", sorted(PINNED_DEMO))
def test_demo_schema_is_the_pinned_one(table: str) -> None:
    _same(generator._SCHEMAS[table], PINNED_DEMO[table])


def test_demo_writes_the_pinned_tables_in_order() -> None:
    assert list(generator._SCHEMAS) == list(PINNED_DEMO)


def test_an_unknown_column_kind_names_the_layout_and_the_known_kinds() -> None:
    with pytest.raises(KeyError, match=r"layout 'demo' has no storage type for column kind 'row'"):
        contract.DEMO.arrow_type("row")
    with pytest.raises(KeyError, match="known kinds: count, country, date, dictionary"):
        contract.DEMO.arrow_type("row")


def test_a_time_choice_on_a_table_with_one_time_column_is_refused() -> None:
    layout = contract.Layout(
        "bad", contract.NORMALIZED.types, {"readings": contract.TableLayout(time="date")}
    )
    with pytest.raises(ValueError, match="'readings' has one time column only"):
        contract.arrow_schema("readings", layout)
