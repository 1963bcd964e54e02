"""Charts as self-contained SVG: every text is drawn as glyph outlines
(:func:`thermaudit.report.fonts.text_path`), so a chart needs no font where it is shown.
The same SVG goes into the PDF and the HTML.

Each chart takes plain Python data (already reduced for plotting) and a ``lang``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from thermaudit.report.fmt import fmt, fmt_tick, sig_for
from thermaudit.report.fonts import text_path, text_width
from thermaudit.report.labels import Bi

INK = "#1d2733"
MUTED = "#6b7785"
GRID = "#e3e7ec"
NAVY = "#1f3a5f"
TEAL = "#2a7f8f"
AMBER = "#d08c2e"
RED = "#b03a2e"
GREEN = "#3c8d5a"
CARRIER_COLOURS = {
    "electricity": "#2f6db5",
    "natural_gas": "#d08c2e",
    "heat": "#b0483a",
    "steam": "#b0483a",
    "lpg": "#8e5ea2",
    "diesel": "#6d5a3f",
    "fuel_oil": "#6d5a3f",
    "coke": "#555555",
    "compressed_air": "#4aa3b5",
    "water": "#4aa3b5",
}
PALETTE = ["#1f3a5f", "#2a7f8f", "#d08c2e", "#8e5ea2", "#3c8d5a", "#b0483a", "#6b7785"]


def label(text: str | Bi, lang: str) -> str:
    """One line of chart text: ``first / second`` for a report in a pair of languages."""
    if isinstance(text, str):
        return text
    return " / ".join(text.pair(lang))


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle of the canvas (y grows downwards)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box, slack: float = 0.5) -> bool:
        """True when the two share more than ``slack`` units in both directions."""
        return (
            min(self.x1, other.x1) - max(self.x0, other.x0) > slack
            and min(self.y1, other.y1) - max(self.y0, other.y0) > slack
        )

    def crosses(self, a: tuple[float, float], b: tuple[float, float], slack: float = 0.5) -> bool:
        """True when the segment a–b passes through the box shrunk by ``slack``."""
        x0, y0, x1, y1 = self.x0 + slack, self.y0 + slack, self.x1 - slack, self.y1 - slack
        if x1 <= x0 or y1 <= y0:
            return False
        # Liang–Barsky clipping of the segment against the box
        (ax, ay), (bx, by) = a, b
        dx, dy = bx - ax, by - ay
        lo, hi = 0.0, 1.0
        for p, q in ((-dx, ax - x0), (dx, x1 - ax), (-dy, ay - y0), (dy, y1 - ay)):
            if p == 0:
                if q < 0:
                    return False
                continue
            r = q / p
            if p < 0:
                lo = max(lo, r)
            else:
                hi = min(hi, r)
            if lo > hi:
                return False
        return True


@dataclass
class Layout:
    """Where a chart's texts and marks lie, for the layout tests: every label's box, the
    segments of data lines and reference lines, and the boxes of data bars."""

    labels: list[tuple[str, Box]] = field(default_factory=list)
    segments: list[tuple[str, tuple[float, float], tuple[float, float]]] = field(
        default_factory=list
    )
    bars: list[Box] = field(default_factory=list)

    def collisions(self) -> list[str]:
        """Each label crossed by a data or reference line or covered by a data bar."""
        out = []
        for text, box in self.labels:
            for role, a, b in self.segments:
                if box.crosses(a, b):
                    out.append(f"{text!r} crossed by a {role} line {a}–{b}")
                    break
            for bar in self.bars:
                if box.overlaps(bar):
                    out.append(f"{text!r} covered by a bar {bar}")
                    break
        return out


class Chart(str):
    """An SVG text that also knows its :class:`Layout`."""

    layout: Layout


def text_box(s: str, x: float, y: float, size: float, anchor: str = "start", weight: int = 400):
    """The box a one-line label drawn by :func:`text_path` occupies (ascent 0.8, descent 0.2
    of the size; the glyphs of the bundled fonts stay inside)."""
    w = text_width(s, size, weight)
    x0 = x - {"start": 0.0, "middle": w / 2, "end": w}[anchor]
    return Box(x0, y - 0.8 * size, x0 + w, y + 0.2 * size)


class Svg:
    """A minimal SVG canvas (user units ≈ 0.25 mm at full text width)."""

    def __init__(self, width: float, height: float) -> None:
        self.w = width
        self.h = height
        self.parts: list[str] = []
        self.layout = Layout()

    def rect(
        self, x: float, y: float, w: float, h: float, fill: str, data: bool = False, **kw: str
    ) -> None:
        if data:
            self.layout.bars.append(Box(x, y, x + max(w, 0), y + max(h, 0)))
        extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in kw.items())
        self.parts.append(
            f'<rect x="{x:.2f}" y="{y:.2f}" width="{max(w, 0):.2f}" height="{max(h, 0):.2f}" '
            f'fill="{fill}"{extra}/>'
        )

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        stroke: str = GRID,
        width: float = 1,
        dash: str | None = None,
        role: str | None = None,
    ) -> None:
        if role:
            self.layout.segments.append((role, (x1, y1), (x2, y2)))
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<line x1="{x1:.2f}" y1="{y1:.2f}" x2="{x2:.2f}" y2="{y2:.2f}" '
            f'stroke="{stroke}" stroke-width="{width}"{d}/>'
        )

    def polyline(self, pts: Sequence[tuple[float, float]], stroke: str, width: float = 1.2) -> None:
        if not pts:
            return
        self.layout.segments.extend(("data", a, b) for a, b in itertools.pairwise(pts))
        p = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        self.parts.append(
            f'<polyline points="{p}" fill="none" stroke="{stroke}" stroke-width="{width}" '
            'stroke-linejoin="round"/>'
        )

    def path(self, d: str, fill: str, opacity: float = 1.0, stroke: str = "none") -> None:
        self.parts.append(
            f'<path d="{d}" fill="{fill}" fill-opacity="{opacity}" stroke="{stroke}"/>'
        )

    def text(self, s: str, x: float, y: float, size: float = 11, **kw: object) -> None:
        if s and not kw.get("rotate"):
            anchor, weight = str(kw.get("anchor", "start")), kw.get("weight", 400)
            box = text_box(s, x, y, size, anchor, weight if isinstance(weight, int) else 400)
            self.layout.labels.append((s, box))
        self.parts.append(text_path(s, x, y, size, **kw))  # type: ignore[arg-type]

    def render(self, title: str) -> Chart:
        t = title.replace("&", "&amp;").replace("<", "&lt;")
        out = Chart(
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.w:.0f} {self.h:.0f}" '
            f'width="{self.w:.0f}" height="{self.h:.0f}" role="img">'
            f"<title>{t}</title>{''.join(self.parts)}</svg>"
        )
        out.layout = self.layout
        return out


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = math.floor(lo / step) * step
    digits = max(10, 3 - math.floor(math.log10(step)))  # clean float noise, keep tiny steps
    ticks = []
    v = start
    while v <= hi + step * 1e-9:
        ticks.append(round(v, digits))
        v += step
    if ticks[-1] < hi:
        ticks.append(round(v, digits))
    return ticks


# --------------------------------------------------------------------------- Sankey


@dataclass(frozen=True)
class Flow:
    source: str
    target: str
    value: float
    colour: str


def sankey(columns: list[list[tuple[str, str]]], flows: list[Flow], unit: str, title: str) -> str:
    """A left-to-right Sankey. ``columns`` lists (node id, label) per column; a node's height
    is the larger of its in- and out-flow. Flows ≤ 0 are not drawn."""
    flows = [f for f in flows if f.value > 0]
    width, height = 680.0, 330.0
    top, bottom, node_w = 18.0, 10.0, 12.0
    gap = 11.0
    size: dict[str, float] = {}
    for col in columns:
        for nid, _ in col:
            i = sum(f.value for f in flows if f.target == nid)
            o = sum(f.value for f in flows if f.source == nid)
            size[nid] = max(i, o)
    totals = [sum(size[n] for n, _ in col) for col in columns]
    counts = [len(col) for col in columns]
    avail = height - top - bottom
    scale = min((avail - gap * (c - 1)) / t for t, c in zip(totals, counts, strict=True) if t > 0)
    label_w = 150.0
    xs = [
        label_w * 0.0 + 8 + i * (width - 2 * label_w + 120) / (len(columns) - 1)
        for i in range(len(columns))
    ]
    xs = [130.0, 330.0, 530.0][: len(columns)] if len(columns) == 3 else xs
    pos: dict[str, tuple[float, float, float]] = {}  # x, y, h
    svg = Svg(width, height)
    for ci, col in enumerate(columns):
        used = sum(size[n] for n, _ in col) * scale + gap * (len(col) - 1)
        y = top + (avail - used) / 2
        for nid, _ in col:
            h = size[nid] * scale
            pos[nid] = (xs[ci], y, h)
            y += h + gap
    out_off: dict[str, float] = {n: 0.0 for n in pos}
    in_off: dict[str, float] = {n: 0.0 for n in pos}
    order = {nid: i for col in columns for i, (nid, _) in enumerate(col)}
    for f in sorted(flows, key=lambda f: (order.get(f.source, 0), order.get(f.target, 0))):
        if f.source not in pos or f.target not in pos:
            continue
        sx, sy, _ = pos[f.source]
        tx, ty, _ = pos[f.target]
        h = f.value * scale
        y0 = sy + out_off[f.source]
        y1 = ty + in_off[f.target]
        out_off[f.source] += h
        in_off[f.target] += h
        x0 = sx + node_w
        x1 = tx
        mx = (x0 + x1) / 2
        d = (
            f"M{x0:.1f},{y0:.1f} C{mx:.1f},{y0:.1f} {mx:.1f},{y1:.1f} {x1:.1f},{y1:.1f} "
            f"L{x1:.1f},{y1 + h:.1f} C{mx:.1f},{y1 + h:.1f} {mx:.1f},{y0 + h:.1f} "
            f"{x0:.1f},{y0 + h:.1f} Z"
        )
        svg.path(d, f.colour, 0.38)
    for ci, col in enumerate(columns):
        for nid, lab in col:
            x, y, h = pos[nid]
            svg.rect(x, y, node_w, max(h, 1.0), NAVY)
            value = f"{fmt(size[nid])} {unit}"
            cy = y + h / 2
            if ci == 0:
                svg.text(lab, x - 6, cy - 1, 10, anchor="end", weight=600, fill=INK)
                svg.text(value, x - 6, cy + 10, 9, anchor="end", fill=MUTED)
            elif ci == len(columns) - 1:
                svg.text(lab, x + node_w + 6, cy + 3.5, 9.5, fill=INK)
                w = text_width(lab, 9.5)
                svg.text(value, x + node_w + 10 + w, cy + 3.5, 8.5, fill=MUTED)
            else:
                text = f"{lab}  {value}"
                tw = text_width(text, 9)
                svg.rect(x + node_w + 2, cy - 7, tw + 6, 13, "#ffffff", fill_opacity="0.82")
                svg.text(text, x + node_w + 5, cy + 3.5, 9, fill=INK)
    return svg.render(title)


# --------------------------------------------------------------------------- bars and lines


def hbar(
    items: list[tuple[str, float | None]],
    unit: str,
    title: str,
    reference: tuple[str, float] | None = None,
    colour: str = TEAL,
    highlight: set[str] | None = None,
) -> str:
    """Horizontal bars, in the given order, with the value printed at each bar.

    The reference (e.g. the plant figure) is a dashed line labelled above the bars; a bar's
    value label that the line would cross is set just past the line instead.
    """
    n = max(len(items), 1)
    row = 22.0
    left = max([text_width(lab, 10) for lab, _ in items] + [60.0]) + 16
    width = 680.0
    top = 28.0 if reference else 14.0
    height = top + n * row + 36
    right = 70.0
    vals = [v for _, v in items if v is not None]
    hi = max(vals + ([reference[1]] if reference else []) + [1e-9])
    ticks = nice_ticks(0.0, hi)
    xmax = ticks[-1]
    plot_w = width - left - right
    svg = Svg(width, height)

    def sx(v: float) -> float:
        return left + plot_w * v / xmax

    ref_x = sx(reference[1]) if reference else None
    for t in ticks:
        svg.line(sx(t), top - 4, sx(t), top + n * row, GRID)
        svg.text(fmt_tick(t), sx(t), top + n * row + 14, 9, anchor="middle", fill=MUTED)
    svg.text(unit, left + plot_w / 2, top + n * row + 28, 9, anchor="middle", fill=MUTED)
    for i, (lab, v) in enumerate(items):
        y = top + i * row
        svg.text(lab, left - 8, y + 15, 10, anchor="end", fill=INK)
        if v is None:
            svg.text("—", left + 4, y + 15, 10, fill=MUTED)
            continue
        c = RED if highlight and lab in highlight else colour
        svg.rect(left, y + 4, sx(v) - left, row - 8, c, data=True)
        text = fmt(v)
        x = sx(v) + 5
        if ref_x is not None and x - 2 <= ref_x <= x + text_width(text, 9.5) + 2:
            x = ref_x + 4
        svg.text(text, x, y + 15, 9.5, fill=INK)
    if reference and ref_x is not None:
        svg.line(ref_x, top - 6, ref_x, top + n * row, AMBER, 1.4, "4 3", role="reference")
        if ref_x + 4 + text_width(reference[0], 9) <= width:
            svg.text(reference[0], ref_x + 4, top - 10, 9, fill=AMBER)
        else:
            svg.text(reference[0], ref_x - 4, top - 10, 9, anchor="end", fill=AMBER)
    return svg.render(title)


def trend(
    points: list[tuple[str, float | None]],
    unit: str,
    title: str,
    mean: tuple[str, float] | None = None,
    bars: list[float | None] | None = None,
    bars_unit: str = "",
) -> str:
    """A daily line (left axis) over optional light bars (right axis)."""
    width, height = 680.0, 236.0
    left, right, top, bottom = 52.0, 52.0, 22.0, 34.0
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(points), 1)
    vals = [v for _, v in points if v is not None]
    svg = Svg(width, height)
    if not vals:
        svg.text("—", width / 2, height / 2, 12, anchor="middle", fill=MUTED)
        return svg.render(title)
    lo = min(vals + ([mean[1]] if mean else []))
    hi = max(vals + ([mean[1]] if mean else []))
    pad = (hi - lo) * 0.15 or abs(hi) * 0.1 or 1.0
    ticks = nice_ticks(max(lo - pad, 0.0) if lo >= 0 else lo - pad, hi + pad)
    y0, y1 = ticks[0], ticks[-1]

    def sx(i: float) -> float:
        return left + plot_w * (i + 0.5) / n

    def sy(v: float) -> float:
        return top + plot_h * (1 - (v - y0) / (y1 - y0))

    if bars:
        bvals = [b for b in bars if b is not None]
        if bvals:
            bt = nice_ticks(0.0, max(bvals))
            bw = plot_w / n * 0.7
            for i, b in enumerate(bars):
                if b is None:
                    continue
                h = plot_h * b / bt[-1]
                svg.rect(sx(i) - bw / 2, top + plot_h - h, bw, h, "#dbe4ee", data=True)
            for t in bt:
                yy = top + plot_h * (1 - t / bt[-1])
                svg.text(fmt_tick(t), width - right + 6, yy + 3, 8.5, fill="#8aa0b8")
            svg.text(bars_unit, width - right, top - 6, 8.5, anchor="end", fill="#8aa0b8")
    for t in ticks:
        svg.line(left, sy(t), left + plot_w, sy(t), GRID)
        svg.text(fmt_tick(t), left - 6, sy(t) + 3, 9, anchor="end", fill=MUTED)
    svg.text(unit, left, top - 6, 9, anchor="start", fill=MUTED)
    step = max(1, math.ceil(n / 16))
    for i, (lab, _) in enumerate(points):
        if i % step == 0:
            svg.text(lab, sx(i), top + plot_h + 14, 8.5, anchor="middle", fill=MUTED)
    seg: list[tuple[float, float]] = []
    for i, (_, v) in enumerate(points):
        if v is None:
            svg.polyline(seg, NAVY, 1.6)
            seg = []
            continue
        seg.append((sx(i), sy(v)))
    svg.polyline(seg, NAVY, 1.6)
    for i, (_, v) in enumerate(points):
        if v is not None:
            svg.parts.append(f'<circle cx="{sx(i):.1f}" cy="{sy(v):.1f}" r="2" fill="{NAVY}"/>')
    if mean:
        # the line across the plot, its label in the header row above the plot as a legend
        # entry, where no data point can cross it
        svg.line(left, sy(mean[1]), left + plot_w, sy(mean[1]), AMBER, 1.3, "5 3", "reference")
        x_end = left + plot_w - (text_width(bars_unit, 8.5) + 14 if bars and bars_unit else 0)
        w = text_width(mean[0], 9)
        svg.text(mean[0], x_end, top - 6, 9, anchor="end", fill=AMBER)
        svg.line(x_end - w - 24, top - 9, x_end - w - 6, top - 9, AMBER, 1.3, "5 3")
    return svg.render(title)


def stacked_pair(groups: list[tuple[str, list[tuple[str, float]]]], unit: str, title: str) -> str:
    """Horizontal stacked bars, one per group (e.g. available vs recovered heat)."""
    width = 680.0
    row = 46.0
    left = max(text_width(g, 10.5, 600) for g, _ in groups) + 18
    right = 70.0
    top = 10.0
    height = top + row * len(groups) + 36
    total = max((sum(v for _, v in parts) for _, parts in groups), default=1.0) or 1.0
    ticks = nice_ticks(0.0, total)
    plot_w = width - left - right
    svg = Svg(width, height)

    def sx(v: float) -> float:
        return left + plot_w * v / ticks[-1]

    base = top + row * len(groups)
    for t in ticks:
        svg.line(sx(t), top, sx(t), base, GRID)
        svg.text(fmt_tick(t), sx(t), base + 14, 9, anchor="middle", fill=MUTED)
    svg.text(unit, left + plot_w / 2, base + 28, 9, anchor="middle", fill=MUTED)
    for gi, (g, parts) in enumerate(groups):
        y = top + gi * row
        svg.text(g, left - 8, y + 20, 10.5, anchor="end", weight=600, fill=INK)
        acc = 0.0
        for pi, (lab, v) in enumerate(parts):
            colour = PALETTE[(pi + 3 * gi) % len(PALETTE)]
            x0 = sx(acc)
            svg.rect(
                x0, y + 6, sx(acc + v) - x0, 20, colour, True, stroke="#ffffff", stroke_width="1"
            )
            if sx(acc + v) - x0 > text_width(lab, 8.5) + 6:
                svg.text(lab, x0 + 3, y + 38, 8.5, fill=INK)
            acc += v
        svg.text(fmt(acc, sig_for("°C")), sx(acc) + 5, y + 20, 9.5, weight=600, fill=INK)
    return svg.render(title)


# --------------------------------------------------------------------------- control charts


@dataclass(frozen=True)
class ControlPanel:
    controller: str
    tolerance: float
    t: list[float]  # hours since period start
    e: list[float]  # downsampled error [°C]
    hist_edges: list[float]
    hist_counts: list[int]
    p95: float | None
    caption: str


def control_charts(panels: list[ControlPanel], hours: float, title: str, start: dt.date) -> str:
    """Per controller: error e = actual − setpoint (°C) over the dates of the period against
    ±tolerance, and the histogram of e over all steady-state samples."""
    width = 680.0
    ph = 92.0
    gap = 30.0
    left, mid, right_w = 40.0, 14.0, 150.0
    cw = width - left - mid - right_w - 6
    height = 12 + len(panels) * (ph + gap)
    svg = Svg(width, height)
    ticks = date_ticks(start, hours)
    for k, p in enumerate(panels):
        y = 12 + k * (ph + gap) + 14
        lim = max([p.tolerance * 2.0] + [abs(v) for v in p.e] if p.e else [p.tolerance * 2])
        lim = nice_ticks(0, lim, 2)[-1]

        def sy(v: float, y: float = y, lim: float = lim) -> float:
            return y + ph / 2 - (ph / 2) * v / lim

        svg.text(p.caption, left, y - 7, 9.5, weight=600, fill=INK)
        svg.text("°C", left - 4, y - 7, 8, anchor="end", fill=MUTED)
        svg.rect(left, sy(p.tolerance), cw, sy(-p.tolerance) - sy(p.tolerance), "#e6f1ea")
        svg.rect(left, y, cw, ph, "none", stroke=GRID)
        for v in (-lim, -p.tolerance, 0.0, p.tolerance, lim):
            svg.text(fmt_tick(v), left - 4, sy(v) + 3, 8, anchor="end", fill=MUTED)
        svg.line(left, sy(0), left + cw, sy(0), "#9fb0c0", 0.8, role="reference")
        for v in (p.tolerance, -p.tolerance):
            svg.line(left, sy(v), left + cw, sy(v), GREEN, 0.9, "4 2", role="reference")
        if p.p95 is not None:
            for v in (p.p95, -p.p95):
                vv = max(-lim, min(lim, v))
                svg.line(left, sy(vv), left + cw, sy(vv), AMBER, 0.8, "2 2", role="reference")
        pts = [
            (left + cw * t / hours, sy(max(-lim, min(lim, v))))
            for t, v in zip(p.t, p.e, strict=True)
        ]
        if pts:
            svg.layout.segments.extend(("data", (x, yy), (x + 0.01, yy)) for x, yy in pts)
            d = "".join(f"M{x:.1f},{yy:.1f}h0.01" for x, yy in pts)
            svg.parts.append(
                f'<path d="{d}" stroke="{NAVY}" stroke-width="1.3" stroke-linecap="round" '
                'fill="none" stroke-opacity="0.55"/>'
            )
        for at, text in ticks:
            x = left + cw * at / hours
            svg.line(x, y + ph, x, y + ph + 3, MUTED, 0.8)
            svg.text(text, x, y + ph + 12, 7.5, anchor="middle", fill=MUTED)
        # histogram, horizontal, sharing the y axis
        hx = left + cw + mid
        if p.hist_counts:
            cmax = max(p.hist_counts) or 1
            for c, (a, b) in zip(
                p.hist_counts, zip(p.hist_edges[:-1], p.hist_edges[1:], strict=True), strict=True
            ):
                if c == 0 or b < -lim or a > lim:
                    continue
                ya, yb = sy(min(b, lim)), sy(max(a, -lim))
                colour = TEAL if abs((a + b) / 2) <= p.tolerance else RED
                svg.rect(hx, ya, right_w * c / cmax, max(yb - ya - 0.3, 0.4), colour, True)
        svg.line(hx, y, hx, y + ph, MUTED, 0.8)
        for v in (p.tolerance, -p.tolerance):
            svg.line(hx, sy(v), hx + right_w, sy(v), GREEN, 0.9, "4 2", role="reference")
    return svg.render(title)


def date_ticks(start: dt.date, hours: float) -> list[tuple[float, str]]:
    """Ticks of a time axis that starts at local midnight of ``start`` and lasts ``hours``:
    (hours from the start, label). Every day up to 10 days, every 2nd up to 20, weekly up to
    10 weeks (``12/1``, ``12/8`` …), else the first of each month (``2025-01``)."""
    days = hours / 24
    end = start + dt.timedelta(days=math.floor(days))
    if days > 70:

        def next_month(d: dt.date) -> dt.date:
            return (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)

        out = []
        d = start if start.day == 1 else next_month(start)
        while d <= end:
            out.append(((d - start).days * 24.0, f"{d.year}-{d.month:02d}"))
            d = next_month(d)
        return out
    step = 1 if days <= 10 else 2 if days <= 20 else 7
    dates = ((n, start + dt.timedelta(n)) for n in range(0, math.floor(days) + 1, step))
    return [(n * 24.0, f"{d.month}/{d.day}") for n, d in dates]
