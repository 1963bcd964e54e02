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
from thermaudit.report.labels import Bi, term
from thermaudit.report.series import Series

B = Bi
#: significant digits of a temperature deviation without uncertainty [°C]
TEMPERATURE_SIG = sig_for("°C")
CHECK = "(check)"
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

    def m(self, metric_id: str) -> AssessedMetric:
        return self.assessment.metric(metric_id)

    def d(self, metric_id: str) -> dict[str, Any]:
        return self.m(metric_id).detail

    def label(self, text: Text) -> str:
        return charts.label(text, self.lang)


def metric_name(ms: Any) -> Bi:
    """A metric's name, the English one capitalised as a label."""
    en = ms.name_en[:1].upper() + ms.name_en[1:]
    return Bi(ms.name_zh, en)


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
        return Cell(B("合格", "qualified"), tone="good")
    reasons = "; ".join(metric.reasons) or "?"
    return Cell(B(f"不合格：{reasons}", f"not qualified: {reasons}"), tone="bad")


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
        return Cell(B("不完整", "incomplete"), tone="warn")
    return Cell(MISSING, tone="muted")


def _card_note(metric: AssessedMetric, qualified: bool) -> Text:
    if not qualified:
        return B("数据不充分", "data not qualified")
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
    versions = ", ".join(f"{t} @{reference_version(t)}" for t in tables)
    return Cover(
        title=B("节能降碳诊断报告", "Energy-saving and carbon-reduction diagnostic report"),
        subtitle=B(spec.title_zh, spec.title_en),
        enterprise=B(ent["name"], ent.get("name_en") or ent["name"]),
        facts=[
            (B("统一社会信用代码", "Unified social credit code"), ent["credit_code"]),
            (
                B("行业 / 省份", "Sector / province"),
                B(
                    f"{term('sector', ent.get('sector')).zh} / {ent.get('province', '')}",
                    f"{term('sector', ent.get('sector')).en} / {ent.get('province', '')}",
                ),
            ),
            (
                B("评估期", "Assessment period"),
                f"{period['start']} – {period['end']} ({period.get('timezone', '')})",
            ),
            (B("指标规范", "Metric specification"), f"{doc['specification']} ({spec.status})"),
            (B("系数表版本", "Coefficient tables"), versions),
            (
                B("电网排放因子年份", "Grid factor year"),
                str((doc.get("coefficients") or {}).get("grid_factor_year", MISSING)),
            ),
            (
                B("软件", "Software"),
                f"{doc['software']['name']} {doc['software']['version']} · "
                f"{doc.get('generated_at', '')}",
            ),
        ],
        signatures=[B("评估人", "Assessor"), B("审核人", "Reviewer"), B("批准人", "Approved by")],
        report_id=document_id(doc),
        status=B(
            "暂行规范：指标及分级以官方技术规范发布为准",
            "Provisional specification: metrics and grading are subject to the official one",
        ),
    )


# ============================================================================ chapters


def _tone(grade: str | None) -> str:
    return {"good": "good", "pass": "good", "fair": "warn", "poor": "bad", "fail": "bad"}.get(
        grade or "", "muted"
    )


