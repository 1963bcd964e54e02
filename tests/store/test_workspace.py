"""The workspace: layout, catalog, idempotence, overlap, supersession and atomicity."""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import getpass
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from thermaudit.dataset.site import credit_code_check_digit
from thermaudit.errors import InvalidDataset, WorkspaceError
from thermaudit.store import Workspace, init_workspace, open_workspace
from thermaudit.store import workspace as workspace_module
from thermaudit.store.workspace import PAUSE_STAGES

FIXTURES = Path(__file__).parents[1] / "fixtures" / "conformance"
MINI = FIXTURES / "mini"
MINI_OPTIONS = FIXTURES / "mini-options"
ZONE = ZoneInfo("Asia/Shanghai")  # mini's site.yaml timezone
#: local instant where the time-split datasets meet (readings.csv format)
SPLIT = "2025-10-07 00:00:00"


# ---------------------------------------------------------------------------------------------
# helpers


def make_dataset(dest: Path, src: Path = MINI, *, keep=None, site_edit=None, readings_edit=None):
    """Copy a fixture dataset; ``keep(row)`` filters readings rows, edits rewrite text."""
    dest.mkdir(parents=True)
    for f in src.iterdir():
        if f.name == "expected.json":
            continue
        (dest / f.name).write_bytes(f.read_bytes())
    if keep is not None:
        header, *rows = (dest / "readings.csv").read_text("utf-8").splitlines()
        kept = [r for r in rows if keep(r.split(","))]
        (dest / "readings.csv").write_text("\n".join([header, *kept]) + "\n", "utf-8")
    if readings_edit is not None:
        text = (dest / "readings.csv").read_text("utf-8")
        (dest / "readings.csv").write_text(readings_edit(text), "utf-8")
    if site_edit is not None:
        text = (dest / "site.yaml").read_text("utf-8")
        (dest / "site.yaml").write_text(site_edit(text), "utf-8")
    return dest


