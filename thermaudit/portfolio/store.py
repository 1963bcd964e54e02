"""The portfolio store: many enterprises' assessments in one Parquet dataset (issue #22 part 1).

Design
------
A portfolio is a folder::

    PF/portfolio.json            marker: {"schema": "thermaudit.portfolio/1"}
    PF/catalog.sqlite            one row per assessment added (sha256, enterprise, period…)
    PF/assessments/year=Y/sector=S/<sha256>.parquet   one row: metrics, grades, verdicts
    PF/skus/year=Y/sector=S/<sha256>.parquet          one row per SKU (unit energy)
    PF/controllers/year=Y/sector=S/<sha256>.parquet   one row per mold temperature controller

``year`` is the year the assessment period ends in, ``sector`` the enterprise's sector; both
are Hive partition keys (in the folder names, not in the files), which DuckDB and Spark read
alike. An assessment is identified by the SHA-256 of its ``assessment.json`` bytes: adding
the same bytes again changes nothing. Nothing is ever deleted or rewritten: a newer
assessment of the same enterprise (its unified social credit code) *supersedes* the older one
for benchmarking — the benchmark keeps, per enterprise, the assessment whose period ends last
(then the latest ``generated_at``, then the larger sha256) — but both stay in the store.

The enterprise's credit code is kept in the store (the operator must know whose assessment
is whose); it never leaves it in a benchmark output.

Public names: :func:`init_portfolio`, :func:`open_portfolio`, :class:`Portfolio`,
:class:`Added`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from thermaudit.errors import InvalidAssessment, Problem, ThermauditError
from thermaudit.exports import read_assessment
from thermaudit.metrics.result import Assessment

__all__ = [
    "COMPLETE_PCT",
    "SIZE_BANDS",
    "Added",
    "Portfolio",
    "PortfolioError",
    "init_portfolio",
    "open_portfolio",
]

SCHEMA = "thermaudit.portfolio/1"
MARKER = "portfolio.json"
CATALOG = "catalog.sqlite"
TABLES = ("assessments", "skus", "controllers")

#: the six metrics, in the specification's order (columns ``<id>__value`` etc.)
METRICS = (
    "unit_product_energy",
    "waste_heat_recovery_rate",
    "mold_temperature_control_accuracy",
    "melting_energy_intensity",
    "unit_product_carbon_intensity",
    "energy_metering_coverage",
)
#: the sector's forming process: with the main material it names the product group
PROCESS_OF_SECTOR = {
    "die_casting": "die_casting",
    "mold_making": "mold_making",
    "precision_casting": "investment_casting",
    "other": "other",
}
#: size bands by good output per year (period output scaled to 365 days) [t/a]: (name, min)
SIZE_BANDS = (("under_1kt", 0.0), ("1-5kt", 1000.0), ("5-20kt", 5000.0), ("20kt_plus", 20000.0))
#: an assessment covers its period when its meters delivered at least this share of the
#: intervals the period holds (energy metering coverage's ``completeness``) [%]
COMPLETE_PCT = 95.0


class PortfolioError(ThermauditError, ValueError):
    """The folder is not a portfolio, or already is one."""


@dataclass(frozen=True)
class Added:
    """What :meth:`Portfolio.add` did with one assessment."""

    source: Path
    sha256: str
    unchanged: bool  # the same bytes were already in the portfolio
    supersedes: tuple[str, ...]  # sha256 of this enterprise's assessments it now supersedes


def init_portfolio(path: Path) -> Portfolio:
    """Create an empty portfolio in ``path`` (a new or empty folder)."""
    path = Path(path)
    if (path / MARKER).exists():
        raise PortfolioError(
            f"{path / MARKER}: a portfolio already exists here",
            hint="add assessments with `thermaudit portfolio add`",
        )
    if path.exists() and any(path.iterdir()):
        raise PortfolioError(
            f"{path}: the folder is not empty; a portfolio needs a new or empty folder"
        )
    path.mkdir(parents=True, exist_ok=True)
    with _connect(path) as db:
        db.execute(
            "CREATE TABLE assessments (sha256 TEXT PRIMARY KEY, enterprise TEXT NOT NULL,"
            " year INTEGER NOT NULL, sector TEXT NOT NULL, period_start TEXT NOT NULL,"
            " period_end TEXT NOT NULL, generated_at TEXT NOT NULL, source TEXT NOT NULL,"
            " added_at TEXT NOT NULL)"
        )
    (path / MARKER).write_text(json.dumps({"schema": SCHEMA}) + "\n", encoding="utf-8")
    return Portfolio(path)


def open_portfolio(path: Path) -> Portfolio:
    """Open the portfolio in ``path``; a refusal naming the file when there is none."""
    path = Path(path)
    marker = path / MARKER
    try:
        doc = json.loads(marker.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        raise PortfolioError(
            f"{marker}: no portfolio here", hint="create one with `thermaudit portfolio init`"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PortfolioError(f"{marker}: not a portfolio marker ({e})") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise PortfolioError(f"{marker}: expected schema {SCHEMA!r}, found {doc!r}")
    return Portfolio(path)


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path / CATALOG)


class Portfolio:
    """An opened portfolio folder (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def table_dir(self, table: str) -> Path:
        """Folder of the Parquet dataset ``table`` (one of :data:`TABLES`)."""
        if table not in TABLES:
            raise KeyError(f"no portfolio table {table!r}; tables: {', '.join(TABLES)}")
        return self.path / table

    def catalog(self) -> list[dict[str, Any]]:
        """Every assessment added, oldest first (the operator's view: identities included)."""
        with _connect(self.path) as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM assessments ORDER BY added_at, sha256").fetchall()
        return [dict(r) for r in rows]

    def add(self, source: Path) -> Added:
        """Add the ``assessment.json`` of folder ``source`` (or that file itself).

        Raises
        ------
        InvalidAssessment
            Naming the file and the key when the document is not a usable assessment.
        """
        source = Path(source)
        folder = source.parent if source.name == "assessment.json" else source
        doc, data = read_assessment(folder)
        file = str(folder / "assessment.json")
        sha = hashlib.sha256(data).hexdigest()
        with _connect(self.path) as db:
            if db.execute("SELECT 1 FROM assessments WHERE sha256 = ?", (sha,)).fetchone():
                return Added(folder, sha, True, ())
        rec = _record(doc, file)
        rec["signature"] = _signature_status(folder)
        year, sector = rec.pop("year"), rec.pop("sector")
        rows = {
            "assessments": [{"sha256": sha, **rec}],
            "skus": [{"sha256": sha, **r} for r in _skus(doc)],
            "controllers": [{"sha256": sha, **r} for r in _controllers(doc)],
        }
        for table, table_rows in rows.items():
            _write_part(
                self.table_dir(table) / f"year={year}" / f"sector={sector}", sha, table_rows
            )
        with _connect(self.path) as db:
            older = [
                r[0]
                for r in db.execute(
                    "SELECT sha256 FROM assessments WHERE enterprise = ? AND"
                    " (period_end, generated_at, sha256) < (?, ?, ?)",
                    (rec["enterprise"], rec["period_end"], rec["generated_at"], sha),
                )
            ]
            db.execute(
                "INSERT INTO assessments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sha,
                    rec["enterprise"],
                    year,
                    sector,
                    rec["period_start"],
                    rec["period_end"],
                    rec["generated_at"],
                    file,
                    dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                ),
            )
        return Added(folder, sha, False, tuple(sorted(older)))


