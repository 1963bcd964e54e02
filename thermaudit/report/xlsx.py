"""``report.xlsx``: the report's tables for further work (openpyxl), in the report's language.

Sheets: metrics, by product, by meter, findings, measures (with the diagnosis), input files.
Sheet names, column headings and every word in a cell (names, grades, carriers, roles,
findings, the measures' basis and sources) are in the report's language; for a pair of
languages the headings read "primary / secondary" and the texts of a row come in one column
per language. Nothing internal is written: metrics by their names, never their ids.

Each figure is written twice where it matters: as a number (for calculation) and, in the
metrics sheet, as the text the PDF prints (:mod:`thermaudit.report.fmt`), so the workbook and
the PDF can be compared. A number keeps its full precision and carries the number format that
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
from thermaudit.report.content import (
    expired_instruments,
    finding_text,
    measure_basis,
    metric_name,
    uncertainty_value,
    value_texts,
)
from thermaudit.report.fmt import fmt, number_format, sig_for, u_decimals, value_decimals
from thermaudit.report.labels import Bi, is_pair, langs_of, term, translated

_HEAD = Font(bold=True, color="1F3A5F")
_FILL = PatternFill("solid", fgColor="E8EEF5")

#: the sheets, in order
SHEETS: dict[str, Bi] = {
    "metrics": Bi("指标", "Metrics", "지표"),
    "by_sku": Bi("按产品", "By product", "제품별"),
    "by_meter": Bi("按计量器具", "By meter", "계량기별"),
    "findings": Bi("数据质量发现", "Findings", "발견 사항"),
    "measures": Bi("节能措施", "Measures", "개선 조치"),
    "inputs": Bi("输入文件", "Input files", "입력 파일"),
}

#: the column headings of every sheet
HEADINGS: dict[str, Bi] = {
    "metric": Bi("指标", "Metric", "지표"),
    "value": Bi("数值", "Value", "값"),
    "value_text": Bi("数值（报告所示）", "Value (as reported)", "값(보고서 표기)"),
    "unit": Bi("单位", "Unit", "단위"),
    "u": Bi("扩展不确定度 U (k=2)", "U (k=2)", "확장 불확도 U (k=2)"),
    "u_text": Bi("U（报告所示）", "U (as reported)", "U(보고서 표기)"),
    "grade": Bi("评级", "Grade", "등급"),
    "expired": Bi("校准已过期", "Calibration expired", "교정 유효기간 만료"),
    "sufficiency": Bi("数据充分性", "Data sufficiency", "데이터 충분성"),
    "reasons": Bi("不充分的原因", "Why not sufficient", "불충분 사유"),
    "sku": Bi("产品编号", "SKU", "제품 번호"),
    "product": Bi("产品", "Product", "제품"),
    "markets": Bi("市场", "Markets", "시장"),
    "good_qty": Bi("合格品数量 件", "Good pieces", "양품 수량 개"),
    "scrap_qty": Bi("废品数量 件", "Scrap pieces", "불량 수량 개"),
    "good_mass_t": Bi("合格品质量 t", "Good mass t", "양품 질량 t"),
    "processed_mass_t": Bi("加工质量 t", "Processed mass t", "가공 질량 t"),
    "energy_kgce": Bi("分摊能耗 kgce", "Allocated energy kgce", "배분 에너지 kgce"),
    "meter": Bi("计量器具", "Meter", "계량기"),
    "carrier": Bi("能源品种", "Energy carrier", "에너지원"),
    "role": Bi("计量角色", "Role", "계량 역할"),
    "process": Bi("工序", "Process", "공정"),
    "line": Bi("生产线", "Line", "생산 라인"),
    "consumption": Bi("期间用量", "Consumption in the period", "기간 사용량"),
    "kgce": Bi("折标煤 kgce", "kgce", "표준석탄 환산 kgce"),
    "received": Bi("收到的间隔数", "Intervals received", "수신 구간 수"),
    "expected": Bi("应有的间隔数", "Intervals expected", "예상 구간 수"),
    "completeness": Bi("数据完整率 %", "Completeness %", "데이터 완전성 %"),
    "severity": Bi("严重程度", "Severity", "심각도"),
    "code": Bi("代码", "Code", "코드"),
    "message": Bi("说明", "Message", "설명"),
    "metrics": Bi("涉及指标", "Metrics concerned", "관련 지표"),
    "rank": Bi("排序", "Rank", "순위"),
    "measure": Bi("措施", "Measure", "조치"),
    "equipment": Bi("设备", "Equipment", "설비"),
    "saving_low": Bi("年节能 kgce（低）", "Saving kgce/yr (low)", "연간 절감 kgce(하한)"),
    "saving": Bi("年节能 kgce", "Saving kgce/yr", "연간 절감 kgce"),
    "saving_high": Bi("年节能 kgce（高）", "Saving kgce/yr (high)", "연간 절감 kgce(상한)"),
    "saving_tco2e": Bi("年减碳 tCO2e", "Saving tCO2e/yr", "연간 감축 tCO2e"),
    "saving_cny": Bi("年节约 元", "Saving CNY/yr", "연간 절약 위안"),
    "investment": Bi("投资 元", "Investment CNY", "투자 위안"),
    "payback": Bi("回收期 年", "Payback years", "회수 기간 년"),
    "lifetime": Bi("寿命 年", "Lifetime years", "수명 년"),
    "confidence": Bi("可信度", "Confidence", "신뢰도"),
    "basis": Bi("测算基数", "Basis", "산정 기준"),
    "source": Bi("来源", "Source", "출처"),
    "file": Bi("文件", "File", "파일"),
    "rows": Bi("行数", "Rows", "행 수"),
    "sha256": Bi("SHA-256 摘要", "SHA-256 digest", "SHA-256 다이제스트"),
}

_QUALIFIED = Bi("充分", "sufficient", "충분")
_NOT_QUALIFIED = Bi("不充分", "not sufficient", "불충분")
_TITLE = Bi("节能降碳诊断报告", "Energy audit report", "에너지 진단 보고서")


def _say(text: Bi | str | None, lang: str) -> str | None:
    """A text as the report's language prints it in one cell: one language, or a pair
    "primary / secondary" when the two differ."""
    if text is None or isinstance(text, str):
        return text
    return " / ".join(text.pair(lang))


def _heading(key: str, lang: str) -> str:
    return _say(HEADINGS[key], lang) or key


def _per_language(key: str, lang: str) -> list[str]:
    """The headings of a text written once per language of the report ("Product (en)" …)."""
    h = HEADINGS[key]
    if not is_pair(lang):
        return [h.get(lang)]
    return [f"{h.get(x)} ({x})" for x in langs_of(lang)]


def _texts(text: Bi, lang: str) -> list[str]:
    """A text once per language of the report, for the columns of :func:`_per_language`."""
    return [text.get(x) for x in langs_of(lang)]


def _sheet_title(key: str, lang: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\ (a pair reads "指标 Metrics")
    return " ".join(SHEETS[key].pair(lang))[:31]


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


def _measure_row(m: dict[str, Any], d: dict[str, Any], lang: str) -> list[Any]:
    """One ranked measure of the diagnosis, as the report's measures table lists it."""
    low, _typical, high = (m.get("ranges") or {}).get("saving_kgce") or (None, None, None)
    title = m.get("title") or {}
    return [
        m.get("rank"),
        *_texts(Bi(title.get("zh", ""), title.get("en", ""), title.get("ko", "")), lang),
        ", ".join(m.get("subjects") or []),
        low,
        m.get("saving_kgce"),
        high,
        m.get("saving_tco2e"),
        m.get("saving_cny"),
        m.get("investment"),
        m.get("payback_years"),
        m.get("lifetime_years"),
        _say(term("confidence", m.get("confidence")), lang),
        _say(measure_basis(m, d), lang),
        _say(translated(m["source"]), lang) if m.get("source") else None,
    ]


