"""The demo plant's maintenance log and quality department's record (contract, added 2026-12),
for the cross-department reconciliation.

Both are written from what the plant did, so they agree with production, the meters and the
mold logs except where something is planted on purpose:

* ``maintenance``: the planned die repair the generator simulates (the line's machine under
  maintenance 10:00–14:00 on one working day while the line produces the rest of the day, a
  date-only production row on a maintenance day: ``quality.maintenance.production``) and one
  unplanned stop of a die-casting machine on a day without shifts (consistent with
  production and with its meter);
* ``quality``: per day, SKU and line, the pieces inspected (good + scrap) and production's
  scrap, except on one day and line where the quality department counted more scrap than
  production booked (``quality.scrap.mismatch``).

No random draws: the plant's random streams, and so every metric, are unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Stop", "write_maintenance", "write_quality"]

#: main defects the inspectors note, cycled by day and line (synthetic)
_DEFECTS = ("porosity", "cold shut", "flash", "misrun", "dimensional")


@dataclass(frozen=True)
class Stop:
    """One maintenance window: equipment id, local (naive) start and end, kind, note."""

    equipment_id: str
    start: dt.datetime
    end: dt.datetime
    kind: str
    note: str


def write_maintenance(folder: Path, stops: Sequence[Stop]) -> dict[str, int]:
    """Write ``maintenance.csv`` (local wall times); returns the rows written."""
    with (folder / "maintenance.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["equipment_id", "start", "end", "kind", "note"])
        for s in sorted(stops, key=lambda s: (s.start, s.equipment_id)):
            start, end = f"{s.start:%Y-%m-%d %H:%M:%S}", f"{s.end:%Y-%m-%d %H:%M:%S}"
            w.writerow([s.equipment_id, start, end, s.kind, s.note])
    return {"maintenance": len(stops)}


def write_quality(
    folder: Path,
    production: Sequence[dict[str, Any]],
    planted: tuple[dt.date, str] | None,
) -> tuple[dict[str, int], dict[str, Any] | None]:
    """Write ``quality.csv`` from the production rows (``date, sku, line, good_qty,
    scrap_qty``, one per shift): one record per day, SKU and line. On ``planted`` (day,
    line) the inspectors' scrap is production's + max(12, 25 %) (pieces rejected at final
    inspection that production had booked good). Returns the rows written and the planted
    record (``None`` when the day and line made nothing)."""
    days: dict[tuple[dt.date, str, str], list[int]] = {}
    for r in production:
        good_scrap = days.setdefault((r["date"], r["sku"], r["line"]), [0, 0])
        good_scrap[0] += int(r["good_qty"])
        good_scrap[1] += int(r["scrap_qty"])
    truth = None
    table = "quality"
    with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["date", "sku", "line", "inspected_qty", "scrap_qty", "defect"])
        for i, ((day, sku, line), (good, scrap)) in enumerate(sorted(days.items())):
            inspected, found = good + scrap, scrap
            if planted is not None and (day, line) == planted:
                found = min(inspected, scrap + max(12, scrap // 4))
                truth = {"sku": sku, "production_scrap": scrap, "quality_scrap": found}
            defect = _DEFECTS[(day.toordinal() + i) % len(_DEFECTS)] if found else ""
            w.writerow([day.isoformat(), sku, line, inspected, found, defect])
    return {table: len(days)}, truth
