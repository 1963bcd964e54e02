"""The few calls the CLI and the web service share: open a dataset folder or a workspace,
and assess it. No logic lives only in a command or a route."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thermaudit.dataset.model import NormalizedDataset
from thermaudit.dataset.reader import normalize
from thermaudit.engine import connect
from thermaudit.errors import DataNotQualified, InvalidDataset, Problem
from thermaudit.metrics.assess import Assessment, assess
from thermaudit.metrics.spec import Specification, load_spec
from thermaudit.store.workspace import MARKER, open_workspace

if TYPE_CHECKING:
    from thermaudit.report.build import ReportFiles


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
    diagnose: bool = True,
    engine: str | None = None,
) -> Assessment:
    """Assess a dataset folder or workspace and write ``out_dir/assessment.json``.

    With ``strict``, a metric whose data do not qualify raises
    :class:`~thermaudit.errors.DataNotQualified` after the file is written. With
    ``diagnose`` (the default) the document carries the ``diagnosis`` section. ``engine``
    names the engine (:func:`thermaudit.engine.connect`; default ``THERMAUDIT_ENGINE`` or
    DuckDB).
    """
    spec = spec if isinstance(spec, Specification) else load_spec(spec)
    step = progress or (lambda _m: None)
    step("reading the dataset")
    con = connect(engine)
    with open_dataset(path) as ds:
        result = assess(ds, spec=spec, con=con, progress=step)
        if diagnose:
            from thermaudit.diagnosis.section import diagnosis_section

            step("diagnosis")
            result.document["diagnosis"] = diagnosis_section(ds, con, result)
    path = result.write(out_dir)
    if strict and result.disqualified():
        raise DataNotQualified(result.disqualified(), written=str(path))
    return result


def diagnose_path(
    path: Path,
    *,
    spec: Specification | str | Path | None = None,
    as_of: dt.date | None = None,
    engine: str | None = None,
) -> dict[str, Any]:
    """The ``diagnosis`` section of a dataset folder or workspace (wastes, ranked measures,
    export priorities, certificate plan as of ``as_of``, default the period end)."""
    from thermaudit.diagnosis.section import diagnosis_section

    spec = spec if isinstance(spec, Specification) else load_spec(spec)
    con = connect(engine)
    with open_dataset(path) as ds:
        result = assess(ds, spec=spec, con=con)
        return diagnosis_section(ds, con, result, as_of=as_of)


def report_path(
    path: Path,
    out_dir: Path,
    *,
    lang: str = "zh",
    spec: Specification | str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    diagnose: bool = True,
    engine: str | None = None,
    keep_source: bool = False,
    benchmark: dict[str, Any] | None = None,
) -> tuple[Assessment, ReportFiles]:
    """Assess a dataset folder or workspace and write the assessment and the report
    (``report.pdf``, ``report.html``, ``report.xlsx``) into ``out_dir``; with ``diagnose``
    (the default) both carry the diagnosis."""
    spec = spec if isinstance(spec, Specification) else load_spec(spec)
    with open_dataset(path) as ds:
        from thermaudit.report.build import report_dataset  # Typst, fonts: only for reports

        return report_dataset(
            ds,
            out_dir,
            lang=lang,
            spec=spec,
            progress=progress,
            diagnose=diagnose,
            engine=engine,
            keep_source=keep_source,
            benchmark=benchmark,
        )
