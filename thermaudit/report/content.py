"""What the report says: sections of blocks built from ``assessment.json``, the site, the
specification and the reference tables. Layout lives in the renderers.

The chapters are a registry (:data:`CHAPTERS`); a chapter builder returns ``None`` when the
document has nothing for it (e.g. ``diagnosis`` until the diagnosis stage exists).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from thermaudit.dataset.site import Site
from thermaudit.metrics.result import AssessedMetric, Assessment
from thermaudit.metrics.spec import Specification, methodology_formulas
from thermaudit.quality.findings import catalogue as finding_catalogue
from thermaudit.reference import table as reference_table
from thermaudit.report import charts
from thermaudit.report.blocks import (
    Bullets,
    Callout,
    Card,
    Cards,
    Cell,
    Cover,
    Facts,
    Figure,
    Formula,
    PageBreak,
    Para,
    Report,
    Section,
    Table,
    Text,
)
from thermaudit.report.departments import departments_table
from thermaudit.report.fmt import (
    MISSING,
    fmt,
    fmt_count,
    fmt_given,
    fmt_measured,
    fmt_pct_share,
    fmt_u,
    sig_for,
)
from thermaudit.report.labels import Bi, MissingTranslation, provisional, term, translated
from thermaudit.report.series import Series

B = Bi
#: significant digits of a temperature deviation without uncertainty [°C]
TEMPERATURE_SIG = sig_for("°C")
#: the status of a specification, as the reader reads it
_SPEC_STATUS = {
    "provisional": Bi("暂定", "provisional", "잠정"),
    "official": Bi("正式", "official", "정식"),
}
_UNKNOWN_STATUS = Bi("状态未声明", "status not stated", "상태 미기재")
#: order in which findings are listed
SEVERITY_ORDER = ("error", "warning", "info")


@dataclass
class Context:
    doc: dict[str, Any]
    site: Site | None
    spec: Specification
    series: Series | None
    lang: str
    assessment: Assessment
    #: a published ``benchmark.json`` (the peer position chapter), when given
    benchmark: dict[str, Any] | None = None

    def m(self, metric_id: str) -> AssessedMetric:
        return self.assessment.metric(metric_id)

    def d(self, metric_id: str) -> dict[str, Any]:
        return self.m(metric_id).detail

    def label(self, text: Text) -> str:
        return charts.label(text, self.lang)


def metric_name(ms: Any) -> Bi:
    """A metric's name, the English one capitalised as a label."""
    en = ms.name_en[:1].upper() + ms.name_en[1:]
    return Bi(ms.name_zh, en, ms.name_ko[:1].upper() + ms.name_ko[1:])


def uncertainty_value(metric: AssessedMetric) -> float | None:
    """Expanded uncertainty U (k=2) of a metric as a float; None when it has none."""
    return None if metric.uncertainty is None else float(metric.uncertainty)


def reference_version(name: str) -> str:
    """Short content hash of a packaged reference table: its version in the report."""
    raw = resources.files("thermaudit.reference").joinpath("data", f"{name}.csv").read_bytes()
    return hashlib.sha256(raw).hexdigest()[:12]


def document_id(doc: dict[str, Any]) -> str:
    raw = json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(raw).hexdigest()[:12].upper()


def expired_instruments(metric: AssessedMetric) -> list[str]:
    """Instruments whose calibration expired among the data a graded metric rests on."""
    if metric.grade is None:
        return []
    return list((metric.uncertainty_budget or {}).get("expired_instruments") or [])


def expired_text(metric: AssessedMetric) -> Bi | None:
    """ "calibration expired: …" said next to a grade, ``None`` when nothing expired."""
    ids = expired_instruments(metric)
    if not ids:
        return None
    return Bi(
        f"校准已过期：{'、'.join(ids)}",
        f"calibration expired: {', '.join(ids)}",
        f"교정 유효기간 만료: {', '.join(ids)}",
    )


def graded_text(metric: AssessedMetric) -> Text:
    """The grade, with the expired calibrations beside it (issue #17, 4c)."""
    grade = term("grade", metric.grade) if metric.grade else MISSING
    note = expired_text(metric)
    if note is None or isinstance(grade, str):
        return grade
    return Bi(
        f"{grade.zh}（{note.zh}）", f"{grade.en} ({note.en})", f"{grade.get('ko')} ({note.ko})"
    )


def _grade_cell(metric: AssessedMetric) -> Cell:
    grade = metric.grade
    tone = {"good": "good", "pass": "good", "fair": "warn", "poor": "bad", "fail": "bad"}.get(
        grade or "", "muted"
    )
    if expired_instruments(metric) and tone == "good":
        tone = "warn"  # a pass on data of an instrument out of calibration
    return Cell(graded_text(metric), tone=tone, bold=tone != "muted")


def _expired_callout(s: Section, metric: AssessedMetric) -> None:
    """Say in a metric's chapter that its grade rests on expired calibrations."""
    note = expired_text(metric)
    if note is None:
        return
    grade = term("grade", metric.grade)
    s.add(
        Callout(
            Bi(
                f"评级“{grade.zh}”所依据的数据来自校准已过期的仪表（{'、'.join(expired_instruments(metric))}）"
                "，该评级须待重新校准后确认。",
                f"The grade “{grade.en}” rests on data of instruments whose calibration expired "
                f"({', '.join(expired_instruments(metric))}); it stands to be confirmed after "
                "recalibration.",
                f"등급 “{grade.get('ko')}”은(는) 교정 유효기간이 만료된 계측기"
                f"({', '.join(expired_instruments(metric))})의 데이터에 근거하므로 재교정 후 "
                "확인이 필요하다.",
            ),
            "warn",
        )
    )


def _suff_cell(metric: AssessedMetric) -> Cell:
    if metric.qualified:
        return Cell(B("合格", "qualified", "적합"), tone="good")
    zh, en, ko = ("; ".join(metric.reasons_in(x)) or "?" for x in ("zh", "en", "ko"))
    return Cell(B(f"不合格：{zh}", f"not qualified: {en}", f"부적합: {ko}"), tone="bad")


def value_texts(metric: AssessedMetric) -> tuple[str, str]:
    """The value and U (k=2) of a metric as every output prints them (GUM 7.2.6, see
    :func:`thermaudit.report.fmt.fmt_measured`)."""
    return fmt_measured(metric.value, uncertainty_value(metric), metric.unit)


def _u_cell(metric: AssessedMetric) -> Cell | Text:
    u = uncertainty_value(metric)
    if u is not None:
        return value_texts(metric)[1]
    budget = metric.uncertainty_budget or {}
    if budget and not budget.get("complete", True) and metric.value is not None:
        return Cell(B("不完整", "incomplete", "불완전"), tone="warn")
    return Cell(MISSING, tone="muted")


def _card_note(metric: AssessedMetric, qualified: bool) -> Text:
    if not qualified:
        return B("数据不充分", "data not qualified", "데이터 불충분")
    u = uncertainty_value(metric)
    if u is None:
        return ""
    return f"U (k=2) = {value_texts(metric)[1]} {metric.unit}".rstrip()


def _pct(x: float | None) -> str:
    return MISSING if x is None else f"{fmt(x)} %"


# ============================================================================ cover


def cover(ctx: Context) -> Cover:
    doc = ctx.doc
    ent = doc["enterprise"]
    period = doc["period"]
    spec = ctx.spec
    tables = (doc.get("coefficients") or {}).get("tables") or []
    versions = B(
        *(
            ", ".join(f"{term('table', t).get(x)} @{reference_version(t)}" for t in tables)
            for x in ("zh", "en", "ko")
        )
    )
    return Cover(
        title=B(
            "节能降碳诊断报告",
            "Energy-saving and carbon-reduction diagnostic report",
            "에너지 절감·탄소 감축 진단 보고서",
        ),
        subtitle=B(spec.title_zh, spec.title_en, spec.title_ko),
        enterprise=B(
            ent["name"], ent.get("name_en") or ent["name"], ent.get("name_en") or ent["name"]
        ),
        facts=[
            (
                B("统一社会信用代码", "Unified social credit code", "통일사회신용코드"),
                ent["credit_code"],
            ),
            (
                B("行业 / 省份", "Sector / province", "업종 / 성(省)"),
                B(
                    f"{term('sector', ent.get('sector')).zh} / {ent.get('province', '')}",
                    f"{term('sector', ent.get('sector')).en} / {ent.get('province', '')}",
                    f"{term('sector', ent.get('sector')).ko} / {ent.get('province', '')}",
                ),
            ),
            (
                B("评估期", "Assessment period", "평가 기간"),
                f"{period['start']} – {period['end']} ({period.get('timezone', '')})",
            ),
            (
                B("指标规范", "Metric specification", "지표 규격"),
                Bi(
                    *(
                        f"{doc['specification']} ({status.get(g)})"
                        for status in [_SPEC_STATUS.get(spec.status, _UNKNOWN_STATUS)]
                        for g in ("zh", "en", "ko")
                    )
                ),
            ),
            (B("系数表版本", "Coefficient tables", "계수표 버전"), versions),
            (
                B("电网排放因子年份", "Grid factor year", "전력망 배출계수 연도"),
                str((doc.get("coefficients") or {}).get("grid_factor_year", MISSING)),
            ),
            (
                B("软件", "Software", "소프트웨어"),
                f"{doc['software']['name']} {doc['software']['version']} · "
                f"{doc.get('generated_at', '')}",
            ),
        ],
        signatures=[
            B("评估人", "Assessor", "평가자"),
            B("审核人", "Reviewer", "검토자"),
            B("批准人", "Approved by", "승인자"),
        ],
        report_id=document_id(doc),
        status=B(
            "暂行规范：指标及分级以官方技术规范发布为准",
            "Provisional specification: metrics and grading are subject to the official one",
            "잠정 규격: 지표와 등급은 공식 기술 규격 발표에 따름",
        ),
    )


# ============================================================================ chapters


def _tone(grade: str | None) -> str:
    return {"good": "good", "pass": "good", "fair": "warn", "poor": "bad", "fail": "bad"}.get(
        grade or "", "muted"
    )


def summary(ctx: Context) -> Section:
    s = Section("summary", B("评估结论摘要", "Summary of results", "평가 결과 요약"))
    cards = []
    short = {
        "unit_product_energy": B(
            "单位产品综合能耗", "Unit product energy", "단위 제품당 종합 에너지 소비량"
        ),
        "waste_heat_recovery_rate": B("余热回收率", "Waste heat recovery", "폐열 회수율"),
        "mold_temperature_control_accuracy": B(
            "模温控制精度", "Mold temperature accuracy", "금형 온도 제어 정확도"
        ),
        "melting_energy_intensity": B("熔化单耗", "Melting energy intensity", "용해 원단위"),
        "unit_product_carbon_intensity": B(
            "单位产品碳排放强度", "Carbon intensity", "단위 제품당 탄소 배출 강도"
        ),
        "energy_metering_coverage": B(
            "能源计量器具配备率", "Metering coverage", "에너지 계량기 설치율"
        ),
    }
    for ms in ctx.spec.metrics:
        m = ctx.m(ms.id)
        value = value_texts(m)[0]
        if ms.id == "mold_temperature_control_accuracy" and m.value is not None:
            value = f"±{value}"
        suff = m.qualified is not False  # a metric the document lacks is not disqualified
        grade = m.grade
        cards.append(
            Card(
                short.get(ms.id, metric_name(ms)),
                value,
                m.unit or ms.unit,
                graded_text(m) if grade else B("不可计算", "not computable", "계산 불가"),
                ("warn" if expired_instruments(m) and _tone(grade) == "good" else _tone(grade))
                if suff
                else "bad",
                _card_note(m, suff),
            )
        )
    s.add(Cards(cards))
    rows: list[list[Cell | Text]] = []
    for ms in ctx.spec.metrics:
        m = ctx.m(ms.id)
        rows.append(
            [
                Cell(metric_name(ms), bold=True),
                Cell(value_texts(m)[0], bold=True),
                m.unit or ms.unit,
                _u_cell(m),
                _grade_cell(m),
                _suff_cell(m),
            ]
        )
    s.add(
        Table(
            [
                B("指标", "Metric", "지표"),
                B("结果", "Value", "결과"),
                B("单位", "Unit", "단위"),
                B("U (k=2)", "U (k=2)", "U (k=2)"),
                B("评级", "Grade", "등급"),
                B("数据充分性", "Data sufficiency", "데이터 충분성"),
            ],
            rows,
            "lrlrll",
            [3.2, 1.1, 0.9, 0.9, 1.0, 1.9],
            caption=B("表 1  六项指标", "Table 1  The six metrics", "표 1  6개 지표"),
            notes=[
                B(
                    f"规范 {ctx.spec.ref}；单位产品综合能耗为当量值"
                    "口径；“—”表示扩展不确定度 U（k=2）尚未评定或不可计算。",
                    f"Specification {ctx.spec.ref}; unit product energy on the calorific basis; "
                    "a dash (—) under U (k=2): not evaluated or not computable.",
                    f"규격 {ctx.spec.ref}; 단위 제품당 종합 에너지 소비량은 당량값 기준; "
                    "U (k=2) 란의 “—”: 확장 불확도가 평가되지 않았거나 계산 불가.",
                )
            ],
        )
    )
    obs = observations(ctx)
    if obs:
        s.sub("observations", B("主要结论", "Key observations", "주요 결과")).add(Bullets(obs))
    counts = {sev: 0 for sev in SEVERITY_ORDER}
    for f in ctx.doc.get("findings", []):
        counts[f["severity"]] = counts.get(f["severity"], 0) + 1
    text_zh = "，".join(f"{term('severity', k).zh} {v} 项" for k, v in counts.items())
    plural = {
        "error": ("error", "errors"),
        "warning": ("warning", "warnings"),
        "info": ("note", "notes"),
    }
    text_en = ", ".join(f"{v} {plural.get(k, (k, k))[v != 1]}" for k, v in counts.items())
    text_ko = ", ".join(f"{term('severity', k).ko} {v}건" for k, v in counts.items())
    tone = "bad" if counts.get("error") else "warn" if counts.get("warning") else "good"
    s.add(
        Callout(
            B(
                f"数据质量发现：{text_zh}（详见“数据质量发现”一章）。",
                f"Data-quality findings: {text_en} (see the chapter Findings).",
                f"데이터 품질 발견 사항: {text_ko} (“데이터 품질 발견 사항” 장 참조).",
            ),
            tone,
        )
    )
    disq = [ms for ms in ctx.spec.metrics if ctx.m(ms.id).qualified is False]
    if disq:
        names = B(
            "、".join(ms.name_zh for ms in disq),
            ", ".join(ms.name_en for ms in disq),
            ", ".join(ms.name_ko for ms in disq),
        )
        s.add(
            Callout(
                B(
                    f"以下指标数据不充分，结果仅供参考：{names.zh}。",
                    f"Data do not qualify for: {names.en}; the values are indicative only.",
                    f"다음 지표는 데이터가 불충분하여 결과는 참고용입니다: {names.ko}.",
                ),
                "bad",
            )
        )
    return s