def readings_spans(dataset: Path) -> dict[str, tuple[str, str]]:
    """Per meter (first, last) local timestamp text, straight from readings.csv."""
    spans: dict[str, list[str]] = defaultdict(list)
    with (dataset / "readings.csv").open(encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            spans[row["meter_id"]].append(row["timestamp"])
    return {m: (min(ts), max(ts)) for m, ts in spans.items()}


def csv_rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig") as f:
        return sum(1 for _ in csv.DictReader(f))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(root: Path, *, mtimes: bool = True) -> dict[str, object]:
    """Every path under ``root``: directories by name, files by bytes (and mtime)."""
    out: dict[str, object] = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = (p.read_bytes(), p.stat().st_mtime_ns if mtimes else None)
    return out


def catalog_dump(root: Path) -> list[str]:
    con = sqlite3.connect(root / "catalog.sqlite")
    try:
        return list(con.iterdump())
    finally:
        con.close()


@pytest.fixture
def ws(tmp_path):
    return init_workspace(tmp_path / "ws")


@pytest.fixture(scope="module")
def mini_template(tmp_path_factory):
    """A workspace holding one import of mini, and that import's id (copy it, never change it)."""
    ws = init_workspace(tmp_path_factory.mktemp("template") / "ws")
    return ws.root, ws.import_dataset(MINI).import_id


@pytest.fixture
def stored(tmp_path, mini_template):
    """A fresh workspace holding one import of mini (a copy of the template) and its id."""
    root, import_id = mini_template
    shutil.copytree(root, tmp_path / "stored")
    return open_workspace(tmp_path / "stored"), import_id


@pytest.fixture
def early(tmp_path):
    """mini's first day: period 2025-10-06 and the readings up to and including SPLIT."""
    return make_dataset(
        tmp_path / "early",
        keep=lambda r: r[1] <= SPLIT,
        site_edit=lambda t: t.replace(
            "{start: 2025-10-06, end: 2025-10-08}", "{start: 2025-10-06, end: 2025-10-06}"
        ),
    )


@pytest.fixture
def late(tmp_path):
    """mini's last two days: adjacent to ``early``, sharing the SPLIT reading."""
    return make_dataset(
        tmp_path / "late",
        keep=lambda r: r[1] >= SPLIT,
        site_edit=lambda t: t.replace(
            "{start: 2025-10-06, end: 2025-10-08}", "{start: 2025-10-07, end: 2025-10-08}"
        ),
    )


def edited_site(tmp_path: Path, name: str = "edited") -> Path:
    """mini with another site.yaml (a comment): other sha256, same readings."""
    return make_dataset(tmp_path / name, site_edit=lambda t: t + f"# {name}\n")


# ---------------------------------------------------------------------------------------------
# init / open


def test_init_creates_layout_and_missing_parents(tmp_path):
    root = tmp_path / "a" / "b" / "ws"
    ws = init_workspace(root)
    assert ws.root == root
    marker = json.loads((root / "thermaudit-workspace.json").read_text())
    assert (marker["format"], marker["version"]) == ("thermaudit.workspace", 1)
    for sub in ("raw/sha256", "imports", "cache", ".tmp"):
        assert (root / sub).is_dir(), sub
    assert (root / "catalog.sqlite").is_file()
    assert ws.history() == []
    assert not list(tmp_path.glob("a/b/.ws.init-*")), "staging folder left behind"


def test_init_into_empty_existing_folder(tmp_path):
    (tmp_path / "ws").mkdir()
    init_workspace(tmp_path / "ws")
    assert open_workspace(tmp_path / "ws").history() == []


def test_init_refuses_existing_workspace_and_non_empty_folder(tmp_path):
    init_workspace(tmp_path / "ws")
    with pytest.raises(WorkspaceError, match="already a thermaudit workspace") as exc:
        init_workspace(tmp_path / "ws")
    assert "thermaudit import" in exc.value.hint
    assert init_workspace(tmp_path / "ws", exist_ok=True).root == tmp_path / "ws"

    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    with pytest.raises(WorkspaceError, match=r"other: the folder is not empty"):
        init_workspace(tmp_path / "other")
    assert sorted(p.name for p in (tmp_path / "other").iterdir()) == ["notes.txt"]

    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkspaceError, match=r"workspace at .*file: it is a file"):
        init_workspace(tmp_path / "file")


def test_open_missing_or_plain_folder_says_how_to_init(tmp_path):
    with pytest.raises(WorkspaceError, match=r"nowhere does not exist") as exc:
        open_workspace(tmp_path / "nowhere")
    assert exc.value.hint == f"create a workspace with: thermaudit init {tmp_path / 'nowhere'}"
    with pytest.raises(WorkspaceError) as exc:
        open_workspace(tmp_path)
    assert str(exc.value) == f"{tmp_path} is not a workspace (no thermaudit-workspace.json)"


def test_open_refuses_newer_or_damaged_marker(ws):
    marker = ws.root / "thermaudit-workspace.json"
    marker.write_text(json.dumps({"format": "thermaudit.workspace", "version": 2}))
    with pytest.raises(WorkspaceError, match="is a version 2 workspace"):
        open_workspace(ws.root)
    marker.write_text("{")
    with pytest.raises(WorkspaceError, match=r"thermaudit-workspace.json is damaged"):
        open_workspace(ws.root)


# ---------------------------------------------------------------------------------------------
# import and catalog


