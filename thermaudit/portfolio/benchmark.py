"""Sector benchmarks of a portfolio (issue #22 part 2).

What is computed
----------------
Cells form a tree: one *overall* cell, one cell per *sector*, and under each sector one
*group* cell per product group (main material, forming process) × size band. For each cell
and each of the six metrics, plus the per-SKU unit energy (metric 1 of each product): count,
P10, P25, median, P75, P90, mean, and the share of values reaching each grade threshold of the
specification (a ``bands`` metric: each band, the best first; ``tolerance`` and ``required``:
``pass``; ``reference`` metrics have no threshold).

Which values
------------
Each enterprise counts once, with its *latest* assessment (period end, then ``generated_at``,
then sha256; :mod:`thermaudit.portfolio.store`). A value enters the statistics when the metric
qualified and the assessment covers its period (``complete``; see
:data:`~thermaudit.portfolio.store.COMPLETE_PCT`); an incomplete assessment is kept out of the
percentiles and counted in the cell's ``incomplete_excluded``.

Where it runs
-------------
Reading the Parquet dataset and choosing each enterprise's latest assessment are ibis
expressions, run on DuckDB or Spark (:mod:`thermaudit.engine`). What comes back is one row per
enterprise (and per SKU); the order statistics are then taken in memory, sorted, with the
same definition as :func:`thermaudit.metrics.quantile.exact_quantile` (numpy's linear
method), and sums with ``math.fsum`` over sorted values, so two engines give the same bytes.

Anonymity
---------
A cell with fewer than :data:`MIN_CELL` enterprises is suppressed (primary). A metric within
a published cell with fewer than :data:`MIN_CELL` values is suppressed the same way. Because
a parent's count, mean and pass shares are published, one suppressed child could be found by
subtraction (parent minus the published siblings); so among the children of one parent,
whenever any child is suppressed, further children are suppressed (complementary; the
smallest first) until the suppressed children are at least two and hold at least
:data:`MIN_CELL` enterprises together. Subtraction then yields only the pooled figures of
at least five enterprises. The groups under a suppressed sector are all suppressed. The tree
is the only set of margins published, so this rule covers every subtraction. Identities never
leave the store: outliers, non-qualifying and incomplete assessments are listed in a separate
operator file.

Public names: :func:`benchmark`, :func:`write_benchmark`, :data:`MIN_CELL`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np

from thermaudit._version import __version__
from thermaudit.engine import connect, engine_info, is_duckdb
from thermaudit.errors import ThermauditError
from thermaudit.metrics.spec import Specification, load_spec
from thermaudit.portfolio.store import COMPLETE_PCT, METRICS, SIZE_BANDS, Portfolio

__all__ = [
    "MIN_CELL",
    "QUANTILES",
    "InvalidBenchmark",
    "benchmark",
    "linear_quantile",
    "read_benchmark",
    "write_benchmark",
]

SCHEMA = "thermaudit.benchmark/1"
#: no published cell holds fewer enterprises
MIN_CELL = 5
#: the published quantiles
QUANTILES = (("p10", 0.10), ("p25", 0.25), ("median", 0.50), ("p75", 0.75), ("p90", 0.90))
#: robust outlier threshold: |value − median| > K × 1.4826 × MAD (1.4826: MAD → σ, normal)
OUTLIER_K = 3.0
MAD_TO_SIGMA = 1.4826
#: the per-SKU statistic's name beside the six metrics
SKU_METRIC = "sku_unit_energy"
GROUP_KEYS = ("sector", "material", "process", "size_band")


def linear_quantile(sorted_values: list[float], q: float) -> float:
    """Quantile ``q`` of ascending ``sorted_values`` by linear interpolation.

    Notes
    -----
    h = q·(n − 1); x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]): numpy ``method="linear"``, DuckDB
    ``quantile_cont`` and :func:`thermaudit.metrics.quantile.exact_quantile`.
    """
    n = len(sorted_values)
    h = q * (n - 1)
    lo = math.floor(h)
    if lo + 1 >= n or h == lo:
        return sorted_values[lo]
    return sorted_values[lo] + (h - lo) * (sorted_values[lo + 1] - sorted_values[lo])


# -- reading the portfolio on the engine --------------------------------------------------


def _read(con: ibis.BaseBackend, folder: Path) -> ir.Table | None:
    if not any(folder.rglob("*.parquet")):
        return None
    if is_duckdb(con):
        return con.read_parquet(str(folder / "**" / "*.parquet"), hive_partitioning=True)
    return con.read_parquet(str(folder))


def latest_rows(
    con: ibis.BaseBackend, pf: Portfolio
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Each enterprise's latest assessment row and the SKU rows of those assessments, sorted
    by sha256 (and SKU); and the number of assessments in the store."""
    a = _read(con, pf.table_dir("assessments"))
    if a is None:
        return [], [], 0
    a = a.mutate(year=a.year.cast("int64"), sector=a.sector.cast("string"))
    w = ibis.window(
        group_by=a.enterprise,
        order_by=[a.period_end.desc(), a.generated_at.desc(), a.sha256.desc()],
    )
    ranked = a.mutate(_rank=ibis.row_number().over(w))
    latest = ranked.filter(ranked._rank == 0).drop("_rank")
    total = int(con.to_pyarrow(a.count()).as_py())
    rows = con.to_pyarrow(latest.order_by("sha256")).to_pylist()
    s = _read(con, pf.table_dir("skus"))
    skus: list[dict[str, Any]] = []
    if s is not None:
        keep = latest.select("sha256")
        joined = s.drop("year", "sector").semi_join(keep, "sha256")
        skus = con.to_pyarrow(joined.order_by(["sha256", "sku"])).to_pylist()
    return rows, skus, total


