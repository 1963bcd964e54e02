"""The demo plant: contract conformance, determinism, known quantities, planted events, streaming.

The known quantities in ``DemoInfo`` come from the generator's own integer register counts and
accumulators; every test here recomputes them from the written rows with plain numpy / pyarrow
following the contract text, never by calling generator internals.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tracemalloc
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from thermaudit.dataset.contract import COUNTRY_CODES, TABLES
from thermaudit.dataset.site import Site, check_credit_code, load_site
from thermaudit.demo import SCALES, DemoInfo, UnknownScale, write_demo

ROLES = {"supply", "submeter", "excluded", "export", "generation", "recovered_heat"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoInfo:
    return write_demo(tmp_path_factory.mktemp("demo") / "plant")


@pytest.fixture(scope="module")
def site(demo: DemoInfo) -> Site:
    return load_site(demo.path / "site.yaml")


_CACHE: dict[tuple[Path, str], pa.Table] = {}


def _read(folder: Path, name: str) -> pa.Table:
    """A table as text columns (CSV) or as stored (Parquet); read once per test module."""
    if (folder, name) not in _CACHE:
        _CACHE[folder, name] = _read_uncached(folder, name)
    return _CACHE[folder, name]


def _read_uncached(folder: Path, name: str) -> pa.Table:
    csv = folder / f"{name}.csv"
    if csv.exists():
        with csv.open("rb") as f:
            header = f.readline().decode("utf-8-sig").strip().split(",")
        return pacsv.read_csv(
            csv,
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
            ),
        )
    return pq.read_table(folder / f"{name}.parquet")


def _floats(col: pa.ChunkedArray) -> np.ndarray:
    """Numbers of a text column (empty = NaN), parsed by Arrow's decimal parser."""
    if pa.types.is_string(col.type):
        col = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
    return pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False).astype(float)


