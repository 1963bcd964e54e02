"""Inputs a careless or hostile user hands over (issue #15): each is a located refusal.

Every test is named after what broke before: a traceback (``UnicodeDecodeError``,
``ValueError``, ``RecursionError``, ``_csv.Error``), a silent acceptance (unknown or duplicate
keys, fractional piece counts, a +99:00 offset, an empty required table, a FIFO taken for
"no table"), or unbounded work (16,000 columns).
"""

from __future__ import annotations

import codecs
import os
import shutil
import threading
from pathlib import Path

import openpyxl
import pytest
from builders import read_rows, set_cell, write_rows

from thermaudit.dataset import load_site, normalize
from thermaudit.dataset.contract import TABLES
from thermaudit.dataset.encoding import gbk_in_disguise
from thermaudit.dataset.reader import MAX_COLUMNS
from thermaudit.dataset.strict_yaml import MAX_DEPTH, MAX_INT_DIGITS
from thermaudit.errors import InvalidDataset, Problem

FIXTURES = Path(__file__).parents[1] / "fixtures" / "conformance"
MINI = FIXTURES / "mini"
EXCEL_HINT = "CSV UTF-8 (Comma delimited)"

# ---------------------------------------------------------------------------------------------
# helpers


def copy_plant(tmp_path: Path) -> Path:
    dst = tmp_path / "dataset"
    shutil.copytree(MINI, dst, ignore=shutil.ignore_patterns("expected.json"))
    return dst


def failures(folder: Path, tmp_path: Path) -> list[Problem]:
    with pytest.raises(InvalidDataset) as info:
        normalize(folder, tmp_path / "out")
    return info.value.problems


def one_failure(folder: Path, tmp_path: Path) -> Problem:
    found = failures(folder, tmp_path)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def site_problems(path: Path) -> list[Problem]:
    with pytest.raises(InvalidDataset) as info:
        load_site(path)
    return info.value.problems


