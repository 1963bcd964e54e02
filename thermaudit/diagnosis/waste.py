"""What a waste detector reports: the interface between detection and recommendations.

A detector looks at the plant's own rows and says where energy went that did not make good
product: how much (in the carrier's unit, in kWh or MJ, and in kgce on the assessment's
electricity basis), over which part of the period, with the evidence an energy engineer
would ask for. :mod:`thermaudit.diagnosis.recommend` turns wastes into quantified measures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: detector ids, in the order the diagnosis chapter lists them
DETECTORS: tuple[str, ...] = (
    "idle_holding",  # furnaces holding metal with no production
    "base_load",  # night and weekend electricity base load
    "compressed_air_leakage",  # compressor load with production stopped
    "scrap_embodied",  # energy embodied in scrap, per SKU
    "mold_instability",  # mold temperature instability against scrap rate, per line
    "unrecovered_heat",  # available heat that was not recovered
    "melting_efficiency",  # melting energy against the theoretical minimum
    "power_factor",  # power factor below the tariff reference (reactive energy metered)
)


@dataclass(frozen=True)
class Waste:
    """One waste found by one detector.

    Attributes
    ----------
    detector : str
        One of :data:`DETECTORS`.
    subject : str
        What it is about: a meter, equipment, line, SKU or stream id, or ``"site"``.
    carrier : str or None
        The energy carrier wasted (``electricity``, ``natural_gas``, ``heat`` ...), ``None``
        when the waste is not of one carrier (power factor).
    quantity : float
        Energy wasted over the assessed period, in ``unit`` (the carrier's canonical unit:
        kWh for electricity, m3 for gas, MJ for heat).
    unit : str
    kgce : float
        ``quantity`` in kgce (GB/T 2589 coefficients, the assessment's electricity basis).
    share : float or None
        Fraction of the relevant total (e.g. of the furnace's energy, of site electricity).
    hours : float or None
        Hours over which the waste occurred, where that is meaningful.
    title_zh, title_en, title_ko : str
        One line saying what was found, with the numbers.
    evidence : mapping
        The figures behind it (JSON-ready: numbers, strings, lists), e.g. base-load kW,
        production-hours load, the regression slope, the row counts used.
    """

    detector: str
    subject: str
    carrier: str | None
    quantity: float
    unit: str
    kgce: float
    title_zh: str
    title_en: str
    title_ko: str
    share: float | None = None
    hours: float | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "subject": self.subject,
            "carrier": self.carrier,
            "quantity": self.quantity,
            "unit": self.unit,
            "kgce": self.kgce,
            "share": self.share,
            "hours": self.hours,
            "title": {"zh": self.title_zh, "en": self.title_en, "ko": self.title_ko},
            "evidence": dict(self.evidence),
        }
