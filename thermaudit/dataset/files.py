"""What a path named as a dataset file is, without opening it.

A FIFO, a device or a socket named ``readings.csv`` is refused, not read (opening a FIFO
blocks until a writer comes) and not skipped as "no table"; a symbolic link counts as what
it points to.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def regular_file_problem(path: Path) -> str | None:
    """None when ``path`` is (or links to) a regular file, else what it is instead."""
    try:
        mode = os.stat(path).st_mode  # follows a symbolic link; never opens the file
    except FileNotFoundError:
        return "a broken symbolic link" if os.path.islink(path) else "no such file"
    except OSError as exc:
        return f"a file that cannot be examined ({exc.strerror or type(exc).__name__})"
    if stat.S_ISREG(mode):
        return None
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"
