"""Findings that ``assess`` emits while it computes the metrics (``thermaudit/metrics/``): each
code is provoked by injecting exactly its defect into a copy of a 7-day demo, its evidence is
checked against numbers computed here from the edited CSV files (plain csv + datetime, no
engine), and the exact set of new (code, subject) pairs compared with the clean demo is
asserted. Codes the generator already plants are checked against ``DemoInfo.events`` first.

The fixture pattern is that of ``test_checks.py``: one demo per session, each test copies it.
"""

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
from thermaudit.errors import InvalidDataset
from thermaudit.metrics.assess import Assessment, assess, connect
from thermaudit.quality.findings import Finding

TZ = ZoneInfo("Asia/Shanghai")
FMT = "%Y-%m-%d %H:%M:%S"
START = dt.datetime(2025, 12, 1)  # local, naive: the demo's period is 2025-12-01..07
END = dt.datetime(2025, 12, 8)
Q = dt.timedelta(minutes=15)

Subject = tuple[str, str]


def subject(f: Finding) -> Subject:
    e = f.evidence
    keys = ("meter", "parent", "carrier", "controller", "instrument", "stream", "table")
    for key in (*keys, "alloy", "metric", "what"):
        if key in e:
            return f.code, str(e[key])
    return f.code, ""


def iso(t: dt.datetime) -> str:
    return t.replace(tzinfo=TZ).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------------
# one demo per session; each test copies it and edits the CSV files / site.yaml


def run(folder: Path, tmp: Path) -> Assessment:
    ds = normalize(folder, tmp / "norm")
    return assess(ds, con=connect())


@pytest.fixture(scope="session")
def clean_run(demo: DemoInfo, tmp_path_factory: pytest.TempPathFactory) -> Assessment:
    return run(demo.path, tmp_path_factory.mktemp("clean"))


@pytest.fixture(scope="session")
def clean(clean_run: Assessment) -> list[Finding]:
    return clean_run.findings


def copy(demo: DemoInfo, tmp: Path) -> Path:
    out = tmp / "dataset"
    shutil.copytree(demo.path, out)
    return out


