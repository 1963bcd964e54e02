"""The report's chapter "For your buyers": the figures of each export, one table per format,
in the report's language, so that what a buyer or the EU receives can be read in the signed
report it comes with.

The tables read the same functions the exports are written with
(:mod:`thermaudit.exports`), from the same ``assessment.json``: the chapter and the files
cannot disagree. The chapter is left out when the assessment has no product footprint (a
document made by an older thermaudit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from thermaudit.report.blocks import Cell, Para, Section, Table
from thermaudit.report.fmt import MISSING, fmt, fmt_count, fmt_pct_share
from thermaudit.report.labels import Bi, term, translated

if TYPE_CHECKING:  # pragma: no cover - the chapter is called with the report's context
    from thermaudit.report.content import Context

B = Bi
_YES, _NO = B("是", "yes", "예"), B("否", "no", "아니오")
_FRAMEWORKS = (
    ("esrs", B("ESRS E1（欧盟可持续发展报告准则）", "ESRS E1 (CSRD)", "ESRS E1(CSRD)")),
    (
        "vsme",
        B(
            "VSME 基础模块 B3（欧盟中小企业自愿报告准则）",
            "VSME basic module B3",
            "VSME 기본 모듈 B3",
        ),
    ),
    ("kesg", B("K-ESG（韩国 ESG 指南）环境项目", "K-ESG environment items", "K-ESG 환경 항목")),
)
_NOT_REPORTED = {
    "revenue": B(
        "未报告：缺少评估期营业收入",
        "not reported: the net revenue of the period is not given",
        "미보고: 기간 매출액 없음",
    ),
    "scope3": B(
        "未报告：范围三不在本次评估范围内",
        "not reported: scope 3 is not assessed",
        "미보고: Scope 3 는 평가 범위 밖",
    ),
}


def _unit(unit: str) -> Bi:
    """A datapoint's unit in the reader's words (``MWh/million CNY`` → 百万 / 백만)."""
    return B(
        unit.replace("million ", "百万 "),
        unit,
        unit.replace("million ", "백만 "),
    )


def _name(sku: str, v: dict[str, Any]) -> Bi:
    name, en = v.get("name") or sku, v.get("name_en") or v.get("name") or sku
    return B(f"{sku} {name}", f"{sku} {en}", f"{sku} {en}")


def buyers(ctx: Context) -> Section | None:
    """The chapter, ``None`` for a document without a product footprint."""
    doc = ctx.doc
    fp = doc.get("product_footprint")
    if not fp:
        return None
    s = Section(
        "buyers", B("供客户与监管机构使用的数据", "For your buyers", "구매자·규제기관 제출용 수치")
    )
    s.add(
        Para(
            B(
                "本章列出随本报告提供给客户与监管机构的数据文件中的数值；文件由同一评估结果生成，"
                "并注明其 SHA-256 摘要。数值在文件中不作舍入，此处按本报告的数字规则显示。",
                "The figures of the files that go with this report to buyers and regulators; "
                "each file is made from this assessment and names its SHA-256 digest. The files "
                "hold the figures unrounded; they are shown here as the rest of the report "
                "shows figures.",
                "본 장은 본 보고서와 함께 구매자와 규제기관에 제공되는 데이터 파일의 수치를 "
                "보여 준다. 각 파일은 같은 평가 결과로 만들어지며 그 SHA-256 요약값을 "
                "명시한다. 파일의 수치는 반올림하지 않으며, 여기서는 본 보고서의 숫자 표기 "
                "규칙으로 표시한다.",
            )
        )
    )
    _footprints(s, fp)
    _pact(s, doc)
    _cbam(s, doc)
    _shares(s, fp)
    _disclosures(s, doc)
    return s


def _footprints(s: Section, fp: dict[str, Any]) -> None:
    gate = fp["boundary"] == "gate-to-gate"
    boundary = (
        B(
            "大门到大门：未记录金属采购，不含金属的上游排放",
            "gate-to-gate: no metal inputs were recorded, so the metal's upstream emissions "
            "are not included",
            "게이트 투 게이트: 금속 투입 기록이 없어 금속의 상류 배출은 포함되지 않음",
        )
        if gate
        else B(
            "摇篮到大门：本厂范围一、范围二及所购金属的上游排放",
            "cradle-to-gate: the plant's scope 1 and 2 and the upstream emissions of the "
            "metal bought",
            "요람에서 게이트까지: 본 공장의 Scope 1·2와 구입 금속의 상류 배출",
        )
    )
    rows: list[list[Cell | str | Bi]] = []
    for sku, v in fp["by_sku"].items():
        rows.append(
            [
                _name(sku, v),
                fmt(v.get("kgco2e_per_piece_location")),
                fmt(v.get("kgco2e_per_piece_market")),
                fmt(v.get("kgco2e_per_kg_location")),
                fmt_pct_share(v.get("primary_data_share")),
                Cell(
                    _YES if v.get("complete") else _NO, tone=None if v.get("complete") else "warn"
                ),
            ]
        )
    s.add(
        Table(
            [
                B("产品", "Product", "제품"),
                B("kgCO2e/件（位置）", "kgCO2e/piece (location)", "kgCO2e/개(위치)"),
                B("kgCO2e/件（市场）", "kgCO2e/piece (market)", "kgCO2e/개(시장)"),
                B("kgCO2e/kg（位置）", "kgCO2e/kg (location)", "kgCO2e/kg(위치)"),
                B("一手数据占比 %", "Primary data %", "1차 데이터 비율 %"),
                B("完整", "Complete", "완전"),
            ],
            rows,
            "lrrrrc",
            [2.6, 1.1, 1.1, 1.1, 1.0, 0.7],
            caption=B(
                "产品碳足迹（ISO 14067，温室气体核算体系产品标准）",
                "Product carbon footprints (ISO 14067, GHG Protocol Product Standard)",
                "제품 탄소발자국(ISO 14067, GHG 프로토콜 제품 표준)",
            ),
            small=True,
            notes=[boundary],
        )
    )


#: why a product's footprint is not served over PACT, by the start of the export's reason
_PACT_LEFT_OUT = (
    (
        "gate-to-gate",
        B(
            "不提供：未记录金属采购，PACT 要求摇篮到大门",
            "not served: no metal inputs recorded; PACT footprints are cradle-to-gate",
            "제공 안 함: 금속 투입 기록 없음(PACT는 요람에서 게이트까지)",
        ),
    ),
    (
        "no good output",
        B(
            "不提供：评估期内无合格品或无排放",
            "not served: no good output or no emissions in the period",
            "제공 안 함: 기간 중 양품 또는 배출 없음",
        ),
    ),
    (
        "incomplete",
        B(
            "不提供：某项金属投入既无供应商声明也无缺省因子",
            "not served: a metal input has neither a supplier declaration nor a default factor",
            "제공 안 함: 금속 투입에 공급사 신고값도 기본 계수도 없음",
        ),
    ),
    (
        "the fossil carbon content",
        B(
            "不提供：数据集中没有铸铁或铸钢件的化石碳含量",
            "not served: the fossil carbon content of a cast iron or steel part is not given",
            "제공 안 함: 주철·주강 부품의 화석 탄소 함량이 데이터에 없음",
        ),
    ),
)


def _pact(s: Section, doc: dict[str, Any]) -> None:
    from thermaudit.exports import pact

    out = pact.document(doc, {"file": "assessment.json", "sha256": "", "schema": ""})
    by_sku = {p["sku"]: p for p in out["thermaudit"]["products"]}
    figures = {pf["id"]: pf["pcf"]["pcfExcludingBiogenicUptake"] for pf in out["data"]}
    rows: list[list[Cell | str | Bi]] = []
    for sku in doc["product_footprint"]["by_sku"]:
        if sku in by_sku:
            pid = by_sku[sku]["id"]
            rows.append([Cell(sku, mono=True), Cell(pid, mono=True), fmt(float(figures[pid]))])
    for x in out["thermaudit"]["left_out"]:
        why = next((t for start, t in _PACT_LEFT_OUT if x["reason"].startswith(start)), None)
        rows.append([Cell(x["sku"], mono=True), Cell(why or MISSING, tone="muted"), MISSING])
    s.add(
        Table(
            [
                B("产品", "Product", "제품"),
                B("PACT 碳足迹标识", "PACT footprint id", "PACT 탄소발자국 ID"),
                B("kgCO2e/件（市场）", "kgCO2e/piece (market)", "kgCO2e/개(시장)"),
            ],
            rows,
            "llr",
            [1.2, 4.0, 1.4],
            caption=B(
                "PACT 产品碳足迹交换（WBCSD PACT 技术规范 3.0.3）",
                "PACT product footprint exchange (WBCSD PACT Technical Specifications 3.0.3)",
                "PACT 제품 탄소발자국 교환(WBCSD PACT 기술 규격 3.0.3)",
            ),
            small=True,
            notes=[
                B(
                    "申报单位为一件产品；买方可通过本服务的 PACT 接口按授权读取。",
                    "Declared unit: one piece; buyers read them over this service's PACT "
                    "interface with the access they are given.",
                    "신고 단위는 제품 1개이며, 구매자는 부여된 권한으로 본 서비스의 PACT "
                    "인터페이스에서 읽는다.",
                )
            ],
        )
    )


def _cbam(s: Section, doc: dict[str, Any]) -> None:
    from thermaudit.exports import cbam

    comm = cbam.document(doc, {})
    rows: list[list[Cell | str | Bi]] = []
    kinds = (
        ("goods", B("附件一货物", "Annex I good", "부속서 I 물품"), None),
        (
            "to_complete",
            B(
                "附件一货物，待补充前体数据",
                "Annex I good, precursor data to complete",
                "부속서 I 물품, 전구물질 자료 보완 필요",
            ),
            "warn",
        ),
        (
            "outside_annex_i",
            B(
                "不在附件一内（自愿披露）",
                "outside Annex I (voluntary)",
                "부속서 I 외(자발적 공개)",
            ),
            "muted",
        ),
    )
    for key, status, tone in kinds:
        for g in comm[key]:
            rows.append(
                [
                    Cell(g["sku"], mono=True),
                    g.get("cn_code") or MISSING,
                    Cell(status, tone=tone),
                    fmt(g.get("see_direct")),
                    fmt(g.get("see_indirect")),
                ]
            )
    if not rows:
        return
    s.add(
        Table(
            [
                B("产品", "Product", "제품"),
                B("CN 编码", "CN code", "CN 코드"),
                B("范围", "Scope", "범위"),
                B("直接 SEE tCO2e/t", "Direct SEE tCO2e/t", "직접 SEE tCO2e/t"),
                B("间接 SEE tCO2e/t", "Indirect SEE tCO2e/t", "간접 SEE tCO2e/t"),
            ],
            rows,
            "llcrr",
            [1.2, 1.2, 2.4, 1.1, 1.1],
            caption=B(
                "欧盟碳边境调节机制（CBAM）：单位货物隐含排放",
                "EU CBAM: specific embedded emissions of each good",
                "EU 탄소국경조정제도(CBAM): 물품별 내재 배출량",
            ),
            small=True,
            notes=[
                B(
                    "CBAM 正式期申报只计直接排放；间接排放供通报参考。",
                    "In the definitive period the declaration counts the direct emissions of "
                    "these goods; the indirect ones are communicated for information.",
                    "확정 기간 신고에는 이들 물품의 직접 배출만 산입하며, 간접 배출은 참고로 "
                    "통보한다.",
                )
            ],
        )
    )


def _shares(s: Section, fp: dict[str, Any]) -> None:
    customers = fp.get("by_customer") or []
    if not customers:
        return
    rows: list[list[Cell | str | Bi]] = [
        [
            c["customer"],
            fmt_count(sum(x["pieces"] for x in c["skus"])),
            fmt(c.get("tco2e_location")),
            fmt(c.get("tco2e_market")),
            fmt(c.get("energy_mwh")),
        ]
        for c in customers
    ]
    s.add(
        Table(
            [
                B("客户", "Customer", "고객"),
                B("交付件数", "Pieces delivered", "납품 수량 개"),
                B("tCO2e（位置）", "tCO2e (location)", "tCO2e(위치)"),
                B("tCO2e（市场）", "tCO2e (market)", "tCO2e(시장)"),
                B("能源 MWh", "Energy MWh", "에너지 MWh"),
            ],
            rows,
            "lrrrr",
            [2.6, 1.0, 1.0, 1.0, 1.0],
            caption=B(
                "各客户所购产品的隐含排放与能源（客户范围三类别一）",
                "What each customer bought embodies (its scope 3, category 1)",
                "고객별 구매 제품의 내재 배출량과 에너지(고객의 Scope 3 범주 1)",
            ),
            small=True,
        )
    )


def _disclosures(s: Section, doc: dict[str, Any]) -> None:
    from thermaudit.exports import disclosures

    if not doc.get("energy_use"):
        return
    for framework, title in _FRAMEWORKS:
        f = disclosures.facts(doc, framework)
        rows: list[list[Cell | str | Bi]] = []
        for d in f["reported"]:
            value = d["value"]
            rows.append(
                [
                    B(d["labels"]["zh"], d["labels"]["en"], d["labels"]["ko"]),
                    Cell(fmt(value), bold=False),
                    _unit(d["unit"]),
                ]
            )
        for d in f["not_reported"]:
            revenue = d["reason"] == disclosures.NOT_REPORTED["revenue"]
            why = _NOT_REPORTED["revenue" if revenue else "scope3"]
            rows.append(
                [
                    B(d["labels"]["zh"], d["labels"]["en"], d["labels"]["ko"]),
                    Cell(why, tone="muted"),
                    _unit(d["unit"]),
                ]
            )
        notes: list[str | Bi] = []
        if framework == "esrs":
            mix = doc["energy_use"]["grid_mix"]
            src, conf = translated(mix["source"]), term("confidence", mix["confidence"])
            notes.append(
                B(
                    f"外购电力按电网发电结构拆分（{mix['year']} 年，可信度{conf.zh}）：{src.zh}",
                    f"Purchased electricity split by the grid's generation mix ({mix['year']}, "
                    f"{conf.en} confidence): {src.en}",
                    f"구입 전력은 전력망 발전원 구성으로 구분({mix['year']}년, 신뢰도 "
                    f"{conf.ko}): {src.ko}",
                )
            )
        s.add(
            Table(
                [
                    B("数据点", "Datapoint", "데이터 포인트"),
                    B("数值", "Value", "값"),
                    B("单位", "Unit", "단위"),
                ],
                rows,
                "lrl",
                [4.0, 1.4, 1.4],
                caption=title,
                small=True,
                notes=notes,
            )
        )
