"""Bilingual labels of the report: vocabulary of the dataset contract and report wording.

A label is a :class:`Bi` (Chinese, English); the renderers print one language or both.
Lookups go through :func:`term`, which names the known keys when one is missing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bi:
    """A text in Chinese, English and Korean (``ko`` is being filled in; see issue #17)."""

    zh: str
    en: str
    ko: str = ""

    def get(self, lang: str) -> str:
        if lang == "ko":
            return self.ko or self.en
        return self.zh if lang == "zh" else self.en


#: the languages a report can be written in
LANGS = ("zh", "en", "zh+en")

_TERMS: dict[str, dict[str, tuple[str, str]]] = {
    "carrier": {
        "electricity": ("电力", "electricity"),
        "natural_gas": ("天然气", "natural gas"),
        "lpg": ("液化石油气", "LPG"),
        "diesel": ("柴油", "diesel"),
        "gasoline": ("汽油", "gasoline"),
        "fuel_oil": ("燃料油", "fuel oil"),
        "coke": ("焦炭", "coke"),
        "steam": ("蒸汽", "steam"),
        "heat": ("热力", "heat"),
        "compressed_air": ("压缩空气", "compressed air"),
        "water": ("新水", "fresh water"),
    },
    "role": {
        "supply": ("外购输入", "supply"),
        "generation": ("自发电", "generation"),
        "excluded": ("扣除（非生产）", "excluded"),
        "export": ("外供输出", "export"),
        "submeter": ("分项计量", "submeter"),
        "recovered_heat": ("余热回收", "recovered heat"),
    },
    "process": {
        "melting": ("熔化", "melting"),
        "holding": ("保温", "holding"),
        "die_casting": ("压铸", "die casting"),
        "molding": ("注塑成型", "molding"),
        "heat_treatment": ("热处理", "heat treatment"),
        "machining": ("机加工", "machining"),
        "finishing": ("精整", "finishing"),
        "compressed_air": ("空压", "compressed air"),
        "cooling": ("冷却", "cooling"),
        "hvac_lighting": ("暖通照明", "HVAC and lighting"),
        "office": ("办公辅助", "office"),
        "other": ("其他", "other"),
        "unmetered": ("未分项计量", "not submetered"),
    },
    "severity": {
        "error": ("错误", "error"),
        "warning": ("警告", "warning"),
        "info": ("提示", "information"),
    },
    "grade": {
        "good": ("良好", "good"),
        "fair": ("一般", "fair"),
        "poor": ("较差", "poor"),
        "pass": ("合格", "pass"),
        "fail": ("不合格", "fail"),
        "reference": ("对标参考", "reference"),
    },
    "kind": {
        "available": ("可利用余热", "available"),
        "recovered": ("已回收", "recovered"),
    },
    "medium": {
        "water": ("水", "water"),
        "flue_gas": ("烟气", "flue gas"),
        "air": ("空气", "air"),
        "oil": ("导热油", "oil"),
    },
    "market": {
        "EU": ("欧盟", "EU"),
        "UK": ("英国", "UK"),
        "KR": ("韩国", "Korea"),
        "ASEAN": ("东盟", "ASEAN"),
        "CN": ("中国", "China"),
        "US": ("美国", "USA"),
        "other": ("其他", "other"),
    },
    "calibration": {
        "valid": ("有效", "valid"),
        "expired": ("过期", "expired"),
        "missing": ("缺失", "missing"),
    },
    "sector": {
        "die_casting": ("压铸", "die casting"),
        "mold_making": ("模具制造", "mold making"),
        "precision_casting": ("精密铸造", "precision casting"),
        "other": ("其他", "other"),
    },
    "confidence": {
        "high": ("高", "high"),
        "medium": ("中", "medium"),
        "low": ("低", "low"),
    },
}


def term(group: str, key: str | None) -> Bi:
    """The label of ``key`` in vocabulary ``group``; an unknown key is shown as itself."""
    if group not in _TERMS:
        raise KeyError(f"unknown label group {group!r}; known: {', '.join(_TERMS)}")
    if key is None:
        return Bi("—", "—")
    zh, en = _TERMS[group].get(key, (key, key))
    return Bi(zh, en)