def test_import_records_files_rows_who_and_when(ws):
    before = dt.datetime.now(dt.UTC)
    result = ws.import_dataset(MINI)
    after = dt.datetime.now(dt.UTC)
    assert not result.unchanged and result.superseded == ()

    [rec] = ws.history()
    assert rec.id == result.import_id
    assert (rec.status, rec.superseded_by) == ("current", None)
    assert rec.user == getpass.getuser()
    assert before <= rec.created <= after
    assert rec.source == str(MINI.absolute())
    assert rec.credit_code == "91320505MA1P7QWK8M"
    assert (str(rec.period.start), str(rec.period.end)) == ("2025-10-06", "2025-10-08")

    # every file as received: sha256 and rows computed here from the fixture's bytes
    csvs = sorted(p for p in MINI.glob("*.csv"))
    by_name = {f.file: f for f in rec.files}
    assert set(by_name) == {p.name for p in csvs} | {"site.yaml"}
    for p in [*csvs, MINI / "site.yaml"]:
        assert by_name[p.name].sha256 == sha256(p), p.name
        blob = ws.root / "raw" / "sha256" / sha256(p)[:2] / sha256(p)
        assert blob.read_bytes() == p.read_bytes(), p.name
    for p in csvs:
        assert by_name[p.name].rows == csv_rows(p), p.name
        assert by_name[p.name].table == p.stem
        assert rec.table_rows[p.stem] == csv_rows(p), p.stem
        assert pq.read_metadata(rec.tables[p.stem]).num_rows == csv_rows(p), p.stem

    assert (rec.path / "site.yaml").read_bytes() == (MINI / "site.yaml").read_bytes()
    assert rec.site.enterprise.credit_code == "91320505MA1P7QWK8M"

    # meters with their reading time span: local CSV text → UTC
    spans = readings_spans(MINI)
    assert {m.meter_id for m in rec.meters} == set(spans)
    for m in rec.meters:
        first, last = spans[m.meter_id]
        assert m.first == dt.datetime.fromisoformat(first).replace(tzinfo=ZONE), m.meter_id
        assert m.last == dt.datetime.fromisoformat(last).replace(tzinfo=ZONE), m.meter_id

    # the catalog itself holds who and when
    con = sqlite3.connect(ws.root / "catalog.sqlite")
    row = con.execute("SELECT user, created_utc, status FROM imports").fetchone()
    con.close()
    assert row[0] == getpass.getuser() and row[2] == "current"
    assert dt.datetime.fromisoformat(row[1]) == rec.created


def test_workbook_is_stored_once_and_listed_per_sheet(ws, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    folder = tmp_path / "book"
    folder.mkdir()
    (folder / "site.yaml").write_bytes((MINI / "site.yaml").read_bytes())
    book = openpyxl.Workbook()
    book.remove(book.active)
    for table in ("readings", "production"):
        with (MINI / f"{table}.csv").open(encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))[:50]  # header and 49 rows are enough here
        sheet = book.create_sheet(table)
        for row in rows:
            sheet.append(row)
    book.save(folder / "dataset.xlsx")

    ws.import_dataset(folder)
    [rec] = ws.history()
    digest = sha256(folder / "dataset.xlsx")
    sheets = sorted((f.file, f.table, f.rows) for f in rec.files if f.table)
    assert sheets == [
        ("dataset.xlsx[production]", "production", 40),  # production.csv has 40 rows
        ("dataset.xlsx[readings]", "readings", 49),
    ]
    assert {f.sha256 for f in rec.files if f.table} == {digest}
    blob = ws.root / "raw" / "sha256" / digest[:2] / digest
    assert blob.read_bytes() == (folder / "dataset.xlsx").read_bytes()


def test_identical_reimport_is_a_noop(stored, tmp_path):
    ws, first_id = stored
    before = snapshot(ws.root)
    # the same files from another folder are the same dataset
    copy = make_dataset(tmp_path / "copy")
    again = ws.import_dataset(copy)
    assert again.unchanged
    assert again.import_id == first_id
    assert snapshot(ws.root) == before
    assert len(ws.history()) == 1


