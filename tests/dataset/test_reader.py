"""The validated import: ``normalize`` on the conformance plants and edited copies of them.

Every rejected input must name file, row (as a spreadsheet shows it, header = 1), column,
what was expected and what was found; the tests read those variable parts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from builders import read_rows, set_cell, write_rows

from thermaudit.dataset import SCHEMAS, InputFile, NormalizedDataset, normalize
from thermaudit.dataset.contract import TABLES
from thermaudit.errors import MAX_PROBLEMS, InvalidDataset, Problem

FIXTURES = Path(__file__).parents[1] / "fixtures" / "conformance"
MINI = FIXTURES / "mini"
OPTIONS = FIXTURES / "mini-options"
UTC = dt.UTC

# ---------------------------------------------------------------------------------------------
# helpers


def copy_plant(tmp_path: Path, plant: Path = MINI) -> Path:
    dst = tmp_path / "dataset"
    shutil.copytree(plant, dst, ignore=shutil.ignore_patterns("expected.json"))
    return dst


def add_row(folder: Path, table: str, **values: str) -> int:
    """Append a row (missing columns empty); returns its spreadsheet row number."""
    path = folder / f"{table}.csv"
    rows = read_rows(path)
    rows.append([values.pop(c, "") for c in rows[0]])
    assert not values, f"unknown columns {values}"
    write_rows(path, rows)
    return len(rows)


def edit_site(folder: Path, old: str, new: str, count: int = 1) -> None:
    path = folder / "site.yaml"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), "utf-8")


def run(folder: Path, tmp_path: Path, **kwargs: object) -> NormalizedDataset:
    return normalize(folder, tmp_path / "out", **kwargs)  # type: ignore[arg-type]


def failures(folder: Path, tmp_path: Path) -> list[Problem]:
    with pytest.raises(InvalidDataset) as info:
        run(folder, tmp_path)
    return info.value.problems


def one_failure(folder: Path, tmp_path: Path) -> Problem:
    found = failures(folder, tmp_path)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def tables(ds: NormalizedDataset) -> dict[str, pa.Table]:
    return {name: pq.read_table(path) for name, path in ds.tables.items()}


def csv_column(path: Path, column: str) -> list[str]:
    rows = read_rows(path)
    i = rows[0].index(column)
    return [r[i] for r in rows[1:]]


def local(text: str, zone: str = "Asia/Shanghai") -> dt.datetime:
    """Independent route for a naive local time: zoneinfo (fold=0)."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# the conformance plants


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> NormalizedDataset:
    return normalize(MINI, tmp_path_factory.mktemp("mini"))


def test_mini_tables_and_schemas(mini: NormalizedDataset) -> None:
    got = tables(mini)
    assert set(got) == {
        "readings",
        "production",
        "heat_streams",
        "melting",
        "calibrations",
        "energy_purchases",
        "green_certificates",
    }
    for name, t in got.items():
        canonical = SCHEMAS[name]
        assert t.schema.names[: len(canonical)] == canonical.names, name
        for f in canonical:
            assert t.schema.field(f.name).type == f.type, (name, f.name)
    # production.csv has an extra column "shift": kept, as text, after the canonical columns
    assert got["production"].schema.names[len(SCHEMAS["production"]) :] == ["shift"]
    assert got["production"].column("shift").to_pylist()[:2] == ["A", "B"]
    assert mini.source == MINI
    assert mini.has("readings") and not mini.has("mold_temperature")


def test_mini_inputs_sha256_and_rows(mini: NormalizedDataset) -> None:
    by_file = {i.file: i for i in mini.inputs}
    # value from an independent implementation (see the task brief)
    assert by_file["readings.csv"] == InputFile(
        "readings.csv",
        "ff17f85eca97d70239f63734beea563c663f82dcbc2fc214345c542f37c927d6",
        4220,
        "readings",
    )
    assert by_file["site.yaml"].table is None and by_file["site.yaml"].rows == 0
    for name in ("site.yaml", "production.csv", "heat_streams.csv"):
        raw = (MINI / name).read_bytes()
        assert by_file[name].sha256 == hashlib.sha256(raw).hexdigest()
    for name in ("production", "heat_streams", "melting", "calibrations"):
        assert by_file[f"{name}.csv"].rows == len(read_rows(MINI / f"{name}.csv")) - 1


def test_mini_readings_values_instants_and_rows(mini: NormalizedDataset) -> None:
    r = tables(mini)["readings"]
    stamps = csv_column(MINI / "readings.csv", "timestamp")
    values = csv_column(MINI / "readings.csv", "value")
    # all meters of mini are in kWh, m3 or GJ: canonical already, and the multiplier
    # (E-MAIN x1500) is NOT applied at import
    assert r.column("value").to_pylist() == [float(v) for v in values]
    assert r.column("ts").to_pylist()[:3] == [local(s) for s in stamps[:3]]
    assert r.column("ts").to_pylist()[0] == dt.datetime(2025, 10, 5, 12, 0, tzinfo=UTC)
    assert r.column("_row").to_pylist() == list(range(2, 4222))