def summary(ctx: Context) -> Section:
    s = Section("summary", B("评估结论摘要", "Summary of results"))
    cards = []
    short = {
        "unit_product_energy": B("单位产品综合能耗", "Unit product energy"),
        "waste_heat_recovery_rate": B("余热回收率", "Waste heat recovery"),
        "mold_temperature_control_accuracy": B("模温控制精度", "Mold temperature accuracy"),
        "melting_energy_intensity": B("熔化单耗", "Melting energy intensity"),
        "unit_product_carbon_intensity": B("单位产品碳排放强度", "Carbon intensity"),
        "energy_metering_coverage": B("能源计量器具配备率", "Metering coverage"),
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
                graded_text(m) if grade else B("不可计算", "not computable"),
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
                B("指标", "Metric"),
                B("结果", "Value"),
                B("单位", "Unit"),
                B("U (k=2)", "U (k=2)"),
                B("评级", "Grade"),
                B("数据充分性", "Data sufficiency"),
            ],
            rows,
            "lrlrll",
            [3.2, 1.1, 0.9, 0.9, 1.0, 1.9],
            caption=B("表 1  六项指标", "Table 1  The six metrics"),
            notes=[
                B(
                    f"规范 {ctx.spec.ref}；单位产品综合能耗为当量值"
                    "口径；“—”表示扩展不确定度 U（k=2）尚未评定或不可计算。",
                    f"Specification {ctx.spec.ref}; unit product energy on the calorific basis; "
                    "a dash (—) under U (k=2): not evaluated or not computable.",
                )
            ],
        )
    )
    obs = observations(ctx)
    if obs:
        s.sub("observations", B("主要结论", "Key observations")).add(Bullets(obs))
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
    tone = "bad" if counts.get("error") else "warn" if counts.get("warning") else "good"
    s.add(
        Callout(
            B(
                f"数据质量发现：{text_zh}（详见“数据质量发现”一章）。",
                f"Data-quality findings: {text_en} (see the chapter Findings).",
            ),
            tone,
        )
    )
    disq = [ms for ms in ctx.spec.metrics if ctx.m(ms.id).qualified is False]
    if disq:
        names = B("、".join(ms.name_zh for ms in disq), ", ".join(ms.name_en for ms in disq))
        s.add(
            Callout(
                B(
                    f"以下指标数据不充分，结果仅供参考：{names.zh}。",
                    f"Data do not qualify for: {names.en}; the values are indicative only.",
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
        if len(by_sku) >= 2:
            hi = max(by_sku, key=lambda k: by_sku[k]["value"])
            lo = min(by_sku, key=lambda k: by_sku[k]["value"])
            v_hi, v_lo = fmt(by_sku[hi]["value"]), fmt(by_sku[lo]["value"])
            zh += f"产品单耗最高为 {hi}（{v_hi}），最低为 {lo}（{v_lo}）。"
            en += (
                f" Highest product intensity {hi} ({fmt(by_sku[hi]['value'])}), lowest {lo} "
                f"({fmt(by_sku[lo]['value'])})."
            )
        out.append(B(zh, en))
    mold = ctx.m("mold_temperature_control_accuracy")
    by_c = mold.detail.get("by_controller") or {}
    if by_c:
        bad = [k for k, v in by_c.items() if v.get("pass") is False]
        cal = [k for k, v in by_c.items() if v.get("calibration") not in (None, "valid")]
        zh = f"模温控制精度 ±{value_texts(mold)[0]} °C（{len(by_c)} 台控制器）"
        en = f"Mold temperature accuracy ±{value_texts(mold)[0]} °C ({len(by_c)} controllers)"
        if bad:
            p95 = {k: fmt(by_c[k].get("p95_abs_c"), TEMPERATURE_SIG) for k in bad}
            zh += "；超出自身公差：" + "、".join(f"{k}（P95 {p95[k]} °C）" for k in bad)
            en += "; beyond their own tolerance: " + ", ".join(
                f"{k} (P95 {p95[k]} °C)" for k in bad
            )
        if cal:
            st = {k: term("calibration", by_c[k].get("calibration")) for k in cal}
            zh += "；校准无效：" + "、".join(f"{k}（{st[k].zh}）" for k in cal)
            en += "; calibration not valid: " + ", ".join(f"{k} ({st[k].en})" for k in cal)
        out.append(B(zh + "。", en + "."))
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
        zh = f"主要用能设备计量器具配备率 {fmt(cov.value)} %"
        en = f"Key-equipment metering coverage {fmt(cov.value)} %"
        if missing:
            zh += f"，未配专用计量：{'、'.join(missing)}"
            en += f"; no dedicated meter: {', '.join(missing)}"
        out.append(B(zh + "。", en + "."))
    return out


def methodology(ctx: Context) -> Section:
    s = Section("methodology", B("评估边界与方法", "Boundary and methodology"))
    doc, site = ctx.doc, ctx.site
    b = s.sub("boundary", B("评估边界", "Boundary"))
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
            )
        ),
        Table(
            [B("计量角色", "Role"), B("计量表", "Meters")],
            [[term("role", r), ", ".join(ids)] for r, ids in roles.items()],
            "ll",
            [1, 4],
            small=True,
        ),
    )
    f = s.sub("formulas", B("指标计算方法", "Metric formulas"))
    rows: list[list[Cell | Text]] = []
    for ms in ctx.spec.metrics:
        raw = ms.raw
        rows.append(
            [
                Cell(metric_name(ms), bold=True),
                Cell(str(raw.get("formula", MISSING))),
                str(raw.get("standard", MISSING)),
            ]
        )
    f.add(
        Table(
            [B("指标", "Metric"), B("公式", "Formula"), B("依据", "Standard")],
            rows,
            "lll",
            [1.6, 3.4, 1.3],
            small=True,
        )
    )
    f.add(Formula(methodology_formulas(ctx.spec)))
    coef = s.sub("coefficients", B("折标系数与排放因子", "Coefficients and emission factors"))
    in_force = (ctx.d("unit_product_energy").get("coefficients")) or {}
    checks: list[Text] = []
    crow: list[list[Cell | Text]] = []
    for r in reference_table("coefficients"):
        flagged = CHECK in str(r["source"])
        crow.append(
            [
                term("carrier", r["carrier"]),
                r["unit"],
                fmt_given(r["kgce_per_unit"]),
                Cell(str(r["source"]), tone="warn" if flagged else None),
                term("confidence", r["confidence"]),
            ]
        )
        if flagged:
            checks.append(f"coefficients.csv: {r['carrier']} ({r['unit']}) — {r['source']}")
    coef.add(
        Table(
            [
                B("能源", "Carrier"),
                B("单位", "Unit"),
                B("kgce/单位", "kgce/unit"),
                B("来源", "Source"),
                B("可信度", "Confidence"),
            ],
            crow,
            "llrll",
            [1.3, 0.6, 0.9, 4.0, 0.8],
            caption=B(
                "折标准煤系数（coefficients.csv）",
                "Coefficients to standard coal (coefficients.csv)",
            ),
            small=True,
        )
    )
    erow: list[list[Cell | Text]] = []
    for r in reference_table("emission_factors"):
        flagged = CHECK in str(r["source"])
        erow.append(
            [
                term("carrier", r["carrier"]),
                fmt_given(r["ncv_gj_per_t"]),
                fmt_given(r["carbon_tc_per_tj"]),
                fmt_given(r["oxidation"]),
                fmt_given(r["kgco2_per_unit"]),
                r["unit"],
                Cell(str(r["source"]), tone="warn" if flagged else None),
            ]
        )
        if flagged:
            checks.append(f"emission_factors.csv: {r['carrier']} — {r['source']}")
    coef.add(
        Table(
            [
                B("能源", "Carrier"),
                "NCV GJ/t",
                "tC/TJ",
                B("氧化率", "Oxidation"),
                "kgCO2/unit",
                B("单位", "Unit"),
                B("来源", "Source"),
            ],
            erow,
            "lrrrrll",
            [1.2, 0.8, 0.7, 0.8, 0.9, 0.5, 3.6],
            caption=B(
                "排放因子（emission_factors.csv）", "Emission factors (emission_factors.csv)"
            ),
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
                Cell(f"{r['region']}", bold=used),
                str(r["year"]),
                Cell(fmt_given(r["kgco2_per_kwh"]), bold=used),
                Cell(B("采用", "used") if used else "", tone="good" if used else None),
                str(r["source"]),
            ]
        )
    coef.add(
        Table(
            [B("区域", "Region"), B("年份", "Year"), "kgCO2/kWh", "", B("来源", "Source")],
            grow,
            "lrrll",
            [1.2, 0.6, 1.0, 0.6, 3.8],
            caption=B(
                "电网排放因子（grid_factors.csv）", "Grid emission factors (grid_factors.csv)"
            ),
            small=True,
        )
    )
    mrow: list[list[Cell | Text]] = []
    for r in reference_table("materials"):
        flagged = CHECK in str(r["source"])
        mrow.append(
            [
                r["group"],
                str(r["prefixes"]).replace("|", ", "),
                fmt_given(r["cp_solid_kj_kg_k"]),
                fmt_given(r["melting_point_c"]),
                fmt_given(r["latent_heat_kj_kg"]),
                fmt_given(r["cp_liquid_kj_kg_k"]),
                Cell(str(r["source"]), tone="warn" if flagged else None),
            ]
        )
        if flagged:
            checks.append(f"materials.csv: {r['group']} — {r['source']}")
    coef.add(
        Table(
            [
                B("材料组", "Group"),
                B("牌号前缀", "Prefixes"),
                "cp,s kJ/(kg·K)",
                "T_m °C",
                "L kJ/kg",
                "cp,l kJ/(kg·K)",
                B("来源", "Source"),
            ],
            mrow,
            "llrrrrl",
            [0.9, 1.6, 0.8, 0.6, 0.6, 0.8, 3.0],
            caption=B("材料热物性（materials.csv）", "Material properties (materials.csv)"),
            small=True,
        )
    )
    if in_force:
        coef.add(
            Facts(
                [
                    (
                        B("本次采用：电力当量值", "In force: electricity, calorific"),
                        f"{fmt(in_force.get('electricity_kgce_per_kwh'))} kgce/kWh",
                    ),
                    (
                        B("本次采用：电力等价值", "In force: electricity, equivalent"),
                        f"{fmt(in_force.get('electricity_equivalent_kgce_per_kwh'))} kgce/kWh",
                    ),
                    (
                        B("本次采用：天然气", "In force: natural gas"),
                        f"{fmt(in_force.get('natural_gas_kgce_per_m3'))} kgce/m3 "
                        f"(NCV {fmt(in_force.get('natural_gas_ncv_mj_per_m3'))} MJ/m3, "
                        f"{in_force.get('natural_gas_ncv_source')})",
                    ),
                    (
                        B("本次采用：电网排放因子", "In force: grid factor"),
                        f"{fmt(carbon_detail.get('grid_factor_kgco2_per_kwh'))} "
                        f"kgCO2/kWh ({gf_src})",
                    ),
                ]
            )
        )
    for ms in ctx.spec.metrics:
        raw = ms.raw
        for where, text in (("note", raw.get("note")), ("standard", raw.get("standard"))):
            if text and CHECK in str(text):
                checks.append(f"{ctx.spec.ref} {ms.id}.{where}: {text}")
        g = ms.grading
        for key in ("source",):
            if g.get(key) and CHECK in str(g[key]):
                checks.append(f"{ctx.spec.ref} {ms.id}.grading: {g[key]}")
        for band in g.get("bands", []) + g.get("bands_efficiency", []):
            if CHECK in str(band.get("source", "")):
                checks.append(
                    f"{ctx.spec.ref} {ms.id}.grading {band['grade']} ≥ {fmt_given(band['min'])}: "
                    f"{band['source']}"
                )
    if checks:
        coef.add(
            Callout(
                B(
                    "以下标注“(check)”的数值尚未与标准原文核对，本报告按原值使用：",
                    "Figures marked (check) have not been confirmed against the standard's text; "
                    "this report used them as given:",
                ),
                "warn",
            )
        )
        coef.add(
            Table(
                [B("数值及来源", "Figure and source")], [[Cell(c)] for c in checks], "l", small=True
            )
        )
    p = s.sub("parameters", B("规范参数", "Specification parameters"))
    p.add(
        Table(
            [B("参数", "Parameter"), B("数值", "Value")],
            [[k, fmt_given(v)] for k, v in ctx.spec.parameters.items()],
            "lr",
            [3, 1],
            small=True,
            narrow=True,
        )
    )
    return s


