"""An enterprise's position among its peers, from a published ``benchmark.json`` (#22).

The benchmark publishes quantiles, not values, so the percentile is read off the published
P10, P25, median, P75 and P90 by linear interpolation between them: about right inside that
range, and only "below P10" or "above P90" outside it. The peer cell is the enterprise's
product group × size band when that cell is published, else its sector, else all enterprises.

Public names: :func:`peer_position`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from thermaudit.portfolio.store import METRICS, PROCESS_OF_SECTOR, main_material, size_band

__all__ = ["peer_position"]

_POINTS = (("p10", 10.0), ("p25", 25.0), ("median", 50.0), ("p75", 75.0), ("p90", 90.0))


def percentile_from_quantiles(value: float, stats: dict[str, Any]) -> tuple[str, float | None]:
    """``("within", pct)``, ``("below", None)`` (under P10) or ``("above", None)`` (over P90)."""
    pts = [(float(stats[k]), p) for k, p in _POINTS]
    if value < pts[0][0]:
        return "below", None
    if value > pts[-1][0]:
        return "above", None
    for (x0, p0), (x1, p1) in itertools.pairwise(pts):
        if x0 <= value <= x1:
            return "within", p0 if x1 == x0 else p0 + (value - x0) / (x1 - x0) * (p1 - p0)
    return "within", 90.0  # value == P90 after rounding


def _cells_of(doc: dict[str, Any], bench: dict[str, Any]) -> list[dict[str, Any]]:
    """The published cells the enterprise belongs to, finest first."""
    ent = doc.get("enterprise") or {}
    sector = ent.get("sector")
    upe = (doc.get("metrics") or {}).get("unit_product_energy") or {}
    good_t = float((upe.get("detail") or {}).get("good_mass_t") or 0.0)
    p = doc.get("period") or {}
    days = (dt.date.fromisoformat(p["end"]) - dt.date.fromisoformat(p["start"])).days + 1
    want = {
        "sector": sector,
        "material": main_material(doc),
        "process": PROCESS_OF_SECTOR.get(str(sector), "other"),
        "size_band": size_band(good_t * 365.0 / days),
    }
    cells = [c for c in bench.get("cells", []) if "suppressed" not in c]
    out = []
    for level, keys in (
        ("group", ("sector", "material", "process", "size_band")),
        ("sector", ("sector",)),
        ("overall", ()),
    ):
        out += [c for c in cells if c["level"] == level and all(c.get(k) == want[k] for k in keys)]
    return out


def peer_position(doc: dict[str, Any], bench: dict[str, Any]) -> dict[str, Any] | None:
    """The enterprise of assessment ``doc`` among its peers: for each metric, the finest
    published cell it belongs to that publishes the metric (``None`` when there is none)."""
    cells = _cells_of(doc, bench)
    metrics: dict[str, Any] = {}
    for m in METRICS:
        value = ((doc.get("metrics") or {}).get(m) or {}).get("value")
        if value is None:
            continue
        for cell in cells:
            st = (cell.get("metrics") or {}).get(m) or {}
            if "suppressed" in st or not st.get("count") or st.get("p10") is None:
                continue
            where, pct = percentile_from_quantiles(float(value), st)
            metrics[m] = {
                "value": float(value),
                "position": where,
                "percentile": pct,
                "median": st["median"],
                "count": st["count"],
                "level": cell["level"],
                "labels": {
                    k: cell[k] for k in ("sector", "material", "process", "size_band") if k in cell
                },
            }
            break
    if not metrics:
        return None
    return {"date": str((bench.get("meta") or {}).get("generated_at", ""))[:10], "metrics": metrics}