def observations(ctx: Context) -> list[Text]:
    """Plain statements drawn from the figures (no judgement beyond the specification)."""
    out: list[Text] = []
    upe = ctx.m("unit_product_energy")
    d = upe.detail
    by_sku = {
        k: v
        for k, v in (d.get("by_sku") or {}).items()
        if v.get("value") is not None and (v.get("unit") or "kgce/t") == "kgce/t"
    }
    if upe.value is not None:
        zh = (
            f"单位产品综合能耗 {value_texts(upe)[0]} kgce/t（当量值），等价值口径 "
            f"{fmt(d.get('equivalent_basis_value'))} kgce/t"
            f"；综合能耗 {fmt(d.get('energy_kgce'))} kgce，"
            f"合格品 {fmt(d.get('good_mass_t'))} t。"
        )
        en = (
            f"Unit product energy {value_texts(upe)[0]} kgce/t (calorific), "
            f"{fmt(d.get('equivalent_basis_value'))} kgce/t on the equivalent basis; "
            f"E = {fmt(d.get('energy_kgce'))} kgce over "
            f"{fmt(d.get('good_mass_t'))} t of good product."
        )
        ko = (
            f"단위 제품당 종합 에너지 소비량 {value_texts(upe)[0]} kgce/t(당량값), 등가값 기준 "
            f"{fmt(d.get('equivalent_basis_value'))} kgce/t; 종합 에너지 소비량 "
            f"{fmt(d.get('energy_kgce'))} kgce, 양품 {fmt(d.get('good_mass_t'))} t."
        )
        if len(by_sku) >= 2:
            hi = max(by_sku, key=lambda k: by_sku[k]["value"])
            lo = min(by_sku, key=lambda k: by_sku[k]["value"])
            v_hi, v_lo = fmt(by_sku[hi]["value"]), fmt(by_sku[lo]["value"])
            zh += f"产品单耗最高为 {hi}（{v_hi}），最低为 {lo}（{v_lo}）。"
            en += (
                f" Highest product intensity {hi} ({fmt(by_sku[hi]['value'])}), lowest {lo} "
                f"({fmt(by_sku[lo]['value'])})."
            )
            ko += f" 제품 원단위 최고 {hi}({v_hi}), 최저 {lo}({v_lo})."
        out.append(B(zh, en, ko))
    mold = ctx.m("mold_temperature_control_accuracy")
    by_c = mold.detail.get("by_controller") or {}
    if by_c:
        bad = [k for k, v in by_c.items() if v.get("pass") is False]
        cal = [k for k, v in by_c.items() if v.get("calibration") not in (None, "valid")]
        zh = f"模温控制精度 ±{value_texts(mold)[0]} °C（{len(by_c)} 台控制器）"
        en = f"Mold temperature accuracy ±{value_texts(mold)[0]} °C ({len(by_c)} controllers)"
        ko = f"금형 온도 제어 정확도 ±{value_texts(mold)[0]} °C(제어기 {len(by_c)}대)"
        if bad:
            p95 = {k: fmt(by_c[k].get("p95_abs_c"), TEMPERATURE_SIG) for k in bad}
            zh += "；超出自身公差：" + "、".join(f"{k}（P95 {p95[k]} °C）" for k in bad)
            en += "; beyond their own tolerance: " + ", ".join(
                f"{k} (P95 {p95[k]} °C)" for k in bad
            )
            ko += "; 자체 공차 초과: " + ", ".join(f"{k}(P95 {p95[k]} °C)" for k in bad)
        if cal:
            st = {k: term("calibration", by_c[k].get("calibration")) for k in cal}
            zh += "；校准无效：" + "、".join(f"{k}（{st[k].zh}）" for k in cal)
            en += "; calibration not valid: " + ", ".join(f"{k} ({st[k].en})" for k in cal)
            ko += "; 교정 무효: " + ", ".join(f"{k}({st[k].ko})" for k in cal)
        out.append(B(zh + "。", en + ".", ko + "."))
    heat = ctx.m("waste_heat_recovery_rate")
    hd = heat.detail
    if hd.get("available_gj"):
        out.append(
            B(
                f"余热回收率 {value_texts(heat)[0]} %：回收 {fmt(hd.get('recovered_gj'))} GJ，"
                f"可利用 {fmt(hd.get('available_gj'))} GJ，尚有 "
                f"{fmt((hd.get('available_gj') or 0) - (hd.get('recovered_gj') or 0))} GJ 未回收。",
                f"Waste heat recovery {value_texts(heat)[0]} %: {fmt(hd.get('recovered_gj'))} GJ "
                f"recovered of {fmt(hd.get('available_gj'))} GJ available; "
                f"{fmt((hd.get('available_gj') or 0) - (hd.get('recovered_gj') or 0))} "
                "GJ not recovered.",
                f"폐열 회수율 {value_texts(heat)[0]} %: "
                f"이용 가능 {fmt(hd.get('available_gj'))} GJ 중 "
                f"{fmt(hd.get('recovered_gj'))} GJ 회수, "
                f"{fmt((hd.get('available_gj') or 0) - (hd.get('recovered_gj') or 0))} GJ 미회수.",
            )
        )
    melt = ctx.m("melting_energy_intensity")
    md = melt.detail
    if melt.value is not None:
        out.append(
            B(
                f"熔化单耗 {value_texts(melt)[0]} kgce/t，熔炼热效率 "
                f"{fmt(md.get('thermal_efficiency_pct'))} %"
                f"（熔化金属 {fmt(md.get('metal_t'))} t）。",
                f"Melting {value_texts(melt)[0]} kgce/t at a thermal efficiency of "
                f"{fmt(md.get('thermal_efficiency_pct'))} % ({fmt(md.get('metal_t'))} t melted).",
                f"용해 원단위 {value_texts(melt)[0]} kgce/t, 용해 열효율 "
                f"{fmt(md.get('thermal_efficiency_pct'))} % (용해 금속 {fmt(md.get('metal_t'))} "
                "t).",
            )
        )
    carb = ctx.m("unit_product_carbon_intensity")
    cd = carb.detail
    if carb.value is not None:
        out.append(
            B(
                f"碳排放强度 {value_texts(carb)[0]} tCO2e/t（基于位置），基于市场 "
                f"{fmt(cd.get('market_based_value'))} tCO2e/t；范围一 {fmt(cd.get('scope1_t'))} t，"
                f"范围二 {fmt(cd.get('scope2_location_t'))} t。",
                f"Carbon intensity {value_texts(carb)[0]} tCO2e/t location-based, "
                f"{fmt(cd.get('market_based_value'))} market-based; "
                f"scope 1: {fmt(cd.get('scope1_t'))} t, "
                f"scope 2: {fmt(cd.get('scope2_location_t'))} t.",
                f"탄소 배출 강도 {value_texts(carb)[0]} tCO2e/t (위치 기반), 시장 기반 "
                f"{fmt(cd.get('market_based_value'))} tCO2e/t; Scope 1 {fmt(cd.get('scope1_t'))} "
                "t, "
                f"Scope 2 {fmt(cd.get('scope2_location_t'))} t.",
            )
        )
    cov = ctx.m("energy_metering_coverage")
    vd = cov.detail
    missing = [
        k
        for k in (vd.get("key_equipment_list") or {})
        if k not in set(vd.get("key_equipment_fitted") or [])
    ]
    if cov.value is not None:
        zh = f"主要用能设备计量器具配备率 {value_texts(cov)[0]} %"
        en = f"Key-equipment metering coverage {value_texts(cov)[0]} %"
        ko = f"주요 에너지 사용 설비 계량기 설치율 {value_texts(cov)[0]} %"
        if missing:
            zh += f"，未配专用计量：{'、'.join(missing)}"
            en += f"; no dedicated meter: {', '.join(missing)}"
            ko += f", 전용 계량 없음: {', '.join(missing)}"
        out.append(B(zh + "。", en + ".", ko + "."))
    return out


#: the symbols of the methodology formulas, in the reader's language
FORMULA_SYMBOLS = B(
    "符号：E 综合能耗，P 合格品质量，e 单位产品综合能耗，q_i 计量表 i 的用量，c_i 其折标系数；"
    "Q 热量，V 流量，cp 比热（w 水、fg 烟气、a 空气），R 余热回收率；δ 模温控制精度，"
    "T_act 实测、T_set 设定温度；η 熔炼热效率，Q_th 理论热，Q_in 输入能量，m 熔化金属质量，"
    "L 熔化潜热；CO2_1 范围一、CO2_2 范围二排放，B 燃料用量，C 单位热值含碳量，OF 氧化率，"
    "W_el 净外购电力，EF_grid 电网排放因子，Q_heat 净外购热力。",
    "Symbols: E comprehensive energy, P good mass, e unit product energy, q_i meter i's "
    "consumption, c_i its coefficient; Q heat, V flow, cp specific heat (w water, fg flue gas, "
    "a air), R waste heat recovery rate; δ mold temperature control accuracy, T_act actual and "
    "T_set set temperature; η melting thermal efficiency, Q_th theoretical heat, Q_in energy "
    "input, m metal melted, L latent heat; CO2_1 scope 1 and CO2_2 scope 2 emissions, B fuel "
    "used, C carbon content per unit of heat, OF oxidation factor, W_el net purchased "
    "electricity, EF_grid grid emission factor, Q_heat net purchased heat.",
    "기호: E 종합 에너지 소비량, P 양품 질량, e 단위 제품당 종합 에너지 소비량, q_i 계량기 i의 "
    "사용량, c_i 그 환산계수; Q 열량, V 유량, cp 비열(w 물, fg 배기가스, a 공기), R 폐열 "
    "회수율; δ 금형 온도 제어 정확도, T_act 실측 온도, T_set 설정 온도; η 용해 열효율, Q_th "
    "이론 열량, Q_in 투입 에너지, m 용해 금속량, L 용해 잠열; CO2_1 Scope 1 배출, CO2_2 Scope 2 "
    "배출, B 연료 사용량, C 단위 열량당 탄소 함량, OF 산화율, W_el 순 외부 구입 전력, EF_grid "
    "전력망 배출계수, Q_heat 순 외부 구입 열.",
)
PROVISIONAL_NOTE = B(
    "部分系数与阈值为暂行值，待官方技术规范发布后确认；本报告按原值使用，各项来源与可信度见附录"
    "“暂行系数与阈值”。",
    "Some coefficients and thresholds are provisional, pending the official specification; "
    "this report used them as given. The source and confidence of each are in the annex "
    "Provisional coefficients and thresholds.",
    "일부 계수와 임계값은 잠정값으로 공식 기술 규격 발표 후 확정된다. 본 보고서는 이를 그대로 "
    "사용했으며, 각 항목의 출처와 신뢰도는 부록 “잠정 계수와 임계값”에 있다.",
)
#: where the natural gas NCV in force came from
_NCV_SOURCE = {
    "option": B("企业设定", "set by the plant", "사업장 설정"),
    "default": B("默认值", "default", "기본값"),
    "measured": B("实测", "measured", "실측"),
}


def _sourced(source: Any, confidence: Any) -> Text:
    """``source [confidence]`` in the reader's language."""
    src, conf = translated(source), term("confidence", confidence)
    return B(f"{src.zh} [{conf.zh}]", f"{src.en} [{conf.en}]", f"{src.ko} [{conf.ko}]")


def _translated(text: Any) -> Text:
    """A text of the reference data in the reader's language; ``—`` when there is none."""
    return MISSING if text in (None, "") else translated(text)


def _gas_in_force(in_force: dict[str, Any]) -> Text:
    value = (
        f"{fmt(in_force.get('natural_gas_kgce_per_m3'))} kgce/m3 "
        f"(NCV {fmt(in_force.get('natural_gas_ncv_mj_per_m3'))} MJ/m3"
    )
    src = in_force.get("natural_gas_ncv_source")
    if src is None:
        return value + ")"
    how = _NCV_SOURCE.get(src) or translated(src)
    return B(f"{value}，{how.zh})", f"{value}, {how.en})", f"{value}, {how.ko})")


def _grid_in_force(detail: dict[str, Any]) -> Text:
    """The grid factor used, with its region, year and source from the grid factor table."""
    value = f"{fmt(detail.get('grid_factor_kgco2_per_kwh'))} kgCO2/kWh"
    used = detail.get("grid_factor_source") or ""
    for r in reference_table("grid_factors"):
        if used.startswith(f"{r['region']} {r['year']}"):
            reg, src = translated(r["region"]), translated(r["source"])
            return B(
                f"{value}（{reg.zh} {r['year']}：{src.zh}）",
                f"{value} ({reg.en} {r['year']}: {src.en})",
                f"{value}({reg.ko} {r['year']}: {src.ko})",
            )
    return value


