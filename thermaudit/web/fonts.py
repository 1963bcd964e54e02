"""The web fonts: subsets of the Noto Sans SC and KR that the package ships (the report's
fonts, :mod:`thermaudit.report.fonts`), served by the app as WOFF2, so that Chinese and
Korean are legible in a browser on a machine without CJK system fonts.

The full fonts are 17 MB (SC) and 10 MB (KR). Each page would need a few hundred of their
30 000 glyphs, but the pages also show data (enterprise names, product names, file names)
in any character, so each subset covers a whole common repertoire, not only the interface:

- **SC**: Latin, digits and the general and CJK punctuation (U+0020–U+024F, U+2000–U+206F,
  U+3000–U+303F, U+FF00–U+FFEF), the 3 755 hanzi of GB 2312 level 1 (the common characters of
  simplified Chinese, which cover over 99 % of running text), and every other character of the
  interface's words (:data:`thermaudit.web.i18n.WORDS`), the templates and the catalogues the
  pages show (findings, report translations). About 1.1 MB, variable weight (400–700 from
  one file).
- **KR**: the 2 350 Hangul syllables of KS X 1001 (the common Korean repertoire), the Hangul
  Jamo and compatibility Jamo, and every other Hangul syllable of the same sources; about
  0.44 MB. Its ``unicode-range`` is Hangul only: Korean pages take Latin and Han from SC.

A character outside both subsets (a rare hanzi in a company's name) falls back to the
browser's system fonts, as it would without these files.

A subset is built once (10–20 s) when the server starts, in a background thread, or on the
first request for it if that comes first, and kept under the data folder (``fonts/``) named by
a digest of its source font and character set, so a new release that adds words builds a new
one; requests that arrive during a build wait for it. The answer carries
a content ETag and ``Cache-Control: public, max-age=30 days``; the URL is fixed (the
stylesheet names it), so after an upgrade a browser may use the former subset for up to that
long, whose only effect is a newly added rare character drawn from a system font.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from thermaudit.errors import ThermauditError

log = logging.getLogger("thermaudit.web")

#: seconds a browser may keep a font without asking again (30 days)
MAX_AGE = 30 * 24 * 3600
#: bump when the way subsets are made changes (their names change with it)
_RECIPE = "1"

_BASE = [(0x20, 0x24F), (0x2000, 0x206F), (0x3000, 0x303F), (0xFF00, 0xFFEF)]
_HANGUL = [(0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7A3)]


class FontUnknown(ThermauditError, LookupError):
    """A web font name the app does not serve."""


@dataclass(frozen=True)
class WebFont:
    """One served font: its URL name, its family in the report fonts, what it covers."""

    name: str  # the file name under /fonts/
    family: str  # as in thermaudit.report.fonts.FAMILIES
    unicode_range: str  # the CSS descriptor (what the browser may ask this font for)


#: the served fonts by file name (app.css declares the same in its @font-face rules)
FONTS = {
    f.name: f
    for f in (
        WebFont(
            "noto-sans-sc.woff2",
            "Noto Sans SC",
            "U+0020-024F, U+2000-206F, U+3000-9FFF, U+FF00-FFEF",
        ),
        WebFont("noto-sans-kr.woff2", "Noto Sans KR", "U+1100-11FF, U+3130-318F, U+AC00-D7A3"),
    )
}


def _hangul(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _HANGUL)


def _repertoire(encoding: str, rows: range) -> set[int]:
    """The characters of a two-byte EUC encoding's ``rows`` (lead bytes)."""
    out = set()
    for hi in rows:
        for lo in range(0xA1, 0xFF):
            try:
                out.add(ord(bytes([hi, lo]).decode(encoding)))
            except UnicodeDecodeError:
                continue
    return out


def page_text() -> str:
    """Every text the pages are made of: the interface's words in the three languages, the
    templates, and the catalogues whose texts the pages show."""
    from thermaudit.web.i18n import WORDS

    parts = [w for words in WORDS.values() for w in words]
    web = resources.files("thermaudit.web")
    for t in sorted((web / "templates").iterdir(), key=lambda p: p.name):
        if t.name.endswith(".html"):
            parts.append(t.read_text("utf-8"))
    for pack, name in (
        ("thermaudit.quality", "data/findings.csv"),
        ("thermaudit.report", "data/translations.csv"),
    ):
        text = (resources.files(pack) / name).read_text("utf-8")
        parts.extend(v for row in csv.reader(io.StringIO(text)) for v in row)
    return "\n".join(parts)