def energy_balance(ctx: Context) -> Section:
    s = Section("energy", B("能源平衡", "Energy balance"))
    _expired_callout(s, ctx.m("unit_product_energy"))
    d = ctx.d("unit_product_energy")
    site = ctx.site
    total = d.get("energy_kgce") or 0.0
    by_carrier = d.get("by_carrier") or {}
    rows: list[list[Cell | Text]] = [
        [term("carrier", c), fmt(v), _pct(100 * v / total if total else None)]
        for c, v in sorted(by_carrier.items(), key=lambda kv: -kv[1])
    ]
    rows.append([Cell(B("合计 E", "Total E"), bold=True), Cell(fmt(total), bold=True), "100 %"])
    s.add(
        Table(
            [B("能源品种", "Carrier"), B("净折标量 kgce", "Net kgce"), B("占比", "Share")],
            rows,
            "lrr",
            [2, 1.2, 1],
            caption=B("按能源品种（净值）", "By carrier (net)"),
            narrow=True,
        )
    )
    by_role = d.get("by_role") or {}
    s.add(
        Table(
            [B("计量角色", "Role"), "kgce"],
            [[term("role", r), fmt(v)] for r, v in by_role.items()],
            "lr",
            [2, 1.2],
            caption=B(
                "按计量角色（量值，扣除与外供另行减去）",
                "By role (magnitudes; excluded and export are subtracted)",
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
            ctx.label(B("日单位产品综合能耗", "Daily unit product energy")),
            mean=(
                ctx.label(
                    B(
                        f"期间值 {fmt(ctx.m('unit_product_energy').value)}",
                        f"period {fmt(ctx.m('unit_product_energy').value)}",
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
                    "日单位产品综合能耗（折线，左轴）与日合格品质量（柱，右轴）；区间按其结束时刻计入当日。",
                    "Daily unit product energy (line, left axis) "
                    "and daily good mass (bars, right axis); "
                    "each interval counts on the day it ends.",
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
                B("计量表", "Meter"),
                B("能源", "Carrier"),
                B("角色", "Role"),
                B("工序", "Process"),
                B("产线", "Line"),
                B("期内用量", "Consumption"),
                B("单位", "Unit"),
                "kgce",
                B("完整率", "Complete"),
            ],
            mrow,
            "llllrrlrr",
            [1.1, 1.0, 1.0, 1.0, 0.7, 1.1, 0.6, 1.0, 0.9],
            caption=B("分表用量", "Consumption by meter"),
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
            ctx.label(B("扣除（非生产）", "excluded (non-production)"))
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
    svg = charts.sankey(columns, flows, "kgce", ctx.label(B("能流图", "Energy flow")))
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
        ),
    )


def skus(ctx: Context) -> Section:
    s = Section("sku", B("产品单耗排名", "Intensity by product"))
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
        name = B(p.name, p.name_en or p.name) if p else B(sku, sku)
        markets = (
            B(
                "、".join(term("market", x).zh for x in p.markets),
                ", ".join(term("market", x).en for x in p.markets),
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
                B("产品", "Product"),
                B("出口市场", "Markets"),
                B("合格品 件", "Good pcs"),
                B("废品率", "Scrap"),
                B("合格品 t", "Good t"),
                "kgce",
                "kgce/t",
            ],
            rows,
            "rllllrrrr",
            [0.3, 0.9, 1.5, 1.2, 0.9, 0.7, 0.8, 0.9, 0.8],
            caption=B("按质量计的产品（由高到低）", "Mass-denominated products, highest first"),
            small=True,
            notes=[B("红色：高于全厂值 5 % 以上。", "Red: more than 5 % above the plant value.")],
        )
    )
    if rank:
        svg = charts.hbar(
            [(k, v.get("value")) for k, v in rank],
            "kgce/t",
            ctx.label(B("产品单耗", "Intensity by product")),
            reference=(ctx.label(B("全厂", "plant")) + f" {fmt(headline)}", headline)
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
                ),
            )
        )
    if count:
        s.add(
            Table(
                ["SKU", B("合格品 件", "Good pcs"), "kgce", "kgce/piece"],
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
                caption=B("按件计的产品", "Count-denominated products"),
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
                B(str(lab.get("zh", "")), str(lab.get("en", ""))),
                f"{fmt_given(ref)} {r.get('unit', '')}" if ref is not None else MISSING,
                Cell(
                    B("适用", "applies") if applies else B("不适用", "n/a"),
                    tone="good" if applies else "muted",
                ),
                ratio,
                Cell(
                    f"{r.get('source', '')} [{r.get('confidence', '')}]",
                    tone="warn" if "check" in str(r.get("source", "")) else None,
                ),
            ]
        )
    note = str((ms.grading.get("note") if ms else "") or "")
    return Table(
        [
            B("参考点", "Reference"),
            B("数值", "Value"),
            B("适用性", "Applies"),
            B("本厂 / 参考", "Plant / reference"),
            B("来源 [可信度]", "Source [confidence]"),
        ],
        rows,
        "lrlrl",
        [2.6, 1.0, 0.8, 1.0, 2.2],
        caption=B("单位产品综合能耗对标", "Unit product energy against reference points"),
        small=True,
        notes=[B("无现行国家强制性限额；按产品材质判断适用性。", note)] if note else [],
    )


