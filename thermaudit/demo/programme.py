"""A synthetic diagnostic programme: N enterprises, each a valid dataset (issue #22 part 3).

Each enterprise is the demo plant of :func:`thermaudit.demo.write_demo` (a short period, its
own seed, the clean plant or the plant with a few planted wastes of random size) made into a
different enterprise by rewriting what identifies and sizes it:

- ``site.yaml``: name, unified social credit code (a valid GB 32100 check character),
  sector (die-casting, mold-making, precision casting), province, the products' material;
- size: every meter's ``multiplier``, the production piece counts and the melted metal are
  scaled by one factor, so the plant is the same plant ``factor`` times larger (a few hundred
  to tens of thousands of tonnes a year) and its energy balance still closes;
- data quality: about one enterprise in eight loses the last part of its meter readings
  (``readings.csv`` cut at 70 % of the period), so its assessment covers less than its
  period and the benchmark must flag it.

Nothing here is random without a seed: enterprise ``i`` of seed ``s`` is drawn from
``numpy.random.default_rng([s, i])``, so the same call writes the same bytes.

Public names: :func:`write_programme`, :class:`ProgrammeEnterprise`.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from thermaudit.dataset.site import credit_code_check_digit
from thermaudit.demo.generator import write_demo

__all__ = ["SECTORS", "ProgrammeEnterprise", "assess_programme", "write_programme"]

#: sectors of the programme (the contract's ``enterprise.sector`` values, ``other`` aside)
SECTORS = ("die_casting", "mold_making", "precision_casting")
PROVINCES = ("Guangdong", "Jiangsu", "Zhejiang", "Shandong", "Chongqing", "Hebei", "Anhui")
MATERIALS = ("aluminium_alloy", "aluminium_alloy", "zinc_alloy", "magnesium_alloy")
#: wastes the generator can plant, with the range their size is drawn from
WASTES = {
    "idle_holding": (20.0, 120.0),  # [kW]
    "compressed_air_leakage": (10.0, 60.0),  # [kW]
    "scrap_embodied": (0.02, 0.12),  # [fraction of pieces]
    "unrecovered_heat": (0.1, 0.6),  # [fraction]
    "melting_efficiency": (0.03, 0.15),  # [below the benchmark efficiency]
}
#: size factors: the demo plant makes ~8,000 t a year; 0.05 to 4 × gives ~400 to ~32,000 t
SIZE_FACTORS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
#: share of the period the readings keep in an incomplete enterprise
CUT_AT = 0.7


@dataclass(frozen=True)
class ProgrammeEnterprise:
    """One written enterprise: its folder, the values drawn for it, what it should show."""

    folder: Path
    credit_code: str
    sector: str
    province: str
    material: str
    size_factor: float
    incomplete: bool
    waste: dict[str, float]


def _credit_code(seed: int, i: int) -> str:
    """A valid unified social credit code: 91 (enterprise), area 4400NN, MA + 7 digits."""
    body = f"914400{seed % 100:02d}MA{i % 10**7:07d}"
    return body + credit_code_check_digit(body)


def write_programme(
    out: Path, n: int, *, seed: int = 2025, days: int = 7
) -> list[ProgrammeEnterprise]:
    """Write ``n`` enterprises to ``out/E001/dataset`` … and return what was drawn.

    Parameters
    ----------
    out : Path
        Programme folder (created).
    n : int
        Number of enterprises (at least 1).
    seed : int
        Seed of the programme; enterprise ``i`` uses ``default_rng([seed, i])``.
    days : int
        Period of each plant [days] (the first ``days`` days of December 2025).
    """
    if n < 1:
        raise ValueError(f"--programme needs at least 1 enterprise (found {n})")
    out.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(n)))
    written = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        folder = out / f"E{i + 1:0{width}d}"
        waste = _draw_waste(rng)
        write_demo(
            folder / "dataset",
            seed=int(rng.integers(1, 2**31)),
            days=days,
            waste=waste or None,
            clean=not waste and bool(rng.random() < 0.35),
        )
        ent = ProgrammeEnterprise(
            folder=folder,
            credit_code=_credit_code(seed, i + 1),
            sector=SECTORS[int(rng.integers(len(SECTORS)))],
            province=PROVINCES[int(rng.integers(len(PROVINCES)))],
            material=MATERIALS[int(rng.integers(len(MATERIALS)))],
            size_factor=float(SIZE_FACTORS[int(rng.integers(len(SIZE_FACTORS)))]),
            incomplete=bool(rng.random() < 0.125),
            waste=waste,
        )
        _rewrite(folder / "dataset", ent, i + 1)
        written.append(ent)
    return written


def _draw_waste(rng: np.random.Generator) -> dict[str, float]:
    """Zero to two planted wastes with random sizes (a spread of performance); none in
    nine plants of twenty (the demo plant as it is, or the clean plant)."""
    k = int(rng.choice([0, 1, 2], p=[0.45, 0.35, 0.2]))
    names = [str(x) for x in rng.permutation(list(WASTES))[:k]]
    return {w: round(float(rng.uniform(*WASTES[w])), 3) for w in sorted(names)}


def _rewrite(ds: Path, ent: ProgrammeEnterprise, number: int) -> None:
    site_path = ds / "site.yaml"
    site = yaml.safe_load(site_path.read_text(encoding="utf-8"))
    e = site["enterprise"]
    e["name"] = f"示例企业{number:05d}（合成）"
    e["name_en"] = f"Programme enterprise {number:05d} (synthetic)"
    e["credit_code"] = ent.credit_code
    e["sector"] = ent.sector
    e["province"] = ent.province
    if isinstance(e.get("net_revenue"), dict):
        e["net_revenue"]["amount"] = round(e["net_revenue"]["amount"] * ent.size_factor)
    for m in site.get("meters", []):
        m["multiplier"] = m.get("multiplier", 1) * ent.size_factor
    for p in site.get("products", []):
        p["material"] = ent.material
    header = "# Synthetic programme enterprise written by thermaudit.demo. Not a real enterprise.\n"
    site_path.write_text(
        header + yaml.safe_dump(site, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    _scale_csv(ds / "production.csv", ("good_qty", "scrap_qty"), ent.size_factor, integer=True)
    _scale_csv(ds / "melting.csv", ("metal_kg",), ent.size_factor, integer=False)
    if ent.incomplete:
        _cut_readings(ds / "readings.csv", site["period"])


def _scale_csv(path: Path, columns: tuple[str, ...], factor: float, *, integer: bool) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return
    for r in rows:
        for c in columns:
            v = float(r[c]) * factor
            r[c] = str(round(v)) if integer else f"{v:.1f}"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _cut_readings(path: Path, period: dict[str, str]) -> None:
    start = dt.date.fromisoformat(str(period["start"]))
    end = dt.date.fromisoformat(str(period["end"]))
    span = (end - start).days + 1
    cut = dt.datetime.combine(start, dt.time()) + dt.timedelta(days=math.ceil(span * CUT_AT))
    keep = cut.strftime("%Y-%m-%d %H:%M:%S")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [lines[0]] + [ln for ln in lines[1:] if ln.split(",", 2)[1] < keep]
    path.write_text("".join(kept), encoding="utf-8")


def _assess_one(folder: Path) -> str:
    from thermaudit.api import assess_path

    assess_path(folder / "dataset", folder / "assessment", diagnose=False)
    return str(folder / "assessment" / "assessment.json")


def assess_programme(folders: list[Path], *, workers: int = 2) -> list[Path]:
    """Assess each enterprise's ``dataset`` into its ``assessment`` folder, ``workers``
    processes at a time (no diagnosis section: the benchmark reads the metrics); returns the
    ``assessment.json`` files in the order of ``folders``."""
    from concurrent.futures import ProcessPoolExecutor

    if workers <= 1 or len(folders) == 1:
        return [Path(_assess_one(f)) for f in folders]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [Path(p) for p in pool.map(_assess_one, folders)]