def provisional_items(ctx: Context) -> list[list[Cell | Text]]:
    """Rows of the annex of provisional coefficients and thresholds: what, value, source,
    confidence; every figure of the reference data or the specification marked as not yet
    confirmed against its standard."""
    rows: list[list[Cell | Text]] = []

    def add(what: Text, value: str, source: Any, confidence: Any) -> None:
        conf = term("confidence", confidence) if confidence else MISSING
        rows.append([what, value, translated(source), conf])

    for r in reference_table("coefficients"):
        if provisional(r["source"]):
            what = B(
                f"{term('carrier', r['carrier']).zh} 折标系数",
                f"{term('carrier', r['carrier']).en}, coefficient",
                f"{term('carrier', r['carrier']).ko} 환산계수",
            )
            add(
                what,
                f"{fmt_given(r['kgce_per_unit'])} kgce/{r['unit']}",
                r["source"],
                r["confidence"],
            )
    for r in reference_table("emission_factors"):
        if provisional(r["source"]):
            what = B(
                f"{term('carrier', r['carrier']).zh} 排放因子",
                f"{term('carrier', r['carrier']).en}, emission factor",
                f"{term('carrier', r['carrier']).ko} 배출계수",
            )
            value = (
                f"{fmt_given(r['ncv_gj_per_t'])} GJ/t · {fmt_given(r['carbon_tc_per_tj'])} tC/TJ"
                f" · {fmt_given(r['oxidation'])}"
            )
            add(what, value, r["source"], r["confidence"])
    for r in reference_table("materials"):
        if provisional(r["source"]):
            value = (
                f"cp,s {fmt_given(r['cp_solid_kj_kg_k'])} · T_m {fmt_given(r['melting_point_c'])}"
                f" °C · L {fmt_given(r['latent_heat_kj_kg'])} kJ/kg"
            )
            add(term("material", r["group"]), value, r["source"], r["confidence"])
    for ms in ctx.spec.metrics:
        name, raw, g = metric_name(ms), ms.raw, ms.grading
        for text in (raw.get("standard"), raw.get("note")):
            if text and provisional(text):
                add(name, MISSING, text, None)
        if g.get("source") and provisional(g["source"]):
            add(name, MISSING, g["source"], g.get("confidence"))
        for band in g.get("bands", []) + g.get("bands_efficiency", []):
            if provisional(band.get("source", "")):
                grade = term("grade", band["grade"])
                what = B(
                    f"{name.zh}：{grade.zh}", f"{name.en}: {grade.en}", f"{name.ko}: {grade.ko}"
                )
                add(what, f"≥ {fmt_given(band['min'])}", band["source"], band.get("confidence"))
    return rows


def annex_provisional(ctx: Context) -> Section | None:
    """Annex: the provisional coefficients and thresholds, with source and confidence."""
    rows = provisional_items(ctx)
    if not rows:
        return None
    s = Section(
        "provisional",
        B("暂行系数与阈值", "Provisional coefficients and thresholds", "잠정 계수와 임계값"),
        annex=True,
    )
    s.add(
        Para(
            B(
                "下列系数与阈值为暂行值，待官方技术规范发布后确认。本报告按原值使用；"
                "各项注明来源与可信度。",
                "The coefficients and thresholds below are provisional, pending the official "
                "specification. This report used them as given; each is listed with its source "
                "and confidence.",
                "아래 계수와 임계값은 잠정값으로 공식 기술 규격 발표 후 확정된다. 본 보고서는 이를 "
                "그대로 사용했으며, 각 항목에 출처와 신뢰도를 밝힌다.",
            )
        ),
        Table(
            [
                B("项目", "Item", "항목"),
                B("数值", "Value", "수치"),
                B("来源", "Source", "출처"),
                B("可信度", "Confidence", "신뢰도"),
            ],
            rows,
            "lrll",
            [1.8, 1.4, 3.4, 0.7],
            small=True,
        ),
    )
    return s


def methodology(ctx: Context) -> Section:
    s = Section("methodology", B("评估边界与方法", "Boundary and methodology", "평가 경계와 방법"))
    doc, site = ctx.doc, ctx.site
    b = s.sub("boundary", B("评估边界", "Boundary", "평가 경계"))
    roles: dict[str, list[str]] = {}
    for mid in doc.get("meters", {}):
        role = site.meter(mid).role if site else "?"
        roles.setdefault(role, []).append(mid)
    b.add(
        Para(
            B(
                "评估边界为企业法人边界内的生产系统。综合能耗 E = "
                "Σ 外购输入 + Σ 自发电 − Σ 扣除（非生产）"
                " − Σ 外供输出，各计量表期内用量乘以其能源"
                "折标系数；厂内产生的耗能工质已通过其耗电计入，"
                "回收余热不重复计入。",
                "The boundary is the production system within the enterprise's legal boundary. "
                "Comprehensive energy E = Σ supply + Σ generation − Σ excluded − Σ export, each "
                "meter's period consumption times its "
                "carrier's coefficient; media made on site are "
                "already in E through their electricity, and recovered heat is not added again.",
                "평가 경계는 기업 법인 경계 내의 생산 시스템이다. 종합 에너지 소비량 E = "
                "Σ 외부 구입 + Σ 자가 발전 − Σ 제외(비생산) − Σ 외부 공급이며, 각 계량기의 "
                "기간 사용량에 해당 에너지원의 표준석탄 환산계수를 곱한다. 사업장에서 생산한 "
                "에너지 매체는 그 전력 소비로 이미 E에 포함되며, 회수 폐열은 다시 더하지 않는다.",
            )
        ),
        Table(
            [B("计量角色", "Role", "계량 역할"), B("计量表", "Meters", "계량기")],
            [[term("role", r), ", ".join(ids)] for r, ids in roles.items()],
            "ll",
            [1, 4],
            small=True,
        ),
    )
    f = s.sub("formulas", B("指标计算方法", "Metric formulas", "지표 계산 방법"))
    rows: list[list[Cell | Text]] = []
    for ms in ctx.spec.metrics:
        raw = ms.raw
        rows.append(
            [
                Cell(metric_name(ms), bold=True),
                Cell(_translated(raw.get("formula"))),
                _translated(raw.get("standard")),
            ]
        )
    f.add(
        Table(
            [
                B("指标", "Metric", "지표"),
                B("公式", "Formula", "산식"),
                B("依据", "Standard", "근거"),
            ],
            rows,
            "lll",
            [1.6, 3.4, 1.3],
            small=True,
        )
    )
    f.add(Formula(methodology_formulas(ctx.spec)))
    f.add(Para(FORMULA_SYMBOLS, "note"))
    coef = s.sub(
        "coefficients",
        B(
            "折标系数与排放因子",
            "Coefficients and emission factors",
            "표준석탄 환산계수와 배출계수",
        ),
    )
    in_force = (ctx.d("unit_product_energy").get("coefficients")) or {}
    crow: list[list[Cell | Text]] = []
    for r in reference_table("coefficients"):
        flagged = provisional(r["source"])
        crow.append(
            [
                term("carrier", r["carrier"]),
                r["unit"],
                fmt_given(r["kgce_per_unit"]),
                Cell(translated(r["source"]), tone="warn" if flagged else None),
                term("confidence", r["confidence"]),
            ]
        )
    coef.add(
        Table(
            [
                B("能源", "Carrier", "에너지원"),
                B("单位", "Unit", "단위"),
                B("kgce/单位", "kgce/unit", "kgce/단위"),
                B("来源", "Source", "출처"),
                B("可信度", "Confidence", "신뢰도"),
            ],
            crow,
            "llrll",
            [1.3, 0.6, 0.9, 4.0, 0.8],
            caption=B(
                "折标准煤系数",
                "Coefficients to standard coal",
                "표준석탄 환산계수",
            ),
            small=True,
        )
    )
    erow: list[list[Cell | Text]] = []
    for r in reference_table("emission_factors"):
        flagged = provisional(r["source"])
        erow.append(
            [
                term("carrier", r["carrier"]),
                fmt_given(r["ncv_gj_per_t"]),
                fmt_given(r["carbon_tc_per_tj"]),
                fmt_given(r["oxidation"]),
                fmt_given(r["kgco2_per_unit"]),
                r["unit"],
                Cell(translated(r["source"]), tone="warn" if flagged else None),
            ]
        )
    coef.add(
        Table(
            [
                B("能源", "Carrier", "에너지원"),
                "NCV GJ/t",
                "tC/TJ",
                B("氧化率", "Oxidation", "산화율"),
                "kgCO2/unit",
                B("单位", "Unit", "단위"),
                B("来源", "Source", "출처"),
            ],
            erow,
            "lrrrrll",
            [1.2, 0.8, 0.7, 0.8, 0.9, 0.5, 3.6],
            caption=B("排放因子", "Emission factors", "배출계수"),
            small=True,
        )
    )
    carbon_detail = ctx.d("unit_product_carbon_intensity")
    gf_src = carbon_detail.get("grid_factor_source") or ""
    grow: list[list[Cell | Text]] = []
    for r in reference_table("grid_factors"):
        used = gf_src.startswith(f"{r['region']} {r['year']}")
        grow.append(
            [
                Cell(translated(r["region"]), bold=used),
                str(r["year"]),
                Cell(fmt_given(r["kgco2_per_kwh"]), bold=used),
                Cell(B("采用", "used", "적용") if used else "", tone="good" if used else None),
                translated(r["source"]),
            ]
        )
    coef.add(
        Table(
            [
                B("区域", "Region", "지역"),
                B("年份", "Year", "연도"),
                "kgCO2/kWh",
                "",
                B("来源", "Source", "출처"),
            ],
            grow,
            "lrrll",
            [1.2, 0.6, 1.0, 0.6, 3.8],
            caption=B("电网排放因子", "Grid emission factors", "전력망 배출계수"),
            small=True,
        )
    )
    mrow: list[list[Cell | Text]] = []
    for r in reference_table("materials"):
        flagged = provisional(r["source"])
        mrow.append(
            [
                term("material", r["group"]),
                str(r["prefixes"]).replace("|", ", "),
                fmt_given(r["cp_solid_kj_kg_k"]),
                fmt_given(r["melting_point_c"]),
                fmt_given(r["latent_heat_kj_kg"]),
                fmt_given(r["cp_liquid_kj_kg_k"]),
                Cell(translated(r["source"]), tone="warn" if flagged else None),
            ]
        )
    coef.add(
        Table(
            [
                B("材料组", "Group", "재료군"),
                B("牌号前缀", "Prefixes", "재질 기호 접두어"),
                "cp,s kJ/(kg·K)",
                "T_m °C",
                "L kJ/kg",
                "cp,l kJ/(kg·K)",
                B("来源", "Source", "출처"),
            ],
            mrow,
            "llrrrrl",
            [0.9, 1.6, 0.8, 0.6, 0.6, 0.8, 3.0],
            caption=B("材料热物性", "Material properties", "재료 열물성"),
            small=True,
        )
    )
    if in_force:
        coef.add(
            Facts(
                [
                    (
                        B(
                            "本次采用：电力当量值",
                            "In force: electricity, calorific",
                            "적용값: 전력 당량값",
                        ),
                        f"{fmt(in_force.get('electricity_kgce_per_kwh'))} kgce/kWh",
                    ),
                    (
                        B(
                            "本次采用：电力等价值",
                            "In force: electricity, equivalent",
                            "적용값: 전력 등가값",
                        ),
                        f"{fmt(in_force.get('electricity_equivalent_kgce_per_kwh'))} kgce/kWh",
                    ),
                    (
                        B("本次采用：天然气", "In force: natural gas", "적용값: 천연가스"),
                        _gas_in_force(in_force),
                    ),
                    (
                        B(
                            "本次采用：电网排放因子",
                            "In force: grid factor",
                            "적용값: 전력망 배출계수",
                        ),
                        _grid_in_force(carbon_detail),
                    ),
                ]
            )
        )
    if provisional_items(ctx):
        coef.add(Callout(PROVISIONAL_NOTE, "warn"))
    p = s.sub("parameters", B("规范参数", "Specification parameters", "규격 매개변수"))
    p.add(
        Table(
            [B("参数", "Parameter", "매개변수"), B("数值", "Value", "수치")],
            [[term("parameter", k), fmt_given(v)] for k, v in ctx.spec.parameters.items()],
            "lr",
            [3, 1],
            small=True,
            narrow=True,
        )
    )
    return s


