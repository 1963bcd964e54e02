"""Build small datasets in a temporary folder for hand-calculated tests.

``Plant`` starts from a minimal valid plant (one electricity supply meter, one SKU) and each
test adds exactly what it needs; ``write`` produces a dataset folder that follows the
contract (site.yaml + CSV files).
"""

from __future__ import annotations

import copy
import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

BASE_SITE: dict[str, Any] = {
    "contract": "thermaudit.dataset/1",
    "enterprise": {
        "name": "测试压铸有限公司",
        "name_en": "Test Die Casting Co., Ltd.",
        "credit_code": "91320505MA1P7QWK8M",
        "sector": "die_casting",
        "province": "Jiangsu",
    },
    "period": {"start": "2025-03-01", "end": "2025-03-01"},
    "timezone": "Asia/Shanghai",
    "meters": [
        {
            "id": "E-MAIN",
            "carrier": "electricity",
            "unit": "kWh",
            "reading": "cumulative",
            "multiplier": 1,
            "role": "supply",
            "interval_s": 3600,
        }
    ],
    "equipment": [],
    "products": [
        {
            "sku": "P-1",
            "name": "壳体",
            "unit_mass_kg": 2.0,
            "material": "aluminium_alloy",
            "denominator": "mass",
        }
    ],
}


@dataclass
class Plant:
    site: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(BASE_SITE))
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def meter(self, **m: Any) -> Plant:
        base = {
            "unit": "kWh",
            "carrier": "electricity",
            "reading": "cumulative",
            "multiplier": 1,
            "role": "submeter",
            "interval_s": 3600,
        }
        self.site["meters"].append({**base, **m})
        return self

    def rows(self, table: str, *rows: dict[str, Any]) -> Plant:
        self.tables.setdefault(table, []).extend(rows)
        return self

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "site.yaml").write_text(
            yaml.safe_dump(self.site, allow_unicode=True, sort_keys=False), "utf-8"
        )
        tables = dict(self.tables)
        tables.setdefault(
            "production",
            [{"date": "2025-03-01", "sku": "P-1", "line": "L1", "good_qty": 500, "scrap_qty": 0}],
        )
        for name, rows in tables.items():
            cols: list[str] = []
            for r in rows:
                cols += [c for c in r if c not in cols]
            with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
                w = csv.DictWriter(fh, fieldnames=cols)
                w.writeheader()
                for r in rows:
                    w.writerow({k: ("" if v is None else v) for k, v in r.items()})
        return folder


def hourly(
    meter: str, start_value: float, steps: list[float], day: str = "2025-03-01", from_hour: int = 0
) -> list[dict[str, Any]]:
    """Readings of a cumulative meter every hour from ``day`` ``from_hour``:00 (local), the
    register increasing by ``steps``; the first reading is ``start_value``."""
    import datetime as dt

    t = dt.datetime.fromisoformat(day) + dt.timedelta(hours=from_hour)
    rows = [{"meter_id": meter, "timestamp": t.isoformat(sep=" "), "value": start_value}]
    v = start_value
    for s in steps:
        t += dt.timedelta(hours=1)
        v = round(v + s, 6)
        rows.append({"meter_id": meter, "timestamp": t.isoformat(sep=" "), "value": v})
    return rows


# CSV tables of a dataset folder, edited cell by cell


def read_rows(path: Path) -> list[list[str]]:
    """The rows of a CSV table, header first."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    """Write rows as the contract's CSV (UTF-8, LF)."""
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def set_cell(folder: Path, table: str, row: int, column: str, value: str) -> None:
    """Set a cell addressed as a spreadsheet does (header = row 1)."""
    path = folder / f"{table}.csv"
    rows = read_rows(path)
    rows[row - 1][rows[0].index(column)] = value
    write_rows(path, rows)
