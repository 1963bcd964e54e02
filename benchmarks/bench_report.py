"""Benchmark ``thermaudit report`` against ``thermaudit assess --report`` on the same workspace.

Both commands are one pipeline (assessment with diagnosis, chart data, PDF, HTML, workbook),
so ``report`` should take no more than 1.2× the time of ``assess --report``. The two run
alternately (``report``, ``assess --report``, ``report`` …), each in its own subprocess with
its wall time and peak RSS, on the demo plant at each scale (the data and workspace of
``bench_assess.py``, cached under ``--data``), so machine noise falls on both alike; the table
gives the median of ``--repeat`` runs and the ratio of the medians.

Usage::

    python benchmarks/bench_report.py --scales S [M] [--lang zh+en] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_assess import (  # the benchmark scripts are not a package
    HERE,
    ensure_dataset,
    ensure_workspace,
    log,
    run_child,
    thermaudit_cmd,
)

#: the issue's target: report ≤ 1.2 × assess --report
TARGET_RATIO = 1.2


def bench(scale: str, args: argparse.Namespace) -> dict[str, object]:
    root = args.data / scale
    dataset = ensure_dataset(scale, root)
    ws, _ = ensure_workspace(scale, root, dataset)
    runs: dict[str, list[dict[str, object]]] = {"report": [], "assess --report": []}
    for i in range(args.repeat):
        for name in runs:
            out = root / f"out-{name.replace(' ', '').replace('--', '-')}"
            shutil.rmtree(out, ignore_errors=True)
            if name == "report":
                cmd = thermaudit_cmd("report", str(ws), "-o", str(out), "--lang", args.lang)
            else:
                cmd = thermaudit_cmd(
                    "assess", str(ws), "-o", str(out), "--report", "--lang", args.lang
                )
            r = run_child(cmd, root / f"{out.name}.log", args.timeout)
            if not r["ok"]:
                raise SystemExit(f"{name} failed at scale {scale}: {r['reason']}")
            log(
                f"{scale} {name} run {i + 1}: {r['wall_s']:.1f} s, {r['rss_mb']:.0f} MB"
                f" (load {r['load']:.1f})"
            )
            runs[name].append(r)
    med = {n: statistics.median(float(r["wall_s"]) for r in rs) for n, rs in runs.items()}
    rss = {n: max(float(r["rss_mb"]) for r in rs) for n, rs in runs.items()}
    return {"scale": scale, "median_s": med, "rss_mb": rss, "repeat": args.repeat}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scales", nargs="+", default=["S"], choices=["S", "M", "L"])
    p.add_argument("--data", type=Path, default=HERE / ".data")
    p.add_argument("--lang", default="zh+en")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--timeout", type=float, default=3600.0)
    args = p.parse_args(argv)
    rows = [bench(s, args) for s in args.scales]
    print()
    print(
        f"{'scale':<6}{'report s':>10}{'assess --report s':>19}{'ratio':>8}"
        f"{'report MB':>11}{'assess MB':>11}  target ≤ {TARGET_RATIO}×"
    )
    ok = True
    for r in rows:
        med, rss = r["median_s"], r["rss_mb"]
        ratio = med["report"] / med["assess --report"]  # type: ignore[index]
        ok &= ratio <= TARGET_RATIO
        print(
            f"{r['scale']:<6}{med['report']:>10.1f}{med['assess --report']:>19.1f}"  # type: ignore[index]
            f"{ratio:>8.2f}{rss['report']:>11.0f}{rss['assess --report']:>11.0f}"  # type: ignore[index]
            f"  {'met' if ratio <= TARGET_RATIO else 'MISSED'}"
        )
    print(f"\nmedian of {args.repeat} alternating runs per command, lang {args.lang}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
