"""Start-up of the CLI before and after a change: the median wall time of trivial commands.

Runs ``python -m thermaudit ARGS`` from two checkouts side by side, alternating (before,
after, before, after, ...) so that both see the same load on the machine, and prints a table
of the median wall time of each, their ratio and the modules each run imported
(``python -X importtime``). The default *before* is the repository's ``main`` worktree (found
with ``git worktree list``), the default *after* the checkout holding this script::

    .venv/bin/python benchmarks/bench_startup.py [--before DIR] [--after DIR] [--repeat 9]

A command the *before* checkout does not have (``--version`` is new in #23) is timed there as
its older equivalent (``version``), said in the table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

#: (label, arguments, arguments in a checkout that lacks them)
COMMANDS: list[tuple[str, list[str], list[str] | None]] = [
    ("thermaudit --help", ["--help"], None),
    ("thermaudit --version", ["--version"], ["version"]),
    ("thermaudit assess --help", ["assess", "--help"], None),
    ("thermaudit version", ["version"], None),
]

#: what ``tests/test_startup.py`` keeps out of the start-up
HEAVY = ("ibis", "duckdb", "pint", "pandas", "scipy", "pyarrow", "typst", "matplotlib")
HEAVY += ("fastapi", "sqlalchemy", "numpy", "openpyxl", "uvicorn", "cryptography")


def main_worktree() -> Path:
    """The worktree of this repository that has branch ``main`` checked out."""
    out = subprocess.run(
        ["git", "-C", str(REPO), "worktree", "list", "--porcelain"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = None
    for line in out.splitlines():
        if line.startswith("worktree "):
            path = Path(line.removeprefix("worktree "))
        elif line == "branch refs/heads/main" and path is not None:
            return path
    raise SystemExit("no worktree on branch main: pass --before DIR")


def _run(checkout: Path, args: list[str], *, importtime: bool = False) -> tuple[float, str, int]:
    # cwd and PYTHONPATH both name the checkout: `python -m` puts the cwd first on sys.path
    env = {**os.environ, "PYTHONPATH": str(checkout), "COLUMNS": "100"}
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "thermaudit"]
    t0 = time.perf_counter()
    run = subprocess.run(
        [*cmd, *args], cwd=checkout, env=env, capture_output=True, text=True, check=False
    )
    return time.perf_counter() - t0, run.stderr, run.returncode


def _modules(stderr: str) -> list[str]:
    return [
        line.rsplit("|", 1)[1].strip()
        for line in stderr.splitlines()
        if line.startswith("import time:") and "|" in line and "imported package" not in line
    ]


def _args_in(checkout: Path, args: list[str], fallback: list[str] | None) -> tuple[list[str], str]:
    if fallback is None:
        return args, ""
    _, _, code = _run(checkout, args)
    if code == 0:
        return args, ""
    return fallback, f"before: `thermaudit {' '.join(fallback)}` (no {' '.join(args)})"


def bench(before: Path, after: Path, repeat: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for label, args, fallback in COMMANDS:
        b_args, note = _args_in(before, args, fallback)
        a_args = args
        for checkout, a in ((before, b_args), (after, a_args)):  # warm the file cache
            _run(checkout, a)
        times: dict[str, list[float]] = {"before": [], "after": []}
        for _ in range(repeat):
            for side, checkout, a in (("before", before, b_args), ("after", after, a_args)):
                seconds, _, code = _run(checkout, a)
                if code != 0:
                    raise SystemExit(f"{side}: thermaudit {' '.join(a)} exited {code}")
                times[side].append(seconds)
        mods = {
            side: _modules(_run(checkout, a, importtime=True)[1])
            for side, checkout, a in (("before", before, b_args), ("after", after, a_args))
        }
        b, a = statistics.median(times["before"]), statistics.median(times["after"])
        rows.append(
            {
                "command": label,
                "before_s": b,
                "after_s": a,
                "ratio": b / a,
                "before_modules": len(mods["before"]),
                "after_modules": len(mods["after"]),
                "after_heavy": sorted({m.split(".")[0] for m in mods["after"]} & set(HEAVY)),
                "load": os.getloadavg()[0],
                "note": note,
            }
        )
    return rows


def print_table(rows: list[dict[str, object]], repeat: int) -> None:
    print(f"median wall time of {repeat} runs each, before and after alternating")
    print(
        "| command | before s | after s | before / after | modules before | modules after "
        "| heavy after | load | note |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|---|")
    for r in rows:
        heavy = ", ".join(r["after_heavy"]) or "none"  # type: ignore[arg-type]
        print(
            f"| `{r['command']}` | {r['before_s']:.2f} | {r['after_s']:.2f} | "
            f"{r['ratio']:.1f}× | {r['before_modules']} | {r['after_modules']} | {heavy} | "
            f"{r['load']:.1f} | {r['note']} |"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", type=Path, default=None, help="checkout before (default: main)")
    ap.add_argument("--after", type=Path, default=REPO, help="checkout after (default: this one)")
    ap.add_argument("--repeat", type=int, default=9, help="runs per command and side")
    ap.add_argument("--json", type=Path, default=None, help="also write the table as JSON")
    args = ap.parse_args(argv)
    before = (args.before or main_worktree()).resolve()
    after = args.after.resolve()
    print(f"before: {before}\nafter:  {after}", flush=True)
    rows = bench(before, after, args.repeat)
    print_table(rows, args.repeat)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
