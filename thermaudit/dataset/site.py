"""``site.yaml``: typed models and validation with line numbers and YAML paths."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from thermaudit.dataset import strict_yaml
from thermaudit.dataset.contract import CONTRACT, TABLES, UNREAD_TABLES
from thermaudit.dataset.encoding import (
    EXPECTED_UTF8,
    NotUtf8,
    decode_utf8,
    disguise_text,
    gbk_in_disguise,
    line_and_column,
)
from thermaudit.dataset.files import regular_file_problem
from thermaudit.errors import InvalidDataset, Problem, ProblemCollector, shorten
from thermaudit.reference import province_names, province_region, table
from thermaudit.units import CARRIERS, REACTIVE_UNITS, accepted_units

Carrier = Literal[
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
]
Role = Literal["supply", "submeter", "excluded", "export", "generation", "recovered_heat"]
Process = Literal[
    "melting",
    "holding",
    "die_casting",
    "molding",
    "heat_treatment",
    "machining",
    "finishing",
    "compressed_air",
    "cooling",
    "hvac_lighting",
    "office",
    "other",
]
EquipmentType = Literal[
    "melting_furnace",
    "holding_furnace",
    "die_casting_machine",
    "injection_molding_machine",
    "temperature_controller",
    "heat_treatment_furnace",
    "compressor",
    "chiller",
    "cnc",
    "other",
]
Material = Literal[
    "aluminium_alloy",
    "zinc_alloy",
    "magnesium_alloy",
    "copper_alloy",
    "cast_iron",
    "cast_steel",
    "mold_steel",
]
Market = Literal["EU", "UK", "KR", "ASEAN", "CN", "US", "other"]

#: default process of an equipment type (contract, site.yaml comments)
DEFAULT_PROCESS: dict[str, str] = {
    "melting_furnace": "melting",
    "holding_furnace": "holding",
    "die_casting_machine": "die_casting",
    "temperature_controller": "die_casting",
    "injection_molding_machine": "molding",
    "heat_treatment_furnace": "heat_treatment",
    "compressor": "compressed_air",
    "chiller": "cooling",
    "cnc": "machining",
    "other": "other",
}

# GB 32100-2015 unified social credit code
_CC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_digit(first17: str) -> str:
    """Check character of a unified social credit code (GB 32100-2015, clause 4.2).

    Notes
    -----
    c18 = 31 - (Σ w_i · value(c_i) mod 31), with 31 written as ``0``; values index the
    31-character set ``0-9A-Y`` without I, O, S, V, Z.
    """
    total = sum(_CC_CHARS.index(ch) * w for ch, w in zip(first17, _CC_WEIGHTS, strict=True))
    return _CC_CHARS[(31 - total % 31) % 31]


def check_credit_code(code: str) -> str | None:
    """None when valid, else what is wrong (used in messages)."""
    if len(code) != 18:
        return f"18 characters (found {len(code)})"
    bad = [ch for ch in code if ch not in _CC_CHARS]
    if bad:
        return f"only 0-9 and A-Y without I, O, S, V, Z (found {bad[0]!r})"
    want = credit_code_check_digit(code[:17])
    if code[17] != want:
        return f"check digit {want!r} per GB 32100 (found {code[17]!r})"
    return None


class _Model(BaseModel):
    # a key the model does not define is an error (a typo would silently change a result);
    # a number must be finite wherever one is expected
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class NetRevenue(_Model):
    """Net revenue of the enterprise in the period (contract, added 2026-12)."""

    amount: float = Field(ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code such as CNY")


class Enterprise(_Model):
    name: str = Field(min_length=1)
    name_en: str | None = None
    credit_code: str
    sector: Literal["die_casting", "mold_making", "precision_casting", "other"]
    province: str
    #: for intensities per revenue (ESRS, VSME)
    net_revenue: NetRevenue | None = None

    @field_validator("credit_code", mode="before")
    @classmethod
    def _credit(cls, v: Any) -> str:
        code = str(v).strip().upper()
        err = check_credit_code(code)
        if err:
            raise ValueError(f"a unified social credit code with {err}")
        return code

    @field_validator("province")
    @classmethod
    def _province(cls, v: str) -> str:
        if province_region(v) is None:
            raise ValueError(f"a province of mainland China, one of {', '.join(province_names())}")
        return v


class Period(_Model):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _order(self) -> Period:
        if self.end < self.start:
            raise ValueError("an end date on or after the start date")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class SteadyState(_Model):
    warmup_min: float = Field(default=30, ge=0)
    gap_min: float = Field(default=10, gt=0)


class Options(_Model):
    electricity_basis: Literal["calorific", "equivalent"] = "calorific"
    electricity_equivalent_kgce_per_kwh: float = Field(default=0.3, gt=0, lt=1)
    natural_gas_ncv_mj_per_m3: float | None = Field(default=None, gt=0)
    grid_emission_factor_kgco2_per_kwh: float | None = Field(default=None, ge=0)
    steady_state: SteadyState = SteadyState()
    #: energy prices [CNY per canonical unit of the carrier: kWh, m3, kg, GJ] for the
    #: diagnosis; absent carriers are priced from the invoices, else a marked default
    tariffs: dict[Carrier, Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None = None


class Meter(_Model):
    id: str = Field(min_length=1)
    carrier: Carrier
    unit: str
    reading: Literal["cumulative", "interval"]
    multiplier: float = Field(default=1.0, gt=0)
    role: Role
    parent: str | None = None
    process: Process | None = None
    line: str | None = None
    equipment: list[str] = Field(default_factory=list)
    accuracy_class: str | None = None
    rollover: float | None = Field(default=None, gt=0)
    interval_s: float | None = Field(default=None, gt=0)
    #: ``active`` energy (the default) or ``reactive`` energy of an electricity meter (unit
    #: varh, kvarh or Mvarh); a reactive meter measures no energy and enters no energy sum
    quantity: Literal["active", "reactive"] = "active"
    #: for a reactive meter: the active-energy meter at the same metering point (power factor)
    active_meter: str | None = None
    #: for a reactive meter: the power factor the tariff assesses against at this metering
    #: point (0.90 for industrial users of 160 kVA and above, 0.85 for 100 kVA and above, under
    #: the 1983 功率因数调整电费办法); default 0.90
    power_factor_reference: float | None = Field(default=None, gt=0, le=1)

    @field_validator("id", "line", "parent", "active_meter", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return None if v is None else str(v)

    @field_validator("accuracy_class", mode="before")
    @classmethod
    def _acc(cls, v: Any) -> Any:
        if v is None:
            return None
        text = str(v).strip()
        if accuracy_percent(text) is None:
            raise ValueError("an accuracy class such as 0.5S, 1.0, 2 or a relative 1%")
        return text

    @property
    def accuracy_pct(self) -> float | None:
        return None if self.accuracy_class is None else accuracy_percent(self.accuracy_class)


def accuracy_percent(text: str) -> float | None:
    """Relative maximum permissible error [%] of an accuracy class (``0.5S`` → 0.5, ``2%`` → 2)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(S|s|%)?\s*", text)
    return float(m.group(1)) if m else None