def energy_balance(ctx: Context) -> Section:
    s = Section("energy", B("能源平衡", "Energy balance", "에너지 수지"))
    _expired_callout(s, ctx.m("unit_product_energy"))
    d = ctx.d("unit_product_energy")
    site = ctx.site
    total = d.get("energy_kgce") or 0.0
    by_carrier = d.get("by_carrier") or {}
    rows: list[list[Cell | Text]] = [
        [term("carrier", c), fmt(v), _pct(100 * v / total if total else None)]
        for c, v in sorted(by_carrier.items(), key=lambda kv: -kv[1])
    ]
    rows.append(
        [Cell(B("合计 E", "Total E", "합계 E"), bold=True), Cell(fmt(total), bold=True), "100 %"]
    )
    s.add(
        Table(
            [
                B("能源品种", "Carrier", "에너지원"),
                B("净折标量 kgce", "Net kgce", "순 환산량 kgce"),
                B("占比", "Share", "비중"),
            ],
            rows,
            "lrr",
            [2, 1.2, 1],
            caption=B("按能源品种（净值）", "By carrier (net)", "에너지원별(순값)"),
            narrow=True,
        )
    )
    by_role = d.get("by_role") or {}
    s.add(
        Table(
            [B("计量角色", "Role", "계량 역할"), "kgce"],
            [[term("role", r), fmt(v)] for r, v in by_role.items()],
            "lr",
            [2, 1.2],
            caption=B(
                "按计量角色（量值，扣除与外供另行减去）",
                "By role (magnitudes; excluded and export are subtracted)",
                "계량 역할별(크기; 제외와 외부 공급은 차감)",
            ),
            narrow=True,
        )
    )
    if site is not None:
        fig = _sankey(ctx, d)
        if fig:
            s.add(fig)
    if ctx.series is not None and ctx.series.days:
        ser = ctx.series
        pts = [
            (f"{day.month}/{day.day}", v)
            for day, v in zip(ser.days, ser.daily_intensity, strict=True)
        ]
        svg = charts.trend(
            pts,
            "kgce/t",
            ctx.label(
                B(
                    "日单位产品综合能耗",
                    "Daily unit product energy",
                    "일별 단위 제품당 종합 에너지 소비량",
                )
            ),
            mean=(
                ctx.label(
                    B(
                        f"期间值 {fmt(ctx.m('unit_product_energy').value)}",
                        f"period {fmt(ctx.m('unit_product_energy').value)}",
                        f"기간값 {fmt(ctx.m('unit_product_energy').value)}",
                    )
                ),
                ctx.m("unit_product_energy").value or 0.0,
            )
            if ctx.m("unit_product_energy").value is not None
            else None,
            bars=ser.daily_good_t,
            bars_unit="t",
        )
        s.add(
            Figure(
                "daily-intensity",
                svg,
                B(
                    "日单位产品综合能耗（折线，左轴）与日合格品质量（柱，右轴）；区间按其结束时刻"
                    "计入当日。",
                    "Daily unit product energy (line, left axis) "
                    "and daily good mass (bars, right axis); "
                    "each interval counts on the day it ends.",
                    "일별 단위 제품당 종합 에너지 소비량(꺾은선, 왼쪽 축)과 일별 양품 질량(막대, "
                    "오른쪽 축); "
                    "각 구간은 종료 시각이 속한 날에 계산.",
                ),
            )
        )
    mrow: list[list[Cell | Text]] = []
    cov = ctx.d("energy_metering_coverage").get("completeness_by_meter") or {}
    by_meter = d.get("by_meter") or {}
    for mid, mc in (ctx.doc.get("meters") or {}).items():
        meter = site.meter(mid) if site else None
        mrow.append(
            [
                Cell(mid, mono=True),
                term("carrier", meter.carrier) if meter else MISSING,
                term("role", meter.role) if meter else MISSING,
                term("process", meter.process) if meter and meter.process else MISSING,
                (meter.line or MISSING) if meter else MISSING,
                fmt(mc.get("consumption")),
                mc.get("unit") or "",
                fmt(by_meter.get(mid)),
                _pct(cov.get(mid)),
            ]
        )
    s.add(
        Table(
            [
                B("计量表", "Meter", "계량기"),
                B("能源", "Carrier", "에너지원"),
                B("角色", "Role", "역할"),
                B("工序", "Process", "공정"),
                B("产线", "Line", "라인"),
                B("期内用量", "Consumption", "기간 사용량"),
                B("单位", "Unit", "단위"),
                "kgce",
                B("完整率", "Complete", "완전성"),
            ],
            mrow,
            "llllrrlrr",
            [1.1, 1.0, 1.0, 1.0, 0.7, 1.1, 0.6, 1.0, 0.9],
            caption=B("分表用量", "Consumption by meter", "계량기별 사용량"),
            small=True,
        )
    )
    return s


def sankey_flows(
    site: Site, d: dict[str, Any]
) -> tuple[dict[str, float], dict[str, float], list[charts.Flow]] | None:
    """Nodes and flows of the energy-flow chart from metric 1's detail [kgce].

    Carriers (supply + generation) → processes (submeters by process, the excluded meters,
    and the rest as "not submetered") → SKUs. Process-to-SKU flows follow each SKU's share of
    the allocated energy and are scaled so that the SKUs add up to E (net of export).
    Returns (carrier inputs, process totals, flows), or None without inputs or SKUs.
    """
    by_meter = d.get("by_meter") or {}
    by_sku = d.get("by_sku") or {}
    carriers: dict[str, float] = {}
    proc: dict[tuple[str, str], float] = {}
    for m in site.meters:
        k = by_meter.get(m.id) or 0.0
        if m.role in ("supply", "generation"):
            carriers[m.carrier] = carriers.get(m.carrier, 0.0) + k
        elif m.role == "submeter" and m.process:
            proc[(m.carrier, m.process)] = proc.get((m.carrier, m.process), 0.0) + k
        elif m.role == "excluded":
            proc[(m.carrier, "excluded")] = proc.get((m.carrier, "excluded"), 0.0) + k
    if not carriers or not by_sku:
        return None
    for c, v in carriers.items():
        used = sum(x for (cc, _), x in proc.items() if cc == c)
        if v - used > 1e-9 * v:
            proc[(c, "unmetered")] = v - used
    flows = [
        charts.Flow(f"c:{c}", f"p:{p}", v, charts.CARRIER_COLOURS.get(c, "#8a939c"))
        for (c, p), v in proc.items()
        if c in carriers
    ]
    procs: dict[str, float] = {}
    for (c, p), v in proc.items():
        if c in carriers:
            procs[p] = procs.get(p, 0.0) + v
    production = {p: v for p, v in procs.items() if p != "excluded"}
    e_total = sum(v.get("energy_kgce") or 0.0 for v in by_sku.values())
    scale = e_total / sum(production.values()) if production else 0.0
    for p, pv in production.items():
        for sku, sv in by_sku.items():
            share = (sv.get("energy_kgce") or 0.0) / e_total if e_total else 0.0
            flows.append(charts.Flow(f"p:{p}", f"s:{sku}", pv * scale * share, "#9aa7b4"))
    return carriers, procs, flows


def _sankey(ctx: Context, d: dict[str, Any]) -> Figure | None:
    assert ctx.site is not None
    nodes = sankey_flows(ctx.site, d)
    if nodes is None:
        return None
    carriers, procs, flows = nodes
    by_sku = d.get("by_sku") or {}

    def plabel(p: str) -> str:
        return (
            ctx.label(B("扣除（非生产）", "excluded (non-production)", "제외(비생산)"))
            if p == "excluded"
            else ctx.label(term("process", p))
        )

    columns = [
        [
            (f"c:{c}", ctx.label(term("carrier", c)))
            for c in sorted(carriers, key=lambda c: -carriers[c])
        ],
        [(f"p:{p}", plabel(p)) for p in sorted(procs, key=lambda p: (p == "excluded", -procs[p]))],
        [(f"s:{k}", k) for k in sorted(by_sku, key=lambda k: -(by_sku[k].get("energy_kgce") or 0))],
    ]
    svg = charts.sankey(
        columns, flows, "kgce", ctx.label(B("能流图", "Energy flow", "에너지 흐름도"))
    )
    export = (d.get("by_role") or {}).get("export") or 0.0
    return Figure(
        "sankey",
        svg,
        B(
            "能流图（kgce，当量值）：能源品种 → 工序（分项计"
            "量）→ 产品。工序到产品的流量按第 1 项指标的分摊结果"
            f"（各产品能耗占比）绘制，并扣除外供 {fmt(export)} kgce，故产品合计等于 E。",
            "Energy flow (kgce, calorific): carriers → "
            "processes (submeters) → products. Process-to-"
            "product flows follow each SKU's share of the "
            "metric-1 allocation, net of the export of "
            f"{fmt(export)} kgce, so the products add up to E.",
            "에너지 흐름도(kgce, 당량값): 에너지원 → 공정(하위 계량) → 제품. 공정에서 제품으로의 "
            "흐름은 지표 1의 배분 결과(제품별 에너지 비중)에 따르며, 외부 공급 "
            f"{fmt(export)} kgce를 차감하여 제품 합계가 E와 같다.",
        ),
    )


def skus(ctx: Context) -> Section:
    s = Section("sku", B("产品单耗排名", "Intensity by product", "제품별 원단위 순위"))
    d = ctx.d("unit_product_energy")
    by_sku = d.get("by_sku") or {}
    products = {p.sku: p for p in ctx.site.products} if ctx.site else {}
    mass = [(k, v) for k, v in by_sku.items() if (v.get("unit") or "kgce/t") == "kgce/t"]
    count = [(k, v) for k, v in by_sku.items() if (v.get("unit") or "") != "kgce/t"]
    rank = sorted(mass, key=lambda kv: -(kv[1].get("value") or 0.0))
    headline = ctx.m("unit_product_energy").value
    rows: list[list[Cell | Text]] = []
    for i, (sku, v) in enumerate(rank, 1):
        p = products.get(sku)
        name = B(p.name, p.name_en or p.name, p.name_en or p.name) if p else B(sku, sku, sku)
        markets = (
            B(
                "、".join(term("market", x).zh for x in p.markets),
                ", ".join(term("market", x).en for x in p.markets),
                ", ".join(term("market", x).ko for x in p.markets),
            )
            if p and p.markets
            else MISSING
        )
        good, scrap = v.get("good_qty") or 0.0, v.get("scrap_qty") or 0.0
        scrap_rate = 100 * scrap / (good + scrap) if good + scrap else None
        high = headline is not None and v.get("value") is not None and v["value"] > headline * 1.05
        rows.append(
            [
                str(i),
                Cell(sku, mono=True),
                name,
                markets,
                fmt_count(good),
                _pct(scrap_rate),
                fmt(v.get("good_mass_t")),
                fmt(v.get("energy_kgce")),
                Cell(fmt(v.get("value")), bold=True, tone="bad" if high else None),
            ]
        )
    s.add(
        Table(
            [
                "#",
                "SKU",
                B("产品", "Product", "제품"),
                B("出口市场", "Markets", "수출 시장"),
                B("合格品 件", "Good pcs", "양품 개수"),
                B("废品率", "Scrap", "불량률"),
                B("合格品 t", "Good t", "양품 t"),
                "kgce",
                "kgce/t",
            ],
            rows,
            "rllllrrrr",
            [0.3, 0.9, 1.5, 1.2, 0.9, 0.7, 0.8, 0.9, 0.8],
            caption=B(
                "按质量计的产品（由高到低）",
                "Mass-denominated products, highest first",
                "질량 기준 제품(높은 순)",
            ),
            small=True,
            notes=[
                B(
                    "红色：高于全厂值 5 % 以上。",
                    "Red: more than 5 % above the plant value.",
                    "빨간색: 공장 전체 값보다 5 % 이상 높음.",
                )
            ],
        )
    )
    if rank:
        svg = charts.hbar(
            [(k, v.get("value")) for k, v in rank],
            "kgce/t",
            ctx.label(B("产品单耗", "Intensity by product", "제품별 원단위")),
            reference=(ctx.label(B("全厂", "plant", "공장 전체")) + f" {fmt(headline)}", headline)
            if headline is not None
            else None,
        )
        s.add(
            Figure(
                "sku-ranking",
                svg,
                B(
                    "各产品单位产品综合能耗（kgce/t，当量值）；虚线为全厂值。",
                    "Unit product energy by product (kgce/t, calorific); dashed line: plant value.",
                    "제품별 단위 제품당 종합 에너지 소비량(kgce/t, 당량값); 점선은 공장 전체 값.",
                ),
            )
        )
    if count:
        s.add(
            Table(
                ["SKU", B("合格品 件", "Good pcs", "양품 개수"), "kgce", "kgce/piece"],
                [
                    [
                        Cell(k, mono=True),
                        fmt_count(v.get("good_qty")),
                        fmt(v.get("energy_kgce")),
                        fmt(v.get("value")),
                    ]
                    for k, v in count
                ],
                "lrrr",
                caption=B("按件计的产品", "Count-denominated products", "개수 기준 제품"),
            )
        )
    bench = benchmarks(ctx)
    if bench is not None:
        s.add(bench)
    s.add(
        Para(
            B(
                "分摊规则：带产线的分表能耗按该线各产品加工质量（合"
                "格品 + 废品）分摊，其余能耗按全厂加工质量分摊；"
                "各产品能耗之和等于 E，废品抬高其产品的单耗。",
                "Allocation: energy of line submeters is "
                "shared among the SKUs made on that line by "
                "processed mass (good + scrap); the rest of "
                "E by processed mass over all SKUs. The SKU "
                "energies add up to E; scrap raises the intensity of the SKU that made it.",
                "배분 규칙: 라인이 지정된 하위 계량기의 에너지는 해당 라인 제품의 가공 질량(양품 "
                "+ 불량)으로 "
                "배분하고, 나머지 에너지는 전체 제품의 가공 질량으로 배분한다. 제품별 에너지의 "
                "합은 E와 "
                "같으며, 불량은 해당 제품의 원단위를 높인다.",
            ),
            "note",
        )
    )
    return s


def benchmarks(ctx: Context) -> Table | None:
    """Metric 1 against the specification's reference points, saying which apply."""
    ms = next((m for m in ctx.spec.metrics if m.id == "unit_product_energy"), None)
    refs = (ms.grading.get("references") if ms else None) or []
    if not refs:
        return None
    value = ctx.m("unit_product_energy").value
    materials = {p.material for p in ctx.site.products} if ctx.site else set()
    rows: list[list[Cell | Text]] = []
    for r in refs:
        lab = r.get("label") or {}
        applies = r.get("applies_to") in materials
        ref = r.get("value")
        ratio = f"{fmt(100 * value / ref)} %" if value is not None and ref else MISSING
        rows.append(
            [
                B(str(lab.get("zh", "")), str(lab.get("en", "")), str(lab.get("ko", ""))),
                f"{fmt_given(ref)} {r.get('unit', '')}" if ref is not None else MISSING,
                Cell(
                    B("适用", "applies", "적용") if applies else B("不适用", "n/a", "해당 없음"),
                    tone="good" if applies else "muted",
                ),
                ratio,
                Cell(
                    _sourced(r.get("source"), r.get("confidence")),
                    tone="warn" if provisional(r.get("source", "")) else None,
                ),
            ]
        )
    note = str((ms.grading.get("note") if ms else "") or "")
    return Table(
        [
            B("参考点", "Reference", "참고점"),
            B("数值", "Value", "수치"),
            B("适用性", "Applies", "적용성"),
            B("本厂 / 参考", "Plant / reference", "본 공장 / 참고"),
            B("来源 [可信度]", "Source [confidence]", "출처 [신뢰도]"),
        ],
        rows,
        "lrlrl",
        [2.6, 1.0, 0.8, 1.0, 2.2],
        caption=B(
            "单位产品综合能耗对标",
            "Unit product energy against reference points",
            "단위 제품당 종합 에너지 소비량 벤치마크",
        ),
        small=True,
        notes=[translated(note)] if note else [],
    )


