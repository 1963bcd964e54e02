"""Measures against the wastes found: each applicable measure of the catalogue
(``data/measures.csv``) quantified for this plant — kgce, tCO2e and CNY a year, investment,
simple payback — and ranked.

A measure addresses either the waste a detector found (``basis = waste``: the saving is a
fraction of that waste) or a metered energy use (``melting_fuel``, ``compressor_electricity``,
``site_electricity`` ...: a fraction of that energy). The catalogue states the fraction as a
low / typical / high range with its source; figures that could not be verified are marked
``(check)`` there.

Annualising
    Savings over the assessed period are scaled by 365 / period days; a short or seasonal
    period is scaled as it is (the chapter says so).
Pricing
    CNY at the tariffs of :func:`resolve_tariffs` (``options.tariffs`` in ``site.yaml``, else
    the invoices' amount / quantity, else a default marked as such).
Emissions
    The assessment's coefficients: location-based grid factor for electricity, the fuels'
    GB/T 32150 factors (natural gas scaled by the NCV in force).
Ranking
    By simple payback (shortest first; a measure without a CNY saving last), then by the
    typical kgce saving (largest first), then by id. Savings are each measured against
    today's use: two measures on the same energy (burner tuning and regenerative burners)
    do not add up.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from thermaudit.dataset.site import Equipment, Meter, Site
from thermaudit.diagnosis.waste import DETECTORS, Waste
from thermaudit.metrics.assess import Assessment
from thermaudit.metrics.coefficients import Coefficients, kgce_table
from thermaudit.metrics.energy import ROLE_SIGN
from thermaudit.reference import density
from thermaudit.units import CARRIERS, to_canonical

__all__ = [
    "BOILER_EFFICIENCY",
    "PF_TARGET",
    "PV_YIELD_KWH_PER_KWP",
    "CatalogueEntry",
    "Measure",
    "Skipped",
    "Tariff",
    "load_catalogue",
    "pf_adjustment",
    "recommend",
    "resolve_tariffs",
    "screen",
]

#: efficiency of the boiler or heater whose fuel recovered heat displaces [1]
BOILER_EFFICIENCY = 0.90
#: power factor a correction measure aims at [1]
PF_TARGET = 0.95
#: specific yield of rooftop PV used to size it [kWh/(kWp·a)]
PV_YIELD_KWH_PER_KWP = 1000.0
#: sources of the constants above (shown in the chapter)
CONSTANT_SOURCES = {
    "boiler_efficiency": "gas-fired hot-water boiler, typical 0.90 (check)",
    "pv_yield": "1000 kWh/kWp/a, a conservative figure for southern and eastern China (check)",
    "pf_target": "0.95, where the 0.90-standard adjustment table stops giving a rebate (check)",
}

#: level names of a range, in order
LEVELS = ("low", "typical", "high")


# --------------------------------------------------------------------------- tariffs


@dataclass(frozen=True)
class Tariff:
    """Price of one carrier. [CNY per canonical unit]"""

    carrier: str
    unit: str
    cny_per_unit: float
    kind: str  # option | invoices | default
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "carrier": self.carrier,
            "unit": self.unit,
            "cny_per_unit": self.cny_per_unit,
            "kind": self.kind,
            "source": self.source,
        }


def _canonical_unit(carrier: str) -> str:
    return {
        "electricity": "kWh",
        "natural_gas": "m3",
        "heat": "GJ",
        "steam": "GJ",
        "compressed_air": "m3",
        "water": "m3",
    }.get(carrier, "kg")


@cache
def _default_tariffs() -> tuple[dict[str, Any], ...]:
    text = resources.files(__package__).joinpath("data", "tariffs.csv").read_text("utf-8")
    rows = []
    for r in csv.DictReader(text.splitlines()):
        rows.append({**r, "cny_per_unit": float(r["cny_per_unit"])})
    return tuple(rows)


def resolve_tariffs(site: Site, purchases: Iterable[Mapping[str, Any]] = ()) -> dict[str, Tariff]:
    """The price of every carrier: ``options.tariffs``, else the invoices, else the default.

    Parameters
    ----------
    site : Site
    purchases : iterable of mapping
        Rows of the normalized ``energy_purchases`` table (``carrier``, ``quantity`` in
        ``unit``, ``amount_cny``).

    Notes
    -----
    From invoices: Σ amount_cny / Σ quantity (in the carrier's canonical unit) over the
    invoices that state an amount and a quantity > 0; an invoice in a unit the carrier does
    not accept is left out.
    """
    out: dict[str, Tariff] = {}
    for row in _default_tariffs():
        c = row["carrier"]
        out[c] = Tariff(c, row["unit"], row["cny_per_unit"], "default", row["source"])
    sums: dict[str, list[float]] = {}
    for p in purchases:
        amount, qty, carrier = p.get("amount_cny"), p.get("quantity"), p.get("carrier")
        if amount is None or not qty or qty <= 0 or carrier not in CARRIERS:
            continue
        try:
            factor = to_canonical(carrier, str(p.get("unit")), density(carrier)).factor
        except KeyError:
            continue
        acc = sums.setdefault(carrier, [0.0, 0.0, 0.0])
        acc[0] += float(amount)
        acc[1] += float(qty) * factor
        acc[2] += 1
    for carrier, (amount, qty, n) in sums.items():
        if qty > 0:
            out[carrier] = Tariff(
                carrier,
                _canonical_unit(carrier),
                amount / qty,
                "invoices",
                f"energy_purchases: {amount:,.2f} CNY / {qty:,.6g} "
                f"{_canonical_unit(carrier)} over {int(n)} invoice(s)",
            )
    for carrier, price in (site.options.tariffs or {}).items():
        out[carrier] = Tariff(
            carrier,
            _canonical_unit(carrier),
            float(price),
            "option",
            f"site.yaml options.tariffs.{carrier}",
        )
    return out


# --------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class CatalogueEntry:
    """One row of ``data/measures.csv``."""

    id: str
    title_zh: str
    title_en: str
    title_ko: str
    addresses: tuple[str, ...]
    subject_filter: str
    requires: str
    basis: str
    delivers: str
    saving: tuple[float, float, float]  # low, typical, high [1]
    size_basis: str
    cost_fixed: tuple[float, float]  # low, high [CNY]
    cost_per_unit: tuple[float, float]  # low, high [CNY per size unit]
    lifetime_years: float
    source: str
    confidence: str


def _catalogue_error(row: int, column: str, expected: str, found: str) -> ValueError:
    return ValueError(
        f"thermaudit/diagnosis/data/measures.csv, row {row}, column {column}: "
        f"expected {expected}, found {found!r}"
    )


def parse_catalogue(text: str) -> tuple[CatalogueEntry, ...]:
    """Entries of a measures catalogue (CSV text), each checked against the registries.

    Raises
    ------
    ValueError
        Naming the row (header = 1), the column, what was expected and what was found.
    """
    out = []
    seen: set[str] = set()
    for i, r in enumerate(csv.DictReader(text.splitlines()), start=2):

        def num(col: str, row: dict[str, str] = r, line: int = i) -> float:
            try:
                v = float(row[col])
            except (TypeError, ValueError):
                raise _catalogue_error(line, col, "a number", row.get(col) or "") from None
            if not math.isfinite(v) or v < 0:
                raise _catalogue_error(line, col, "a finite number ≥ 0", row[col])
            return v

        if r["id"] in seen or not r["id"]:
            raise _catalogue_error(i, "id", "a unique id", r["id"])
        seen.add(r["id"])
        addresses = tuple(a for a in r["addresses"].split("|") if a)
        for a in addresses:
            if a not in DETECTORS:
                raise _catalogue_error(i, "addresses", "detector ids " + ", ".join(DETECTORS), a)
        for col, registry in (
            ("requires", CONDITIONS),
            ("basis", BASES),
            ("delivers", DELIVERS),
            ("size_basis", SIZES),
        ):
            if r[col] not in registry and not (col == "requires" and r[col] == ""):
                raise _catalogue_error(i, col, "one of " + ", ".join(registry), r[col])
        if r["subject_filter"] and r["subject_filter"] not in FILTERS:
            raise _catalogue_error(
                i, "subject_filter", "one of " + ", ".join(FILTERS), r["subject_filter"]
            )
        if r["basis"] == "waste" and not addresses:
            raise _catalogue_error(i, "addresses", "a detector for a waste-based measure", "")
        saving = (num("saving_low"), num("saving_typical"), num("saving_high"))
        if not saving[0] <= saving[1] <= saving[2] <= 1.0:
            raise _catalogue_error(
                i, "saving_typical", "low ≤ typical ≤ high ≤ 1", "/".join(map(str, saving))
            )
        fixed = (num("cost_fixed_low"), num("cost_fixed_high"))
        per = (num("cost_per_unit_low"), num("cost_per_unit_high"))
        if fixed[0] > fixed[1] or per[0] > per[1]:
            raise _catalogue_error(i, "cost_fixed_high", "high ≥ low", f"{fixed} {per}")
        if not r["source"].strip():
            raise _catalogue_error(i, "source", "a source", "")
        out.append(
            CatalogueEntry(
                id=r["id"],
                title_zh=r["title_zh"],
                title_en=r["title_en"],
                title_ko=r["title_ko"],
                addresses=addresses,
                subject_filter=r["subject_filter"],
                requires=r["requires"],
                basis=r["basis"],
                delivers=r["delivers"],
                saving=saving,
                size_basis=r["size_basis"],
                cost_fixed=fixed,
                cost_per_unit=per,
                lifetime_years=num("lifetime_years"),
                source=r["source"],
                confidence=r["confidence"],
            )
        )
    return tuple(out)


@cache
def load_catalogue() -> tuple[CatalogueEntry, ...]:
    """The packaged measures catalogue (``thermaudit/diagnosis/data/measures.csv``)."""
    text = resources.files(__package__).joinpath("data", "measures.csv").read_text("utf-8")
    return parse_catalogue(text)


# --------------------------------------------------------------------------- the plant


@dataclass
class _Plant:
    """What the quantification reads: the site, the coefficients, the meters' period
    consumption [canonical units], the heat streams [GJ] and the wastes."""

    site: Site
    coef: Coefficients
    consumption: dict[str, float]
    stream_gj: dict[str, float]
    wastes: Sequence[Waste]

    # ---- carriers
    def kgce(self, carrier: str, qty: float) -> float:
        if carrier == "electricity":
            basis = self.site.options.electricity_basis
            k = (
                self.coef.electricity_equivalent
                if basis == "equivalent"
                else self.coef.electricity_calorific
            )
            return qty * k
        if carrier == "natural_gas":
            return qty * self.coef.gas_ncv_mj_per_m3 / self.coef.kgce_mj
        return qty * kgce_table(carrier, _canonical_unit(carrier))

    def tco2e(self, carrier: str, qty: float) -> float:
        if carrier == "electricity":
            return qty * self.coef.grid_factor / 1000.0
        if carrier in ("heat", "steam"):
            return qty * self.coef.heat_kgco2_per_gj / 1000.0
        ef = self.coef.kgco2_per_unit_fuel(_meter(carrier))
        return 0.0 if ef is None else qty * ef / 1000.0

    def mj_per_unit(self, carrier: str) -> float:
        return self.coef.mj_per_unit(_meter(carrier))

    # ---- equipment
    def equipment(self, kind: str) -> list[Equipment]:
        return [e for e in self.site.equipment if e.type == kind]

    def fuel_furnaces(self) -> list[Equipment]:
        return [
            e
            for e in self.equipment("melting_furnace")
            if e.fuel is not None and e.fuel != "electricity"
        ]

    def fixed_speed_compressors(self) -> list[Equipment]:
        return [e for e in self.equipment("compressor") if not _variable_speed(e)]

    @property
    def meters(self) -> list[Meter]:
        """The energy meters (a reactive-energy meter measures no energy)."""
        return [m for m in self.site.meters if getattr(m, "quantity", "active") == "active"]

    def meters_of(self, equipment: list[Equipment], process: str | None) -> list[Meter]:
        """Meters of ``equipment`` (or, when none names them, of ``process``), without a
        meter whose parent is also selected (no double counting)."""
        ids = {e.id for e in equipment}
        chosen = [m for m in self.meters if ids & set(m.equipment)]
        if not chosen and process is not None:
            chosen = [m for m in self.meters if m.process == process]
        chosen = [m for m in chosen if m.role in ("supply", "submeter")]
        names = {m.id for m in chosen}
        return [m for m in chosen if not _has_ancestor(self.site, m, names)]

    def fuel_supplies(self) -> dict[str, float]:
        """Net period quantity of each fuel crossing the boundary [canonical units]."""
        out: dict[str, float] = {}
        for m in self.meters:
            if m.carrier in ("electricity", "heat", "steam", "compressed_air", "water"):
                continue
            sign = ROLE_SIGN[m.role]
            if sign:
                out[m.carrier] = out.get(m.carrier, 0.0) + sign * self.consumption.get(m.id, 0.0)
        return {c: q for c, q in out.items() if q > 0}

    def site_electricity(self) -> float:
        """Σ sign × consumption of the electricity meters [kWh] (E's electricity)."""
        return sum(
            ROLE_SIGN[m.role] * self.consumption.get(m.id, 0.0)
            for m in self.meters
            if m.carrier == "electricity"
        )

    def mix(self, meter_ids: Sequence[str] | None = None) -> dict[str, float]:
        """Share of each carrier in the kgce of ``meter_ids`` (default: the energy entering
        the site, supply and generation meters). [1]"""
        chosen = [m for m in self.meters if m.id in set(meter_ids or ())] or [
            m for m in self.meters if m.role in ("supply", "generation")
        ]
        kgce: dict[str, float] = {}
        for m in chosen:
            if m.carrier in ("heat", "steam") and m.role != "supply":
                continue
            k = self.kgce(m.carrier, self.consumption.get(m.id, 0.0))
            kgce[m.carrier] = kgce.get(m.carrier, 0.0) + k
        total = sum(v for v in kgce.values() if v > 0)
        return {c: v / total for c, v in kgce.items() if v > 0} if total > 0 else {}

    def hours(self) -> float:
        lo, hi = self.site.period_bounds_utc()
        return (hi - lo).total_seconds() / 3600.0


def _meter(carrier: str) -> Meter:
    """A stand-in meter of ``carrier`` in its canonical unit (for the coefficient lookups)."""
    unit = _canonical_unit(carrier)
    return Meter(id=f"_{carrier}", carrier=carrier, unit=unit, reading="interval", role="supply")  # type: ignore[arg-type]


def _variable_speed(e: Equipment) -> bool:
    """An equipment whose ``drive`` (an extra site.yaml field) says variable speed."""
    drive = str(getattr(e, "drive", "") or "").lower()
    return any(k in drive for k in ("variable", "vsd", "vfd", "inverter", "变频"))


def _has_ancestor(site: Site, meter: Meter, names: set[str]) -> bool:
    seen = {meter.id}
    cur = meter
    while cur.parent is not None and cur.parent not in seen:
        if cur.parent in names:
            return True
        seen.add(cur.parent)
        try:
            cur = site.meter(cur.parent)
        except KeyError:
            return False
    return False


# --------------------------------------------------------------------------- registries

#: a subject filter narrows the wastes a measure takes (e.g. the compressors' heat streams)
FILTERS: dict[str, Callable[[_Plant, Waste], bool]] = {}
#: conditions under which a measure applies (besides the wastes it addresses)
CONDITIONS: dict[str, Callable[[_Plant], bool]] = {}
#: what a measure saves a fraction of: period quantities by carrier [canonical units]
BASES: dict[str, Callable[[_Plant, Sequence[Waste]], tuple[dict[str, float], str]]] = {}
#: how the saved quantities turn into carriers and CNY
DELIVERS = ("same", "heat_as_fuel", "bill")
#: what the per-unit cost is per
SIZES: dict[str, str] = {
    "fixed": "",
    "furnace_count": "furnace",
    "furnace_kw": "kW",
    "compressor_kw": "kW",
    "fixed_speed_compressor_kw": "kW",
    "controller_count": "controller",
    "kvar": "kvar",
    "kwp": "kWp",
}


def _stream_source_type(plant: _Plant, stream_id: str) -> str | None:
    for s in plant.site.heat_streams:
        if s.id == stream_id and s.source is not None:
            for e in plant.site.equipment:
                if e.id == s.source:
                    return e.type
    return None


def _stream_medium(plant: _Plant, stream_id: str) -> str | None:
    return next((s.medium for s in plant.site.heat_streams if s.id == stream_id), None)


def _waste_streams(w: Waste) -> list[str]:
    streams = w.evidence.get("streams")
    return [str(s) for s in streams] if isinstance(streams, list) else [w.subject]


def _source_types(p: _Plant, w: Waste) -> set[str]:
    """Types of the equipment behind a heat waste: its subject, or its streams' sources."""
    types: set[str] = {e.type for e in p.site.equipment if e.id == w.subject}
    types |= {t for s in _waste_streams(w) if (t := _stream_source_type(p, s)) is not None}
    return types


def _fuel_fired(p: _Plant, w: Waste) -> bool:
    """A waste of a fuel-fired melting furnace: the furnace itself or one of its meters."""
    furnaces = {e.id for e in p.fuel_furnaces()}
    if w.subject in furnaces:
        return True
    return any(
        m.id == w.subject and m.carrier != "electricity" and furnaces & set(m.equipment)
        for m in p.meters
    )


FILTERS["fuel_fired"] = _fuel_fired
FILTERS["source_type=compressor"] = lambda p, w: "compressor" in _source_types(p, w)
FILTERS["medium=flue_gas"] = lambda p, w: (
    "flue_gas" in {_stream_medium(p, s) for s in _waste_streams(w)}
    or (not w.evidence.get("streams") and "melting_furnace" in _source_types(p, w))
)


def _compressor_heat_recovered(plant: _Plant) -> float:
    """Heat recovered from the compressors [GJ]: recovered streams sourced at a compressor."""
    comp = {e.id for e in plant.equipment("compressor")}
    return sum(
        plant.stream_gj.get(s.id, 0.0)
        for s in plant.site.heat_streams
        if s.kind == "recovered" and s.source in comp
    )


def _compressor_heat_wastes(plant: _Plant) -> list[Waste]:
    f = FILTERS["source_type=compressor"]
    return [w for w in plant.wastes if w.detector == "unrecovered_heat" and f(plant, w)]


CONDITIONS["always"] = lambda p: True
CONDITIONS["fuel_melting_furnace"] = lambda p: bool(p.fuel_furnaces())
CONDITIONS["fixed_speed_compressor"] = lambda p: bool(p.fixed_speed_compressors())
CONDITIONS["compressor_heat_unrecovered"] = lambda p: (
    bool(_compressor_heat_wastes(p))
    or (
        bool(p.equipment("compressor"))
        and not any(
            s.source in {e.id for e in p.equipment("compressor")} for s in p.site.heat_streams
        )
    )
)


def _kgce_per(unit: str, coef: Coefficients) -> float | None:
    """kgce per ``unit`` for the energy units a carrier-less waste may be stated in (MJ and
    GJ by the specification's MJ per kgce), else None."""
    per = {"kgce": 1.0, "tce": 1000.0, "MJ": 1 / coef.kgce_mj, "GJ": 1000 / coef.kgce_mj}
    return per.get(unit)


def waste_quantities(plant: _Plant, w: Waste) -> dict[str, float]:
    """A waste as period quantities by carrier [canonical units].

    A waste of one carrier is converted to the carrier's canonical unit. A waste stated in
    kgce or MJ without a carrier (scrap, mold instability, several furnaces) is split over
    the carrier mix of the meters in its evidence (``meters``), else of the energy entering
    the site, each share at its carrier's kgce coefficient. Reactive energy (power factor)
    is no quantity of energy: empty.
    """
    if w.carrier is not None and w.carrier in CARRIERS:
        try:
            factor = to_canonical(w.carrier, w.unit, density(w.carrier)).factor
        except KeyError:
            factor = 0.0
        if factor:
            return {w.carrier: w.quantity * factor}
    per = _kgce_per(w.unit, plant.coef)
    if per is None:
        return {}
    kgce = w.quantity * per
    if kgce <= 0:
        return {}
    meters = w.evidence.get("meters")
    mix = plant.mix(meters if isinstance(meters, list) else None)
    return {c: kgce * share / plant.kgce(c, 1.0) for c, share in mix.items()}


def _basis_waste(plant: _Plant, wastes: Sequence[Waste]) -> tuple[dict[str, float], str]:
    out: dict[str, float] = {}
    for w in wastes:
        for c, q in waste_quantities(plant, w).items():
            out[c] = out.get(c, 0.0) + q
    subjects = ", ".join(sorted({w.subject for w in wastes}))
    return out, f"waste found by {', '.join(sorted({w.detector for w in wastes}))}: {subjects}"


def _sum_meters(plant: _Plant, meters: list[Meter]) -> dict[str, float]:
    out: dict[str, float] = {}
    for m in meters:
        out[m.carrier] = out.get(m.carrier, 0.0) + plant.consumption.get(m.id, 0.0)
    return out


def _basis_melting_fuel(plant: _Plant, _w: Sequence[Waste]) -> tuple[dict[str, float], str]:
    meters = [m for m in plant.meters_of(plant.fuel_furnaces(), None) if m.carrier != "electricity"]
    return _sum_meters(plant, meters), "fuel of the fuel-fired melting furnaces, meters " + (
        ", ".join(m.id for m in meters) or "none"
    )


def _basis_fixed_compressors(plant: _Plant, _w: Sequence[Waste]) -> tuple[dict[str, float], str]:
    comps = plant.equipment("compressor")
    meters = [m for m in plant.meters_of(comps, "compressed_air") if m.carrier == "electricity"]
    total = _sum_meters(plant, meters).get("electricity", 0.0)
    fixed = plant.fixed_speed_compressors()
    kw_all = sum(e.rated_kw or 0.0 for e in comps)
    kw_fixed = sum(e.rated_kw or 0.0 for e in fixed)
    share = kw_fixed / kw_all if kw_all > 0 else (len(fixed) / len(comps) if comps else 0.0)
    return (
        {"electricity": total * share},
        f"compressor electricity (meters {', '.join(m.id for m in meters) or 'none'}) × "
        f"fixed-speed share of rated power {share:.3g}",
    )


def _basis_compressor_heat(plant: _Plant, _w: Sequence[Waste]) -> tuple[dict[str, float], str]:
    wastes = _compressor_heat_wastes(plant)
    if wastes:
        q, text = _basis_waste(plant, wastes)
        return {"heat": q.get("heat", 0.0)}, text
    comps = plant.equipment("compressor")
    meters = [m for m in plant.meters_of(comps, "compressed_air") if m.carrier == "electricity"]
    kwh = _sum_meters(plant, meters).get("electricity", 0.0)
    mj_per_kwh = plant.coef.electricity_mj_per_kwh
    gj = max(kwh * mj_per_kwh / 1000.0 - _compressor_heat_recovered(plant), 0.0)
    return (
        {"heat": gj},
        f"compressor electricity {kwh:,.0f} kWh as heat ({mj_per_kwh:g} MJ/kWh) less heat already "
        "recovered from the compressors",
    )


def _basis_site_electricity(plant: _Plant, _w: Sequence[Waste]) -> tuple[dict[str, float], str]:
    return {"electricity": plant.site_electricity()}, "site electricity (E's electricity)"


BASES["waste"] = _basis_waste
BASES["melting_fuel"] = _basis_melting_fuel
BASES["fixed_speed_compressor_electricity"] = _basis_fixed_compressors
BASES["compressor_heat"] = _basis_compressor_heat
BASES["site_electricity"] = _basis_site_electricity
BASES["electricity_bill"] = _basis_site_electricity


# --------------------------------------------------------------------------- power factor


def pf_adjustment(pf: float, standard: float = 0.90) -> float:
    """Surcharge (> 0) or rebate (< 0) on the electricity bill at power factor ``pf``, as a
    fraction of the bill, for the 0.90 standard.

    Notes
    -----
    The 0.90 table of the 1983 adjustment rules, in steps of 0.01 of power factor:
    0.90 → 0; 0.91–0.94 → −0.15 % each; 0.95–1.00 → −0.75 %; 0.89–0.70 → +0.5 % per step;
    0.69–0.65 → +1 % per step; below 0.65 → +2 % per step. Intermediate values are not
    interpolated: the power factor is rounded to two decimals as the table is read.

    References
    ----------
    《功率因数调整电费办法》(水电财字〔1983〕215号), table for the 0.90 standard (check).
    """
    if standard != 0.90:
        raise ValueError(f"only the 0.90 standard is tabulated, found {standard}")
    steps = round(pf * 100) - 90  # hundredths above (+) or below (−) the standard
    if steps >= 0:
        return -0.0015 * min(steps, 5)
    below = -steps
    surcharge = 0.005 * min(below, 20)  # 0.89 .. 0.70
    if below > 20:
        surcharge += 0.01 * min(below - 20, 5)  # 0.69 .. 0.65
    if below > 25:
        surcharge += 0.02 * (below - 25)  # below 0.65
    return surcharge


_PF_KEYS = ("power_factor", "mean_power_factor", "pf", "cos_phi")


def _waste_pf(wastes: Sequence[Waste]) -> float | None:
    for w in wastes:
        for k in _PF_KEYS:
            v = w.evidence.get(k)
            if isinstance(v, int | float) and 0 < v <= 1:
                return float(v)
    return None


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class Skipped:
    """A catalogue measure that does not apply, and why."""

    id: str
    title_zh: str
    title_en: str
    title_ko: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": {"zh": self.title_zh, "en": self.title_en, "ko": self.title_ko},
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Measure:
    """One applicable measure, quantified for the plant (per year).

    Attributes
    ----------
    saving_kgce, saving_tco2e, saving_cny : tuple of float
        (low, typical, high) savings a year. [kgce/a], [tCO2e/a], [CNY/a]
    investment_cny : tuple of float
        (low, typical, high) investment. [CNY]
    payback_years : float or None
        Typical investment / typical CNY saving. [a]
    payback_range : tuple
        (low investment / high saving, high investment / low saving). [a]
    saved : mapping
        Typical saving per carrier a year [canonical unit/a].
    addressed : mapping
        The basis the saving is a fraction of, per carrier a year [canonical unit/a].
    """

    id: str
    title_zh: str
    title_en: str
    title_ko: str
    addresses: tuple[str, ...]
    subjects: tuple[str, ...]
    basis: str
    addressed: Mapping[str, float]
    saving_fraction: tuple[float, float, float]
    saved: Mapping[str, float]
    saving_kgce: tuple[float, float, float]
    saving_tco2e: tuple[float, float, float]
    saving_cny: tuple[float, float, float]
    size: float
    size_unit: str
    investment_cny: tuple[float, float, float]
    payback_years: float | None
    payback_range: tuple[float | None, float | None]
    lifetime_years: float
    source: str
    confidence: str
    notes: tuple[str, ...] = ()
    rank: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "id": self.id,
            "title": {"zh": self.title_zh, "en": self.title_en, "ko": self.title_ko},
            "addresses": list(self.addresses),
            "subjects": list(self.subjects),
            "basis": self.basis,
            "addressed_per_year": dict(self.addressed),
            "saving_fraction": dict(zip(LEVELS, self.saving_fraction, strict=True)),
            "saved_per_year": dict(self.saved),
            "saving_kgce": self.saving_kgce[1],
            "saving_tco2e": self.saving_tco2e[1],
            "saving_cny": self.saving_cny[1],
            "investment": self.investment_cny[1],
            "payback_years": self.payback_years,
            "ranges": {
                "saving_kgce": list(self.saving_kgce),
                "saving_tco2e": list(self.saving_tco2e),
                "saving_cny": list(self.saving_cny),
                "investment_cny": list(self.investment_cny),
                "payback_years": list(self.payback_range),
            },
            "size": self.size,
            "size_unit": self.size_unit,
            "lifetime_years": self.lifetime_years,
            "source": self.source,
            "confidence": self.confidence,
            "notes": list(self.notes),
            **({"extra": dict(self.extra)} if self.extra else {}),
        }


def _size(entry: CatalogueEntry, plant: _Plant, wastes: Sequence[Waste], kwh: float) -> float:
    """The size the per-unit cost multiplies (``SIZES``); ``kwh`` is the yearly electricity
    the measure saves (PV)."""
    kind = entry.size_basis
    if kind == "fixed":
        return 0.0
    if kind == "furnace_count":
        if entry.basis == "waste" and wastes:
            return float(len(_furnaces_of(plant, wastes)) or 1)
        return float(len(plant.fuel_furnaces()))
    if kind == "furnace_kw":
        return sum(e.rated_kw or 0.0 for e in plant.fuel_furnaces())
    if kind == "compressor_kw":
        return sum(e.rated_kw or 0.0 for e in plant.equipment("compressor"))
    if kind == "fixed_speed_compressor_kw":
        return sum(e.rated_kw or 0.0 for e in plant.fixed_speed_compressors())
    if kind == "controller_count":
        return float(len(_controllers_of(plant, wastes)) or 1)
    if kind == "kwp":
        return kwh / PV_YIELD_KWH_PER_KWP
    if kind == "kvar":
        pf = _waste_pf(wastes)
        p_avg = plant.site_electricity() / plant.hours() if plant.hours() > 0 else 0.0
        if pf is None or p_avg <= 0:
            return 0.0
        return p_avg * (math.tan(math.acos(pf)) - math.tan(math.acos(PF_TARGET)))
    raise KeyError(f"unknown size basis {kind!r}; known: {', '.join(SIZES)}")


def _furnaces_of(plant: _Plant, wastes: Sequence[Waste]) -> set[str]:
    furnaces = {e.id for e in plant.site.equipment if e.type.endswith("furnace")}
    out: set[str] = set()
    for w in wastes:
        if w.subject in furnaces:
            out.add(w.subject)
            continue
        try:
            meter = plant.site.meter(w.subject)
        except KeyError:
            continue
        out |= set(meter.equipment) & furnaces
    return out


def _controllers_of(plant: _Plant, wastes: Sequence[Waste]) -> set[str]:
    ctl = plant.site.temperature_controllers
    out: set[str] = set()
    for w in wastes:
        out |= {c.id for c in ctl if w.subject in (c.id, c.line, c.mold)}
    return out


def screen(
    wastes: Sequence[Waste],
    assessment: Assessment,
    site: Site,
    tariffs: Mapping[str, Tariff],
    *,
    catalogue: Sequence[CatalogueEntry] | None = None,
) -> tuple[list[Measure], list[Skipped]]:
    """Every catalogue measure: the applicable ones quantified and ranked, the others with
    the reason they do not apply. See :func:`recommend`."""
    detail = assessment.document["metrics"].get("waste_heat_recovery_rate", {}).get("detail", {})
    plant = _Plant(
        site=site,
        coef=assessment.coefficients,
        consumption={k: c.consumption for k, c in assessment.consumption.items()},
        stream_gj=dict(detail.get("by_stream_gj") or {}),
        wastes=wastes,
    )
    year = 365.0 / site.period.days
    measures: list[Measure] = []
    skipped: list[Skipped] = []
    for entry in catalogue if catalogue is not None else load_catalogue():

        def skip(reason: str, e: CatalogueEntry = entry) -> None:
            skipped.append(Skipped(e.id, e.title_zh, e.title_en, e.title_ko, reason))

        mine = [w for w in wastes if w.detector in entry.addresses]
        if entry.subject_filter:
            mine = [w for w in mine if FILTERS[entry.subject_filter](plant, w)]
        if entry.requires and not CONDITIONS[entry.requires](plant):
            skip(f"condition not met: {entry.requires}")
            continue
        if entry.basis in ("waste", "electricity_bill") and not mine:
            skip("no waste found by " + " or ".join(entry.addresses))
            continue
        notes: list[str] = []
        period_qty, basis_text = BASES[entry.basis](plant, mine)
        period_qty = {c: q for c, q in period_qty.items() if q > 0}
        if not period_qty:
            skip(f"nothing to save: {basis_text}")
            continue
        addressed = {c: q * year for c, q in period_qty.items()}
        extra: dict[str, Any] = {}
        saved_by_level: list[dict[str, float]] = []
        cny_by_level: list[float] = []
        if entry.delivers == "bill":
            pf = _waste_pf(mine)
            if pf is None:
                skip("the power-factor waste states no power factor")
                continue
            reference = mine[0].evidence.get("reference", 0.90)
            if reference != 0.90:
                notes.append(
                    f"the tariff reference is {reference}: the 0.90 adjustment table is used "
                    "(check)"
                )
            bill = addressed["electricity"] * tariffs["electricity"].cny_per_unit
            adj = pf_adjustment(pf) - pf_adjustment(PF_TARGET)
            extra = {
                "power_factor": pf,
                "target": PF_TARGET,
                "adjustment_now": pf_adjustment(pf),
                "adjustment_at_target": pf_adjustment(PF_TARGET),
                "bill_cny_per_year": bill,
            }
            for f in entry.saving:
                saved_by_level.append({})
                cny_by_level.append(f * adj * bill)
            notes.append("bill saving only; loss reduction in the plant's network not counted")
        else:
            for f in entry.saving:
                saved = {c: f * q for c, q in addressed.items()}
                if entry.delivers == "heat_as_fuel":
                    saved = _heat_as_fuel(plant, saved)
                saved_by_level.append(saved)
                cny_by_level.append(sum(q * tariffs[c].cny_per_unit for c, q in saved.items()))
            if entry.delivers == "heat_as_fuel":
                notes.append(
                    f"recovered heat displaces {', '.join(saved_by_level[1]) or 'fuel'} at a "
                    f"heater efficiency of {BOILER_EFFICIENCY:g}; needs a heat demand on site"
                )
        kgce = tuple(sum(plant.kgce(c, q) for c, q in s.items()) for s in saved_by_level)
        tco2 = tuple(sum(plant.tco2e(c, q) for c, q in s.items()) for s in saved_by_level)
        cny = tuple(cny_by_level)
        kwh = [s.get("electricity", 0.0) for s in saved_by_level]
        sizes = [_size(entry, plant, mine, k) for k in kwh]
        inv_low = entry.cost_fixed[0] + sizes[0] * entry.cost_per_unit[0]
        inv_high = entry.cost_fixed[1] + sizes[2] * entry.cost_per_unit[1]
        inv_typ = sum(entry.cost_fixed) / 2 + sizes[1] * sum(entry.cost_per_unit) / 2
        if entry.size_basis == "kvar" and sizes[1] <= 0:
            notes.append("capacitor size not computable; fixed cost only")
        generation = [m.id for m in plant.meters if m.role == "generation"]
        if generation and entry.basis == "site_electricity":
            notes.append(f"in addition to the generation already metered ({', '.join(generation)})")
        if year > 1.5:
            notes.append(f"annualised from {site.period.days} days (× {year:.3g})")
        measures.append(
            Measure(
                id=entry.id,
                title_zh=entry.title_zh,
                title_en=entry.title_en,
                title_ko=entry.title_ko,
                addresses=entry.addresses,
                subjects=tuple(sorted({w.subject for w in mine})),
                basis=basis_text,
                addressed=addressed,
                saving_fraction=entry.saving,
                saved=saved_by_level[1],
                saving_kgce=(kgce[0], kgce[1], kgce[2]),
                saving_tco2e=(tco2[0], tco2[1], tco2[2]),
                saving_cny=(cny[0], cny[1], cny[2]),
                size=sizes[1],
                size_unit=SIZES[entry.size_basis],
                investment_cny=(inv_low, inv_typ, inv_high),
                payback_years=inv_typ / cny[1] if cny[1] > 0 else None,
                payback_range=_payback_range(entry, sizes, cny),
                lifetime_years=entry.lifetime_years,
                source=entry.source,
                confidence=entry.confidence,
                notes=tuple(notes),
                extra=extra,
            )
        )
    ranked = sorted(measures, key=rank_key)
    return [_with_rank(m, i) for i, m in enumerate(ranked, start=1)], skipped


def _payback_range(
    entry: CatalogueEntry, sizes: list[float], cny: tuple[float, ...]
) -> tuple[float | None, float | None]:
    """(shortest, longest) payback [a]: low investment / high saving and high investment /
    low saving; for a measure sized by its saving (PV: kWp from the kWh replaced) the
    saving and the size move together, so the range is that of the unit cost at the
    typical size."""
    if sizes[0] != sizes[2]:
        if cny[1] <= 0:
            return None, None
        return (
            (entry.cost_fixed[0] + sizes[1] * entry.cost_per_unit[0]) / cny[1],
            (entry.cost_fixed[1] + sizes[1] * entry.cost_per_unit[1]) / cny[1],
        )
    inv_low = entry.cost_fixed[0] + sizes[0] * entry.cost_per_unit[0]
    inv_high = entry.cost_fixed[1] + sizes[2] * entry.cost_per_unit[1]
    return (
        inv_low / cny[2] if cny[2] > 0 else None,
        inv_high / cny[0] if cny[0] > 0 else None,
    )


def rank_key(m: Measure) -> tuple[float, float, str]:
    """Shortest typical payback first (none last), then the largest typical kgce saving."""
    return (
        m.payback_years if m.payback_years is not None else math.inf,
        -m.saving_kgce[1],
        m.id,
    )


def _with_rank(m: Measure, rank: int) -> Measure:
    from dataclasses import replace

    return replace(m, rank=rank)


def _heat_as_fuel(plant: _Plant, saved: dict[str, float]) -> dict[str, float]:
    """Heat [GJ] → the fuel it displaces: the site's largest fuel by kgce at
    :data:`BOILER_EFFICIENCY`, else electricity at 1.0 (an electric heater)."""
    gj = saved.pop("heat", 0.0)
    fuels = plant.fuel_supplies()
    if not gj:
        return saved
    if fuels:
        fuel = max(fuels, key=lambda c: plant.kgce(c, fuels[c]))
        qty = gj * 1000.0 / (plant.mj_per_unit(fuel) * BOILER_EFFICIENCY)
    else:
        fuel, qty = "electricity", gj / 0.0036
    saved[fuel] = saved.get(fuel, 0.0) + qty
    return saved


def recommend(
    wastes: Sequence[Waste],
    assessment: Assessment,
    site: Site,
    tariffs: Mapping[str, Tariff],
) -> list[Measure]:
    """The applicable measures of the catalogue, quantified for the plant and ranked.

    Parameters
    ----------
    wastes : sequence of Waste
        What the detectors found (:mod:`thermaudit.diagnosis.waste`).
    assessment : Assessment
        The assessment of the same dataset: its meters' consumption and coefficients.
    site : Site
    tariffs : mapping
        :func:`resolve_tariffs` of the site.

    Returns
    -------
    list of Measure
        Ranked (``rank`` 1 first) by typical simple payback, then typical kgce saving.

    Notes
    -----
    For a measure with saving fraction f on a basis q (per carrier, over the period of D
    days): saved = f × q × 365 / D [unit/a]; kgce = Σ saved × kgce/unit; tCO2e = Σ saved
    × kgCO2/unit / 1000; CNY = Σ saved × tariff. Investment = fixed + size × cost per unit
    (typical: the midpoints); payback = investment / CNY.
    """
    return screen(wastes, assessment, site, tariffs)[0]