def test_overlap_is_refused_naming_meters_ranges_and_import(ws, early, tmp_path):
    first = ws.import_dataset(early)
    overlapping = make_dataset(tmp_path / "ovl", keep=lambda r: r[1] >= "2025-10-06 18:00:00")
    before = snapshot(ws.root)
    with pytest.raises(WorkspaceError) as exc:
        ws.import_dataset(overlapping)
    msg = str(exc.value)
    assert f"import {first.import_id}:" in msg
    # expected ranges computed from the two CSVs: [max of firsts, min of lasts] per meter
    a, b = readings_spans(early), readings_spans(overlapping)
    expected = {m: (max(a[m][0], b[m][0]), min(a[m][1], b[m][1])) for m in a.keys() & b.keys()}
    expected = {m: r for m, r in expected.items() if r[0] < r[1]}
    assert len(expected) >= 10  # the fixture has many meters in both halves
    assert f"the readings of {len(expected)} meters overlap" in msg
    for meter, (lo, hi) in expected.items():
        assert f"    {meter} {lo} – {hi}\n" in msg + "\n", meter
    assert exc.value.hint.startswith(f"use --replace to supersede {first.import_id}")
    assert snapshot(ws.root) == before


def test_adjacent_imports_are_both_current_and_merge(ws, early, late):
    a = ws.import_dataset(early)
    b = ws.import_dataset(late)  # shares only the SPLIT instant: adjacent, not overlapping
    assert [r.id for r in ws.current()] == [a.import_id, b.import_id]

    ds = ws.current_dataset()
    n_early, n_late = csv_rows(early / "readings.csv"), csv_rows(late / "readings.csv")
    assert pq.read_metadata(ds.tables["readings"]).num_rows == n_early + n_late
    assert ds.tables["readings"].parent.parent == ws.root / "cache"
    assert ds.site.period.start.isoformat() == "2025-10-06"
    assert len(ds.inputs) == len(ws.get(a.import_id).files) + len(ws.get(b.import_id).files)
    merged = pq.read_table(ds.tables["readings"])
    assert (
        merged.schema.field("ts").type
        == pq.read_schema(ws.get(a.import_id).tables["readings"]).field("ts").type
    )
    # the view is written once: a second call reuses the same file
    mtime = ds.tables["readings"].stat().st_mtime_ns
    assert ws.current_dataset().tables["readings"].stat().st_mtime_ns == mtime


def test_adjacent_imports_keep_each_own_period_of_weather(ws, early, late):
    """Both imports carry the same three days of hourly outdoor temperature (an export of
    the whole month): the merged weather holds each hour once, each from the import whose
    period holds it ((start 00:00, day after end 00:00], the rule of the period tables)."""
    import datetime as dt

    start = dt.datetime(2025, 10, 6)
    lines = ["timestamp,temperature_c"] + [
        f"{start + dt.timedelta(hours=h):%Y-%m-%d %H:%M:%S},{15 + h % 7}" for h in range(1, 73)
    ]
    for folder in (early, late):
        (folder / "weather.csv").write_text("\n".join(lines) + "\n", "utf-8")
    ws.import_dataset(early)
    ws.import_dataset(late)
    merged = pq.read_table(ws.current_dataset().tables["weather"])
    ts = merged.column("ts").to_pylist()
    assert len(ts) == len(set(ts)) == 72
    # 2025-10-07 00:00 local closes the first day: it comes from the early import
    assert min(ts) == dt.datetime(2025, 10, 5, 17, tzinfo=dt.UTC)  # 10-06 01:00 +08:00
    assert max(ts) == dt.datetime(2025, 10, 8, 16, tzinfo=dt.UTC)  # 10-09 00:00 +08:00