# -- the cells ---------------------------------------------------------------------------


@dataclass
class _Cell:
    level: str  # overall | sector | group
    key: tuple[str, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)
    suppressed: str | None = None  # primary | complementary
    metric_suppressed: dict[str, str] = field(default_factory=dict)
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def labels(self) -> dict[str, str]:
        return dict(zip(GROUP_KEYS, self.key, strict=False))


def _thresholds(spec: Specification) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for m in spec.metrics:
        g = m.grading
        kind = g.get("kind")
        if kind == "bands":
            bands = g.get("bands") or g.get("bands_efficiency") or []
            out[m.id] = tuple(str(b["grade"]) for b in bands)
        elif kind in ("tolerance", "required"):
            out[m.id] = ("pass",)
        else:
            out[m.id] = ()
    return out


def _values(cell: _Cell, metric: str, skus: Mapping[str, list[dict[str, Any]]]) -> list[Any]:
    """(value, grade, sha) of the cell's complete, qualified values of ``metric``."""
    out = []
    for r in cell.rows:
        if not r["complete"]:
            continue
        if metric == SKU_METRIC:
            out += [
                (s["unit_energy_kgce_per_t"], None, r["sha256"])
                for s in skus.get(r["sha256"], [])
                if s["unit_energy_kgce_per_t"] is not None
            ]
            continue
        v = r[f"{metric}__value"]
        if v is not None and r[f"{metric}__qualified"]:
            out.append((v, r[f"{metric}__grade"], r["sha256"]))
    return out


def _stats(values: list[Any], thresholds: tuple[str, ...]) -> dict[str, Any]:
    xs = sorted(float(v[0]) for v in values)
    enterprises = len({v[2] for v in values})
    st: dict[str, Any] = {"count": enterprises}
    if len(xs) != enterprises:
        st["values"] = len(xs)
    if not xs:
        st.update({name: None for name, _ in QUANTILES} | {"mean": None})
        return st
    for name, q in QUANTILES:
        st[name] = linear_quantile(xs, q)
    st["mean"] = math.fsum(xs) / len(xs)
    if thresholds:
        grades = [v[1] for v in values]
        st["passing"] = {
            g: sum(1 for x in grades if x in thresholds[: i + 1]) / len(grades)
            for i, g in enumerate(thresholds)
        }
    return st


