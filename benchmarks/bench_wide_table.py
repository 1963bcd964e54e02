"""Import time of a table with many columns: per-column work of the reader is linear.

A 4-row melting table of the mini plant gets N extra named columns (empty cells) and is
imported with ``normalize``; the reader's column limit (512) is lifted for the measurement
so that the per-column cost itself is timed. A linear reader doubles its time when N
doubles; the quadratic schema building before issue #15 took 16.7 s at N = 16,000.

    .venv/bin/python benchmarks/bench_wide_table.py [--columns 2000 4000 8000 16000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from thermaudit.dataset import normalize, reader

MINI = Path(__file__).parents[1] / "tests" / "fixtures" / "conformance" / "mini"


def wide_dataset(folder: Path, n: int) -> Path:
    shutil.copytree(MINI, folder, ignore=shutil.ignore_patterns("expected.json"))
    lines = (folder / "melting.csv").read_text("utf-8").splitlines()
    header = lines[0] + "," + ",".join(f"x{i}" for i in range(n))
    rows = [r + "," * n for r in lines[1:5]]
    (folder / "melting.csv").write_text("\n".join([header, *rows]) + "\n", "utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--columns", type=int, nargs="+", default=[2000, 4000, 8000, 16000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    reader.MAX_COLUMNS = max(args.columns) + 100  # measure the per-column work itself
    print(f"{'extra columns':>14} {'bytes':>9} {'best s':>8} {'s per 1000 columns':>19}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.columns:
            folder = wide_dataset(Path(tmp) / f"d{n}", n)
            size = (folder / "melting.csv").stat().st_size
            best = float("inf")
            for r in range(args.repeat):
                t0 = time.perf_counter()
                normalize(folder, Path(tmp) / f"o{n}-{r}")
                best = min(best, time.perf_counter() - t0)
            print(f"{n:>14,} {size:>9,} {best:>8.2f} {1000 * best / n:>19.3f}")


if __name__ == "__main__":
    main()