def test_mini_dates_of_production_and_melting(mini: NormalizedDataset) -> None:
    got = tables(mini)
    prod = got["production"]
    assert prod.column("ts").null_count == prod.num_rows  # date-only rows
    assert prod.column("date").to_pylist()[0] == dt.date(2025, 10, 6)
    melt = got["melting"]
    # 2025-10-06 04:00 in Shanghai is 2025-10-05 20:00 UTC: the date is the LOCAL date
    assert melt.column("ts").to_pylist()[0] == dt.datetime(2025, 10, 5, 20, 0, tzinfo=UTC)
    assert melt.column("date").to_pylist()[0] == dt.date(2025, 10, 6)


def test_mini_options_with_mold_temperature(tmp_path: Path) -> None:
    ds = normalize(OPTIONS, tmp_path / "out")
    mold = pq.read_table(ds.tables["mold_temperature"])
    assert mold.num_rows == len(read_rows(OPTIONS / "mold_temperature.csv")) - 1
    assert set(mold.column("state").to_pylist()) <= {"producing", "idle", "warmup", "maintenance"}
    assert ds.site.temperature_controllers[0].id == "TCU-01"


def test_source_may_be_the_site_yaml_and_out_dir_is_created(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b"
    ds = normalize(MINI / "site.yaml", out)
    assert ds.source == MINI
    assert (out / "readings.parquet").is_file()


def test_progress_reports_each_table(tmp_path: Path) -> None:
    seen: list[tuple[str, int]] = []
    run(MINI, tmp_path, progress=lambda table, rows: seen.append((table, rows)))
    last = dict(seen)
    assert last["readings"] == 4220
    assert last["heat_streams"] == 4644


# ---------------------------------------------------------------------------------------------
# three input forms give the same normalized tables


def _typed_table(table: str, path: Path) -> pa.Table:
    """A CSV table as a typed Parquet table: naive timestamps, dates, floats, int counts."""
    rows = read_rows(path)
    header, body = rows[0], rows[1:]
    kinds = {c.name: c.kind for c in TABLES[table].columns}
    cols = {}
    for j, name in enumerate(header):
        cells = [r[j] or None for r in body]
        kind = kinds.get(name, "str")
        if kind == "timestamp":
            cols[name] = pa.array(
                [c and dt.datetime.fromisoformat(c) for c in cells], pa.timestamp("ms")
            )
        elif kind == "date":
            cols[name] = pa.array([c and dt.date.fromisoformat(c) for c in cells], pa.date32())
        elif kind == "count":
            cols[name] = pa.array([c and int(c) for c in cells], pa.int64())
        elif kind in ("float", "qty", "temp"):
            cols[name] = pa.array([c and float(c) for c in cells], pa.float64())
        else:
            cols[name] = pa.array(cells, pa.string())
    return pa.table(cols)


def _excel_cell(kind: str, text: str) -> object:
    if text == "":
        return None
    try:
        if kind == "timestamp":
            return dt.datetime.fromisoformat(text)
        if kind == "date":
            return dt.date.fromisoformat(text)
        if kind in ("float", "qty", "count", "temp"):
            value = float(text)
            return int(value) if value.is_integer() else value
    except ValueError:
        pass  # a bad cell stays text, as a plant would type it
    return text


def as_parquet(folder: Path) -> None:
    for path in sorted(folder.glob("*.csv")):
        pq.write_table(_typed_table(path.stem, path), path.with_suffix(".parquet"))
        path.unlink()


def as_workbook(folder: Path, name: str = "dataset.xlsx") -> None:
    wb = openpyxl.Workbook(write_only=True)
    for path in sorted(folder.glob("*.csv")):
        rows = read_rows(path)
        kinds = {c.name: c.kind for c in TABLES[path.stem].columns}
        ws = wb.create_sheet(path.stem)
        ws.append(rows[0])
        column_kinds = [kinds.get(h, "str") for h in rows[0]]
        for r in rows[1:]:
            ws.append([_excel_cell(k, v) for k, v in zip(column_kinds, r, strict=True)])
        path.unlink()
    wb.save(folder / name)


@pytest.mark.parametrize(
    "plant",
    [
        MINI,
        pytest.param(OPTIONS, marks=pytest.mark.slow),  # openpyxl writes 48 k mold rows
    ],
    ids=["mini", "mini-options"],
)
def test_csv_parquet_and_workbook_give_identical_tables(tmp_path: Path, plant: Path) -> None:
    reference = tables(normalize(plant, tmp_path / "csv-out"))
    parquet = copy_plant(tmp_path / "pq", plant)
    as_parquet(parquet)
    assert (parquet / "readings.parquet").is_file() and not (parquet / "readings.csv").exists()
    workbook = copy_plant(tmp_path / "xl", plant)
    as_workbook(workbook)
    for form, folder in (("parquet", parquet), ("xlsx", workbook)):
        ds = normalize(folder, tmp_path / f"{form}-out")
        got = tables(ds)
        assert set(got) == set(reference), form
        for name, t in reference.items():
            assert got[name].schema == t.schema, (form, name)
            assert got[name].equals(t), (form, name)


def test_workbook_inputs_one_per_sheet(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    as_workbook(folder)
    ds = run(folder, tmp_path)
    digest = hashlib.sha256((folder / "dataset.xlsx").read_bytes()).hexdigest()
    sheets = {i.file: i for i in ds.inputs if i.file != "site.yaml"}
    assert sheets["dataset.xlsx[readings]"] == InputFile(
        "dataset.xlsx[readings]", digest, 4220, "readings"
    )
    assert {i.sha256 for i in sheets.values()} == {digest}


def test_workbook_problem_names_the_sheet(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    set_cell(folder, "readings", 7, "value", "twelve")
    as_workbook(folder)
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column) == ("dataset.xlsx[readings]", 7, "value")
    assert p.found == "'twelve'"


def test_parquet_with_aware_timestamps_and_text_columns(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    t = _typed_table("readings", folder / "readings.csv")
    ts = pc.assume_timezone(t.column("timestamp"), "Asia/Shanghai")
    t = t.set_column(1, "timestamp", ts)  # tz-aware instants
    t = t.set_column(2, "value", pc.cast(t.column("value"), pa.string()))  # numbers as text
    pq.write_table(t, folder / "readings.parquet")
    (folder / "readings.csv").unlink()
    got = tables(run(folder, tmp_path))["readings"]
    ref = tables(normalize(MINI, tmp_path / "ref"))["readings"]
    assert got.equals(ref)


# ---------------------------------------------------------------------------------------------
# CSV details: BOM, CRLF, extra columns, offsets, DST


def test_bom_crlf_and_extra_columns(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    rows = read_rows(folder / "readings.csv")
    rows = [[*r, "note" if i == 0 else f"n{i}", ""] for i, r in enumerate(rows)]
    rows[0][-1] = "remark"
    text = "\r\n".join(",".join(r) for r in rows) + "\r\n"
    (folder / "readings.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())
    got = tables(run(folder, tmp_path))["readings"]
    ref = tables(normalize(MINI, tmp_path / "ref"))["readings"]
    assert got.schema.names == [*SCHEMAS["readings"].names, "note", "remark"]
    assert got.select(SCHEMAS["readings"].names).equals(ref)
    assert got.column("note").to_pylist()[:2] == ["n1", "n2"]
    assert got.column("remark").null_count == 0  # kept as (empty) text


def test_offsets_and_z_give_the_same_instants(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    rows = read_rows(folder / "readings.csv")
    for i, r in enumerate(rows[1:]):
        naive = dt.datetime.fromisoformat(r[1])
        instant = naive.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
        r[1] = [
            naive.isoformat(sep=" "),
            instant.isoformat(),  # 2025-10-05T20:00:00+08:00
            instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            instant.astimezone(ZoneInfo("Europe/Berlin")).isoformat(),
            naive.strftime("%Y-%m-%dT%H:%M"),
        ][i % 5]
    write_rows(folder / "readings.csv", rows)
    got = tables(run(folder, tmp_path))["readings"]
    ref = tables(normalize(MINI, tmp_path / "ref"))["readings"]
    assert got.column("ts").equals(ref.column("ts"))


def test_all_cells_with_z_and_a_bare_hour_among_them(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    rows = read_rows(folder / "readings.csv")
    for r in rows[1:]:
        instant = dt.datetime.fromisoformat(r[1]).replace(tzinfo=ZoneInfo("Asia/Shanghai"))
        r[1] = instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    write_rows(folder / "readings.csv", rows)
    got = tables(run(folder, tmp_path))["readings"]
    assert got.equals(tables(normalize(MINI, tmp_path / "ref"))["readings"])
    set_cell(folder, "readings", 11, "timestamp", "2025-10-05T12+08:00")  # no minutes
    p = one_failure(folder, tmp_path)
    assert (p.row, p.column, p.found) == (11, "timestamp", "'2025-10-05T12+08:00'")


def _berlin(tmp_path: Path) -> Path:
    folder = copy_plant(tmp_path)
    edit_site(folder, "timezone: Asia/Shanghai", "timezone: Europe/Berlin")
    return folder


def test_dst_zone_converts_each_side_of_the_change(tmp_path: Path) -> None:
    folder = _berlin(tmp_path)
    stamps = [
        "2025-03-30 01:30:00",
        "2025-03-30 03:30:00",
        "2025-10-26 01:30:00",
        "2025-10-26 03:30:00",
        "2025-10-26T02:30:00+01:00",
        "2025-10-26T02:30:00+02:00",
    ]
    rows = [add_row(folder, "readings", meter_id="E-MAIN", timestamp=s, value="1") for s in stamps]
    got = tables(run(folder, tmp_path))["readings"]
    by_row = dict(zip(got.column("_row").to_pylist(), got.column("ts").to_pylist(), strict=True))
    assert [by_row[r] for r in rows] == [
        dt.datetime(2025, 3, 30, 0, 30, tzinfo=UTC),  # CET +01:00
        dt.datetime(2025, 3, 30, 1, 30, tzinfo=UTC),  # CEST +02:00
        dt.datetime(2025, 10, 25, 23, 30, tzinfo=UTC),
        dt.datetime(2025, 10, 26, 2, 30, tzinfo=UTC),
        dt.datetime(2025, 10, 26, 1, 30, tzinfo=UTC),
        dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
    ]
    # agreement with zoneinfo for an ordinary local time on a DST date
    assert by_row[rows[1]] == local(stamps[1], "Europe/Berlin")


def test_far_years_and_typed_nanoseconds(tmp_path: Path) -> None:
    # a typing error in the year is not an import error (it lies outside the period: a
    # finding); it must not make the time-zone lookup scan two centuries either
    folder = _berlin(tmp_path)
    row = add_row(folder, "readings", meter_id="E-MAIN", timestamp="2205-07-01 12:00:00", value="1")
    t = _typed_table("readings", folder / "readings.csv")
    t = t.set_column(1, "timestamp", pc.cast(t.column("timestamp"), pa.timestamp("ns")))
    pq.write_table(t, folder / "readings.parquet")
    (folder / "readings.csv").unlink()
    got = tables(run(folder, tmp_path))["readings"]
    assert got.column("ts").to_pylist()[row - 2] == dt.datetime(2205, 7, 1, 10, tzinfo=UTC)


def test_nonexistent_local_time_is_an_error_with_its_row(tmp_path: Path) -> None:
    folder = _berlin(tmp_path)
    row = add_row(folder, "readings", meter_id="E-MAIN", timestamp="2025-03-30 02:30:00", value="1")
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column) == ("readings.csv", row, "timestamp")
    assert "Europe/Berlin" in p.expected
    assert "2025-03-30" in p.expected and "02:00 to 03:00" in p.expected
    assert p.found == "'2025-03-30 02:30:00'"


def test_ambiguous_local_time_is_an_error_with_its_row(tmp_path: Path) -> None:
    folder = _berlin(tmp_path)
    row = add_row(folder, "readings", meter_id="E-MAIN", timestamp="2025-10-26 02:30:00", value="1")
    p = one_failure(folder, tmp_path)
    assert (p.row, p.column) == (row, "timestamp")
    assert "occurs twice" in p.expected
    assert "2025-10-26T02:30:00+02:00 or 2025-10-26T02:30:00+01:00" in p.expected


# ---------------------------------------------------------------------------------------------
# finding the tables


def test_missing_required_tables(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    (folder / "readings.csv").unlink()
    (folder / "production.csv").unlink()
    found = failures(folder, tmp_path)
    assert [(p.file, p.row, p.column) for p in found] == [
        ("readings.csv", None, None),
        ("production.csv", None, None),
    ]
    assert found[0].expected == (
        "a readings table (readings.csv, readings.parquet or a readings sheet)"
    )


def test_optional_tables_may_be_absent(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    for name in (
        "heat_streams",
        "melting",
        "calibrations",
        "energy_purchases",
        "green_certificates",
    ):
        (folder / f"{name}.csv").unlink()
    ds = run(folder, tmp_path)
    assert set(ds.tables) == {"readings", "production"}


def test_two_forms_of_one_table(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    pq.write_table(_typed_table("readings", folder / "readings.csv"), folder / "readings.parquet")
    p = one_failure(folder, tmp_path)
    assert p.file == "readings.csv"
    assert p.found == "readings.csv and readings.parquet"


def test_csv_and_workbook_sheet_of_one_table(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    shutil.copy(folder / "melting.csv", tmp_path / "melting.csv")
    as_workbook(folder)
    shutil.copy(tmp_path / "melting.csv", folder / "melting.csv")
    p = one_failure(folder, tmp_path)
    assert "melting.csv" in p.found and "dataset.xlsx[melting]" in p.found


def test_unknown_files_and_sheets_are_ignored(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    (folder / "notes.txt").write_text("hello", "utf-8")
    (folder / "readings_old.csv").write_text("garbage\n", "utf-8")
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.save(folder / "extra.xlsx")
    ds = run(folder, tmp_path)
    assert "notes.txt" not in {i.file for i in ds.inputs}


# ---------------------------------------------------------------------------------------------
# columns and cells


def test_missing_required_column_is_reported_at_row_1(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    rows = [r[:2] for r in read_rows(folder / "readings.csv")]
    write_rows(folder / "readings.csv", rows)
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column) == ("readings.csv", 1, "value")
    assert "a column named value" in p.expected
    assert "meter_id, timestamp" in p.found


def test_production_needs_a_date_or_a_timestamp_column(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    rows = read_rows(folder / "production.csv")
    rows[0][0] = "day"
    write_rows(folder / "production.csv", rows)
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column) == ("production.csv", 1, "date")
    assert "date or timestamp" in p.expected


def test_header_names_match_without_case_and_blanks(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    rows = read_rows(folder / "readings.csv")
    rows[0] = ["Meter_ID", " timestamp ", "VALUE"]
    write_rows(folder / "readings.csv", rows)
    got = tables(run(folder, tmp_path))["readings"]
    assert got.equals(tables(normalize(MINI, tmp_path / "ref"))["readings"])


def test_extra_column_named_like_an_output_column_is_renamed(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    rows = read_rows(folder / "readings.csv")
    write_rows(folder / "readings.csv", [[*r, "ts" if i == 0 else "x"] for i, r in enumerate(rows)])
    got = tables(run(folder, tmp_path))["readings"]
    assert got.schema.names == [*SCHEMAS["readings"].names, "ts_2"]


def test_missing_dataset_folder(tmp_path: Path) -> None:
    p = one_failure(tmp_path / "nowhere", tmp_path)
    assert p.found == "no such folder"
    assert p.file.endswith("nowhere")


def test_duplicate_extra_columns_and_unnamed_columns(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    rows = read_rows(folder / "readings.csv")
    rows = [
        [*r, "note" if i == 0 else "a", "Note" if i == 0 else "b", "" if i == 0 else "c"]
        for i, r in enumerate(rows)
    ]
    write_rows(folder / "readings.csv", rows)
    got = tables(run(folder, tmp_path))["readings"]
    assert got.schema.names == [*SCHEMAS["readings"].names, "note", "Note_2"]
    assert got.column("Note_2").to_pylist()[0] == "b"


def test_unsupported_form_is_named(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    (folder / "production.csv").rename(folder / "production.xls")
    p = one_failure(folder, tmp_path)
    assert p.file == "production.csv"
    assert p.found.startswith("only production.xls, not a supported form")


def test_duplicate_column_in_header(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    rows = [[*r, r[2]] for r in read_rows(folder / "readings.csv")]
    write_rows(folder / "readings.csv", rows)
    p = one_failure(folder, tmp_path)
    assert (p.row, p.column) == (1, "value")
    assert "columns C and D" in p.found


@pytest.mark.parametrize(
    ("table", "column", "value", "expected"),
    [
        ("readings", "value", "", "a number"),
        ("readings", "value", "12,5", "a number"),
        ("readings", "value", "inf", "a finite number"),
        ("readings", "value", "nan", "a finite number"),
        ("readings", "value", "1e999", "a finite number"),
        ("readings", "meter_id", "", "a meter id declared in site.yaml"),
        ("production", "good_qty", "-5", "a quantity ≥ 0"),
        ("production", "scrap_qty", "a few", "a whole number ≥ 0 (pieces)"),
        ("production", "line", " ", "a text (the column is required)"),
        ("heat_streams", "flow_unit", "m³/h", "one of m3/h, t/h, Nm3/h, kg/h"),
        ("heat_streams", "t_hot_c", "-300", "a temperature above absolute zero (−273.15 °C)"),
        ("heat_streams", "t_hot_c", "-273.15", "a temperature above absolute zero (−273.15 °C)"),
        ("heat_streams", "t_hot_c", "hot", "a temperature in °C"),
        ("heat_streams", "flow", "-1", "a quantity ≥ 0"),
        ("calibrations", "calibrated_on", "2025-02-30", "an ISO 8601 date such as 2025-10-06"),
        ("calibrations", "calibrated_on", "2025/01/01", "an ISO 8601 date such as 2025-10-06"),
        ("calibrations", "uncertainty_unit", "°C", "one of %, C"),
        ("energy_purchases", "carrier", "power", "one of electricity, natural_gas"),
        ("green_certificates", "mwh", "-1", "a quantity ≥ 0"),
    ],
)
def test_bad_cell(tmp_path: Path, table: str, column: str, value: str, expected: str) -> None:
    folder = copy_plant(tmp_path)
    set_cell(folder, table, 3, column, value)
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column) == (f"{table}.csv", 3, column)
    assert p.expected.startswith(expected)
    assert p.found == ("(empty)" if not value.strip() else repr(value))


@pytest.mark.parametrize(
    "value",
    [
        "06/10/2025",
        "2025-10-06",
        "2025-10-06 25:00:00",
        "2025-13-06 00:00:00",
        "2025-10-06 00",
        "2025-10-06 00:15:00 CST",
        "",
        "2025-10-06T00+08:00",
        "45936.5",
    ],
)
def test_bad_timestamp(tmp_path: Path, value: str) -> None:
    folder = copy_plant(tmp_path)
    set_cell(folder, "readings", 7, "timestamp", value)
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column) == ("readings.csv", 7, "timestamp")
    found = "(empty)" if not value else repr(value)
    assert str(p) == (
        "readings.csv, row 7, column timestamp: expected an ISO 8601 date-time such as "
        f"2025-10-06 00:15:00 or 2025-10-06T00:15:00+08:00, found {found}"
    )


def test_cells_are_trimmed(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    set_cell(folder, "readings", 2, "meter_id", " E-MAIN ")
    set_cell(folder, "readings", 2, "value", " 4523.01")
    set_cell(folder, "readings", 2, "timestamp", "2025-10-05 20:00:00 ")
    got = tables(run(folder, tmp_path))["readings"]
    ref = tables(normalize(MINI, tmp_path / "ref"))["readings"]
    assert got.equals(ref)


def test_empty_rows_are_skipped_but_counted(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    rows = read_rows(folder / "readings.csv")
    rows.insert(3, ["", "", ""])  # becomes row 4
    rows[6][2] = "x"  # row 7 in the spreadsheet
    write_rows(folder / "readings.csv", rows)
    p = one_failure(folder, tmp_path)
    assert (p.row, p.column) == (7, "value")


# ---------------------------------------------------------------------------------------------
# references and rules across columns


@pytest.mark.parametrize(
    ("table", "column", "value", "expected"),
    [
        ("readings", "meter_id", "E-MIAN", "a meter id declared in site.yaml (E-MAIN, G-MAIN"),
        ("production", "sku", "XYZ-1", "a product sku declared in site.yaml (BKT-060"),
        ("heat_streams", "stream_id", "HS-X", "a heat stream id declared in site.yaml (HS-FLUE-1"),
        ("melting", "furnace_id", "FURN-9", "an equipment id declared in site.yaml (FURN-1"),
        (
            "calibrations",
            "instrument_id",
            "TCU-99",
            "a meter, temperature controller or heat stream id declared in site.yaml",
        ),
    ],
)
def test_unknown_reference(
    tmp_path: Path, table: str, column: str, value: str, expected: str
) -> None:
    folder = copy_plant(tmp_path)
    set_cell(folder, table, 4, column, value)
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column) == (f"{table}.csv", 4, column)
    assert p.expected.startswith(expected)
    assert p.found == repr(value)


def test_unknown_controller_in_mold_temperature(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path, OPTIONS)
    set_cell(folder, "mold_temperature", 5, "controller_id", "TCU-99")
    set_cell(folder, "mold_temperature", 6, "state", "running")
    found = failures(folder, tmp_path)
    assert [(p.row, p.column) for p in found] == [(5, "controller_id"), (6, "state")]
    assert found[0].expected.startswith("a temperature controller id declared in site.yaml")
    assert found[1].expected == "one of producing, idle, warmup, maintenance"


def test_calibration_of_controller_and_stream_is_accepted(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path, OPTIONS)
    add_row(
        folder,
        "calibrations",
        instrument_id="TCU-01",
        certificate_no="C1",
        calibrated_on="2025-01-01",
        valid_until="2026-01-01",
    )
    add_row(
        folder,
        "calibrations",
        instrument_id="HS-FLUE-1",
        certificate_no="C2",
        calibrated_on="2025-01-01",
        valid_until="2025-01-01",
    )  # one day, inclusive
    run(folder, tmp_path)


@pytest.mark.parametrize(
    ("table", "start", "end"),
    [
        ("calibrations", "calibrated_on", "valid_until"),
        ("energy_purchases", "period_start", "period_end"),
        ("green_certificates", "period_start", "period_end"),
    ],
)
def test_end_before_start(tmp_path: Path, table: str, start: str, end: str) -> None:
    folder = copy_plant(tmp_path)
    begin = read_rows(folder / f"{table}.csv")[1][
        read_rows(folder / f"{table}.csv")[0].index(start)
    ]
    day_before = (dt.date.fromisoformat(begin) - dt.timedelta(days=1)).isoformat()
    set_cell(folder, table, 2, end, day_before)
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column) == (f"{table}.csv", 2, end)
    assert p.expected == f"a date on or after {start} ({begin})"
    assert p.found == repr(day_before)


def test_interval_meter_reading_must_not_be_negative(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    row = add_row(
        folder, "readings", meter_id="E-PV", timestamp="2025-10-07 12:00:00", value="-0.5"
    )
    p = one_failure(folder, tmp_path)
    assert (p.row, p.column) == (row, "value")
    assert p.expected.startswith("an amount ≥ 0 (E-PV is an interval meter")


def test_cumulative_drop_and_duplicates_are_not_errors(tmp_path: Path) -> None:
    # both are data-quality findings of a later stage, not import errors
    folder = copy_plant(tmp_path)
    add_row(folder, "readings", meter_id="E-MAIN", timestamp="2025-10-07 12:00:00", value="0")
    add_row(folder, "readings", meter_id="E-MAIN", timestamp="2025-10-05 20:00:00", value="99")
    got = tables(run(folder, tmp_path))["readings"]
    assert got.num_rows == 4222


def test_meter_events_only_on_cumulative_meters_and_converted(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    edit_site(folder, "    carrier: heat\n    unit: GJ", "    carrier: heat\n    unit: MJ")
    write_rows(
        folder / "meter_events.csv",
        [
            ["meter_id", "timestamp", "event", "old_final", "new_initial"],
            ["H-EXPORT", "2025-10-07 10:00:00", "replaced", "1500", "0"],
            ["E-PV", "2025-10-07 10:00:00", "reset", "10", "0"],
            ["E-MAIN", "2025-10-07 10:00:00", "swapped", "10", "0"],
        ],
    )
    found = failures(folder, tmp_path)
    assert [(p.file, p.row, p.column) for p in found] == [
        ("meter_events.csv", 3, "meter_id"),
        ("meter_events.csv", 4, "event"),
    ]
    assert found[0].expected.startswith("a cumulative meter")
    assert found[1].expected == "one of replaced, reset"
    rows = read_rows(folder / "meter_events.csv")
    write_rows(folder / "meter_events.csv", rows[:2])
    events = tables(run(folder, tmp_path))["meter_events"]
    assert events.column("old_final").to_pylist() == [1.5]  # 1500 MJ = 1.5 GJ


def test_values_are_converted_with_the_unit_not_the_multiplier(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    edit_site(folder, "unit: kWh", "unit: MWh")  # E-MAIN (multiplier 1500)
    edit_site(folder, "    carrier: heat\n    unit: GJ", "    carrier: diesel\n    unit: L")
    got = tables(run(folder, tmp_path))["readings"]
    ref = tables(normalize(MINI, tmp_path / "ref"))["readings"]
    ids = ref.column("meter_id").to_pylist()
    for meter, factor in (("E-MAIN", 1000.0), ("H-EXPORT", 0.835), ("G-MAIN", 1.0)):
        # 1 MWh = 1000 kWh; diesel 0.835 kg/L (coefficients.csv, GB 19147 typical)
        want = [
            v * factor
            for v, m in zip(ref.column("value").to_pylist(), ids, strict=True)
            if m == meter
        ]
        have = [v for v, m in zip(got.column("value").to_pylist(), ids, strict=True) if m == meter]
        assert have == pytest.approx(want, rel=1e-12), meter  # float rounding only


def test_t_cold_may_be_empty_only_on_available_streams_with_t_ref(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    rows = read_rows(folder / "heat_streams.csv")
    rec = next(i for i, r in enumerate(rows) if r[1] == "HS-REC-1") + 1
    set_cell(folder, "heat_streams", rec, "t_cold_c", "")
    p = one_failure(folder, tmp_path)
    # one problem only: the many empty HS-FLUE-1 cells (available, t_ref_c 20) are fine
    assert (p.row, p.column) == (rec, "t_cold_c")
    assert "HS-REC-1" in p.expected
    assert p.found == "(empty)"


def test_t_cold_needed_when_the_available_stream_has_no_t_ref(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    edit_site(folder, "interval_s: 120, t_ref_c: 20}", "interval_s: 120}")  # HS-FLUE-1
    rows = read_rows(folder / "heat_streams.csv")
    first = next(i for i, r in enumerate(rows) if r[1] == "HS-FLUE-1" and r[5] == "") + 1
    p = failures(folder, tmp_path)[0]
    assert (p.row, p.column) == (first, "t_cold_c")
    assert "HS-FLUE-1" in p.expected


def test_production_by_timestamp_and_date_must_agree(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    rows = read_rows(folder / "production.csv")
    rows[0].insert(1, "timestamp")
    for r in rows[1:]:
        r.insert(1, "")
    rows[1][1] = "2025-10-06 07:30:00"  # same local date: fine
    rows[2][1] = "2025-10-05 23:30:00"  # another date: error
    rows[3][0], rows[3][1] = "", "2025-10-06T23:30:00Z"  # local 2025-10-07: date from it
    write_rows(folder / "production.csv", rows)
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column) == ("production.csv", 3, "date")
    assert p.expected == "the local date of the timestamp (2025-10-05)"
    rows[2][1] = ""
    rows[4][0] = ""  # neither date nor timestamp
    write_rows(folder / "production.csv", rows)
    p = one_failure(folder, tmp_path)
    assert (p.row, p.column) == (5, "date")
    assert p.expected == "a date or a timestamp (one of them is required)"
    rows[4][0] = "2025-10-06"
    write_rows(folder / "production.csv", rows)
    prod = tables(run(folder, tmp_path))["production"]
    assert prod.column("date").to_pylist()[:3] == [
        dt.date(2025, 10, 6),
        dt.date(2025, 10, 6),
        dt.date(2025, 10, 7),
    ]
    assert prod.column("ts").to_pylist()[:3] == [
        dt.datetime(2025, 10, 5, 23, 30, tzinfo=UTC),
        None,
        dt.datetime(2025, 10, 6, 23, 30, tzinfo=UTC),
    ]


# ---------------------------------------------------------------------------------------------
# all problems at once, the cap, broken files


def test_all_problems_of_all_files_are_listed_in_order(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    edit_site(folder, "role: generation", "role: generator")
    set_cell(folder, "readings", 9, "value", "x")
    set_cell(folder, "readings", 5, "timestamp", "yesterday")
    set_cell(folder, "readings", 5, "value", "")
    set_cell(folder, "melting", 3, "metal_kg", "-1")
    found = failures(folder, tmp_path)
    lines = (folder / "site.yaml").read_text("utf-8").splitlines()
    role_line = lines.index("    role: generator") + 1
    assert [(p.file, p.row, p.column) for p in found] == [
        ("site.yaml", role_line, "meters[2].role"),
        ("readings.csv", 5, "timestamp"),
        ("readings.csv", 5, "value"),
        ("readings.csv", 9, "value"),
        ("melting.csv", 3, "metal_kg"),
    ]


def test_the_cap_stops_the_listing(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    for row in range(2, 2 + MAX_PROBLEMS + 10):
        set_cell(folder, "readings", row, "value", "?")
    with pytest.raises(InvalidDataset) as info:
        run(folder, tmp_path)
    exc = info.value
    assert len(exc.problems) == MAX_PROBLEMS
    assert exc.truncated
    assert [p.row for p in exc.problems] == list(range(2, 2 + MAX_PROBLEMS))
    assert str(exc).startswith(f"{MAX_PROBLEMS}+ problems in the dataset")
    assert isinstance(exc, ValueError)


def test_ragged_row(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    rows = read_rows(folder / "readings.csv")
    rows[5].append("extra")  # row 6 has 4 cells
    write_rows(folder / "readings.csv", rows)
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row) == ("readings.csv", 6)
    assert p.expected == "3 cells as in the header row"
    assert p.found.startswith("4 cells")


def test_csv_not_in_utf8(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    text = (folder / "calibrations.csv").read_text("utf-8")
    (folder / "calibrations.csv").write_bytes(text.encode("gbk"))
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row) == ("calibrations.csv", 2)
    assert "UTF-8" in p.expected


def test_unreadable_parquet(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    (folder / "melting.csv").unlink()
    (folder / "melting.parquet").write_bytes(b"not parquet at all")
    p = one_failure(folder, tmp_path)
    assert p.file == "melting.parquet"
    assert p.expected == "a readable Parquet file"


def test_invalid_site_still_checks_the_tables(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    (folder / "site.yaml").unlink()
    set_cell(folder, "readings", 4, "value", "x")
    found = failures(folder, tmp_path)
    assert [(p.file, p.row) for p in found] == [("site.yaml", None), ("readings.csv", 4)]


# ---------------------------------------------------------------------------------------------
# the optional weather table (outdoor temperature for the baseline's degree-days)


def _weather(folder: Path, *rows: tuple[str, str, str]) -> None:
    write_rows(
        folder / "weather.csv",
        [["timestamp", "temperature_c", "station"], *[list(r) for r in rows]],
    )


_HOURS = [(f"2025-10-06 {h:02d}:00:00", f"{20 + h / 10:.1f}", "on-site") for h in range(1, 6)]


def test_weather_is_normalized_like_other_timestamped_tables(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    _weather(folder, *_HOURS, ("2025-10-06T06:00:00Z", "-59.5", ""))
    ds = run(folder, tmp_path)
    got = tables(ds)["weather"]
    assert got.schema.names == SCHEMAS["weather"].names
    # naive = local time of the site (Asia/Shanghai), the same rule as readings
    assert got.column("ts").to_pylist()[:2] == [local(_HOURS[0][0]), local(_HOURS[1][0])]
    assert got.column("ts").to_pylist()[-1] == dt.datetime(2025, 10, 6, 6, tzinfo=UTC)
    assert got.column("temperature_c").to_pylist() == [20.1, 20.2, 20.3, 20.4, 20.5, -59.5]
    assert got.column("station").to_pylist() == ["on-site"] * 5 + [None]
    assert got.column("_row").to_pylist() == list(range(2, 8))
    assert {i.file: i.rows for i in ds.inputs}["weather.csv"] == 6


def test_weather_table_absent_is_not_an_error(tmp_path: Path) -> None:
    ds = run(copy_plant(tmp_path), tmp_path)
    assert not ds.has("weather")


@pytest.mark.parametrize(
    ("value", "expected", "found"),
    [
        ("warm", "a temperature in °C", "'warm'"),
        ("", "a temperature in °C", "(empty)"),
        ("nan", "a finite number", "'nan'"),
        ("61", "a temperature in °C from −60 to 60 (outdoor dry-bulb air temperature)", "'61'"),
        ("-60.5", "a temperature in °C from −60 to 60", "'-60.5'"),
        ("-300", "a temperature above absolute zero (−273.15 °C)", "'-300'"),
    ],
)
def test_weather_temperature_errors_name_file_row_column(
    tmp_path: Path, value: str, expected: str, found: str
) -> None:
    folder = copy_plant(tmp_path)
    rows = list(_HOURS)
    rows[2] = (rows[2][0], value, "on-site")  # spreadsheet row 4
    _weather(folder, *rows)
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column) == ("weather.csv", 4, "temperature_c")
    assert p.expected.startswith(expected), p.expected
    assert p.found == found


def test_weather_limits_are_inclusive(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    _weather(folder, (_HOURS[0][0], "-60", ""), (_HOURS[1][0], "60", ""))
    assert tables(run(folder, tmp_path))["weather"].column("temperature_c").to_pylist() == [
        -60.0,
        60.0,
    ]


def test_weather_duplicate_instant_names_the_first_row(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    # row 7 repeats row 3 as written; row 8 is row 2's instant with its UTC offset
    _weather(
        folder,
        *_HOURS,
        (_HOURS[1][0], "25.0", "on-site"),
        ("2025-10-06T01:00:00+08:00", "25.0", "airport"),
    )
    found = failures(folder, tmp_path)
    assert [(p.file, p.row, p.column) for p in found] == [
        ("weather.csv", 7, "timestamp"),
        ("weather.csv", 8, "timestamp"),
    ]
    assert found[0].expected == "a timestamp no other row has (row 3 has the same instant)"
    assert found[0].found == "'2025-10-06 02:00:00'"
    assert "(row 2 has the same instant)" in found[1].expected
    assert found[1].found == "'2025-10-06T01:00:00+08:00'"


def test_unreadable_weather_timestamps_are_not_duplicates(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    _weather(folder, *_HOURS, ("yesterday", "20.0", ""), ("", "21.0", ""))
    found = failures(folder, tmp_path)
    assert [(p.row, p.column) for p in found] == [(7, "timestamp"), (8, "timestamp")]
    assert all(p.expected.startswith("an ISO 8601 date-time") for p in found)


def test_weather_duplicate_across_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from thermaudit.dataset import reader

    folder = copy_plant(tmp_path)
    hours = [(f"2025-10-06 {h:02d}:00:00", "20.0", "s") for h in range(1, 24)]
    _weather(folder, *hours, hours[0])  # the last row (25) repeats the first (2)
    monkeypatch.setattr(reader, "CSV_BLOCK_SIZE", 128)  # a few rows per batch
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column) == ("weather.csv", 25, "timestamp")
    assert "(row 2 has the same instant)" in p.expected