def write_workbook(
    document: dict[str, Any],
    path: Path,
    *,
    spec: Specification,
    site: Site | None = None,
    lang: str = "zh",
) -> Path:
    """Write the workbook of ``document`` in report language ``lang`` to ``path``."""
    wb = Workbook()
    assessment = Assessment.from_json(document)
    names = {ms.id: metric_name(ms) for ms in spec.metrics}
    say = lambda t: _say(t, lang)  # noqa: E731 - one cell's text in the report's language
    rows = []
    for ms in spec.metrics:
        m = assessment.metric(ms.id)
        u = uncertainty_value(m)
        reasons = {x: "; ".join(m.reasons_in(x)) for x in ("zh", "en", "ko")}
        rows.append(
            [
                *_texts(names[ms.id], lang),
                m.value,
                value_texts(m)[0],
                m.unit or ms.unit,
                u,
                value_texts(m)[1],
                say(term("grade", m.grade)) if m.grade else None,
                ", ".join(expired_instruments(m)),
                say(_QUALIFIED if m.qualified else _NOT_QUALIFIED),
                say(Bi(reasons["zh"], reasons["en"], reasons["ko"])) if m.reasons else None,
            ]
        )
    n = len(langs_of(lang))  # the columns before the value: the metric's name per language
    metrics_ws = _sheet(
        wb,
        _sheet_title("metrics", lang),
        [
            *_per_language("metric", lang),
            *(
                _heading(k, lang)
                for k in (
                    "value",
                    "value_text",
                    "unit",
                    "u",
                    "u_text",
                    "grade",
                    "expired",
                    "sufficiency",
                    "reasons",
                )
            ),
        ],
        rows,
        first=True,
    )
    for row, ms in zip(metrics_ws.iter_rows(min_row=2), spec.metrics, strict=True):
        m = assessment.metric(ms.id)
        u = uncertainty_value(m)
        if u is not None and u > 0:
            # value and U at the last digit of U, as the text beside them
            row[n].number_format = row[n + 3].number_format = number_format(max(u_decimals(u), 0))
        elif isinstance(m.value, float):
            row[n].number_format = number_format(value_decimals(m.value, sig_for(m.unit)))
    products = {p.sku: p for p in site.products} if site else {}

    def product_name(sku: str) -> Bi:
        p = products.get(sku)
        if p is None:
            return Bi("", "", "")
        # a product has its Chinese name and, optionally, its English one; Korean readers
        # get the English name when there is one (as the report's tables print it)
        return Bi(p.name, p.name_en or p.name, p.name_en or p.name)

    by_sku = assessment.metric("unit_product_energy").detail.get("by_sku") or {}
    _sheet(
        wb,
        _sheet_title("by_sku", lang),
        [
            _heading("sku", lang),
            *_per_language("product", lang),
            *(
                _heading(k, lang)
                for k in (
                    "markets",
                    "good_qty",
                    "scrap_qty",
                    "good_mass_t",
                    "processed_mass_t",
                    "energy_kgce",
                    "value",
                    "value_text",
                    "unit",
                )
            ),
        ],
        [
            [
                k,
                *_texts(product_name(k), lang),
                ", ".join(say(term("market", x)) or x for x in products[k].markets)
                if k in products
                else "",
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
                say(term("carrier", meter.carrier)) if meter else None,
                say(term("role", meter.role)) if meter else None,
                say(term("process", meter.process)) if meter and meter.process else None,
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
        _sheet_title("by_meter", lang),
        [
            _heading(k, lang)
            for k in (
                "meter",
                "carrier",
                "role",
                "process",
                "line",
                "consumption",
                "unit",
                "kgce",
                "received",
                "expected",
                "completeness",
            )
        ],
        mrows,
    )
    order = {"error": 0, "warning": 1, "info": 2}
    _sheet(
        wb,
        _sheet_title("findings", lang),
        [
            _heading("severity", lang),
            _heading("code", lang),
            *_per_language("message", lang),
            _heading("metrics", lang),
        ],
        [
            [
                say(term("severity", f["severity"])),
                f["code"],
                *_texts(finding_text(f), lang),
                ", ".join(say(names[x]) or x if x in names else x for x in f.get("metrics") or []),
            ]
            for f in sorted(
                document.get("findings") or [], key=lambda f: order.get(f["severity"], 9)
            )
        ],
    )
    diagnosis = document.get("diagnosis") or {}
    measures = diagnosis.get("measures") or []
    if measures:
        _sheet(
            wb,
            _sheet_title("measures", lang),
            [
                _heading("rank", lang),
                *_per_language("measure", lang),
                *(
                    _heading(k, lang)
                    for k in (
                        "equipment",
                        "saving_low",
                        "saving",
                        "saving_high",
                        "saving_tco2e",
                        "saving_cny",
                        "investment",
                        "payback",
                        "lifetime",
                        "confidence",
                        "basis",
                        "source",
                    )
                ),
            ],
            [_measure_row(m, diagnosis, lang) for m in measures],
        )
    _sheet(
        wb,
        _sheet_title("inputs", lang),
        [_heading(k, lang) for k in ("file", "rows", "sha256")],
        [[i["file"], i.get("rows"), i["sha256"]] for i in document.get("inputs") or []],
    )
    wb.properties.title = f"{say(_TITLE)} — {document['enterprise']['name']}"
    wb.properties.creator = "thermaudit"
    wb.properties.language = {"zh": "zh-CN", "en": "en", "ko": "ko-KR"}[langs_of(lang)[0]]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".xlsx.tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path
