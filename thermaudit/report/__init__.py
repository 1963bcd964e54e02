"""The assessment report: PDF (Typst, PDF/A-3b), self-contained HTML and an Excel workbook,
in Chinese, English or both, from ``assessment.json`` and the dataset behind it."""

from thermaudit.report.build import ReportFiles, write_report
from thermaudit.report.labels import LANGS

__all__ = ["LANGS", "ReportFiles", "write_report"]
