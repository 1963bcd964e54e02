"""Fonts of the report, installed with the package (no system font is used).

The PyPI package ``justmytype-intl-cjk`` bundles Noto Sans SC (Chinese, with Latin, digits
and the symbols a report needs) and Noto Sans KR (Korean), both under the SIL Open Font
License 1.1 (``OFL.txt`` beside each font file). Typst gets their folders as ``font_paths``
and ignores system fonts, so the PDF looks the same on every machine; the charts draw their
text as outlines taken from the same files (:func:`text_path`), so an SVG needs no font at
all, in the PDF or in a browser.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from thermaudit.errors import ThermauditError

#: font families in fallback order, as Typst names them
FAMILIES = ("Noto Sans SC", "Noto Sans KR")
MONO = "DejaVu Sans Mono"  # embedded in Typst itself

_PACK = "justmytype_intl_cjk"
_DIRS = {"Noto Sans SC": "notosanssc", "Noto Sans KR": "notosanskr"}


class FontsMissing(ThermauditError, RuntimeError):
    """The bundled report fonts are not installed."""


def font_dirs() -> list[Path]:
    """Folders holding the report fonts, in :data:`FAMILIES` order."""
    try:
        root = Path(str(resources.files(_PACK))) / "fonts" / "ofl"
    except ModuleNotFoundError:
        raise FontsMissing(
            "the report fonts are missing: the package justmytype-intl-cjk is not installed",
            hint="pip install justmytype-intl-cjk (a dependency of thermaudit)",
        ) from None
    dirs = [root / _DIRS[f] for f in FAMILIES]
    for d in dirs:
        if not any(d.glob("*.ttf")):
            raise FontsMissing(f"no font file in {d}", hint="reinstall justmytype-intl-cjk")
    return dirs


def font_licenses() -> dict[str, str]:
    """Family → license file text's first line (shown in the report colophon)."""
    out = {}
    for fam, d in zip(FAMILIES, font_dirs(), strict=True):
        lic = d / "OFL.txt"
        first = (
            lic.read_text("utf-8", errors="replace").strip().splitlines()[0] if lic.exists() else ""
        )
        out[fam] = first
    return out


@dataclass(frozen=True)
class _Face:
    cmap: dict[int, str]
    advance: dict[str, int]
    upem: int
    glyphs: Any  # fontTools glyph set at one weight


@cache
def _font(family: str) -> Any:
    from fontTools.ttLib import TTFont

    d = font_dirs()[FAMILIES.index(family)]
    path = sorted(d.glob("*.ttf"))[0]
    # from bytes: no file handle stays open for the life of the cache
    return TTFont(io.BytesIO(path.read_bytes()), lazy=True)


@cache
def _face(family: str, weight: int) -> _Face:
    f = _font(family)
    loc = {"wght": weight} if "fvar" in f else None
    gs = f.getGlyphSet(location=loc) if loc else f.getGlyphSet()
    cmap = f.getBestCmap()
    return _Face(cmap, {}, f["head"].unitsPerEm, gs)


@cache
def _glyph_path(family: str, weight: int, name: str) -> tuple[str, float]:
    from fontTools.pens.svgPathPen import SVGPathPen

    face = _face(family, weight)
    g = face.glyphs[name]
    pen = SVGPathPen(face.glyphs, ntos=lambda v: f"{v:.0f}")
    g.draw(pen)
    return pen.getCommands(), float(g.width)


def _lookup(ch: str, weight: int) -> tuple[str, str]:
    for fam in FAMILIES:
        name = _face(fam, weight).cmap.get(ord(ch))
        if name is not None:
            return fam, name
    return FAMILIES[0], ".notdef"


def text_width(text: str, size: float, weight: int = 400) -> float:
    """Advance width of ``text`` at ``size`` (user units), as :func:`text_path` draws it."""
    w = 0.0
    for ch in text:
        fam, name = _lookup(ch, weight)
        w += _glyph_path(fam, weight, name)[1] / _face(fam, weight).upem
    return w * size


def text_path(
    text: str,
    x: float,
    y: float,
    size: float,
    *,
    anchor: str = "start",
    weight: int = 400,
    fill: str = "#222",
    rotate: float = 0.0,
) -> str:
    """An SVG ``<g>`` drawing ``text`` as glyph outlines with its baseline at (x, y).

    ``anchor`` is ``start``, ``middle`` or ``end``, as SVG's ``text-anchor``. The text stays
    readable to assistive tools through a ``<title>``.
    """
    if not text:
        return ""
    width = text_width(text, size, weight)
    dx = {"start": 0.0, "middle": -width / 2, "end": -width}[anchor]
    parts = []
    pen_x = 0.0
    for ch in text:
        fam, name = _lookup(ch, weight)
        d, adv = _glyph_path(fam, weight, name)
        upem = _face(fam, weight).upem
        if d:
            k = size / upem
            parts.append(
                f'<path transform="translate({pen_x + dx:.2f} 0) scale({k:.5f} {-k:.5f})" d="{d}"/>'
            )
        pen_x += adv / upem * size
    rot = f" rotate({rotate:g})" if rotate else ""
    title = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f'<g transform="translate({x:.2f} {y:.2f}){rot}" fill="{fill}">'
        f"<title>{title}</title>{''.join(parts)}</g>"
    )


@cache
def _coverage() -> frozenset[int]:
    cps: set[int] = set()
    for fam in FAMILIES:
        cps.update(_font(fam).getBestCmap())
    return frozenset(cps)


def uncovered(text: str) -> list[str]:
    """Characters of ``text`` that no report font has a glyph for (each once, in order).

    Typst falls back silently to its own fonts or draws nothing, so the report checks its
    text against the bundled fonts itself and reports the gaps as warnings.
    """
    cov = _coverage()
    seen: dict[str, None] = {}
    for ch in text:
        if ord(ch) < 0x20 or ch in seen:
            continue
        if ord(ch) not in cov:
            seen[ch] = None
    return list(seen)