def mold(ctx: Context) -> Section:
    s = Section("mold", B("模温控制精度", "Mold temperature control", "금형 온도 제어 정확도"))
    m = ctx.m("mold_temperature_control_accuracy")
    _expired_callout(s, m)
    by = m.detail.get("by_controller") or {}
    ctrl = {c.id: c for c in ctx.site.temperature_controllers} if ctx.site else {}
    rows: list[list[Cell | Text]] = []
    for cid, c in by.items():
        tc = ctrl.get(cid)
        p95, u95 = fmt_measured(c.get("p95_abs_c"), c.get("expanded_uncertainty_c"), "°C")
        rows.append(
            [
                Cell(cid, mono=True),
                (tc.mold or MISSING) if tc else MISSING,
                (tc.line or MISSING) if tc else MISSING,
                f"±{fmt_given(c.get('tolerance_c'))}",
                Cell(p95, bold=True, tone=None if c.get("pass", True) else "bad"),
                fmt(c.get("max_abs_c"), TEMPERATURE_SIG),
                fmt(c.get("bias_c"), TEMPERATURE_SIG),
                fmt(c.get("rms_c"), TEMPERATURE_SIG),
                fmt_pct_share(c.get("within_tolerance")),
                Cell(fmt(c.get("cpk")), tone="bad" if (c.get("cpk") or 9) < 1.0 else None),
                fmt_count(c.get("samples")),
                Cell(
                    term("calibration", c.get("calibration")),
                    tone=None if c.get("calibration") == "valid" else "warn",
                ),
                u95,
            ]
        )
    s.add(
        Para(
            B(
                "全厂模温控制精度（各控制器稳态样本合并后 |e| 的 P95"
                f"）为 ±{value_texts(m)[0]} °C，"
                f"评级：{term('grade', m.grade).zh}。",
                "Plant mold temperature control accuracy (P95 "
                "of |e| over the pooled steady-state samples) "
                f"is ±{value_texts(m)[0]} °C; grade: {term('grade', m.grade).en}.",
                "공장 전체 금형 온도 제어 정확도(각 제어기의 정상 상태 샘플을 합친 |e|의 P95)는 "
                f"±{value_texts(m)[0]} °C, 등급: {term('grade', m.grade).ko}.",
            )
        )
    )
    s.add(
        Table(
            [
                B("控制器", "Controller", "제어기"),
                B("模具", "Mold", "금형"),
                B("产线", "Line", "라인"),
                B("公差", "Tol.", "공차"),
                "P95 |e|",
                "max |e|",
                B("偏差", "Bias", "편차"),
                "RMS",
                B("合格 %", "Within %", "공차 내 %"),
                "Cpk",
                B("样本", "Samples", "샘플"),
                B("校准", "Calib.", "교정"),
                "U (k=2)",
            ],
            rows,
            "lllrrrrrrrrlr",
            [0.8, 1.3, 0.6, 0.6, 0.7, 0.7, 0.7, 0.6, 0.8, 0.6, 0.8, 0.7, 0.7],
            caption=B("各控制器统计（°C）", "Statistics by controller (°C)", "제어기별 통계(°C)"),
            small=True,
            notes=[
                B(
                    "Cpk < 1.0 或校准无效者标色；U 为校准证书的扩展不确定度。",
                    "Cpk < 1.0 or calibration not valid are marked; U is the calibration "
                    "certificate's expanded uncertainty.",
                    "Cpk < 1.0 또는 교정이 유효하지 않은 항목은 색으로 표시; U는 교정 성적서의 "
                    "확장 불확도.",
                )
            ],
        )
    )
    ser = ctx.series
    if ser is not None and ser.traces:
        panels = []
        for cid, c in by.items():
            t, e = ser.traces.get(cid, ([], []))
            edges, counts = ser.histograms.get(cid, ([], []))
            tol = float(c.get("tolerance_c") or 1.0)
            cap = (
                f"{cid}  ±{fmt_given(tol)} °C · P95 {fmt(c.get('p95_abs_c'))} · "
                f"Cpk {fmt(c.get('cpk'))}"
            )
            panels.append(
                charts.ControlPanel(cid, tol, t, e, edges, counts, c.get("p95_abs_c"), cap)
            )
        per_fig = 5
        for i in range(0, len(panels), per_fig):
            part = panels[i : i + per_fig]
            svg = charts.control_charts(
                part,
                ser.period_hours,
                ctx.label(B("模温控制图", "Mold temperature control chart", "금형 온도 관리도")),
                dt.date.fromisoformat(ctx.doc["period"]["start"]),
            )
            s.add(
                Figure(
                    f"control-{i // per_fig + 1}",
                    svg,
                    B(
                        "控制图：稳态样本误差 e = 实测 − 设定（抽"
                        "样绘制），绿色带为 ±公差，橙色虚线为 ±P95；"
                        "右侧为全部稳态样本的误差直方图（超出 ±2 倍公差者计入端部）。",
                        "Control chart: error e = actual − setpoint "
                        "of steady-state samples (thinned for "
                        "drawing); green band ±tolerance, orange "
                        "dashes ±P95; right: histogram of all "
                        "steady-state errors (beyond ±2 tolerances counted in the end bins).",
                        "관리도: 정상 상태 샘플의 오차 e = 실측 − 설정값(표시용으로 간추림), "
                        "녹색 띠는 ±공차, "
                        "주황색 점선은 ±P95; 오른쪽은 전체 정상 상태 오차의 히스토그램"
                        "(±2배 공차를 넘는 값은 양 끝 구간에 포함).",
                    ),
                )
            )
    return s


def waste_heat(ctx: Context) -> Section:
    s = Section("heat", B("余热资源与回收", "Waste heat", "폐열 자원과 회수"))
    m = ctx.m("waste_heat_recovery_rate")
    _expired_callout(s, m)
    d = m.detail
    streams = {h.id: h for h in ctx.site.heat_streams} if ctx.site else {}
    rows: list[list[Cell | Text]] = []
    for sid, gj in (d.get("by_stream_gj") or {}).items():
        h = streams.get(sid)
        rows.append(
            [
                Cell(sid, mono=True),
                term("kind", h.kind) if h else MISSING,
                term("medium", h.medium) if h else MISSING,
                (h.source or MISSING) if h else MISSING,
                fmt(gj),
            ]
        )
    if d.get("recovered_heat_meters_gj"):
        rows.append(
            [
                B("余热回收计量表", "recovered-heat meters", "폐열 회수 계량기"),
                term("kind", "recovered"),
                MISSING,
                MISSING,
                fmt(d.get("recovered_heat_meters_gj")),
            ]
        )
    s.add(
        Table(
            [
                B("热流", "Stream", "열 흐름"),
                B("类别", "Kind", "구분"),
                B("介质", "Medium", "매체"),
                B("热源", "Source", "열원"),
                "GJ",
            ],
            rows,
            "llllr",
            [1.3, 1.1, 1.0, 1.0, 1.0],
            caption=B("余热热流（期内）", "Heat streams in the period", "폐열 흐름(기간)"),
        )
    )
    s.add(
        Facts(
            [
                (
                    B("可利用余热", "Available", "이용 가능 폐열"),
                    f"{fmt(d.get('available_gj'))} GJ",
                ),
                (B("已回收", "Recovered", "회수됨"), f"{fmt(d.get('recovered_gj'))} GJ"),
                (B("余热回收率", "Recovery rate", "폐열 회수율"), _pct(m.value)),
            ]
        )
    )
    if d.get("available_gj"):
        avail = [
            (sid, gj)
            for sid, gj in (d.get("by_stream_gj") or {}).items()
            if streams.get(sid) is None or streams[sid].kind == "available"
        ]
        rec = [
            (sid, gj)
            for sid, gj in (d.get("by_stream_gj") or {}).items()
            if streams.get(sid) is not None and streams[sid].kind == "recovered"
        ]
        if d.get("recovered_heat_meters_gj"):
            rec.append(
                (ctx.label(B("回收计量表", "meters", "회수 계량기")), d["recovered_heat_meters_gj"])
            )
        svg = charts.stacked_pair(
            [
                (ctx.label(B("可利用", "Available", "이용 가능")), avail),
                (ctx.label(B("已回收", "Recovered", "회수됨")), rec),
            ],
            "GJ",
            ctx.label(
                B(
                    "余热：可利用与已回收",
                    "Available and recovered heat",
                    "폐열: 이용 가능량과 회수량",
                )
            ),
        )
        s.add(
            Figure(
                "heat",
                svg,
                B(
                    "可利用余热与已回收热量（GJ），按热流分段。",
                    "Available and recovered heat (GJ) by stream.",
                    "열 흐름별 이용 가능 폐열과 회수 열량(GJ).",
                ),
            )
        )
    return s


def melting(ctx: Context) -> Section:
    s = Section("melting", B("熔炼", "Melting", "용해"))
    m = ctx.m("melting_energy_intensity")
    _expired_callout(s, m)
    d = m.detail
    s.add(
        Facts(
            [
                (B("熔化金属量", "Metal melted", "용해 금속량"), f"{fmt(d.get('metal_t'))} t"),
                (
                    B("熔化炉能耗", "Furnace energy", "용해로 에너지"),
                    f"{fmt(d.get('energy_kgce'))} kgce · {fmt(d.get('energy_mj'))} MJ",
                ),
                (
                    B("理论热", "Theoretical heat", "이론 열량"),
                    f"{fmt(d.get('theoretical_mj'))} MJ",
                ),
                (
                    B("熔化单耗", "Melting energy intensity", "용해 원단위"),
                    f"{fmt(m.value)} kgce/t",
                ),
                (
                    B("熔炼热效率", "Thermal efficiency", "용해 열효율"),
                    _pct(d.get("thermal_efficiency_pct")),
                ),
                (B("计量表", "Meters", "계량기"), ", ".join(d.get("meters") or []) or MISSING),
            ]
        )
    )
    by_alloy = d.get("by_alloy_t") or {}
    if by_alloy:
        s.add(
            Table(
                [B("合金", "Alloy", "합금"), "t"],
                [[a, fmt(t)] for a, t in by_alloy.items()],
                "lr",
                [2, 1],
                caption=B("按合金", "By alloy", "합금별"),
                narrow=True,
            )
        )
    return s


def carbon(ctx: Context) -> Section:
    s = Section("carbon", B("碳排放", "Carbon emissions", "탄소 배출"))
    m = ctx.m("unit_product_carbon_intensity")
    _expired_callout(s, m)
    d = m.detail
    rows: list[list[Cell | Text]] = [
        [
            B("范围一（燃料燃烧）", "Scope 1 (fuel combustion)", "Scope 1(연료 연소)"),
            fmt(d.get("scope1_t")),
            fmt(d.get("scope1_t")),
        ]
    ]
    for fuel, t in (d.get("scope1_by_fuel_t") or {}).items():
        rows.append(
            [
                B(
                    f"　其中 {term('carrier', fuel).zh}",
                    f"  of which {term('carrier', fuel).en}",
                    f"  그중 {term('carrier', fuel).ko}",
                ),
                fmt(t),
                fmt(t),
            ]
        )
    rows.append(
        [
            B(
                "范围二（外购电力、热力净值）",
                "Scope 2 (net purchased electricity, heat)",
                "Scope 2(외부 구입 전력·열 순값)",
            ),
            fmt(d.get("scope2_location_t")),
            fmt(d.get("scope2_market_t")),
        ]
    )
    tot_l = (d.get("scope1_t") or 0) + (d.get("scope2_location_t") or 0)
    tot_m = (d.get("scope1_t") or 0) + (d.get("scope2_market_t") or 0)
    rows.append(
        [
            Cell(B("合计", "Total", "합계"), bold=True),
            Cell(fmt(tot_l), bold=True),
            Cell(fmt(tot_m), bold=True),
        ]
    )
    rows.append(
        [
            Cell(
                B(
                    "单位产品碳排放强度 tCO2e/t",
                    "Intensity tCO2e/t",
                    "단위 제품당 탄소 배출 강도 tCO2e/t",
                ),
                bold=True,
            ),
            Cell(value_texts(m)[0], bold=True),
            Cell(fmt(d.get("market_based_value")), bold=True),
        ]
    )
    s.add(
        Table(
            [
                B("项目", "Item", "항목"),
                B("基于位置 tCO2e", "Location-based tCO2e", "위치 기반 tCO2e"),
                B("基于市场 tCO2e", "Market-based tCO2e", "시장 기반 tCO2e"),
            ],
            rows,
            "lrr",
            [3, 1.4, 1.4],
            caption=B("按范围", "By scope", "Scope별"),
        )
    )
    s.add(
        Facts(
            [
                (
                    B("净外购电力", "Net purchased electricity", "순 외부 구입 전력"),
                    f"{fmt(d.get('electricity_net_kwh'))} kWh",
                ),
                (
                    B("净外购热力", "Net purchased heat", "순 외부 구입 열"),
                    f"{fmt(d.get('heat_net_gj'))} GJ",
                ),
                (
                    B("电网排放因子", "Grid factor", "전력망 배출계수"),
                    _grid_in_force(d),
                ),
                (
                    B("绿证抵扣电量", "Green certificates retired", "녹색 인증서 차감 전력량"),
                    f"{fmt(d.get('green_certificates_kwh'))} kWh",
                ),
            ]
        )
    )
    certs = d.get("green_certificates") or []
    if certs:
        s.add(
            Table(
                [
                    B("绿证编号", "Certificate", "인증서 번호"),
                    "MWh",
                    B("有效天数", "Days", "유효 일수"),
                    B("重叠天数", "Overlap days", "중첩 일수"),
                    "kWh",
                ],
                [
                    [
                        Cell(c.get("certificate_no", ""), mono=True),
                        fmt(c.get("mwh")),
                        fmt_count(c.get("days")),
                        fmt_count(c.get("overlap_days")),
                        fmt(c.get("kwh")),
                    ]
                    for c in certs
                ],
                "lrrrr",
                [2.6, 0.8, 0.8, 0.9, 1],
                caption=B(
                    "绿色电力证书（按重叠天数折算）",
                    "Green certificates (prorated by days of overlap)",
                    "녹색 전력 인증서(중첩 일수로 안분)",
                ),
                small=True,
            )
        )
    return s