def _protect(
    counts: Mapping[tuple[str, ...], int], already: set[tuple[str, ...]]
) -> dict[tuple[str, ...], str]:
    """Suppressed children of one parent: ``{key: "primary" | "complementary"}``."""
    out = {k: "primary" for k, n in counts.items() if 0 < n < MIN_CELL and k not in already}
    hidden = set(out) | (already & set(counts))
    if not hidden:
        return out
    while len(hidden) < 2 or sum(counts[k] for k in hidden) < MIN_CELL:
        rest = sorted((n, k) for k, n in counts.items() if k not in hidden and n > 0)
        if not rest:
            break
        hidden.add(rest[0][1])
        out[rest[0][1]] = "complementary"
    return out


def _build_cells(rows: list[dict[str, Any]]) -> tuple[_Cell, dict, dict]:
    overall = _Cell("overall", ())
    sectors: dict[tuple[str, ...], _Cell] = {}
    groups: dict[tuple[str, ...], dict[tuple[str, ...], _Cell]] = {}
    for r in rows:
        sk = (r["sector"],)
        gk = tuple(str(r[k]) for k in GROUP_KEYS)
        overall.rows.append(r)
        sectors.setdefault(sk, _Cell("sector", sk)).rows.append(r)
        groups.setdefault(sk, {}).setdefault(gk, _Cell("group", gk)).rows.append(r)
    return overall, sectors, groups


def _suppress(overall: _Cell, sectors: dict, groups: dict, metrics: Iterable[str]) -> None:
    if 0 < len(overall.rows) < MIN_CELL:
        overall.suppressed = "primary"
    for k, why in _protect({k: len(c.rows) for k, c in sectors.items()}, set()).items():
        sectors[k].suppressed = why
    if overall.suppressed:
        for c in sectors.values():
            c.suppressed = c.suppressed or "complementary"
    for sk, children in groups.items():
        for k, why in _protect({k: len(c.rows) for k, c in children.items()}, set()).items():
            children[k].suppressed = why
        if sectors[sk].suppressed:
            for c in children.values():
                c.suppressed = c.suppressed or "complementary"
    for m in metrics:
        if overall.suppressed is None and 0 < overall.stats[m]["count"] < MIN_CELL:
            overall.metric_suppressed[m] = "primary"
        families = [(overall, sectors)] + [(sectors[sk], ch) for sk, ch in groups.items()]
        for parent, children in families:
            counts = {k: c.stats[m]["count"] for k, c in children.items()}
            already = {k for k, c in children.items() if c.suppressed or m in c.metric_suppressed}
            if parent.suppressed or m in parent.metric_suppressed:
                already = set(children)
            for k, why in _protect(counts, already).items():
                children[k].metric_suppressed[m] = why
            for k in already:
                if not children[k].suppressed:
                    children[k].metric_suppressed.setdefault(m, "complementary")


def _outliers(cell: _Cell, metric: str, values: list[Any]) -> list[dict[str, Any]]:
    if len(values) < 3:
        return []
    xs = np.array(sorted(float(v[0]) for v in values))
    med = float(np.median(xs))
    mad = float(np.median(np.abs(xs - med)))
    if mad == 0:
        return []
    limit = OUTLIER_K * MAD_TO_SIGMA * mad
    return [
        {"sha256": v[2], "metric": metric, "value": v[0], "median": med, "mad": mad}
        for v in values
        if abs(float(v[0]) - med) > limit
    ]