#: the Arrow type of every column of the assessments table, so that every file has one schema
_ASSESSMENT_TYPES: dict[str, pa.DataType] = {
    "sha256": pa.string(),
    "enterprise": pa.string(),
    "province": pa.string(),
    "material": pa.string(),
    "process": pa.string(),
    "size_band": pa.string(),
    "good_output_t_per_year": pa.float64(),
    "period_start": pa.string(),
    "period_end": pa.string(),
    "period_days": pa.int64(),
    "generated_at": pa.string(),
    "completeness_pct": pa.float64(),
    "complete": pa.bool_(),
    "signature": pa.string(),
    **{
        f"{m}__{part}": t
        for m in METRICS
        for part, t in (("value", pa.float64()), ("grade", pa.string()), ("qualified", pa.bool_()))
    },
}
_SKU_TYPES = {
    "sha256": pa.string(),
    "sku": pa.string(),
    "material": pa.string(),
    "good_mass_t": pa.float64(),
    "unit_energy_kgce_per_t": pa.float64(),
}
_CONTROLLER_TYPES = {
    "sha256": pa.string(),
    "controller": pa.string(),
    "p95_abs_c": pa.float64(),
    "tolerance_c": pa.float64(),
    "samples": pa.int64(),
    "passed": pa.bool_(),
}
_TYPES = {"assessments": _ASSESSMENT_TYPES, "skus": _SKU_TYPES, "controllers": _CONTROLLER_TYPES}


def _write_part(folder: Path, sha: str, rows: list[dict[str, Any]]) -> None:
    table = folder.parent.parent.name
    schema = pa.schema(list(_TYPES[table].items()))
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{sha}.parquet.tmp"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp)
    os.replace(tmp, folder / f"{sha}.parquet")


def _get(doc: dict[str, Any], file: str, *keys: str, kind: type = str) -> Any:
    node: Any = doc
    for i, k in enumerate(keys):
        if not isinstance(node, dict) or node.get(k) is None:
            path = ".".join(keys[: i + 1])
            found = "nothing" if not isinstance(node, dict) else "null"
            raise InvalidAssessment(Problem(file, None, path, kind.__name__, found))
        node = node[k]
    if not isinstance(node, kind) or (isinstance(node, bool) and kind is not bool):
        raise InvalidAssessment(
            Problem(file, None, ".".join(keys), kind.__name__, type(node).__name__)
        )
    return node