def metering(ctx: Context) -> Section:
    s = Section(
        "metering",
        B("计量器具配备与校准", "Metering coverage and calibration", "계량기 설치와 교정"),
    )
    m = ctx.m("energy_metering_coverage")
    _expired_callout(s, m)
    d = m.detail
    g = next((ms.grading for ms in ctx.spec.metrics if ms.id == "energy_metering_coverage"), {})
    s.add(
        Table(
            [
                B("层级", "Level", "계층"),
                B("配备率", "Coverage", "설치율"),
                B("要求", "Required", "요구값"),
            ],
            [
                [
                    B("进出用能单位（能源品种）", "Site (carriers)", "사업장 출입(에너지원)"),
                    _pct(d.get("site")),
                    _pct(g.get("site_pct")),
                ],
                [B("主要工序", "Processes", "주요 공정"), _pct(d.get("process")), MISSING],
                [
                    B(
                        "主要用能设备（电）",
                        "Key equipment, electricity",
                        "주요 에너지 사용 설비(전력)",
                    ),
                    _pct(d.get("key_equipment_electricity")),
                    _pct(g.get("electricity_key_pct")),
                ],
                [
                    B(
                        "主要用能设备（燃料）",
                        "Key equipment, fuels",
                        "주요 에너지 사용 설비(연료)",
                    ),
                    _pct(d.get("key_equipment_fuel")),
                    _pct(g.get("fuel_key_pct")),
                ],
                [
                    Cell(
                        B(
                            "主要用能设备（合计，指标值）",
                            "Key equipment (headline)",
                            "주요 에너지 사용 설비(합계, 지표값)",
                        ),
                        bold=True,
                    ),
                    Cell(_pct(d.get("key_equipment")), bold=True),
                    MISSING,
                ],
                [
                    B("校准有效的计量表", "Meters with valid calibration", "교정이 유효한 계량기"),
                    _pct(d.get("calibration_valid")),
                    MISSING,
                ],
                [
                    B("数据完整率", "Data completeness", "데이터 완전성"),
                    _pct(d.get("completeness")),
                    "90 %",
                ],
            ],
            "lrr",
            [3, 1, 1],
            caption=B("GB 17167 配备率", "Coverage per GB 17167", "GB 17167 설치율"),
        )
    )
    keq = d.get("key_equipment_list") or {}
    fitted = set(d.get("key_equipment_fitted") or [])
    if keq:
        eq = {e.id: e for e in ctx.site.equipment} if ctx.site else {}
        s.add(
            Table(
                [
                    B("主要用能设备", "Key equipment", "주요 에너지 사용 설비"),
                    B("类别", "Type", "구분"),
                    B("额定", "Rating", "정격"),
                    B("专用计量", "Dedicated meter", "전용 계량"),
                ],
                [
                    [
                        Cell(k, mono=True),
                        B("电", "electricity", "전력")
                        if v == "electricity"
                        else B("燃料", "fuel", "연료"),
                        (f"{fmt(eq[k].rated_kw)} kW" if k in eq and eq[k].rated_kw else MISSING),
                        Cell(B("有", "yes", "있음"), tone="good")
                        if k in fitted
                        else Cell(B("无", "no", "없음"), tone="bad"),
                    ]
                    for k, v in keq.items()
                ],
                "lllr",
                [1.4, 1, 1, 1],
                small=True,
            )
        )
    return s


def uncertainty(ctx: Context) -> Section | None:
    """Expanded uncertainty U (k=2) of each metric and its main contributors, when the
    assessment carries an ``uncertainty_budget``."""
    budgets = {
        ms.id: ctx.m(ms.id).uncertainty_budget
        for ms in ctx.spec.metrics
        if ctx.m(ms.id).uncertainty_budget
    }
    if not budgets:
        return None
    s = Section("uncertainty", B("测量不确定度", "Measurement uncertainty", "측정 불확도"))
    rows: list[list[Cell | Text]] = []
    methods: dict[str, None] = {}
    for ms in ctx.spec.metrics:
        b = budgets.get(ms.id)
        if not b:
            continue
        m = ctx.m(ms.id)
        methods[str(b.get("method", ""))] = None
        top3 = [
            (_input_label(c), f"\u00a0{fmt(100 * c['share'])}\u00a0%")
            for c in (b.get("contributors") or [])[:3]
        ]
        top = Bi(
            *(", ".join(label.get(g) + pct for label, pct in top3) for g in ("zh", "en", "ko"))
        )
        unknown = ", ".join(b.get("unknown_instruments") or [])
        rows.append(
            [
                Cell(metric_name(ms), bold=True),
                value_texts(m)[0],
                _u_cell(m),
                fmt(None if b.get("u_rel") is None else 100 * b["u_rel"]),
                m.unit or ms.unit,
                top if top3 else MISSING,
                Cell(unknown, tone="warn") if unknown else MISSING,
            ]
        )
    s.add(
        Table(
            [
                B("指标", "Metric", "지표"),
                B("结果", "Value", "결과"),
                "U (k=2)",
                B("相对 U %", "Relative U %", "상대 U %"),
                B("单位", "Unit", "단위"),
                B(
                    "主要贡献（方差占比）",
                    "Main contributors (share of variance)",
                    "주요 기여 요인(분산 비중)",
                ),
                B(
                    "不确定度未知的仪表",
                    "Instruments of unknown uncertainty",
                    "불확도를 알 수 없는 계측기",
                ),
            ],
            rows,
            "lrrrlll",
            [2.2, 0.8, 0.8, 0.8, 0.7, 2.2, 1.4],
            small=True,
            notes=[
                B(
                    "“不完整”：有仪表的不确定度未知，不给出 U。",
                    "incomplete: an instrument's uncertainty is unknown, so no U is stated.",
                    "“불완전”: 불확도를 알 수 없는 계측기가 있어 U를 제시하지 않음.",
                )
            ],
        )
    )
    for ms in ctx.spec.metrics:
        b = budgets.get(ms.id)
        if b and any(c.get("kind") == "coefficient" for c in b.get("contributors") or []):
            s.add(_budget_table(ms, b))
    for method in methods:
        if method:
            s.add(Para(translated(method), "note"))
    return s


#: what each kind of coefficient of the carbon budget is called
_COEFFICIENT = {
    "ncv": Bi("低位发热量", "net calorific value", "순발열량"),
    "emission_factor": Bi("CO2 排放因子", "CO2 emission factor", "CO2 배출계수"),
    "heat_factor": Bi("外购热力排放因子", "purchased heat emission factor", "구매 열 배출계수"),
    "grid_factor": Bi("电网排放因子", "grid emission factor", "전력망 배출계수"),
}
#: where an input's uncertainty comes from, by the budget's ``source`` (instruments, mass)
_U_SOURCE = {
    "certificate": Bi("校准证书", "calibration certificate", "교정 성적서"),
    "accuracy_class": Bi("准确度等级", "accuracy class", "정확도 등급"),
    "parameter": Bi("评估参数", "assessment parameter", "평가 매개변수"),
    "unknown": Bi("未知", "unknown", "알 수 없음"),
}
_KIND = {
    "instrument": Bi("计量器具", "instrument", "계측기"),
    "coefficient": Bi("系数", "coefficient", "계수"),
    "mass": Bi("产量称重", "weighed mass", "생산량 계량"),
}


def _input_label(c: dict[str, Any]) -> Bi:
    """A budget input as the reader names it: a meter's id, or the coefficient and carrier."""
    which = _COEFFICIENT.get(str(c.get("coefficient")))
    if which is None:
        return Bi(str(c["input"]), str(c["input"]), str(c["input"]))
    if c.get("coefficient") in ("grid_factor", "heat_factor"):
        return which
    carrier = term("carrier", c.get("carrier"))
    return Bi(*(f"{carrier.get(g)} {which.get(g)}" for g in ("zh", "en", "ko")))


def _u_source(c: dict[str, Any]) -> Bi:
    if c.get("kind") != "coefficient":
        return _U_SOURCE.get(str(c.get("source")), _U_SOURCE["unknown"])
    src = str(c.get("source") or "")
    if src.startswith("IPCC 2006"):
        return Bi(
            "IPCC 2006 指南第 2 卷第 1 章表 1.2、1.4 缺省值的 95 % 区间",
            "IPCC 2006 Guidelines Vol. 2 Ch. 1, Tables 1.2 and 1.4: 95 % interval of the default",
            "IPCC 2006 지침 제2권 제1장 표 1.2, 1.4 기본값의 95 % 구간",
        )
    return Bi(
        "假设（发布方未给出不确定度）",
        "assumption (the publisher gives no uncertainty)",
        "가정 (발행 기관이 불확도를 제시하지 않음)",
    )


def _budget_table(ms: Any, b: dict[str, Any]) -> Table:
    """Every input of a metric's uncertainty budget: its own u, its contribution, its share."""
    unit = str(b.get("unit") or ms.unit)
    rows: list[list[Cell | Text]] = [
        [
            Cell(_input_label(c), mono=c.get("kind") == "instrument"),
            _KIND.get(str(c.get("kind")), _KIND["instrument"]),
            MISSING if c.get("u") is None else fmt(100 * float(c["u"]), 2),
            fmt_u(c.get("contribution")),
            fmt(100 * float(c["share"]), 2),
            _u_source(c),
        ]
        for c in b.get("contributors") or []
    ]
    name = metric_name(ms)
    return Table(
        [
            Bi("输入量", "Input", "입력량"),
            Bi("类别", "Type", "유형"),
            Bi("相对标准不确定度 %", "Relative standard uncertainty %", "상대 표준 불확도 %"),
            Bi(f"贡献 u_i（{unit}）", f"Contribution u_i ({unit})", f"기여 u_i ({unit})"),
            Bi("方差占比 %", "Share of variance %", "분산 기여율 %"),
            Bi("不确定度来源", "Source of the uncertainty", "불확도 출처"),
        ],
        rows,
        "llrrrl",
        [1.8, 0.9, 1.0, 1.0, 0.9, 2.6],
        caption=Bi(
            f"{name.zh}：不确定度预算",
            f"{name.en}: uncertainty budget",
            f"{name.get('ko')}: 불확도 버짓",
        ),
        small=True,
        notes=[
            Bi(
                "u_i = |灵敏系数| × 输入量的标准不确定度；u_c² = Σ u_i²（GUM 5.1.2），U = 2·u_c。"
                "同一系数作用于该能源的全部计量器具，按其合计量计入一次。",
                "u_i = |sensitivity| × the input's standard uncertainty; u_c² = Σ u_i² "
                "(GUM 5.1.2), U = 2·u_c. A coefficient serves every meter of its carrier and "
                "counts once, on their total.",
                "u_i = |감도 계수| × 입력량의 표준 불확도; u_c² = Σ u_i² (GUM 5.1.2), U = 2·u_c. "
                "하나의 계수는 해당 에너지원의 모든 계측기에 적용되므로 "
                "합계량에 대해 한 번 계산한다.",
            )
        ],
    )


#: evidence keys whose value is a word of the data contract, and the vocabulary that words it
_EVIDENCE_WORDS = {"carrier": "carrier", "event": "meter_event"}


def finding_text(f: dict[str, Any]) -> Bi:
    """A finding's message in zh, en and ko; one whose evidence holds a word of the data
    contract (an energy carrier, a meter event) is worded again from the catalogue with that
    word in each language (the stored messages print it as the data spells it)."""
    stored = B(f["message_zh"], f["message"], f.get("message_ko", ""))
    ev = f.get("evidence") or {}
    entry = finding_catalogue().get(f["code"])
    words = {k: g for k, g in _EVIDENCE_WORDS.items() if isinstance(ev.get(k), str)}
    if entry is None or not words:
        return stored
    fill = {k: ("" if v is None else v) for k, v in ev.items()}
    try:
        texts = [
            getattr(entry, x).format(
                **{**fill, **{k: term(g, ev[k]).get(x) for k, g in words.items()}}
            )
            for x in ("zh", "en", "ko")
        ]
    except (KeyError, IndexError, ValueError, TypeError):  # evidence of an older version
        return stored
    return B(*texts)


def findings(ctx: Context) -> Section:
    s = Section("findings", B("数据质量发现", "Findings", "데이터 품질 발견 사항"))
    fs = ctx.doc.get("findings") or []
    if not fs:
        s.add(Para(B("无。", "None.", "없음.")))
    for sev in SEVERITY_ORDER:
        group = [f for f in fs if f["severity"] == sev]
        if not group:
            continue
        s.add(
            Table(
                [B("代码", "Code", "코드"), B("说明", "Message", "설명")],
                [
                    [
                        Cell(f["code"], mono=True),
                        Cell(finding_text(f)),
                    ]
                    for f in group
                ],
                "ll",
                [2.3, 4],
                caption=B(
                    f"{term('severity', sev).zh}（{len(group)}）",
                    f"{term('severity', sev).en.capitalize()} ({len(group)})",
                    f"{term('severity', sev).ko} ({len(group)})",
                ),
                small=True,
            )
        )
    if (recon := departments_table(ctx.doc)) is not None:
        s.add(recon)
    return s


