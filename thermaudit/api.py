"""The few calls the CLI and the web service share: open a dataset folder or a workspace,
and assess it. No logic lives only in a command or a route."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from thermaudit.dataset.model import NormalizedDataset
from thermaudit.dataset.reader import normalize
from thermaudit.errors import DataNotQualified, InvalidDataset, Problem
from thermaudit.metrics.assess import Assessment, assess
from thermaudit.metrics.spec import Specification, load_spec
from thermaudit.report.build import ReportFiles, report_dataset
from thermaudit.store.workspace import MARKER, open_workspace


def is_workspace(path: Path) -> bool:
    return (path / MARKER).is_file()


@contextmanager
def open_dataset(
    path: Path, *, progress: Callable[[str, int], None] | None = None
) -> Iterator[NormalizedDataset]:
    """A normalized dataset from a workspace (its current imports) or a dataset folder
    (validated and normalized into a temporary folder, removed on exit)."""
    path = Path(path)
    if is_workspace(path):
        yield open_workspace(path).current_dataset()
        return
    if not path.exists():
        raise InvalidDataset(
            [Problem(str(path), None, None, "a dataset folder or a workspace", "no such path")]
        )
    with tempfile.TemporaryDirectory(prefix="thermaudit-") as tmp:
        yield normalize(path, Path(tmp), progress=progress)


def assess_path(
    path: Path,
    out_dir: Path,
    *,
    spec: Specification | str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    strict: bool = False,
) -> Assessment:
    """Assess a dataset folder or workspace and write ``out_dir/assessment.json``.

    With ``strict``, a metric whose data do not qualify raises
    :class:`~thermaudit.errors.DataNotQualified` after the file is written.
    """
    spec = spec if isinstance(spec, Specification) else load_spec(spec)
    step = progress or (lambda _m: None)
    step("reading the dataset")
    with open_dataset(path) as ds:
        result = assess(ds, spec=spec, progress=step)
    path = result.write(out_dir)
    if strict and result.disqualified():
        raise DataNotQualified(result.disqualified(), written=str(path))
    return result


def report_path(
    path: Path,
    out_dir: Path,
    *,
    lang: str = "zh",
    spec: Specification | str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Assessment, ReportFiles]:
    """Assess a dataset folder or workspace and write the assessment and the report
    (``report.pdf``, ``report.html``, ``report.xlsx``) into ``out_dir``."""
    spec = spec if isinstance(spec, Specification) else load_spec(spec)
    with open_dataset(path) as ds:
        return report_dataset(ds, out_dir, lang=lang, spec=spec, progress=progress)
