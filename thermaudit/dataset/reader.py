"""Reading a dataset folder into validated, normalized Parquet tables.

:func:`normalize` is the validated import of ``thermaudit.dataset/1``: it checks ``site.yaml``,
streams every table batch by batch (never a whole table in memory, no pandas), converts it to
the canonical form of :data:`~thermaudit.dataset.model.SCHEMAS` and writes one Parquet file
per table. Every problem of every file is collected (up to
:data:`~thermaudit.errors.MAX_PROBLEMS`) and raised as one
:class:`~thermaudit.errors.InvalidDataset`.

Choices where the contract is silent
------------------------------------
- File names and sheet names match case-insensitively (``Readings.CSV`` is the readings
  table); column names match after trimming blanks, case-insensitively. Files that are not a
  table (``expected.json``, notes, other workbooks' unknown sheets, Excel lock files
  ``~$*.xlsx``) are ignored.
- Cells of contract columns are read without leading and trailing blanks (extra columns are
  kept as they are). A row whose cells are all empty is skipped (it still counts for row
  numbers); blank lines of a CSV file are skipped and do not count. A column with an empty
  header cell is not read; an extra column named like an output column (``ts``, ``_row``) or
  like an earlier extra column gets a suffix (``ts_2``). A contract column named twice is an
  error.
- Timestamps: ISO 8601 ``YYYY-MM-DD hh:mm[:ss[.ffffff]]`` with ``T`` or a space, optionally
  followed by ``Z`` or a UTC offset (``+08:00``, ``+0800``, ``+08``). A date alone is not a
  date-time and is rejected in a ``timestamp`` column, except for a typed date (an Excel cell
  formatted as a date, a Parquet ``date32``), which is local midnight: Excel stores a
  midnight date-time as a date and a reader cannot tell them apart. A local time that does not
  exist (spring forward) or occurs twice (fall back) in the site's time zone is an error: the
  plant must add the UTC offset.
- Numbers: decimal point, optional exponent; ``inf``/``nan`` and thousands separators are
  rejected.
- ``production``/``melting`` rows with both ``date`` and ``timestamp`` must agree: the date
  is the local date of the timestamp.
- ``heat_streams``: an empty ``t_cold_c`` is allowed only on an ``available`` stream that has
  ``t_ref_c`` in ``site.yaml``.
- A column with ``limits`` (``weather.temperature_c``: −60 to 60 °C) rejects a value outside
  them. A table's ``unique`` column (``weather.timestamp``) rejects a value an earlier row of
  the same file has, naming that row; timestamps are compared as instants.
- ``inputs`` holds one :class:`~thermaudit.dataset.model.InputFile` for ``site.yaml`` and one
  per table file; a workbook gives one per table sheet, named ``dataset.xlsx[readings]``, all
  carrying the workbook's sha256.
- When ``site.yaml`` is invalid, the tables are still read and checked for what does not depend
  on it (columns, numbers, dates), so that one import lists every problem.

On error, ``out_dir`` may hold partial Parquet files: callers write into a temporary folder and
discard it (the workspace store does), so nothing already stored changes.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from thermaudit.dataset import strict_yaml
from thermaudit.dataset.contract import COUNTRY_CODES, TABLES, Column, Table
from thermaudit.dataset.encoding import (
    EXPECTED_UTF8,
    TWO_BYTE_RUN_RE2,
    NotUtf8,
    check_utf8,
    disguise_text,
    gbk_in_disguise,
)
from thermaudit.dataset.files import regular_file_problem
from thermaudit.dataset.model import SCHEMAS, InputFile, NormalizedDataset
from thermaudit.dataset.site import Site, load_site
from thermaudit.errors import MAX_PROBLEMS, InvalidDataset, Problem, ProblemCollector, shorten
from thermaudit.reference import density
from thermaudit.units import LIQUID_FUELS, to_canonical

#: bytes of CSV parsed per batch
CSV_BLOCK_SIZE = 16 << 20
#: rows per batch for Parquet and workbook sheets
BATCH_ROWS = 262_144
XLSX_BATCH_ROWS = 50_000
#: most columns of a table file or sheet (the widest contract table has 8; extras are kept)
MAX_COLUMNS = 512
#: a UTC offset is at most 14 hours (UTC+14:00, Line Islands; UTC−12:00, Baker Island)
MAX_OFFSET_MIN = 14 * 60

Progress = Callable[[str, int], None]

_US = 1_000_000
# a decimal number; inf and nan are read as numbers and then reported as not finite
_NUMBER_RE = r"^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|(?i:inf|infinity|nan))$"
_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_TS_RE = (
    r"^(?P<d>\d{4}-\d{2}-\d{2})[Tt ](?P<t>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)"
    r" ?(?P<z>[Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)
_ABS_ZERO_C = -273.15


# ---------------------------------------------------------------------------------------------
# Public entry point


def normalize(
    source: Path, out_dir: Path, *, progress: Progress | None = None
) -> NormalizedDataset:
    """Validate a dataset folder and write its tables as normalized Parquet files.

    Parameters
    ----------
    source : Path
        The dataset folder (holding ``site.yaml`` and the tables), or its ``site.yaml``.
    out_dir : Path
        Folder receiving ``<table>.parquet`` for every table present; created when missing.
    progress : callable, optional
        Called as ``progress(table, rows_read_so_far)`` after each batch.

    Returns
    -------
    NormalizedDataset
        The validated site, the Parquet path of each table present and the input files with
        their sha256 and row counts.

    Raises
    ------
    InvalidDataset
        With every problem found in ``site.yaml`` and the tables (up to ``MAX_PROBLEMS``).
        ``out_dir`` may then hold partial files; write into a temporary folder and discard it.

    Notes
    -----
    Each normalized table has exactly the columns of ``SCHEMAS[table]`` (canonical units,
    UTC timestamps, ``_row`` = the source row as a spreadsheet shows it, header = 1), followed
    by the unknown extra source columns as strings.
    """
    source = Path(source)
    folder = source.parent if source.is_file() else source
    problems = ProblemCollector()
    if not folder.is_dir():
        problems.add(
            str(source),
            None,
            None,
            "a dataset folder holding site.yaml and the tables",
            "no such folder",
        )
        problems.raise_if_any()

    site_path = folder / "site.yaml"
    site: Site | None = None
    try:
        site = load_site(site_path)
    except InvalidDataset as exc:
        problems.extend(exc.problems)
    inputs: list[InputFile] = []
    if regular_file_problem(site_path) is None:
        inputs.append(InputFile("site.yaml", _sha256(site_path), 0, None))

    ctx = _Context.build(site, site_path)
    sources = _discover(folder, problems)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, table in TABLES.items():
        if problems.truncated:
            break
        src = sources.get(name)
        if src is None:
            continue
        out = out_dir / f"{name}.parquet"
        rows = _normalize_table(table, src, ctx, out, problems, progress)
        if rows is not None:
            inputs.append(InputFile(src.label, src.sha256, rows, name))
            written[name] = out
    problems.raise_if_any(hint=_HINT)
    assert site is not None  # an invalid site.yaml raised above
    return NormalizedDataset(site=site, tables=written, inputs=tuple(inputs), source=folder)


@dataclass(frozen=True)
class PartialDataset:
    """What :func:`normalize_available` made of a dataset folder that may be incomplete.

    Attributes
    ----------
    dataset : NormalizedDataset
        The valid ``site.yaml`` and every table that passed the import's checks.
    refused : dict of str to list of Problem
        Each table present but refused, with its problems (as the import lists them).
    unreadable : list of Problem
        Problems of files that no table could be told from (an unreadable workbook).
    """

    dataset: NormalizedDataset
    refused: dict[str, list[Problem]]
    unreadable: list[Problem]


def normalize_available(source: Path, out_dir: Path, *, site: Site | None = None) -> PartialDataset:
    """Normalize what a dataset folder holds, table by table, for a readiness check.

    Unlike :func:`normalize`, a missing table (required or not) is not a problem and a
    table the import would refuse is set aside with its problems; only an invalid or
    missing ``site.yaml`` raises, since nothing can be judged without it.

    Parameters
    ----------
    source : Path
        The dataset folder, or its ``site.yaml``.
    out_dir : Path
        Folder receiving ``<table>.parquet`` for every valid table; created when missing.
    site : Site, optional
        The site the tables are checked against, instead of the folder's ``site.yaml``.

    Raises
    ------
    InvalidDataset
        ``site.yaml`` is missing or invalid (its problems name the line and YAML path).
    """
    source = Path(source)
    folder = source.parent if source.is_file() else source
    if not folder.is_dir():
        raise InvalidDataset(
            [
                Problem(
                    str(source), None, None, "a dataset folder holding site.yaml", "no such folder"
                )
            ]
        )
    site_path = folder / "site.yaml"
    if site is None:
        site = load_site(site_path)
    inputs = []
    if regular_file_problem(site_path) is None:
        inputs.append(InputFile("site.yaml", _sha256(site_path), 0, None))
    ctx = _Context.build(site, site_path)
    found = ProblemCollector()
    sources = _discover(folder, found)
    refused: dict[str, list[Problem]] = {}
    unreadable: list[Problem] = []
    for p in found.problems:
        name = _table_of_label(p.file)
        if name is None:
            unreadable.append(p)
        elif name in sources or p.found != "none in the dataset folder":
            refused.setdefault(name, []).append(p)  # two forms, or not a regular file
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, table in TABLES.items():
        src = sources.get(name)
        if src is None or name in refused:
            continue
        problems = ProblemCollector()
        out = out_dir / f"{name}.parquet"
        rows = _normalize_table(table, src, ctx, out, problems, None)
        if problems.problems or rows is None:
            refused[name] = problems.problems
            out.unlink(missing_ok=True)
            continue
        inputs.append(InputFile(src.label, src.sha256, rows, name))
        written[name] = out
    dataset = NormalizedDataset(site=site, tables=written, inputs=tuple(inputs), source=folder)
    return PartialDataset(dataset, refused, unreadable)


def _table_of_label(label: str) -> str | None:
    """The table a problem's file label names: ``readings.csv``, ``dataset.xlsx[readings]``."""
    if label.endswith("]") and "[" in label:
        stem = label[label.index("[") + 1 : -1]
    else:
        stem = Path(label).stem
    by_lower = {name.lower(): name for name in TABLES}
    return by_lower.get(stem.strip().lower())