def _date(doc: dict[str, Any], file: str, key: str) -> dt.date:
    text = _get(doc, file, "period", key)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidAssessment(
            Problem(file, None, f"period.{key}", "a date YYYY-MM-DD", repr(text))
        ) from None


def size_band(t_per_year: float) -> str:
    """The :data:`SIZE_BANDS` name of a good output of ``t_per_year`` [t/a]."""
    return [name for name, lo in SIZE_BANDS if t_per_year >= lo][-1]


def _record(doc: dict[str, Any], file: str) -> dict[str, Any]:
    """The assessments row of ``doc`` (plus ``year`` and ``sector``, the partition keys)."""
    enterprise = _get(doc, file, "enterprise", "credit_code")
    sector = _get(doc, file, "enterprise", "sector")
    if sector not in PROCESS_OF_SECTOR:
        raise InvalidAssessment(
            Problem(file, None, "enterprise.sector", " | ".join(PROCESS_OF_SECTOR), repr(sector))
        )
    start, end = _date(doc, file, "start"), _date(doc, file, "end")
    days = (end - start).days + 1
    metrics = Assessment.from_json(doc, source=file).metrics
    upe = metrics.get("unit_product_energy")
    good_t = float((upe.detail.get("good_mass_t") if upe else None) or 0.0)
    per_year = good_t * 365.0 / days
    coverage = metrics.get("energy_metering_coverage")
    completeness = coverage.detail.get("completeness") if coverage else None
    completeness = float(completeness) if isinstance(completeness, int | float) else None
    rec: dict[str, Any] = {
        "year": end.year,
        "sector": sector,
        "enterprise": enterprise,
        "province": str(doc["enterprise"].get("province") or ""),
        "material": main_material(doc),
        "process": PROCESS_OF_SECTOR[sector],
        "size_band": size_band(per_year),
        "good_output_t_per_year": per_year,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "period_days": days,
        "generated_at": str(doc.get("generated_at") or ""),
        "completeness_pct": completeness,
        "complete": completeness is not None and completeness >= COMPLETE_PCT,
    }
    for m in METRICS:
        r = metrics.get(m)
        value = r.value if r is not None else None
        ok = value is not None and math.isfinite(value)
        rec[f"{m}__value"] = float(value) if ok else None  # type: ignore[arg-type]
        rec[f"{m}__grade"] = r.grade if r is not None else None
        rec[f"{m}__qualified"] = bool(r.qualified) if r is not None else False
    return rec


def main_material(doc: dict[str, Any]) -> str:
    """The material of the largest good mass among the SKUs (``unknown`` without SKUs)."""
    by_sku = (doc.get("product_footprint") or {}).get("by_sku") or {}
    mass: dict[str, float] = {}
    for row in by_sku.values():
        if isinstance(row, dict) and row.get("material"):
            m = str(row["material"])
            mass[m] = mass.get(m, 0.0) + float(row.get("good_mass_t") or 0.0)
    return max(sorted(mass), key=lambda k: mass[k]) if mass else "unknown"


def _skus(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-SKU unit energy of metric 1's ``by_sku`` [kgce/t], with the SKU's material."""
    upe = ((doc.get("metrics") or {}).get("unit_product_energy") or {}).get("detail") or {}
    footprint = (doc.get("product_footprint") or {}).get("by_sku") or {}
    rows = []
    for sku, row in sorted((upe.get("by_sku") or {}).items()):
        if not isinstance(row, dict):
            continue
        value = row.get("value")
        rows.append(
            {
                "sku": str(sku),
                "material": str((footprint.get(sku) or {}).get("material") or "unknown"),
                "good_mass_t": _num(row.get("good_mass_t")),
                "unit_energy_kgce_per_t": _num(value),
            }
        )
    return rows


def _controllers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-controller results of metric 3's ``by_controller``."""
    mold = (doc.get("metrics") or {}).get("mold_temperature_control_accuracy") or {}
    rows = []
    for cid, row in sorted(((mold.get("detail") or {}).get("by_controller") or {}).items()):
        if not isinstance(row, dict):
            continue
        samples = row.get("samples")
        rows.append(
            {
                "controller": str(cid),
                "p95_abs_c": _num(row.get("p95_abs_c")),
                "tolerance_c": _num(row.get("tolerance_c")),
                "samples": int(samples) if isinstance(samples, int) else None,
                "passed": row.get("pass") if isinstance(row.get("pass"), bool) else None,
            }
        )
    return rows


def _num(v: Any) -> float | None:
    ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    return float(v) if ok else None


def _signature_status(folder: Path) -> str:
    """``unsigned`` (no manifest.sig), ``valid`` or ``invalid`` (the signed folder changed)."""
    if not (folder / "manifest.sig").is_file():
        return "unsigned"
    from thermaudit.signing import verify_folder

    return "valid" if verify_folder(folder).valid else "invalid"