def _text(col: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(col.cast(pa.string()).to_numpy(zero_copy_only=False))


def _local(col: pa.ChunkedArray) -> np.ndarray:
    """Local wall times [datetime64[s]] of a timestamp column, parsed by fromisoformat."""
    if pa.types.is_timestamp(col.type):
        return col.to_numpy().astype("datetime64[s]")
    text = _text(col)
    uniq, inv = np.unique(text, return_inverse=True)
    parsed = np.array([np.datetime64(dt.datetime.fromisoformat(u), "s") for u in uniq])
    return parsed[inv]


# ---------------------------------------------------------------------------------------------
# site.yaml and the contract


def test_site_yaml_loads_and_describes_a_guangdong_die_casting_plant(site: Site) -> None:
    assert check_credit_code(site.enterprise.credit_code) is None
    assert site.enterprise.province in {"Guangdong", "Jiangsu"}
    assert site.timezone == "Asia/Shanghai"
    assert (site.period.start, site.period.end) == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    assert {m.role for m in site.meters} == ROLES
    lines = {e.line for e in site.equipment if e.type == "die_casting_machine"}
    assert lines == {f"DC-0{i}" for i in range(1, 7)}
    rated = [e.rated_kw for e in site.equipment if e.type == "die_casting_machine"]
    assert min(rated) >= 55 and max(rated) <= 400
    fuels = {e.fuel for e in site.equipment if e.type == "melting_furnace"}
    assert fuels == {"natural_gas", "electricity"}
    per_line = {line: sum(c.line == line for c in site.temperature_controllers) for line in lines}
    assert set(per_line.values()) == {1, 2}
    markets = {mk for p in site.products for mk in p.markets}
    assert {"EU", "KR", "UK", "ASEAN", "US", "CN"} <= markets
    e_main = site.meter("E-MAIN")
    assert e_main.reading == "cumulative" and e_main.multiplier > 1
    assert site.meter("E-CANTEEN").rollover is not None
    assert site.meter("E-PV").reading == "interval"


def _check_kind(name: str, col: str, kind: str, values: pa.ChunkedArray) -> None:
    where = f"{name}.{col}"
    if kind == "str":
        assert all(v.strip() for v in pc.unique(values).to_pylist()), where
    elif kind in ("float", "qty", "temp"):
        x = _floats(values)
        assert np.isfinite(x).all(), where
        if kind == "qty":
            assert (x >= 0).all(), where
        if kind == "temp":
            assert (x > -273.15).all(), where
    elif kind == "timestamp":
        assert len(_local(values)) == len(values), where
    elif kind == "date":
        for v in pc.unique(values).to_pylist():
            dt.date.fromisoformat(v)
    elif kind == "country":
        assert set(pc.unique(values).to_pylist()) <= COUNTRY_CODES, where
    elif kind.startswith("enum:"):
        allowed = set(kind.removeprefix("enum:").split("|"))
        found = {v for v in pc.unique(values).to_pylist() if v != ""}
        assert found <= allowed, f"{where}: {found - allowed}"


def test_every_table_follows_the_contract(demo: DemoInfo, site: Site) -> None:
    refs = {
        "meters": {m.id for m in site.meters},
        "products": {p.sku for p in site.products},
        "temperature_controllers": {c.id for c in site.temperature_controllers},
        "heat_streams": {s.id for s in site.heat_streams},
        "equipment": {e.id for e in site.equipment},
        "instruments": site.instruments,
    }
    assert set(demo.files) == set(TABLES)
    for name, table in TABLES.items():
        data = _read(demo.path, name)
        assert data.num_rows == demo.rows[name] > 0, name
        cols = set(data.column_names)
        assert set(table.required_columns) <= cols, name
        if table.date_or_timestamp:
            assert cols & {"date", "timestamp"}, name
        for col in table.columns:
            if col.name not in cols:
                continue
            values = data.column(col.name)
            kind = col.kind
            if not col.required:  # a blank optional cell means "not given"
                values = pa.chunked_array([values.filter(pc.not_equal(values, ""))])
            _check_kind(name, col.name, kind, values)
            if col.ref is not None:
                missing = set(pc.unique(values).to_pylist()) - refs[col.ref]
                assert not missing, f"{name}.{col.name} references {missing}"
    lines = {e.line for e in site.equipment if e.line}
    assert set(_read(demo.path, "production").column("line").to_pylist()) <= lines


def test_time_stamped_rows_lie_in_the_period(demo: DemoInfo) -> None:
    start = np.datetime64("2025-12-01T00:00:00")
    after = np.datetime64("2026-01-01T00:00:00")
    for name in ("mold_temperature", "heat_streams", "melting", "weather"):
        t = _local(_read(demo.path, name).column("timestamp"))
        assert (t > start).all() and (t <= after).all(), name  # (start 00:00, end + 1 00:00]
    t = _local(_read(demo.path, "readings").column("timestamp"))
    assert t.min() == start and t.max() == after  # cumulative meters start at the boundary


def test_weather_is_hourly_and_plausible_for_foshan_in_december(demo: DemoInfo) -> None:
    w = _read(demo.path, "weather")
    t = _local(w.column("timestamp"))
    temp = _floats(w.column("temperature_c"))
    # one sample at the end of every hour of the 31 days, none repeated
    assert len(t) == demo.rows["weather"] == 31 * 24 == len(np.unique(t))
    assert (np.diff(np.sort(t)) == np.timedelta64(3600, "s")).all()
    # Foshan in December: normal ≈ 15 °C (CMA normals of Guangzhou, about 14–16 °C); the
    # month's mean within 4 K of it, hours within the plausible 0–30 °C, a diurnal cycle
    assert abs(temp.mean() - 15.5) < 4.0
    assert temp.min() > 0.0 and temp.max() < 30.0
    by_hour = temp.reshape(31, 24).mean(axis=0)  # hour 1 ... 24
    assert by_hour.argmax() + 1 in range(12, 17) and by_hour.argmin() + 1 in range(3, 8)


# ---------------------------------------------------------------------------------------------
# determinism


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    a = write_demo(tmp_path / "a", seed=7, days=3)
    b = write_demo(tmp_path / "b", seed=7, days=3)
    c = write_demo(tmp_path / "c", seed=8, days=3)
    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "b")
    assert dataclasses.replace(a, path=b.path) == b  # elapsed time and RSS are not compared
    differ = {k for k, v in _bytes(tmp_path / "c").items() if _bytes(tmp_path / "a")[k] != v}
    assert {"readings.csv", "mold_temperature.csv", "production.csv"} <= differ
    assert a.meter_consumption["E-MAIN"] != c.meter_consumption["E-MAIN"]


