"""Benchmark ``thermaudit sign`` and ``thermaudit verify`` on the demo report.

The demo plant (``thermaudit demo``, default scale) is written once with its report; for each
of ``--repeat`` runs a fresh copy of the folder is signed by the assessor (ECDSA P-256),
then the reviewer (RSA 3072) and the approver (ECDSA P-256), each ``thermaudit sign`` in its
own subprocess (so the times include Python's start and pyHanko's import, as a user sees
them), and verified with ``thermaudit verify --key``. The table gives the median wall time
of each step and the PDF's size after it.

Usage::

    python benchmarks/bench_sign.py [--repeat 3] [--data benchmarks/.data]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: role → (keygen algorithm, signer)
SIGNERS = {
    "assessor": ("ecdsa-p256", "王芳 Wang Fang, 示例能源审计有限公司"),
    "reviewer": ("rsa-3072", "김민준 Kim Minjun, 예시 에너지 감사"),
    "approver": ("ecdsa-p256", "Jane Doe, Example Certification Body Ltd."),
}


def run(*args: str | Path) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "thermaudit", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"thermaudit {' '.join(map(str, args))} failed:\n{r.stdout}{r.stderr}")
    return wall


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=HERE / ".data")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    root = args.data / "sign"
    demo = root / "demo"
    if not (demo / "assessment" / "report.pdf").is_file():
        shutil.rmtree(demo, ignore_errors=True)
        run("demo", "-o", demo)
    keys = root / "keys"
    for role, (algorithm, signer) in SIGNERS.items():
        if not (keys / f"{role}.key").is_file():
            run("keygen", "-o", keys / f"{role}.key", "--signer", signer, "--algorithm", algorithm)
    unsigned = demo / "assessment"
    steps: dict[str, list[float]] = {f"sign --role {r}": [] for r in SIGNERS}
    steps["verify --key"] = []
    sizes: dict[str, int] = {"unsigned": (unsigned / "report.pdf").stat().st_size}
    for i in range(args.repeat):
        out = root / "out"
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(unsigned, out)
        for role in SIGNERS:
            steps[f"sign --role {role}"].append(
                run("sign", out, "--key", keys / f"{role}.key", "--role", role)
            )
            sizes[f"sign --role {role}"] = (out / "report.pdf").stat().st_size
        steps["verify --key"].append(run("verify", out, "--key", keys / "approver.key.pub"))
        sizes["verify --key"] = sizes["sign --role approver"]
        print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in steps.items()))
    print()
    print(f"{'step (demo report)':<24}{'median s':>10}{'min s':>8}{'PDF bytes':>12}")
    for name, times in steps.items():
        print(f"{name:<24}{statistics.median(times):>10.2f}{min(times):>8.2f}{sizes[name]:>12,}")
    print(f"\nunsigned report.pdf {sizes['unsigned']:,} bytes; {args.repeat} runs per step")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
