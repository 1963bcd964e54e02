"""The Excel template of ``thermaudit.dataset/1``: one workbook a plant can fill and upload.

Sheets
------
``instructions``  how to fill the workbook (English and Chinese) and every column of every
                  table: kind, unit, whether required, meaning
``site``          the content of ``site.yaml``, one line per row in column A (the reader of
                  an uploaded workbook writes these lines to ``site.yaml``)
``<table>``       one sheet per table of :data:`~thermaudit.dataset.contract.TABLES`, its
                  header row the contract's column names

The reader (:func:`thermaudit.dataset.reader.normalize`) takes the table sheets as it takes
any workbook in a dataset folder and ignores ``instructions`` and ``site``.
:func:`write_template` with ``dataset=`` fills the workbook from a CSV dataset folder, which
is how the round trip (folder → workbook → upload → import) is tested.
"""

from __future__ import annotations

import csv
from pathlib import Path

from thermaudit.dataset.contract import CONTRACT, TABLES

SITE_SHEET = "site"
INSTRUCTIONS_SHEET = "instructions"

_INSTRUCTIONS = (
    f"thermaudit dataset template ({CONTRACT})",
    "1. Put the content of site.yaml in the 'site' sheet, one line per row in column A "
    "(keep the indentation: leading spaces matter in YAML).",
    "1. 在 'site' 工作表 A 列逐行填写 site.yaml 的内容（保留行首空格，YAML 依赖缩进）。",
    "2. Fill one sheet per table; the first row names the columns. Leave optional tables "
    "with their header row only.",
    "2. 每个数据表一个工作表，第一行为列名；不适用的可选表只保留表头。",
    "3. Enter timestamps as text in ISO 8601 (2025-12-01T00:15:00+08:00) or as Excel "
    "date-times (local time of the site's timezone).",
    "3. 时间戳用 ISO 8601 文本（2025-12-01T00:15:00+08:00）"
    "或 Excel 日期时间（站点时区的当地时间）。",
    "4. Upload the saved .xlsx on the web page, or put it next to site.yaml in a dataset folder.",
    "4. 在网页上上传保存的 .xlsx，或与 site.yaml 一起放入数据集文件夹。",
    "The columns of every table (docs/dataset-contract.md has the full contract):",
)


def write_template(path: Path | str, *, dataset: Path | str | None = None) -> Path:
    """Write the template workbook to ``path``; with ``dataset`` (a folder of CSV tables and
    ``site.yaml``) the sheets are filled with its content, each value as text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    path = Path(path)
    folder = Path(dataset) if dataset is not None else None
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(INSTRUCTIONS_SHEET)
    for line in _INSTRUCTIONS:
        ws.append([line])
    ws.append([])
    ws.append(["table", "column", "kind", "unit", "required", "meaning", "table meaning"])
    for table in TABLES.values():
        for col in table.columns:
            required = "yes" if col.required else "no"
            if table.date_or_timestamp and col.name in ("date", "timestamp"):
                required = "date or timestamp"
            ws.append([table.name, col.name, col.kind, col.unit, required, col.doc, table.meaning])
    site = wb.create_sheet(SITE_SHEET)
    if folder is not None:
        for line in (folder / "site.yaml").read_text("utf-8").splitlines():
            site.append([_text_cell(WriteOnlyCell(site, value=line))])
    else:
        site.append(["# site.yaml: see docs/dataset-contract.md (replace these lines)"])
    for table in TABLES.values():
        sheet = wb.create_sheet(table.name)
        source = folder / f"{table.name}.csv" if folder is not None else None
        if source is not None and source.is_file():
            with source.open(newline="", encoding="utf-8-sig") as f:
                for row in csv.reader(f):
                    sheet.append([_text_cell(WriteOnlyCell(sheet, value=v)) for v in row])
        else:
            sheet.append([c.name for c in table.columns])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _text_cell(cell: object) -> object:
    """Keep a value as text, even one starting with ``=`` (never a formula)."""
    cell.data_type = "s"  # type: ignore[attr-defined]
    return cell


def site_from_workbook(path: Path | str) -> str | None:
    """The ``site.yaml`` text of a workbook's ``site`` sheet, or None without such a sheet."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    names = {n.strip().lower(): n for n in book.sheet_names}
    if SITE_SHEET not in names:
        return None
    lines = []
    for row in book.get_sheet_by_name(names[SITE_SHEET]).to_python(skip_empty_area=False):
        first = row[0] if row else ""
        lines.append("" if first is None else str(first))
    return "\n".join(lines).rstrip("\n") + "\n"
