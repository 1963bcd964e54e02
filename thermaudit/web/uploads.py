"""Turn an uploaded file into a dataset folder the library reads, refusing hostile archives.

A zip is checked before anything is written: every member name must be relative, without
``..``, drive letters or backslashes, and not a symlink; at most ``max_files`` members; the
declared total uncompressed size at most ``limit`` bytes and no member compressed more than
``max_ratio`` times. Extraction then counts the bytes actually written, so a member whose
header lies is stopped at the same limits. Only the files of the folder holding
``site.yaml`` whose names are the contract's (``site.yaml``, ``<table>.csv``,
``<table>.parquet``, ``*.xlsx`` with a plain name) are extracted, flat, into a folder the
server created.

A single ``.xlsx`` workbook carries ``site.yaml`` in its ``site`` sheet (one line per row in
column A, as the template does); the tables are its sheets of the contract's names.
"""

from __future__ import annotations

import lzma
import re
import shutil
import stat
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from thermaudit.dataset.contract import TABLES
from thermaudit.dataset.template import SITE_SHEET, site_from_workbook
from thermaudit.errors import InvalidDataset, Problem

#: names a dataset file may have inside an upload (the reader ignores anything else anyway)
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,120}$")
_TABLE_FILES = {f"{t}.{ext}" for t in TABLES for ext in ("csv", "parquet")}
_CHUNK = 1 << 16
#: what reading a damaged member raises: a bad CRC-32 or header (BadZipFile), a broken
#: deflate/bzip2/lzma stream, a truncated member (EOFError), an unknown compression method
#: (NotImplementedError), an encrypted member (RuntimeError: "password required")
_CORRUPT = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
)


@dataclass(frozen=True)
class Limits:
    limit: int  # total uncompressed bytes
    max_files: int
    max_ratio: float


class UnsafeArchive(InvalidDataset):
    """The upload is refused before it is read (zip-slip, zip bomb, symlink, too many files)."""


def _refuse(name: str, expected: str, found: str) -> UnsafeArchive:
    return UnsafeArchive([Problem(name, None, None, expected, found)])


def _wanted(base: str) -> bool:
    low = base.lower()
    return (
        low == "site.yaml"
        or low in _TABLE_FILES
        or (low.endswith(".xlsx") and bool(_PLAIN.match(base)))
    )


def check_zip(path: Path, label: str, limits: Limits) -> list[zipfile.ZipInfo]:
    """The members of a safe archive, or :class:`UnsafeArchive` naming the first refusal."""
    try:
        zf = zipfile.ZipFile(path)
    except _CORRUPT as exc:
        raise _refuse(
            label, "a zip archive of the dataset folder", str(exc) or "not a zip"
        ) from None
    with zf:
        infos = zf.infolist()
    if len(infos) > limits.max_files:
        raise _refuse(label, f"at most {limits.max_files} files", f"{len(infos)} files")
    total = 0
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name).parts
        if (
            name.startswith(("/", "\\"))
            or "\\" in name
            or ".." in parts
            or (parts and ":" in parts[0])
            or "\x00" in name
        ):
            raise _refuse(f"{label}[{name}]", "a relative path inside the archive", repr(name))
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise _refuse(f"{label}[{name}]", "a regular file", "a symbolic link")
        total += info.file_size
        if total > limits.limit:
            raise _refuse(
                label,
                f"at most {limits.limit:,} bytes uncompressed",
                f"more than {limits.limit:,} bytes",
            )
        if info.file_size > 1024 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise _refuse(
                f"{label}[{name}]",
                f"a compression ratio of at most {limits.max_ratio:g}",
                f"{ratio:,.0f} ({info.file_size:,} bytes from {info.compress_size:,})",
            )
    return infos


def extract_zip(path: Path, label: str, dest: Path, limits: Limits) -> Path:
    """Extract the dataset of a safe zip into ``dest``; returns the dataset folder."""
    infos = [i for i in check_zip(path, label, limits) if not i.is_dir()]
    sites = [i for i in infos if PurePosixPath(i.filename).name.lower() == "site.yaml"]
    sites = [i for i in sites if not PurePosixPath(i.filename).name.startswith(".")]
    if len(sites) != 1:
        found = "none" if not sites else ", ".join(i.filename for i in sites)
        raise InvalidDataset(
            [Problem(label, None, None, "exactly one site.yaml (the zipped dataset folder)", found)]
        )
    folder = PurePosixPath(sites[0].filename).parent
    dest.mkdir(parents=True, exist_ok=True)
    written = 0
    with zipfile.ZipFile(path) as zf:
        for info in infos:
            p = PurePosixPath(info.filename)
            if p.parent != folder or not _wanted(p.name):
                continue
            target = dest / p.name  # p.name passed _wanted: plain, no separator
            with target.open("wb") as out:
                written += _copy_member(zf, info, label, out.write, limits.limit - written)
    return dest


def _copy_member(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    label: str,
    write: Callable[[bytes], object],
    budget: int,
) -> int:
    """Stream one member to ``write``, at most its declared size and ``budget`` bytes;
    returns the bytes read. A damaged member (bad CRC, broken stream, truncated, encrypted,
    unknown method) is refused naming it, never an exception of the zip library."""
    size = 0
    try:
        with zf.open(info) as src:
            while chunk := src.read(_CHUNK):
                size += len(chunk)
                if size > info.file_size or size > budget:
                    raise _refuse(
                        f"{label}[{info.filename}]",
                        "the size its header declares, within the upload limits",
                        "more bytes than declared",
                    )
                write(chunk)
    except InvalidDataset:
        raise
    except _CORRUPT as exc:
        raise _refuse(
            f"{label}[{info.filename}]",
            "an intact archive member (save or zip the dataset again)",
            f"a damaged member: {exc}",
        ) from None
    return size


def workbook_dataset(path: Path, label: str, dest: Path, limits: Limits) -> Path:
    """A dataset folder from one uploaded workbook: ``dataset.xlsx`` and the ``site.yaml``
    of its ``site`` sheet."""
    infos = check_zip(path, label, limits)  # an .xlsx is a zip: the same bomb checks apply
    # and every member must be intact (CRC-32) before the workbook reader sees it
    read = 0
    with zipfile.ZipFile(path) as zf:
        for info in infos:
            if not info.is_dir():
                read += _copy_member(zf, info, label, lambda _chunk: None, limits.limit - read)
    dest.mkdir(parents=True, exist_ok=True)
    book = dest / "dataset.xlsx"
    shutil.copyfile(path, book)
    text = site_from_workbook(book)
    if text is None:
        raise InvalidDataset(
            [
                Problem(
                    f"{label}[{SITE_SHEET}]",
                    None,
                    None,
                    f"a sheet named {SITE_SHEET} holding site.yaml, one line per row in column "
                    "A (download the template), or upload the zipped dataset folder",
                    "no such sheet",
                )
            ]
        )
    (dest / "site.yaml").write_text(text, "utf-8")
    return dest