def test_adjacent_imports_keep_each_own_days_of_metal_inputs(ws, early, late):
    """Both imports carry the same metal purchases of 2025-10-05 … 10-09 (a purchasing
    export of the month): the merged table holds each day once, from the import whose
    period holds it; days outside every period are left out (a date-only period table)."""
    lines = ["date,material,form,mass_kg,supplier,country"] + [
        f"2025-10-0{d},ADC12,secondary_ingot,{100 * d},S1,CN" for d in range(5, 10)
    ]
    for folder in (early, late):
        (folder / "metal_inputs.csv").write_text("\n".join(lines) + "\n", "utf-8")
    ws.import_dataset(early)
    ws.import_dataset(late)
    merged = pq.read_table(ws.current_dataset().tables["metal_inputs"])
    assert sorted(merged.column("date").to_pylist()) == [
        dt.date(2025, 10, 6),
        dt.date(2025, 10, 7),
        dt.date(2025, 10, 8),
    ]
    assert sorted(merged.column("mass_kg").to_pylist()) == [600.0, 700.0, 800.0]


def test_adjacent_imports_keep_each_own_days_of_quality(ws, early, late):
    """The quality department's export of the month in both imports: each inspection day
    once, from the import whose period holds it (a date-only period table, like
    metal_inputs)."""
    lines = ["date,sku,line,inspected_qty,scrap_qty"] + [
        f"2025-10-0{d},BKT-060,DC-01,{1000 + d},{d}" for d in range(5, 10)
    ]
    for folder in (early, late):
        (folder / "quality.csv").write_text("\n".join(lines) + "\n", "utf-8")
    ws.import_dataset(early)
    ws.import_dataset(late)
    merged = pq.read_table(ws.current_dataset().tables["quality"])
    assert sorted(merged.column("scrap_qty").to_pylist()) == [6.0, 7.0, 8.0]


def test_adjacent_imports_keep_a_maintenance_window_once(ws, early, late):
    """A maintenance log exported with each import repeats its windows; one window straddles
    the two periods (it belongs to both): the merged table holds each window once."""
    lines = [
        "equipment_id,start,end,kind,note",
        "DCM-01,2025-10-06 10:00:00,2025-10-06 12:00:00,planned,die polish",
        "DCM-03,2025-10-06 22:00:00,2025-10-07 03:00:00,unplanned,hydraulic leak",
    ]
    for folder in (early, late):
        (folder / "maintenance.csv").write_text("\n".join(lines) + "\n", "utf-8")
    ws.import_dataset(early)
    ws.import_dataset(late)
    merged = pq.read_table(ws.current_dataset().tables["maintenance"])
    assert sorted(merged.column("equipment_id").to_pylist()) == ["DCM-01", "DCM-03"]
    assert sorted(merged.column("_row").to_pylist()) == [2, 3]


def test_adjacent_imports_assess_like_the_whole_dataset(ws, early, late):
    """Two adjacent periods imported one after the other give the metrics of the whole
    dataset: each import contributes the output of its own period, the readings of both
    meet at the shared instant, and repeated certificates and invoices count once."""
    from thermaudit.metrics.assess import assess

    ws.import_dataset(early)
    ws.import_dataset(late)
    merged = assess(ws.current_dataset()).document["metrics"]
    whole = assess(ws.get(ws.import_dataset(MINI, replace=True).import_id).dataset()).document[
        "metrics"
    ]
    for metric in (
        "unit_product_energy",
        "waste_heat_recovery_rate",
        "melting_energy_intensity",
        "unit_product_carbon_intensity",
        "energy_metering_coverage",
    ):
        # rel 1e-9: the same rows summed in another order
        assert merged[metric]["value"] == pytest.approx(whole[metric]["value"], rel=1e-9), metric


def test_overlapping_periods_are_refused(ws, tmp_path):
    """Different meters but the same days: production would be counted twice."""
    one = make_dataset(tmp_path / "one", keep=lambda r: r[0] == "E-MAIN")
    two = make_dataset(tmp_path / "two", keep=lambda r: r[0] == "G-MAIN")
    first = ws.import_dataset(one)
    with pytest.raises(WorkspaceError) as err:
        ws.import_dataset(two)
    assert "2025-10-06 – 2025-10-08 overlaps current imports" in str(err.value)
    assert first.import_id in str(err.value)
    assert "counted twice" in str(err.value)
    assert "--replace" in err.value.hint


