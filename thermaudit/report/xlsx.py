"""``report.xlsx``: the report's tables for further work (openpyxl).

Sheets: metrics, by SKU, by meter, findings, measures (with the diagnosis), inputs. Each
figure is written twice where it matters: as a number (for calculation) and, in the metrics
sheet, as the text the PDF prints (:mod:`thermaudit.report.fmt`), so the workbook and the
PDF can be compared. A number keeps its full precision and carries the number format that
displays it as the report prints it (a metric with U: at the last digit of U, GUM 7.2.6).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from thermaudit.dataset.site import Site
from thermaudit.metrics.result import Assessment
from thermaudit.metrics.spec import Specification
from thermaudit.report.content import expired_instruments, uncertainty_value, value_texts
from thermaudit.report.fmt import fmt, number_format, sig_for, u_decimals, value_decimals

_HEAD = Font(bold=True, color="1F3A5F")
_FILL = PatternFill("solid", fgColor="E8EEF5")


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list[Any]], first: bool = False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    ws.append(header)
    for c in ws[1]:
        c.font = _HEAD
        c.fill = _FILL
        c.alignment = Alignment(vertical="bottom", wrap_text=True)
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows(min_row=2):
        for c in row:
            if isinstance(c.value, float):
                c.number_format = number_format(value_decimals(c.value))
    ws.freeze_panes = "A2"
    for i, h in enumerate(header, 1):
        width = max([len(str(h))] + [len(str(r[i - 1])) for r in rows if i - 1 < len(r)] + [6])
        ws.column_dimensions[get_column_letter(i)].width = min(width + 2, 70)
    return ws


_MEASURE_HEADER = [
    "rank",
    "措施",
    "measure",
    "equipment",
    "saving kgce/a (low)",
    "saving kgce/a",
    "saving kgce/a (high)",
    "saving tCO2e/a",
    "saving CNY/a",
    "investment CNY",
    "payback years",
    "lifetime years",
    "confidence",
    "source",
]


def _measure_row(m: dict[str, Any]) -> list[Any]:
    """One ranked measure of the diagnosis, as the report's measures table lists it."""
    low, _typical, high = (m.get("ranges") or {}).get("saving_kgce") or (None, None, None)
    title = m.get("title") or {}
    return [
        m.get("rank"),
        title.get("zh"),
        title.get("en"),
        ", ".join(m.get("subjects") or []),
        low,
        m.get("saving_kgce"),
        high,
        m.get("saving_tco2e"),
        m.get("saving_cny"),
        m.get("investment"),
        m.get("payback_years"),
        m.get("lifetime_years"),
        m.get("confidence"),
        m.get("source"),
    ]


def write_workbook(
    document: dict[str, Any], path: Path, *, spec: Specification, site: Site | None = None
) -> Path:
    wb = Workbook()
    assessment = Assessment.from_json(document)
    rows = []
    for ms in spec.metrics:
        m = assessment.metric(ms.id)
        u = uncertainty_value(m)
        rows.append(
            [
                ms.id,
                ms.name_zh,
                ms.name_en,
                m.value,
                value_texts(m)[0],
                m.unit or ms.unit,
                u,
                value_texts(m)[1],
                m.grade,
                ", ".join(expired_instruments(m)),
                "qualified" if m.qualified else "not qualified",
                "; ".join(m.reasons),
            ]
        )
    metrics_ws = _sheet(
        wb,
        "metrics",
        [
            "id",
            "指标",
            "metric",
            "value",
            "value (as reported)",
            "unit",
            "U (k=2)",
            "U (as reported)",
            "grade",
            "calibration expired",
            "data sufficiency",
            "reasons",
        ],
        rows,
        first=True,
    )
    for row, ms in zip(metrics_ws.iter_rows(min_row=2), spec.metrics, strict=True):
        m = assessment.metric(ms.id)
        u = uncertainty_value(m)
        if u is not None and u > 0:
            # value and U at the last digit of U, as the text beside them
            row[3].number_format = row[6].number_format = number_format(max(u_decimals(u), 0))
        elif isinstance(m.value, float):
            row[3].number_format = number_format(value_decimals(m.value, sig_for(m.unit)))
    products = {p.sku: p for p in site.products} if site else {}
    by_sku = assessment.metric("unit_product_energy").detail.get("by_sku") or {}
    _sheet(
        wb,
        "by SKU",
        [
            "sku",
            "产品",
            "product",
            "markets",
            "good_qty",
            "scrap_qty",
            "good_mass_t",
            "processed_mass_t",
            "energy_kgce",
            "value",
            "value (as reported)",
            "unit",
        ],
        [
            [
                k,
                products[k].name if k in products else "",
                (products[k].name_en or "") if k in products else "",
                ", ".join(products[k].markets) if k in products else "",
                v.get("good_qty"),
                v.get("scrap_qty"),
                v.get("good_mass_t"),
                v.get("processed_mass_t"),
                v.get("energy_kgce"),
                v.get("value"),
                fmt(v.get("value")),
                v.get("unit"),
            ]
            for k, v in sorted(by_sku.items(), key=lambda kv: -(kv[1].get("value") or 0))
        ],
    )
    upe = assessment.metric("unit_product_energy").detail
    by_meter = upe.get("by_meter") or {}
    compl = assessment.metric("energy_metering_coverage").detail.get("completeness_by_meter") or {}
    mrows = []
    for mid, mc in (document.get("meters") or {}).items():
        meter = site.meter(mid) if site else None
        mrows.append(
            [
                mid,
                meter.carrier if meter else None,
                meter.role if meter else None,
                meter.process if meter else None,
                meter.line if meter else None,
                mc.get("consumption"),
                mc.get("unit"),
                by_meter.get(mid),
                mc.get("intervals_received"),
                mc.get("intervals_expected"),
                compl.get(mid),
            ]
        )
    _sheet(
        wb,
        "by meter",
        [
            "meter",
            "carrier",
            "role",
            "process",
            "line",
            "consumption",
            "unit",
            "kgce",
            "intervals_received",
            "intervals_expected",
            "completeness_pct",
        ],
        mrows,
    )
    order = {"error": 0, "warning": 1, "info": 2}
    _sheet(
        wb,
        "findings",
        ["severity", "code", "message_zh", "message", "metrics"],
        [
            [
                f["severity"],
                f["code"],
                f.get("message_zh"),
                f["message"],
                ", ".join(f.get("metrics") or []),
            ]
            for f in sorted(
                document.get("findings") or [], key=lambda f: order.get(f["severity"], 9)
            )
        ],
    )
    measures = (document.get("diagnosis") or {}).get("measures") or []
    if measures:
        _sheet(wb, "measures", _MEASURE_HEADER, [_measure_row(m) for m in measures])
    _sheet(
        wb,
        "inputs",
        ["file", "rows", "sha256"],
        [[i["file"], i.get("rows"), i["sha256"]] for i in document.get("inputs") or []],
    )
    wb.properties.title = f"thermaudit report — {document['enterprise']['name']}"
    wb.properties.creator = "thermaudit"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".xlsx.tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path
