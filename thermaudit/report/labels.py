"""Labels of the report in Chinese, English and Korean: vocabulary of the dataset contract and
report wording.

A label is a :class:`Bi` (Chinese, English, Korean; every one required, so a missing
translation fails where the label is made); the renderers print one language or a pair.
Lookups go through :func:`term`, which names the known keys when one is missing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: the languages a text is written in, in the order of :class:`Bi`'s fields
LANGUAGES = ("zh", "en", "ko")
#: the languages a report can be written in: one language, or a pair (primary+secondary)
LANGS = ("zh", "en", "ko", "zh+en", "zh+ko", "en+ko")


class MissingTranslation(ValueError):
    """A label lacks the text of one of :data:`LANGUAGES`, or a text of the reference data
    (a source, a formula, a note) has no row in the translations table."""


@dataclass(frozen=True)
class Bi:
    """A text in Chinese, English and Korean."""

    zh: str
    en: str
    ko: str

    def __post_init__(self) -> None:
        texts = (self.zh, self.en, self.ko)
        if any(texts) and not all(texts):
            missing = [x for x, t in zip(LANGUAGES, texts, strict=True) if not t]
            raise MissingTranslation(
                f"label {self.zh or self.en or self.ko!r} has no text in {', '.join(missing)}"
            )

    def get(self, lang: str) -> str:
        """The text in ``lang``; for a pair, in its primary language."""
        one = lang.split("+", 1)[0]
        if one not in LANGUAGES:
            raise KeyError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
        return getattr(self, one)

    def pair(self, lang: str) -> list[str]:
        """The texts a report in ``lang`` prints: one, or two for a pair that differ."""
        return list(dict.fromkeys(self.get(x) for x in langs_of(lang)))


def langs_of(lang: str) -> tuple[str, ...]:
    """The languages of report language ``lang`` (``"zh+ko"`` -> ``("zh", "ko")``)."""
    return tuple(lang.split("+"))


def is_pair(lang: str) -> bool:
    return "+" in lang


def primary(lang: str) -> str:
    return langs_of(lang)[0]


#: the renderers' own words: the cover's kicker, signature hint, report id, annex supplement
KICKER = Bi("节能降碳诊断", "ENERGY AUDIT", "에너지 진단")
SIGNATURE_HINT = Bi("签字 / 日期", "Signature / date", "서명 / 날짜")
REPORT_ID = Bi("报告编号 ", "Report ID ", "보고서 번호 ")
ANNEX = Bi("附录", "Annex", "부록")

_TERMS: dict[str, dict[str, tuple[str, str, str]]] = {
    "carrier": {
        "electricity": ("电力", "electricity", "전력"),
        "natural_gas": ("天然气", "natural gas", "천연가스"),
        "lpg": ("液化石油气", "LPG", "LPG"),
        "diesel": ("柴油", "diesel", "경유"),
        "gasoline": ("汽油", "gasoline", "휘발유"),
        "fuel_oil": ("燃料油", "fuel oil", "연료유"),
        "coke": ("焦炭", "coke", "코크스"),
        "steam": ("蒸汽", "steam", "증기"),
        "heat": ("热力", "heat", "열"),
        "compressed_air": ("压缩空气", "compressed air", "압축공기"),
        "water": ("新水", "fresh water", "신수(용수)"),
    },
    "role": {
        "supply": ("外购输入", "supply", "외부 구입"),
        "generation": ("自发电", "generation", "자가 발전"),
        "excluded": ("扣除（非生产）", "excluded", "제외(비생산)"),
        "export": ("外供输出", "export", "외부 공급"),
        "submeter": ("分项计量", "submeter", "하위 계량"),
        "recovered_heat": ("余热回收", "recovered heat", "폐열 회수"),
    },
    "process": {
        "melting": ("熔化", "melting", "용해"),
        "holding": ("保温", "holding", "보온"),
        "die_casting": ("压铸", "die casting", "다이캐스팅"),
        "molding": ("注塑成型", "molding", "사출 성형"),
        "heat_treatment": ("热处理", "heat treatment", "열처리"),
        "machining": ("机加工", "machining", "기계 가공"),
        "finishing": ("精整", "finishing", "후처리"),
        "compressed_air": ("空压", "compressed air", "공기 압축"),
        "cooling": ("冷却", "cooling", "냉각"),
        "hvac_lighting": ("暖通照明", "HVAC and lighting", "공조·조명"),
        "office": ("办公辅助", "office", "사무 지원"),
        "other": ("其他", "other", "기타"),
        "unmetered": ("未分项计量", "not submetered", "하위 계량 없음"),
    },
    "severity": {
        "error": ("错误", "error", "오류"),
        "warning": ("警告", "warning", "경고"),
        "info": ("提示", "information", "정보"),
    },
    "grade": {
        "good": ("良好", "good", "양호"),
        "fair": ("一般", "fair", "보통"),
        "poor": ("较差", "poor", "미흡"),
        "pass": ("合格", "pass", "적합"),
        "fail": ("不合格", "fail", "부적합"),
        "reference": ("对标参考", "reference", "벤치마크 참고"),
    },
    "kind": {
        "available": ("可利用余热", "available", "이용 가능 폐열"),
        "recovered": ("已回收", "recovered", "회수됨"),
    },
    "medium": {
        "water": ("水", "water", "물"),
        "flue_gas": ("烟气", "flue gas", "배기가스"),
        "air": ("空气", "air", "공기"),
        "oil": ("导热油", "oil", "열매체유"),
    },
    "market": {
        "EU": ("欧盟", "EU", "EU"),
        "UK": ("英国", "UK", "영국"),
        "KR": ("韩国", "Korea", "한국"),
        "ASEAN": ("东盟", "ASEAN", "아세안"),
        "CN": ("中国", "China", "중국"),
        "US": ("美国", "USA", "미국"),
        "other": ("其他", "other", "기타"),
    },
    "calibration": {
        "valid": ("有效", "valid", "유효"),
        "expired": ("过期", "expired", "만료"),
        "missing": ("缺失", "missing", "없음"),
    },
    "sector": {
        "die_casting": ("压铸", "die casting", "다이캐스팅"),
        "mold_making": ("模具制造", "mold making", "금형 제조"),
        "precision_casting": ("精密铸造", "precision casting", "정밀 주조"),
        "other": ("其他", "other", "기타"),
    },
    "table": {
        "coefficients": ("折标系数", "coefficients", "환산계수"),
        "emission_factors": ("排放因子", "emission factors", "배출계수"),
        "grid_factors": ("电网排放因子", "grid factors", "전력망 배출계수"),
        "materials": ("材料热物性", "materials", "재료 열물성"),
        "provinces": ("省份与电网区域", "provinces", "성(省)과 전력망 지역"),
    },
    "material": {
        "aluminium": ("铝合金", "aluminium", "알루미늄 합금"),
        "zinc": ("锌合金", "zinc", "아연 합금"),
        "magnesium": ("镁合金", "magnesium", "마그네슘 합금"),
        "cast_iron": ("铸铁", "cast iron", "주철"),
        "cast_steel": ("铸钢", "cast steel", "주강"),
    },
    "parameter": {
        "kgce_mj": ("标准煤热值 MJ/kgce", "Standard coal, MJ/kgce", "표준석탄 열량 MJ/kgce"),
        "electricity_mj_per_kwh": (
            "电力热当量 MJ/kWh",
            "Electricity, MJ/kWh",
            "전력 열당량 MJ/kWh",
        ),
        "grid_factor_year": ("电网排放因子年份", "Grid factor year", "전력망 배출계수 연도"),
        "heat_tco2_per_gj": (
            "外购热力排放因子 tCO2/GJ",
            "Purchased heat, tCO2/GJ",
            "외부 구입 열 배출계수 tCO2/GJ",
        ),
        "water_cp_kj_per_kg_k": (
            "水的比热 kJ/(kg·K)",
            "Specific heat of water, kJ/(kg·K)",
            "물의 비열 kJ/(kg·K)",
        ),
        "flue_gas_cp_kj_per_nm3_k": (
            "烟气比热 kJ/(Nm3·K)",
            "Specific heat of flue gas, kJ/(Nm3·K)",
            "배기가스 비열 kJ/(Nm3·K)",
        ),
        "air_cp_kj_per_nm3_k": (
            "空气比热 kJ/(Nm3·K)",
            "Specific heat of air, kJ/(Nm3·K)",
            "공기 비열 kJ/(Nm3·K)",
        ),
        "melting_reference_temp_c": (
            "熔化理论热起始温度 °C",
            "Melting heat from, °C",
            "이론 용해 열량 기준 온도 °C",
        ),
        "key_equipment_electricity_kw": (
            "主要用能设备限值（电）kW",
            "Key equipment threshold, electricity, kW",
            "주요 에너지 사용 설비 기준(전력) kW",
        ),
        "key_equipment_fuel_m3h": (
            "主要用能设备限值（燃气）m3/h",
            "Key equipment threshold, gas, m3/h",
            "주요 에너지 사용 설비 기준(가스) m3/h",
        ),
        "completeness_floor_pct": (
            "数据完整率下限 %",
            "Data completeness floor, %",
            "데이터 완전성 하한 %",
        ),
        "invoice_tolerance_pct": (
            "计量与发票允许偏差 %",
            "Meters against invoices, tolerance %",
            "계량값·청구서 허용 차이 %",
        ),
    },
    "meter_event": {
        "replaced": ("更换表计", "meter replaced", "계량기 교체"),
        "reset": ("清零", "reset", "리셋"),
    },
    "confidence": {
        "high": ("高", "high", "높음"),
        "medium": ("中", "medium", "중간"),
        "low": ("低", "low", "낮음"),
    },
}


def term(group: str, key: str | None) -> Bi:
    """The label of ``key`` in vocabulary ``group``; an unknown key is shown as itself."""
    if group not in _TERMS:
        raise KeyError(f"unknown label group {group!r}; known: {', '.join(_TERMS)}")
    if key is None:
        return Bi("—", "—", "—")
    return Bi(*_TERMS[group].get(key, (key, key, key)))


#: a source marked provisional in the reference data: "(check)", "check clause", "to check"
_PROVISIONAL = ("(check", "check clause", "to check")


def provisional(text: object) -> bool:
    """Whether a source or note of the reference data is marked as not yet confirmed."""
    return any(m in str(text) for m in _PROVISIONAL)


@cache
def _translations() -> dict[str, Bi]:
    raw = resources.files(__package__).joinpath("data", "translations.csv").read_text("utf-8")
    return {r["text"]: Bi(r["zh"], r["en"], r["ko"]) for r in csv.DictReader(raw.splitlines())}


def translated(text: object) -> Bi:
    """The reader's text of a source, formula or note of the reference data.

    Raises
    ------
    MissingTranslation
        When ``thermaudit/report/data/translations.csv`` has no row for ``text``.
    """
    key = str(text).strip()
    try:
        return _translations()[key]
    except KeyError:
        raise MissingTranslation(
            f"thermaudit/report/data/translations.csv has no row for {key!r}; "
            "add one with its en, zh and ko text"
        ) from None