def test_merged_site_is_latest_with_period_union(ws, tmp_path):
    one = make_dataset(tmp_path / "one", keep=lambda r: r[0] == "E-MAIN")
    two = make_dataset(
        tmp_path / "two",
        keep=lambda r: r[0] == "G-MAIN",
        site_edit=lambda t: t.replace(
            "{start: 2025-10-06, end: 2025-10-08}", "{start: 2025-10-09, end: 2025-10-12}"
        ).replace("natural_gas_ncv_mj_per_m3: 35.9", "natural_gas_ncv_mj_per_m3: 36.4"),
    )
    ws.import_dataset(one)
    ws.import_dataset(two)
    site = ws.current_dataset().site
    assert (str(site.period.start), str(site.period.end)) == ("2025-10-06", "2025-10-12")
    assert site.options.natural_gas_ncv_mj_per_m3 == 36.4  # the latest import's site.yaml


def test_single_current_import_is_returned_as_is(ws):
    result = ws.import_dataset(MINI)
    ds = ws.current_dataset()
    assert ds.tables["readings"] == ws.root / "imports" / result.import_id / "readings.parquet"
    assert ds.source == MINI.absolute()


def test_empty_workspace_has_no_current_dataset(ws):
    with pytest.raises(WorkspaceError, match="holds no dataset yet"):
        ws.current_dataset()


def test_replace_supersedes_and_keeps_history(stored):
    ws, old_id = stored
    new = ws.import_dataset(MINI_OPTIONS, replace=True)
    assert new.superseded == (old_id,)
    hist = {r.id: r for r in ws.history()}
    assert list(hist) == [old_id, new.import_id]
    assert (hist[old_id].status, hist[old_id].superseded_by) == (
        "superseded",
        new.import_id,
    )
    assert hist[new.import_id].status == "current"
    assert (ws.root / "imports" / old_id / "readings.parquet").is_file()
    assert [r.id for r in ws.current()] == [new.import_id]
    assert ws.current_dataset().tables["mold_temperature"].is_file()
    # a superseded import is not "current": importing its files again is a new import
    back = ws.import_dataset(MINI, replace=True)
    assert not back.unchanged and back.superseded == (new.import_id,)


def test_other_enterprise_is_refused(stored, tmp_path):
    ws, _ = stored
    first17 = "91320505MA1P7QWK9"
    other = first17 + credit_code_check_digit(first17)
    ds = make_dataset(
        tmp_path / "other",
        site_edit=lambda t: t.replace("91320505MA1P7QWK8M", other),
        # no readings overlap (one reading after the stored ones: an empty readings table is
        # refused since issue #15): only the enterprise differs
        keep=lambda r: r[1] > "2025-10-10",
        readings_edit=lambda t: t + "E-MAIN,2025-10-20 00:00:00,4600.5\n",
    )
    with pytest.raises(WorkspaceError) as exc:
        ws.import_dataset(ds, replace=True)
    assert f"another enterprise: credit code {other}" in str(exc.value)
    assert "this workspace holds 91320505MA1P7QWK8M" in str(exc.value)
    assert "one workspace per enterprise" in exc.value.hint


def test_rejected_dataset_leaves_workspace_byte_identical(stored, tmp_path):
    ws, _ = stored
    bad = make_dataset(
        tmp_path / "bad", readings_edit=lambda t: t.replace(",4523.04\n", ",abc\n", 1)
    )
    before = snapshot(ws.root)
    with pytest.raises(InvalidDataset) as exc:
        ws.import_dataset(bad)
    assert any(p.file == "readings.csv" and p.row == 3 for p in exc.value.problems)
    assert snapshot(ws.root) == before


