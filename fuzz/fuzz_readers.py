"""Longer fuzz run of the dataset readers: the property test of
``tests/dataset/test_reader_properties.py`` for as long as it is given.

Each case mutates the bytes of one file of a small valid dataset (``site.yaml``, a CSV table
or the workbook) and imports it; the invariant (a successful import, or an
``InvalidDataset`` whose every problem names its file and row or line) is
``tests/fuzzing.py:check_import``. Stray output on stderr (an "Exception ignored"
traceback) also counts as a failure.

    .venv/bin/python fuzz/fuzz_readers.py --minutes 25 [--seed 1] [--report fuzz/last-run.json]

Prints, per file, the cases run, how many were imported and how many refused, and every
failure with the mutation that caused it; exits 1 when there was a failure.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from fuzzing import FILES, apply, check_import, mutation, small_dataset
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--report", type=Path, default=None, help="write the counts as JSON")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="thermaudit-fuzz-"))
    pristine = small_dataset(root / "dataset")
    originals = {name: (pristine / name).read_bytes() for name in FILES}
    counts = {name: {"cases": 0, "imported": 0, "refused": 0, "failed": 0} for name in FILES}
    failures: list[dict[str, object]] = []
    end = time.monotonic() + 60 * args.minutes
    rng = random.Random(args.seed)

    def make_case(name: str, original: bytes, batch: int) -> object:
        @seed(args.seed * 1_000_003 + batch)  # a batch is reproduced by --seed and its number
        @settings(
            max_examples=50,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=("generate",),  # no shrinking: the raw mutation is reported
        )
        @given(data=st.data())
        def case(data: st.DataObject) -> None:
            edits = data.draw(mutation(len(original)))
            (pristine / name).write_bytes(apply(original, edits))
            c = counts[name]
            c["cases"] += 1
            err = io.StringIO()
            try:
                with contextlib.redirect_stderr(err):
                    imported = check_import(pristine, root / "out")
                c["imported" if imported else "refused"] += 1
                if "Traceback" in err.getvalue() or "Exception ignored" in err.getvalue():
                    raise AssertionError(f"stray output on stderr: {err.getvalue()[:500]}")
            except Exception as exc:  # every other exception is a finding of the run
                c["failed"] += 1
                failures.append(
                    {
                        "batch": batch,
                        "file": name,
                        "edits": repr(edits),
                        "error": "".join(traceback.format_exception_only(exc)).strip()[:800],
                    }
                )
            finally:
                (pristine / name).write_bytes(original)

        return case

    batch = 0
    while time.monotonic() < end:
        name = rng.choice(FILES)
        make_case(name, originals[name], batch)()  # type: ignore[operator]
        batch += 1

    kinds = ("cases", "imported", "refused", "failed")
    total = {k: sum(c[k] for c in counts.values()) for k in kinds}
    print(f"{'file':<18}{'cases':>8}{'imported':>10}{'refused':>9}{'failed':>8}")
    for name, c in {**counts, "all": total}.items():
        print(f"{name:<18}{c['cases']:>8}{c['imported']:>10}{c['refused']:>9}{c['failed']:>8}")
    for f in failures[:50]:
        print(f"FAIL {f['file']}: {f['edits']}\n  {f['error']}")
    if args.report is not None:
        args.report.write_text(
            json.dumps({"minutes": args.minutes, "counts": counts, "total": total,
                        "failures": failures}, indent=2),
            "utf-8",
        )  # fmt: skip
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