def site_with(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """mini/site.yaml with the first ``old`` replaced; the 1-based line where it was."""
    text = (MINI / "site.yaml").read_text("utf-8")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    path = tmp_path / "site.yaml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path, line


def as_sheet(folder: Path, table: str, rows: list[list[object]]) -> None:
    """Move one table into ``dataset.xlsx`` as a sheet holding ``rows``."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(table)
    for r in rows:
        ws.append(r)
    wb.save(folder / "dataset.xlsx")
    (folder / f"{table}.csv").unlink()


# ---------------------------------------------------------------------------------------------
# site.yaml: encodings


def _flipped(data: bytes) -> bytes:
    """The bytes of the contract name with the high bit flipped: neither UTF-8 nor GBK."""
    i = data.index(b"thermaudit")
    return data[:i] + bytes(b ^ 0x80 for b in data[i : i + 10]) + data[i + 10 :]


@pytest.mark.parametrize(
    ("encode", "line", "found"),
    [
        (lambda t: t.encode("gbk"), 3, "perhaps GBK"),
        (lambda t: t.encode("utf-16"), 1, "UTF-16 (little-endian, with a byte order mark)"),
        (lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), 1, "UTF-16 (big-endian"),
        (lambda t: t.encode("utf-16-le"), 1, "UTF-16 without a byte order mark"),
        (lambda t: t.encode("utf-32"), 1, "UTF-32 (little-endian, with a byte order mark)"),
        (lambda t: t.encode("utf-32-le"), 1, "UTF-32 without a byte order mark"),
        (lambda t: _flipped(t.encode()), 1, "bytes that are not UTF-8"),
    ],
    ids=["gbk", "utf-16-bom", "utf-16-be-bom", "utf-16-no-bom", "utf-32-bom", "utf-32-no-bom",
         "flipped-bytes"],
)  # fmt: skip
def test_site_yaml_not_utf8_is_refused_not_unicode_decode_error(
    tmp_path: Path, encode: object, line: int, found: str
) -> None:
    text = (MINI / "site.yaml").read_text("utf-8")
    path = tmp_path / "site.yaml"
    path.write_bytes(encode(text))  # type: ignore[operator]
    (p,) = site_problems(path)
    assert (p.file, p.row) == ("site.yaml", line)
    assert p.expected.startswith("UTF-8 text (a BOM allowed")
    assert EXCEL_HINT in p.expected and "editor" in p.expected
    assert found in p.found


def test_site_yaml_gbk_that_reads_as_utf8_is_refused(tmp_path: Path) -> None:
    # 伟业 in GBK is CE B0 D2 B5: two valid two-byte UTF-8 sequences (Greek ΰ, Cyrillic ҵ)
    path, line = site_with(tmp_path, "name: 苏州虎丘精密压铸有限公司", "name: X")
    data = path.read_bytes().replace(b"name: X", b"name: " + "伟业".encode("gbk"))
    path.write_bytes(data)
    (p,) = site_problems(path)
    assert (p.row, p.expected[:10]) == (line, "UTF-8 text")
    assert "伟业" in p.found


def test_gbk_in_disguise_leaves_real_names_alone() -> None:
    for name in ("Müller GmbH", "Łódź", "Иванов", "Ελληνικά", "שלום", "naïve Zürich", "été"):
        assert gbk_in_disguise(name) is None, name
    assert gbk_in_disguise("伟业".encode("gbk").decode("utf-8")) == (0, "伟业")


# ---------------------------------------------------------------------------------------------
# site.yaml: YAML that PyYAML's safe loader crashes on or silently accepts


def test_control_character_in_site_yaml_is_located_not_reader_error(tmp_path: Path) -> None:
    site, line = site_with(tmp_path, "timezone: Asia/Shanghai", "timezone: Asia/\x0bShanghai")
    (p,) = site_problems(site)
    assert (p.row, p.expected) == (line, "valid YAML")
    assert "#x000b" in p.found


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("start: 2025-10-06", "start: 2025-02-29", "period.start"),
        ("end: 2025-10-08", "end: 2025-13-01", "period.end"),
    ],
)
def test_impossible_calendar_date_in_site_yaml_is_located_not_value_error(
    tmp_path: Path, old: str, new: str, path: str
) -> None:
    site, line = site_with(tmp_path, old, new)
    (p,) = site_problems(site)
    assert (p.row, p.column) == (line, path)
    assert "a date that exists on the calendar" in p.expected
    assert new.split(": ")[1] in p.found


def test_yaml_nested_thousands_deep_is_refused_not_recursion_error(tmp_path: Path) -> None:
    site, line = site_with(tmp_path, "options:\n", "notes: " + "[" * 5000 + "]" * 5000 + "\n")
    (p,) = site_problems(site)
    assert p.row == line
    assert p.expected == f"at most {MAX_DEPTH} levels of nested mappings and lists"


def test_integer_of_5000_digits_is_refused_not_value_error(tmp_path: Path) -> None:
    site, line = site_with(tmp_path, "multiplier: 1500", "multiplier: " + "9" * 5000)
    (p,) = site_problems(site)
    assert (p.row, p.column) == (line, "meters[0].multiplier")
    assert p.expected == f"an integer of at most {MAX_INT_DIGITS} digits"
    assert p.found.startswith("5000 digits")


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
    )
    site, _ = site_with(tmp_path, "options:\n", bomb + "options:\n")
    (p,) = site_problems(site)
    assert "values with aliases expanded" in p.expected


def test_alias_that_contains_itself_is_refused(tmp_path: Path) -> None:
    site, line = site_with(tmp_path, "options:\n", "loop: &loop [*loop]\noptions:\n")
    (p,) = site_problems(site)
    assert p.row == line
    assert "cannot contain itself" in p.expected


@pytest.mark.parametrize(
    ("old", "new", "column", "key"),
    [
        (
            "period: {start: 2025-10-06, end: 2025-10-08}",
            "period: {start: 2025-10-06, end: 2025-10-08}\nperiod: {start: 2025-10-07, end: "
            "2025-10-08}",
            "period",
            "'period'",
        ),
        ("    unit: kWh\n", "    unit: kWh\n    unit: MWh\n", "meters[0].unit", "'unit'"),
        ("{start: 2025-10-06,", "{start: 2025-10-06, start: 2025-10-05,", "period.start", None),
    ],
    ids=["top-level", "in-a-list-item", "in-a-flow-mapping"],
)
def test_duplicate_key_in_any_mapping_is_refused_not_second_wins(
    tmp_path: Path, old: str, new: str, column: str, key: str | None
) -> None:
    site, line = site_with(tmp_path, old, new)
    (p,) = site_problems(site)
    assert p.column == column
    assert p.row in (line, line + 1)
    assert "each key once in a mapping" in p.expected
    assert f"is already on line {line}" in p.expected
    if key:
        assert p.found == f"{key} a second time"


def test_merge_key_may_be_overridden(tmp_path: Path) -> None:
    site, _ = site_with(
        tmp_path,
        "  steady_state: {warmup_min: 30, gap_min: 10}",
        "  steady_state: &ss {warmup_min: 30, gap_min: 10}\n"
        "  tariffs: {electricity: 0.7}\nx_defaults: &d {<<: *ss, gap_min: 12}",
    )
    # x_defaults is not a key of site.yaml: only that is refused, not the overridden merge
    (p,) = site_problems(site)
    assert p.column == "x_defaults"


# ---------------------------------------------------------------------------------------------
# site.yaml: unknown keys


def test_unknown_key_names_line_and_the_closest_known_key(tmp_path: Path) -> None:
    site, line = site_with(
        tmp_path, "  natural_gas_ncv", "  grid_emision_factor_kgco2_per_kwh: 0.6\n  natural_gas_ncv"
    )
    (p,) = site_problems(site)
    assert (p.file, p.row, p.column) == (
        "site.yaml",
        line,
        "options.grid_emision_factor_kgco2_per_kwh",
    )
    assert "did you mean `grid_emission_factor_kgco2_per_kwh`?" in p.expected
    assert p.found == "'grid_emision_factor_kgco2_per_kwh'"


@pytest.mark.parametrize(
    ("old", "new", "column"),
    [
        ("timezone: Asia/Shanghai", "timezone: Asia/Shanghai\ncolour: red", "colour"),
        ("    rollover: null\n", "    rollover: null\n    rolover: 5\n", "meters[0].rolover"),
        ("  sector: die_casting", "  sector: die_casting\n  revenue: 1", "enterprise.revenue"),
        ("gap_min: 10}", "gap_min: 10, gap_mins: 5}", "options.steady_state.gap_mins"),
        ("cp: 1.42}", "cp: 1.42, cp_kj: 2}", "heat_streams[1].cp_kj"),
    ],
)
def test_unknown_key_anywhere_is_refused_not_ignored(
    tmp_path: Path, old: str, new: str, column: str
) -> None:
    site, line = site_with(tmp_path, old, new)
    (p,) = site_problems(site)
    assert p.column == column
    assert p.row in (line, line + 1)
    assert p.found == repr(column.rsplit(".", 1)[-1])


def test_unknown_key_without_a_close_match_lists_the_known_keys(tmp_path: Path) -> None:
    site, _ = site_with(tmp_path, "  sector: die_casting", "  sector: die_casting\n  zzz: 1")
    (p,) = site_problems(site)
    assert "credit_code" in p.expected and "net_revenue" in p.expected


def test_misspelled_required_key_points_at_the_misspelled_line(tmp_path: Path) -> None:
    site, line = site_with(tmp_path, "  credit_code: ", "  credit_cod: ")
    (p,) = site_problems(site)  # one problem, not "credit_code missing" at the enterprise line
    assert (p.row, p.column) == (line, "enterprise.credit_cod")
    assert "did you mean `credit_code`?" in p.expected


def test_keys_added_to_the_contract_in_2026_12_are_accepted(tmp_path: Path) -> None:
    site, _ = site_with(
        tmp_path,
        "  province: Jiangsu\n",
        "  province: Jiangsu\n  net_revenue: {amount: 286000000, currency: CNY}\n"
        "owners:\n  readings: {department: maintenance, role: energy engineer}\n"
        "  production: {department: production planning}\n"
        "  metal_inputs: {department: purchasing}\n",
    )
    loaded = load_site(site)
    assert loaded.enterprise.net_revenue is not None
    assert loaded.enterprise.net_revenue.amount == 286_000_000
    assert loaded.owners is not None and loaded.owners["readings"].role == "energy engineer"


def test_owner_of_an_unknown_table_is_refused(tmp_path: Path) -> None:
    site, line = site_with(tmp_path, "timezone:", "owners:\n  readigns: {department: x}\ntimezone:")
    (p,) = site_problems(site)
    assert (p.row, p.column) == (line + 1, "owners.readigns")


def test_owners_name_meters_and_equipment_and_a_person(tmp_path: Path) -> None:
    """Issue 19 part 2: an owner is keyed by a table or by the id of a meter, equipment,
    controller or stream, and may name a person."""
    site, _ = site_with(
        tmp_path,
        "timezone:",
        "owners:\n  readings: {department: maintenance}\n"
        "  E-MAIN: {department: power, role: electrician, person: Wang Wei}\n"
        "  FURN-1: {department: melting shop}\ntimezone:",
    )
    loaded = load_site(site)
    main = loaded.owner("E-MAIN", "readings")
    assert main is not None and main.person == "Wang Wei"
    # a meter without its own owner falls back to the table's owner
    other = loaded.owner("G-MAIN", "readings")
    assert other is not None and other.department == "maintenance"
    assert loaded.owner("G-MAIN", "production") is None


def test_owner_of_an_unknown_meter_is_refused_with_the_closest_id(tmp_path: Path) -> None:
    site, line = site_with(
        tmp_path, "timezone:", "owners:\n  E-MAIM: {department: power}\ntimezone:"
    )
    (p,) = site_problems(site)
    assert (p.row, p.column, p.found) == (line + 1, "owners.E-MAIM", "'E-MAIM'")
    assert "did you mean `E-MAIN`?" in p.expected


def test_owner_with_nobody_or_an_unknown_key_is_refused(tmp_path: Path) -> None:
    site, line = site_with(
        tmp_path,
        "timezone:",
        "owners:\n  readings: {}\n  production: {departmnet: planning}\ntimezone:",
    )
    problems = site_problems(site)
    assert [(p.row, p.column) for p in problems] == [
        (line + 1, "owners.readings"),
        (line + 2, "owners.production.departmnet"),
    ]
    assert "a department, a role or a person" in problems[0].expected
    assert "did you mean `department`?" in problems[1].expected


def test_a_stored_site_with_an_owner_naming_nobody_stays_readable(tmp_path: Path) -> None:
    """Imports stored before an empty owner was refused read back without it."""
    site, _ = site_with(
        tmp_path, "timezone:", "owners:\n  readings: {}\n  production: {role: planner}\ntimezone:"
    )
    loaded = load_site(site, stored=True)
    assert loaded.owners is not None and set(loaded.owners) == {"production"}


# ---------------------------------------------------------------------------------------------
# non-finite numbers


@pytest.mark.parametrize(
    ("old", "new", "column"),
    [
        ("multiplier: 1500", "multiplier: .inf", "meters[0].multiplier"),
        ("multiplier: 1500", "multiplier: -.inf", "meters[0].multiplier"),
        ("rated_kw: 850, fuel: natural_gas,", "rated_kw: .nan,", "equipment[0].rated_kw"),
        ("unit_mass_kg: 0.62", "unit_mass_kg: 1.0e+999", "products[0].unit_mass_kg"),
        ("warmup_min: 30", "warmup_min: .inf", "options.steady_state.warmup_min"),
    ],
)  # fmt: skip
def test_non_finite_number_in_site_yaml_is_refused(
    tmp_path: Path, old: str, new: str, column: str
) -> None:
    site, line = site_with(tmp_path, old, new)
    problems = site_problems(site)
    assert [(p.row, p.column) for p in problems] == [(line, column)]
    assert "finite" in problems[0].expected


@pytest.mark.parametrize("value", ["inf", "-Infinity", "nan", "1e999"])
def test_non_finite_number_in_a_table_is_refused(tmp_path: Path, value: str) -> None:
    folder = copy_plant(tmp_path)
    set_cell(folder, "readings", 3, "value", value)
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column, p.expected) == ("readings.csv", 3, "value", "a finite number")


# ---------------------------------------------------------------------------------------------
# tables: encodings


@pytest.mark.parametrize(
    ("codec", "found"),
    [
        ("utf-16", "UTF-16 (little-endian, with a byte order mark)"),
        ("utf-16-le", "UTF-16 without a byte order mark"),
        ("utf-32", "UTF-32 (little-endian, with a byte order mark)"),
        ("gbk", "perhaps GBK"),
    ],
)
def test_table_in_another_encoding_is_refused_never_transcoded(
    tmp_path: Path, codec: str, found: str
) -> None:
    folder = copy_plant(tmp_path)
    path = folder / "calibrations.csv"
    path.write_bytes(path.read_text("utf-8").encode(codec))
    p = one_failure(folder, tmp_path)
    assert p.file == "calibrations.csv"
    assert p.expected.startswith("UTF-8 text") and EXCEL_HINT in p.expected
    assert found in p.found


def test_encoding_error_names_the_row_and_column_of_the_first_bad_byte(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    path = folder / "calibrations.csv"
    rows = read_rows(path)
    lab = rows[0].index("lab")
    text = path.read_text("utf-8")
    first_chinese = text.index(rows[1][lab])
    # GBK from the first lab name on: row 2, column lab
    path.write_bytes(text[:first_chinese].encode() + text[first_chinese:].encode("gbk"))
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column) == ("calibrations.csv", 2, "lab")


def test_encoding_error_row_skips_blank_lines_like_the_reader(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    path = folder / "customers.csv"
    path.write_bytes(
        b"customer,market,sku,energy_clause\n\nACME,EU,,no\n" + "博世,EU,,yes\n".encode("gbk")
    )
    p = one_failure(folder, tmp_path)
    assert (p.row, p.column) == (3, "customer")


def test_gbk_customers_that_reads_as_utf8_is_refused(tmp_path: Path) -> None:
    """A GBK file whose Chinese characters all have bytes C2–DF 80–BF is valid UTF-8: it was
    stored as mojibake (伟业 as Greek ΰ and Cyrillic ҵ) and accepted."""
    folder = copy_plant(tmp_path)
    (folder / "customers.csv").write_bytes(
        "customer,market,sku,energy_clause\nACME,EU,,no\n伟业,CN,,no\n".encode("gbk")
    )
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column) == ("customers.csv", 3, "customer")
    assert "伟业" in p.found


def test_garbage_appended_prints_no_stray_traceback(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    folder = copy_plant(tmp_path)
    path = folder / "readings.csv"
    path.write_bytes(path.read_bytes() + b"\xff\xfe\x00garbage\x80\x81\n")
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column) == ("readings.csv", 4222, "meter_id")
    err = capfd.readouterr().err
    assert "Exception ignored" not in err and "Traceback" not in err


# ---------------------------------------------------------------------------------------------
# tables: CSV structure


def test_unbalanced_quote_is_located_not_csv_error(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    path = folder / "readings.csv"
    text = path.read_text("utf-8").splitlines(keepends=True)
    text[3] = '"' + text[3]  # row 4 opens a quote that is never closed
    path.write_text("".join(text), "utf-8")
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row) == ("readings.csv", 4)
    assert "quote" in p.expected


def test_small_unbalanced_quote_names_the_quote(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    (folder / "customers.csv").write_text(
        'customer,market,sku,energy_clause\nACME,EU,,no\n"Bosch,EU,,no\nX,EU,,no\n', "utf-8"
    )
    p = one_failure(folder, tmp_path)
    assert (p.row, p.expected) == (
        3,
        "a closing quote for the quote that opens a cell in this row",
    )


def test_30_mb_field_is_refused_not_field_limit_error(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    with (folder / "readings.csv").open("a", encoding="utf-8") as f:
        f.write("E-MAIN,2025-10-08 23:45:00," + "1" * (30 << 20) + ",extra\n")
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row) == ("readings.csv", 4222)
    assert "a cell of at most 131,072 characters" in p.expected


@pytest.mark.parametrize(("sep", "name"), [(";", "semicolons"), ("\t", "tabs")])
def test_semicolon_or_tab_separated_csv_gets_one_message(
    tmp_path: Path, sep: str, name: str
) -> None:
    folder = copy_plant(tmp_path)
    path = folder / "production.csv"
    path.write_text(path.read_text("utf-8").replace(",", sep), "utf-8")
    p = one_failure(folder, tmp_path)  # not one "expected a column named …" per column
    assert (p.file, p.row) == ("production.csv", 1)
    assert p.expected.startswith("cells separated by commas")
    assert f"separated by {name}" in p.found


# ---------------------------------------------------------------------------------------------
# tables: values


@pytest.mark.parametrize("column", ["good_qty", "scrap_qty"])
def test_fractional_piece_count_is_refused(tmp_path: Path, column: str) -> None:
    folder = copy_plant(tmp_path)
    set_cell(folder, "production", 4, column, "254.5")
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column) == ("production.csv", 4, column)
    assert p.expected == "a whole number of pieces"
    assert p.found == "'254.5'"


def test_whole_piece_counts_written_with_a_decimal_point_are_accepted(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    set_cell(folder, "production", 4, "good_qty", "254.0")
    normalize(folder, tmp_path / "out")


def test_fractional_piece_count_in_a_sheet_is_refused(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    rows: list[list[object]] = [list(r) for r in read_rows(folder / "production.csv")]
    rows[4][rows[0].index("good_qty")] = 254.5
    as_sheet(folder, "production", rows)
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column) == ("dataset.xlsx[production]", 5, "good_qty")
    assert p.expected == "a whole number of pieces"


@pytest.mark.parametrize("offset", ["+99:00", "+15:00", "-14:30", "+1401", "+08:75", "-23:59"])
@pytest.mark.parametrize("every_row", [False, True], ids=["one-row", "every-row"])
def test_timestamp_offset_beyond_14_hours_is_refused(
    tmp_path: Path, offset: str, every_row: bool
) -> None:
    """Arrow reads offsets up to ±23:59 (the every-row fast path); +99:00 was stored shifted
    by 99 hours (the row-by-row path)."""
    folder = copy_plant(tmp_path)
    path = folder / "readings.csv"
    rows = read_rows(path)
    for r in rows[1:] if every_row else rows[3:4]:
        r[1] = r[1].replace(" ", "T") + (offset if r is rows[3] else "+08:00")
    write_rows(path, rows)
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row, p.column) == ("readings.csv", 4, "timestamp")
    assert p.expected.startswith("a UTC offset from −14:00 to +14:00")


def test_timestamp_offsets_of_14_hours_are_accepted(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    set_cell(folder, "readings", 3, "timestamp", "2025-10-06T10:15:00+14:00")
    set_cell(folder, "readings", 4, "timestamp", "2025-10-05T10:30:00-12:00")
    normalize(folder, tmp_path / "out")


# ---------------------------------------------------------------------------------------------
# tables: empty, missing and special files


@pytest.mark.parametrize("table", ["readings", "production"])
def test_required_table_with_header_and_no_rows_is_refused(tmp_path: Path, table: str) -> None:
    folder = copy_plant(tmp_path)
    path = folder / f"{table}.csv"
    path.write_text(path.read_text("utf-8").splitlines()[0] + "\n\n", "utf-8")
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row) == (f"{table}.csv", 2)
    assert p.expected == f"at least one data row (the {table} table is required)"


def test_required_sheet_with_header_and_no_rows_is_refused(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    as_sheet(folder, "production", [read_rows(folder / "production.csv")[0]])
    p = one_failure(folder, tmp_path)
    assert p.file == "dataset.xlsx[production]"
    assert p.expected.startswith("at least one data row")


def test_optional_table_with_header_and_no_rows_is_accepted(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    path = folder / "calibrations.csv"
    path.write_text(path.read_text("utf-8").splitlines()[0] + "\n", "utf-8")
    ds = normalize(folder, tmp_path / "out")
    assert [i.rows for i in ds.inputs if i.table == "calibrations"] == [0]


@pytest.mark.parametrize("table", list(TABLES))
def test_zero_byte_table_file_is_refused_for_every_table(tmp_path: Path, table: str) -> None:
    folder = copy_plant(tmp_path)
    (folder / f"{table}.csv").write_bytes(b"")
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row) == (f"{table}.csv", 1)
    assert (p.expected, p.found) == ("a header row naming the columns", "an empty file")


def _normalize_within(folder: Path, out: Path, seconds: float) -> BaseException | None:
    """Run normalize in a thread; fail the test when it does not return in ``seconds``."""
    result: list[BaseException | None] = []

    def target() -> None:
        try:
            normalize(folder, out)
            result.append(None)
        except BaseException as exc:  # returned to the test
            result.append(exc)

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "normalize blocked on a special file"
    return result[0]


@pytest.mark.parametrize("table", ["readings", "weather"])
def test_fifo_named_as_a_table_is_refused_without_blocking(tmp_path: Path, table: str) -> None:
    folder = copy_plant(tmp_path)
    (folder / f"{table}.csv").unlink(missing_ok=True)
    os.mkfifo(folder / f"{table}.csv")
    exc = _normalize_within(folder, tmp_path / "out", 20)
    assert isinstance(exc, InvalidDataset)
    assert [(p.file, p.expected, p.found) for p in exc.problems] == [
        (f"{table}.csv", "a regular file (a table file)", "a named pipe (FIFO)")
    ]


@pytest.mark.parametrize(("device", "table"), [("/dev/zero", "readings"), ("/dev/null", "quality")])
def test_symlink_to_a_device_named_as_a_table_is_refused(
    tmp_path: Path, device: str, table: str
) -> None:
    folder = copy_plant(tmp_path)
    name = "weather.csv" if table == "quality" else f"{table}.csv"
    (folder / name).unlink(missing_ok=True)
    (folder / name).symlink_to(device)
    exc = _normalize_within(folder, tmp_path / "out", 20)
    assert isinstance(exc, InvalidDataset)
    (p,) = exc.problems
    assert (p.file, p.found) == (name, "a character device")


def test_symlink_to_a_regular_table_file_is_read(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    real = tmp_path / "elsewhere.csv"
    shutil.move(folder / "melting.csv", real)
    (folder / "melting.csv").symlink_to(real)
    ds = normalize(folder, tmp_path / "out")
    assert "melting" in ds.tables


def test_site_yaml_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    (folder / "site.yaml").unlink()
    os.mkfifo(folder / "site.yaml")
    exc = _normalize_within(folder, tmp_path / "out", 20)
    assert isinstance(exc, InvalidDataset)
    assert (exc.problems[0].file, exc.problems[0].found) == ("site.yaml", "a named pipe (FIFO)")


# ---------------------------------------------------------------------------------------------
# bounded work: columns


def test_more_than_512_columns_is_refused_before_per_column_work(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    path = folder / "melting.csv"
    lines = path.read_text("utf-8").splitlines()
    n = 16_000
    lines = [lines[0] + "," * n] + [r + "," * n for r in lines[1:5]]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row) == ("melting.csv", 1)
    assert p.expected.startswith(f"at most {MAX_COLUMNS} columns")
    assert p.found == f"{len(lines[0].split(',')):,} columns"


def test_512_columns_are_accepted(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    path = folder / "melting.csv"
    rows = read_rows(path)
    extra = MAX_COLUMNS - len(rows[0])
    rows = [rows[0] + [f"x{i}" for i in range(extra)]] + [r + [""] * extra for r in rows[1:]]
    write_rows(path, rows)
    ds = normalize(folder, tmp_path / "out")
    assert [i.rows for i in ds.inputs if i.table == "melting"] == [len(rows) - 1]


def test_more_than_512_columns_in_a_sheet_is_refused(tmp_path: Path) -> None:
    folder = copy_plant(tmp_path)
    rows: list[list[object]] = [list(r) for r in read_rows(folder / "melting.csv")[:3]]
    rows[0] += [f"x{i}" for i in range(600)]
    as_sheet(folder, "melting", rows)
    p = one_failure(folder, tmp_path)
    assert (p.file, p.row) == ("dataset.xlsx[melting]", 1)
    assert p.found == f"{len(rows[0]):,} columns"


def test_stored_site_copy_with_a_key_accepted_before_stays_readable(tmp_path: Path) -> None:
    """A workspace keeps the site.yaml of each import; one stored before unknown keys were
    refused must still load (the unknown key dropped), or its import would be lost."""
    site, _ = site_with(tmp_path, "timezone: Asia/Shanghai", "timezone: Asia/Shanghai\nnotes: x")
    with pytest.raises(InvalidDataset):
        load_site(site)
    assert load_site(site, stored=True) == load_site(MINI / "site.yaml")
