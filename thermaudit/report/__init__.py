"""The assessment report: PDF (Typst, PDF/A-3b), self-contained HTML and an Excel workbook,
in Chinese, English or both, from ``assessment.json`` and the dataset behind it."""

from typing import TYPE_CHECKING, Any

from thermaudit.report.labels import LANGS

if TYPE_CHECKING:
    from thermaudit.report.build import ReportFiles, write_report

__all__ = ["LANGS", "ReportFiles", "write_report"]


def __getattr__(name: str) -> Any:
    # Typst and the fonts load only when a report is written, not for every CLI command
    if name in ("ReportFiles", "write_report"):
        from thermaudit.report import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