def read(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def edit(
    folder: Path, table: str, fn: Callable[[list[dict[str, str]]], list[dict[str, str]]]
) -> None:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as fh:
        fields = list(csv.DictReader(fh).fieldnames or [])
    rows = fn(read(folder, table))
    with open(folder / f"{table}.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def edit_site(folder: Path, fn: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    site = yaml.safe_load((folder / "site.yaml").read_text("utf-8"))
    fn(site)
    (folder / "site.yaml").write_text(yaml.safe_dump(site, allow_unicode=True), "utf-8")
    return site


def ts(row: dict[str, str]) -> dt.datetime:
    return dt.datetime.strptime(row["timestamp"], FMT)


def series(folder: Path, meter: str) -> dict[dt.datetime, float]:
    return {ts(r): float(r["value"]) for r in read(folder, "readings") if r["meter_id"] == meter}


def new_findings(clean: list[Finding], found: list[Finding]) -> set[Subject]:
    return {subject(f) for f in found} - {subject(f) for f in clean}


def only(found: list[Finding], code: str, name: str | None = None) -> Finding:
    hits = [f for f in found if f.code == code and (name is None or subject(f)[1] == name)]
    assert len(hits) == 1, [subject(f) for f in found]
    return hits[0]


# ---------------------------------------------------------------------------------------------
# readings: boundaries


def test_interpolated_boundary(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """E-CNC's closing reading is logged at 00:10 on 8 Dec instead of 00:00: the register at
    the period end is interpolated between 7 Dec 23:45 and 8 Dec 00:10."""
    folder = copy(demo, tmp_path)
    late = END + dt.timedelta(minutes=10)
    edit(
        folder,
        "readings",
        lambda rows: [
            {**r, "timestamp": late.strftime(FMT)}
            if r["meter_id"] == "E-CNC" and ts(r) == END
            else r
            for r in rows
        ],
    )
    found = run(folder, tmp_path).findings
    assert new_findings(clean, found) == {("quality.reading.interpolated_boundary", "E-CNC")}
    e = only(found, "quality.reading.interpolated_boundary").evidence
    s = series(folder, "E-CNC")
    before = END - Q
    assert (e["side"], e["side_zh"]) == ("end", "终点")
    assert (e["before"], e["after"]) == (iso(before), iso(late))
    # linear interpolation: 15 of the 25 minutes lie inside the period
    want = s[before] + (s[late] - s[before]) * 15 / 25
    assert e["value"] == pytest.approx(want, rel=1e-12)  # same float route, rounding only


def test_uncovered_boundary(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """E-CNC's logger stops at 18:00 on the last day: 6 h are uncovered, nothing is
    extrapolated. The gap check only measures gaps between readings, so the trailing 6 h are
    reported once, here."""
    folder = copy(demo, tmp_path)
    stop = dt.datetime(2025, 12, 7, 18)
    edit(
        folder,
        "readings",
        lambda rows: [r for r in rows if not (r["meter_id"] == "E-CNC" and ts(r) > stop)],
    )
    found = run(folder, tmp_path).findings
    assert new_findings(clean, found) == {("quality.reading.uncovered_boundary", "E-CNC")}
    e = only(found, "quality.reading.uncovered_boundary").evidence
    assert e["side"] == "end"
    assert e["hours"] == pytest.approx(6.0, abs=1e-12)  # whole seconds, exact
    assert (e["uncovered_from"], e["uncovered_to"]) == (iso(stop), iso(END))


# ---------------------------------------------------------------------------------------------
# readings: register rules


def test_negative_delta(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """E-CNC's register is set back by 50 kWh at 3 Dec 03:00 and counts on, with no
    meter_events row and no rollover: that one interval is excluded."""
    folder = copy(demo, tmp_path)
    at = dt.datetime(2025, 12, 3, 3)

    def drop(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for r in rows:
            if r["meter_id"] == "E-CNC" and ts(r) >= at:
                r["value"] = f"{float(r['value']) - 50:.1f}"
        return rows

    edit(folder, "readings", drop)
    a = run(folder, tmp_path)
    assert new_findings(clean, a.findings) == {("quality.reading.negative_delta", "E-CNC")}
    e = only(a.findings, "quality.reading.negative_delta").evidence
    s = series(folder, "E-CNC")
    assert e["at"] == iso(at)
    assert e["delta"] == pytest.approx(s[at - Q] - s[at], rel=1e-9)  # 1-decimal CSV values
    assert e["delta"] > 0  # reported as the size of the fall
    assert e["role"] == "submeter"


def test_rollover_planted(demo: DemoInfo, clean: list[Finding]) -> None:
    (event,) = demo.events_of("rollover")
    f = only(clean, "quality.reading.rollover")
    assert subject(f)[1] == event.subject == "E-CANTEEN"
    e = f.evidence
    d = event.detail
    assert e["at"] == iso(event.start)
    assert e["rollover"] == d["rollover"]
    # rollover − previous + current, times E-CANTEEN's multiplier 10
    want = (d["rollover"] - d["previous"] + d["current"]) * 10
    assert e["amount"] == pytest.approx(want, rel=1e-9)  # 1-decimal register values
    assert e["unit"] == "kWh"


def test_rollover_injected(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """E-CNC gets a 6-digit register (rollover 999999.9) whose wrap falls between 3 Dec 10:00
    and 10:15: a constant offset D moves the register so that it crosses the rollover there,
    so every interval amount is unchanged."""
    folder = copy(demo, tmp_path)
    rollover = 999999.9
    s = series(demo.path, "E-CNC")
    at = dt.datetime(2025, 12, 3, 10, 15)
    assert s[at] - s[at - Q] >= 0.2  # a working hour: the register moves
    mid = round((s[at] + s[at - Q]) / 2, 1)
    offset = round(rollover - mid, 1)

    def wrap(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for r in rows:
            if r["meter_id"] == "E-CNC":
                v = float(r["value"]) + offset
                r["value"] = f"{v - rollover if v >= rollover else v:.1f}"
        return rows

    edit(folder, "readings", wrap)
    edit_site(
        folder,
        lambda site: [m.update(rollover=rollover) for m in site["meters"] if m["id"] == "E-CNC"],
    )
    a = run(folder, tmp_path)
    assert new_findings(clean, a.findings) == {("quality.reading.rollover", "E-CNC")}
    e = only(a.findings, "quality.reading.rollover", "E-CNC").evidence
    w = series(folder, "E-CNC")
    assert w[at] < w[at - Q]  # the CSV really wraps there
    assert e["at"] == iso(at)
    assert e["rollover"] == rollover
    assert e["amount"] == pytest.approx(rollover - w[at - Q] + w[at], abs=1e-6)  # multiplier 1
    assert e["amount"] == pytest.approx(s[at] - s[at - Q], abs=0.2)  # offset rounding (0.1)
    # the planted one is still there, unchanged
    assert only(a.findings, "quality.reading.rollover", "E-CANTEEN").evidence == (
        only(clean, "quality.reading.rollover").evidence
    )


def test_meter_event_planted(demo: DemoInfo, clean: list[Finding]) -> None:
    (event,) = demo.events_of("replaced")
    f = only(clean, "quality.reading.meter_event")
    assert subject(f)[1] == event.subject == "E-DC-04"
    e = f.evidence
    s = series(demo.path, "E-DC-04")
    # the replacement at 10:07:30 splits the interval (10:00, 10:15]
    t1 = event.start + dt.timedelta(minutes=7, seconds=30)
    assert t1 == dt.datetime(2025, 12, 4, 10, 15)
    assert e["at"] == iso(t1)
    assert e["event"] == "replaced"
    # (old_final − previous) + (next − new_initial), times E-DC-04's multiplier 40
    d = event.detail
    want = ((d["old_final"] - s[t1 - Q]) + (s[t1] - d["new_initial"])) * 40
    assert e["amount"] == pytest.approx(want, rel=1e-9)  # 2-decimal register values
    assert e["unit"] == "kWh"


def test_meter_event_injected(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """E-CNC's register is reset to 0 at 3 Dec 10:07:30 and a meter_events row says so; the
    readings after it count from 0."""
    folder = copy(demo, tmp_path)
    s = series(demo.path, "E-CNC")
    at = dt.datetime(2025, 12, 3, 10, 15)
    reset = at - dt.timedelta(minutes=7, seconds=30)
    old_final = round((s[at] + s[at - Q]) / 2, 1)

    def zero(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for r in rows:
            if r["meter_id"] == "E-CNC" and ts(r) >= at:
                r["value"] = f"{float(r['value']) - old_final:.1f}"
        return rows

    edit(folder, "readings", zero)
    edit(
        folder,
        "meter_events",
        lambda rows: [
            *rows,
            {
                "meter_id": "E-CNC",
                "timestamp": reset.strftime(FMT),
                "event": "reset",
                "old_final": str(old_final),
                "new_initial": "0",
            },
        ],
    )
    a = run(folder, tmp_path)
    assert new_findings(clean, a.findings) == {("quality.reading.meter_event", "E-CNC")}
    e = only(a.findings, "quality.reading.meter_event", "E-CNC").evidence
    w = series(folder, "E-CNC")
    assert (e["at"], e["event"]) == (iso(at), "reset")
    assert e["amount"] == pytest.approx((old_final - w[at - Q]) + (w[at] - 0), abs=1e-6)
    # the reset loses nothing: consumption as in the clean demo (CSV rounding 0.1 kWh)
    assert a.consumption["E-CNC"].consumption == pytest.approx(
        demo.meter_consumption["E-CNC"], abs=0.2
    )


def test_reading_duplicate_timestamp(demo: DemoInfo, clean_run: Assessment, tmp_path: Path) -> None:
    """A stale copy of E-CNC's 3 Dec 10:00 reading (value − 1) is exported before the real
    one: the last row wins, so the consumption is that of the clean demo."""
    folder = copy(demo, tmp_path)
    at = dt.datetime(2025, 12, 3, 10)

    def dup(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        out = []
        for r in rows:
            if r["meter_id"] == "E-CNC" and ts(r) == at:
                out.append({**r, "value": f"{float(r['value']) - 1:.1f}"})
            out.append(r)
        return out

    edit(folder, "readings", dup)
    a = run(folder, tmp_path)
    assert new_findings(clean_run.findings, a.findings) == {
        ("quality.reading.duplicate_timestamp", "E-CNC")
    }
    e = only(a.findings, "quality.reading.duplicate_timestamp").evidence
    assert e["count"] == 1
    assert a.consumption["E-CNC"].consumption == clean_run.consumption["E-CNC"].consumption


def test_no_data(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """Every E-CNC reading is lost."""
    folder = copy(demo, tmp_path)
    edit(folder, "readings", lambda rows: [r for r in rows if r["meter_id"] != "E-CNC"])
    a = run(folder, tmp_path)
    # reported once: the completeness check (quality.reading.gap) skips a meter without rows
    assert new_findings(clean, a.findings) == {("quality.reading.no_data", "E-CNC")}
    f = only(a.findings, "quality.reading.no_data")
    assert f.severity == "error"
    assert f.evidence == {"meter": "E-CNC"}
    assert a.consumption["E-CNC"].consumption == 0.0


# ---------------------------------------------------------------------------------------------
# rows outside the period


@pytest.mark.parametrize(
    ("table", "row"),
    [
        (
            "production",
            {"date": "2025-12-08", "sku": "BKT-060", "line": "DC-01", "shift": "A",
             "good_qty": "2400", "scrap_qty": "50"},
        ),
        (
            "melting",
            {"timestamp": "2025-11-30 22:00:00", "furnace_id": "FURN-1", "metal_kg": "950",
             "alloy": "ADC12", "tap_temp_c": "690"},
        ),
        (
            "mold_temperature",
            {"timestamp": "2025-12-08 00:01:00", "controller_id": "TCU-01",
             "setpoint_c": "165", "actual_c": "35.0", "state": "idle"},
        ),
    ],
)  # fmt: skip
def test_outside_period(
    demo: DemoInfo, clean: list[Finding], tmp_path: Path, table: str, row: dict[str, str]
) -> None:
    """One row of the table lies just outside the period: counted and ignored."""
    folder = copy(demo, tmp_path)
    edit(folder, table, lambda rows: [*rows, row])
    a = run(folder, tmp_path)
    assert new_findings(clean, a.findings) == {("quality.reading.outside_period", table)}
    f = only(a.findings, "quality.reading.outside_period")
    assert f.evidence == {"table": table, "count": 1}
    assert f.message == f"{table}: 1 rows lie outside the period and were ignored"


# ---------------------------------------------------------------------------------------------
# mold temperature


def _dup_keys(folder: Path, controller: str) -> int:
    seen: dict[str, int] = {}
    for r in read(folder, "mold_temperature"):
        if r["controller_id"] == controller:
            seen[r["timestamp"]] = seen.get(r["timestamp"], 0) + 1
    return sum(n for n in seen.values() if n > 1)


def test_mold_duplicate_timestamp_planted(demo: DemoInfo, clean: list[Finding]) -> None:
    (event,) = demo.events_of("duplicate_timestamps")
    f = only(clean, "quality.mold.duplicate_timestamp")
    assert subject(f)[1] == event.subject == "TCU-06"
    # every extra row shares its timestamp with one original: both are counted
    assert f.evidence["count"] == 2 * event.detail["extra_rows"] == _dup_keys(demo.path, "TCU-06")


def test_mold_duplicate_timestamp_injected(
    demo: DemoInfo, clean: list[Finding], tmp_path: Path
) -> None:
    """TCU-01's log repeats its ten samples of 3 Dec 10:00–10:09 (a second shot each)."""
    folder = copy(demo, tmp_path)
    lo, hi = dt.datetime(2025, 12, 3, 10), dt.datetime(2025, 12, 3, 10, 9)

    def dup(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        out = []
        for r in rows:
            out.append(r)
            if r["controller_id"] == "TCU-01" and lo <= ts(r) <= hi:
                out.append(dict(r))
        return out

    edit(folder, "mold_temperature", dup)
    a = run(folder, tmp_path)
    assert new_findings(clean, a.findings) == {("quality.mold.duplicate_timestamp", "TCU-01")}
    e = only(a.findings, "quality.mold.duplicate_timestamp", "TCU-01").evidence
    assert e["count"] == _dup_keys(folder, "TCU-01") == 20


def test_mold_no_steady_samples(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """TCU-01's state signal is stuck at ``idle``: none of its samples is steady. It is
    line DC-01's only controller, so the line's output has no producing controller either
    (the cross-department check, subject: the line)."""
    folder = copy(demo, tmp_path)
    edit(
        folder,
        "mold_temperature",
        lambda rows: [
            {**r, "state": "idle"} if r["controller_id"] == "TCU-01" else r for r in rows
        ],
    )
    a = run(folder, tmp_path)
    assert new_findings(clean, a.findings) == {
        ("quality.mold.no_steady_samples", "TCU-01"),
        ("quality.mold.output_without_producing", ""),
    }
    (line,) = [f for f in a.findings if f.code == "quality.mold.output_without_producing"]
    assert (line.evidence["line"], line.evidence["controllers"]) == ("DC-01", ["TCU-01"])
    f = only(a.findings, "quality.mold.no_steady_samples")
    assert f.evidence == {"controller": "TCU-01"}
    assert f.metrics == ("mold_temperature_control_accuracy",)


# ---------------------------------------------------------------------------------------------
# calibration


def test_calibration_missing_planted(demo: DemoInfo, clean: list[Finding]) -> None:
    (event,) = demo.events_of("calibration_missing")
    missing = [subject(f)[1] for f in clean if f.code == "quality.calibration.missing"]
    assert missing == [event.subject] == ["TCU-04"]
    assert not any(r["instrument_id"] == "TCU-04" for r in read(demo.path, "calibrations"))


def test_calibration_missing_injected(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    folder = copy(demo, tmp_path)
    edit(folder, "calibrations", lambda rows: [r for r in rows if r["instrument_id"] != "E-CNC"])
    a = run(folder, tmp_path)
    assert new_findings(clean, a.findings) == {("quality.calibration.missing", "E-CNC")}
    assert only(a.findings, "quality.calibration.missing", "E-CNC").evidence == {
        "instrument": "E-CNC"
    }


def test_calibration_not_covering_planted(demo: DemoInfo, clean: list[Finding]) -> None:
    (event,) = demo.events_of("calibration_expires")
    f = only(clean, "quality.calibration.not_covering")
    assert subject(f)[1] == event.subject == "TCU-02"
    first = (dt.date.fromisoformat(event.detail["valid_until"]) + dt.timedelta(days=1)).isoformat()
    assert first == event.start.date().isoformat()
    assert f.evidence["uncovered"] == [[first, "2025-12-07"]]
    assert f.evidence["gaps"] == f"{first}–2025-12-07"


def test_calibration_not_covering_injected(
    demo: DemoInfo, clean: list[Finding], tmp_path: Path
) -> None:
    """E-CNC's certificate ends on 2 Dec and the next one starts on 5 Dec: 3–4 Dec are
    uncovered."""
    folder = copy(demo, tmp_path)

    def split(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        out = []
        for r in rows:
            if r["instrument_id"] == "E-CNC":
                out.append({**r, "valid_until": "2025-12-02"})
                out.append(
                    {**r, "certificate_no": "X-1", "calibrated_on": "2025-12-05",
                     "valid_until": "2026-12-05"}
                )  # fmt: skip
            else:
                out.append(r)
        return out

    edit(folder, "calibrations", split)
    a = run(folder, tmp_path)
    # the check stage looks only at the first certificate's issue date (before the data) and
    # the last certificate's expiry (after the period): a hole between two certificates is
    # seen by assess alone, so it is reported once, here
    assert new_findings(clean, a.findings) == {("quality.calibration.not_covering", "E-CNC")}
    e = only(a.findings, "quality.calibration.not_covering", "E-CNC").evidence
    assert e["uncovered"] == [["2025-12-03", "2025-12-04"]]
    assert e["gaps"] == "2025-12-03–2025-12-04"


# ---------------------------------------------------------------------------------------------
# waste heat


def test_heat_unit_medium_mismatch(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """HS-COMP-AV (water) is logged in Nm3/h on 3 Dec: those rows cannot be valued."""
    folder = copy(demo, tmp_path)
    day = dt.date(2025, 12, 3)
    edit(
        folder,
        "heat_streams",
        lambda rows: [
            {**r, "flow_unit": "Nm3/h"}
            if r["stream_id"] == "HS-COMP-AV" and ts(r).date() == day
            else r
            for r in rows
        ],
    )
    a = run(folder, tmp_path)
    news = new_findings(clean, a.findings)
    assert ("quality.heat.unit_medium_mismatch", "HS-COMP-AV") in news
    e = only(a.findings, "quality.heat.unit_medium_mismatch").evidence
    n = sum(
        1
        for r in read(folder, "heat_streams")
        if r["stream_id"] == "HS-COMP-AV" and r["flow_unit"] == "Nm3/h"
    )
    assert (e["flow_unit"], e["medium"], e["count"]) == ("Nm3/h", "water", n)
    assert n == 288  # one row per 300 s
    assert news == {("quality.heat.unit_medium_mismatch", "HS-COMP-AV")}


def test_heat_unit_medium_mismatch_names_every_wrong_unit(demo: DemoInfo, tmp_path: Path) -> None:
    """HS-FLUE-1 (flue gas) is logged in m3/h on 3 Dec and in t/h on 4 Dec: 720 rows each,
    1440 ignored; the finding must name both units, not only the one that sorts last."""
    folder = copy(demo, tmp_path)
    unit = {dt.date(2025, 12, 3): "m3/h", dt.date(2025, 12, 4): "t/h"}
    edit(
        folder,
        "heat_streams",
        lambda rows: [
            {**r, "flow_unit": unit[ts(r).date()]}
            if r["stream_id"] == "HS-FLUE-1" and ts(r).date() in unit
            else r
            for r in rows
        ],
    )
    f = only(run(folder, tmp_path).findings, "quality.heat.unit_medium_mismatch")
    assert f.evidence["count"] == 2 * 720  # one row per 120 s
    assert "m3/h" in f.message and "t/h" in f.message, f.message


def test_heat_missing_cold_temperature_is_rejected_by_the_reader(
    demo: DemoInfo, tmp_path: Path
) -> None:
    """``quality.heat.missing_cold_temperature`` cannot be reached from a dataset: the reader
    refuses an empty t_cold_c unless the stream is ``available`` with ``t_ref_c``, which is
    exactly when heat.py falls back to t_ref_c. The reader names file, row and column."""
    folder = copy(demo, tmp_path)
    target: dict[str, int] = {}

    def blank(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for i, r in enumerate(rows):
            if r["stream_id"] == "HS-REC-1" and "row" not in target:
                r["t_cold_c"] = ""
                target["row"] = i + 2  # header is row 1
        return rows

    edit(folder, "heat_streams", blank)
    with pytest.raises(InvalidDataset) as err:
        normalize(folder, tmp_path / "norm")
    x = err.value
    assert (x.file, x.row, x.column) == ("heat_streams.csv", target["row"], "t_cold_c")
    assert "HS-REC-1" in x.expected and "t_ref_c" in x.expected
    assert x.found == "(empty)"


def _heat_gj(folder: Path, site: dict[str, Any], kind: str) -> float:
    """Σ flow x factor x cp x ΔT x interval of the streams of ``kind``, from the CSV. [GJ]"""
    cp = {"water": 4.187, "flue_gas": 1.38, "air": 1.30}  # metrics.md section 2
    factor = {"m3/h": 1000.0, "t/h": 1000.0, "kg/h": 1.0, "Nm3/h": 1.0}
    streams = {s["id"]: s for s in site["heat_streams"] if s["kind"] == kind}
    kj = 0.0
    for r in read(folder, "heat_streams"):
        s = streams.get(r["stream_id"])
        if s is None or not (START < ts(r) <= END):
            continue
        cold = float(r["t_cold_c"]) if r["t_cold_c"] else s["t_ref_c"]
        kj += (
            float(r["flow"]) * factor[r["flow_unit"]] * cp[s["medium"]]
            * (float(r["t_hot_c"]) - cold) * s["interval_s"] / 3600
        )  # fmt: skip
    return kj / 1e6


def test_heat_recovery_above_100(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """HS-REC-1's flow is exported in kg/h but labelled t/h (x1000): recovered > available."""
    folder = copy(demo, tmp_path)
    edit(
        folder,
        "heat_streams",
        lambda rows: [
            {**r, "flow": f"{float(r['flow']) * 1000:g}"} if r["stream_id"] == "HS-REC-1" else r
            for r in rows
        ],
    )
    a = run(folder, tmp_path)
    assert new_findings(clean, a.findings) == {("quality.heat.recovery_above_100", "")}
    f = only(a.findings, "quality.heat.recovery_above_100")
    assert f.severity == "error"
    assert f.metrics == ("waste_heat_recovery_rate",)
    site = yaml.safe_load((folder / "site.yaml").read_text("utf-8"))
    available = _heat_gj(folder, site, "available")
    h = series(folder, "H-REC-COMP")
    recovered = _heat_gj(folder, site, "recovered") + h[END] - h[START]
    assert f.evidence["available"] == pytest.approx(available, rel=1e-9)  # float sums
    assert f.evidence["recovered"] == pytest.approx(recovered, rel=1e-9)
    assert a.metric("waste_heat_recovery_rate")["value"] is None


# ---------------------------------------------------------------------------------------------
# melting


def test_melting_unknown_alloy(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    folder = copy(demo, tmp_path)
    edit(
        folder,
        "melting",
        lambda rows: [{**r, "alloy": "XQ-77"} if r["alloy"] == "A380" else r for r in rows],
    )
    a = run(folder, tmp_path)
    assert new_findings(clean, a.findings) == {("quality.melting.unknown_alloy", "XQ-77")}
    e = only(a.findings, "quality.melting.unknown_alloy").evidence
    batches = [r for r in read(folder, "melting") if r["alloy"] == "XQ-77"]
    assert batches and all(START < ts(r) <= END for r in batches)
    assert e["count"] == len(batches)
    assert e["metal_t"] == pytest.approx(sum(float(r["metal_kg"]) for r in batches) / 1000)
    assert a.metric("melting_energy_intensity")["detail"]["thermal_efficiency_pct"] is None


def test_melting_no_meters(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """No meter is tied to the melting furnaces (process and equipment left out)."""
    folder = copy(demo, tmp_path)

    def unlink(site: dict[str, Any]) -> None:
        furnaces = {e["id"] for e in site["equipment"] if e["type"] == "melting_furnace"}
        for m in site["meters"]:
            if m.get("process") == "melting":
                m["process"] = None
            m["equipment"] = [x for x in m.get("equipment") or [] if x not in furnaces]

    edit_site(folder, unlink)
    a = run(folder, tmp_path)
    assert new_findings(clean, a.findings) == {("quality.melting.no_meters", "")}
    f = only(a.findings, "quality.melting.no_meters")
    assert f.evidence == {}
    assert f.metrics == ("melting_energy_intensity",)
    assert a.metric("melting_energy_intensity")["value"] is None


# ---------------------------------------------------------------------------------------------
# metrics


def test_metric_not_computable_without_a_melting_table(
    demo: DemoInfo, clean: list[Finding], tmp_path: Path
) -> None:
    folder = copy(demo, tmp_path)
    (folder / "melting.csv").unlink()
    a = run(folder, tmp_path)
    assert new_findings(clean, a.findings) == {
        ("metric.not_computable", "melting_energy_intensity")
    }
    f = only(a.findings, "metric.not_computable")
    assert f.evidence == {"metric": "melting_energy_intensity", "reason": "no melting table"}
    assert f.message == "melting_energy_intensity: not computable: no melting table"


def test_metric_not_computable_for_a_line_without_output(
    demo: DemoInfo, clean: list[Finding], tmp_path: Path
) -> None:
    """DC-06's production rows are all lost while its submeter measured energy: that energy
    is shared with all SKUs. The mold check sees the same defect (producing controllers of
    DC-06 on days without output)."""
    folder = copy(demo, tmp_path)
    edit(folder, "production", lambda rows: [r for r in rows if r["line"] != "DC-06"])
    a = run(folder, tmp_path)
    assert new_findings(clean, a.findings) == {
        ("metric.not_computable", "line DC-06"),
        ("quality.mold.no_output", "TCU-08"),
        ("quality.mold.no_output", "TCU-09"),
    }
    f = only(a.findings, "metric.not_computable", "line DC-06")
    assert f.metrics == ("unit_product_energy",)
    kgce = a.metric("unit_product_energy")["detail"]["by_meter"]["E-DC-06"]  # its only meter
    assert kgce > 0
    assert f"{kgce:.1f} kgce" in f.evidence["reason"]


def test_metric_coefficient_check(demo: DemoInfo, clean: list[Finding], tmp_path: Path) -> None:
    """site.yaml no longer states the electricity equivalent value: the reference's 0.30
    kgce/kWh, marked (check), is used as given."""
    folder = copy(demo, tmp_path)
    edit_site(folder, lambda site: site["options"].pop("electricity_equivalent_kgce_per_kwh"))
    a = run(folder, tmp_path)
    assert new_findings(clean, a.findings) == {
        ("metric.coefficient_check", "electricity equivalent value")
    }
    f = only(a.findings, "metric.coefficient_check")
    assert f.evidence == {"what": "electricity equivalent value", "value": "0.30 kgce/kWh"}
    assert f.severity == "info"
