"""Data-quality checks on the demo plant: each finding code is provoked by injecting exactly
its defect into a copy of a 7-day demo, its evidence is checked against numbers computed
here from the edited CSV files (an independent route: plain csv + datetime, no engine), and
no other finding (code, subject) appears compared with the clean demo."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from thermaudit.dataset.reader import normalize
from thermaudit.demo import DemoInfo
from thermaudit.metrics.assess import assess, connect
from thermaudit.quality.checks import CODES, check_dataset
from thermaudit.quality.findings import Finding, catalogue
from thermaudit.quality.reconcile import reconcile

TZ = ZoneInfo("Asia/Shanghai")
FMT = "%Y-%m-%d %H:%M:%S"
START = dt.datetime(2025, 12, 1)  # local, naive: the demo's period is 2025-12-01..07
END = dt.datetime(2025, 12, 8)

Subject = tuple[str, str]


def subject(f: Finding) -> Subject:
    e = f.evidence
    for key in ("meter", "parent", "carrier", "controller", "instrument", "stream", "table"):
        if key in e:
            return f.code, str(e[key])
    return f.code, ""


def iso(t: dt.datetime) -> str:
    return t.replace(tzinfo=TZ).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------------
# one demo per session; each test copies it and edits the CSV files


def run(folder: Path, tmp: Path) -> list[Finding]:
    """assess's findings: the metric-time ones and the quality checks (what ``thermaudit
    check`` shows)."""
    ds = normalize(folder, tmp / "norm")
    return assess(ds, con=connect()).findings


@pytest.fixture(scope="session")
def clean(demo: DemoInfo, tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    return run(demo.path, tmp_path_factory.mktemp("clean"))


def copy(demo: DemoInfo, tmp: Path) -> Path:
    out = tmp / "dataset"
    shutil.copytree(demo.path, out)
    return out


def read(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write(folder: Path, table: str, rows: list[dict[str, str]], fields: list[str]) -> None:
    with open(folder / f"{table}.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def edit(
    folder: Path, table: str, fn: Callable[[list[dict[str, str]]], list[dict[str, str]]]
) -> None:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as fh:
        fields = list(csv.DictReader(fh).fieldnames or [])
    write(folder, table, fn(read(folder, table)), fields)


def ts(row: dict[str, str]) -> dt.datetime:
    return dt.datetime.strptime(row["timestamp"], FMT)


def series(folder: Path, meter: str) -> list[tuple[dt.datetime, float]]:
    return sorted(
        (ts(r), float(r["value"])) for r in read(folder, "readings") if r["meter_id"] == meter
    )


def new_findings(clean: list[Finding], found: list[Finding]) -> set[Subject]:
    return {subject(f) for f in found} - {subject(f) for f in clean}


def only(found: list[Finding], code: str, name: str = "") -> Finding:
    hits = [f for f in found if f.code == code and (not name or subject(f)[1] == name)]
    assert len(hits) == 1, [subject(f) for f in found]
    return hits[0]


# ---------------------------------------------------------------------------------------------
# the clean demo


def test_every_code_is_in_the_catalogue_with_both_messages() -> None:
    cat = catalogue()
    for code in CODES:
        assert code in cat, code
        assert cat[code].en and cat[code].zh and cat[code].action


def test_clean_demo_has_only_the_planted_and_the_calendar_findings(
    demo: DemoInfo, clean: list[Finding]
) -> None:
    """The generator plants the E-OFFICE reading gap and the TCU-02 calibration expiry; the
    Sunday (no shifts) gives idle energy. Nothing else of this module fires."""
    mine = {subject(f) for f in clean if f.code in CODES}
    assert mine == {
        ("quality.reading.gap", "E-OFFICE"),
        ("quality.calibration.expired_during_period", "TCU-02"),
        ("quality.production.idle_energy", "electricity"),
        ("quality.production.idle_energy", "natural_gas"),
    }
    (gap_event,) = demo.events_of("reading_gap")
    gap = only(clean, "quality.reading.gap")
    step = dt.timedelta(minutes=15)
    missing = gap_event.detail["missing_readings"]
    assert gap.evidence["missing_intervals"] == missing == 11
    assert gap.evidence["longest"][0]["start"] == iso(gap_event.start - step)
    assert gap.evidence["longest"][0]["end"] == iso(gap_event.end + step)
    assert gap.evidence["expected"] == 7 * 96
    assert gap.evidence["received"] == 7 * 96 - missing

    (expiry,) = demo.events_of("calibration_expires")
    exp = only(clean, "quality.calibration.expired_during_period")
    assert exp.evidence["valid_until"] == expiry.detail["valid_until"]
    assert exp.evidence["first_after"] == iso(expiry.start)

    # idle days: period days with no production row, from production.csv
    made = {r["date"] for r in read(demo.path, "production") if int(r["good_qty"]) > 0}
    idle = [
        (START + dt.timedelta(days=i)).date().isoformat()
        for i in range(7)
        if (START + dt.timedelta(days=i)).date().isoformat() not in made
    ]
    assert idle == ["2025-12-07"]
    el = only(clean, "quality.production.idle_energy", "electricity")
    assert [d["day"] for d in el.evidence["by_day"]] == idle
    # E-MAIN register difference over the Sunday x multiplier 1200
    s = dict(series(demo.path, "E-MAIN"))
    want = (s[dt.datetime(2025, 12, 8)] - s[dt.datetime(2025, 12, 7)]) * 1200
    assert el.evidence["amount"] == pytest.approx(want, rel=1e-6)  # 6 significant digits kept


# ---------------------------------------------------------------------------------------------
# readings


def test_gap(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    folder = copy(demo, tmp_path)
    lo, hi = dt.datetime(2025, 12, 3, 10), dt.datetime(2025, 12, 3, 12)
    edit(
        folder,
        "readings",
        lambda rows: [r for r in rows if not (r["meter_id"] == "E-CNC" and lo <= ts(r) <= hi)],
    )
    found = run(folder, tmp_path)
    assert new_findings(clean, found) == {("quality.reading.gap", "E-CNC")}
    e = only(found, "quality.reading.gap", "E-CNC").evidence
    assert e["missing_intervals"] == 9  # 10:00, 10:15, ..., 12:00
    assert e["received"] == 7 * 96 - 9
    assert e["longest"] == [
        {
            "start": iso(lo - dt.timedelta(minutes=15)),
            "end": iso(hi + dt.timedelta(minutes=15)),
            "missing_intervals": 9,
            "_row": e["longest"][0]["_row"],
        }
    ]
    rows = read(folder, "readings")
    assert rows[e["longest"][0]["_row"] - 2]["timestamp"] == "2025-12-03 12:15:00"


def test_spike(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """The E-CNC register jumps by 500 kWh at 03:00 (a manual correction) and counts on."""
    folder = copy(demo, tmp_path)
    at = dt.datetime(2025, 12, 3, 3)

    def jump(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for r in rows:
            if r["meter_id"] == "E-CNC" and ts(r) >= at:
                r["value"] = f"{float(r['value']) + 500:.1f}"
        return rows

    edit(folder, "readings", jump)
    found = run(folder, tmp_path)
    assert new_findings(clean, found) == {("quality.reading.spike", "E-CNC")}
    e = only(found, "quality.reading.spike").evidence
    s = dict(series(folder, "E-CNC"))
    amount = s[at] - s[at - dt.timedelta(minutes=15)]
    assert e["count"] == 1
    assert e["at"] == iso(at)
    assert e["amount"] == pytest.approx(amount, rel=1e-6)  # 6 significant digits kept
    assert e["examples"][0]["start"] == iso(at - dt.timedelta(minutes=15))
    assert e["z"] > 8


def test_flatline(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """E-CNC's register sticks for 30 h across two working days, then counts on from where
    it stopped (no jump)."""
    folder = copy(demo, tmp_path)
    t0, t1 = dt.datetime(2025, 12, 2, 6), dt.datetime(2025, 12, 3, 12)
    s = dict(series(demo.path, "E-CNC"))
    lost = s[t1] - s[t0]

    def stick(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for r in rows:
            if r["meter_id"] != "E-CNC":
                continue
            if t0 < ts(r) <= t1:
                r["value"] = f"{s[t0]:.1f}"
            elif ts(r) > t1:
                r["value"] = f"{float(r['value']) - lost:.1f}"
        return rows

    edit(folder, "readings", stick)
    found = run(folder, tmp_path)
    assert new_findings(clean, found) == {("quality.reading.flatline", "E-CNC")}
    e = only(found, "quality.reading.flatline").evidence
    assert (e["start"], e["end"], e["hours"]) == (iso(t0), iso(t1), 30.0)
    assert e["stretches"][0]["production_days"] == ["2025-12-02", "2025-12-03"]
    assert e["stretches"][0]["intervals"] == 30 * 4


def test_dst_offset_clock_late_by_one_hour(
    demo: DemoInfo, clean: list[Finding], tmp_path: Path
) -> None:
    """E-CNC's logger runs one hour late: the reading stamped t is the register at t − 1 h
    (the first hour repeats the first value)."""
    folder = copy(demo, tmp_path)
    s = dict(series(demo.path, "E-CNC"))
    first = min(s)

    def late(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for r in rows:
            if r["meter_id"] == "E-CNC":
                r["value"] = f"{s[max(first, ts(r) - dt.timedelta(hours=1))]:.1f}"
        return rows

    edit(folder, "readings", late)
    found = run(folder, tmp_path)
    assert new_findings(clean, found) == {("quality.reading.dst_offset", "E-CNC")}
    e = only(found, "quality.reading.dst_offset").evidence
    assert e["rule"] == "clock_offset"
    assert e["late_by_h"] == 1
    assert e["node"] == "E-MAIN"
    assert e["roughness_reduction_pct"] >= 20


# ---------------------------------------------------------------------------------------------
# balances


def _day_amount(folder: Path, meter: str, day: dt.datetime, multiplier: float) -> float:
    s = dict(series(folder, meter))
    return (s[day + dt.timedelta(days=1)] - s[day]) * multiplier


def test_submeter_balance(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """E-COMP's CT ratio is entered as 3 instead of 1: the submeters exceed E-MAIN."""
    folder = copy(demo, tmp_path)
    site = yaml.safe_load((folder / "site.yaml").read_text("utf-8"))
    for m in site["meters"]:
        if m["id"] == "E-COMP":
            m["multiplier"] = 3
    (folder / "site.yaml").write_text(yaml.safe_dump(site, allow_unicode=True), "utf-8")
    found = run(folder, tmp_path)
    assert new_findings(clean, found) == {("quality.balance.submeter", "E-MAIN")}
    e = only(found, "quality.balance.submeter").evidence
    assert e["days_flagged"] == e["days_judged"] == 7
    # 2 Dec (no rollover, no replacement): register differences by hand
    day = dt.datetime(2025, 12, 2)
    mult = {m["id"]: m["multiplier"] for m in site["meters"]}
    kids = [m["id"] for m in site["meters"] if m.get("parent") == "E-MAIN"]
    assert sorted(kids) == sorted(e["children"])
    children = sum(_day_amount(folder, k, day, mult[k]) for k in kids)
    pv = sum(
        float(r["value"])
        for r in read(folder, "readings")
        if r["meter_id"] == "E-PV" and day < ts(r) <= day + dt.timedelta(days=1)
    )
    parent = _day_amount(folder, "E-MAIN", day, mult["E-MAIN"])
    d2 = next(d for d in e["days"] if d["day"] == "2025-12-02")
    assert d2["children"] == pytest.approx(children, rel=1e-6)  # 6 significant digits kept
    assert d2["parent"] == pytest.approx(parent, rel=1e-6)
    assert d2["closure_pct"] == pytest.approx(100 * children / (parent + pv), rel=1e-4)
    assert d2["closure_pct"] > 102