def test_streamed_parquet_is_deterministic(tmp_path: Path) -> None:
    write_demo(tmp_path / "a", scale="S", days=1)
    write_demo(tmp_path / "b", scale="S", days=1)
    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "b")


def test_unknown_scale_lists_the_valid_names(tmp_path: Path) -> None:
    with pytest.raises(UnknownScale) as err:
        write_demo(tmp_path, scale="XL")
    assert "'XL'" in str(err.value)
    for name in SCALES:
        assert name in str(err.value)
    assert isinstance(err.value, ValueError)


# ---------------------------------------------------------------------------------------------
# known quantities against the rows


def _consumption(meter_rows: pa.Table, meter: object, events: pa.Table) -> float:
    """Contract rule for one meter, with plain numpy (all rows lie in the period)."""
    m = meter  # a site.Meter
    t = _local(meter_rows.column("timestamp"))
    v = _floats(meter_rows.column("value"))
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    if m.reading == "interval":
        return float(v.sum() * m.multiplier)
    amounts = np.diff(v)
    ev_t = _local(events.column("timestamp")) if events.num_rows else np.array([], "M8[s]")
    for i in range(len(ev_t)):
        k = int(np.searchsorted(t, ev_t[i]))  # the interval (t[k-1], t[k]] spans the event
        old, new = _floats(events.column("old_final"))[i], _floats(events.column("new_initial"))[i]
        amounts[k - 1] = (old - v[k - 1]) + (v[k] - new)
    negative = amounts < 0
    if m.rollover is not None:
        amounts[negative] += m.rollover
    else:
        assert not negative.any(), m.id
    return float(amounts.sum() * m.multiplier)


def test_meter_consumption_matches_the_written_readings(demo: DemoInfo, site: Site) -> None:
    readings = _read(demo.path, "readings")
    events = _read(demo.path, "meter_events")
    ids = _text(readings.column("meter_id"))
    ev_ids = _text(events.column("meter_id"))
    assert set(demo.meter_consumption) == {m.id for m in site.meters}
    for m in site.meters:
        rows = readings.filter(pa.array(ids == m.id))
        ev = events.filter(pa.array(ev_ids == m.id))
        got = _consumption(rows, m, ev)
        # float sums of two-to-three-decimal values over ~3000 rows: 1e-9 relative is ample
        assert got == pytest.approx(demo.meter_consumption[m.id], rel=1e-9), m.id
        assert demo.meter_consumption[m.id] > 0, m.id


def test_energy_balances_close(demo: DemoInfo, site: Site) -> None:
    c = demo.meter_consumption
    children = sum(c[m.id] for m in site.meters if m.parent == "E-MAIN")
    # E-MAIN (grid import) + PV feeds the site; the children plus the unmetered rest use it.
    # Each cumulative register is quantized at both ends: ≤ 2 x resolution x multiplier each.
    tol = 2 * (0.01 * 1200) + 2 * 20 * (0.1 * 10 + 0.4)
    assert c["E-MAIN"] + c["E-PV"] == pytest.approx(
        children + demo.unmetered["electricity_kwh"], abs=tol
    )
    rest = c["E-MAIN"] + c["E-PV"] - children
    assert 0.03 < rest / (c["E-MAIN"] + c["E-PV"]) < 0.10  # a realistic unmetered share
    gas_children = c["G-FURN-1"] + c["G-FURN-2"]
    assert c["G-MAIN"] == pytest.approx(gas_children + demo.unmetered["natural_gas_m3"], abs=1.0)