#: detector ids of the diagnosis with their labels
DETECTOR_LABELS: dict[str, tuple[str, str, str]] = {
    "idle_holding": ("无生产保温", "Idle holding", "비생산 보온"),
    "base_load": ("非生产基础负荷", "Base load", "비생산 기저 부하"),
    "compressed_air_leakage": ("压缩空气泄漏", "Compressed-air leakage", "압축공기 누설"),
    "scrap_embodied": ("废品含能", "Energy in scrap", "불량품 내재 에너지"),
    "mold_instability": ("模温波动", "Mold temperature instability", "금형 온도 변동"),
    "unrecovered_heat": ("未回收余热", "Unrecovered heat", "미회수 폐열"),
    "melting_efficiency": ("熔化效率", "Melting efficiency", "용해 효율"),
    "power_factor": ("功率因数", "Power factor", "역률"),
}
_CERT_STATUS: dict[str, tuple[str, str, str, str]] = {
    "overdue": ("已逾期", "overdue", "기한 경과", "bad"),
    "urgent": ("12 个月内", "within 12 months", "12개월 이내", "bad"),
    "plan": ("12–24 个月", "12–24 months", "12–24개월", "warn"),
    "monitor": ("24 个月以上", "beyond 24 months", "24개월 초과", "good"),
}


#: the baseline model's terms (diagnosis.baseline regressors) in zh, en, ko
_REGRESSOR: dict[str, tuple[str, str, str]] = {
    "intercept": ("常数项", "intercept", "절편"),
    "good_mass_t": ("合格品质量", "good mass", "양품 질량"),
    "processed_t": ("加工质量", "processed mass", "가공 질량"),
    "pieces": ("件数", "pieces", "개수"),
    "hdd": ("采暖度日", "heating degree days", "난방 도일"),
    "cdd": ("制冷度日", "cooling degree days", "냉방 도일"),
}
#: conditions of the measures catalogue (diagnosis.recommend.CONDITIONS)
_CONDITION: dict[str, tuple[str, str, str]] = {
    "always": ("无", "none", "없음"),
    "fuel_melting_furnace": ("有燃气熔化炉", "a fuel-fired melting furnace", "연료 용해로 보유"),
    "fixed_speed_compressor": ("有定速空压机", "a fixed-speed compressor", "정속 공기 압축기 보유"),
    "compressor_heat_unrecovered": (
        "空压机余热未回收",
        "compressor heat not yet recovered",
        "공기 압축기 폐열 미회수",
    ),
}


def _detectors(ids: list[str]) -> Bi:
    labels = [DETECTOR_LABELS[x] for x in ids]
    return B(*(sep.join(lab[i] for lab in labels) for i, sep in enumerate(("、", ", ", ", "))))


def _skip_reason(reason: str) -> Bi:
    """Why a catalogue measure does not apply, from the diagnosis's reason."""
    if reason.startswith("no waste found by "):
        d = _detectors(reason.removeprefix("no waste found by ").split(" or "))
        return B(f"未发现{d.zh}浪费", f"no {d.en} waste found", f"{d.ko} 낭비 없음")
    if reason.startswith("condition not met: "):
        c = _CONDITION[reason.removeprefix("condition not met: ")]
        return B(f"条件不满足：{c[0]}", f"condition not met: {c[1]}", f"조건 미충족: {c[2]}")
    if reason.startswith("nothing to save"):
        return B("无可节约的用能", "nothing to save", "절감 대상 에너지 없음")
    if reason == "the power-factor waste states no power factor":
        return B("未给出功率因数", "no power factor stated", "역률이 제시되지 않음")
    raise MissingTranslation(f"no translation of the diagnosis reason {reason!r}")


def measure_basis(m: dict[str, Any], d: dict[str, Any]) -> Bi:
    """What a measure saves a fraction of: the wastes found, or the yearly energy it acts on."""
    subjects = ", ".join(m.get("subjects") or [])
    if m.get("addresses") and subjects and str(m.get("basis", "")).startswith("waste found"):
        det = _detectors(list(m["addresses"]))
        return B(
            f"识别的浪费：{det.zh}（{subjects}）",
            f"wastes found: {det.en} ({subjects})",
            f"식별된 낭비: {det.ko}({subjects})",
        )
    units = {c: t.get("unit", "") for c, t in (d.get("tariffs") or {}).items()}
    per = m.get("addressed_per_year") or {}
    parts = [
        [
            f"{term('carrier', c).get(x)} {fmt(q)} {units.get(c, '')}".rstrip()
            for c, q in per.items()
        ]
        for x in ("zh", "en", "ko")
    ]
    return B(
        "年用能基数：" + "、".join(parts[0]),
        "yearly energy acted on: " + ", ".join(parts[1]),
        "연간 대상 에너지: " + ", ".join(parts[2]),
    )


def _bi(x: Any) -> Text:
    """A text of the document: ``{"zh", "en", "ko"}`` (each required) or a plain string."""
    if isinstance(x, dict):
        return B(str(x.get("zh", "")), str(x.get("en", "")), str(x.get("ko", "")))
    return str(x)


def diagnosis(ctx: Context) -> Section | None:
    """The diagnosis chapter, shown only when the document has a ``diagnosis`` key: the ranked
    measures (kgce, tCO2e, CNY a year, investment, payback), the wastes with their evidence,
    the baseline's validity, the export priorities and the certificate plan.

    A bare list of measures (or ``{"measures": [...]}`` with ``title``, ``saving_kgce``,
    ``saving_tco2e``, ``investment``, ``payback_years``) is shown as the measures table.
    """
    diag = ctx.doc.get("diagnosis")
    if not diag:
        return None
    s = Section(
        "diagnosis",
        B("节能降碳诊断与建议", "Diagnosis and measures", "에너지 절감·탄소 감축 진단과 권고"),
    )
    measures = diag.get("measures") if isinstance(diag, dict) else diag
    if not isinstance(measures, list):
        s.add(Formula([json.dumps(diag, ensure_ascii=False, indent=1)[:3000]]))
        return s
    d: dict[str, Any] = diag if isinstance(diag, dict) else {}
    annual = d.get("annualised") or {}
    tariffs = d.get("tariffs") or {}
    if annual:
        days = annual.get("period_days")
        s.add(
            Para(
                B(
                    f"下表列出适用于本厂的节能措施，按静态投资回收期（短者在前）排序，回收期相同"
                    f"时按年节能量排序。年节能量由 {days} 天的评估期按 365 天折算；"
                    "各措施均相对现状计算，作用于同一能源的措施其节能量不可相加。",
                    "The measures that apply to this plant, ranked by simple payback (shortest "
                    "first), then by the yearly kgce saving. Savings over the "
                    f"{days}-day period are scaled to 365 days; each measure is measured "
                    "against today's use, so measures on the same energy do not add up.",
                    "아래 표는 본 공장에 적용되는 절감 조치를 단순 투자 회수 기간(짧은 순)으로, "
                    "같으면 연간 "
                    f"절감량 순으로 나열한다. 연간 절감량은 {days}일 평가 기간을 365일로 환산한 "
                    "값이며, "
                    "각 조치는 현재 사용량 대비로 계산하므로 같은 에너지에 작용하는 조치의 "
                    "절감량은 "
                    "합산할 수 없다.",
                )
            )
        )
    rows: list[list[Cell | Text]] = []
    for m in measures:
        if not isinstance(m, dict):
            continue
        title = _bi(m.get("title", m.get("id", "")))
        if m.get("rank"):
            t = title if isinstance(title, Bi) else B(title, title, title)
            title = B(f"{m['rank']}. {t.zh}", f"{m['rank']}. {t.en}", f"{m['rank']}. {t.ko}")
        payback = m.get("payback_years")
        rows.append(
            [
                title,
                fmt(m.get("saving_kgce")),
                fmt(m.get("saving_tco2e"), 3),
                fmt(m.get("saving_cny")) if "saving_cny" in m else MISSING,
                fmt(m.get("investment")),
                Cell(
                    fmt(payback, 2),
                    tone="good" if payback is not None and payback <= 2 else None,
                    bold=payback is not None and payback <= 2,
                ),
                fmt_given(m.get("lifetime_years")) if "lifetime_years" in m else MISSING,
            ]
        )
    notes: list[Text] = []
    if tariffs:
        zh = "；".join(
            f"{term('carrier', c).zh} {fmt(t['cny_per_unit'])} 元/{t['unit']}"
            f"（{_TARIFF_KIND[t['kind']][0]}）"
            for c, t in tariffs.items()
        )
        en = "; ".join(
            f"{term('carrier', c).en} {fmt(t['cny_per_unit'])} CNY/{t['unit']} "
            f"({_TARIFF_KIND[t['kind']][1]})"
            for c, t in tariffs.items()
        )
        ko = "; ".join(
            f"{term('carrier', c).ko} {fmt(t['cny_per_unit'])} 위안/{t['unit']} "
            f"({_TARIFF_KIND[t['kind']][2]})"
            for c, t in tariffs.items()
        )
        notes.append(B(f"能源价格：{zh}。", f"Prices: {en}.", f"에너지 가격: {ko}."))
    notes.append(
        B(
            "节能量与投资为典型值；各项的范围、来源与可信度见下文“措施的测算依据”。",
            "Savings and investment are typical values; the range, source and confidence of each "
            "are under How each measure is quantified below.",
            "절감량과 투자비는 대표값이며, 각 항목의 범위, 출처와 신뢰도는 아래 “조치별 산정 "
            "근거”에 있다.",
        )
    )
    s.add(
        Table(
            [
                B("措施", "Measure", "조치"),
                B("节能 kgce/年", "kgce/yr", "절감 kgce/년"),
                B("减碳 tCO2e/年", "tCO2e/yr", "감축 tCO2e/년"),
                B("节约 元/年", "CNY/yr", "절약 위안/년"),
                B("投资 元", "Investment CNY", "투자 위안"),
                B("回收期 年", "Payback yr", "회수 기간 년"),
                B("寿命 年", "Life yr", "수명 년"),
            ],
            rows,
            "lrrrrrr",
            [3.0, 1.0, 1.0, 1.0, 1.1, 0.8, 0.6],
            caption=B(
                "适用措施（按回收期排序）",
                "Applicable measures, ranked by payback",
                "적용 조치(회수 기간 순)",
            ),
            small=True,
            notes=notes,
        )
    )
    if not d:
        return s
    _diagnosis_wastes(s, d)
    _diagnosis_sources(s, measures, d)
    _diagnosis_baseline(s, d)
    _diagnosis_priorities(s, d)
    _diagnosis_certificates(s, d)
    return s


_TARIFF_KIND = {
    "option": ("企业设定", "set by the plant", "사업장 설정"),
    "invoices": ("发票折算", "from invoices", "청구서 환산"),
    "default": ("默认值，待核实", "default, to be confirmed", "기본값, 확인 필요"),
}


def _diagnosis_wastes(s: Section, d: dict[str, Any]) -> None:
    sub = s.sub("wastes", B("能源浪费识别", "Where energy is wasted", "에너지 낭비 식별"))
    wastes = d.get("wastes") or []
    status = (d.get("detectors") or {}).get("status")
    if status not in (None, "ok", "given"):
        sub.add(
            Callout(
                B(
                    f"未运行浪费识别：{status}",
                    f"Wastes not detected: {status}",
                    f"수행되지 않은 낭비 식별: {status}",
                ),
                "warn",
            )
        )
    if not wastes:
        sub.add(
            Para(
                B(
                    "未发现超过重要性阈值的浪费。",
                    "No waste above the materiality threshold",
                    "중요도 임계값을 넘는 낭비가 발견되지 않음.",
                )
            )
        )
        return
    rows: list[list[Cell | Text]] = []
    for w in wastes:
        label = DETECTOR_LABELS[w["detector"]]
        rows.append(
            [
                B(*label),
                Cell(str(w["subject"]), mono=True),
                fmt(w.get("kgce")),
                fmt_pct_share(w.get("share")),
                _bi(w.get("title") or ""),
            ]
        )
    sub.add(
        Table(
            [
                B("类别", "Kind", "구분"),
                B("对象", "Subject", "대상"),
                B("评估期 kgce", "kgce in period", "평가 기간 kgce"),
                B("占比 %", "Share %", "비중 %"),
                B("证据", "Evidence", "근거"),
            ],
            rows,
            "llrrl",
            [1.3, 1.0, 0.9, 0.7, 3.6],
            small=True,
            notes=[
                B(
                    "占比：相对于相关总量（设备能耗、可回收余热、熔化能耗等）。",
                    "Share: of the relevant total (the equipment's energy, the available heat, "
                    "the melting energy ...).",
                    "비중: 관련 총량(설비 에너지, 이용 가능 폐열, 용해 에너지 등) 대비.",
                )
            ],
        )
    )


def _diagnosis_sources(s: Section, measures: list[Any], d: dict[str, Any]) -> None:
    rows: list[list[Cell | Text]] = []
    for m in measures:
        if not isinstance(m, dict) or "source" not in m:
            continue
        frac = m.get("saving_fraction") or {}
        rng = m.get("ranges") or {}
        pb = rng.get("payback_years") or [None, None]
        rows.append(
            [
                _bi(m.get("title", m.get("id", ""))),
                Cell(measure_basis(m, d), tone="muted"),
                f"{fmt(frac.get('low'), 2)}–{fmt(frac.get('high'), 2)}",
                f"{fmt(pb[0], 2)}–{fmt(pb[1], 2)}",
                translated(m["source"]),
            ]
        )
    if not rows:
        return
    sub = s.sub(
        "measure-basis", B("措施的测算依据", "How each measure is quantified", "조치별 산정 근거")
    )
    sub.add(
        Table(
            [
                B("措施", "Measure", "조치"),
                B("测算基数", "Basis", "산정 기준"),
                B("节能比例", "Saving fraction", "절감 비율"),
                B("回收期范围 年", "Payback range yr", "회수 기간 범위 년"),
                B("来源", "Source", "출처"),
            ],
            rows,
            "lllll",
            [1.6, 1.8, 0.8, 0.9, 2.6],
            small=True,
        )
    )
    na = d.get("not_applicable") or []
    if na:
        sub.add(
            Para(
                B(
                    "不适用："
                    + "；".join(
                        f"{x['title']['zh']}（{_skip_reason(x['reason']).zh}）" for x in na
                    ),
                    "Not applicable: "
                    + "; ".join(f"{x['title']['en']} ({_skip_reason(x['reason']).en})" for x in na),
                    "해당 없음: "
                    + "; ".join(f"{x['title']['ko']}({_skip_reason(x['reason']).ko})" for x in na),
                ),
                "note",
            )
        )