def mold(ctx: Context) -> Section:
    s = Section("mold", B("模温控制精度", "Mold temperature control"))
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
            )
        )
    )
    s.add(
        Table(
            [
                B("控制器", "Controller"),
                B("模具", "Mold"),
                B("产线", "Line"),
                B("公差", "Tol."),
                "P95 |e|",
                "max |e|",
                B("偏差", "Bias"),
                "RMS",
                B("合格 %", "Within %"),
                "Cpk",
                B("样本", "Samples"),
                B("校准", "Calib."),
                "U (k=2)",
            ],
            rows,
            "lllrrrrrrrrlr",
            [0.8, 1.3, 0.6, 0.6, 0.7, 0.7, 0.7, 0.6, 0.8, 0.6, 0.8, 0.7, 0.7],
            caption=B("各控制器统计（°C）", "Statistics by controller (°C)"),
            small=True,
            notes=[
                B(
                    "Cpk < 1.0 或校准无效者标色；U 为校准证书的扩展不确定度。",
                    "Cpk < 1.0 or calibration not valid are marked; U is the calibration "
                    "certificate's expanded uncertainty.",
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
                ctx.label(B("模温控制图", "Mold temperature control chart")),
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
                    ),
                )
            )
    return s


def waste_heat(ctx: Context) -> Section:
    s = Section("heat", B("余热资源与回收", "Waste heat"))
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
                B("余热回收计量表", "recovered-heat meters"),
                term("kind", "recovered"),
                MISSING,
                MISSING,
                fmt(d.get("recovered_heat_meters_gj")),
            ]
        )
    s.add(
        Table(
            [
                B("热流", "Stream"),
                B("类别", "Kind"),
                B("介质", "Medium"),
                B("热源", "Source"),
                "GJ",
            ],
            rows,
            "llllr",
            [1.3, 1.1, 1.0, 1.0, 1.0],
            caption=B("余热热流（期内）", "Heat streams in the period"),
        )
    )
    s.add(
        Facts(
            [
                (B("可利用余热", "Available"), f"{fmt(d.get('available_gj'))} GJ"),
                (B("已回收", "Recovered"), f"{fmt(d.get('recovered_gj'))} GJ"),
                (B("余热回收率", "Recovery rate"), _pct(m.value)),
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
            rec.append((ctx.label(B("回收计量表", "meters")), d["recovered_heat_meters_gj"]))
        svg = charts.stacked_pair(
            [
                (ctx.label(B("可利用", "Available")), avail),
                (ctx.label(B("已回收", "Recovered")), rec),
            ],
            "GJ",
            ctx.label(B("余热：可利用与已回收", "Available and recovered heat")),
        )
        s.add(
            Figure(
                "heat",
                svg,
                B(
                    "可利用余热与已回收热量（GJ），按热流分段。",
                    "Available and recovered heat (GJ) by stream.",
                ),
            )
        )
    return s


def melting(ctx: Context) -> Section:
    s = Section("melting", B("熔炼", "Melting"))
    m = ctx.m("melting_energy_intensity")
    _expired_callout(s, m)
    d = m.detail
    s.add(
        Facts(
            [
                (B("熔化金属量", "Metal melted"), f"{fmt(d.get('metal_t'))} t"),
                (
                    B("熔化炉能耗", "Furnace energy"),
                    f"{fmt(d.get('energy_kgce'))} kgce · {fmt(d.get('energy_mj'))} MJ",
                ),
                (B("理论热", "Theoretical heat"), f"{fmt(d.get('theoretical_mj'))} MJ"),
                (B("熔化单耗", "Melting energy intensity"), f"{fmt(m.value)} kgce/t"),
                (B("熔炼热效率", "Thermal efficiency"), _pct(d.get("thermal_efficiency_pct"))),
                (B("计量表", "Meters"), ", ".join(d.get("meters") or []) or MISSING),
            ]
        )
    )
    by_alloy = d.get("by_alloy_t") or {}
    if by_alloy:
        s.add(
            Table(
                [B("合金", "Alloy"), "t"],
                [[a, fmt(t)] for a, t in by_alloy.items()],
                "lr",
                [2, 1],
                caption=B("按合金", "By alloy"),
                narrow=True,
            )
        )
    return s


def carbon(ctx: Context) -> Section:
    s = Section("carbon", B("碳排放", "Carbon emissions"))
    m = ctx.m("unit_product_carbon_intensity")
    _expired_callout(s, m)
    d = m.detail
    rows: list[list[Cell | Text]] = [
        [
            B("范围一（燃料燃烧）", "Scope 1 (fuel combustion)"),
            fmt(d.get("scope1_t")),
            fmt(d.get("scope1_t")),
        ]
    ]
    for fuel, t in (d.get("scope1_by_fuel_t") or {}).items():
        rows.append(
            [
                B(f"　其中 {term('carrier', fuel).zh}", f"  of which {term('carrier', fuel).en}"),
                fmt(t),
                fmt(t),
            ]
        )
    rows.append(
        [
            B("范围二（外购电力、热力净值）", "Scope 2 (net purchased electricity, heat)"),
            fmt(d.get("scope2_location_t")),
            fmt(d.get("scope2_market_t")),
        ]
    )
    tot_l = (d.get("scope1_t") or 0) + (d.get("scope2_location_t") or 0)
    tot_m = (d.get("scope1_t") or 0) + (d.get("scope2_market_t") or 0)
    rows.append(
        [
            Cell(B("合计", "Total"), bold=True),
            Cell(fmt(tot_l), bold=True),
            Cell(fmt(tot_m), bold=True),
        ]
    )
    rows.append(
        [
            Cell(B("单位产品碳排放强度 tCO2e/t", "Intensity tCO2e/t"), bold=True),
            Cell(value_texts(m)[0], bold=True),
            Cell(fmt(d.get("market_based_value")), bold=True),
        ]
    )
    s.add(
        Table(
            [
                B("项目", "Item"),
                B("基于位置 tCO2e", "Location-based tCO2e"),
                B("基于市场 tCO2e", "Market-based tCO2e"),
            ],
            rows,
            "lrr",
            [3, 1.4, 1.4],
            caption=B("按范围", "By scope"),
        )
    )
    s.add(
        Facts(
            [
                (
                    B("净外购电力", "Net purchased electricity"),
                    f"{fmt(d.get('electricity_net_kwh'))} kWh",
                ),
                (B("净外购热力", "Net purchased heat"), f"{fmt(d.get('heat_net_gj'))} GJ"),
                (
                    B("电网排放因子", "Grid factor"),
                    f"{fmt(d.get('grid_factor_kgco2_per_kwh'))} kgCO2/kWh · "
                    f"{d.get('grid_factor_source') or MISSING}",
                ),
                (
                    B("绿证抵扣电量", "Green certificates retired"),
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
                    B("绿证编号", "Certificate"),
                    "MWh",
                    B("有效天数", "Days"),
                    B("重叠天数", "Overlap days"),
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
                ),
                small=True,
            )
        )
    return s


def metering(ctx: Context) -> Section:
    s = Section("metering", B("计量器具配备与校准", "Metering coverage and calibration"))
    m = ctx.m("energy_metering_coverage")
    _expired_callout(s, m)
    d = m.detail
    g = next((ms.grading for ms in ctx.spec.metrics if ms.id == "energy_metering_coverage"), {})
    s.add(
        Table(
            [B("层级", "Level"), B("配备率", "Coverage"), B("要求", "Required")],
            [
                [
                    B("进出用能单位（能源品种）", "Site (carriers)"),
                    _pct(d.get("site")),
                    _pct(g.get("site_pct")),
                ],
                [B("主要工序", "Processes"), _pct(d.get("process")), MISSING],
                [
                    B("主要用能设备（电）", "Key equipment, electricity"),
                    _pct(d.get("key_equipment_electricity")),
                    _pct(g.get("electricity_key_pct")),
                ],
                [
                    B("主要用能设备（燃料）", "Key equipment, fuels"),
                    _pct(d.get("key_equipment_fuel")),
                    _pct(g.get("fuel_key_pct")),
                ],
                [
                    Cell(B("主要用能设备（合计，指标值）", "Key equipment (headline)"), bold=True),
                    Cell(_pct(d.get("key_equipment")), bold=True),
                    MISSING,
                ],
                [
                    B("校准有效的计量表", "Meters with valid calibration"),
                    _pct(d.get("calibration_valid")),
                    MISSING,
                ],
                [B("数据完整率", "Data completeness"), _pct(d.get("completeness")), "90 %"],
            ],
            "lrr",
            [3, 1, 1],
            caption=B("GB 17167 配备率", "Coverage per GB 17167"),
        )
    )
    keq = d.get("key_equipment_list") or {}
    fitted = set(d.get("key_equipment_fitted") or [])
    if keq:
        eq = {e.id: e for e in ctx.site.equipment} if ctx.site else {}
        s.add(
            Table(
                [
                    B("主要用能设备", "Key equipment"),
                    B("类别", "Type"),
                    B("额定", "Rating"),
                    B("专用计量", "Dedicated meter"),
                ],
                [
                    [
                        Cell(k, mono=True),
                        B("电", "electricity") if v == "electricity" else B("燃料", "fuel"),
                        (f"{fmt(eq[k].rated_kw)} kW" if k in eq and eq[k].rated_kw else MISSING),
                        Cell(B("有", "yes"), tone="good")
                        if k in fitted
                        else Cell(B("无", "no"), tone="bad"),
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
    s = Section("uncertainty", B("测量不确定度", "Measurement uncertainty"))
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
                B("指标", "Metric"),
                B("结果", "Value"),
                "U (k=2)",
                B("相对 U %", "Relative U %"),
                B("单位", "Unit"),
                B("主要贡献（方差占比）", "Main contributors (share of variance)"),
                B("不确定度未知的仪表", "Instruments of unknown uncertainty"),
            ],
            rows,
            "lrrrlll",
            [2.2, 0.8, 0.8, 0.8, 0.7, 2.2, 1.4],
            small=True,
            notes=[
                B(
                    "“不完整”：有仪表的不确定度未知，不给出 U。",
                    "incomplete: an instrument's uncertainty is unknown, so no U is stated.",
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
            s.add(Para(method, "note"))
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


def findings(ctx: Context) -> Section:
    s = Section("findings", B("数据质量发现", "Findings"))
    fs = ctx.doc.get("findings") or []
    if not fs:
        s.add(Para(B("无。", "None.")))
    for sev in SEVERITY_ORDER:
        group = [f for f in fs if f["severity"] == sev]
        if not group:
            continue
        s.add(
            Table(
                [B("代码", "Code"), B("说明", "Message")],
                [
                    [
                        Cell(f["code"], mono=True),
                        Cell(B(f.get("message_zh") or f["message"], f["message"])),
                    ]
                    for f in group
                ],
                "ll",
                [2.3, 4],
                caption=B(
                    f"{term('severity', sev).zh}（{len(group)}）",
                    f"{term('severity', sev).en.capitalize()} ({len(group)})",
                ),
                small=True,
            )
        )
    return s


#: detector ids of the diagnosis with their labels
DETECTOR_LABELS: dict[str, tuple[str, str]] = {
    "idle_holding": ("无生产保温", "Idle holding"),
    "base_load": ("非生产基础负荷", "Base load"),
    "compressed_air_leakage": ("压缩空气泄漏", "Compressed-air leakage"),
    "scrap_embodied": ("废品含能", "Energy in scrap"),
    "mold_instability": ("模温波动", "Mold temperature instability"),
    "unrecovered_heat": ("未回收余热", "Unrecovered heat"),
    "melting_efficiency": ("熔化效率", "Melting efficiency"),
    "power_factor": ("功率因数", "Power factor"),
}
_CERT_STATUS: dict[str, tuple[str, str, str]] = {
    "overdue": ("已逾期", "overdue", "bad"),
    "urgent": ("12 个月内", "within 12 months", "bad"),
    "plan": ("12–24 个月", "12–24 months", "warn"),
    "monitor": ("24 个月以上", "beyond 24 months", "good"),
}


def _bi(x: Any) -> Text:
    if isinstance(x, dict):
        return B(str(x.get("zh", x.get("en", ""))), str(x.get("en", x.get("zh", ""))))
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
    s = Section("diagnosis", B("节能降碳诊断与建议", "Diagnosis and measures"))
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
                )
            )
        )
    rows: list[list[Cell | Text]] = []
    for m in measures:
        if not isinstance(m, dict):
            continue
        title = _bi(m.get("title", m.get("id", "")))
        if m.get("rank"):
            t = title if isinstance(title, Bi) else B(title, title)
            title = B(f"{m['rank']}. {t.zh}", f"{m['rank']}. {t.en}")
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
            f"{c} {fmt(t['cny_per_unit'])} 元/{t['unit']}（{_TARIFF_KIND[t['kind']][0]}）"
            for c, t in tariffs.items()
        )
        en = "; ".join(
            f"{c} {fmt(t['cny_per_unit'])} CNY/{t['unit']} ({_TARIFF_KIND[t['kind']][1]})"
            for c, t in tariffs.items()
        )
        notes.append(B(f"能源价格：{zh}。", f"Prices: {en}."))
    notes.append(
        B(
            "节能量与投资为典型值，范围与来源见 diagnosis.json；标注 (check) 的数据未经核实。",
            "Savings and investment are typical values; ranges and sources are in "
            "diagnosis.json; figures marked (check) are unverified.",
        )
    )
    s.add(
        Table(
            [
                B("措施", "Measure"),
                B("节能 kgce/年", "kgce/yr"),
                B("减碳 tCO2e/年", "tCO2e/yr"),
                B("节约 元/年", "CNY/yr"),
                B("投资 元", "Investment CNY"),
                B("回收期 年", "Payback yr"),
                B("寿命 年", "Life yr"),
            ],
            rows,
            "lrrrrrr",
            [3.0, 1.0, 1.0, 1.0, 1.1, 0.8, 0.6],
            caption=B("适用措施（按回收期排序）", "Applicable measures, ranked by payback"),
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
    "option": ("site.yaml 设定", "site.yaml"),
    "invoices": ("发票折算", "from invoices"),
    "default": ("默认值，待核实", "default, check"),
}


def _diagnosis_wastes(s: Section, d: dict[str, Any]) -> None:
    sub = s.sub("wastes", B("能源浪费识别", "Where energy is wasted"))
    wastes = d.get("wastes") or []
    status = (d.get("detectors") or {}).get("status")
    if status not in (None, "ok", "given"):
        sub.add(Callout(B(f"未运行浪费识别：{status}", f"Wastes not detected: {status}"), "warn"))
    if not wastes:
        sub.add(Para(B("未发现超过重要性阈值的浪费。", "No waste above the materiality threshold")))
        return
    rows: list[list[Cell | Text]] = []
    for w in wastes:
        label = DETECTOR_LABELS.get(w["detector"], (w["detector"], w["detector"]))
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
                B("类别", "Kind"),
                B("对象", "Subject"),
                B("评估期 kgce", "kgce in period"),
                B("占比 %", "Share %"),
                B("证据", "Evidence"),
            ],
            rows,
            "llrrl",
            [1.3, 1.0, 0.9, 0.7, 3.6],
            small=True,
            notes=[
                B(
                    "占比：相对于相关总量（设备能耗、可回收余热、熔化能耗等）；各项证据数据见 "
                    "diagnosis.wastes[].evidence。",
                    "Share: of the relevant total (the equipment's energy, the available heat, "
                    "the melting energy ...); the figures behind each are in "
                    "diagnosis.wastes[].evidence.",
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
                Cell(str(m.get("basis", "")), tone="muted"),
                f"{fmt(frac.get('low'), 2)}–{fmt(frac.get('high'), 2)}",
                f"{fmt(pb[0], 2)}–{fmt(pb[1], 2)}",
                str(m["source"]),
            ]
        )
    if not rows:
        return
    sub = s.sub("measure-basis", B("措施的测算依据", "How each measure is quantified"))
    sub.add(
        Table(
            [
                B("措施", "Measure"),
                B("测算基数", "Basis"),
                B("节能比例", "Saving fraction"),
                B("回收期范围 年", "Payback range yr"),
                B("来源", "Source"),
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
                    "不适用：" + "；".join(f"{x['title']['zh']}（{x['reason']}）" for x in na),
                    "Not applicable: "
                    + "; ".join(f"{x['title']['en']} ({x['reason']})" for x in na),
                ),
                "note",
            )
        )


def _diagnosis_baseline(s: Section, d: dict[str, Any]) -> None:
    b = d.get("baseline")
    if not b:
        return
    sub = s.sub("baseline", B("能耗基准（EnPI）", "Energy baseline (EnPI)"))
    if "error" in b:
        sub.add(
            Callout(
                B(f"未能建立能耗基准：{b['error']}", f"No baseline could be fitted: {b['error']}"),
                "warn",
            )
        )
        return
    m, v = b.get("model") or {}, b.get("validity") or {}
    terms = "; ".join(
        f"{t['name']} {fmt(t['coefficient'])} {t['unit']}" for t in m.get("terms") or []
    )
    sub.add(
        Facts(
            [
                (B("模型", "Model"), terms or MISSING),
                ("R²", fmt(m.get("r2"))),
                ("CV(RMSE)", _pct(None if m.get("cv_rmse") is None else 100 * m["cv_rmse"])),
                ("NMBE", _pct(None if m.get("nmbe") is None else 100 * m["nmbe"])),
                (
                    B("有效性", "Valid"),
                    B("是", "yes") if v.get("valid") else B("否", "no"),
                ),
            ]
        )
    )
    sub.add(
        Para(
            B(
                "判据：ASHRAE Guideline 14-2014，CV(RMSE) ≤ 20 %，|NMBE| ≤ 0.005 %。",
                "Criteria: ASHRAE Guideline 14-2014, CV(RMSE) ≤ 20 %, |NMBE| ≤ 0.005 %.",
            ),
            "note",
        )
    )


def _diagnosis_priorities(s: Section, d: dict[str, Any]) -> None:
    pr = d.get("priorities") or {}
    skus = pr.get("skus") or []
    if not skus:
        return
    sub = s.sub("export", B("出口产品优先级", "Export priorities"))
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
                B("市场", "Markets"),
                "kgce/t",
                "tCO2e/t",
                B("含能耗条款客户", "Customers with clause"),
                B("暴露度", "Exposure"),
                B("优先分", "Score"),
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
                )
            ],
        )
    )


def _diagnosis_certificates(s: Section, d: dict[str, Any]) -> None:
    certs = d.get("certifications")
    if not certs or not certs.get("items"):
        return
    sub = s.sub("certificates", B("认证换证计划", "Certificate renewal plan"))
    rows: list[list[Cell | Text]] = []
    for i in certs["items"]:
        zh, en, tone = _CERT_STATUS.get(i["status"], (i["status"], i["status"], "muted"))
        steps = i.get("steps") or {}
        rows.append(
            [
                i["scheme"],
                Cell(i["sku"], mono=True),
                Cell(i["certificate_no"], mono=True),
                i["renewal_due"],
                Cell(B(zh, en), tone=tone, bold=tone == "bad"),
                steps.get("collect_data_from", MISSING),
                steps.get("verify_by", MISSING),
            ]
        )
    sub.add(
        Table(
            [
                B("认证", "Scheme"),
                "SKU",
                B("证书号", "Certificate"),
                B("换证日期", "Renewal due"),
                B("状态", "Status"),
                B("开始采集数据", "Collect data from"),
                B("完成核查", "Verify by"),
            ],
            rows,
            "lllllll",
            [0.7, 1.0, 1.3, 0.9, 1.0, 1.0, 0.9],
            small=True,
            caption=B(f"截至 {certs['as_of']}", f"As of {certs['as_of']}"),
        )
    )
    for i in certs["items"]:
        for w in i.get("warnings") or []:
            sub.add(Callout(B(w["zh"], w["en"]), "bad" if i["status"] != "plan" else "warn"))


def annex_inputs(ctx: Context) -> Section:
    s = Section("inputs", B("输入数据清单", "Input data"), annex=True)
    s.add(
        Para(
            B(
                "评估所用输入文件及其 SHA-256 摘要；assessment.json 作为附件嵌入本 PDF。",
                "Input files of the assessment with their SHA-256 digests; assessment.json is "
                "attached to this PDF.",
            )
        )
    )
    s.add(
        Table(
            [B("文件", "File"), B("行数", "Rows"), "SHA-256"],
            [
                [Cell(i["file"], mono=True), fmt_count(i.get("rows")), Cell(i["sha256"], mono=True)]
                for i in ctx.doc.get("inputs") or []
            ],
            "lrl",
            [1.3, 0.6, 4.4],
            small=True,
        )
    )
    return s


def annex_colophon(ctx: Context) -> Section:
    from thermaudit.report.fonts import FAMILIES

    s = Section("colophon", B("报告说明", "About this report"), annex=True)
    s.add(
        Para(
            B(
                f"本报告由 {ctx.doc['software']['name']} "
                f"{ctx.doc['software']['version']} 根据 assessment.json"
                f"（{ctx.doc['schema']}）自动生成；数值保留 4 位有效数字，“—”表示无数据或不可计算。"
                f"字体：{', '.join(FAMILIES)}（SIL Open Font License 1.1）。",
                f"Generated by {ctx.doc['software']['name']} {ctx.doc['software']['version']} from "
                f"assessment.json ({ctx.doc['schema']}); figures "
                "have 4 significant digits, a dash (—) means no "
                "data or not computable. Fonts: "
                f"{', '.join(FAMILIES)} (SIL Open Font License 1.1).",
            )
        )
    )
    return s


Chapter = Callable[[Context], Section | None]
#: chapters in print order
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
    ("findings", findings),
    ("diagnosis", diagnosis),
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
) -> Report:
    """The report's content for ``lang`` (``zh``, ``en`` or ``zh+en``)."""
    ctx = Context(doc, site, spec, series, lang, Assessment.from_json(doc))
    sections = [sec for _, ch in CHAPTERS if (sec := ch(ctx)) is not None]
    ent = doc["enterprise"]
    period = f"{doc['period']['start']} – {doc['period']['end']}"
    return Report(
        cover(ctx),
        sections,
        B(f"{ent['name']} · {period}", f"{ent.get('name_en') or ent['name']} · {period}"),
    )


__all__ = ["CHAPTERS", "PageBreak", "build"]