def test_invoice_balance(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    folder = copy(demo, tmp_path)
    billed = {}

    def inflate(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for r in rows:
            if r["carrier"] == "electricity":
                r["quantity"] = str(round(float(r["quantity"]) * 1.1))
                billed["q"] = float(r["quantity"])
        return rows

    edit(folder, "energy_purchases", inflate)
    found = run(folder, tmp_path)
    assert new_findings(clean, found) == {("quality.balance.invoice", "electricity")}
    e = only(found, "quality.balance.invoice").evidence
    metered = demo.meter_consumption["E-MAIN"]
    assert e["invoiced"] == pytest.approx(billed["q"], rel=1e-6)
    assert e["metered"] == pytest.approx(metered, rel=1e-6)
    assert e["diff_pct"] == pytest.approx(100 * (metered - billed["q"]) / billed["q"], rel=1e-3)
    assert e["tolerance_pct"] == 2.0
    assert e["invoices"][0]["_row"] == 2


def test_invoice_tolerance_comes_from_the_parameters(demo: DemoInfo, tmp_path: Path) -> None:
    folder = copy(demo, tmp_path)
    edit(
        folder,
        "energy_purchases",
        lambda rows: [
            {**r, "quantity": str(round(float(r["quantity"]) * 1.05))}
            if r["carrier"] == "electricity"
            else r
            for r in rows
        ],
    )
    ds = normalize(folder, tmp_path / "norm")
    strict = check_dataset(ds)
    loose = check_dataset(ds, parameters={"invoice_tolerance_pct": 10.0})
    assert ("quality.balance.invoice", "electricity") in {subject(f) for f in strict}
    assert "quality.balance.invoice" not in {f.code for f in loose}


# ---------------------------------------------------------------------------------------------
# production, mold, calibration, melting


def _drop_day(
    day: str, line: str | None = None
) -> Callable[[list[dict[str, str]]], list[dict[str, str]]]:
    return lambda rows: [
        r for r in rows if not (r["date"] == day and (line is None or r["line"] == line))
    ]


def test_idle_energy(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """Saturday's production and mold log are lost: Saturday becomes an idle day."""
    folder = copy(demo, tmp_path)
    edit(folder, "production", _drop_day("2025-12-06"))
    sat = dt.datetime(2025, 12, 6)
    edit(
        folder,
        "mold_temperature",
        lambda rows: [r for r in rows if not (sat < ts(r) <= sat + dt.timedelta(days=1))],
    )
    found = run(folder, tmp_path)
    assert new_findings(clean, found) == set()
    e = only(found, "quality.production.idle_energy", "electricity").evidence
    assert [d["day"] for d in e["by_day"]] == ["2025-12-06", "2025-12-07"]
    want = _day_amount(folder, "E-MAIN", sat, 1200)
    assert e["by_day"][0]["amount"] == pytest.approx(want, rel=1e-6)
    g = only(found, "quality.production.idle_energy", "natural_gas").evidence
    assert g["days"] == 2
    assert g["by_day"][0]["amount"] == pytest.approx(
        _day_amount(folder, "G-MAIN", sat, 1), rel=1e-6
    )


def test_no_energy(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """E-MAIN's logger lost a working day (3 Dec): a production day with no electricity.
    The missing readings are also a gap of E-MAIN (the same defect seen as completeness)."""
    folder = copy(demo, tmp_path)
    lo, hi = dt.datetime(2025, 12, 3, 0, 15), dt.datetime(2025, 12, 4)
    edit(
        folder,
        "readings",
        lambda rows: [r for r in rows if not (r["meter_id"] == "E-MAIN" and lo <= ts(r) <= hi)],
    )
    found = run(folder, tmp_path)
    assert new_findings(clean, found) == {
        ("quality.production.no_energy", "electricity"),
        ("quality.reading.gap", "E-MAIN"),
    }
    e = only(found, "quality.production.no_energy").evidence
    assert e["days"] == [{"day": "2025-12-03", "intervals_closed": False}]
    assert e["meters"] == ["E-MAIN"]
    assert only(found, "quality.reading.gap", "E-MAIN").evidence["missing_intervals"] == 96


def test_mold_no_output(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """Line DC-02's production rows of 2 Dec are missing while its controller produced."""
    folder = copy(demo, tmp_path)
    edit(folder, "production", _drop_day("2025-12-02", "DC-02"))
    found = run(folder, tmp_path)
    assert new_findings(clean, found) == {("quality.mold.no_output", "TCU-02")}
    e = only(found, "quality.mold.no_output").evidence
    day = dt.datetime(2025, 12, 2)
    # (timestamp, file row: header is row 1) of the day's producing samples
    prod = sorted(
        (ts(r), i + 2)
        for i, r in enumerate(read(folder, "mold_temperature"))
        if r["controller_id"] == "TCU-02"
        and r["state"] == "producing"
        and day < ts(r) <= day + dt.timedelta(days=1)
    )
    assert e["line"] == "DC-02"
    assert e["days"][0]["day"] == "2025-12-02"
    assert e["days"][0]["producing_samples"] == e["samples"] == len(prod)
    assert (e["days"][0]["first"], e["days"][0]["last"]) == (iso(prod[0][0]), iso(prod[-1][0]))
    assert e["days"][0]["_row"] == min(row for _, row in prod)


def _set_cert(folder: Path, inst: str, **values: str) -> None:
    edit(
        folder,
        "calibrations",
        lambda rows: [{**r, **values} if r["instrument_id"] == inst else r for r in rows],
    )


def _readings_between(folder: Path, meter: str, lo: dt.datetime, hi: dt.datetime) -> int:
    return sum(1 for t, _ in series(folder, meter) if lo <= t <= hi)


def test_calibration_issued_after_data(
    demo: DemoInfo, clean: list[Finding], tmp_path: Path
) -> None:
    """E-CNC's only certificate is dated 3 Dec, after two days of its data. assess's
    not_covering names the uncovered dates of the same defect."""
    folder = copy(demo, tmp_path)
    _set_cert(folder, "E-CNC", calibrated_on="2025-12-03")
    found = run(folder, tmp_path)
    assert new_findings(clean, found) == {
        ("quality.calibration.issued_after_data", "E-CNC"),
        ("quality.calibration.not_covering", "E-CNC"),
    }
    e = only(found, "quality.calibration.issued_after_data").evidence
    first = START + dt.timedelta(minutes=15)
    assert e["calibrated_on"] == "2025-12-03"
    assert e["first_data"] == iso(first)
    cut = dt.datetime(2025, 12, 3) - dt.timedelta(seconds=1)
    assert e["rows_before"] == _readings_between(folder, "E-CNC", first, cut) == 191
    assert e["table"] == "readings"
    rows = read(folder, "readings")
    assert e["first_data_row"] == min(
        i + 2 for i, r in enumerate(rows) if r["meter_id"] == "E-CNC" and ts(r) == first
    )


def test_calibration_expired_during_period(
    demo: DemoInfo, clean: list[Finding], tmp_path: Path
) -> None:
    folder = copy(demo, tmp_path)
    _set_cert(folder, "E-CNC", valid_until="2025-12-04")
    found = run(folder, tmp_path)
    assert new_findings(clean, found) == {
        ("quality.calibration.expired_during_period", "E-CNC"),
        ("quality.calibration.not_covering", "E-CNC"),
    }
    e = only(found, "quality.calibration.expired_during_period", "E-CNC").evidence
    after = dt.datetime(2025, 12, 5)
    assert e["valid_until"] == "2025-12-04"
    assert e["first_after"] == iso(after)
    assert e["rows_after"] == _readings_between(folder, "E-CNC", after, END) == 3 * 96 + 1


def test_melting_implied_yield(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """Half of the melting batches' mass is lost in the export: more good castings than
    metal melted."""
    folder = copy(demo, tmp_path)
    edit(
        folder,
        "melting",
        lambda rows: [{**r, "metal_kg": str(float(r["metal_kg"]) / 2)} for r in rows],
    )
    found = run(folder, tmp_path)
    assert new_findings(clean, found) == {("quality.melting.implied_yield", "")}
    e = only(found, "quality.melting.implied_yield").evidence
    y = demo.good_mass_kg / (demo.metal_melted_kg / 2)
    assert e["implied_yield"] == pytest.approx(y, rel=1e-3)
    assert e["direction"] == "high"
    assert e["metal_t"] == pytest.approx(demo.metal_melted_kg / 2000, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# reconciliation


def test_reconcile_closes_on_the_demo(demo: DemoInfo, tmp_path: Path) -> None:
    ds = normalize(demo.path, tmp_path / "norm")
    coef = {"electricity": 0.1229, "natural_gas": 36.0 / 29.3076, "heat": 0.03412}
    rows = {
        r["carrier"]: r
        for r in reconcile(ds, dict(demo.meter_consumption), lambda m: coef[m.carrier])
    }
    el = rows["electricity"]
    c = demo.meter_consumption
    assert el["supply"]["quantity"] == pytest.approx(c["E-MAIN"], rel=1e-12)
    assert el["net"]["quantity"] == pytest.approx(
        c["E-MAIN"] + c["E-PV"] - c["E-CANTEEN"], rel=1e-12
    )
    assert el["net"]["kgce"] == pytest.approx(el["net"]["quantity"] * 0.1229, rel=1e-12)
    # the generator: E-MAIN + E-PV = Σ children + unmetered electricity
    assert el["unmetered"]["quantity"] == pytest.approx(
        demo.unmetered["electricity_kwh"],
        rel=0.01,  # meters' resolution and rounding
    )
    invoiced = float(
        next(r for r in read(demo.path, "energy_purchases") if r["carrier"] == "electricity")[
            "quantity"
        ]
    )
    assert el["invoiced"]["quantity"] == invoiced
    # the generator bills E-MAIN within ±0.8 %
    assert abs(el["invoice_diff_pct"]) <= 0.8 / (1 - 0.008) + 1e-9
    assert el["closes"] == {"submeters": True, "invoices": True}
    assert rows["heat"]["export"]["quantity"] == pytest.approx(c["H-EXPORT"], rel=1e-12)
    assert rows["heat"]["closes"] == {"submeters": None, "invoices": None}


def test_check_command_writes_findings_once(demo: DemoInfo, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from thermaudit.cli import _register, app

    _register()
    r = CliRunner().invoke(
        app, ["check", str(demo.path), "-o", str(tmp_path / "out"), "--severity", "warning"]
    )
    assert r.exit_code == 0, r.output
    doc: dict[str, Any] = json.loads((tmp_path / "out" / "findings.json").read_text("utf-8"))
    subjects = [
        (f["code"], f["evidence"].get("meter", f["evidence"].get("instrument")))
        for f in doc["findings"]
    ]
    assert len(subjects) == len(set(subjects))
    assert {f["severity"] for f in doc["findings"]} == {"warning"}  # info filtered out
    assert ("quality.reading.gap", "E-OFFICE") in subjects
    assert [r["carrier"] for r in doc["reconciliation"]] == ["electricity", "heat", "natural_gas"]
    assert "reconciliation" in r.output


def test_dst_offset_at_a_dst_change(tmp_path: Path) -> None:
    """A Berlin logger writes one reading per wall-clock hour on the 25-hour day the clocks
    go back (it skips the repeated hour): the interval 02:00+02:00 – 03:00+01:00 is 2 h."""
    from builders import Plant

    p = Plant()
    p.site["timezone"] = "Europe/Berlin"
    p.site["period"] = {"start": "2025-10-26", "end": "2025-10-26"}
    rows = []
    for h in range(25):
        day = "2025-10-26" if h < 24 else "2025-10-27"
        offset = "+02:00" if h <= 2 else "+01:00"
        rows.append(
            {
                "meter_id": "E-MAIN",
                "timestamp": f"{day}T{h % 24:02d}:00:00{offset}",
                "value": 100.0 + 10 * h,
            }
        )
    p.rows("readings", *rows)
    p.rows(
        "production",
        {"date": "2025-10-26", "sku": "P-1", "line": "L1", "good_qty": 500, "scrap_qty": 0},
    )
    ds = normalize(p.write(tmp_path / "ds"), tmp_path / "norm")
    found = check_dataset(ds)
    # the skipped hour is also a missing interval: the same defect seen as completeness
    assert {subject(f) for f in found} == {
        ("quality.reading.dst_offset", "E-MAIN"),
        ("quality.reading.gap", "E-MAIN"),
    }
    e = only(found, "quality.reading.dst_offset").evidence
    assert e["rule"] == "dst_change"
    assert e["changes"] == ["2025-10-26T02:00:00+01:00"]  # 03:00 CEST = 02:00 CET
    assert e["intervals"] == [
        {
            "start": "2025-10-26T02:00:00+02:00",
            "end": "2025-10-26T03:00:00+01:00",
            "jump_h": 1.0,
            "_row": 5,  # header + 00:00, 01:00, 02:00, then 03:00 is row 5
        }
    ]