def benchmark(
    pf: Portfolio,
    *,
    engine: str | None = None,
    spec: Specification | None = None,
    now: dt.datetime | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The published benchmark document and the operator's review document of ``pf``."""
    spec = spec or load_spec()
    con = connect(engine)
    rows, sku_rows, total = latest_rows(con, pf)
    skus: dict[str, list[dict[str, Any]]] = {}
    for s in sku_rows:
        skus.setdefault(s["sha256"], []).append(s)
    thresholds = _thresholds(spec)
    metrics = (*METRICS, SKU_METRIC)
    overall, sectors, groups = _build_cells(rows)
    every = [overall, *sectors.values(), *(c for ch in groups.values() for c in ch.values())]
    review: list[dict[str, Any]] = []
    for c in every:
        for m in metrics:
            vals = _values(c, m, skus)
            c.stats[m] = st = _stats(vals, thresholds.get(m, ()))
            if m != SKU_METRIC:
                st["not_qualified"] = sum(
                    1 for r in c.rows if r["complete"] and not r[f"{m}__qualified"]
                )
            if c.level != "overall":
                found = _outliers(c, m, vals)
                st["outliers_flagged"] = len(found)
                review += [{"reason": "outlier", "level": c.level, **c.labels, **o} for o in found]
    _suppress(overall, sectors, groups, metrics)
    review += _unqualified(rows)
    ids = {r["sha256"]: r for r in rows}
    for item in review:
        r = ids[item["sha256"]]
        item.update(enterprise=r["enterprise"], period_end=r["period_end"])
    cells = [_publish(c, metrics) for c in every]
    digest = hashlib.sha256("".join(sorted(ids)).encode()).hexdigest()
    doc = {
        "schema": SCHEMA,
        "specification": spec.ref,
        "rules": {
            "min_cell_enterprises": MIN_CELL,
            "quantiles": "linear interpolation (numpy method='linear')",
            "outlier": f"|value - median| > {OUTLIER_K} x {MAD_TO_SIGMA} x MAD within the cell",
            "size_bands_t_per_year": dict(SIZE_BANDS),
            "complete_when_completeness_pct_at_least": COMPLETE_PCT,
            "thresholds": {m: list(t) for m, t in thresholds.items() if t},
        },
        "cells": cells,
        "meta": {
            "generated_at": (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
            "engine": engine_info(con),
            "software": {"thermaudit": __version__, "ibis": ibis.__version__},
            "inputs": {
                "assessments_in_store": total,
                "latest_assessments": len(rows),
                "latest_sha256_digest": digest,
            },
        },
    }
    operator = {
        "schema": "thermaudit.benchmark-review/1",
        "note": "operator only: names enterprises; never publish",
        "items": sorted(review, key=lambda x: (x["enterprise"], x["metric"], x["reason"])),
    }
    return doc, operator


def _unqualified(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        if not r["complete"]:
            out.append(
                {
                    "reason": "incomplete_period",
                    "metric": "*",
                    "sha256": r["sha256"],
                    "completeness_pct": r["completeness_pct"],
                }
            )
        for m in METRICS:
            if not r[f"{m}__qualified"]:
                out.append({"reason": "not_qualified", "metric": m, "sha256": r["sha256"]})
    return out


def _publish(c: _Cell, metrics: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"level": c.level, **c.labels}
    if c.suppressed:
        out["suppressed"] = c.suppressed
        return out
    out["enterprises"] = len(c.rows)
    out["incomplete_excluded"] = sum(1 for r in c.rows if not r["complete"])
    ms = {}
    for m in metrics:
        if m in c.metric_suppressed:
            ms[m] = {"suppressed": c.metric_suppressed[m]}
        else:
            ms[m] = c.stats[m]
    out["metrics"] = ms
    return out


# -- files ---------------------------------------------------------------------------------


def labels() -> dict[str, dict[str, str]]:
    """Trilingual labels of the codes the workbook shows (``code → {en, zh, ko}``)."""
    text = resources.files("thermaudit.portfolio").joinpath("data/labels.csv").read_text("utf-8")
    return {
        r["code"]: {k: r[k] for k in ("en", "zh", "ko")} for r in csv.DictReader(text.splitlines())
    }


def write_benchmark(
    pf: Portfolio, out: Path, *, engine: str | None = None, spec: Specification | None = None
) -> dict[str, Path]:
    """Write ``benchmark.json``, ``benchmark.xlsx`` and ``operator/review.json`` to ``out``."""
    spec = spec or load_spec()
    doc, operator = benchmark(pf, engine=engine, spec=spec)
    out.mkdir(parents=True, exist_ok=True)
    (out / "operator").mkdir(exist_ok=True)
    files = {
        "json": out / "benchmark.json",
        "xlsx": out / "benchmark.xlsx",
        "review": out / "operator" / "review.json",
    }
    files["json"].write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", "utf-8")
    files["review"].write_text(json.dumps(operator, ensure_ascii=False, indent=1) + "\n", "utf-8")
    _workbook(doc, spec, files["xlsx"])
    return files


def _workbook(doc: dict[str, Any], spec: Specification, path: Path) -> None:
    from openpyxl import Workbook

    lab = labels()
    names = {m.id: {"en": m.name_en, "zh": m.name_zh, "ko": m.name_ko} for m in spec.metrics}
    names[SKU_METRIC] = lab[SKU_METRIC]
    units = {m.id: m.unit for m in spec.metrics} | {SKU_METRIC: "kgce/t"}

    def tri(d: Mapping[str, str]) -> str:
        return f"{d['zh']} / {d['en']} / {d['ko']}"

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "benchmark"
    header = [
        ("行业", "sector", "업종"),
        ("材料", "material", "재료"),
        ("工艺", "process", "공정"),
        ("规模", "size", "규모"),
        ("指标", "metric", "지표"),
        ("单位", "unit", "단위"),
        ("企业数", "enterprises", "기업 수"),
        ("P10", "P10", "P10"),
        ("P25", "P25", "P25"),
        ("中位数", "median", "중앙값"),
        ("P75", "P75", "P75"),
        ("P90", "P90", "P90"),
        ("平均值", "mean", "평균"),
        ("达标比例", "share passing", "기준 충족 비율"),
        ("期间不完整（未计入）", "period incomplete (not counted)", "기간 불완전(미포함)"),
        ("标记的离群值", "outliers flagged", "표시된 이상값"),
    ]
    ws.append([f"{zh} / {en} / {ko}" for zh, en, ko in header])
    for c in doc["cells"]:
        where = [
            tri(lab[c[k]]) if k in c else tri(lab["overall"]) if k == "sector" else ""
            for k in GROUP_KEYS
        ]
        if "suppressed" in c:
            ws.append(
                [
                    *where,
                    "",
                    "",
                    tri(lab["suppressed" if c["suppressed"] == "primary" else "complementary"]),
                ]
            )
            continue
        for m, st in c["metrics"].items():
            if "suppressed" in st:
                ws.append(
                    [
                        *where,
                        tri(names[m]),
                        units[m],
                        tri(
                            lab["suppressed" if st["suppressed"] == "primary" else "complementary"]
                        ),
                    ]
                )
                continue
            passing = "; ".join(
                f"{tri(lab[g])} {v:.0%}" for g, v in (st.get("passing") or {}).items()
            )
            ws.append(
                [
                    *where,
                    tri(names[m]),
                    units[m],
                    st["count"],
                    *(st[q] for q, _ in QUANTILES),
                    st["mean"],
                    passing,
                    c["incomplete_excluded"],
                    st.get("outliers_flagged"),
                ]
            )
    wb.save(path)


class InvalidBenchmark(ThermauditError, ValueError):
    """A file that is not a ``thermaudit.benchmark/1`` document."""


def read_benchmark(path: Path) -> dict[str, Any]:
    """A published ``benchmark.json``; a refusal naming the file when it is not one."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidBenchmark(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InvalidBenchmark(f"{path}: not JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise InvalidBenchmark(
            f"{path}: expected schema {SCHEMA!r}, found {found!r}",
            hint="write it with `thermaudit benchmark PORTFOLIO -o OUT`",
        )
    return doc