class Equipment(_Model):
    id: str = Field(min_length=1)
    type: EquipmentType
    rated_kw: float | None = Field(default=None, ge=0)
    fuel: Carrier | None = None
    line: str | None = None
    process: Process | None = None
    rated_flow_m3h: float | None = Field(default=None, ge=0)
    #: free text such as ``fixed speed`` or ``variable speed`` (VSD, VFD, inverter, 变频): a
    #: variable-speed compressor gets no VSD retrofit measure in the diagnosis
    drive: str | None = None
    #: clamping force of a die-casting or injection molding machine [t]
    clamping_force_t: float | None = Field(default=None, gt=0)

    @field_validator("id", "line", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return None if v is None else str(v)

    @property
    def effective_process(self) -> str:
        return self.process or DEFAULT_PROCESS[self.type]


class Product(_Model):
    sku: str = Field(min_length=1)
    name: str = Field(min_length=1)
    name_en: str | None = None
    unit_mass_kg: float = Field(gt=0)
    material: Material
    denominator: Literal["mass", "count"] = "mass"
    cn_code: str | None = None
    markets: list[Market] = Field(default_factory=list)

    @field_validator("sku", "cn_code", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return None if v is None else str(v)


class TemperatureController(_Model):
    id: str = Field(min_length=1)
    mold: str | None = None
    line: str | None = None
    medium: str | None = None
    tolerance_c: float = Field(gt=0)

    @field_validator("id", "mold", "line", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return None if v is None else str(v)


class HeatStream(_Model):
    id: str = Field(min_length=1)
    kind: Literal["available", "recovered"]
    medium: Literal["water", "flue_gas", "air"]
    source: str | None = None
    interval_s: float = Field(gt=0)
    t_ref_c: float | None = Field(default=None, gt=-273.15)
    cp: float | None = Field(default=None, gt=0)

    @field_validator("id", "source", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return None if v is None else str(v)


class Owner(_Model):
    """Who answers for one source of the dataset (contract, added 2026-12): a department, a
    role and a person, at least one of them."""

    department: str | None = Field(default=None, min_length=1)
    role: str | None = Field(default=None, min_length=1)
    person: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _someone(self) -> Owner:
        if self.department is None and self.role is None and self.person is None:
            raise ValueError("a department, a role or a person")
        return self

    def as_dict(self) -> dict[str, str | None]:
        """``{"department", "role", "person"}`` as ``assessment.json`` and readiness write it."""
        return {"department": self.department, "role": self.role, "person": self.person}


#: the tables a ``site.yaml`` may name an owner for: every table of the contract
OWNER_TABLES = (*TABLES, *UNREAD_TABLES)

#: the table whose owner answers for an id that has no owner of its own, by kind of id
OWNER_FALLBACK_TABLE = {
    "meter": "readings",
    "temperature_controller": "mold_temperature",
    "heat_stream": "heat_streams",
    "furnace": "melting",
    "instrument": "calibrations",
}


class Site(_Model):
    """A validated ``site.yaml``."""

    contract: Literal["thermaudit.dataset/1"]
    enterprise: Enterprise
    period: Period
    timezone: str
    options: Options = Options()
    meters: list[Meter] = Field(min_length=1)
    equipment: list[Equipment] = Field(default_factory=list)
    products: list[Product] = Field(min_length=1)
    temperature_controllers: list[TemperatureController] = Field(default_factory=list)
    heat_streams: list[HeatStream] = Field(default_factory=list)
    #: who answers for a table (its name) or for a meter, equipment, temperature controller
    #: or heat stream (its id); checked in :func:`_references`
    owners: dict[str, Owner] | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # a folder of the database: OSError
            raise ValueError("an IANA time zone name such as Asia/Shanghai") from None
        return v

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def meter(self, meter_id: str) -> Meter:
        return _by_id(self.meters, meter_id)

    @property
    def region(self) -> str:
        region = province_region(self.enterprise.province)
        assert region is not None  # validated
        return region

    def period_bounds_utc(self) -> tuple[dt.datetime, dt.datetime]:
        """(start 00:00, day after end 00:00) in local time, as aware UTC datetimes."""
        z = self.zone
        start = dt.datetime.combine(self.period.start, dt.time(), z)
        end = dt.datetime.combine(self.period.end + dt.timedelta(days=1), dt.time(), z)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    def owner(self, subject: str | None = None, table: str | None = None) -> Owner | None:
        """The owner of ``subject`` (an id), else of ``table``, else ``None``."""
        owners = self.owners or {}
        if subject is not None and subject in owners:
            return owners[subject]
        return owners.get(table) if table is not None else None

    @property
    def instruments(self) -> set[str]:
        """Ids a calibration certificate may name: meters, controllers and heat streams."""
        return (
            {m.id for m in self.meters}
            | {c.id for c in self.temperature_controllers}
            | {s.id for s in self.heat_streams}
        )


def _by_id(items: list[Any], key: str) -> Any:
    for item in items:
        if item.id == key:
            return item
    raise KeyError(key)


# ---------------------------------------------------------------------------------------------
# Loading with line numbers

#: largest site.yaml read (a plant with a thousand meters writes ~300 KB)
MAX_SITE_BYTES = 8 << 20


def _line_of(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    cur = data
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _read_text(path: Path, label: str) -> str:
    """The text of ``site.yaml``: a regular file of UTF-8 (a BOM allowed), not too large."""
    kind = regular_file_problem(path)
    if kind is not None:
        expected = (
            "a site.yaml file in the dataset folder"
            if kind == "no such file"
            else "site.yaml as a regular file"
        )
        raise InvalidDataset(
            [Problem(label, None, None, expected, kind)],
            hint="A dataset is a folder holding site.yaml and the tables.",
        )
    size = path.stat().st_size
    if size > MAX_SITE_BYTES:
        raise InvalidDataset(
            [Problem(label, None, None, f"at most {MAX_SITE_BYTES >> 20} MB", f"{size:,} bytes")]
        )
    data = path.read_bytes()
    try:
        text = decode_utf8(data)
    except NotUtf8 as bad:
        line, char = line_and_column(data, bad.offset)
        raise InvalidDataset(
            [Problem(label, line, None, EXPECTED_UTF8, f"{bad.found} at character {char}")]
        ) from None
    disguised = gbk_in_disguise(text)
    if disguised is not None:
        at, as_gbk = disguised
        raise InvalidDataset(
            [
                Problem(
                    label, text.count("\n", 0, at) + 1, None, EXPECTED_UTF8, disguise_text(as_gbk)
                )
            ]
        )
    return text


def load_site(path: Path, label: str = "site.yaml", *, stored: bool = False) -> Site:
    """Read and validate ``site.yaml``; every problem names its line and YAML path.

    Parameters
    ----------
    path : Path
        The file.
    label : str
        Its name in messages.
    stored : bool
        The copy of an import accepted before unknown keys were refused: keys the site
        model does not define are dropped instead of refused, so that no stored import
        becomes unreadable.

    Raises
    ------
    InvalidDataset
        With one problem per invalid field (and per broken reference), or one for a file
        that is not UTF-8 or not valid YAML (see :mod:`thermaudit.dataset.strict_yaml`).
    """
    data, lines = strict_yaml.load(_read_text(path, label), label)
    if not isinstance(data, dict):
        raise InvalidDataset([Problem(label, 1, None, "a YAML mapping", type(data).__name__)])
    if stored:
        data = _known_only(data, ())
        if isinstance(data.get("owners"), dict):  # an owner naming nobody was accepted once
            data["owners"] = {k: v for k, v in data["owners"].items() if v}
    problems = ProblemCollector()
    if data.get("contract") != CONTRACT:
        problems.add(
            label,
            _line_of(lines, ("contract",)),
            "contract",
            repr(CONTRACT),
            shorten(data.get("contract")),
        )
    try:
        site = Site.model_validate(data)
    except ValidationError as exc:
        problems.extend(_validation_problems(exc, data, lines, label))
        problems.raise_if_any()
        raise AssertionError("unreachable") from None  # pragma: no cover
    problems.extend(_references(site, lines, label))
    problems.raise_if_any()
    return site


def _known_only(data: Any, loc: tuple[Any, ...]) -> Any:
    """``data`` without the mapping keys the site model does not define at ``loc``."""
    if isinstance(data, list):
        return [_known_only(v, (*loc, i)) for i, v in enumerate(data)]
    if not isinstance(data, dict):
        return data
    model = _model_at(loc)
    if model is None:  # a free mapping (tariffs, owners): its keys are validated as values
        return {k: _known_only(v, (*loc, k)) for k, v in data.items()}
    return {k: _known_only(v, (*loc, k)) for k, v in data.items() if k in model.model_fields}


def _validation_problems(
    exc: ValidationError, data: Any, lines: dict[tuple[Any, ...], int], label: str
) -> list[Problem]:
    errors = [e for e in exc.errors() if tuple(e["loc"]) != ("contract",)]  # reported above
    unknown = _unknown_keys(errors)
    out: list[Problem] = []
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            out.append(_unknown_key_problem(loc, unknown, lines, label))
            continue
        if err["type"] == "missing" and loc in unknown.values():
            continue  # reported at the misspelled key's line
        # pydantic appends the literal/union branch to loc for some errors; trim to data
        while loc and _value_at(data, loc) is None and len(loc) > 1 and err["type"] != "missing":
            if _value_at(data, loc[:-1]) is None:
                loc = loc[:-1]
            else:
                break
        msg = err["msg"].removeprefix("Value error, ")
        expected = _expected_text(err["type"], msg)
        found = "nothing (missing)" if err["type"] == "missing" else shorten(_value_at(data, loc))
        if loc and loc[-1] == "[key]":  # a mapping key (options.tariffs) that is not allowed
            loc = loc[:-1]
            found = shorten(loc[-1])
        out.append(Problem(label, _line_of(lines, loc), _path_text(loc), expected, found))
    return sorted(out, key=lambda p: p.row or 0)


def _unknown_keys(errors: list[Any]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Unknown key's loc -> loc of the missing required key it is a misspelling of."""
    missing = {tuple(e["loc"]) for e in errors if e["type"] == "missing"}
    out: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for e in errors:
        loc = tuple(e["loc"])
        if e["type"] != "extra_forbidden":
            continue
        parent = loc[:-1]
        wanted = [m[-1] for m in missing if m[:-1] == parent and m not in out.values()]
        close = difflib.get_close_matches(str(loc[-1]), [str(w) for w in wanted], n=1)
        if close:
            out[loc] = (*parent, close[0])
    return out


def _unknown_key_problem(
    loc: tuple[Any, ...],
    unknown: dict[tuple[Any, ...], tuple[Any, ...]],
    lines: dict[tuple[Any, ...], int],
    label: str,
) -> Problem:
    parent, key = loc[:-1], str(loc[-1])
    where = _path_text(parent) if parent else "site.yaml"
    if loc in unknown:
        right = unknown[loc][-1]
        expected = f"the required key `{right}` of {where} (did you mean `{right}`?)"
    else:
        known = known_keys(parent)
        close = difflib.get_close_matches(key, known, n=1)
        if close:
            expected = f"a key that {where} defines (did you mean `{close[0]}`?)"
        else:
            expected = f"a key that {where} defines: {', '.join(known)}"
    return Problem(label, _line_of(lines, loc), _path_text(loc), expected, shorten(key))


def known_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys the site model defines for the mapping at YAML path ``loc``."""
    model = _model_at(loc)
    return list(model.model_fields) if model is not None else []


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    cur: Any = Site
    for part in loc:
        cur = _unwrap(cur)
        if isinstance(cur, type) and issubclass(cur, BaseModel):
            field = cur.model_fields.get(str(part))
            if field is None:
                return None
            cur = field.annotation
        elif get_origin(cur) in (list, dict):
            cur = get_args(cur)[-1]
        else:
            return None
    cur = _unwrap(cur)
    return cur if isinstance(cur, type) and issubclass(cur, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """``X`` of ``X | None`` and of ``Annotated[X, ...]``."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


_path_text = strict_yaml.path_text


def _expected_text(kind: str, msg: str) -> str:
    if kind == "missing":
        return "a value (the field is required)"
    if kind == "literal_error":
        return msg.replace("Input should be ", "one of ").replace("'", "")
    return msg.replace("Input should be ", "")


def _references(site: Site, lines: dict[tuple[Any, ...], int], label: str) -> list[Problem]:
    out: list[Problem] = []

    def add(loc: tuple[Any, ...], expected: str, found: str) -> None:
        out.append(Problem(label, _line_of(lines, loc), _path_text(loc), expected, found))

    for list_name, key in (
        ("meters", "id"),
        ("equipment", "id"),
        ("products", "sku"),
        ("temperature_controllers", "id"),
        ("heat_streams", "id"),
    ):
        seen: dict[str, int] = {}
        for i, item in enumerate(getattr(site, list_name)):
            ident = getattr(item, key)
            if ident in seen:
                add(
                    (list_name, i, key),
                    f"a unique {key} within {list_name} "
                    f"({list_name}[{seen[ident]}] has it already)",
                    repr(ident),
                )
            else:
                seen[ident] = i

    meter_ids = {m.id for m in site.meters}
    equipment_ids = {e.id for e in site.equipment}
    for i, m in enumerate(site.meters):
        if m.quantity == "reactive":
            if m.carrier != "electricity":
                add(("meters", i, "carrier"), "electricity for a reactive meter", repr(m.carrier))
            elif m.unit not in REACTIVE_UNITS:
                add(
                    ("meters", i, "unit"),
                    f"a reactive-energy unit ({', '.join(REACTIVE_UNITS)})",
                    repr(m.unit),
                )
            if m.active_meter is not None and m.active_meter not in {
                x.id for x in site.meters if x.quantity == "active" and x.carrier == "electricity"
            }:
                add(
                    ("meters", i, "active_meter"),
                    "the id of an active electricity meter",
                    repr(m.active_meter),
                )
        elif m.unit not in accepted_units(m.carrier):
            add(
                ("meters", i, "unit"),
                f"a unit of {m.carrier} ({', '.join(accepted_units(m.carrier))})",
                repr(m.unit),
            )
        elif m.active_meter is not None or m.power_factor_reference is not None:
            key = "active_meter" if m.active_meter is not None else "power_factor_reference"
            add(("meters", i, key), "no such field on an active meter (quantity: reactive)", "set")
        if m.parent is not None:
            if m.parent not in meter_ids:
                add(("meters", i, "parent"), "the id of another meter", repr(m.parent))
            elif m.parent == m.id:
                add(
                    ("meters", i, "parent"),
                    "an upstream meter, not the meter itself",
                    repr(m.parent),
                )
            else:
                parent = site.meter(m.parent)
                if parent.carrier != m.carrier:
                    add(
                        ("meters", i, "parent"),
                        f"a meter of the same carrier ({m.carrier})",
                        f"{m.parent!r} ({parent.carrier})",
                    )
        for j, eq in enumerate(m.equipment):
            if eq not in equipment_ids:
                add(("meters", i, "equipment", j), "an equipment id", repr(eq))
        if m.rollover is not None and m.reading != "cumulative":
            add(("meters", i, "rollover"), "no rollover on an interval meter", repr(m.rollover))
    # parent cycles
    for i, m in enumerate(site.meters):
        seen_ids = {m.id}
        cur = m
        while cur.parent is not None and cur.parent in meter_ids and cur.parent != cur.id:
            if cur.parent in seen_ids:
                add(
                    ("meters", i, "parent"),
                    "a chain of parents that ends",
                    f"a cycle through {cur.parent!r}",
                )
                break
            seen_ids.add(cur.parent)
            cur = site.meter(cur.parent)
    ids = meter_ids | equipment_ids | site.instruments
    for key in site.owners or {}:
        if key not in OWNER_TABLES and key not in ids:
            close = difflib.get_close_matches(key, [*OWNER_TABLES, *sorted(ids)], n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            add(
                ("owners", key),
                "a table of the contract or the id of a meter, equipment, temperature "
                f"controller or heat stream{hint}",
                repr(key),
            )
    for i, hs in enumerate(site.heat_streams):
        if hs.source is not None and hs.source not in equipment_ids and hs.source not in meter_ids:
            add(("heat_streams", i, "source"), "an equipment id (or meter id)", repr(hs.source))
        if hs.kind == "available" and hs.t_ref_c is None:
            pass  # allowed: then every row needs t_cold_c (checked on the table)
    if not any(m.role == "supply" for m in site.meters):
        add(("meters",), "at least one meter with role supply", "none")
    # coefficient for every carrier in use must exist
    have = {r["carrier"] for r in table("coefficients")}
    for i, m in enumerate(site.meters):
        if m.carrier not in have:  # pragma: no cover - coefficients cover CARRIERS
            add(
                ("meters", i, "carrier"),
                f"a carrier with a coefficient ({', '.join(CARRIERS)})",
                repr(m.carrier),
            )
    return out