def test_production_and_melting_match_known_masses(demo: DemoInfo, site: Site) -> None:
    prod = _read(demo.path, "production")
    mass = {p.sku: p.unit_mass_kg for p in site.products}
    sku = prod.column("sku").to_pylist()
    unit = np.array([mass[s] for s in sku])
    good = _floats(prod.column("good_qty")) * unit
    scrap = _floats(prod.column("scrap_qty")) * unit
    assert good.sum() == pytest.approx(demo.good_mass_kg, rel=1e-12)
    assert scrap.sum() == pytest.approx(demo.scrap_mass_kg, rel=1e-12)
    for s in set(sku):
        sel = np.array(sku) == s
        share = scrap[sel].sum() / (good[sel].sum() + scrap[sel].sum())
        assert 0.02 <= share <= 0.06, s  # binomial scrap around 2-6 % per SKU
        assert good[sel].sum() == pytest.approx(demo.good_mass_kg_by_sku[s], rel=1e-12)

    melt = _read(demo.path, "melting")
    metal = _floats(melt.column("metal_kg"))
    tap = _floats(melt.column("tap_temp_c"))
    assert metal.sum() == pytest.approx(demo.metal_melted_kg, rel=1e-12)
    assert ((tap >= 690) & (tap <= 740)).all()
    assert set(melt.column("alloy").to_pylist()) == {"ADC12", "A380"}
    assert 0.85 <= demo.good_mass_kg / demo.metal_melted_kg <= 0.90  # metal yield
    # metrics.md §4 theoretical heat by hand, then efficiency from the meters
    theo = (metal * (0.90 * 640 + 397 + 1.18 * (tap - 660))).sum() / 1000
    assert theo == pytest.approx(demo.melting_theoretical_mj, rel=1e-9)
    c = demo.meter_consumption
    gas_mj = (c["G-FURN-1"] + c["G-FURN-2"]) * site.options.natural_gas_ncv_mj_per_m3
    eff = theo / (gas_mj + 3.6 * c["E-FURN-3"])
    assert 0.35 <= eff <= 0.45
    gas_per_t = (c["G-FURN-1"] + c["G-FURN-2"]) / (metal.sum() * 0.86 / 1000)
    assert 60 <= gas_per_t <= 95  # tower melters: m3 gas per tonne melted


def test_heat_streams_match_known_heat(demo: DemoInfo, site: Site) -> None:
    hs = _read(demo.path, "heat_streams")
    ids = _text(hs.column("stream_id"))
    for s in site.heat_streams:
        rows = hs.filter(pa.array(ids == s.id))
        flow = _floats(rows.column("flow"))
        th = _floats(rows.column("t_hot_c"))
        tc = _floats(rows.column("t_cold_c"))
        tc = np.where(np.isnan(tc), s.t_ref_c if s.t_ref_c is not None else np.nan, tc)
        units = set(rows.column("flow_unit").to_pylist())
        # contract: flue gas cp 1.38 kJ/(Nm3 K); water 1000 kg/m3 (or t/h), cp 4.187 kJ/(kg K)
        cp = 1.38 if s.medium == "flue_gas" else 1000 * 4.187
        assert units == ({"Nm3/h"} if s.medium == "flue_gas" else units & {"m3/h", "t/h"})
        q_gj = (flow * cp * (th - tc)).sum() * s.interval_s / 3600 / 1e6
        assert q_gj == pytest.approx(demo.heat_stream_gj[s.id], rel=1e-9), s.id
    avail = sum(demo.heat_stream_gj[s.id] for s in site.heat_streams if s.kind == "available")
    rec = sum(demo.heat_stream_gj[s.id] for s in site.heat_streams if s.kind == "recovered")
    rec += sum(demo.meter_consumption[m.id] for m in site.meters if m.role == "recovered_heat")
    assert 0.15 < rec / avail < 0.6


def test_invoices_match_the_supply_meters_within_one_percent(demo: DemoInfo) -> None:
    inv = _read(demo.path, "energy_purchases")
    qty = dict(zip(inv.column("carrier").to_pylist(), _floats(inv.column("quantity")), strict=True))
    assert qty["electricity"] == pytest.approx(demo.meter_consumption["E-MAIN"], rel=0.01)
    assert qty["natural_gas"] == pytest.approx(demo.meter_consumption["G-MAIN"], rel=0.01)


