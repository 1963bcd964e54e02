"""Metric 4: melting energy intensity and furnace thermal efficiency (metrics.md section 4).

Energy into melting furnaces (kgce) / metal melted (t). Thermal efficiency = theoretical
heat / energy input (both MJ). Theoretical heat per kg from 20 °C to the tap temperature:
cp_solid·(T_melt − 20) + latent heat + cp_liquid·(T_tap − T_melt), with the property group
of the alloy chosen by the prefix of its name (``materials.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from thermaudit.dataset.site import Meter, Site
from thermaudit.reference import table


@dataclass(frozen=True)
class Material:
    """Thermal properties of an alloy group (``materials.csv``)."""

    group: str
    cp_solid: float  # [kJ/(kg K)]
    melting_point_c: float
    latent_heat: float  # [kJ/kg]
    cp_liquid: float  # [kJ/(kg K)]

    def heat_kj_per_kg(self, tap_c: float, t_ref_c: float = 20.0) -> float:
        """Theoretical heat to bring 1 kg from ``t_ref_c`` to liquid at ``tap_c`` [kJ/kg].

        Notes
        -----
        q = cp_s (T_m − T_ref) + L + cp_l (T_tap − T_m) for T_tap ≥ T_m; below the melting
        point only the sensible heat of the solid counts.
        """
        if tap_c < self.melting_point_c:
            return self.cp_solid * (tap_c - t_ref_c)
        return (
            self.cp_solid * (self.melting_point_c - t_ref_c)
            + self.latent_heat
            + self.cp_liquid * (tap_c - self.melting_point_c)
        )


def material_for(alloy: str) -> Material | None:
    """Property group of an alloy designation by prefix (case-insensitive), else None."""
    name = alloy.strip().lower()
    best: tuple[int, dict[str, Any]] | None = None
    for row in table("materials"):
        for prefix in str(row["prefixes"]).split("|"):
            p = prefix.strip().lower()
            if p and name.startswith(p) and (best is None or len(p) > best[0]):
                best = (len(p), row)
    if best is None:
        return None
    row = best[1]
    return Material(
        str(row["group"]),
        float(row["cp_solid_kj_kg_k"]),
        float(row["melting_point_c"]),
        float(row["latent_heat_kj_kg"]),
        float(row["cp_liquid_kj_kg_k"]),
    )


def melting_meters(site: Site) -> list[Meter]:
    """Select the meters into melting furnaces.

    A meter with ``process: melting`` or serving a melting_furnace, of role supply or
    submeter; a meter below another selected meter is skipped (no double counting).
    """
    furnaces = {e.id for e in site.equipment if e.type == "melting_furnace"}
    chosen = [
        m
        for m in site.meters
        if m.role in ("supply", "submeter")
        and (m.process == "melting" or any(e in furnaces for e in m.equipment))
    ]
    return top_level(site, chosen)


def top_level(site: Site, chosen: list[Meter]) -> list[Meter]:
    """``chosen`` without the meters below another chosen meter (no double counting)."""
    ids = {m.id for m in chosen}
    out = []
    for m in chosen:
        parent, seen = m.parent, set()
        below = False
        while parent and parent not in seen:
            if parent in ids:
                below = True
                break
            seen.add(parent)
            parent = site.meter(parent).parent
        if not below:
            out.append(m)
    return out
