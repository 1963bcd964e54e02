"""Portfolio build and benchmark time for 100, 1,000 and 10,000 enterprises (issue #22).

Usage::

    .venv/bin/python benchmarks/bench_programme.py [--sizes 100 1000 10000]
        [--engines duckdb spark] [--data benchmarks/.data/programme] [--json FILE]

One real assessment (the demo plant, 7 days, assessed once) is the template; each synthetic
enterprise is that document with its own credit code, sector, material, size and metric
values drawn around the template's (a log-normal factor, sigma 0.25), standing in for
assessments the machine cannot make by the thousand in an hour. For each size the script
builds the portfolio (``portfolio init`` + one ``portfolio add`` of every folder) and then
runs ``benchmark`` on each engine, each step in its own subprocess so that its peak RSS is
that process's ``ru_maxrss``. The scaling exponent b of each step is the least-squares slope
of log(time) against log(N).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

PY = sys.executable
SECTORS = ("die_casting", "mold_making", "precision_casting")
MATERIALS = ("aluminium_alloy", "zinc_alloy", "magnesium_alloy")


def _run(args: list[str]) -> tuple[float, float]:
    """Wall time [s] and peak RSS [MB] of ``python -m thermaudit ARGS``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([PY, "-m", "thermaudit", *args], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"thermaudit {' '.join(args)} failed ({status})")
    return time.perf_counter() - t0, usage.ru_maxrss / 1024


def _template(data: Path) -> dict:
    done = data / "template" / "assessment" / "assessment.json"
    if not done.is_file():
        subprocess.run(
            [
                PY,
                "-m",
                "thermaudit",
                "demo",
                "--programme",
                "1",
                "-o",
                str(data / "template"),
                "--days",
                "7",
            ],
            check=True,
        )
        shutil.move(str(data / "template" / "E001" / "assessment"), str(done.parent))
    return json.loads(done.read_text(encoding="utf-8"))


def _write(template: dict, folder: Path, n: int, seed: int = 22) -> list[Path]:
    from thermaudit.dataset.site import credit_code_check_digit

    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        doc = json.loads(json.dumps(template))
        body = f"91440000MA{i:07d}"
        doc["enterprise"]["credit_code"] = body + credit_code_check_digit(body)
        doc["enterprise"]["sector"] = SECTORS[int(rng.integers(3))]
        for m in doc["metrics"].values():
            if m.get("value") is not None:
                m["value"] *= float(rng.lognormal(0, 0.25))
        upe = doc["metrics"]["unit_product_energy"]["detail"]
        upe["good_mass_t"] *= float(rng.choice([0.05, 0.25, 1.0, 4.0]))
        mat = MATERIALS[int(rng.integers(3))]
        for s in doc["product_footprint"]["by_sku"].values():
            s["material"] = mat
        f = folder / f"E{i:06d}"
        f.mkdir(parents=True, exist_ok=True)
        (f / "assessment.json").write_text(json.dumps(doc), encoding="utf-8")
        out.append(f)
    return out


def _slope(ns: list[int], ts: list[float]) -> float | None:
    if len(ns) < 2:
        return None
    return float(np.polyfit([math.log(n) for n in ns], [math.log(t) for t in ts], 1)[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    ap.add_argument("--engines", nargs="+", default=["duckdb", "spark"])
    ap.add_argument("--data", type=Path, default=Path("benchmarks/.data/programme"))
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    template = _template(a.data)
    rows = []
    for n in a.sizes:
        base = a.data / f"n{n}"
        shutil.rmtree(base, ignore_errors=True)
        folders = _write(template, base / "assessments", n)
        row: dict = {"n": n}
        t_init, _ = _run(["portfolio", "init", str(base / "pf")])
        t, rss = _run(["portfolio", "add", str(base / "pf"), *map(str, folders)])
        row["build_s"], row["build_rss_mb"] = t_init + t, rss
        for e in a.engines:
            t, rss = _run(
                ["benchmark", str(base / "pf"), "-o", str(base / f"out-{e}"), "--engine", e]
            )
            row[f"{e}_s"], row[f"{e}_rss_mb"] = t, rss
        rows.append(row)
        print(json.dumps(row), flush=True)
    ns = [r["n"] for r in rows]
    exps = {k: _slope(ns, [r[k] for r in rows]) for k in rows[0] if k.endswith("_s")}
    print("scaling exponents:", json.dumps(exps))
    if a.json:
        a.json.write_text(json.dumps({"rows": rows, "exponents": exps}, indent=1))


if __name__ == "__main__":
    main()
