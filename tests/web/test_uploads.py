"""Damaged archive members are refusals naming the member (the class of the bad-CRC zip of
issue 15): a flipped byte of a stored member (bad CRC-32), of a deflated member (a broken
stream or a bad CRC-32), a member cut short, an encrypted member, an unknown compression
method; for a zipped dataset folder and for an .xlsx alike."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from thermaudit.errors import InvalidDataset
from thermaudit.web.uploads import Limits, extract_zip, workbook_dataset

LIMITS = Limits(10 << 20, 50, 200.0)
SITE = "\n".join(f"# line {i}: some text that deflate can squeeze a little" for i in range(200))


def _archive(path: Path, method: int) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        zf.writestr("dataset/site.yaml", SITE)
        zf.writestr("dataset/readings.csv", "meter_id,timestamp,value\n" * 50)
    return path


def _data_start(data: bytes, info: zipfile.ZipInfo) -> int:
    o = info.header_offset
    return (
        o
        + 30
        + int.from_bytes(data[o + 26 : o + 28], "little")
        + int.from_bytes(data[o + 28 : o + 30], "little")
    )


def _damage(path: Path, how: str) -> Path:
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("dataset/site.yaml")
    start = _data_start(bytes(data), info)
    o = info.header_offset
    if how == "flip":
        data[start + info.compress_size // 2] ^= 0x40
    elif how == "truncate":  # the member's data zeroed from its middle on
        for i in range(start + info.compress_size // 3, start + info.compress_size):
            data[i] = 0
    elif how == "encrypted":  # the general-purpose flag bit 0, in both headers
        data[o + 6] |= 0x01
        cd = bytes(data).rfind(b"PK\x01\x02", 0, len(data))
        while cd != -1:
            if int.from_bytes(data[cd + 42 : cd + 46], "little") == o:
                data[cd + 8] |= 0x01
            cd = bytes(data).rfind(b"PK\x01\x02", 0, cd)
    elif how == "method":  # compression method 99 in both headers
        data[o + 8 : o + 10] = (99).to_bytes(2, "little")
        cd = bytes(data).find(b"PK\x01\x02")
        while cd != -1:
            if int.from_bytes(data[cd + 42 : cd + 46], "little") == o:
                data[cd + 10 : cd + 12] = (99).to_bytes(2, "little")
            cd = bytes(data).find(b"PK\x01\x02", cd + 4)
    out = path.with_name(f"{how}-{path.name}")
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize(
    ("method", "how"),
    [
        (zipfile.ZIP_STORED, "flip"),
        (zipfile.ZIP_DEFLATED, "flip"),
        (zipfile.ZIP_DEFLATED, "truncate"),
        (zipfile.ZIP_BZIP2, "flip"),
        (zipfile.ZIP_LZMA, "flip"),
        (zipfile.ZIP_DEFLATED, "encrypted"),
        (zipfile.ZIP_DEFLATED, "method"),
    ],
)
def test_a_damaged_member_is_refused_naming_it(tmp_path: Path, method: int, how: str) -> None:
    bad = _damage(_archive(tmp_path / "up.zip", method), how)
    with pytest.raises(InvalidDataset) as info:
        extract_zip(bad, "upload.zip", tmp_path / "out", LIMITS)
    [p] = info.value.problems
    assert p.file == "upload.zip[dataset/site.yaml]", p
    assert "intact archive member" in p.expected and p.found.startswith("a damaged member: ")
    # the same archive as a workbook: refused before the workbook reader opens it
    book = tmp_path / "book.xlsx"
    book.write_bytes(bad.read_bytes())
    with pytest.raises(InvalidDataset) as info:
        workbook_dataset(book, "upload.xlsx", tmp_path / "out-book", LIMITS)
    assert info.value.problems[0].file == "upload.xlsx[dataset/site.yaml]"


def test_an_intact_archive_is_extracted(tmp_path: Path) -> None:
    folder = extract_zip(
        _archive(tmp_path / "ok.zip", zipfile.ZIP_DEFLATED), "upload.zip", tmp_path / "o", LIMITS
    )
    assert (folder / "site.yaml").read_text() == SITE
