"""Reference data shipped with the package: coefficients, emission factors, grid factors,
provinces. Every row carries a ``source`` and a ``confidence``; these files are the single
source for the engine, the documentation and the report annex.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from typing import Any

_FILES = (
    "provinces",
    "coefficients",
    "emission_factors",
    "grid_factors",
    "materials",
    "metal_factors",
    "grid_mix",
)


@cache
def table(name: str) -> tuple[dict[str, Any], ...]:
    """Rows of the reference table ``name`` (numbers parsed, empty cells ``None``)."""
    if name not in _FILES:
        raise KeyError(f"unknown reference table {name!r}; known: {', '.join(_FILES)}")
    text = resources.files(__package__).joinpath("data", f"{name}.csv").read_text("utf-8")
    rows = []
    for raw in csv.DictReader(text.splitlines()):
        row: dict[str, Any] = {}
        for k, v in raw.items():
            if v is None or v == "":
                row[k] = None
                continue
            try:
                row[k] = float(v) if k not in ("year",) else int(v)
            except ValueError:
                row[k] = v
        rows.append(row)
    return tuple(rows)


def province_region(province: str) -> str | None:
    """Grid region of a province given in English or Chinese (case-insensitive), else None."""
    key = province.strip().lower()
    for row in table("provinces"):
        if key in (row["province"].lower(), row["name_zh"]):
            return str(row["region"])
    return None


def province_names() -> list[str]:
    return [str(r["province"]) for r in table("provinces")]


def density(carrier: str) -> float | None:
    """Density of a liquid fuel from the coefficient table [kg/L], else None."""
    for row in table("coefficients"):
        if row["carrier"] == carrier and row.get("density_kg_per_l"):
            return float(row["density_kg_per_l"])
    return None