_HINT = (
    "Correct the listed problems (rows are numbered as a spreadsheet shows them, header = "
    "row 1) and import the dataset again."
)


# ---------------------------------------------------------------------------------------------
# Finding the tables


@dataclass
class _Source:
    table: str
    label: str  # file name as in messages: readings.csv, dataset.xlsx[readings]
    path: Path
    form: str  # csv | parquet | xlsx
    sheet: str | None = None
    header_row: int = 1  # a sheet may start lower
    _sha: str | None = None

    @property
    def sha256(self) -> str:
        if self._sha is None:
            self._sha = _sha256(self.path)
        return self._sha


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _discover(folder: Path, problems: ProblemCollector) -> dict[str, _Source]:
    """Every table's source in ``folder``; two forms of one table, or none of a required
    table, is a problem."""
    found: dict[str, list[_Source]] = {name: [] for name in TABLES}
    by_lower = {name.lower(): name for name in TABLES}
    refused: set[str] = set()  # tables named by a path that is not a regular file
    for path in sorted(folder.iterdir()):
        if path.name.startswith(("~$", ".")):
            continue
        suffix = path.suffix.lower()
        stem = path.stem.lower()
        table_like = suffix in (".csv", ".parquet") and stem in by_lower
        if table_like or suffix == ".xlsx":
            kind = regular_file_problem(path)
            if kind is not None:  # never opened: a FIFO would block, a device never end
                problems.add(path.name, None, None, "a regular file (a table file)", kind)
                refused.add(by_lower.get(stem, ""))
                continue
        elif not path.is_file():
            continue
        if table_like:
            name = by_lower[stem]
            found[name].append(_Source(name, path.name, path, suffix[1:]))
        elif suffix == ".xlsx":
            try:
                sheets = _workbook(path).sheet_names
            except Exception as exc:  # any reader failure of a workbook is a user problem
                problems.add(
                    path.name,
                    None,
                    None,
                    "a readable .xlsx workbook",
                    shorten(str(exc) or type(exc).__name__),
                )
                continue
            for sheet in sheets:
                of = by_lower.get(sheet.strip().lower())
                if of is not None:
                    found[of].append(_Source(of, f"{path.name}[{sheet}]", path, "xlsx", sheet))
    out: dict[str, _Source] = {}
    for name, table in TABLES.items():
        forms = found[name]
        if len(forms) > 1:
            problems.add(
                forms[0].label,
                None,
                None,
                f"one {name} table (a CSV file, a Parquet file or a workbook sheet); "
                "remove all but one",
                " and ".join(s.label for s in forms),
            )
        elif forms:
            out[name] = forms[0]
        elif table.mandatory and name not in refused:
            others = sorted(
                p.name
                for p in folder.iterdir()
                if p.stem.lower() == name and regular_file_problem(p) is None
            )
            found_text = (
                f"only {' and '.join(others)}, not a supported form (save it as "
                "CSV UTF-8, Parquet or a sheet of an .xlsx workbook)"
                if others
                else "none in the dataset folder"
            )
            problems.add(
                f"{name}.csv",
                None,
                None,
                f"a {name} table ({name}.csv, {name}.parquet or a {name} sheet)",
                found_text,
            )
    return out


def _workbook(path: Path) -> Any:
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path))


# ---------------------------------------------------------------------------------------------
# What the tables are checked against


