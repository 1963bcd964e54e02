"""Exceptions raised for user mistakes.

One root, :class:`ThermauditError`; each concrete error also subclasses the builtin it
resembles, carries structured fields and says how to fix the problem. A data-quality
problem in otherwise valid data is *not* an exception but a finding
(:mod:`thermaudit.quality.findings`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: At most this many problems are listed for one rejected dataset.
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place of an input.

    Parameters
    ----------
    file : str
        File name relative to the dataset folder (``readings.csv``, ``site.yaml``,
        ``dataset.xlsx[readings]`` for a workbook sheet).
    row : int or None
        Row as a spreadsheet shows it: header = 1, first data row = 2. For ``site.yaml``
        the 1-based line number.
    column : str or None
        Column name, or for ``site.yaml`` the YAML path such as ``meters[3].unit``.
    expected : str
        What the contract expects there.
    found : str
        What was found (shortened when long).
    """

    file: str
    row: int | None
    column: str | None
    expected: str
    found: str

    def __str__(self) -> str:
        yaml_file = self.file.endswith((".yaml", ".yml"))
        where = self.file
        if self.row is not None:
            where += f", line {self.row}" if yaml_file else f", row {self.row}"
        if self.column:
            where += f", {self.column}" if yaml_file else f", column {self.column}"
        return f"{where}: expected {self.expected}, found {self.found}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "expected": self.expected,
            "found": self.found,
        }


def shorten(value: object, limit: int = 60) -> str:
    """Render a found value for a message: quoted, shortened, empty shown as ``(empty)``."""
    if value is None:
        return "(empty)"
    text = str(value)
    if text.strip() == "":
        return "(empty)"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)


class ThermauditError(Exception):
    """Root of every error thermaudit raises for a user mistake."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        if hint:
            self.hint = hint


class InvalidDataset(ThermauditError, ValueError):
    """The dataset does not follow ``thermaudit.dataset/1``.

    Carries every problem found (up to :data:`MAX_PROBLEMS`); ``file``, ``row``,
    ``column``, ``expected`` and ``found`` are those of the first one.
    """

    def __init__(self, problems: list[Problem], *, truncated: bool = False, hint: str = "") -> None:
        if not problems:
            raise ValueError("InvalidDataset needs at least one problem")
        self.problems = list(problems)
        self.truncated = truncated
        first = self.problems[0]
        self.file = first.file
        self.row = first.row
        self.column = first.column
        self.expected = first.expected
        self.found = first.found
        n = len(self.problems)
        head = f"{n}{'+' if truncated else ''} problem{'s' if n > 1 else ''} in the dataset"
        lines = [head] + [f"  {p}" for p in self.problems]
        if truncated:
            lines.append(f"  … listing stopped after {MAX_PROBLEMS} problems")
        super().__init__("\n".join(lines), hint=hint)


class InvalidAssessment(ThermauditError, ValueError):
    """An ``assessment.json`` whose metric block does not have the ``thermaudit.assessment/1``
    shape; ``problem`` names the file, the key, what was expected and what was found."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.file = problem.file
        self.column = problem.column
        self.expected = problem.expected
        self.found = problem.found
        super().__init__(
            f"not a thermaudit.assessment/1 document: {problem}",
            hint="write it again with `thermaudit assess`",
        )


class WorkspaceError(ThermauditError, RuntimeError):
    """The workspace is missing, locked, or refuses an operation (e.g. overlapping import)."""


class SpecificationError(ThermauditError, ValueError):
    """A metric specification or coefficient file is malformed or names something unknown."""


class EngineError(ThermauditError, ValueError):
    """The engine named by ``--engine`` or ``THERMAUDIT_ENGINE`` is unknown or unavailable."""


class DataNotQualified(ThermauditError, ValueError):
    """``--strict``: a metric's data did not pass the sufficiency gate.

    ``disqualified`` maps each metric id to its reasons. The assessment was still written.
    """

    def __init__(self, disqualified: dict[str, list[str]], written: str = "") -> None:
        self.disqualified = dict(disqualified)
        lines = [f"{len(disqualified)} metric(s) not qualified (--strict):"]
        for metric, reasons in disqualified.items():
            lines.append(f"  {metric}: " + "; ".join(reasons))
        if written:
            lines.append(f"  the assessment was written to {written} for inspection")
        super().__init__(
            "\n".join(lines),
            hint="fix the data named above, or run without --strict to report the metrics "
            "as not qualified",
        )


class ProblemCollector:
    """Collects problems up to a cap, then raises one :class:`InvalidDataset`."""

    def __init__(self, cap: int = MAX_PROBLEMS) -> None:
        self.cap = cap
        self.problems: list[Problem] = []
        self.truncated = False

    @property
    def full(self) -> bool:
        return len(self.problems) >= self.cap

    def add(
        self, file: str, row: int | None, column: str | None, expected: str, found: str
    ) -> None:
        if self.full:
            self.truncated = True
            return
        self.problems.append(Problem(file, row, column, expected, found))

    def extend(self, problems: list[Problem]) -> None:
        for p in problems:
            self.add(p.file, p.row, p.column, p.expected, p.found)

    def raise_if_any(self, hint: str = "") -> None:
        if self.problems:
            raise InvalidDataset(self.problems, truncated=self.truncated, hint=hint)