# ---------------------------------------------------------------------------------------------
# realism: energy follows production


def test_energy_follows_the_working_week_and_the_day(demo: DemoInfo) -> None:
    r = _read(demo.path, "readings")
    sel = pa.array(_text(r.column("meter_id")) == "E-MAIN")
    rows = r.filter(sel)
    t = _local(rows.column("timestamp"))
    v = _floats(rows.column("value"))
    kw = np.diff(v) * 1200 * 4  # 15-min amounts -> mean kW
    end = t[1:]
    start = end - np.timedelta64(900, "s")
    day = start.astype("datetime64[D]")
    weekday = (day.astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    hour = (start - day).astype(int) // 3600
    work = weekday < 5
    assert kw[weekday == 6].mean() < 0.6 * kw[work].mean()  # Sundays idle at base load
    assert kw[work & (hour < 4)].mean() < 0.7 * kw[work & (hour >= 8) & (hour < 18)].mean()
    # base load at night: holding furnaces, compressors, standby (at noon on a Sunday the PV
    # covers almost everything: the anti-reverse-power relay keeps the import just above zero)
    assert kw[hour < 5].min() > 0.08 * kw.max()


# ---------------------------------------------------------------------------------------------
# planted events


def test_planted_rollover_actually_wraps(demo: DemoInfo, site: Site) -> None:
    m = site.meter("E-CANTEEN")
    r = _read(demo.path, "readings")
    rows = r.filter(pa.array(_text(r.column("meter_id")) == m.id))
    t = _local(rows.column("timestamp"))
    v = _floats(rows.column("value"))
    drops = np.flatnonzero(np.diff(v) < 0) + 1
    assert len(drops) >= 1
    planted = demo.events_of("rollover")
    assert [np.datetime64(e.start, "s") for e in planted] == list(t[drops])
    assert all(v[i - 1] > 0.9 * m.rollover and v[i] < 0.1 * m.rollover for i in drops)


def test_planted_replacement_is_recorded_and_splits_an_interval(demo: DemoInfo) -> None:
    ev = _read(demo.path, "meter_events")
    assert ev.num_rows == 1
    (meter,) = ev.column("meter_id").to_pylist()
    assert ev.column("event").to_pylist() == ["replaced"]
    at = _local(ev.column("timestamp"))[0]
    old, new = _floats(ev.column("old_final"))[0], _floats(ev.column("new_initial"))[0]
    r = _read(demo.path, "readings")
    rows = r.filter(pa.array(_text(r.column("meter_id")) == meter))
    t = _local(rows.column("timestamp"))
    v = _floats(rows.column("value"))
    k = int(np.searchsorted(t, at))
    assert t[k - 1] < at < t[k]
    assert v[k - 1] <= old and v[k] >= new and v[k] < v[k - 1]  # the register restarted
    (planted,) = demo.events_of("replaced")
    assert planted.subject == meter and np.datetime64(planted.start, "s") == at


def test_mold_log_has_warmups_setpoint_changes_and_per_shot_duplicates(demo: DemoInfo) -> None:
    mt = _read(demo.path, "mold_temperature")
    ctrl = _text(mt.column("controller_id"))
    t = _local(mt.column("timestamp"))
    state = _text(mt.column("state"))
    sp = _floats(mt.column("setpoint_c"))
    actual = _floats(mt.column("actual_c"))
    # duplicates: one controller, only inside the planted window
    codes = pc.dictionary_encode(mt.column("controller_id")).combine_chunks().indices
    key = t.astype(np.int64) * 100 + codes.to_numpy()
    uniq, counts = np.unique(key, return_counts=True)
    dup_keys = uniq[counts > 1]
    (planted,) = demo.events_of("duplicate_timestamps")
    dup_rows = np.isin(key, dup_keys)
    assert set(ctrl[dup_rows]) == {planted.subject}
    assert t[dup_rows].min() > np.datetime64(planted.start, "s")
    assert t[dup_rows].max() <= np.datetime64(planted.end, "s")
    assert len(dup_keys) == planted.detail["extra_rows"]
    # a warm-up on every working morning of every controller, from a cold mold
    days = (t - np.timedelta64(1, "s")).astype("datetime64[D]")  # a sample ends its second
    working = (days.astype(int) + 3) % 7 < 5
    for c in set(ctrl):
        warm = (ctrl == c) & (state == "warmup")
        assert set(np.unique(days[warm])) >= set(np.unique(days[(ctrl == c) & working]))
        assert actual[warm].min() < sp[warm].min() - 80
    # producing samples sit near the setpoint, setpoints change now and then
    prod = state == "producing"
    assert np.median(np.abs(actual[prod] - sp[prod])) < 1.0
    for e in demo.events_of("setpoint_change")[:5]:
        row = (ctrl == e.subject) & (t == np.datetime64(e.start, "s"))
        assert sp[row][0] == e.detail["to"]
        before = (ctrl == e.subject) & (t < np.datetime64(e.start, "s"))
        assert sp[before][-1] == e.detail["from"]
    assert {"producing", "idle", "warmup", "maintenance"} == set(state)


def test_calibrations_chain_expire_and_one_controller_has_none(demo: DemoInfo, site: Site) -> None:
    cal = _read(demo.path, "calibrations")
    inst = _text(cal.column("instrument_id"))
    on = np.array([dt.date.fromisoformat(x) for x in cal.column("calibrated_on").to_pylist()])
    until = np.array([dt.date.fromisoformat(x) for x in cal.column("valid_until").to_pylist()])
    main = np.flatnonzero(inst == "E-MAIN")
    assert len(main) == 2 and until[main[0]] + dt.timedelta(days=1) == on[main[1]]
    start, end = site.period.start, site.period.end
    expiring = [
        i
        for i in range(len(inst))
        if start <= until[i] < end
        and not any(inst[j] == inst[i] and on[j] > until[i] for j in range(len(inst)))
    ]
    assert [inst[i] for i in expiring] == [e.subject for e in demo.events_of("calibration_expires")]
    without = {c.id for c in site.temperature_controllers} - set(inst)
    assert without == {e.subject for e in demo.events_of("calibration_missing")}
    assert len(without) == 1


# ---------------------------------------------------------------------------------------------
# streaming scales


def test_scale_s_streams_day_by_day(tmp_path: Path) -> None:
    sizes: list[int] = []
    target = tmp_path / "s2" / "mold_temperature.parquet"

    def progress(stage: str, done: int, total: int) -> None:
        assert (stage, total) == ("days", 2)
        sizes.append(target.stat().st_size)  # bytes on disk after each day

    tracemalloc.start()
    info = write_demo(tmp_path / "s2", scale="S", days=2, progress=progress)
    _, peak_2 = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert info.files["mold_temperature"] == "mold_temperature.parquet"
    assert info.files["readings"] == "readings.parquet"
    assert sizes[0] > 0 and sizes[1] > sizes[0]  # the first day was on disk before the second
    meta = pq.ParquetFile(target).metadata
    assert meta.num_row_groups >= 2 and meta.num_rows == info.rows["mold_temperature"]
    # 10 s samples: 8640 per controller and day, plus planted duplicates, minus a logger gap
    n_ctrl = sum(SCALES["S"].controllers_per_line)
    extra = sum(e.detail["extra_rows"] for e in info.events_of("duplicate_timestamps"))
    gap = sum(e.detail["missing_rows"] for e in info.events_of("mold_logger_gap"))
    assert info.rows["mold_temperature"] == 2 * n_ctrl * 8640 + extra - gap
    table = pq.read_table(target)
    assert pa.types.is_timestamp(table.schema.field("timestamp").type)
    assert table.schema.field("timestamp").type.tz is None  # local time, as the contract says

    tracemalloc.start()
    six = write_demo(tmp_path / "s6", scale="S", days=6)
    _, peak_6 = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # three times the days, not three times the memory: nothing holds a whole table
    assert six.rows["mold_temperature"] > 2.9 * info.rows["mold_temperature"]
    assert peak_6 < 1.3 * peak_2
