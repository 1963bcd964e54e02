"""A synthetic aluminium die-casting plant that follows ``thermaudit.dataset/1``.

:func:`write_demo` writes a dataset folder (``site.yaml`` and every table of the contract) for
a six-line high-pressure die-casting plant in Foshan, Guangdong, and returns :class:`DemoInfo`,
the quantities the generator itself used (per-meter consumption, good and scrap mass, metal
melted, heat of each stream, planted events). Tests compare the metrics engine against them.

How the plant is simulated
--------------------------
Everything is driven by one schedule per line and day at one-minute resolution (off, warm-up,
producing, idle, maintenance). From it follow, with numpy per day:

* electric loads [kW] of die-casting machines, mold temperature controllers, holding furnaces,
  compressors, the electric melting furnace, machining, office, canteen and an unmetered rest;
  rooftop PV with a diurnal shape, curtailed so the grid meter never runs backwards (the
  anti-reverse-power relay every Chinese self-consumption PV plant has);
* pieces per shift from producing minutes, cycle time and cavities; scrap 2–6 %;
* metal melted = good mass / yield (0.85–0.90), tapped hourly from two gas tower melters and
  every two hours from an electric crucible furnace; gas = metal x theoretical heat /
  (efficiency 0.38–0.44 x NCV) plus standby firing;
* flue gas ≈ 11.2 Nm3 per m3 of gas, a flue-gas heat exchanger on FURN-1 (water loop), compressor
  cooling water and a heat meter on its recovery loop; part of the recovered water heat is
  exported to a neighbour;
* mold temperatures at the scale's sampling interval: first-order warm-ups each morning,
  cooling when off, setpoint changes at die changes and operator tweaks, shot-cycle ripple.

Meters integrate the loads. A cumulative register shows an integer count of its resolution;
the consumption a meter reports for the period is exactly (last count − first count) x
resolution x multiplier, which is what :attr:`DemoInfo.meter_consumption` holds, so a reader
that follows the contract reproduces it to floating-point rounding.

Randomness comes only from ``numpy.random.default_rng(seed)`` (spawned into a plant stream and
a mold-sample stream, so the plant is the same at every scale for one seed and period).
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import resource
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from dataclasses import replace as _replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

from thermaudit.dataset.contract import CONTRACT, DEMO, arrow_schemas
from thermaudit.dataset.site import credit_code_check_digit
from thermaudit.demo.commerce import write_commerce, write_deliveries, write_metal_inputs
from thermaudit.demo.departments import Stop, write_maintenance, write_quality
from thermaudit.demo.scales import SCALES, Scale
from thermaudit.demo.weather import write_weather
from thermaudit.errors import ThermauditError
from thermaudit.metrics.spec import load_spec

__all__ = ["SCALES", "DemoInfo", "PlantedEvent", "Scale", "UnknownScale", "write_demo"]

Progress = Callable[[str, int, int], None]


class UnknownScale(ThermauditError, ValueError):
    """A demo scale name that is not in :data:`SCALES`."""

    def __init__(self, name: str) -> None:
        self.found = name
        self.expected = tuple(SCALES)
        super().__init__(
            f"unknown demo scale {name!r}: expected one of {', '.join(SCALES)}",
            hint="Pick a scale listed above (default is a one-month plant with CSV files).",
        )


@dataclass(frozen=True)
class PlantedEvent:
    """Something the generator put into the data on purpose.

    ``kind`` is one of ``rollover`` (first reading after a register wrapped), ``replaced``
    (meter replacement), ``reading_gap`` (readings missing), ``maintenance``, ``die_change``,
    ``setpoint_change``, ``duplicate_timestamps`` (per-shot logging), ``mold_logger_gap``,
    ``calibration_expires``, ``calibration_missing``, ``unplanned_stop`` (a die-casting
    machine's breakdown in the maintenance log) and ``quality_scrap_mismatch`` (the quality
    department's scrap above production's on one day and line). ``start``/``end`` are local
    (naive) times; ``detail`` holds the numbers.
    """

    kind: str
    subject: str
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoInfo:
    """What the generator knows to be true about the dataset it wrote.

    Attributes
    ----------
    meter_consumption : mapping of str to float
        Consumption of each meter in the period (interval ends in (start 00:00, end + 1 00:00]),
        register differences x multiplier, wraps and the replacement accounted for.
        [canonical unit of the carrier: kWh, m3, GJ; see ``meter_unit``]
    unmetered : mapping of str to float
        ``electricity_kwh``: site load no submeter sees (lighting, cooling towers, misc);
        ``natural_gas_m3``: gas of the unmetered ladle pre-heaters. E-MAIN + E-PV =
        Σ children of E-MAIN + unmetered electricity (to the meters' resolution).
    good_mass_kg, scrap_mass_kg : float
        Σ good_qty x unit mass and Σ scrap_qty x unit mass of the production rows. [kg]
    metal_melted_kg : float
        Σ metal_kg of the melting rows. [kg]
    melting_theoretical_mj : float
        Σ metal x (0.90 x (660 − 20) + 397 + 1.18 x (tap − 660)) kJ/kg of the batches. [MJ]
    heat_stream_gj : mapping of str to float
        Heat of each stream by the contract's rule over its rows. [GJ]
    events : tuple of PlantedEvent
        Rollovers, the replacement, gaps, maintenance, setpoint changes, duplicates, calibration.
    variant : str
        ``default`` (the plant as it is, wastes and all), ``clean`` (a plant where no waste
        detector finds anything) or ``planted`` (the clean plant plus the wastes asked for).
    planted_waste : mapping of str to float
        For each planted waste (a :data:`thermaudit.diagnosis.waste.DETECTORS` id), the
        quantity a detector should find over the period, in :data:`PLANTED_UNITS`.
    elapsed_s, peak_rss_mb : float
        Wall time of the call [s] and peak resident set size of the process so far [MB]
        (``resource.getrusage``); diagnostics, not compared.
    """

    path: Path
    scale: str
    seed: int
    period_start: dt.date
    period_end: dt.date
    files: Mapping[str, str]
    rows: Mapping[str, int]
    bytes_written: int
    meter_consumption: Mapping[str, float]
    meter_unit: Mapping[str, str]
    unmetered: Mapping[str, float]
    good_mass_kg: float
    scrap_mass_kg: float
    good_mass_kg_by_sku: Mapping[str, float]
    scrap_mass_kg_by_sku: Mapping[str, float]
    metal_melted_kg: float
    melting_theoretical_mj: float
    natural_gas_ncv_mj_per_m3: float
    heat_stream_gj: Mapping[str, float]
    mold_samples: int
    events: tuple[PlantedEvent, ...]
    variant: str = "default"
    planted_waste: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    elapsed_s: float = field(default=0.0, compare=False)
    peak_rss_mb: float = field(default=0.0, compare=False)

    def events_of(self, kind: str) -> list[PlantedEvent]:
        return [e for e in self.events if e.kind == kind]


# ---------------------------------------------------------------------------------------------
# The plant

NCV_MJ_PER_M3 = 36.0  # LNG-rich Guangdong pipeline gas, written to site.yaml options
FLUE_NM3_PER_M3 = 11.2  # stoichiometric ~9.5 Nm3/m3 plus ~15 % excess air
#: the physical constants of the specification in force, so that the plant's "true" figures
#: are those the assessment recomputes
_SPEC = load_spec().parameters
CP_FLUE = _SPEC["flue_gas_cp_kj_per_nm3_k"]  # [kJ/(Nm3·K)]
CP_WATER = _SPEC["water_cp_kj_per_kg_k"]  # [kJ/(kg·K)]
MJ_PER_KWH = _SPEC["electricity_mj_per_kwh"]  # [MJ/kWh]
AMBIENT_MOLD_C = 35.0

LINES = ("DC-01", "DC-02", "DC-03", "DC-04", "DC-05", "DC-06")
DCM_KW = (55, 90, 132, 185, 250, 400)
DCM_TONNAGE = (280, 400, 630, 800, 1250, 2000)
TCU_PER_LINE_ENERGY = (1, 1, 2, 1, 2, 2)  # energy model is the same at every scale
TCU_KW = 18.0
HOLD_KW = 45.0
LINE_SKUS: tuple[tuple[str, ...], ...] = (
    ("BKT-060",),
    ("CVR-045",),
    ("HTS-510", "BRK-310"),
    ("MTR-220",),
    ("HSG-100",),
    ("PMP-700", "HSG-100"),
)

# sku: name, name_en, unit mass kg, cycle s, cavities, scrap base, cn_code, markets, sp °C
PRODUCTS: dict[str, tuple[str, str, float, float, int, float, str, list[str], float]] = {
    "BKT-060": (
        "安装支架",
        "Mounting bracket",
        0.62,
        42,
        4,
        0.025,
        "7616991090",
        ["CN", "ASEAN"],
        165,
    ),
    "CVR-045": ("气门室盖", "Valve cover", 1.85, 55, 2, 0.030, "8409919990", ["US", "CN"], 195),
    "HTS-510": (
        "基站散热器",
        "Base-station heat sink",
        4.2,
        68,
        1,
        0.045,
        "7616991090",
        ["ASEAN", "EU"],
        215,
    ),
    "BRK-310": (
        "制动钳支架",
        "Brake caliper bracket",
        2.35,
        50,
        2,
        0.035,
        "8708309990",
        ["KR", "CN"],
        190,
    ),
    "MTR-220": ("电机壳体", "Motor housing", 8.6, 85, 1, 0.040, "8503009090", ["EU", "UK"], 220),
    "HSG-100": (
        "变速箱壳体",
        "Gearbox housing",
        12.4,
        95,
        1,
        0.050,
        "8708409990",
        ["EU", "KR"],
        235,
    ),
    "PMP-700": ("水泵泵体", "Pump body", 14.8, 110, 1, 0.055, "8413910000", ["UK", "US"], 210),
}

# line states at one-minute resolution
OFF, WARMUP, PROD, IDLE, MAINT = 0, 1, 2, 3, 4
MOLD_STATES = ("producing", "idle", "warmup", "maintenance")
_STATE_CODE = np.array([1, 2, 0, 1, 3], dtype=np.int8)  # line state -> MOLD_STATES index

SHIFT_A = (360, 840)  # 06:00-14:00
SHIFT_B = (840, 1320)  # 14:00-22:00

HOLIDAYS_2025 = {  # plant shut-downs (State Council 2025 holiday schedule)
    dt.date(2025, 1, 1),  # New Year
    *(dt.date(2025, 1, 28) + dt.timedelta(days=i) for i in range(8)),  # Spring Festival
    *(dt.date(2025, 5, 1) + dt.timedelta(days=i) for i in range(5)),  # Labour Day
    *(dt.date(2025, 10, 1) + dt.timedelta(days=i) for i in range(8)),  # National Day, Mid-Autumn
}


@dataclass(frozen=True)
class _MeterSpec:
    id: str
    carrier: str
    unit: str
    reading: str
    multiplier: float
    role: str
    signal: str  # key of the per-minute signal (kW, m3/h or GJ/h)
    res: float  # register resolution [meter unit]
    decimals: int
    r0: int  # initial register count
    interval_s: int = 900
    parent: str | None = None
    process: str | None = None
    line: str | None = None
    equipment: tuple[str, ...] = ()
    accuracy: str = "1.0"
    rollover: float | None = None
    quantity: str = "active"
    active_meter: str | None = None


def _meters() -> list[_MeterSpec]:
    m = [
        _MeterSpec(
            "E-MAIN",
            "electricity",
            "kWh",
            "cumulative",
            1200,
            "supply",
            "grid",
            0.01,
            2,
            384_512,
            accuracy="0.5S",
        ),
        _MeterSpec(
            "G-MAIN",
            "natural_gas",
            "m3",
            "cumulative",
            1,
            "supply",
            "gas_total",
            0.1,
            1,
            12_543_012,
            interval_s=3600,
        ),
        _MeterSpec(
            "E-PV",
            "electricity",
            "kWh",
            "interval",
            1,
            "generation",
            "pv",
            0.01,
            2,
            0,
            accuracy="0.5S",
        ),
        _MeterSpec(
            "E-CANTEEN",
            "electricity",
            "kWh",
            "cumulative",
            10,
            "excluded",
            "canteen",
            0.1,
            1,
            99_999 - 300,
            interval_s=3600,
            parent="E-MAIN",
            accuracy="2.0",
            rollover=9999.9,
        ),
        _MeterSpec(
            "H-EXPORT",
            "heat",
            "GJ",
            "cumulative",
            1,
            "export",
            "heat_export",
            0.001,
            3,
            2_815_337,
            interval_s=3600,
            accuracy="2%",
        ),
        _MeterSpec(
            "H-REC-COMP",
            "heat",
            "GJ",
            "cumulative",
            1,
            "recovered_heat",
            "heat_rec_comp",
            0.001,
            3,
            904_118,
            interval_s=3600,
            accuracy="2%",
        ),
    ]
    for i, line in enumerate(LINES):
        m.append(
            _MeterSpec(
                f"E-{line}",
                "electricity",
                "kWh",
                "cumulative",
                40,
                "submeter",
                f"line{i}",
                0.01,
                2,
                1_203_400 + 377_123 * i,
                parent="E-MAIN",
                process="die_casting",
                line=line,
                equipment=(f"DCM-0{i + 1}",),
            )
        )
    m += [
        _MeterSpec(
            "E-HOLD",
            "electricity",
            "kWh",
            "cumulative",
            20,
            "submeter",
            "hold",
            0.01,
            2,
            2_211_875,
            parent="E-MAIN",
            process="holding",
            equipment=tuple(f"HOLD-0{i + 1}" for i in range(6)),
        ),
        _MeterSpec(
            "E-COMP",
            "electricity",
            "kWh",
            "cumulative",
            1,
            "submeter",
            "comp",
            0.1,
            1,
            48_812_231,
            parent="E-MAIN",
            process="compressed_air",
            equipment=("COMP-1", "COMP-2"),
        ),
        _MeterSpec(
            "E-FURN-3",
            "electricity",
            "kWh",
            "cumulative",
            1,
            "submeter",
            "furn3",
            0.1,
            1,
            20_455_108,
            parent="E-MAIN",
            process="melting",
            equipment=("FURN-3",),
        ),
        _MeterSpec(
            "E-CNC",
            "electricity",
            "kWh",
            "cumulative",
            1,
            "submeter",
            "cnc",
            0.1,
            1,
            3_310_902,
            parent="E-MAIN",
            process="machining",
            equipment=("CNC-01", "CNC-02"),
        ),
        _MeterSpec(
            "E-OFFICE",
            "electricity",
            "kWh",
            "cumulative",
            1,
            "submeter",
            "office",
            0.1,
            1,
            1_877_263,
            parent="E-MAIN",
            process="office",
        ),
        _MeterSpec(
            "G-FURN-1",
            "natural_gas",
            "m3",
            "cumulative",
            1,
            "submeter",
            "gas_f1",
            0.01,
            2,
            61_230_455,
            parent="G-MAIN",
            process="melting",
            equipment=("FURN-1",),
            accuracy="1.5",
        ),
        _MeterSpec(
            "G-FURN-2",
            "natural_gas",
            "m3",
            "interval",
            0.1,
            "submeter",
            "gas_f2",
            1,
            0,
            0,
            parent="G-MAIN",
            process="melting",
            equipment=("FURN-2",),
            accuracy="1.5",
        ),
    ]
    return m


REPLACED_METER = "E-DC-04"
REPLACED_AT_S = 10 * 3600 + 7 * 60 + 30  # 10:07:30, inside the interval ending 10:15
GAP_METER = "E-OFFICE"


@dataclass(frozen=True)
class _Controller:
    id: str
    line: int
    zone: int
    medium: str
    tolerance: float
    wander: float  # σ of the slow wander while producing [°C]
    ripple: float  # shot-cycle amplitude [°C]
    bias: float  # [°C]
    phase: float


@dataclass(frozen=True)
class _Stream:
    id: str
    kind: str
    medium: str
    source: str
    interval_s: int
    flow_unit: str
    t_ref_c: float | None


STREAMS = (
    _Stream("HS-FLUE-1", "available", "flue_gas", "FURN-1", 120, "Nm3/h", 20.0),
    _Stream("HS-FLUE-2", "available", "flue_gas", "FURN-2", 120, "Nm3/h", 20.0),
    _Stream("HS-COMP-AV", "available", "water", "COMP-1", 300, "t/h", 20.0),
    _Stream("HS-REC-1", "recovered", "water", "FURN-1", 300, "m3/h", None),
)


# ---------------------------------------------------------------------------------------------
# The clean plant and planted wastes (the waste detectors' test bench)

#: what the size of each planted waste means, and the unit of ``DemoInfo.planted_waste``
PLANTED: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "idle_holding": ("kW the holding furnaces (E-HOLD) draw 00:00-04:00 every day", "kWh"),
        "base_load": ("kW left on in the offices (E-OFFICE) all day on Sundays", "kWh"),
        "compressed_air_leakage": ("kW the compressors (E-COMP) draw 00:00-04:00", "kWh"),
        "scrap_embodied": ("scrap rate of every shift [fraction of pieces]", "kg"),
        "mold_instability": (
            "scrap rate per °C of daily mold temperature spread on line DC-05 [1/°C]",
            "kg",
        ),
        "unrecovered_heat": ("fraction of FURN-1 flue heat the recovery loop misses", "MJ"),
        "melting_efficiency": ("melting efficiency below the benchmark, every furnace", "MJ"),
        "power_factor": ("power factor at the gate meter (Q-MAIN kvarh beside E-MAIN)", "kvarh"),
    }
)
PLANTED_UNITS: Mapping[str, str] = MappingProxyType({k: v[1] for k, v in PLANTED.items()})
#: good-practice melting efficiencies the clean plant runs at (the detectors' benchmark)
CLEAN_EFF_GAS = 0.50
CLEAN_EFF_EL = 0.70
CLEAN_PF = 0.98
MOLD_LINE = 4  # DC-05: the line whose scrap follows its mold temperature spread when planted
PLANT_WINDOW = 240  # minutes 00:00-04:00: never producing, never next to a producing hour


# ---------------------------------------------------------------------------------------------
# Writing tables one chunk at a time


class _Sink:
    """Appends chunks of one table to ``NAME.csv`` (no quotes, header once) or ``NAME.parquet``."""

    def __init__(self, folder: Path, name: str, schema: pa.Schema, fmt: str) -> None:
        self.name = name
        self.fmt = fmt
        self.path = folder / f"{name}.{fmt}"
        self.rows = 0
        self.schema = schema
        self._fh: Any = None
        self._writer: Any = None
        for other in ("csv", "parquet"):  # a stale copy in the other format would be ambiguous
            stale = folder / f"{name}.{other}"
            if other != fmt and stale.exists():
                stale.unlink()

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        table = table.select(self.schema.names).cast(self.schema)
        if self._writer is None:
            if self.fmt == "csv":
                self._fh = open(self.path, "wb")  # noqa: SIM115 - closed in close()
                self._fh.write((",".join(self.schema.names) + "\n").encode())
                self._writer = pacsv.CSVWriter(
                    self._fh,
                    self.schema,
                    write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"),
                )
            else:
                self._writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        if self._writer is None:  # nothing written: still leave a valid, empty table
            if self.fmt == "csv":
                self.path.write_text(",".join(self.schema.names) + "\n", "utf-8")
            else:
                pq.write_table(self.schema.empty_table(), self.path, compression="zstd")
            return
        self._writer.close()
        if self._fh is not None:
            self._fh.close()


#: the files the demo writes, as a plant delivers them: the contract's
#: :data:`~thermaudit.dataset.contract.DEMO` layout (local wall time without offset, whole
#: pieces, dictionary-encoded ids)
_SCHEMAS: dict[str, pa.Schema] = arrow_schemas(DEMO)
TS = DEMO.arrow_type("timestamp")  # local wall time, no offset: the site's timezone applies
BIG_TABLES = ("readings", "mold_temperature", "heat_streams")


def _dict_array(codes: np.ndarray, names: list[str] | tuple[str, ...]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int16)), pa.array(list(names)))


def _ts(day: dt.date, seconds: np.ndarray) -> pa.Array:
    base = np.datetime64(day, "s")
    return pa.array(base + seconds.astype("timedelta64[s]"), TS)


# ---------------------------------------------------------------------------------------------
# Public entry point


#: who answers for a few tables and meters of the demo plant (site.yaml ``owners``)
DEMO_OWNERS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "readings": {"department": "设备动力部", "role": "能源管理员"},
        "production": {"department": "生产计划部"},
        "mold_temperature": {"department": "压铸车间", "role": "工艺工程师"},
        "calibrations": {"department": "质量部", "role": "计量管理员"},
        "E-MAIN": {"department": "设备动力部", "role": "电气主管", "person": "陈志强"},
        "G-FURN-1": {"department": "熔炼车间", "person": "李建华"},
    }
)


def write_demo(
    out: Path,
    *,
    scale: str = "default",
    seed: int = 2025,
    progress: Progress | None = None,
    days: int | None = None,
    waste: Mapping[str, float] | None = None,
    clean: bool = False,
) -> DemoInfo:
    """Write a synthetic die-casting plant dataset to ``out`` and return what it contains.

    Parameters
    ----------
    out : Path
        Dataset folder; created when missing. Table files of the same name are replaced.
    scale : str
        A key of :data:`SCALES`: ``default`` (one month, CSV), ``S``, ``M`` or ``L``.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives identical bytes.
    progress : callable, optional
        Called as ``progress("days", done, total)`` after each simulated day.
    days : int, optional
        Shorten the period to its first ``days`` days (tests, estimates of large scales).
    waste : mapping of str to float, optional
        Wastes to plant, by detector id, with their size (see :data:`PLANTED`): the plant is
        then the clean plant plus exactly these wastes, and ``DemoInfo.planted_waste`` holds
        the quantity each detector should find.
    clean : bool
        Write the clean plant: holding furnaces and compressors off when nothing runs, no
        standby firing, furnaces at the good-practice efficiency (gas 50 %, electric 70 %), no
        scrap, no waste-heat streams, a reactive meter at power factor 0.98. The default
        plant (neither ``waste`` nor ``clean``) is unchanged, byte for byte.

    Returns
    -------
    DemoInfo
        The generator's own known quantities for the written period.
    """
    if scale not in SCALES:
        raise UnknownScale(scale)
    sc = SCALES[scale]
    start = dt.date(2025, 12, 1) if sc.period == "month" else dt.date(2025, 1, 1)
    natural_end = dt.date(2025, 12, 31)
    n_days = (natural_end - start).days + 1
    if days is not None:
        if days < 1:
            raise ValueError(f"days must be at least 1 (found {days})")
        n_days = days
    planted = dict(waste or {})
    unknown = [k for k in planted if k not in PLANTED]
    if unknown:
        raise ValueError(
            f"unknown planted waste {unknown[0]!r}: expected one of {', '.join(PLANTED)}"
        )
    for k, v in planted.items():
        ok = v > 0 and (k not in ("scrap_embodied", "unrecovered_heat", "power_factor") or v < 1)
        if k == "melting_efficiency":
            ok = 0 < v < CLEAN_EFF_GAS
        if not ok:
            raise ValueError(f"planted waste {k!r}: size out of range (found {v}); {PLANTED[k][0]}")
    gen = _Generator(Path(out), sc, seed, start, n_days, progress, planted, clean or bool(planted))
    return gen.run()


class _Generator:
    def __init__(
        self,
        out: Path,
        sc: Scale,
        seed: int,
        start: dt.date,
        n_days: int,
        progress: Progress | None,
        planted: Mapping[str, float] | None = None,
        diag: bool = False,
    ) -> None:
        self.out = out
        self.planted = dict(planted or {})
        self.diag = diag  # the clean plant (plus planted wastes)
        self.sc = sc
        self.seed = seed
        self.start = start
        self.n_days = n_days
        self.end = start + dt.timedelta(days=n_days - 1)
        self.dates = [start + dt.timedelta(days=i) for i in range(n_days)]
        self.progress = progress
        root = np.random.default_rng(seed)
        self.rng, self.mold_rng = root.spawn(2)
        self.meters = _meters()
        self.streams: tuple[_Stream, ...] = STREAMS
        if diag:
            self._setup_clean()
        self.events: list[PlantedEvent] = []
        self._setup_plant()

    # -- static description ------------------------------------------------------------------

    def _setup_plant(self) -> None:
        rng = self.rng
        self.controllers: list[_Controller] = []
        n = 0
        for li, count in enumerate(self.sc.controllers_per_line):
            for z in range(count):
                n += 1
                poor = li == 5 and z == count - 1  # one sluggish controller on the big machine
                water = li == 0
                self.controllers.append(
                    _Controller(
                        id=f"TCU-{n:02d}",
                        line=li,
                        zone=z,
                        medium="water" if water else "oil",
                        tolerance=2.0 if water else 1.0,
                        wander=0.65 if poor else float(rng.uniform(0.12, 0.3)),
                        ripple=0.55 if poor else float(rng.uniform(0.12, 0.35)),
                        bias=float(rng.uniform(-0.2, 0.2)) + (0.35 if poor else 0.0),
                        phase=float(rng.uniform(0, 2 * np.pi)),
                    )
                )
        self.scrap_base = {sku: p[5] for sku, p in PRODUCTS.items()}
        self.eff_gas = (0.425, 0.395)  # FURN-1 newer tower melter, FURN-2 older
        self.eff_el = 0.62
        if self.diag:
            d_eta = self.planted.get("melting_efficiency", 0.0)
            self.eff_gas = (CLEAN_EFF_GAS - d_eta, CLEAN_EFF_GAS - d_eta)
            self.eff_el = CLEAN_EFF_EL - d_eta
        # calendar, working days and where the planted things go
        self.working = [d not in HOLIDAYS_2025 and d.weekday() < 5 for d in self.dates]
        work_idx = [i for i, w in enumerate(self.working) if w]

        def nth_working(k: int) -> int | None:
            return work_idx[min(k, len(work_idx) - 1)] if work_idx else None

        self.dup_day = nth_working(1)
        self.gap_day = nth_working(2)
        self.maint_day = nth_working(int(len(work_idx) * 0.4))
        self.replace_day = self.n_days // 2
        # the quality department's planted scrap count, and the unplanned stop (last day
        # without shifts: a breakdown found on the weekend round)
        self.quality_day = nth_working(3)
        rest = [i for i, w in enumerate(self.working) if not w]
        self.unplanned_day = rest[-1] if rest else None
        self.stops: list[Stop] = []
        self.prod_log: list[dict[str, Any]] = []
        self.office_gap_day = min(self.n_days - 1, self.n_days // 2 + 1)

    def _setup_clean(self) -> None:
        """The clean plant's static differences: a reactive-energy meter beside E-MAIN, the
        compressor heat meter tied to COMP-1, and only the FURN-1 recovery loop's streams when
        unrecovered heat is planted (no waste-heat stream otherwise)."""
        self.meters = [
            _replace(m, equipment=("COMP-1",)) if m.id == "H-REC-COMP" else m for m in self.meters
        ]
        self.meters.append(
            _MeterSpec(
                "Q-MAIN",
                "electricity",
                "kvarh",
                "cumulative",
                1200,
                "supply",
                "reactive",
                0.01,
                2,
                95_310,
                accuracy="1.0",
                quantity="reactive",
                active_meter="E-MAIN",
            )
        )
        keep = ("HS-FLUE-1", "HS-REC-1") if "unrecovered_heat" in self.planted else ()
        self.streams = tuple(s for s in STREAMS if s.id in keep)
        rng = np.random.default_rng([self.seed, 6])  # its own stream: the plant's is untouched
        self.mold_mult = rng.uniform(1.0, 5.0, self.n_days)
        self.spread: dict[int, float] = {}
        self.mold_days: list[tuple[float, float]] = []  # (spread, pieces) of MOLD_LINE
        self.theo_by_furnace: dict[str, float] = {}
        self.planted_kwh: dict[str, float] = {}

    def _shifts(self, li: int, d: dt.date) -> tuple[tuple[int, int], ...]:
        if d in HOLIDAYS_2025 or d.weekday() == 6:
            return ()
        if d.weekday() == 5:
            return (SHIFT_A,) if li < 4 else (SHIFT_A, SHIFT_B)
        return (SHIFT_A, SHIFT_B)

    # -- main loop --------------------------------------------------------------------------

    def run(self) -> DemoInfo:
        t0 = time.perf_counter()
        self.out.mkdir(parents=True, exist_ok=True)
        fmt = {t: (self.sc.big_format if t in BIG_TABLES else "csv") for t in _SCHEMAS}
        sinks = {t: _Sink(self.out, t, _SCHEMAS[t], fmt[t]) for t in _SCHEMAS}
        (self.out / "site.yaml").write_text(self._site_yaml(), "utf-8")

        # carried state
        self.cum = {m.id: 0.0 for m in self.meters}  # raw register units since period start
        self.count0 = {m.id: m.r0 for m in self.meters}
        self.count_prev = {m.id: m.r0 for m in self.meters}
        self.offset = {m.id: 0 for m in self.meters}  # display = offset + count (replacement)
        self.disp_prev: dict[str, int] = {}
        self.month_amount: dict[tuple[str, int, int], float] = {}
        n_ctrl = len(self.controllers)
        self.mold_T = np.full(n_ctrl, AMBIENT_MOLD_C)
        self.sku_of_line = [self._sku_for(li, self.start) for li in range(len(LINES))]
        self.sp_offset = np.zeros(n_ctrl)
        self._sp_last = np.array(
            [PRODUCTS[self.sku_of_line[c.line]][8] - 12 * c.zone for c in self.controllers]
        )
        self.good_kg: dict[str, float] = dict.fromkeys(PRODUCTS, 0.0)
        self.scrap_kg: dict[str, float] = dict.fromkeys(PRODUCTS, 0.0)
        self.metal_kg = 0.0
        self.good_month: dict[dt.date, float] = {}  # good castings [kg] by month
        self.theo_mj = 0.0
        self.stream_gj = {s.id: 0.0 for s in self.streams}
        self.unmetered = {"electricity_kwh": 0.0, "natural_gas_m3": 0.0}
        self.mold_rows = 0
        self.meter_events: list[dict[str, Any]] = []

        for di, day in enumerate(self.dates):
            self._day(di, day, sinks)
            if self.progress is not None:
                self.progress("days", di + 1, self.n_days)

        sinks["calibrations"].write(self._calibrations())
        sinks["meter_events"].write(
            pa.Table.from_pylist(self.meter_events, _SCHEMAS["meter_events"])
        )
        sinks["energy_purchases"].write(self._purchases())
        sinks["green_certificates"].write(self._green_certificates())
        for s in sinks.values():
            s.close()

        consumption = {}
        for m in self.meters:
            counts = self.count_prev[m.id] - self.count0[m.id]
            consumption[m.id] = counts * m.res * m.multiplier
        files = {t: s.path.name for t, s in sinks.items()}
        rows = {t: s.rows for t, s in sinks.items()}
        nbytes = sum(s.path.stat().st_size for s in sinks.values())
        nbytes += (self.out / "site.yaml").stat().st_size
        # the commercial tables (customers, certifications) feed the export priorities
        # the hourly outdoor temperature gives the baseline its degree-days
        # the metal bought feeds the cradle-to-gate product footprint
        written = {
            **write_commerce(self.out),
            **write_weather(self.out, self.seed),
            **write_metal_inputs(self.out, self._metal_days()),
            **write_deliveries(
                self.out, {sku: kg / PRODUCTS[sku][2] for sku, kg in self.good_kg.items()}
            ),
            # the maintenance log and the quality record, for the cross-department checks
            **self._departments(),
        }
        for table, n in written.items():
            files[table] = f"{table}.csv"
            rows[table] = n
            nbytes += (self.out / files[table]).stat().st_size
        elapsed = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        return DemoInfo(
            path=self.out,
            scale=self.sc.name,
            seed=self.seed,
            period_start=self.start,
            period_end=self.end,
            files=MappingProxyType(files),
            rows=MappingProxyType(rows),
            bytes_written=nbytes,
            meter_consumption=MappingProxyType(consumption),
            meter_unit=MappingProxyType({m.id: m.unit for m in self.meters}),
            unmetered=MappingProxyType(dict(self.unmetered)),
            good_mass_kg=sum(self.good_kg.values()),
            scrap_mass_kg=sum(self.scrap_kg.values()),
            good_mass_kg_by_sku=MappingProxyType(dict(self.good_kg)),
            scrap_mass_kg_by_sku=MappingProxyType(dict(self.scrap_kg)),
            metal_melted_kg=self.metal_kg,
            melting_theoretical_mj=self.theo_mj,
            natural_gas_ncv_mj_per_m3=NCV_MJ_PER_M3,
            heat_stream_gj=MappingProxyType(dict(self.stream_gj)),
            mold_samples=self.mold_rows,
            events=tuple(self.events),
            variant=("planted" if self.planted else "clean") if self.diag else "default",
            planted_waste=MappingProxyType(self._planted_truth(consumption)),
            elapsed_s=elapsed,
            peak_rss_mb=rss,
        )

    def _departments(self) -> dict[str, int]:
        """Write ``maintenance`` and ``quality`` (:mod:`thermaudit.demo.departments`) and
        record what they plant."""
        if self.unplanned_day is not None:
            day = dt.datetime.combine(self.dates[self.unplanned_day], dt.time())
            stop = Stop(
                "DCM-05",
                day + dt.timedelta(hours=8),
                day + dt.timedelta(hours=15),
                "unplanned",
                "hydraulic leak found on the weekend round; pump seal replaced",
            )
            self.stops.append(stop)
            self.events.append(PlantedEvent("unplanned_stop", "DCM-05", stop.start, stop.end))
        rows = write_maintenance(self.out, self.stops)
        planted = None
        if self.quality_day is not None:
            planted = (self.dates[self.quality_day], LINES[1])
        written, truth = write_quality(self.out, self.prod_log, planted)
        if planted is not None and truth is not None:
            at = dt.datetime.combine(planted[0], dt.time())
            self.events.append(PlantedEvent("quality_scrap_mismatch", planted[1], at, None, truth))
        return {**rows, **written}

    def _metal_days(self) -> dict[dt.date, float]:
        """Each month's good mass, dated on the month's first day inside the period."""
        return {max(month, self.start): kg for month, kg in self.good_month.items() if kg > 0}

    def _planted_truth(self, consumption: Mapping[str, float]) -> dict[str, float]:
        """The quantity each planted waste amounts to over the period (:data:`PLANTED_UNITS`)."""
        out: dict[str, float] = {}
        for name, size in self.planted.items():
            if name in ("idle_holding", "base_load", "compressed_air_leakage"):
                out[name] = self.planted_kwh.get(name, 0.0)
            elif name == "scrap_embodied":
                out[name] = sum(self.scrap_kg.values())  # the clean plant makes no scrap
            elif name == "mold_instability":
                s_min = min((s for s, _ in self.mold_days), default=0.0)
                out[name] = sum(size * (s - s_min) * kg for s, kg in self.mold_days)
            elif name == "unrecovered_heat":
                out[name] = 1000.0 * (self.stream_gj["HS-FLUE-1"] - self.stream_gj["HS-REC-1"])
            elif name == "melting_efficiency":
                energy_mj = {
                    "FURN-1": consumption["G-FURN-1"] * NCV_MJ_PER_M3,
                    "FURN-2": consumption["G-FURN-2"] * NCV_MJ_PER_M3,
                    "FURN-3": consumption["E-FURN-3"] * MJ_PER_KWH,
                }
                bench = {"FURN-1": CLEAN_EFF_GAS, "FURN-2": CLEAN_EFF_GAS, "FURN-3": CLEAN_EFF_EL}
                out[name] = float(
                    sum(
                        energy_mj[f] - self.theo_by_furnace.get(f, 0.0) / bench[f]
                        for f in energy_mj
                    )
                )
            elif name == "power_factor":
                p, q = consumption["E-MAIN"], consumption["Q-MAIN"]
                out[name] = q - p * float(np.tan(np.arccos(0.90)))
        return out

    # -- one day ----------------------------------------------------------------------------

    def _day(self, di: int, day: dt.date, sinks: dict[str, _Sink]) -> None:
        states, sp_min, line_sku = self._schedule(di, day)
        if self.diag:  # the mold spread drives the scrap (mold_rng: the plant's draws unchanged)
            mold = self._mold(di, day, states, sp_min, line_sku)
            self.mold_rows += mold.num_rows
            sinks["mold_temperature"].write(mold)
        prod_rows, good_by_line = self._production(day, states, line_sku)
        sinks["production"].write(pa.Table.from_pylist(prod_rows, _SCHEMAS["production"]))
        self.prod_log += prod_rows
        first = day.replace(day=1)
        self.good_month[first] = self.good_month.get(first, 0.0) + float(sum(good_by_line))
        melt_rate, melt_table = self._melting(day, sum(good_by_line))
        sinks["melting"].write(melt_table)
        sig = self._loads(di, day, states, melt_rate)
        sinks["readings"].write(self._readings(di, day, sig))
        sinks["heat_streams"].write(self._heat_streams(day, sig))
        if not self.diag:
            mold = self._mold(di, day, states, sp_min, line_sku)
            self.mold_rows += mold.num_rows
            sinks["mold_temperature"].write(mold)

    def _schedule(self, di: int, day: dt.date) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Line states per minute (6 x 1440) and controller setpoints per minute."""
        rng = self.rng
        states = np.full((len(LINES), 1440), OFF, dtype=np.int8)
        ctrl = self.controllers
        sp_min = np.empty((len(ctrl), 1440))
        base_dt = dt.datetime.combine(day, dt.time())
        die_change_end: dict[int, int] = {}
        for li in range(len(LINES)):
            shifts = self._shifts(li, day)
            old_sku = self.sku_of_line[li]
            if not shifts:
                continue
            st = states[li]
            run_start, run_end = shifts[0][0], shifts[-1][1]
            want = self._sku_for(li, day)
            if want != old_sku:
                m_end = run_start + 90
                st[run_start:m_end] = MAINT
                warm = m_end
                run_start = m_end + 45
                st[warm:run_start] = WARMUP
                die_change_end[li] = m_end
                self.sku_of_line[li] = want
                self.events.append(
                    PlantedEvent(
                        "die_change",
                        LINES[li],
                        base_dt + dt.timedelta(minutes=int(m_end) - 90),
                        base_dt + dt.timedelta(minutes=int(m_end)),
                        {"from": old_sku, "to": want},
                    )
                )
            else:
                warm_len = int(rng.integers(40, 56))
                st[run_start - warm_len : run_start] = WARMUP
            st[run_start:run_end] = PROD
            st[run_end : run_end + 15] = IDLE
            for a, b in shifts:
                for _ in range(int(rng.poisson(1.6))):
                    s0 = int(rng.integers(max(a, run_start) + 20, b - 20))
                    st[s0 : s0 + int(rng.integers(5, 36))] = IDLE
            if di == self.maint_day and li == 2:
                st[600:840] = MAINT
                st[840:870] = WARMUP
                self.events.append(
                    PlantedEvent(
                        "maintenance",
                        LINES[li],
                        base_dt + dt.timedelta(hours=10),
                        base_dt + dt.timedelta(hours=14),
                        {"reason": "die repair"},
                    )
                )
                self.stops.append(
                    Stop(
                        f"DCM-0{li + 1}",
                        base_dt + dt.timedelta(hours=10),
                        base_dt + dt.timedelta(hours=14),
                        "planned",
                        "die repair",
                    )
                )
        # setpoints
        line_sku = list(self.sku_of_line)
        for ci, c in enumerate(ctrl):
            sku = line_sku[c.line]
            new_sp = PRODUCTS[sku][8] - 12 * c.zone
            if c.line in die_change_end:
                m_end = die_change_end[c.line]
                old_sp = self._sp_prev(ci)
                self.sp_offset[ci] = 0.0
                sp_min[ci, :m_end] = old_sp
                sp_min[ci, m_end:] = new_sp
                self._setpoint_event(c, base_dt, m_end, old_sp, new_sp, "die change")
            else:
                sp_min[ci] = new_sp + self.sp_offset[ci]
            shifts = self._shifts(c.line, day)
            if shifts and rng.random() < 0.12:
                tm = int(rng.integers(shifts[0][0] + 90, shifts[-1][1] - 120))
                delta = float(rng.choice([-5.0, -3.0, -2.0, 2.0, 3.0, 5.0]))
                if self.sp_offset[ci] != 0:  # operators steer back towards the die's setpoint
                    delta = -np.sign(self.sp_offset[ci]) * min(
                        abs(delta), abs(self.sp_offset[ci]) + 2
                    )
                old = float(sp_min[ci, tm])
                sp_min[ci, tm:] = old + delta
                self.sp_offset[ci] += delta
                self._setpoint_event(c, base_dt, tm, old, old + delta, "operator")
        self._sp_last = sp_min[:, -1].copy()
        return states, sp_min, line_sku

    @staticmethod
    def _sku_for(li: int, day: dt.date) -> str:
        """Lines with two dies alternate them every other ISO week."""
        skus = LINE_SKUS[li]
        return skus[(day.isocalendar().week // 2 + li) % len(skus)]

    def _sp_prev(self, ci: int) -> float:
        return float(self._sp_last[ci])

    def _setpoint_event(
        self, c: _Controller, base: dt.datetime, minute: int, old: float, new: float, why: str
    ) -> None:
        # the first sample with the new setpoint is the first one after minute's start
        at = base + dt.timedelta(seconds=minute * 60 + self.sc.mold_dt_s)
        self.events.append(
            PlantedEvent("setpoint_change", c.id, at, None, {"from": old, "to": new, "why": why})
        )

    def _production(
        self, day: dt.date, states: np.ndarray, line_sku: list[str]
    ) -> tuple[list[dict[str, Any]], list[float]]:
        rng = self.rng
        rows: list[dict[str, Any]] = []
        good_by_line = []
        for li, line in enumerate(LINES):
            sku = line_sku[li]
            p = PRODUCTS[sku]
            mass, cycle, cav = p[2], p[3], p[4]
            g_line = 0.0
            n_line = 0
            for name, (a, b) in (("A", SHIFT_A), ("B", SHIFT_B)):
                minutes = int(np.count_nonzero(states[li, a:b] == PROD))
                if minutes == 0:
                    continue
                total = int(minutes * 60 / cycle * cav * rng.uniform(0.95, 1.0))
                rate = float(np.clip(self.scrap_base[sku] + rng.normal(0, 0.006), 0.02, 0.06))
                scrap = int(rng.binomial(total, rate))
                if self.diag:
                    rate = self.planted.get("scrap_embodied", 0.0)
                    k = self.planted.get("mold_instability", 0.0)
                    if li == MOLD_LINE and k and li in self.spread:
                        rate += k * self.spread[li]
                    scrap = min(total, int(np.rint(total * rate)))
                good = total - scrap
                rows.append(
                    {
                        "date": day,
                        "sku": sku,
                        "line": line,
                        "shift": name,
                        "good_qty": good,
                        "scrap_qty": scrap,
                    }
                )
                self.good_kg[sku] += good * mass
                self.scrap_kg[sku] += scrap * mass
                g_line += good * mass
                n_line += total
            if self.diag and li == MOLD_LINE and n_line and li in self.spread:
                self.mold_days.append((self.spread[li], n_line * mass))
            good_by_line.append(g_line)
        return rows, good_by_line

    def _melting(self, day: dt.date, good_kg: float) -> tuple[dict[str, np.ndarray], pa.Table]:
        """Metal melted per minute by furnace [kg/min] and the batch rows."""
        rng = self.rng
        metal = good_kg / rng.uniform(0.85, 0.90) if good_kg > 0 else 0.0
        shares = (0.46, 0.40, 0.14)
        furnaces = (
            ("FURN-1", "ADC12", 60, range(5, 22)),
            ("FURN-2", "A380", 60, range(5, 22)),
            ("FURN-3", "ADC12", 120, range(6, 22, 2)),
        )
        rate = {f[0]: np.zeros(1440) for f in furnaces}
        energy_kj_per_kg = {f[0]: np.zeros(1440) for f in furnaces}
        ts, fid, kg, alloy, tap = [], [], [], [], []
        for (name, al, span, hours), share in zip(furnaces, shares, strict=True):
            if metal <= 0:
                continue
            w = rng.gamma(20.0, size=len(hours))
            taps = np.round(metal * share * w / w.sum() / 5) * 5
            temps = np.round(np.clip(rng.normal(715, 9, len(hours)), 690, 740), 1)
            for h, m_kg, t_c in zip(hours, taps, temps, strict=True):
                end = h * 60
                rate[name][end - span : end] = m_kg / span
                q = 0.90 * (660 - 20) + 397 + 1.18 * (t_c - 660)  # kJ/kg, metrics.md §4
                energy_kj_per_kg[name][end - span : end] = q
                self.metal_kg += float(m_kg)
                self.theo_mj += float(m_kg) * q / 1000
                if self.diag:
                    self.theo_by_furnace[name] = (
                        self.theo_by_furnace.get(name, 0.0) + float(m_kg) * q / 1000
                    )
                ts.append(h * 3600)
                fid.append(name)
                kg.append(float(m_kg))
                alloy.append(al)
                tap.append(float(t_c))
        table = (
            pa.table(
                {
                    "timestamp": _ts(day, np.array(ts, dtype=np.int64)),
                    "furnace_id": pa.array(fid, pa.string()),
                    "metal_kg": pa.array(kg, pa.float64()),
                    "alloy": pa.array(alloy, pa.string()),
                    "tap_temp_c": pa.array(tap, pa.float64()),
                }
            )
            if ts
            else _SCHEMAS["melting"].empty_table()
        )
        order = np.lexsort((np.array(fid), np.array(ts))) if ts else np.array([], dtype=int)
        table = table.take(pa.array(order, pa.int64()))
        return {"rate": rate, "q": energy_kj_per_kg}, table  # type: ignore[dict-item]

    def _loads(
        self, di: int, day: dt.date, states: np.ndarray, melt: dict[str, Any]
    ) -> dict[str, np.ndarray]:
        """Per-minute signals: electricity [kW], gas [m3/h], heat [GJ/h], streams."""
        rng = self.rng
        m = np.arange(1440)
        hour = (m + 0.5) / 60
        holiday = day in HOLIDAYS_2025
        any_shift = any(self._shifts(li, day) for li in range(len(LINES)))
        weekday = day.weekday() < 5 and not holiday
        sig: dict[str, np.ndarray] = {}

        def noise(s: float) -> np.ndarray:
            return 1 + rng.normal(0, s, 1440)

        prod = states == PROD
        idle = states == IDLE
        warm = states == WARMUP
        total = np.zeros(1440)
        for li in range(len(LINES)):
            st = states[li]
            dcm_f = np.select(
                [st == PROD, st == IDLE, st == WARMUP, st == MAINT], [0.45, 0.22, 0.15, 0.05], 0.012
            )
            tcu_f = np.select([st == WARMUP, st == PROD, st == IDLE], [0.9, 0.3, 0.45], 0.0)
            aux = np.select([st == PROD, st == IDLE, st == WARMUP], [6.0, 2.0, 2.0], 0.3)
            line_kw = (DCM_KW[li] * dcm_f + TCU_KW * TCU_PER_LINE_ENERGY[li] * tcu_f) * noise(0.04)
            sig[f"line{li}"] = line_kw + aux
            total += sig[f"line{li}"]
        # holding furnaces: keep metal molten all week, drained on holidays
        hold = np.zeros(1440)
        for li in range(len(LINES)):
            if holiday:
                f = np.full(1440, 0.05)
            elif self._shifts(li, day):
                f = np.where(prod[li], 0.62, 0.42)
            else:
                f = np.full(1440, 0.38)
            if self.diag:  # clean: a holding furnace heats only while its line produces
                f = np.where(prod[li], 0.62, 0.0)
            hold += HOLD_KW * f
        sig["hold"] = hold * noise(0.03)
        comp = 18.0 + (prod * (10 + 0.08 * np.array(DCM_KW))[:, None]).sum(0)
        comp += 4 * idle.sum(0) + 3 * warm.sum(0)
        sig["comp"] = (np.minimum(comp, 215.0) if not holiday else np.full(1440, 4.0)) * noise(0.05)
        if self.diag:  # clean: compressors off unless a line runs
            sig["comp"] = np.where((prod | idle | warm).any(0), sig["comp"], 0.0)
            window = m < PLANT_WINDOW
            for key, name in (("hold", "idle_holding"), ("comp", "compressed_air_leakage")):
                kw = self.planted.get(name, 0.0)
                if kw:
                    sig[key] = sig[key] + np.where(window, kw, 0.0)
                    self._add_planted(name, kw * PLANT_WINDOW / 60)
        # electric melting furnace
        kwh_per_kg = melt["q"]["FURN-3"] / (self.eff_el * 3600)
        furn3_base = 0.0 if self.diag else (1.0 if holiday else 10.0)
        sig["furn3"] = melt["rate"]["FURN-3"] * 60 * kwh_per_kg + furn3_base
        shift_time = (m >= 360) & (m < 1320)
        cnc_on = shift_time & weekday
        sig["cnc"] = np.where(cnc_on, 33.0, 1.5) * noise(0.06)
        summer = 1.6 if day.month in (6, 7, 8, 9) else 1.0
        office_day = (m >= 480) & (m < 1080) & weekday
        sig["office"] = (6.0 + np.where(office_day, 28.0 * summer, 0.0)) * noise(0.05)
        kw = self.planted.get("base_load", 0.0)
        if kw and (day.weekday() == 6 or holiday):
            sig["office"] = sig["office"] + kw  # lights and air conditioning left on
            self._add_planted("base_load", kw * 24)
        meals = np.zeros(1440)
        for a, b, kw in ((390, 480, 25), (630, 780, 55), (990, 1140, 45), (1260, 1350, 20)):
            meals[a:b] = kw
        canteen = 6.0 + meals * (1.0 if weekday else 0.35)
        sig["canteen"] = (np.full(1440, 1.5) if holiday else canteen) * noise(0.08)
        rest = 13.0 + np.where(shift_time & any_shift, 28.0, 0.0) + 2.5 * prod.sum(0)
        sig["rest"] = rest * noise(0.05)
        load = (
            total
            + sig["hold"]
            + sig["comp"]
            + sig["furn3"]
            + sig["cnc"]
            + sig["office"]
            + sig["canteen"]
            + sig["rest"]
        )
        # PV: 300 kWp on the casting hall roof, Foshan (solar noon ~12:25)
        doy = day.timetuple().tm_yday
        daylen = 12 + 1.6 * np.sin(2 * np.pi * (doy - 80) / 365)
        sunrise = 12.42 - daylen / 2
        shape = np.clip(np.sin(np.pi * (hour - sunrise) / daylen), 0, None) ** 1.2
        cloud = rng.beta(5, 2)
        knots = np.exp(rng.normal(0, 0.15, 49))
        flicker = np.interp(m, np.arange(49) * 30, knots)
        season = 0.9 + 0.1 * np.sin(2 * np.pi * (doy - 80) / 365)
        pv = 300 * 0.8 * season * shape * cloud * flicker
        sig["pv"] = np.clip(np.minimum(pv, load - 20.0), 0, None)
        sig["grid"] = load - sig["pv"]
        self.unmetered["electricity_kwh"] += float(sig["rest"].sum() / 60)
        # gas furnaces
        for k, (fname, key) in enumerate((("FURN-1", "gas_f1"), ("FURN-2", "gas_f2"))):
            eff = float(np.clip(rng.normal(self.eff_gas[k], 0.008), 0.37, 0.46))
            if self.diag:
                eff = self.eff_gas[k]
            melting = melt["rate"][fname] * 60 * melt["q"][fname] / (eff * NCV_MJ_PER_M3 * 1000)
            standby = 0.0 if holiday else (7.0 if any_shift else 5.0)
            gas = np.where(melting > 0, melting, standby) * noise(0.03)
            if self.diag:  # clean: no standby firing, the gas the metal needs at eff
                gas = melting
            sig[key] = gas
        ladle = 0.6 * prod.sum(0) * noise(0.1)
        self.unmetered["natural_gas_m3"] += float(ladle.sum() / 60)
        sig["gas_total"] = sig["gas_f1"] + sig["gas_f2"] + ladle
        # flue gas and heat recovery
        for k, key in enumerate(("gas_f1", "gas_f2")):
            g = sig[key]
            flow = g * FLUE_NM3_PER_M3 * rng.uniform(1.0, 1.05) + 150 * noise(0.05)
            t_hot = 140 + 170 * np.minimum(g / 100, 1.2) + rng.normal(0, 4, 1440)
            sig[f"flue{k}_flow"] = flow
            sig[f"flue{k}_t"] = t_hot
        q_flue1_kw = sig["flue0_flow"] * CP_FLUE * (sig["flue0_t"] - 20) / 3600
        q_rec1_kw = 0.33 * q_flue1_kw
        if self.diag:
            q_rec1_kw = (1.0 - self.planted.get("unrecovered_heat", 0.0)) * q_flue1_kw
        sig["rec1_flow"] = np.full(1440, 3.0) * noise(0.01)
        sig["rec1_tc"] = 42 + rng.normal(0, 0.3, 1440)
        sig["rec1_th"] = sig["rec1_tc"] + q_rec1_kw * 3600 / (sig["rec1_flow"] * 1000 * CP_WATER)
        q_comp_kw = 0.78 * sig["comp"]
        sig["comp_flow"] = np.full(1440, 3.0) * noise(0.01)
        sig["comp_tc"] = 33 + rng.normal(0, 0.3, 1440)
        sig["comp_th"] = sig["comp_tc"] + q_comp_kw * 3600 / (sig["comp_flow"] * 1000 * CP_WATER)
        sig["heat_rec_comp"] = 0.55 * q_comp_kw * 3.6e-3  # GJ/h
        sig["heat_export"] = 0.45 * q_rec1_kw * 3.6e-3
        if self.diag:
            pf = self.planted.get("power_factor", CLEAN_PF)
            sig["reactive"] = sig["grid"] * np.tan(np.arccos(pf))  # kvar
        return sig

    def _add_planted(self, name: str, kwh: float) -> None:
        self.planted_kwh[name] = self.planted_kwh.get(name, 0.0) + kwh

    # -- meters -----------------------------------------------------------------------------

    def _readings(self, di: int, day: dt.date, sig: dict[str, np.ndarray]) -> pa.Table:
        codes, secs, vals = [], [], []
        base_dt = dt.datetime.combine(day, dt.time())
        for mi, m in enumerate(self.meters):
            k = m.interval_s // 60
            per_min = sig[m.signal] / 60  # amount per minute in the meter's unit
            amounts = per_min.reshape(-1, k).sum(1)
            ends = np.arange(1, 1440 // k + 1) * m.interval_s
            first_disp = self.offset[m.id] + self.count_prev[m.id]
            cum = self.cum[m.id] + np.cumsum(amounts / m.multiplier)
            counts = m.r0 + np.rint(cum / m.res).astype(np.int64)
            if m.reading == "interval":
                prev = np.concatenate(([self.count_prev[m.id]], counts[:-1]))
                disp = counts - prev
                t_sec = ends
            else:
                if m.id == REPLACED_METER and di == self.replace_day:
                    minute = REPLACED_AT_S // 60
                    cum_e = (
                        self.cum[m.id]
                        + (per_min[:minute].sum() + 0.5 * per_min[minute]) / m.multiplier
                    )
                    c_e = m.r0 + int(np.rint(cum_e / m.res))
                    new_initial = 0
                    old_final = self.offset[m.id] + c_e
                    after = ends > REPLACED_AT_S
                    self.meter_events.append(
                        {
                            "meter_id": m.id,
                            "timestamp": base_dt + dt.timedelta(seconds=REPLACED_AT_S),
                            "event": "replaced",
                            "old_final": round(old_final * m.res, m.decimals),
                            "new_initial": round(new_initial * m.res, m.decimals),
                        }
                    )
                    disp = self.offset[m.id] + counts
                    self.offset[m.id] = new_initial - c_e
                    disp[after] = self.offset[m.id] + counts[after]
                    self.events.append(
                        PlantedEvent(
                            "replaced",
                            m.id,
                            base_dt + dt.timedelta(seconds=REPLACED_AT_S),
                            None,
                            {
                                "old_final": round(old_final * m.res, m.decimals),
                                "new_initial": new_initial * m.res,
                            },
                        )
                    )
                else:
                    disp = self.offset[m.id] + counts
                t_sec = ends
                if di == 0:
                    disp = np.concatenate(([first_disp], disp))
                    t_sec = np.concatenate(([0], ends))
                if m.rollover is not None:
                    modulus = round(m.rollover / m.res)
                    disp = disp % modulus
                    last = self.disp_prev.get(m.id)
                    chain = disp if last is None else np.concatenate(([last], disp))
                    for j in np.flatnonzero(np.diff(chain) < 0):
                        tj = int(t_sec[j + 1 if last is None else j])
                        self.events.append(
                            PlantedEvent(
                                "rollover",
                                m.id,
                                base_dt + dt.timedelta(seconds=tj),
                                None,
                                {
                                    "previous": round(float(chain[j]) * m.res, m.decimals),
                                    "current": round(float(chain[j + 1]) * m.res, m.decimals),
                                    "rollover": m.rollover,
                                },
                            )
                        )
                    self.disp_prev[m.id] = int(disp[-1])
                if m.id == GAP_METER and di == self.office_gap_day and self.n_days > 1:
                    keep = (t_sec < 2 * 3600 + 900) | (t_sec > 4 * 3600 + 2700)
                    self.events.append(
                        PlantedEvent(
                            "reading_gap",
                            m.id,
                            base_dt + dt.timedelta(hours=2, minutes=15),
                            base_dt + dt.timedelta(hours=4, minutes=45),
                            {"missing_readings": int((~keep).sum())},
                        )
                    )
                    disp, t_sec = disp[keep], t_sec[keep]
            if m.id in ("E-MAIN", "G-MAIN"):
                key = (m.id, day.year, day.month)
                self.month_amount[key] = self.month_amount.get(key, 0.0) + float(
                    (counts[-1] - self.count_prev[m.id]) * m.res * m.multiplier
                )
            self.cum[m.id] = float(cum[-1])
            self.count_prev[m.id] = int(counts[-1])
            codes.append(np.full(len(t_sec), mi))
            secs.append(t_sec)
            vals.append(np.round(disp * m.res, m.decimals))
        c, s, v = np.concatenate(codes), np.concatenate(secs), np.concatenate(vals)
        order = np.lexsort((c, s))
        return pa.table(
            {
                "meter_id": _dict_array(c[order], [m.id for m in self.meters]),
                "timestamp": _ts(day, s[order]),
                "value": v[order],
            }
        )

    def _heat_streams(self, day: dt.date, sig: dict[str, np.ndarray]) -> pa.Table:
        rng = self.rng
        parts = []
        src = {
            "HS-FLUE-1": ("flue0_flow", "flue0_t", None, 1),
            "HS-FLUE-2": ("flue1_flow", "flue1_t", None, 1),
            "HS-COMP-AV": ("comp_flow", "comp_th", "comp_tc", 2),
            "HS-REC-1": ("rec1_flow", "rec1_th", "rec1_tc", 2),
        }
        if not self.streams:
            return _SCHEMAS["heat_streams"].empty_table()
        for si, s in enumerate(self.streams):
            k = s.interval_s // 60
            f_key, th_key, tc_key, dec = src[s.id]
            flow = np.round(sig[f_key].reshape(-1, k).mean(1), dec if s.medium == "water" else 1)
            th = np.round(sig[th_key].reshape(-1, k).mean(1) + rng.normal(0, 0.2, 1440 // k), 2)
            if tc_key is None:
                tc = np.full(len(flow), np.nan)
                dT = th - (s.t_ref_c or 0.0)
                mass_cp = flow * CP_FLUE
            else:
                tc = np.round(sig[tc_key].reshape(-1, k).mean(1), 2)
                dT = th - tc
                mass_cp = flow * 1000 * CP_WATER
            self.stream_gj[s.id] += float((mass_cp * dT).sum() * s.interval_s / 3600 / 1e6)
            ends = np.arange(1, len(flow) + 1) * s.interval_s
            parts.append((np.full(len(flow), si), ends, flow, th, tc))
        c, t, f, th, tc = (np.concatenate(x) for x in zip(*parts, strict=True))
        order = np.lexsort((c, t))
        c = c[order]
        units = sorted({s.flow_unit for s in self.streams})
        unit_code = np.array([units.index(s.flow_unit) for s in self.streams])
        return pa.table(
            {
                "timestamp": _ts(day, t[order]),
                "stream_id": _dict_array(c, [s.id for s in self.streams]),
                "flow": f[order],
                "flow_unit": _dict_array(unit_code[c], units),
                "t_hot_c": th[order],
                "t_cold_c": pa.array(tc[order], pa.float64(), from_pandas=True),
            }
        )

    # -- mold temperatures --------------------------------------------------------------------

    def _mold(
        self, di: int, day: dt.date, states: np.ndarray, sp_min: np.ndarray, line_sku: list[str]
    ) -> pa.Table:
        rng = self.mold_rng
        dt_s = self.sc.mold_dt_s
        n = 86400 // dt_s
        t = (np.arange(n, dtype=np.int64) + 1) * dt_s  # sample times: (00:00, 24:00]
        tf = t.astype(np.float64)
        minute = (t - 1) // 60  # the minute each sample reports on
        n_ctrl = len(self.controllers)
        sp_out = np.empty((n_ctrl, n))
        act_out = np.empty((n_ctrl, n))
        st_out = np.empty((n_ctrl, n), dtype=np.int8)
        knot_t = np.arange(0, 86401, 600, dtype=np.float64)
        for ci, c in enumerate(self.controllers):
            st_min = states[c.line]
            sp = sp_min[ci]
            on = (st_min == WARMUP) | (st_min == PROD) | (st_min == IDLE)
            kind = np.where(on, 1, np.where(st_min == MAINT, 2, 0))
            change = np.flatnonzero((np.diff(kind) != 0) | (np.diff(sp) != 0)) + 1
            bounds = np.concatenate(([0], change, [1440]))
            base = np.empty(n)
            temp = float(self.mold_T[ci])
            for m0, m1 in itertools.pairwise(bounds):
                s0, s1 = np.searchsorted(minute, [m0, m1])
                if kind[m0] == 1:
                    target, tau = float(sp[m0]), 600.0
                else:
                    target, tau = AMBIENT_MOLD_C, 3600.0 if kind[m0] == 2 else 9000.0
                base[s0:s1] = target + (temp - target) * np.exp(-(tf[s0:s1] - 60 * m0) / tau)
                temp = target + (temp - target) * np.exp(-60 * (m1 - m0) / tau)
            self.mold_T[ci] = temp
            st_s = st_min[minute]
            sigma = c.wander
            if self.diag and c.line == MOLD_LINE and "mold_instability" in self.planted:
                sigma *= float(self.mold_mult[di])  # a day-to-day varying stability
            wander = np.interp(tf, knot_t, rng.normal(0, sigma, len(knot_t)))
            cycle = PRODUCTS[line_sku[c.line]][3]
            ripple = c.ripple * np.sin(2 * np.pi * tf / cycle + c.phase)
            err = rng.normal(0, 0.08, n)
            err += np.where(st_s == PROD, c.bias + wander + ripple, 0.0)
            err += np.where(st_s == IDLE, 0.5 * wander - 0.25, 0.0)
            act_out[ci] = base + err
            sp_out[ci] = sp[minute]
            st_out[ci] = _STATE_CODE[st_s]
        # time-major rows; per-shot duplicates and a logger gap as planted events
        times = np.repeat(t, n_ctrl)
        ctrl = np.tile(np.arange(n_ctrl, dtype=np.int16), n)
        sp_c, act, stc = sp_out.T.ravel(), act_out.T.ravel(), st_out.T.ravel()
        counts = None
        base_dt = dt.datetime.combine(day, dt.time())
        if di == self.dup_day:
            ci = next(i for i, c in enumerate(self.controllers) if c.line == 4)
            sel = (ctrl == ci) & (times > 9 * 3600) & (times <= 11 * 3600)
            counts = np.where(sel, 2, 1)
            self.events.append(
                PlantedEvent(
                    "duplicate_timestamps",
                    self.controllers[ci].id,
                    base_dt + dt.timedelta(hours=9),
                    base_dt + dt.timedelta(hours=11),
                    {"extra_rows": int(sel.sum())},
                )
            )
        if di == self.gap_day:
            ci = 1
            sel = (ctrl == ci) & (times > 15 * 3600) & (times <= 15 * 3600 + 25 * 60)
            counts = np.where(sel, 0, 1) if counts is None else np.where(sel, 0, counts)
            self.events.append(
                PlantedEvent(
                    "mold_logger_gap",
                    self.controllers[ci].id,
                    base_dt + dt.timedelta(hours=15),
                    base_dt + dt.timedelta(hours=15, minutes=25),
                    {"missing_rows": int(sel.sum())},
                )
            )
        if counts is not None:
            idx = np.repeat(np.arange(len(times)), counts)
            times, ctrl, sp_c, act, stc = times[idx], ctrl[idx], sp_c[idx], act[idx], stc[idx]
            second = np.concatenate(([False], idx[1:] == idx[:-1]))
            act = act + np.where(second, rng.normal(0, 0.15, len(act)), 0.0)
        if self.diag:  # each line's spread of the error, as the written rows show it
            self.spread = {}
            e = np.round(act, 2) - np.round(sp_c, 1)
            producing = stc == 0
            for li in range(len(LINES)):
                ids = [i for i, c in enumerate(self.controllers) if c.line == li]
                sel = producing & np.isin(ctrl, ids)
                if sel.sum() > 1:
                    self.spread[li] = float(e[sel].std())
        return pa.table(
            {
                "timestamp": _ts(day, times),
                "controller_id": _dict_array(ctrl, [c.id for c in self.controllers]),
                "setpoint_c": np.round(sp_c, 1),
                "actual_c": np.round(act, 2),
                "state": _dict_array(stc, MOLD_STATES),
            }
        )

    # -- small tables -----------------------------------------------------------------------

    def _calibrations(self) -> pa.Table:
        rng = self.rng
        start, end = self.start, self.end
        length = (end - start).days + 1
        mid = start + dt.timedelta(days=length // 2)
        expiring = start + dt.timedelta(days=max(0, int(length * 0.6) - 1))
        labs = ("广东省计量科学研究院", "佛山市质量计量监督检测中心")
        rows: list[dict[str, Any]] = []
        serial = 0

        def cert(inst: str, on: dt.date, until: dt.date, u: float, unit: str) -> None:
            nonlocal serial
            serial += 1
            rows.append(
                {
                    "instrument_id": inst,
                    "certificate_no": f"GDJL{on.year}-{serial:05d}",
                    "calibrated_on": on,
                    "valid_until": until,
                    "lab": labs[serial % 2],
                    "expanded_uncertainty": u,
                    "uncertainty_unit": unit,
                    "k": 2.0,
                }
            )

        def u_of(acc: str) -> float:
            return float(acc.rstrip("S%")) * 0.4

        for m in self.meters:
            if m.id == "E-MAIN":  # two certificates that chain: valid_until d, next on d + 1
                cert(m.id, mid - dt.timedelta(days=366), mid - dt.timedelta(days=1), 0.2, "%")
                cert(m.id, mid, mid + dt.timedelta(days=365), 0.2, "%")
                continue
            on = start - dt.timedelta(days=int(rng.integers(30, 300)))
            cert(m.id, on, on + dt.timedelta(days=729), round(u_of(m.accuracy), 2), "%")
        for i, c in enumerate(self.controllers):
            if i == 3:
                self.events.append(PlantedEvent("calibration_missing", c.id))
                continue
            if i == 1:
                on = expiring - dt.timedelta(days=364)
                cert(c.id, on, expiring, 0.3, "C")
                self.events.append(
                    PlantedEvent(
                        "calibration_expires",
                        c.id,
                        dt.datetime.combine(expiring + dt.timedelta(days=1), dt.time()),
                        None,
                        {"valid_until": expiring.isoformat()},
                    )
                )
                continue
            on = start - dt.timedelta(days=int(rng.integers(20, 200)))
            cert(c.id, on, on + dt.timedelta(days=364 + length), 0.3, "C")
        for s in self.streams:
            on = start - dt.timedelta(days=int(rng.integers(20, 300)))
            cert(s.id, on, on + dt.timedelta(days=729 + length), 2.0, "%")
        return pa.Table.from_pylist(rows, _SCHEMAS["calibrations"])

    def _purchases(self) -> pa.Table:
        rng = self.rng
        rows = []
        for (mid, y, mo), amount in sorted(self.month_amount.items()):
            first = max(self.start, dt.date(y, mo, 1))
            last = min(self.end, dt.date(y, mo, calendar.monthrange(y, mo)[1]))
            qty = round(amount * (1 + rng.uniform(-0.008, 0.008)))
            if mid == "E-MAIN":
                rows.append(
                    {
                        "carrier": "electricity",
                        "period_start": first,
                        "period_end": last,
                        "quantity": float(qty),
                        "unit": "kWh",
                        "amount_cny": round(qty * 0.662, 2),
                        "ncv_mj_per_unit": None,
                    }
                )
            else:
                rows.append(
                    {
                        "carrier": "natural_gas",
                        "period_start": first,
                        "period_end": last,
                        "quantity": float(qty),
                        "unit": "m3",
                        "amount_cny": round(qty * 3.85, 2),
                        "ncv_mj_per_unit": NCV_MJ_PER_M3,
                    }
                )
        return pa.Table.from_pylist(rows, _SCHEMAS["energy_purchases"])

    def _green_certificates(self) -> pa.Table:
        """One 60 MWh certificate batch per calendar month of the period, plus one batch that
        straddles the period start (only part of it counts, prorated by days)."""
        s = self.start
        rows: list[dict[str, Any]] = []
        y, mo = s.year, s.month
        while dt.date(y, mo, 1) <= self.end:
            last = dt.date(y, mo, calendar.monthrange(y, mo)[1])
            rows.append(
                {
                    "period_start": dt.date(y, mo, 1),
                    "period_end": last,
                    "mwh": 60.0,
                    "certificate_no": f"GEC-{y}{mo:02d}01-440605-{len(rows) + 1:04d}",
                    "scheme": "GEC",
                }
            )
            y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
        before = s - dt.timedelta(days=10)
        rows.append(
            {
                "period_start": before,
                "period_end": s + dt.timedelta(days=4),
                "mwh": 15.0,
                "certificate_no": f"GEC-{before:%Y%m%d}-440605-{len(rows) + 1:04d}",
                "scheme": "GEC",
            }
        )
        return pa.Table.from_pylist(rows, _SCHEMAS["green_certificates"])

    # -- site.yaml --------------------------------------------------------------------------

    def _site_yaml(self) -> str:
        first17 = "91440605MA4W8K2X7"
        meters = []
        for m in self.meters:
            meters.append(
                {
                    "id": m.id,
                    "carrier": m.carrier,
                    "unit": m.unit,
                    "reading": m.reading,
                    "multiplier": m.multiplier,
                    "role": m.role,
                    "parent": m.parent,
                    "process": m.process,
                    "line": m.line,
                    "equipment": list(m.equipment),
                    "accuracy_class": m.accuracy,
                    "rollover": m.rollover,
                    "interval_s": m.interval_s,
                }
            )
            if m.quantity != "active":
                meters[-1]["quantity"] = m.quantity
                meters[-1]["active_meter"] = m.active_meter
        equipment: list[dict[str, Any]] = [
            {
                "id": "FURN-1",
                "type": "melting_furnace",
                "rated_kw": 1100,
                "fuel": "natural_gas",
                "rated_flow_m3h": 110,
            },
            {
                "id": "FURN-2",
                "type": "melting_furnace",
                "rated_kw": 950,
                "fuel": "natural_gas",
                "rated_flow_m3h": 95,
            },
            {"id": "FURN-3", "type": "melting_furnace", "rated_kw": 250, "fuel": "electricity"},
        ]
        for i, line in enumerate(LINES):
            equipment.append(
                {
                    "id": f"HOLD-0{i + 1}",
                    "type": "holding_furnace",
                    "rated_kw": HOLD_KW,
                    "fuel": "electricity",
                    "line": line,
                }
            )
        for i, line in enumerate(LINES):
            equipment.append(
                {
                    "id": f"DCM-0{i + 1}",
                    "type": "die_casting_machine",
                    "rated_kw": DCM_KW[i],
                    "fuel": "electricity",
                    "line": line,
                    "clamping_force_t": DCM_TONNAGE[i],
                }
            )
        equipment += [
            {"id": "COMP-1", "type": "compressor", "rated_kw": 132, "fuel": "electricity"},
            {
                "id": "COMP-2",
                "type": "compressor",
                "rated_kw": 90,
                "fuel": "electricity",
                "drive": "variable speed",
            },
            {"id": "CNC-01", "type": "cnc", "rated_kw": 37, "fuel": "electricity"},
            {"id": "CNC-02", "type": "cnc", "rated_kw": 37, "fuel": "electricity"},
        ]
        products = []
        for sku, p in PRODUCTS.items():
            products.append(
                {
                    "sku": sku,
                    "name": p[0],
                    "name_en": p[1],
                    "unit_mass_kg": p[2],
                    "material": "aluminium_alloy",
                    "denominator": "mass",
                    "cn_code": p[6],
                    "markets": p[7],
                }
            )
        controllers = []
        for c in self.controllers:
            sku = LINE_SKUS[c.line][0]
            controllers.append(
                {
                    "id": c.id,
                    "mold": f"M-{sku}-{'ABCD'[c.zone]}",
                    "line": LINES[c.line],
                    "medium": c.medium,
                    "tolerance_c": c.tolerance,
                }
            )
        streams = []
        for s in self.streams:
            d: dict[str, Any] = {
                "id": s.id,
                "kind": s.kind,
                "medium": s.medium,
                "source": s.source,
                "interval_s": s.interval_s,
            }
            if s.t_ref_c is not None:
                d["t_ref_c"] = s.t_ref_c
            streams.append(d)
        doc = {
            "contract": CONTRACT,
            "enterprise": {
                "name": "佛山市南海示例精密压铸有限公司",
                "name_en": "Foshan Nanhai Example Precision Die Casting Co., Ltd. (synthetic)",
                "credit_code": first17 + credit_code_check_digit(first17),
                "sector": "die_casting",
                "province": "Guangdong",
                # the period's share of a yearly net revenue of 286 million CNY (for the
                # intensities per revenue of ESRS E1, VSME and K-ESG)
                "net_revenue": {
                    "amount": round(286_000_000 * ((self.end - self.start).days + 1) / 365),
                    "currency": "CNY",
                },
            },
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "timezone": "Asia/Shanghai",
            "options": {
                "electricity_basis": "calorific",
                "electricity_equivalent_kgce_per_kwh": 0.3,
                "natural_gas_ncv_mj_per_m3": NCV_MJ_PER_M3,
                "steady_state": {"warmup_min": 30, "gap_min": 10},
            },
            "meters": meters,
            "equipment": equipment,
            "products": products,
            "temperature_controllers": controllers,
            "heat_streams": streams,
            "owners": {k: dict(v) for k, v in DEMO_OWNERS.items()},
        }
        head = (
            f"# Synthetic demo plant written by thermaudit.demo (scale {self.sc.name}, "
            f"seed {self.seed}). Not a real enterprise.\n"
        )
        return head + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)