def test_file_changed_during_import_is_refused_and_nothing_stored(stored, tmp_path, monkeypatch):
    ws, _ = stored
    src = edited_site(tmp_path)
    before = snapshot(ws.root)
    real_pause = workspace_module._pause

    def edit_site(stage: str) -> None:  # someone saves site.yaml after it was read
        if stage == "normalized":  # (a file already in raw/ is stored as it was read)
            with (src / "site.yaml").open("a", encoding="utf-8") as f:
                f.write("# saved again\n")
        real_pause(stage)

    monkeypatch.setattr(workspace_module, "_pause", edit_site)
    with pytest.raises(WorkspaceError) as exc:
        ws.import_dataset(src, replace=True)
    assert str(exc.value) == (
        f"{src / 'site.yaml'} changed while it was being imported; nothing was stored"
    )
    assert snapshot(ws.root) == before


def test_lock_contention_says_busy_and_open_keeps_running_imports_files(ws):
    (ws.root / ".tmp" / "running").mkdir()  # stands for the files of an import in progress
    fd = os.open(ws.root / ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(WorkspaceError, match="workspace is busy") as exc:
            ws.import_dataset(MINI)
        assert "wait" in exc.value.hint
        open_workspace(ws.root)
        assert (ws.root / ".tmp" / "running").is_dir()
    finally:
        os.close(fd)
    open_workspace(ws.root)
    assert not (ws.root / ".tmp" / "running").exists()


def test_open_removes_leftovers_without_a_committed_row(stored):
    ws, _ = stored
    before = snapshot(ws.root)
    (ws.root / "imports" / "20990101T000000Z-deadbe").mkdir()
    (ws.root / "imports" / "20990101T000000Z-deadbe" / "readings.parquet").write_bytes(b"x")
    (ws.root / ".tmp" / "20990101T000000Z-cafe00").mkdir()
    stray = ws.root / "raw" / "sha256" / "00" / ("00" * 32)
    stray.parent.mkdir()
    stray.write_bytes(b"unreferenced")
    open_workspace(ws.root)
    assert snapshot(ws.root) == before


# ---------------------------------------------------------------------------------------------
# a killed import


_IMPORT_SCRIPT = (
    "import sys\n"
    "from thermaudit.store import open_workspace\n"
    "open_workspace(sys.argv[1]).import_dataset(sys.argv[2], replace=True)\n"
)


@dataclass
class KilledRun:
    root: Path  # the workspace
    files: dict[str, object]  # snapshot before the import started
    catalog: list[str]  # catalog dump before
    busy: str  # what a second import said while the first was paused
    returncode: int


@pytest.fixture(scope="module")
def killed(tmp_path_factory, mini_template):
    """One import per stage, each into a copy of a one-import workspace, SIGKILLed there.

    The imports run side by side (a subprocess costs about a second to start), each pausing
    at its stage through the THERMAUDIT_TEST_PAUSE_AT hook. The new dataset overlaps the
    stored one and is imported with replace=True, so the kill also interrupts a supersession.
    """
    top = tmp_path_factory.mktemp("killed")
    template, base_id = mini_template
    new = edited_site(top)
    procs, flags, runs = {}, {}, {}
    for stage in PAUSE_STAGES:
        root = top / stage
        shutil.copytree(template, root)
        before = (snapshot(root, mtimes=False), catalog_dump(root))
        flags[stage] = top / f"paused-{stage}"
        env = dict(
            os.environ,
            THERMAUDIT_TEST_PAUSE_AT=stage,
            THERMAUDIT_TEST_PAUSE_FILE=str(flags[stage]),
        )
        procs[stage] = subprocess.Popen(
            [sys.executable, "-c", _IMPORT_SCRIPT, str(root), str(new)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        runs[stage] = before
    try:
        deadline = time.monotonic() + 60
        for stage, proc in procs.items():
            while not flags[stage].exists():
                if proc.poll() is not None:
                    err = proc.communicate()[1].decode()
                    pytest.fail(f"import ended before {stage} (exit {proc.returncode}):\n{err}")
                if time.monotonic() > deadline:
                    pytest.fail(f"import did not reach {stage} in 60 s")
                time.sleep(0.02)
        busy = {}
        for stage in PAUSE_STAGES:
            with pytest.raises(WorkspaceError) as exc:
                Workspace(top / stage).import_dataset(new, replace=True)
            busy[stage] = str(exc.value)
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
    out = {
        stage: KilledRun(top / stage, *runs[stage], busy[stage], procs[stage].returncode)
        for stage in PAUSE_STAGES
    }
    return base_id, new, out


@pytest.mark.slow
@pytest.mark.parametrize("stage", PAUSE_STAGES)
def test_import_killed_at_each_stage_leaves_workspace_as_before(killed, stage):
    base_id, new, runs = killed
    run = runs[stage]
    assert run.returncode == -signal.SIGKILL
    assert run.busy.startswith(f"workspace is busy: another import into {run.root} is running")

    reopened = open_workspace(run.root)
    if stage == "committed":  # killed after the commit point: the import is complete
        old, done = reopened.history()
        assert (old.id, old.status, done.status) == (base_id, "superseded", "current")
        assert old.superseded_by == done.id
        assert (done.path / "site.yaml").read_bytes() == (new / "site.yaml").read_bytes()
        assert set(done.tables) == set(old.tables)
        assert all(p.is_file() for p in done.tables.values())
        assert not any((run.root / ".tmp").iterdir())
        assert reopened.import_dataset(new, replace=True).unchanged
        return
    assert catalog_dump(run.root) == run.catalog
    assert snapshot(run.root, mtimes=False) == run.files
    result = reopened.import_dataset(new, replace=True)
    assert not result.unchanged and result.superseded == (base_id,)
    assert [r.status for r in reopened.history()] == ["superseded", "current"]


# ---------------------------------------------------------------------------------------------
# CLI


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "thermaudit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(os.environ, COLUMNS="200"),
    )


def test_cli_init_import_and_reimport(tmp_path):
    from thermaudit.cli import app, commands  # noqa: F401 - registers the commands

    runner = CliRunner()
    root = tmp_path / "new" / "ws"
    res = runner.invoke(app, ["init", str(root)])
    assert res.exit_code == 0, res.output
    assert f"created workspace {root}" in res.output
    res = runner.invoke(app, ["init", str(root)])
    assert res.exit_code == 0 and "already a workspace; nothing changed" in res.output

    res = runner.invoke(app, ["import", str(MINI), "-w", str(root)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    [rec] = open_workspace(root).history()
    assert f"imported as {rec.id}" in res.output
    for f in rec.files:
        line = next(ln for ln in res.output.splitlines() if f" {f.file} " in ln)
        assert f.sha256[:12] in line and str(f.rows) in line, line

    res = runner.invoke(app, ["import", str(MINI), "--workspace", str(root)])
    assert res.exit_code == 0, res.output
    assert f"unchanged: identical to import {rec.id}" in res.output

    res = runner.invoke(app, ["import", str(MINI_OPTIONS), "-w", str(root), "--replace"])
    assert res.exit_code == 0, res.output
    assert f"superseded: {rec.id} (kept in the history)" in res.output


def test_cli_import_into_non_workspace_exits_2_with_hint(tmp_path):
    res = _cli("import", str(MINI), "-w", str(tmp_path / "nope"))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert f"{tmp_path / 'nope'} does not exist" in res.stderr
    assert f"thermaudit init {tmp_path / 'nope'}" in res.stderr


def test_cli_overlap_exits_2_naming_import_and_replace(stored, monkeypatch, capsys):
    from thermaudit.cli import main

    ws, first_id = stored
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(
        sys, "argv", ["thermaudit", "import", str(MINI_OPTIONS), "-w", str(ws.root)]
    )
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"import {first_id}:" in err
    assert "E-MAIN 2025-10-05 20:00:00 – 2025-10-09 04:00:00" in err
    assert "use --replace" in err
