"""Mutated datasets for the property test of the readers and the longer fuzz run.

A small valid dataset (the mini plant cut to a few rows per table) is written once; a case
mutates the bytes of one of its files (``site.yaml``, a CSV table or the workbook that
holds the melting sheet) and imports it. :func:`check_import` states the invariant:
either the import succeeds, or it raises :class:`~thermaudit.errors.InvalidDataset` whose
every problem names a file (and for ``site.yaml`` and CSV content, its line or row). Any
other exception escaping is a bug.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import openpyxl
from hypothesis import strategies as st

from thermaudit.dataset import normalize
from thermaudit.errors import InvalidDataset

MINI = Path(__file__).parent / "fixtures" / "conformance" / "mini"
#: rows kept per table of the small dataset
ROWS = 12
FILES = ("site.yaml", "readings.csv", "production.csv", "calibrations.csv", "dataset.xlsx")

#: byte strings that readers treat specially
TOKENS = [
    b'"', b",", b"\n", b"\r\n", b";", b"\t", b"\x00", b"\xff", b"\xef\xbb\xbf", b"\xd6\xd0",
    b"inf", b"nan", b"-1", b"1e999", b"254.5", b"+99:00", b"2025-02-29", b"24:00",
    b"[/]", b":smile:", b"&a", b"*a", b"<<: *a", b"{", b"[", b"? ", b"- ", b": ", b"!!binary",
    b"!!python/object:os.system", b"9" * 60, b"0x" + b"f" * 50, b"\xe4\xbd\xa0", b"\xc0\x80",
    b"grid_emision_factor_kgco2_per_kwh: 0.6\n", b"period: {start: 2025-10-06, end: 2025-10-08}\n",
]  # fmt: skip


def small_dataset(folder: Path) -> Path:
    """The mini plant cut to :data:`ROWS` rows per table and to the tables the readers
    treat differently (the required two, calibrations with Chinese text), with the melting
    table as the sheet of ``dataset.xlsx`` instead of a CSV file."""
    shutil.copytree(
        MINI,
        folder,
        ignore=shutil.ignore_patterns(
            "expected.json", "heat_streams.csv", "energy_purchases.csv", "green_certificates.csv"
        ),
    )
    for path in folder.glob("*.csv"):
        lines = path.read_text("utf-8").splitlines(keepends=True)
        path.write_text("".join(lines[: ROWS + 1]), "utf-8")
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("melting")
    with (folder / "melting.csv").open(encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.reader(f)):
            ws.append([_number(c) if i else c for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    (folder / "dataset.xlsx").write_bytes(buf.getvalue())
    (folder / "melting.csv").unlink()
    return folder


def _number(cell: str) -> object:
    try:
        return float(cell)
    except ValueError:
        return cell


@st.composite
def mutation(draw: st.DrawFn, size: int) -> list[tuple[str, int, bytes, int]]:
    """A few edits of a file of ``size`` bytes: (kind, position, bytes, length)."""
    edits = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "repeat", "token", "truncate"]))
        pos = draw(st.integers(0, max(size - 1, 0)))
        data = draw(st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=8)))
        length = draw(st.integers(1, 64))
        edits.append((kind, pos, data, length))
    return edits


def apply(data: bytes, edits: list[tuple[str, int, bytes, int]]) -> bytes:
    for kind, pos, token, length in edits:
        pos = min(pos, len(data))
        if kind == "flip" and data:
            i = min(pos, len(data) - 1)
            data = data[:i] + bytes([data[i] ^ (1 << (length % 8))]) + data[i + 1 :]
        elif kind in ("insert", "token"):
            data = data[:pos] + token + data[pos:]
        elif kind == "delete":
            data = data[:pos] + data[pos + length :]
        elif kind == "repeat":
            data = data[:pos] + data[pos : pos + length] * (2 + length % 50) + data[pos:]
        elif kind == "truncate":
            data = data[:pos]
    return data


#: problems about a whole file, which have no row or line to name
FILE_LEVEL = (
    "a readable .xlsx workbook",
    "a readable .xlsx sheet",
    "a site.yaml file in the dataset folder",
)


def check_import(folder: Path, out: Path) -> bool:
    """The invariant: a successful import (True) or a located refusal (False)."""
    try:
        normalize(folder, out)
    except InvalidDataset as exc:
        for p in exc.problems:
            assert p.file, p
            text_content = p.file.endswith((".yaml", ".csv"))
            if text_content and p.expected not in FILE_LEVEL:
                assert p.row is not None, f"not located: {p}"
            assert p.expected and p.found, p
        return False
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return True