@dataclass
class _Context:
    site: Site | None
    zone: str
    ids: dict[str, list[str]] = field(default_factory=dict)
    factor: dict[str, float] = field(default_factory=dict)
    reading: dict[str, str] = field(default_factory=dict)
    stream_t_ref: dict[str, bool] = field(default_factory=dict)  # stream id -> t_cold optional
    #: values of a table's unique column met so far (sorted) and the row of each
    seen: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def build(cls, site: Site | None, site_path: Path) -> _Context:
        if site is None:
            return cls(None, _fallback_zone(site_path))
        factor = {}
        for m in site.meters:
            kg_per_l = density(m.carrier) if m.carrier in LIQUID_FUELS else None
            factor[m.id] = to_canonical(m.carrier, m.unit, kg_per_l).factor
        ids = {
            "meters": [m.id for m in site.meters],
            "products": [p.sku for p in site.products],
            "temperature_controllers": [c.id for c in site.temperature_controllers],
            "heat_streams": [s.id for s in site.heat_streams],
            "equipment": [e.id for e in site.equipment],
        }
        ids["instruments"] = ids["meters"] + ids["temperature_controllers"] + ids["heat_streams"]
        return cls(
            site,
            site.timezone,
            ids=ids,
            factor=factor,
            reading={m.id: m.reading for m in site.meters},
            stream_t_ref={
                s.id: s.kind == "available" and s.t_ref_c is not None for s in site.heat_streams
            },
        )

    @property
    def offset_example(self) -> str:
        """The site's UTC offset at the period start, as written in an example (``+08:00``)."""
        when = self.site.period.start if self.site else dt.date(2025, 10, 6)
        off = dt.datetime.combine(when, dt.time(), ZoneInfo(self.zone)).utcoffset()
        minutes = int((off or dt.timedelta()).total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _fallback_zone(site_path: Path) -> str:
    """The time zone of an invalid ``site.yaml`` when it is itself valid, else UTC."""
    try:
        if regular_file_problem(site_path) is not None:
            return "UTC"
        data, _ = strict_yaml.load(site_path.read_text("utf-8-sig"), "site.yaml")
        name = str(data["timezone"])
        ZoneInfo(name)
        return name
    except (OSError, InvalidDataset, KeyError, TypeError, ValueError, ZoneInfoNotFoundError):
        return "UTC"


_REF_TEXT = {
    "meters": "a meter id declared in site.yaml",
    "products": "a product sku declared in site.yaml",
    "temperature_controllers": "a temperature controller id declared in site.yaml",
    "heat_streams": "a heat stream id declared in site.yaml",
    "equipment": "an equipment id declared in site.yaml",
    "instruments": "a meter, temperature controller or heat stream id declared in site.yaml",
}


def _ref_expected(ref: str, ids: list[str]) -> str:
    if not ids:
        return f"{_REF_TEXT[ref]} (site.yaml declares none)"
    listed = ", ".join(ids[:8]) + (f", … ({len(ids)} in all)" if len(ids) > 8 else "")
    return f"{_REF_TEXT[ref]} ({listed})"


# ---------------------------------------------------------------------------------------------
# Reading the sources batch by batch: header, then (arrays in header order, spreadsheet rows)

Batch = tuple[list[pa.Array], np.ndarray]


class _Unreadable(Exception):
    """A source cannot be read on; the problems are already recorded."""


def _read_csv(src: _Source, problems: ProblemCollector) -> tuple[list[str], Iterator[Batch]]:
    try:
        src._sha = check_utf8(src.path)  # the whole file, before any parser sees it
    except NotUtf8 as bad:
        _report_encoding(src, bad, problems)
        raise _Unreadable from None
    header = _csv_header(src, problems)
    _check_width(src, len(header), problems)
    names = [f"c{i}" for i in range(len(header))]
    invalid: list[int] = []

    def on_invalid(row: Any) -> str:
        invalid.append(1)
        return "skip"

    def batches() -> Iterator[Batch]:
        done = 0
        try:
            reader = pcsv.open_csv(
                src.path,
                read_options=pcsv.ReadOptions(
                    block_size=CSV_BLOCK_SIZE, column_names=names, skip_rows=1
                ),
                parse_options=pcsv.ParseOptions(invalid_row_handler=on_invalid),
                convert_options=pcsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            for batch in reader:
                if invalid:
                    break
                n = batch.num_rows
                numbers = np.arange(done + 2, done + 2 + n, dtype=np.int64)
                _check_disguised(src, header, batch.columns, numbers, problems)
                yield list(batch.columns), numbers
                done += n
        except pa.ArrowInvalid as exc:
            if "Could not skip initial" in str(exc):
                return  # the header row alone, without a line end: no data rows
            problems.add(
                src.label,
                done + 2,
                None,
                "a comma-separated CSV file (the rows from this one on cannot be read)",
                shorten(str(exc)),
            )
            raise _Unreadable from None
        if invalid:
            _report_ragged(src, len(header), problems)
            raise _Unreadable

    return header, batches()


def _csv_header(src: _Source, problems: ProblemCollector) -> list[str]:
    """The header row of a CSV file (already known to be UTF-8)."""
    try:
        with src.path.open("r", encoding="utf-8-sig", newline="") as f:
            header = next(csv.reader(f), None)
    except csv.Error as exc:
        problems.add(
            src.label,
            1,
            None,
            "a header row naming the columns (an unbalanced quote makes the rest of the "
            "file one cell)",
            shorten(str(exc)),
        )
        raise _Unreadable from None
    if not header:
        empty = src.path.stat().st_size == 0
        problems.add(
            src.label,
            1,
            None,
            "a header row naming the columns",
            "an empty file" if empty else "an empty first line",
        )
        raise _Unreadable
    if any("\n" in h or "\r" in h for h in header):
        problems.add(
            src.label,
            1,
            None,
            "a header row on one line (a quote opened in the header is never closed)",
            shorten(",".join(header)),
        )
        raise _Unreadable
    separator = _other_separator(header)
    if separator is not None:
        problems.add(
            src.label,
            1,
            None,
            "cells separated by commas (in Excel: Save As “CSV UTF-8 (Comma delimited)”)",
            f"a header row separated by {separator}: {shorten(header[0])}",
        )
        raise _Unreadable
    return header


_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def _other_separator(header: list[str]) -> str | None:
    """The separator of a header row that is one cell holding several column names."""
    named = [h for h in header if h.strip()]
    if len(named) != 1:
        return None
    counts = {sep: named[0].count(sep) for sep in _SEPARATORS}
    sep, n = max(counts.items(), key=lambda kv: kv[1])
    return _SEPARATORS[sep] if n else None


def _check_width(src: _Source, width: int, problems: ProblemCollector) -> None:
    """Refuse a table wider than any table of the contract can be, before per-column work."""
    if width > MAX_COLUMNS:
        problems.add(
            src.label,
            src.header_row,
            None,
            f"at most {MAX_COLUMNS} columns (delete the empty or unused columns on the right)",
            f"{width:,} columns",
        )
        raise _Unreadable


def _check_disguised(
    src: _Source,
    header: list[str],
    columns: list[pa.Array],
    numbers: np.ndarray,
    problems: ProblemCollector,
) -> None:
    """GBK text that is valid UTF-8 (see :mod:`thermaudit.dataset.encoding`): refused."""
    first: tuple[int, int, str] | None = None
    for j, arr in enumerate(columns):
        if not pa.types.is_string(arr.type) or pc.all(pc.string_is_ascii(arr)).as_py():
            continue
        hits = np.flatnonzero(_np_mask(pc.match_substring_regex(arr, TWO_BYTE_RUN_RE2)))
        for i in hits:
            found = gbk_in_disguise(arr[int(i)].as_py())
            if found is not None:
                if first is None or (int(numbers[i]), j) < first[:2]:
                    first = (int(numbers[i]), j, found[1])
                break
    if first is not None:
        row, j, as_gbk = first
        problems.add(
            src.label, row, header[j].strip() or _letter(j), EXPECTED_UTF8, disguise_text(as_gbk)
        )
        raise _Unreadable


def _report_encoding(src: _Source, bad: NotUtf8, problems: ProblemCollector) -> None:
    """The row and column of the first byte that is not UTF-8."""
    row, cell = _csv_position(src.path, bad.offset)
    column = None
    if cell is not None:
        header = _header_or_none(src.path) if row > 1 else None
        column = (header[cell].strip() if header and cell < len(header) else "") or _letter(cell)
    problems.add(src.label, row, column, EXPECTED_UTF8, bad.found)


def _header_or_none(path: Path) -> list[str] | None:
    try:
        with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as f:
            return next(csv.reader(f), None)
    except csv.Error:
        return None


def _csv_position(path: Path, offset: int) -> tuple[int, int | None]:
    """Row (header = 1, blank lines not counted, as the reader numbers rows) and cell index
    of the byte at ``offset``; the bytes before it are UTF-8."""

    def lines() -> Iterator[str]:
        done = 0
        with path.open("rb") as f:
            for line in f:
                if done + len(line) > offset:
                    yield line[: offset - done].decode("utf-8", errors="replace") + "\ufffd"
                    return
                done += len(line)
                yield line.decode("utf-8", errors="replace")

    row, cells = 0, None
    try:
        for record in csv.reader(lines()):
            if record:
                row += 1
                cells = len(record) - 1
    except csv.Error:
        return row + 1, None
    return max(row, 1), cells


def _report_ragged(src: _Source, width: int, problems: ProblemCollector) -> None:
    """Locate rows with the wrong number of cells (slow path, only for a broken file).

    Rows are numbered as the reader numbers them: header = 1, blank lines not counted.
    """
    before = len(problems.problems)
    row = 0
    with src.path.open("r", encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        try:
            for cells in reader:
                if not cells:
                    continue
                row += 1
                if row == 1 or len(cells) == width:
                    continue
                quoted = any("\n" in c or "\r" in c for c in cells)
                problems.add(
                    src.label,
                    row,
                    None,
                    "a closing quote for the quote that opens a cell in this row"
                    if quoted
                    else f"{width} cells as in the header row",
                    f"{len(cells)} cells: {shorten(','.join(cells))}",
                )
                if problems.full:
                    return
        except csv.Error as exc:
            problems.add(
                src.label,
                row + 1,
                None,
                f"a cell of at most {csv.field_size_limit():,} characters (a longer one is "
                "often a quote that is never closed and runs on to the end of the file)",
                f"a longer cell ({exc})",
            )
    if len(problems.problems) == before and not problems.truncated:
        problems.add(
            src.label,
            None,
            None,
            f"{width} cells in every row as in the header row",
            "a row with another number of cells",
        )


def _read_parquet(src: _Source, problems: ProblemCollector) -> tuple[list[str], Iterator[Batch]]:
    try:
        pf = pq.ParquetFile(src.path)
    except (pa.ArrowException, OSError) as exc:
        problems.add(src.label, None, None, "a readable Parquet file", shorten(str(exc)))
        raise _Unreadable from None
    header = list(pf.schema_arrow.names)
    _check_width(src, len(header), problems)

    def batches() -> Iterator[Batch]:
        done = 0
        try:
            for batch in pf.iter_batches(batch_size=BATCH_ROWS):
                n = batch.num_rows
                yield list(batch.columns), np.arange(done + 2, done + 2 + n, dtype=np.int64)
                done += n
        except (pa.ArrowException, OSError) as exc:
            problems.add(src.label, done + 2, None, "a readable Parquet file", shorten(str(exc)))
            raise _Unreadable from None

    return header, batches()


def _read_xlsx(
    src: _Source, table: Table, problems: ProblemCollector
) -> tuple[list[str], Iterator[Batch]]:
    header_row = 0
    header: list[str] = []
    try:
        sheet = _workbook(src.path).get_sheet_by_name(src.sheet)
        rows = iter(sheet.iter_rows())
        for i, cells in enumerate(rows, start=1):
            if any(_cell_text(c, "str") for c in cells):
                header_row, header = i, [_cell_text(c, "str") for c in cells]
                break
    except Exception as exc:  # any reader failure of a workbook is a user problem
        _unreadable_sheet(src, header_row or None, exc, problems)
    if not header:
        problems.add(src.label, 1, None, "a header row naming the columns", "an empty sheet")
        raise _Unreadable
    src.header_row = header_row
    _check_width(src, len(header), problems)
    kinds = []
    for name in header:
        key = name.strip().lower()
        kinds.append(table.column(key).kind if key in {c.name for c in table.columns} else "str")

    def batches() -> Iterator[Batch]:
        cols: list[list[str]] = [[] for _ in header]
        numbers: list[int] = []
        width = len(header)
        i = header_row
        try:
            for i, cells in enumerate(rows, start=header_row + 1):
                for j in range(width):
                    cols[j].append(_cell_text(cells[j], kinds[j]) if j < len(cells) else "")
                numbers.append(i)
                if len(numbers) >= XLSX_BATCH_ROWS:
                    yield [pa.array(c, pa.string()) for c in cols], np.array(numbers, np.int64)
                    cols = [[] for _ in header]
                    numbers = []
        except Exception as exc:  # any reader failure of a workbook is a user problem
            _unreadable_sheet(src, i + 1, exc, problems)
        if numbers:
            yield [pa.array(c, pa.string()) for c in cols], np.array(numbers, np.int64)

    return header, batches()


def _unreadable_sheet(
    src: _Source, row: int | None, exc: Exception, problems: ProblemCollector
) -> None:
    problems.add(
        src.label, row, None, "a readable .xlsx sheet", shorten(str(exc) or type(exc).__name__)
    )
    raise _Unreadable from None


def _cell_text(value: Any, kind: str) -> str:
    """A workbook cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        # Excel keeps a midnight date-time as a date: in a timestamp column it is midnight
        return f"{value.isoformat()} 00:00:00" if kind == "timestamp" else value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------------------------
# One table


@dataclass
class _Layout:
    """Where each contract column sits in the source, and the extra columns."""

    known: dict[str, int]  # contract column name -> source position
    extras: list[tuple[str, int]]  # output name -> source position


def _layout(
    table: Table, header: list[str], src: _Source, problems: ProblemCollector
) -> _Layout | None:
    contract = {c.name for c in table.columns}
    taken = {n.lower() for n in SCHEMAS[table.name].names}
    known: dict[str, int] = {}
    extras: list[tuple[str, int]] = []
    ok = True
    row = src.header_row
    for i, raw in enumerate(header):
        name = raw.strip()
        key = name.lower()
        if not name:
            continue  # a column without a name (an empty header cell) is not read
        if key in contract:
            if key in known:
                problems.add(
                    src.label,
                    row,
                    key,
                    "column names that appear once in the header row",
                    f"{name!r} in columns {_letter(known[key])} and {_letter(i)}",
                )
                ok = False
            known[key] = i
            continue
        out, k = name, 1
        while out.lower() in taken:  # an extra named like an output column, or twice
            k += 1
            out = f"{name}_{k}"
        taken.add(out.lower())
        extras.append((out, i))
    found = ", ".join(h.strip() for h in header if h.strip()) or "no named column"
    for col in table.columns:
        if col.required and col.name not in known:
            problems.add(
                src.label,
                row,
                col.name,
                f"a column named {col.name} (required in the {table.name} table)",
                f"the columns {found}",
            )
            ok = False
    if table.date_or_timestamp and "date" not in known and "timestamp" not in known:
        problems.add(
            src.label,
            row,
            "date",
            f"a column named date or timestamp (the {table.name} table needs one)",
            f"the columns {found}",
        )
        ok = False
    return _Layout(known, extras) if ok else None


def _letter(i: int) -> str:
    """Spreadsheet column letter of position ``i`` (0 → A)."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _normalize_table(
    table: Table,
    src: _Source,
    ctx: _Context,
    out: Path,
    problems: ProblemCollector,
    progress: Progress | None,
) -> int | None:
    """Stream one table into ``out``; the number of data rows, or None when unreadable."""
    try:
        if src.form == "csv":
            header, batches = _read_csv(src, problems)
        elif src.form == "parquet":
            header, batches = _read_parquet(src, problems)
        else:
            header, batches = _read_xlsx(src, table, problems)
    except _Unreadable:
        return None
    layout = _layout(table, header, src, problems)
    if layout is None:
        return None
    # one schema of every field at once: appending field by field copies the schema each
    # time (16,000 extra columns took 15 s of the 16.7 s of an import)
    base = SCHEMAS[table.name]
    schema = pa.schema([*base, *(pa.field(name, pa.string()) for name, _ in layout.extras)])
    rows = 0
    writer = pq.ParquetWriter(
        out,
        schema,
        use_dictionary=[f.name for f in schema if f.type == pa.string()],
        compression="zstd",
    )
    # the next batch is read and converted while the previous one is written (the Parquet
    # writer releases the GIL); at most one batch is in flight
    pool = ThreadPoolExecutor(max_workers=1)
    pending: Future[None] | None = None
    try:
        for raw, numbers in batches:
            if problems.truncated:
                break
            arrays = [_plain(a) for a in raw]
            keep = _non_empty_rows(arrays)
            if keep is not None:
                arrays = [a.filter(keep) for a in arrays]
                numbers = numbers[np.asarray(keep)]
            if len(numbers):
                batch = pa.record_batch(
                    _convert(table, layout, arrays, numbers, src.label, ctx, problems),
                    schema=schema,
                )
                if pending is not None:
                    pending.result()
                pending = pool.submit(writer.write_batch, batch)
                rows += len(numbers)
            if progress is not None:
                progress(table.name, rows)
        if pending is not None:
            pending.result()
    except _Unreadable:
        return None
    finally:
        pool.shutdown(wait=True)
        writer.close()
    if rows == 0 and table.mandatory and not problems.truncated:
        problems.add(
            src.label,
            src.header_row + 1,
            None,
            f"at least one data row (the {table.name} table is required)",
            "only the header row",
        )
        return None
    return rows


def _plain(arr: pa.Array) -> pa.Array:
    """Dictionary-encoded, large and view strings as plain strings; other types unchanged."""
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_large_string(arr.type) or pa.types.is_string_view(arr.type):
        arr = pc.cast(arr, pa.string())
    return arr


def _blank(arr: pa.Array) -> pa.Array:
    """Cells that are null, empty or only blanks (including the full-width space)."""
    if not pa.types.is_string(arr.type):
        return pc.is_null(arr)
    return pc.fill_null(pc.or_(pc.equal(pc.utf8_length(arr), 0), pc.utf8_is_space(arr)), True)


def _non_empty_rows(arrays: list[pa.Array]) -> pa.Array | None:
    """Mask of rows with at least one non-empty cell; None when every row has one."""
    some = None
    for a in arrays:
        filled = pc.invert(_blank(a))
        if pc.all(filled).as_py():
            return None  # usually the first column already tells
        some = filled if some is None else pc.or_(some, filled)
    return some


# ---------------------------------------------------------------------------------------------
# Converting one batch


@dataclass
class _Issues:
    """Problems of one batch, sorted by row and column before they are reported."""

    label: str
    numbers: np.ndarray
    items: list[tuple[int, int, str, str, str]] = field(default_factory=list)

    def add(
        self,
        mask: np.ndarray,
        position: int,
        column: str,
        expected: str | Callable[[int], str],
        found: Callable[[int], str],
    ) -> None:
        for i in np.flatnonzero(mask)[: MAX_PROBLEMS + 1]:  # more is never shown
            exp = expected(int(i)) if callable(expected) else expected
            self.items.append((int(self.numbers[i]), position, column, exp, found(int(i))))

    def report(self, problems: ProblemCollector) -> None:
        for row, _, column, expected, found in sorted(self.items, key=lambda x: (x[0], x[1])):
            problems.add(self.label, row, column, expected, found)


def _found(arr: pa.Array) -> Callable[[int], str]:
    def text(i: int) -> str:
        value = arr[i].as_py()
        if isinstance(value, dt.datetime):
            value = value.isoformat(sep=" ")
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        return shorten(value)

    return text


def _np_mask(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _convert(
    table: Table,
    layout: _Layout,
    arrays: list[pa.Array],
    numbers: np.ndarray,
    label: str,
    ctx: _Context,
    problems: ProblemCollector,
) -> list[pa.Array]:
    issues = _Issues(label, numbers)
    n = len(numbers)
    values: dict[str, pa.Array] = {}
    sources: dict[str, pa.Array] = {}
    empties: dict[str, np.ndarray] = {}
    for col in table.columns:
        pos = layout.known.get(col.name)
        if pos is None:
            values[col.name] = pa.nulls(n, _TYPE_OF_KIND.get(col.kind.split(":")[0], pa.string()))
            empties[col.name] = np.ones(n, dtype=bool)
            continue
        arr = arrays[pos]
        sources[col.name] = arr
        value, empty = _convert_column(col, arr, pos, ctx, issues, required=col.required)
        values[col.name] = value
        empties[col.name] = empty
    _check_table(table, values, empties, sources, layout, ctx, issues)
    if table.unique:
        _check_unique(table, values, sources, layout, ctx, issues)
    issues.report(problems)
    out = _assemble(table, values, numbers, ctx)
    out.extend(_as_string(arrays[pos]) for _, pos in layout.extras)
    return out


def _as_string(arr: pa.Array) -> pa.Array:
    """Any column as text (a nested Parquet column through Python's ``str``)."""
    if arr.type == pa.string():
        return arr
    try:
        return pc.cast(arr, pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return pa.array([None if v is None else str(v) for v in arr.to_pylist()], pa.string())


_TYPE_OF_KIND = {
    "str": pa.string(),
    "enum": pa.string(),
    "float": pa.float64(),
    "qty": pa.float64(),
    "count": pa.float64(),
    "temp": pa.float64(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
}


def _text(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Text of a column without leading and trailing blanks, and its empty mask."""
    arr = pc.utf8_trim_whitespace(_as_string(arr))
    empty = _np_mask(pc.fill_null(pc.equal(pc.utf8_length(arr), 0), True))
    return arr, empty


def _all_in(arr: pa.Array, allowed: list[str]) -> bool:
    """Every cell is one of ``allowed`` as it stands (the fast path: nothing to trim)."""
    return (
        pa.types.is_string(arr.type)
        and arr.null_count == 0
        and bool(pc.all(pc.is_in(arr, pa.array(allowed, pa.string()))).as_py())
    )


def _convert_column(
    col: Column, arr: pa.Array, pos: int, ctx: _Context, issues: _Issues, *, required: bool
) -> tuple[pa.Array, np.ndarray]:
    kind, _, options = col.kind.partition(":")
    found = _found(arr)
    if kind in ("str", "enum"):
        fast = (
            options.split("|")
            if kind == "enum"
            else (ctx.ids[col.ref] if col.ref and ctx.site else None)
        )
        if fast and _all_in(arr, fast):
            return arr, np.zeros(len(arr), dtype=bool)
        text, empty = _text(arr)
        value = pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), text)
        if kind == "enum":
            allowed = options.split("|")
            bad = ~empty & ~_np_mask(pc.is_in(text, pa.array(allowed)))
            issues.add(bad, pos, col.name, f"one of {', '.join(allowed)}", found)
            if required:
                issues.add(empty, pos, col.name, f"one of {', '.join(allowed)}", found)
        elif required:
            expected = (
                _ref_expected(col.ref, ctx.ids[col.ref])
                if col.ref and ctx.site
                else "a text (the column is required)"
            )
            issues.add(empty, pos, col.name, expected, found)
        return value, empty
    if kind == "country":
        text, empty = _text(arr)
        codes = pa.array(sorted(COUNTRY_CODES))
        bad = ~empty & ~_np_mask(pc.is_in(text, codes))
        expected = "an ISO 3166-1 alpha-2 country code in capitals (CN, DE, KR)"
        issues.add(bad, pos, col.name, expected, found)
        if required:
            issues.add(empty, pos, col.name, expected, found)
        return pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), text), empty
    if kind in ("float", "qty", "count", "temp"):
        return _convert_number(col, kind, arr, pos, issues, required=required)
    if kind == "timestamp":
        return _convert_timestamp(col, arr, pos, ctx, issues, required=required)
    if kind == "date":
        return _convert_date(col, arr, pos, ctx, issues, required=required)
    raise KeyError(
        f"unknown column kind {col.kind!r}; known: str, enum, country, float, qty, count, "
        "temp, timestamp, date"
    )


_NUMBER_TEXT = {
    "float": "a number",
    "qty": "a number ≥ 0",
    "count": "a whole number ≥ 0 (pieces)",
    "temp": "a temperature in °C",
}


def _convert_number(
    col: Column, kind: str, arr: pa.Array, pos: int, issues: _Issues, *, required: bool
) -> tuple[pa.Array, np.ndarray]:
    found = _found(arr)
    t = arr.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        value = pc.cast(arr, pa.float64())
        empty = _np_mask(pc.is_null(value))
    else:
        try:  # fast path: every cell a number (inf and nan are caught below)
            if not pa.types.is_string(t):
                raise pa.ArrowInvalid("read as text")
            value = pc.cast(arr, pa.float64())
            empty = _np_mask(pc.is_null(value))
        except pa.ArrowInvalid:
            text, empty = _text(arr)
            ok = _np_mask(pc.match_substring_regex(text, _NUMBER_RE))
            bad = ~empty & ~ok
            text = pc.if_else(pa.array(ok), text, pa.scalar(None, pa.string()))
            value = pc.cast(text, pa.float64())
            issues.add(bad, pos, col.name, _NUMBER_TEXT[kind], found)
    if required:
        issues.add(empty, pos, col.name, _NUMBER_TEXT[kind], found)
    v = value.to_numpy(zero_copy_only=False)
    valid = _np_mask(pc.is_valid(value))
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(v)
        nonfinite = valid & ~finite
        issues.add(nonfinite, pos, col.name, "a finite number", found)
        if kind in ("qty", "count"):
            issues.add(finite & (v < 0), pos, col.name, "a quantity ≥ 0", found)
        if kind == "count":
            fraction = finite & (v >= 0) & (v != np.floor(v))
            issues.add(fraction, pos, col.name, "a whole number of pieces", found)
        if kind == "temp":
            issues.add(
                finite & (v <= _ABS_ZERO_C),
                pos,
                col.name,
                "a temperature above absolute zero (−273.15 °C)",
                found,
            )
        if col.limits is not None:
            lo, hi = col.limits
            outside = finite & ((v < lo) | (v > hi))
            if kind == "temp":  # below absolute zero is reported once, above
                outside &= v > _ABS_ZERO_C
            issues.add(outside, pos, col.name, _limits_text(col, kind), found)
    return value, empty


def _limits_text(col: Column, kind: str) -> str:
    """``a temperature in °C from −60 to 60 (outdoor dry-bulb air temperature)``."""
    assert col.limits is not None
    lo, hi = (f"{x:g}".replace("-", "−") for x in col.limits)
    what = f" ({col.doc})" if col.doc else ""
    return f"{_NUMBER_TEXT[kind]} from {lo} to {hi}{what}"


def _ts_expected(ctx: _Context) -> str:
    return (
        "an ISO 8601 date-time such as 2025-10-06 00:15:00 or "
        f"2025-10-06T00:15:00{ctx.offset_example}"
    )


def _convert_timestamp(
    col: Column, arr: pa.Array, pos: int, ctx: _Context, issues: _Issues, *, required: bool
) -> tuple[pa.Array, np.ndarray]:
    """UTC instants [µs] of a timestamp column; naive values are local time of the site."""
    found = _found(arr)
    expected = _ts_expected(ctx)
    t = arr.type
    n = len(arr)
    if pa.types.is_timestamp(t) and t.tz is not None:
        value = pc.cast(arr, pa.timestamp("us", tz="UTC"), safe=False)
        empty = _np_mask(pc.is_null(arr))
        if required:
            issues.add(empty, pos, col.name, expected, found)
        return value, empty
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        local = pc.cast(pc.cast(arr, pa.timestamp("us"), safe=False), pa.int64())
        empty = _np_mask(pc.is_null(arr))
        local_us = np.asarray(local.fill_null(0).to_numpy(), dtype=np.int64)
        offset_us = np.zeros(n, dtype=np.int64)
        aware = np.zeros(n, dtype=bool)
        bad = np.zeros(n, dtype=bool)
        if required:
            issues.add(empty, pos, col.name, expected, found)
        return _to_utc(local_us, offset_us, aware, empty, bad, col, pos, ctx, issues, found)
    # a failing Arrow cast is slow: try the form the first cell suggests
    aware_first = pa.types.is_string(t) and len(arr) > 0 and _looks_aware(arr[0].as_py())
    fast = _naive_fast(arr) if pa.types.is_string(t) and not aware_first else None
    if fast is not None:
        local_us = fast
        empty = np.zeros(n, dtype=bool)
        offset_us = np.zeros(n, dtype=np.int64)
        aware = np.zeros(n, dtype=bool)
        bad = np.zeros(n, dtype=bool)
    elif pa.types.is_string(t) and (utc := _aware_fast(arr)) is not None:
        return utc, np.zeros(n, dtype=bool)
    else:
        text, empty = _text(arr)
        local_us, offset_us, aware, bad, bad_offset = _parse_timestamps(text, empty)
        issues.add(bad & ~bad_offset, pos, col.name, expected, found)
        issues.add(bad_offset, pos, col.name, _OFFSET_TEXT, found)
    if required:
        issues.add(empty, pos, col.name, expected, found)
    return _to_utc(local_us, offset_us, aware, empty, bad, col, pos, ctx, issues, found)


def _naive_fast(text: pa.Array) -> np.ndarray | None:
    """Local wall-clock times [µs] when every cell is a naive ``YYYY-MM-DD hh:mm[:ss]``."""
    if text.null_count or not len(text):
        return None
    try:
        local = pc.cast(text, pa.timestamp("us"))
    except pa.ArrowInvalid:
        return None
    if not _has_minutes(text, aware=False):
        return None
    return np.asarray(pc.cast(local, pa.int64()).to_numpy(), dtype=np.int64)


def _aware_fast(text: pa.Array) -> pa.Array | None:
    """UTC instants when every cell is a date-time with ``Z`` or a UTC offset."""
    if text.null_count or not len(text):
        return None
    try:
        utc = pc.cast(text, pa.timestamp("us", tz="UTC"))
    except pa.ArrowInvalid:
        return None
    if pc.any(pc.match_substring_regex(text, _FAR_OFFSET_RE)).as_py():
        return None  # Arrow reads offsets up to ±23:59
    return utc if _has_minutes(text, aware=True) else None


_OFFSET_TEXT = "a UTC offset from −14:00 to +14:00 (such as +08:00)"
# an offset beyond ±14:00 at the end of a cell
_FAR_OFFSET_RE = r"[+-](?:1[5-9]|[2-9]\d)(?::?\d\d)?\s*$|[+-]14:?(?:0[1-9]|[1-9]\d)\s*$"


def _has_minutes(text: pa.Array, *, aware: bool) -> bool:
    """Arrow also reads a date alone or a bare hour; the contract wants hh:mm at least.

    Of what Arrow reads, ``2025-10-06 00`` (13 characters) is the longest naive cell and
    ``2025-10-06T00+08:00`` (19) the longest aware cell without minutes, so only cells up
    to that length need their 14th character looked at.
    """
    if pc.min(pc.binary_length(text)).as_py() > (19 if aware else 13):
        return True
    colon = pc.equal(pc.utf8_slice_codeunits(text, 13, 14), ":")
    return bool(pc.all(colon).as_py())


def _looks_aware(cell: str | None) -> bool:
    """The cell ends in ``Z`` or a UTC offset (after its date)."""
    return cell is not None and _AWARE_END.search(cell[10:]) is not None


_AWARE_END = re.compile(r"(?:[Zz]|[+-]\d\d(?::?\d\d)?)\s*$")


def _parse_timestamps(
    text: pa.Array, empty: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Local times [µs], UTC offsets [µs], which had an offset, which are unreadable, and
    which of those have an offset beyond ±14:00."""
    n = len(text)
    parts = pc.extract_regex(text, _TS_RE)
    matched = _np_mask(pc.is_valid(parts))
    bad = ~empty & ~matched
    local_text = pc.binary_join_element_wise(
        pc.struct_field(parts, "d"), pc.struct_field(parts, "t"), " "
    )
    try:
        local = pc.cast(local_text, pa.timestamp("us"))
    except pa.ArrowInvalid:  # an impossible calendar value somewhere: find it row by row
        local, invalid = _cast_local_slowly(local_text)
        bad |= invalid & matched
    local_us = np.asarray(pc.cast(local, pa.int64()).fill_null(0).to_numpy(), dtype=np.int64)
    zone_text = pc.struct_field(parts, "z")
    aware = _np_mask(pc.not_equal(zone_text, ""))
    offset_us = np.zeros(n, dtype=np.int64)
    far = np.zeros(n, dtype=bool)
    if aware.any():
        uniq = pc.unique(zone_text).to_pylist()
        codes = {z: _offset_us(z) for z in uniq if z}
        idx = np.asarray(pc.index_in(zone_text, pa.array(list(codes) or [""])).fill_null(0))
        table_us = np.array([0 if c is None else c for c in codes.values()] or [0], np.int64)
        invalid = np.array([c is None for c in codes.values()] or [False], dtype=bool)
        offset_us = np.where(aware, table_us[idx], 0)
        far = aware & matched & invalid[idx]
        bad |= far
    return local_us, offset_us, aware, bad, far


def _to_utc(
    local_us: np.ndarray,
    offset_us: np.ndarray,
    aware: np.ndarray,
    empty: np.ndarray,
    bad: np.ndarray,
    col: Column,
    pos: int,
    ctx: _Context,
    issues: _Issues,
    found: Callable[[int], str],
) -> tuple[pa.Array, np.ndarray]:
    naive = ~aware & ~empty & ~bad
    utc_us = local_us - offset_us
    if naive.any():
        converted, gap_kind, gap_index, transitions = _local_to_utc(local_us, ctx.zone, naive)
        utc_us = np.where(naive, converted, utc_us)

        def dst_expected(i: int) -> str:
            return _dst_expected(
                ctx.zone, transitions[int(gap_index[i])], int(gap_kind[i]), int(local_us[i])
            )

        mask = naive & (gap_kind > 0)
        if mask.any():
            issues.add(mask, pos, col.name, dst_expected, found)
            bad = bad | mask
    null = empty | bad
    value = pa.array(utc_us, pa.int64(), mask=null).cast(pa.timestamp("us", tz="UTC"))
    return value, empty


def _cast_local_slowly(local_text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    values: list[dt.datetime | None] = []
    invalid = np.zeros(len(local_text), dtype=bool)
    for i, s in enumerate(local_text.to_pylist()):
        if s is None:
            values.append(None)
            continue
        try:
            values.append(dt.datetime.fromisoformat(s))
        except ValueError:
            values.append(None)
            invalid[i] = True
    return pa.array(values, pa.timestamp("us")), invalid


def _offset_us(zone: str) -> int | None:
    """A UTC offset [µs]; None beyond ±14:00 or with 60 minutes or more."""
    if zone in ("Z", "z"):
        return 0
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if minutes >= 60 or hours * 60 + minutes > MAX_OFFSET_MIN:
        return None
    return sign * (hours * 3600 + minutes * 60) * _US


# time-zone transitions: (utc instant [µs], offset before [µs], offset after [µs])
Transition = tuple[int, int, int]


@lru_cache(maxsize=512)
def _transitions(zone: str, year: int) -> tuple[Transition, ...]:
    """Offset changes of ``zone`` within ``year`` (UTC), found by scanning and bisection."""
    if not 1 <= year <= 9998:
        return ()
    z = ZoneInfo(zone)

    def off(t: int) -> int:
        when = dt.datetime.fromtimestamp(t, dt.UTC).astimezone(z)
        return int(when.utcoffset().total_seconds())  # type: ignore[union-attr]

    start = int(dt.datetime(year, 1, 1, tzinfo=dt.UTC).timestamp())
    end = int(dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC).timestamp())
    step = 6 * 3600
    out: list[Transition] = []
    t, o = start, off(start)
    while t < end:
        nxt = min(t + step, end)
        o2 = off(nxt)
        if o2 != o:
            lo, hi = t, nxt  # off(lo) == o, off(hi) == o2
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if off(mid) == o:
                    lo = mid
                else:
                    hi = mid
            out.append((hi * _US, o * _US, o2 * _US))
        t, o = nxt, o2
    return tuple(out)


def _local_to_utc(
    local_us: np.ndarray, zone: str, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Transition]]:
    """UTC [µs] of local wall-clock times [µs] (rows in ``mask``), and for each whether it
    falls in a gap (1: does not exist) or an overlap (2: occurs twice), with the index of
    that transition in the returned list.

    Notes
    -----
    Rows are taken year by year, with the transitions of the year before and after, so a
    typing error such as 2205 costs three years of scanning, not two centuries.
    """
    n = len(local_us)
    utc = local_us.copy()
    kind = np.zeros(n, np.int8)
    index = np.zeros(n, np.int64)
    transitions: list[Transition] = []
    sel = local_us[mask]
    first, last = _year_of(int(sel.min())), _year_of(int(sel.max()))
    if last - first <= 4:
        present = list(range(first, last + 1))
    else:  # rare: a typing error in a year; look only at the years that occur
        years = sel.astype("datetime64[us]").astype("datetime64[Y]").astype(np.int64) + 1970
        present = np.unique(years).tolist()
    blocks = {y: [tr for y2 in (y - 1, y, y + 1) for tr in _transitions(zone, y2)] for y in present}
    bases = {_offset_at_new_year(zone, y) for y in present}
    if not any(blocks.values()) and len(bases) == 1:  # no clock changes (Asia/Shanghai)
        return local_us - bases.pop(), kind, index, transitions
    for year in present:
        rows = mask
        if len(present) > 1:
            rows = mask & (local_us >= _new_year_us(year)) & (local_us < _new_year_us(year + 1))
        x = local_us[rows]
        if not len(x):
            continue
        block = blocks[year]
        if not block:
            utc[rows] = x - _offset_at_new_year(zone, year)
            continue
        first = len(transitions)
        transitions.extend(block)
        t = np.array([b[0] for b in block], dtype=np.int64)
        before = np.array([b[1] for b in block], dtype=np.int64)
        after = np.array([b[2] for b in block], dtype=np.int64)
        lo = t + np.minimum(before, after)
        hi = t + np.maximum(before, after)
        offsets = np.concatenate([[before[0]], after])
        utc[rows] = x - offsets[np.searchsorted(hi, x, side="right")]
        j = np.searchsorted(lo, x, side="right") - 1
        jj = np.clip(j, 0, len(block) - 1)
        in_gap = (j >= 0) & (x < hi[jj])
        kind[rows] = np.where(in_gap, np.where(after[jj] > before[jj], 1, 2), 0)
        index[rows] = jj + first
    return utc, kind, index, transitions


def _year_of(local_us: int) -> int:
    return (dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=local_us)).year


def _new_year_us(year: int) -> int:
    if year > dt.MAXYEAR:
        return int(np.iinfo(np.int64).max)
    return (dt.datetime(year, 1, 1) - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1)


def _offset_at_new_year(zone: str, year: int) -> int:
    when = dt.datetime(max(year, 1), 1, 1, tzinfo=dt.UTC).astimezone(ZoneInfo(zone))
    return int(when.utcoffset().total_seconds()) * _US  # type: ignore[union-attr]


def _dst_expected(zone: str, tr: Transition, code: int, local_us: int) -> str:
    t, before, after = tr
    epoch = dt.datetime(1970, 1, 1)
    wall_before = epoch + dt.timedelta(microseconds=t + before)
    wall_after = epoch + dt.timedelta(microseconds=t + after)
    local = epoch + dt.timedelta(microseconds=local_us)
    day = wall_before.date().isoformat()
    if code == 1:
        return (
            f"a local time that exists in {zone} (on {day} the clocks jump from "
            f"{wall_before:%H:%M} to {wall_after:%H:%M}; if the time is right, add its "
            "UTC offset)"
        )
    ex = local.isoformat(timespec="seconds")
    return (
        f"an unambiguous local time in {zone} (on {day} the clocks go back from "
        f"{wall_before:%H:%M} to {wall_after:%H:%M}, so this time occurs twice; add the "
        f"UTC offset, e.g. {ex}{_fmt_offset(before)} or {ex}{_fmt_offset(after)})"
    )


def _fmt_offset(us: int) -> str:
    minutes = us // (60 * _US)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _convert_date(
    col: Column, arr: pa.Array, pos: int, ctx: _Context, issues: _Issues, *, required: bool
) -> tuple[pa.Array, np.ndarray]:
    found = _found(arr)
    expected = "an ISO 8601 date such as 2025-10-06"
    t = arr.type
    if pa.types.is_date(t):
        value = pc.cast(arr, pa.date32())
        empty = _np_mask(pc.is_null(arr))
    elif pa.types.is_timestamp(t):  # a typed date-time: must be a local midnight
        local = (
            arr
            if t.tz is None
            else pc.local_timestamp(pc.cast(arr, pa.timestamp("us", tz=ctx.zone)))
        )
        local = pc.cast(local, pa.timestamp("us"))
        empty = _np_mask(pc.is_null(arr))
        midnight = _np_mask(pc.equal(pc.floor_temporal(local, unit="day"), local))
        bad = ~empty & ~midnight
        issues.add(bad, pos, col.name, expected + " (without a time of day)", found)
        value = pc.cast(pc.floor_temporal(local, unit="day"), pa.date32())
        if bad.any():
            value = pc.if_else(pa.array(bad), pa.scalar(None, pa.date32()), value)
    else:
        text, empty = _text(arr)
        ok = _np_mask(pc.match_substring_regex(text, _DATE_RE))
        bad = ~empty & ~ok
        text = pc.if_else(pa.array(ok), text, pa.scalar(None, pa.string()))
        try:
            value = pc.cast(text, pa.date32())
        except pa.ArrowInvalid:  # an impossible calendar date somewhere
            days: list[dt.date | None] = []
            for i, s in enumerate(text.to_pylist()):
                try:
                    days.append(None if s is None else dt.date.fromisoformat(s))
                except ValueError:
                    days.append(None)
                    bad[i] = True
            value = pa.array(days, pa.date32())
        issues.add(bad, pos, col.name, expected, found)
    if required:
        issues.add(empty, pos, col.name, expected, found)
    return value, empty


# ---------------------------------------------------------------------------------------------
# Checks across columns and against site.yaml


def _check_table(
    table: Table,
    values: dict[str, pa.Array],
    empties: dict[str, np.ndarray],
    sources: dict[str, pa.Array],
    layout: _Layout,
    ctx: _Context,
    issues: _Issues,
) -> None:
    pos = layout.known

    def found(name: str) -> Callable[[int], str]:
        return _found(sources[name])

    if ctx.site is not None:
        for col in table.columns:
            if col.ref is None or col.name not in pos:
                continue
            ids = ctx.ids[col.ref]
            listed = pa.array(ids, pa.string())
            unknown = ~empties[col.name] & ~_np_mask(pc.is_in(values[col.name], listed))
            issues.add(
                unknown, pos[col.name], col.name, _ref_expected(col.ref, ids), found(col.name)
            )

    if table.date_or_timestamp:
        neither = empties["date"] & empties["timestamp"]
        if neither.any():
            column = "date" if "date" in pos else "timestamp"
            issues.add(
                neither,
                pos[column],
                column,
                "a date or a timestamp (one of them is required)",
                lambda i: "(empty)",
            )
        if "date" in pos and "timestamp" in pos:
            local = _local_dates(values["timestamp"], ctx.zone)
            both = ~empties["date"] & ~empties["timestamp"]
            differ = both & _np_mask(pc.not_equal(local, values["date"]))
            issues.add(
                differ,
                pos["date"],
                "date",
                lambda i: f"the local date of the timestamp ({local[i].as_py()})",
                found("date"),
            )

    if ctx.site is not None and table.name in ("readings", "meter_events") and "meter_id" in pos:
        ids = values["meter_id"]
        if table.name == "readings" and "value" in pos:
            interval = [m for m, r in ctx.reading.items() if r == "interval"]
            negative = _np_mask(
                pc.and_(pc.is_in(ids, pa.array(interval, pa.string())), pc.less(values["value"], 0))
            )
            issues.add(
                negative,
                pos["value"],
                "value",
                lambda i: (
                    f"an amount ≥ 0 ({ids[i].as_py()} is an interval meter: "
                    "each reading is the amount of its interval)"
                ),
                found("value"),
            )
        if table.name == "meter_events":
            cumulative = [m for m, r in ctx.reading.items() if r == "cumulative"]
            known = pc.is_in(ids, pa.array(list(ctx.reading), pa.string()))
            wrong = _np_mask(
                pc.and_(known, pc.invert(pc.is_in(ids, pa.array(cumulative, pa.string()))))
            )
            issues.add(
                wrong,
                pos["meter_id"],
                "meter_id",
                "a cumulative meter (a register replacement or reset only exists for "
                "meters with reading: cumulative in site.yaml)",
                found("meter_id"),
            )

    if ctx.site is not None and table.name == "heat_streams" and "stream_id" in pos:
        optional = [s for s, ok in ctx.stream_t_ref.items() if ok]
        streams = pa.array(list(ctx.stream_t_ref), pa.string())
        known = _np_mask(pc.is_in(values["stream_id"], streams))
        needs = known & ~_np_mask(pc.is_in(values["stream_id"], pa.array(optional, pa.string())))
        missing = needs & empties["t_cold_c"]
        sid = values["stream_id"]
        issues.add(
            missing,
            pos.get("t_cold_c", pos["stream_id"]),
            "t_cold_c",
            lambda i: (
                f"a temperature in °C ({sid[i].as_py()} is not an available "
                "stream with t_ref_c in site.yaml, so the cold-side temperature is needed)"
            ),
            lambda i: "(empty)",
        )

    for start, end in (
        ("calibrated_on", "valid_until"),
        ("period_start", "period_end"),
        ("issued_on", "renewal_due"),
    ):
        if start in values and end in values and start in pos and end in pos:
            early = _np_mask(pc.less(values[end], values[start]))
            issues.add(early, pos[end], end, _after_text(start, values[start]), found(end))

    if table.name == "maintenance" and "start" in pos and "end" in pos:
        early = _np_mask(pc.less(values["end"], values["start"]))
        starts = values["start"]
        issues.add(
            early,
            pos["end"],
            "end",
            lambda i: (
                "a time on or after start "
                f"({_local_text(starts[i].as_py(), ctx.zone)}, local time): a window ends "
                "after it begins"
            ),
            found("end"),
        )
    if table.name == "quality" and "inspected_qty" in pos and "scrap_qty" in pos:
        more = _np_mask(pc.greater(values["scrap_qty"], values["inspected_qty"]))
        inspected = values["inspected_qty"]
        issues.add(
            more,
            pos["scrap_qty"],
            "scrap_qty",
            lambda i: (
                f"at most inspected_qty ({inspected[i].as_py():g} pieces): scrap is found "
                "among the pieces inspected"
            ),
            found("scrap_qty"),
        )


def _check_unique(
    table: Table,
    values: dict[str, pa.Array],
    sources: dict[str, pa.Array],
    layout: _Layout,
    ctx: _Context,
    issues: _Issues,
) -> None:
    """A value of the table's ``unique`` column that an earlier row already has (in this
    batch or an earlier one of the same file) is reported on the later row, naming the
    first. Timestamps are compared as instants: ``08:00+08:00`` repeats ``00:00Z``."""
    (name,) = table.unique  # one column is all the contract needs so far
    if name not in layout.known:
        return
    arr = values[name]
    what = "value"
    if pa.types.is_timestamp(arr.type):
        arr = pc.cast(arr, pa.int64())
        what = "instant"
    keys = np.asarray(arr.fill_null(0).to_numpy(zero_copy_only=False))
    rows = issues.numbers
    filled = _np_mask(pc.is_valid(values[name]))  # empty and unreadable cells: reported
    keys, rows = keys[filled], rows[filled]
    at = np.flatnonzero(filled)
    seen_keys, seen_rows = ctx.seen.get(table.name, (keys[:0], rows[:0]))
    # earlier batches (seen_keys is sorted)
    i = np.clip(np.searchsorted(seen_keys, keys), 0, max(len(seen_keys) - 1, 0))
    earlier = seen_keys[i] == keys if len(seen_keys) else np.zeros(len(keys), dtype=bool)
    first = np.where(earlier, seen_rows[i] if len(seen_rows) else 0, 0)
    # this batch: the first row of each value in row order
    order = np.argsort(keys, kind="stable")
    k_sorted = keys[order]
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = k_sorted[1:] != k_sorted[:-1]
    group_first = order[np.maximum.accumulate(np.where(starts, np.arange(len(keys)), 0))]
    repeat = np.zeros(len(keys), dtype=bool)
    repeat[order[~starts]] = True
    first_here = np.empty(len(keys), dtype=rows.dtype)
    first_here[order] = rows[group_first]
    first = np.where(earlier, first, first_here)
    dup = earlier | repeat
    mask = np.zeros(len(issues.numbers), dtype=bool)
    mask[at[dup]] = True
    first_of = dict(zip(at[dup].tolist(), first[dup].tolist(), strict=True))
    issues.add(
        mask,
        layout.known[name],
        name,
        lambda j: f"a {name} no other row has (row {first_of[j]} has the same {what})",
        _found(sources[name]),
    )
    new = ~earlier & ~repeat
    all_keys = np.concatenate([seen_keys, keys[new]])
    all_rows = np.concatenate([seen_rows, rows[new]])
    o = np.argsort(all_keys, kind="stable")
    ctx.seen[table.name] = (all_keys[o], all_rows[o])


def _after_text(start: str, starts: pa.Array) -> Callable[[int], str]:
    def text(i: int) -> str:
        return f"a date on or after {start} ({starts[i].as_py()})"

    return text


def _local_text(t: dt.datetime | None, zone: str) -> str:
    """An instant as the site's local wall time (``2025-03-01 08:00``)."""
    if t is None:  # pragma: no cover - only compared rows are named
        return "(empty)"
    return t.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def _local_dates(ts: pa.Array, zone: str) -> pa.Array:
    return pc.cast(pc.local_timestamp(pc.cast(ts, pa.timestamp("us", tz=zone))), pa.date32())


def _assemble(
    table: Table, values: dict[str, pa.Array], numbers: np.ndarray, ctx: _Context
) -> list[pa.Array]:
    """The canonical columns of :data:`SCHEMAS` in order."""
    cols = dict(values)
    if "timestamp" in cols:
        cols["ts"] = cols.pop("timestamp")
    if table.date_or_timestamp:
        local = _local_dates(cols["ts"], ctx.zone)
        cols["date"] = pc.coalesce(cols["date"], local)
    if table.name in ("readings", "meter_events"):
        ids = cols["meter_id"]
        meters = list(ctx.factor)
        factors = pa.array([ctx.factor[m] for m in meters] or [1.0], pa.float64())
        idx = pc.index_in(ids, pa.array(meters, pa.string()))
        factor = pc.fill_null(pc.take(factors, pc.fill_null(idx, 0)), 1.0)
        if not meters:
            factor = pa.array(np.ones(len(ids)))
        for name in ("value", "old_final", "new_initial"):
            if name in cols:
                cols[name] = pc.multiply(cols[name], factor)
    cols["_row"] = pa.array(numbers, pa.int64())
    return [cols[f.name] for f in SCHEMAS[table.name]]


__all__ = ["PartialDataset", "normalize", "normalize_available"]