@cache
def codepoints(name: str) -> frozenset[int]:
    """The characters the subset ``name`` holds (those its source font has a glyph for)."""
    font = _font(name)
    used = {ord(c) for c in page_text()}
    if font.family == "Noto Sans SC":
        want = {cp for lo, hi in _BASE for cp in range(lo, hi + 1)}
        want |= _repertoire("gb2312", range(0xB0, 0xD8))  # level 1: rows 16–55
        want |= {cp for cp in used if not _hangul(cp)}
    else:
        want = {cp for lo, hi in _HANGUL[:2] for cp in range(lo, hi + 1)}
        want |= _repertoire("euc_kr", range(0xB0, 0xC9))  # the Hangul rows 16–40
        want |= {cp for cp in used if _hangul(cp)}
    return frozenset(want & set(_source_cmap(font.family)))


def _font(name: str) -> WebFont:
    try:
        return FONTS[name]
    except KeyError:
        raise FontUnknown(
            f"no web font {name!r}: the fonts served are {', '.join(sorted(FONTS))}"
        ) from None


def _source(family: str) -> Path:
    from thermaudit.report.fonts import FAMILIES, font_dirs

    return sorted(font_dirs()[FAMILIES.index(family)].glob("*.ttf"))[0]


@cache
def _source_cmap(family: str) -> dict[int, str]:
    from thermaudit.report.fonts import _font as report_font

    cmap: dict[int, str] = report_font(family).getBestCmap()
    return cmap


def digest(name: str) -> str:
    """What the subset depends on: the recipe, the source font file, the character set."""
    src = _source(_font(name).family)
    st = src.stat()
    h = hashlib.sha256(f"{_RECIPE}\n{src.name}\n{st.st_size}\n".encode())
    h.update(",".join(map(str, sorted(codepoints(name)))).encode())
    return h.hexdigest()[:16]


def build(name: str) -> bytes:
    """The WOFF2 subset ``name``, made from the shipped font (variable weight kept)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = _font(name)
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]  # CJK punctuation and vertical forms need theirs
    options.name_IDs = ["*"]  # the copyright and license names stay in the file
    options.notdef_outline = True
    ttf = TTFont(str(_source(font.family)), lazy=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints(name))
    subsetter.subset(ttf)
    out = io.BytesIO()
    ttf.flavor = "woff2"
    ttf.save(out)
    return out.getvalue()


@cache
def _built(name: str, file: str) -> bytes:
    """:func:`build` once per process and subset (``file`` names its digest): every app of
    the process (the tests make many, each with its own data folder) writes the same bytes."""
    return build(name)


def warm(folder: Path) -> threading.Thread:
    """Build the subsets missing under ``folder`` in a background thread (the app does at
    start, so that the first page does not wait seconds for its fonts)."""

    def run() -> None:
        for name in FONTS:
            try:
                cached(name, folder)
            except Exception:  # the request for it will build again and fail visibly
                log.exception("the web font %s could not be built", name)

    thread = threading.Thread(target=run, name="thermaudit-fonts", daemon=True)
    thread.start()
    return thread


_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def cached(name: str, folder: Path) -> Path:
    """The file of subset ``name`` under ``folder``, built on the first call (concurrent
    callers wait for one build; other processes sharing the folder at worst build it twice,
    each writing its own temporary file and renaming it into place)."""
    path = folder / f"{Path(name).stem}-{digest(name)}.woff2"
    with _locks_guard:
        lock = _locks.setdefault(path, threading.Lock())
    with lock:
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
            tmp.write_bytes(_built(name, path.name))
            os.replace(tmp, path)
            for old in folder.glob(f"{Path(name).stem}-*.woff2"):
                if old != path:
                    old.unlink(missing_ok=True)
    return path
