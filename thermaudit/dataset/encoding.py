"""Text files of a dataset are UTF-8 (a BOM allowed): the check and what a refusal says.

``site.yaml`` and every CSV table are read as UTF-8, never transcoded. A file in another
encoding is refused with the place of its first byte that is not UTF-8 and how to save it
again. Three kinds of wrong files are told apart in the message:

- UTF-16 or UTF-32, with a byte order mark or without one (then its NUL bytes tell);
- bytes that are not UTF-8 at all (most often GBK from a Chinese Excel or Notepad);
- GBK text that happens to be valid UTF-8: a GBK character whose two bytes are ``C2``–``DF``
  followed by ``80``–``BF`` is also a two-byte UTF-8 sequence, so ``伟业`` saved as GBK
  reads as ``ΰҵ``, a Greek and a Cyrillic letter. :func:`gbk_in_disguise` refuses a
  run of such letters that mixes alphabets (a real word does not) and reads as Chinese in
  GBK. A run that stays within one alphabet cannot be told from real text and is accepted.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from pathlib import Path

#: what a refusal says is expected of a text file
EXPECTED_UTF8 = (
    "UTF-8 text (a BOM allowed; in Excel: Save As “CSV UTF-8 (Comma delimited)”; in an "
    "editor: save with the encoding UTF-8)"
)

_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32 (little-endian, with a byte order mark)"),
    (codecs.BOM_UTF32_BE, "UTF-32 (big-endian, with a byte order mark)"),
    (codecs.BOM_UTF16_LE, "UTF-16 (little-endian, with a byte order mark)"),
    (codecs.BOM_UTF16_BE, "UTF-16 (big-endian, with a byte order mark)"),
)

CHUNK = 1 << 20


class NotUtf8(Exception):
    """Where a text file stops being UTF-8 and what it looks like instead."""

    def __init__(self, offset: int, found: str) -> None:
        super().__init__(found)
        self.offset = offset  # byte offset of the first bad byte in the file
        self.found = found


def _what_it_is(head: bytes, bad: bytes) -> str:
    """Name the encoding a file that is not UTF-8 is probably in."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return f"text in {name}"
    if b"\0" in head:
        sample = head[:4096]
        quarter = sample[2::4].count(0) + sample[3::4].count(0)
        if sample[1::4].count(0) and quarter > len(sample) // 4:
            return "text in UTF-32 without a byte order mark (NUL bytes)"
        return "text in UTF-16 without a byte order mark (NUL bytes)"
    shown = " ".join(f"{b:02X}" for b in bad[:4])
    return f"bytes that are not UTF-8 ({shown}; perhaps GBK)"


def check_utf8(path: Path) -> str:
    """Read ``path`` once: its sha256 when it is UTF-8 text without NUL bytes.

    Raises
    ------
    NotUtf8
        At the first byte that is not UTF-8 (or the first NUL, or at 0 for a UTF-16/32 BOM).
    OSError
        When the file cannot be read.
    """
    h = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    done = 0
    head = b""
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            if not done:
                head = chunk[:4096]
                for bom, _ in _BOMS:
                    if chunk.startswith(bom):
                        raise NotUtf8(0, _what_it_is(head, b""))
            nul = chunk.find(b"\0")
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk if nul < 0 else chunk[:nul])
            except UnicodeDecodeError as exc:
                at = done - pending + exc.start
                raise NotUtf8(
                    at, _what_it_is(head, exc.object[exc.start : exc.start + 4])
                ) from None
            if nul >= 0:
                raise NotUtf8(done + nul, _what_it_is(head, b"\0"))
            done += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:  # the file ends inside a character
            raise NotUtf8(done - len(decoder.getstate()[0]), _what_it_is(head, b"")) from None
    return h.hexdigest()


def decode_utf8(data: bytes) -> str:
    """``data`` as text (a UTF-8 BOM dropped); :class:`NotUtf8` when it is not UTF-8."""
    head = data[:4096]
    for bom, _ in _BOMS:
        if data.startswith(bom):
            raise NotUtf8(0, _what_it_is(head, b""))
    nul = data.find(b"\0")
    try:
        text = data[: nul if nul >= 0 else len(data)].decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(codecs.BOM_UTF8) else 0)
        raise NotUtf8(start, _what_it_is(head, data[start : start + 4])) from None
    if nul >= 0:
        raise NotUtf8(nul, _what_it_is(head, b"\0"))
    return text


def line_and_column(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and character of the byte at ``offset`` (characters before it counted
    as UTF-8, which they are)."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    before = data[line_start:offset].decode("utf-8-sig", errors="replace")
    return data.count(b"\n", 0, offset) + 1, len(before) + 1


# ---------------------------------------------------------------------------------------------
# GBK text that is valid UTF-8

#: Unicode blocks a two-byte UTF-8 sequence can land in, grouped by alphabet; combining
#: marks (U+0300–U+036F) belong to any alphabet and are not counted
_ALPHABETS = (
    (0x0080, 0x024F, "Latin"),
    (0x0250, 0x02FF, "phonetic"),
    (0x0370, 0x03FF, "Greek"),
    (0x0400, 0x052F, "Cyrillic"),
    (0x0530, 0x058F, "Armenian"),
    (0x0590, 0x05FF, "Hebrew"),
    (0x0600, 0x06FF, "Arabic"),
    (0x0700, 0x074F, "Syriac"),
    (0x0750, 0x077F, "Arabic"),
    (0x0780, 0x07FF, "Thaana or NKo"),
)
#: runs of two or more characters that a two-byte UTF-8 sequence encodes (as Arrow's RE2
#: and Python's re both write it)
TWO_BYTE_RUN_RE2 = r"[\x{80}-\x{7FF}]{2,}"
_TWO_BYTE_RUN = re.compile("[\u0080-\u07ff]{2,}")


def _alphabet(ch: str) -> str | None:
    cp = ord(ch)
    if 0x0300 <= cp <= 0x036F:
        return None
    if 0x0080 <= cp <= 0x009F:
        return "control"  # C1 controls are never typed
    for lo, hi, name in _ALPHABETS:
        if lo <= cp <= hi:
            return name
    return None


def gbk_in_disguise(text: str) -> tuple[int, str] | None:
    """The first run of ``text`` that is GBK read as UTF-8: its index and how it reads in
    GBK; else None.

    A run counts when its letters come from two or more alphabets (or hold a C1 control
    character) and its bytes read in GBK as Chinese characters only.
    """
    for m in _TWO_BYTE_RUN.finditer(text):
        run = m.group()
        kinds = {k for ch in run if (k := _alphabet(ch)) is not None}
        if len(kinds) < 2 and "control" not in kinds:
            continue
        try:
            as_gbk = run.encode("utf-8").decode("gbk")
        except UnicodeDecodeError:
            continue
        if all("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in as_gbk):
            return m.start(), as_gbk
    return None


def disguise_text(as_gbk: str) -> str:
    """The found text of a refusal for GBK text that reads as UTF-8."""
    return f"GBK text read as UTF-8 (in GBK it reads {as_gbk!r})"
