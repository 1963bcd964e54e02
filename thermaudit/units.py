"""Units at the edges: one pint registry for the application.

Quantities enter in the units a plant writes (``MWh``, ``Nm3``, ``t``, ``L``, ``GJ``) and are
converted once, at import, to the canonical unit of their carrier. Kernels then work on plain
floats in these documented units:

=================  ==============  =========================================
carrier            canonical unit  accepted units
=================  ==============  =========================================
electricity        kWh             Wh, kWh, MWh, GWh
natural_gas        m3              m3, Nm3, 10^4 m3 (``1e4 m3``)
lpg                kg              kg, t, L (density from the coefficient table)
diesel             kg              kg, t, L
gasoline           kg              kg, t, L
fuel_oil           kg              kg, t, L
coke               kg              kg, t
steam              kg or GJ        kg, t, ``t steam`` (mass); MJ, GJ, kWh (enthalpy)
heat               GJ              MJ, GJ, kWh, MWh
compressed_air     m3              m3, Nm3
water              m3              m3, t, L
=================  ==============  =========================================

Normal cubic metres (``Nm3``) are taken as the ``m3`` of the coefficient tables, which are
stated at standard reference conditions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pint

ureg: pint.UnitRegistry = pint.UnitRegistry(cache_folder=None)
ureg.define("Nm3 = meter ** 3")  # volume at standard reference conditions
ureg.define("kgce = 29.3076 * megajoule")  # GB/T 2589-2020: 1 kgce = 29 307.6 kJ
ureg.define("tce = 1000 * kgce")

CARRIERS = (
    "electricity",
    "natural_gas",
    "lpg",
    "diesel",
    "gasoline",
    "fuel_oil",
    "coke",
    "steam",
    "heat",
    "compressed_air",
    "water",
)

#: liquid fuels whose volume can be converted to mass with a density
LIQUID_FUELS = ("lpg", "diesel", "gasoline", "fuel_oil")

# unit spellings a plant writes -> pint expressions
_ALIASES = {
    "kWh": "kilowatt_hour",
    "MWh": "megawatt_hour",
    "GWh": "gigawatt_hour",
    "Wh": "watt_hour",
    "m3": "meter ** 3",
    "Nm3": "Nm3",
    "1e4 m3": "10000 * meter ** 3",
    "10^4 m3": "10000 * meter ** 3",
    "kg": "kilogram",
    "t": "metric_ton",
    "t steam": "metric_ton",
    "L": "liter",
    "MJ": "megajoule",
    "GJ": "gigajoule",
    # reactive energy: var·h has the dimension of W·h; the canonical unit of a reactive meter
    # is kvarh (written "kWh" by the conversion, the same factor)
    "varh": "watt_hour",
    "kvarh": "kilowatt_hour",
    "Mvarh": "megawatt_hour",
}

#: units of an electricity meter with ``quantity: reactive``
REACTIVE_UNITS = ("varh", "kvarh", "Mvarh")

_ACCEPTED: dict[str, tuple[str, ...]] = {
    "electricity": ("Wh", "kWh", "MWh", "GWh"),
    "natural_gas": ("m3", "Nm3", "1e4 m3", "10^4 m3"),
    "lpg": ("kg", "t", "L"),
    "diesel": ("kg", "t", "L"),
    "gasoline": ("kg", "t", "L"),
    "fuel_oil": ("kg", "t", "L"),
    "coke": ("kg", "t"),
    "steam": ("kg", "t", "t steam", "MJ", "GJ", "kWh"),
    "heat": ("MJ", "GJ", "kWh", "MWh"),
    "compressed_air": ("m3", "Nm3"),
    "water": ("m3", "t", "L"),
}

_CANONICAL_BY_DIMENSION = {
    "[energy]": {"electricity": "kWh", "heat": "GJ", "steam": "GJ"},
    "[length] ** 3": {"natural_gas": "m3", "compressed_air": "m3", "water": "m3"},
    "[mass]": {
        "steam": "kg",
        "coke": "kg",
        "lpg": "kg",
        "diesel": "kg",
        "gasoline": "kg",
        "fuel_oil": "kg",
        "water": "m3",
    },
}


def accepted_units(carrier: str) -> tuple[str, ...]:
    """Units a meter of ``carrier`` may declare."""
    return _ACCEPTED[carrier]


@dataclass(frozen=True)
class Conversion:
    """How a declared unit maps to its carrier's canonical unit: ``canonical = value * factor``."""

    unit: str
    canonical: str
    factor: float


@lru_cache(maxsize=256)
def to_canonical(carrier: str, unit: str, density_kg_per_l: float | None = None) -> Conversion:
    """Conversion of ``unit`` (declared for ``carrier``) to the carrier's canonical unit.

    Raises
    ------
    KeyError
        When the unit is not accepted for the carrier (the caller words the user error).
    """
    if unit not in _ACCEPTED[carrier] and not (carrier == "electricity" and unit in REACTIVE_UNITS):
        raise KeyError(unit)
    q = ureg.Quantity(1.0, ureg(_ALIASES[unit]).units) * ureg(_ALIASES[unit]).magnitude
    dim = next(d for d in _CANONICAL_BY_DIMENSION if q.check(d))
    if carrier == "water" and dim == "[mass]":  # 1 t of water = 1 m3
        return Conversion(unit, "m3", _clean(q.to("metric_ton").magnitude))
    if carrier in LIQUID_FUELS and dim == "[length] ** 3":
        if density_kg_per_l is None:
            raise KeyError(unit)
        return Conversion(unit, "kg", _clean(q.to("liter").magnitude * density_kg_per_l))
    canonical = _CANONICAL_BY_DIMENSION[dim][carrier]
    target = ureg(_ALIASES[canonical])
    return Conversion(unit, canonical, _clean(q.to(target.units).magnitude / target.magnitude))


def _clean(x: float) -> float:
    """Drop binary noise from a unit factor (0.0036000000000000003 -> 0.0036)."""
    return float(f"{x:.12g}")