def _diagnosis_baseline(s: Section, d: dict[str, Any]) -> None:
    b = d.get("baseline")
    if not b:
        return
    sub = s.sub("baseline", B("能耗基准（EnPI）", "Energy baseline (EnPI)", "에너지 기준선(EnPI)"))
    if "error" in b:
        why = _baseline_reason(b)
        sub.add(
            Callout(
                B(
                    f"未能建立能耗基准：{why.zh}",
                    f"No baseline could be fitted: {why.en}",
                    f"에너지 기준선을 수립하지 못함: {why.ko}",
                ),
                "warn",
            )
        )
        return
    m, v = b.get("model") or {}, b.get("validity") or {}
    terms = B(
        *(
            "; ".join(
                f"{_REGRESSOR[t['name']][i]} {fmt(t['coefficient'])} {t['unit']}"
                for t in m.get("terms") or []
            )
            for i in range(3)
        )
    )
    sub.add(
        Facts(
            [
                (B("模型", "Model", "모형"), terms if terms.en else MISSING),
                ("R²", fmt(m.get("r2"))),
                ("CV(RMSE)", _pct(None if m.get("cv_rmse") is None else 100 * m["cv_rmse"])),
                ("NMBE", _pct(None if m.get("nmbe") is None else 100 * m["nmbe"])),
                (
                    B("有效性", "Valid", "유효성"),
                    B("是", "yes", "예") if v.get("valid") else B("否", "no", "아니오"),
                ),
            ]
        )
    )
    sub.add(
        Para(
            B(
                "判据：ASHRAE Guideline 14-2014，CV(RMSE) ≤ 20 %，|NMBE| ≤ 0.005 %。",
                "Criteria: ASHRAE Guideline 14-2014, CV(RMSE) ≤ 20 %, |NMBE| ≤ 0.005 %.",
                "판정 기준: ASHRAE Guideline 14-2014, CV(RMSE) ≤ 20 %, |NMBE| ≤ 0.005 %.",
            ),
            "note",
        )
    )


def _baseline_reason(b: dict[str, Any]) -> Bi:
    """Why no baseline could be fitted, in the reader's words (the diagnosis records a coded
    reason beside its English message)."""
    v = b.get("values") or {}
    reason = b.get("reason", "other")
    if reason == "too_few_days":
        found, needed = fmt_count(v.get("found")), fmt_count(v.get("needed"))
        return B(
            f"可用于建模的完整日数为 {found} 天，至少需要 {needed} 天；请延长基准期",
            f"{found} complete days to fit on, at least {needed} are needed; use a longer "
            "baseline period",
            f"모형 수립에 쓸 수 있는 완전한 일수가 {found}일이며 최소 {needed}일이 필요함; "
            "기준 기간을 늘릴 것",
        )
    if reason == "collinear":
        names = [_REGRESSOR.get(r, (r, r, r)) for r in v.get("regressors") or []]
        zh, en, ko = (
            "、".join(n[0] for n in names),
            ", ".join(n[1] for n in names),
            ", ".join(n[2] for n in names),
        )
        return B(
            f"回归变量（{zh}）相互重复或在基准期内不变",
            f"the regressors ({en}) repeat one another or do not vary in the baseline period",
            f"회귀 변수({ko})가 서로 중복되거나 기준 기간 동안 변하지 않음",
        )
    if reason == "not_finite":
        return B(
            "日能耗或回归变量含有无效数值",
            "the daily energy or a regressor holds values that are not numbers",
            "일별 에너지 또는 회귀 변수에 유효하지 않은 값이 있음",
        )
    if reason == "no_series":
        return B(
            "缺少计量读数或生产记录",
            "the meter readings or the production are missing",
            "계량 검침값 또는 생산 기록이 없음",
        )
    return B(
        "所给数据或选项不适用于基准模型",
        "the data or the options given do not suit a baseline model",
        "주어진 데이터 또는 옵션이 기준선 모형에 맞지 않음",
    )


def _diagnosis_priorities(s: Section, d: dict[str, Any]) -> None:
    pr = d.get("priorities") or {}
    skus = pr.get("skus") or []
    if not skus:
        return
    sub = s.sub("export", B("出口产品优先级", "Export priorities", "수출 제품 우선순위"))
    rows: list[list[Cell | Text]] = []
    for r in skus:
        clauses = r.get("customers_with_clause") or []
        rows.append(
            [
                str(r["rank"]),
                Cell(r["sku"] + (" (CBAM)" if r.get("cbam_covered") else ""), mono=True),
                B(
                    "、".join(term("market", x).zh for x in r["markets"]),
                    ", ".join(term("market", x).en for x in r["markets"]),
                    ", ".join(term("market", x).ko for x in r["markets"]),
                ),
                fmt(r.get("energy_kgce_per_t")),
                fmt(r.get("carbon_tco2e_per_t")),
                fmt_count(len(clauses)),
                fmt(r.get("exposure"), 3),
                Cell(fmt(r.get("score"), 3), bold=True),
            ]
        )
    weights = pr.get("weights") or {}
    wz = ", ".join(
        f"{k} {fmt_given(v['weight'])}"
        for k, v in weights.items()
        if k not in ("cbam_bonus", "energy_clause")
    )
    sub.add(
        Table(
            [
                "#",
                "SKU",
                B("市场", "Markets", "시장"),
                "kgce/t",
                "tCO2e/t",
                B("含能耗条款客户", "Customers with clause", "에너지 조항 고객"),
                B("暴露度", "Exposure", "노출도"),
                B("优先分", "Score", "우선 점수"),
            ],
            rows,
            "rllrrrrr",
            [0.3, 1.1, 1.3, 0.8, 0.8, 0.9, 0.8, 0.7],
            small=True,
            notes=[
                B(
                    "优先分 = 暴露度 ×（½ 能耗强度/全厂 + ½ 碳强度/全厂）；暴露度 = 各市场权重之和"
                    f"（{wz}；CBAM 附件一所列税号在欧盟、英国 +1）+ 每个含能耗条款的客户 1。",
                    "Score = exposure × (½ energy intensity / plant + ½ carbon intensity / "
                    f"plant); exposure = Σ market weights ({wz}; +1 on EU and UK for a CN code "
                    "in CBAM Annex I) + 1 per customer with an energy clause.",
                    "우선 점수 = 노출도 × (½ 에너지 강도/공장 전체 + ½ 탄소 강도/공장 전체); "
                    "노출도 = 시장 가중치의 합"
                    f"({wz}; CBAM 부속서 I 품목 코드는 EU·영국에서 +1) + 에너지 조항이 있는 "
                    "고객마다 1.",
                )
            ],
        )
    )


def _diagnosis_certificates(s: Section, d: dict[str, Any]) -> None:
    certs = d.get("certifications")
    if not certs or not certs.get("items"):
        return
    sub = s.sub("certificates", B("认证换证计划", "Certificate renewal plan", "인증 갱신 계획"))
    rows: list[list[Cell | Text]] = []
    for i in certs["items"]:
        zh, en, ko, tone = _CERT_STATUS[i["status"]]
        steps = i.get("steps") or {}
        rows.append(
            [
                i["scheme"],
                Cell(i["sku"], mono=True),
                Cell(i["certificate_no"], mono=True),
                i["renewal_due"],
                Cell(B(zh, en, ko), tone=tone, bold=tone == "bad"),
                steps.get("collect_data_from", MISSING),
                steps.get("verify_by", MISSING),
            ]
        )
    sub.add(
        Table(
            [
                B("认证", "Scheme", "인증"),
                "SKU",
                B("证书号", "Certificate", "인증서 번호"),
                B("换证日期", "Renewal due", "갱신 기한"),
                B("状态", "Status", "상태"),
                B("开始采集数据", "Collect data from", "데이터 수집 시작"),
                B("完成核查", "Verify by", "검증 완료"),
            ],
            rows,
            "lllllll",
            [0.7, 1.0, 1.3, 0.9, 1.0, 1.0, 0.9],
            small=True,
            caption=B(
                f"截至 {certs['as_of']}", f"As of {certs['as_of']}", f"{certs['as_of']} 기준"
            ),
        )
    )
    for i in certs["items"]:
        for w in i.get("warnings") or []:
            sub.add(
                Callout(B(w["zh"], w["en"], w["ko"]), "bad" if i["status"] != "plan" else "warn")
            )


def annex_inputs(ctx: Context) -> Section:
    s = Section("inputs", B("输入数据清单", "Input data", "입력 데이터 목록"), annex=True)
    s.add(
        Para(
            B(
                "评估所用输入文件及其 SHA-256 摘要；评估结果数据作为附件嵌入本 PDF。",
                "Input files of the assessment with their SHA-256 digests; the assessment data "
                "are attached to this PDF.",
                "평가에 사용된 입력 파일과 그 SHA-256 요약값; 평가 결과 데이터는 본 PDF에 "
                "첨부되어 있다.",
            )
        )
    )
    s.add(
        Table(
            [
                B("文件", "File", "파일"),
                B("行数", "Rows", "행 수"),
                B("负责人", "Owner", "담당"),
                "SHA-256",
            ],
            [
                [
                    Cell(i["file"], mono=True),
                    fmt_count(i.get("rows")),
                    owner_text(i.get("owner")),
                    Cell(i["sha256"], mono=True),
                ]
                for i in ctx.doc.get("inputs") or []
            ],
            "lrll",
            [1.3, 0.5, 1.4, 4.4],
            small=True,
        )
    )
    return s


def owner_text(owner: dict[str, Any] | None) -> str:
    """The department, role and person of an owner (``site.yaml`` ``owners``) as the plant
    wrote them, joined by `` · ``; ``—`` when nobody is named."""
    if not owner:
        return "—"
    parts = [str(owner[k]) for k in ("department", "role", "person") if owner.get(k)]
    return " · ".join(parts) or "—"


def annex_colophon(ctx: Context) -> Section:
    from thermaudit.report.fonts import FAMILIES

    s = Section("colophon", B("报告说明", "About this report", "보고서 설명"), annex=True)
    s.add(
        Para(
            B(
                f"本报告由 {ctx.doc['software']['name']} "
                f"{ctx.doc['software']['version']} 根据评估结果数据"
                f"（{ctx.doc['schema']}）自动生成；数值保留 4 位有效数字，“—”表示无数据或不可计算。"
                f"字体：{', '.join(FAMILIES)}（SIL Open Font License 1.1）。",
                f"Generated by {ctx.doc['software']['name']} {ctx.doc['software']['version']} from "
                f"the assessment data ({ctx.doc['schema']}); figures "
                "have 4 significant digits, a dash (—) means no "
                "data or not computable. Fonts: "
                f"{', '.join(FAMILIES)} (SIL Open Font License 1.1).",
                f"{ctx.doc['software']['name']} {ctx.doc['software']['version']}이(가) 평가 결과 "
                "데이터"
                f"({ctx.doc['schema']})로부터 자동 생성; 수치는 유효숫자 4자리, “—”는 데이터 없음 "
                "또는 "
                f"계산 불가. 글꼴: {', '.join(FAMILIES)}(SIL Open Font License 1.1).",
            )
        )
    )
    return s


Chapter = Callable[[Context], Section | None]


#: chapters in print order
def buyers(ctx: Context) -> Section | None:
    """The chapter "For your buyers" (:mod:`thermaudit.report.buyers`)."""
    from thermaudit.report import buyers as chapter

    return chapter.buyers(ctx)


def peer(ctx: Context) -> Section | None:
    """The chapter "Peer position" (:mod:`thermaudit.report.peer`)."""
    from thermaudit.report import peer as chapter

    return chapter.peer(ctx)


CHAPTERS: tuple[tuple[str, Chapter], ...] = (
    ("summary", summary),
    ("methodology", methodology),
    ("energy", energy_balance),
    ("sku", skus),
    ("mold", mold),
    ("heat", waste_heat),
    ("melting", melting),
    ("carbon", carbon),
    ("metering", metering),
    ("uncertainty", uncertainty),
    ("peer", peer),
    ("findings", findings),
    ("diagnosis", diagnosis),
    ("buyers", buyers),
    ("provisional", annex_provisional),
    ("inputs", annex_inputs),
    ("colophon", annex_colophon),
)


def build(
    doc: dict[str, Any],
    spec: Specification,
    *,
    site: Site | None = None,
    series: Series | None = None,
    lang: str = "zh",
    benchmark: dict[str, Any] | None = None,
) -> Report:
    """The report's content for ``lang`` (``zh``, ``en`` or ``zh+en``); with ``benchmark``
    (a published ``benchmark.json``) the peer position chapter."""
    ctx = Context(doc, site, spec, series, lang, Assessment.from_json(doc), benchmark)
    sections = [sec for _, ch in CHAPTERS if (sec := ch(ctx)) is not None]
    ent = doc["enterprise"]
    period = f"{doc['period']['start']} – {doc['period']['end']}"
    return Report(
        cover(ctx),
        sections,
        B(
            f"{ent['name']} · {period}",
            f"{ent.get('name_en') or ent['name']} · {period}",
            f"{ent.get('name_en') or ent['name']} · {period}",
        ),
    )


__all__ = ["CHAPTERS", "PageBreak", "build"]
