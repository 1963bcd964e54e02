"""The CLI as a user runs it: a real subprocess of the installed entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def thermaudit(
    *args: str | Path, cwd: Path | None = None, columns: int | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m thermaudit ARGS``; ``columns`` sets the terminal width Rich wraps at."""
    env = {**os.environ, "COLUMNS": str(columns)} if columns else None
    return subprocess.run(
        [sys.executable, "-m", "thermaudit", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )
