"""Metric 3, mold temperature control accuracy: :mod:`thermaudit.metrics.mold`.

Evidence (STYLE.md, Tests): the conformance plant ``mini-options`` (worked example computed by
an independent implementation), hand-calculated synthetic controllers, analytic limits, and
an independent plain-Python/numpy route of the same contract text.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import math
from pathlib import Path
from zoneinfo import ZoneInfo

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pytest

from thermaudit.dataset.model import SCHEMAS
from thermaudit.dataset.site import Period, Site, SteadyState, TemperatureController, load_site
from thermaudit.engine import connect
from thermaudit.metrics.mold import mold_temperature_accuracy, steady_samples

MINI_OPTIONS = Path(__file__).parents[1] / "fixtures" / "conformance" / "mini-options"
TZ = "Asia/Shanghai"
DAY = "2025-10-07"


# ---------------------------------------------------------------------------------------------
# helpers


@pytest.fixture(scope="module")
def con() -> ibis.BaseBackend:
    return connect()


@pytest.fixture(scope="module")
def base_site() -> Site:
    return load_site(MINI_OPTIONS / "site.yaml")


def _site(
    base: Site,
    *,
    warmup: float = 2,
    gap: float = 3,
    tol: dict[str, float] | None = None,
    start: str = DAY,
    end: str = DAY,
) -> Site:
    tol = tol or {}
    return base.model_copy(
        update={
            "period": Period(start=dt.date.fromisoformat(start), end=dt.date.fromisoformat(end)),
            "options": base.options.model_copy(
                update={"steady_state": SteadyState(warmup_min=warmup, gap_min=gap)}
            ),
            "temperature_controllers": [
                TemperatureController(id=k, tolerance_c=v) for k, v in tol.items()
            ],
        }
    )


def _table(rows: list[tuple], *, with_state: bool = True) -> pa.Table:
    """rows: (local 'YYYY-mm-dd HH:MM:SS[.ffffff]' or 'HH:MM:SS' on DAY, controller, setpoint,
    actual, state). Local Asia/Shanghai time → UTC, like the dataset reader."""
    z = ZoneInfo(TZ)

    def ts(text: str) -> dt.datetime:
        if len(text) <= 15:
            text = f"{DAY} {text}"
        return dt.datetime.fromisoformat(text).replace(tzinfo=z).astimezone(dt.UTC)

    schema = SCHEMAS["mold_temperature"]
    data = {
        "ts": [ts(r[0]) for r in rows],
        "controller_id": [r[1] for r in rows],
        "setpoint_c": [float(r[2]) for r in rows],
        "actual_c": [float(r[3]) for r in rows],
        "state": [r[4] for r in rows],
        "_row": list(range(2, len(rows) + 2)),
    }
    if not with_state:
        del data["state"]
        schema = schema.remove(schema.get_field_index("state"))
    return pa.table(data, schema=schema)


def _run(con: ibis.BaseBackend, table: pa.Table, site: Site):
    return mold_temperature_accuracy(con, ibis.memtable(table), site)


def _load_mini_options(site: Site) -> pa.Table:
    """mold_temperature.csv → the normalized schema (local naive timestamps → UTC)."""
    raw = pcsv.read_csv(
        MINI_OPTIONS / "mold_temperature.csv",
        convert_options=pcsv.ConvertOptions(
            column_types={
                "timestamp": pa.timestamp("us"),
                "controller_id": pa.string(),
                "setpoint_c": pa.float64(),
                "actual_c": pa.float64(),
                "state": pa.string(),
            }
        ),
    )
    ts = pc.assume_timezone(raw["timestamp"], site.timezone).cast(pa.timestamp("us", "UTC"))
    return pa.table(
        {
            "ts": ts,
            "controller_id": raw["controller_id"],
            "setpoint_c": raw["setpoint_c"],
            "actual_c": raw["actual_c"],
            "state": raw["state"],
            "_row": pa.array(np.arange(raw.num_rows, dtype=np.int64) + 2),
        },
        schema=SCHEMAS["mold_temperature"],
    )


# ---------------------------------------------------------------------------------------------
# (a) the conformance plant mini-options


@pytest.fixture(scope="module")
def mini(con, base_site):
    table = _load_mini_options(base_site)
    return table, mold_temperature_accuracy(con, ibis.memtable(table), base_site)


EXPECTED = json.loads((MINI_OPTIONS / "expected.json").read_text("utf-8"))
MOLD_CHECKS = [
    c
    for c in EXPECTED["checks"]
    if c.get("path", [None, None])[:2] == ["metrics", "mold_temperature_control_accuracy"]
    and "expected" in c
]


def test_mini_options_has_every_mold_check():
    # 8 controllers x 7 statistics + the enterprise value
    assert len(MOLD_CHECKS) == 8 * 7 + 1


@pytest.mark.parametrize("check", MOLD_CHECKS, ids=lambda c: "/".join(c["path"][3:]))
def test_mini_options_check(mini, check):
    _, result = mini
    path = check["path"]
    got = result.value if path[-1] == "value" else result.by_controller[path[4]][path[5]]
    # cpk: metrics.md now says any non-steady sample ends a segment; expected.json's primary
    # value used the older reading, its `alternatives` hold the current one.
    want = check["alternatives"][0] if path[-1] == "cpk" else check["expected"]
    # tolerance: the check's own rtol/atol (1e-6 / 1e-9 for statistics: quantile
    # interpolation and summation order differ between numpy and DuckDB in the last bits;
    # 0 for sample counts, which must be exact)
    assert got == pytest.approx(want, rel=check["rtol"], abs=check["atol"])


def test_mini_options_steady_counts_and_segments_match_facts(mini):
    _, result = mini
    facts = EXPECTED["facts"]["mold"]
    for cid, f in facts.items():
        # exact: counts
        assert result.facts["by_controller"][cid]["steady"] == f["steady"], cid
        assert result.facts["by_controller"][cid]["rows"] == f["rows"], cid
        assert result.facts["by_controller"][cid]["producing"] == f["producing"], cid
        # the current segment reading = the generator's "consecutive" segments
        assert result.facts["by_controller"][cid]["segments"] == f["cpk_segments_consecutive"]
    assert result.steady_samples == sum(f["steady"] for f in facts.values())
    assert result.passed is True and result.tolerance_c == 1.0  # 0.75 <= 1.0
    assert result.facts["rows_outside_period"] == 0
    assert result.facts["duplicate_timestamp_rows"] == {}


# ---------------------------------------------------------------------------------------------
# (b) hand-calculated synthetic controllers (warmup 2 min, gap 3 min, tolerance 1 °C)

BAD = 150.0  # actual temperature of samples that must NOT count: any leak is obvious


def test_warmup_boundary_exactly_warmup_min_counts(con, base_site):
    """A: producing every minute from 08:00, setpoint 200, warm-up 2 min.

    08:00 first sample, 08:01 is 1 min after → not steady (actual 150, would dominate).
    08:02 is exactly 2 min after → steady ("at least"), e = +0.5; 08:03 e = −0.5.
    A sample 1 µs before 08:02 is not steady.
    p95 |e| = 0.5, max 0.5, bias 0, rms 0.5, within 1.0;
    one segment (n 2, μ_e 0, σ 0.5): cpk = (1 − 0)/(3·0.5) = 2/3.
    """
    rows = [
        ("08:00:00", "A", 200, BAD, "producing"),
        ("08:01:00", "A", 200, BAD, "producing"),
        ("08:01:59.999999", "A", 200, BAD, "producing"),
        ("08:02:00", "A", 200, 200.5, "producing"),
        ("08:03:00", "A", 200, 199.5, "producing"),
    ]
    r = _run(con, _table(rows), _site(base_site, tol={"A": 1.0}))
    a = r.by_controller["A"]
    assert a["samples"] == 2  # exact count
    # 0.5 and 200.5 − 200 are exact binary fractions: equality up to 1e-12 (summation)
    assert a["p95_abs_c"] == pytest.approx(0.5, abs=1e-12)
    assert a["max_abs_c"] == pytest.approx(0.5, abs=1e-12)
    assert a["bias_c"] == pytest.approx(0.0, abs=1e-12)
    assert a["rms_c"] == pytest.approx(0.5, abs=1e-12)
    assert a["within_tolerance"] == 1.0
    assert a["cpk"] == pytest.approx(2 / 3, rel=1e-12)
    assert a["pass"] is True and a["tolerance_c"] == 1.0
    assert r.value == pytest.approx(0.5, abs=1e-12)


def test_time_gap_exactly_gap_min_is_not_a_gap_one_second_more_is(con, base_site):
    """B: producing; 08:00..08:05 every minute, 08:08 (exactly 3 min later: not a gap), 08:09,
    08:12:01 (3 min 1 s after 08:09: a gap, ending at 08:12:01), 08:13, 08:14, 08:14:01.

    Steady (warm-up 2 min): 08:02, 08:03, 08:04, 08:05, 08:08, 08:09 (anchor still 08:00),
    then 08:14:01 only (exactly 2 min after the gap's end) → 7 samples.
    """
    t = [
        "08:00:00",
        "08:01:00",
        "08:02:00",
        "08:03:00",
        "08:04:00",
        "08:05:00",
        "08:08:00",
        "08:09:00",
        "08:12:01",
        "08:13:00",
        "08:14:00",
        "08:14:01",
    ]
    steady = {"08:02:00", "08:03:00", "08:04:00", "08:05:00", "08:08:00", "08:09:00", "08:14:01"}
    rows = [(x, "B", 200, 200.25 if x in steady else BAD, "producing") for x in t]
    r = _run(con, _table(rows), _site(base_site, tol={"B": 1.0}))
    assert r.by_controller["B"]["samples"] == 7  # exact
    assert r.by_controller["B"]["max_abs_c"] == pytest.approx(0.25, abs=1e-12)
    assert r.facts["by_controller"]["B"]["time_gaps"] == 1
    # segments: the gap ends the run 08:02-08:09; 08:14:01 alone (n < 2 → no cpk);
    # 6 samples of e = 0.25 → σ = 0 → skipped as well: cpk null, never 0
    assert r.by_controller["B"]["cpk"] is None
    assert r.facts["by_controller"]["B"]["segments"] == 2


def test_idle_run_longer_than_gap_min_restarts_warmup_and_splits_segments(con, base_site):
    """C: producing 08:00-08:04; idle 08:05, 08:06, 08:07; producing 08:08, 08:09 (the idle
    run lasts 08:05 → 08:08 = exactly 3 min: not a gap); idle 08:10, 08:11, 08:12; producing
    08:13:01 (run 08:10 → 08:13:01 = 3 min 1 s: a gap ending at 08:13:01), 08:14,
    08:15:01, 08:16.

    Steady: 08:02, 08:03, 08:04 | 08:08, 08:09 | 08:15:01, 08:16 → 7 samples.
    e: +0.5, −0.5, 0 | +0.25, −0.25 | +0.5, +0.5.
    Segments (any non-steady sample ends one): σ1 = sqrt(1/6) → cpk1 = 1/(3·sqrt(1/6));
    σ2 = 0.25 → cpk2 = 4/3; σ3 = 0 → skipped.
    cpk = (3·cpk1 + 2·cpk2)/5 (sample-weighted).
    """
    rows = [
        ("08:00:00", "C", 200, BAD, "warmup"),  # the first sample (non-producing)
        ("08:01:00", "C", 200, BAD, "producing"),
        ("08:02:00", "C", 200, 200.5, "producing"),
        ("08:03:00", "C", 200, 199.5, "producing"),
        ("08:04:00", "C", 200, 200.0, "producing"),
        ("08:05:00", "C", 200, BAD, "idle"),
        ("08:06:00", "C", 200, BAD, "idle"),
        ("08:07:00", "C", 200, BAD, "idle"),
        ("08:08:00", "C", 200, 200.25, "producing"),
        ("08:09:00", "C", 200, 199.75, "producing"),
        ("08:10:00", "C", 200, BAD, "idle"),
        ("08:11:00", "C", 200, BAD, "maintenance"),
        ("08:12:00", "C", 200, BAD, "idle"),
        ("08:13:01", "C", 200, BAD, "producing"),
        ("08:14:00", "C", 200, BAD, "producing"),
        ("08:15:01", "C", 200, 200.5, "producing"),
        ("08:16:00", "C", 200, 200.5, "producing"),
    ]
    r = _run(con, _table(rows), _site(base_site, tol={"C": 1.0}))
    c = r.by_controller["C"]
    assert c["samples"] == 7  # exact
    cpk1 = 1 / (3 * math.sqrt(1 / 6))
    cpk2 = 4 / 3
    # rel 1e-12: a few floating-point operations on exact binary fractions
    assert c["cpk"] == pytest.approx((3 * cpk1 + 2 * cpk2) / 5, rel=1e-12)
    assert c["bias_c"] == pytest.approx(1.0 / 7, rel=1e-12)  # (0.5+0.5)/7
    assert r.facts["by_controller"]["C"]["segments"] == 3
    assert r.facts["by_controller"]["C"]["cpk_segments"] == 2
    # the first warm-up run (08:00 → 08:01 = 1 min) and the 3-min idle are not gaps
    assert r.facts["by_controller"]["C"]["nonproducing_gaps"] == 1


def test_setpoint_change_restarts_warmup(con, base_site):
    """D: setpoint 200 at 08:00-08:04, 210 from 08:05 (the change's time) to 08:08.

    Steady: 08:02, 08:03, 08:04 (e +0.5, −0.5, 0) and 08:07 (exactly 2 min after the
    change), 08:08 (e +0.5, −0.5) → 5 samples; the change ends the segment:
    cpk = (3·1/(3·sqrt(1/6)) + 2·1/(3·0.5))/5.
    """
    rows = [
        ("08:00:00", "D", 200, BAD, "producing"),
        ("08:01:00", "D", 200, BAD, "producing"),
        ("08:02:00", "D", 200, 200.5, "producing"),
        ("08:03:00", "D", 200, 199.5, "producing"),
        ("08:04:00", "D", 200, 200.0, "producing"),
        ("08:05:00", "D", 210, BAD, "producing"),
        ("08:06:00", "D", 210, BAD, "producing"),
        ("08:07:00", "D", 210, 210.5, "producing"),
        ("08:08:00", "D", 210, 209.5, "producing"),
    ]
    r = _run(con, _table(rows), _site(base_site, tol={"D": 1.0}))
    d = r.by_controller["D"]
    assert d["samples"] == 5
    assert d["max_abs_c"] == pytest.approx(0.5, abs=1e-12)
    expected = (3 / (3 * math.sqrt(1 / 6)) + 2 / 1.5) / 5
    assert d["cpk"] == pytest.approx(expected, rel=1e-12)  # rel 1e-12: exact fractions
    assert r.facts["by_controller"]["D"]["setpoint_changes"] == 1


def test_duplicate_timestamps_are_all_kept_and_reported(con, base_site):
    """E: 08:00, 08:01, 08:02 twice (two shots), 08:03; all producing.

    Steady: both 08:02 rows (e +0.25, −0.25) and 08:03 (e 0) → 3 samples.
    p95 of |e| = [0, 0.25, 0.25] at position 0.95·2 = 1.9 → 0.25.
    σ = sqrt((0.0625+0.0625)/3) → cpk = 1/(3σ). Reported: 2 rows share a timestamp.
    """
    rows = [
        ("08:00:00", "E", 200, BAD, "producing"),
        ("08:01:00", "E", 200, BAD, "producing"),
        ("08:02:00", "E", 200, 200.25, "producing"),
        ("08:02:00", "E", 200, 199.75, "producing"),
        ("08:03:00", "E", 200, 200.0, "producing"),
    ]
    r = _run(con, _table(rows), _site(base_site, tol={"E": 1.0}))
    e = r.by_controller["E"]
    assert e["samples"] == 3
    assert e["p95_abs_c"] == pytest.approx(0.25, abs=1e-12)
    assert e["cpk"] == pytest.approx(1 / (3 * math.sqrt(0.125 / 3)), rel=1e-12)
    assert r.facts["duplicate_timestamp_rows"] == {"E": 2}
    assert r.facts["duplicate_timestamp_extra_rows"] == {"E": 1}


def test_period_membership_and_first_sample_inside_the_period(con, base_site):
    """F, period 2025-10-07 only: a sample at 10-07 00:00 local (outside: the period is
    (start 00:00, end+1 00:00]), producing samples 00:01-00:04, and one at 10-08 00:00
    (inside, but 23 h 56 min after 00:04: a gap, so not steady).

    The first sample in the period is 00:01 → steady 00:03, 00:04 (not 00:02, which would
    count if the outside sample at 00:00 were the first one).
    """
    rows = [
        ("2025-10-07 00:00:00", "F", 200, BAD, "producing"),
        ("2025-10-07 00:01:00", "F", 200, BAD, "producing"),
        ("2025-10-07 00:02:00", "F", 200, BAD, "producing"),
        ("2025-10-07 00:03:00", "F", 200, 200.5, "producing"),
        ("2025-10-07 00:04:00", "F", 200, 200.5, "producing"),
        ("2025-10-08 00:00:00", "F", 200, BAD, "producing"),
    ]
    r = _run(con, _table(rows), _site(base_site, tol={"F": 1.0}))
    assert r.by_controller["F"]["samples"] == 2
    assert r.facts["rows_outside_period"] == 1
    assert r.facts["rows_outside_period_by_controller"] == {"F": 1}
    assert r.facts["rows_in_period"] == 5


def test_enterprise_value_pools_samples_and_passes_against_the_tightest_tolerance(con, base_site):
    """G (tol 1.0): steady e = 0.5 ×2; H (tol 0.5): steady e = 0.75 ×2.
    Pooled |e| = [0.5, 0.5, 0.75, 0.75]: P95 at position 2.85 → 0.75.
    Enterprise: 0.75 > tightest tolerance 0.5 → fails; G passes, H fails.
    """
    rows = []
    for cid, act in (("G", 200.5), ("H", 200.75)):
        rows += [
            ("08:00:00", cid, 200, BAD, "producing"),
            ("08:02:00", cid, 200, act, "producing"),
            ("08:03:00", cid, 200, act, "producing"),
        ]
    r = _run(con, _table(rows), _site(base_site, tol={"G": 1.0, "H": 0.5, "X": 2.0}))
    assert r.value == pytest.approx(0.75, abs=1e-12)
    assert r.tolerance_c == 0.5 and r.passed is False
    assert r.by_controller["G"]["pass"] is True
    assert r.by_controller["H"]["pass"] is False
    assert r.by_controller["H"]["within_tolerance"] == 0.0
    assert r.facts["controllers_without_samples"] == ["X"]
    assert set(r.by_controller["G"]) == {
        "p95_abs_c",
        "max_abs_c",
        "bias_c",
        "rms_c",
        "within_tolerance",
        "cpk",
        "samples",
        "pass",
        "tolerance_c",
    }


def test_steady_samples_table_for_control_charts(con, base_site):
    rows = [
        ("08:00:00", "D", 200, BAD, "producing"),
        ("08:02:00", "D", 200, 200.5, "producing"),
        ("08:03:00", "D", 200, 199.5, "producing"),
        ("08:04:00", "D", 210, BAD, "producing"),
        ("08:06:00", "D", 210, 210.5, "producing"),
    ]
    s = steady_samples(ibis.memtable(_table(rows)), _site(base_site, tol={"D": 1.0}))
    out = con.to_pyarrow(s.order_by("ts"))
    assert out.column_names == ["controller_id", "ts", "setpoint_c", "actual_c", "e", "segment"]
    assert out["e"].to_pylist() == [0.5, -0.5, 0.5]  # exact binary fractions
    seg = out["segment"].to_pylist()
    assert seg[0] == seg[1] != seg[2]  # the setpoint change starts a new segment


# ---------------------------------------------------------------------------------------------
# (c) analytic limits


def _producing_minutes(cid: str, n: int, sp: float, actual: float) -> list[tuple]:
    return [(f"08:{m:02d}:00", cid, sp, actual, "producing") for m in range(n)]


def test_perfect_control(con, base_site):
    """e = 0 everywhere: p95 = max = bias = rms = 0, within 1, σ = 0 → cpk skipped → null."""
    r = _run(con, _table(_producing_minutes("P", 10, 200, 200)), _site(base_site, tol={"P": 1}))
    p = r.by_controller["P"]
    assert (p["p95_abs_c"], p["max_abs_c"], p["bias_c"], p["rms_c"]) == (0, 0, 0, 0)  # exact
    assert p["within_tolerance"] == 1.0 and p["samples"] == 8
    assert p["cpk"] is None
    assert r.value == 0.0 and r.passed is True


@pytest.mark.parametrize(("offset", "within", "passes"), [(0.4, 1.0, True), (-1.5, 0.0, False)])
def test_constant_offset(con, base_site, offset, within, passes):
    """e = δ everywhere: p95 = max = rms = |δ|, bias = δ, cpk null (σ = 0)."""
    rows = _producing_minutes("O", 10, 200, 200 + offset)
    r = _run(con, _table(rows), _site(base_site, tol={"O": 1.0}))
    o = r.by_controller["O"]
    d = (200 + offset) - 200  # the float the engine sees
    # rel 1e-12: mean and sqrt of identical values (summation error only)
    assert o["p95_abs_c"] == pytest.approx(abs(d), rel=1e-12)
    assert o["max_abs_c"] == pytest.approx(abs(d), rel=1e-12)
    assert o["rms_c"] == pytest.approx(abs(d), rel=1e-12)
    assert o["bias_c"] == pytest.approx(d, rel=1e-12)
    assert o["within_tolerance"] == within and o["pass"] is passes
    assert o["cpk"] is None


def test_no_steady_sample_gives_null_never_zero(con, base_site):
    rows = [(f"08:{m:02d}:00", "Q", 200, 200, "idle") for m in range(10)]
    r = _run(con, _table(rows), _site(base_site, tol={"Q": 1.0}))
    assert r.value is None and r.passed is None and r.steady_samples == 0
    assert r.by_controller["Q"]["p95_abs_c"] is None and r.by_controller["Q"]["samples"] == 0
    assert r.facts["controllers_without_steady_samples"] == ["Q"]
    empty = _run(con, _table([]), _site(base_site, tol={"Q": 1.0}))
    assert empty.value is None and empty.by_controller == {}
    assert empty.facts["controllers_without_samples"] == ["Q"]


def test_without_state_column_every_sample_is_producing(con, base_site):
    rows = _producing_minutes("N", 5, 200, 200.5)
    r = _run(con, _table(rows, with_state=False), _site(base_site, tol={"N": 1.0}))
    assert r.by_controller["N"]["samples"] == 3  # 08:02, 08:03, 08:04


def test_zero_warmup_counts_from_the_first_sample(con, base_site):
    rows = _producing_minutes("Z", 5, 200, 200.5)
    r = _run(con, _table(rows), _site(base_site, warmup=0, tol={"Z": 1.0}))
    assert r.by_controller["Z"]["samples"] == 5


def test_refuses_a_table_that_is_not_normalized(con, base_site):
    site = _site(base_site, tol={"A": 1.0})
    naive = pa.table(
        {
            "ts": pa.array([dt.datetime(2025, 10, 7, 8)], pa.timestamp("us")),
            "controller_id": ["A"],
            "setpoint_c": [200.0],
        }
    )
    with pytest.raises(ValueError, match=r"'ts': expected timestamp in UTC, found timestamp") as ei:
        mold_temperature_accuracy(con, ibis.memtable(naive), site)
    assert "'actual_c'" in str(ei.value) and "missing" in str(ei.value)


# ---------------------------------------------------------------------------------------------
# (d) an independent route: the contract text in plain Python + numpy


def _reference(table: pa.Table, site: Site) -> dict[str, dict]:
    """Literal reading of the contract, one controller at a time, with no windows.

    For every sample: the latest of (first sample in the period, time of the first sample
    with the current setpoint, end of the last gap at or before it) plus warm-up ≤ its time.
    Gaps are listed first (time gaps, then non-producing runs from their first sample to the
    next producing sample), then looked up with bisect.
    """
    start, end = site.period_bounds_utc()
    warm = dt.timedelta(minutes=site.options.steady_state.warmup_min)
    gap = dt.timedelta(minutes=site.options.steady_state.gap_min)
    tol = {c.id: c.tolerance_c for c in site.temperature_controllers}
    rows = [r for r in table.to_pylist() if start < r["ts"] <= end]
    out = {}
    for cid in sorted({r["controller_id"] for r in rows}):
        rs = sorted(
            (r for r in rows if r["controller_id"] == cid), key=lambda r: (r["ts"], r["_row"])
        )
        prod = [r.get("state") in (None, "producing") for r in rs]
        ts = [r["ts"] for r in rs]
        gap_ends = [ts[i] for i in range(1, len(rs)) if ts[i] - ts[i - 1] > gap]
        run_first = None
        for i in range(len(rs)):
            if not prod[i] and run_first is None:
                run_first = ts[i]
            elif prod[i] and run_first is not None:
                if ts[i] - run_first > gap:
                    gap_ends.append(ts[i])
                run_first = None
        gap_ends.sort()
        changes = [ts[0]] + [
            ts[i] for i in range(1, len(rs)) if rs[i]["setpoint_c"] != rs[i - 1]["setpoint_c"]
        ]
        steady = []
        for i in range(len(rs)):
            k = bisect.bisect_right(gap_ends, ts[i])
            last_gap = gap_ends[k - 1] if k else ts[0]
            last_change = changes[bisect.bisect_right(changes, ts[i]) - 1]
            steady.append(prod[i] and ts[i] - max(ts[0], last_change, last_gap) >= warm)
        e = np.array([r["actual_c"] - r["setpoint_c"] for r in rs])
        m = np.array(steady, dtype=bool)
        segs, cur = [], []
        for i in range(len(rs)):
            if steady[i] and cur and rs[i]["setpoint_c"] == rs[cur[-1]]["setpoint_c"]:
                cur.append(i)
                continue
            if cur:
                segs.append(cur)
            cur = [i] if steady[i] else []
        if cur:
            segs.append(cur)
        num = den = 0.0
        for s in segs:
            sd = float(np.std(e[s]))
            if len(s) >= 2 and sd > 0:
                num += len(s) * (tol[cid] - abs(float(np.mean(e[s])))) / (3 * sd)
                den += len(s)
        es = e[m]
        out[cid] = {
            "samples": int(m.sum()),
            "p95_abs_c": float(np.quantile(np.abs(es), 0.95)) if len(es) else None,
            "max_abs_c": float(np.abs(es).max()) if len(es) else None,
            "bias_c": float(es.mean()) if len(es) else None,
            "rms_c": float(np.sqrt(np.mean(es * es))) if len(es) else None,
            "within_tolerance": float(np.mean(np.abs(es) <= tol[cid])) if len(es) else None,
            "cpk": num / den if den else None,
            "segments": len(segs),
            "_abs": np.abs(es),
        }
    return out


def _agree(result, ref: dict[str, dict]) -> None:
    assert set(result.by_controller) == set(ref)
    for cid, want in ref.items():
        got = result.by_controller[cid]
        assert got["samples"] == want["samples"], cid  # exact: same filter
        assert result.facts["by_controller"][cid]["segments"] == want["segments"], cid
        for key in ("p95_abs_c", "max_abs_c", "bias_c", "rms_c", "within_tolerance", "cpk"):
            if want[key] is None:
                assert got[key] is None, (cid, key)
            else:
                # rel 1e-9: same samples, different summation/interpolation arithmetic
                assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-12), (cid, key)
    pooled = np.concatenate([w["_abs"] for w in ref.values()])
    if len(pooled):
        assert result.value == pytest.approx(float(np.quantile(pooled, 0.95)), rel=1e-9)


def test_independent_route_agrees_on_mini_options(mini, base_site):
    table, result = mini
    _agree(result, _reference(table, base_site))


def _random_plant(base_site: Site) -> tuple[pa.Table, Site]:
    """Random controllers with every rule in play: states, setpoint changes, time gaps near
    gap_min (±1 s), duplicated shots (same state and setpoint), rows outside the period."""
    rng = np.random.default_rng(20251007)  # local generator: no global seeding
    z = ZoneInfo(TZ)
    rows = []
    for c in range(6):
        cid = f"R{c}"
        t = dt.datetime(2025, 10, 6, 23, 50, tzinfo=z)  # starts before the period
        sp, state = 200.0, "producing"
        for _ in range(600):
            step = rng.choice(
                [10, 30, 60, 179, 180, 181, 400], p=[0.6, 0.2, 0.16, 0.01, 0.01, 0.01, 0.01]
            )
            t += dt.timedelta(seconds=int(step))
            if rng.random() < 0.01:
                sp += float(rng.choice([-10, 10]))
            if rng.random() < 0.05:
                states = ["producing", "producing", None, "idle", "warmup", "maintenance"]
                state = states[int(rng.integers(len(states)))]
            act = round(sp + rng.normal(0, 0.4), 2)
            rows.append((t.astimezone(dt.UTC), cid, sp, act, state))
            if rng.random() < 0.05:  # a second shot at the same timestamp
                rows.append(
                    (t.astimezone(dt.UTC), cid, sp, round(sp + rng.normal(0, 0.4), 2), state)
                )
    table = pa.table(
        {
            "ts": [r[0] for r in rows],
            "controller_id": [r[1] for r in rows],
            "setpoint_c": [r[2] for r in rows],
            "actual_c": [r[3] for r in rows],
            "state": [r[4] for r in rows],
            "_row": list(range(2, len(rows) + 2)),
        },
        schema=SCHEMAS["mold_temperature"],
    )
    site = _site(base_site, warmup=5, gap=3, tol={f"R{c}": 0.5 + 0.25 * c for c in range(6)})
    return table, site


def test_independent_route_agrees_on_a_random_plant(con, base_site):
    table, site = _random_plant(base_site)
    result = mold_temperature_accuracy(con, ibis.memtable(table), site)
    ref = _reference(table, site)
    assert sum(r["samples"] for r in ref.values()) > 500  # the test exercises something
    assert result.facts["rows_outside_period"] > 0
    assert result.facts["duplicate_timestamp_rows"]
    _agree(result, ref)


def _same(batched, whole) -> None:
    """Quantiles, counts and facts exactly equal; sums (bias, rms, cpk) to the last few
    bits, which depend on the engine's summation order."""
    assert batched.value == whole.value
    assert batched.facts == whole.facts
    assert set(batched.by_controller) == set(whole.by_controller)
    for cid, want in whole.by_controller.items():
        got = batched.by_controller[cid]
        assert set(got) == set(want)
        for key, v in want.items():
            if isinstance(v, float) and key in ("bias_c", "rms_c", "cpk"):
                assert got[key] == pytest.approx(v, rel=1e-12), (cid, key)
            else:
                assert got[key] == v, (cid, key)


@pytest.mark.parametrize("batch_rows", [1, 700, 1500])
def test_batches_of_controllers_give_the_same_result(con, base_site, batch_rows):
    """A year of 1 Hz samples does not fit the engine's memory at once, so the window passes
    run per batch of controllers and the pooled P95 is taken over spooled |e|
    (``batch_rows``; :func:`~thermaudit.metrics.quantile.exact_quantile`). Batches of one
    controller (1), of one or two (700: about 550-600 in-period rows each) and of two or
    three (1500) give the one-batch result exactly, and the independent route's."""
    table, site = _random_plant(base_site)
    whole = mold_temperature_accuracy(con, ibis.memtable(table), site)
    batched = mold_temperature_accuracy(con, ibis.memtable(table), site, batch_rows=batch_rows)
    _same(batched, whole)
    _agree(batched, _reference(table, site))


def test_batches_on_mini_options(con, base_site):
    table = _load_mini_options(base_site)
    whole = mold_temperature_accuracy(con, ibis.memtable(table), base_site)
    batched = mold_temperature_accuracy(con, ibis.memtable(table), base_site, batch_rows=1)
    assert len({c for c in table["controller_id"].to_pylist()}) > 1  # really several batches
    _same(batched, whole)


# ---------------------------------------------------------------------------------------------
# one pass/fail rule for metric 3, from the specification (regression: MoldResult.passed used
# the controllers that contributed samples, the grade every declared controller)


@pytest.mark.parametrize(
    ("rule", "tolerance", "verdict"),
    [
        # G (tol 1.0) has the samples, P95 0.75; Q (tol 0.5) is declared but sends none
        ("contributing", 1.0, "pass"),
        ("declared", 0.5, "fail"),
    ],
)
def test_pass_and_grade_follow_one_rule_when_a_declared_controller_sends_no_sample(
    con, base_site, rule: str, tolerance: float, verdict: str
) -> None:
    from thermaudit.metrics import grading
    from thermaudit.metrics.result import MetricResult
    from thermaudit.metrics.spec import load_spec

    rows = [
        ("08:00:00", "G", 200, BAD, "producing"),
        ("08:02:00", "G", 200, 200.75, "producing"),
        ("08:03:00", "G", 200, 200.75, "producing"),
    ]
    site = _site(base_site, tol={"G": 1.0, "Q": 0.5})
    block = {**load_spec().metric("mold_temperature_control_accuracy").grading}
    block["tolerance_of"] = rule
    r = mold_temperature_accuracy(con, ibis.memtable(_table(rows)), site, grading=block)
    assert r.value == pytest.approx(0.75, abs=1e-12)  # exact: two equal samples
    assert r.facts["controllers_without_samples"] == ["Q"]
    assert r.tolerance_c == tolerance and r.passed is (verdict == "pass")
    # the grade of the same result by the same block agrees
    metric = MetricResult("mold_temperature_control_accuracy", r.value, "°C", {
        "by_controller": r.by_controller
    })  # fmt: skip
    grading.grade(metric, block, site, "spec")
    assert metric.grade == verdict


def test_the_packaged_specification_states_the_rule() -> None:
    from thermaudit.errors import SpecificationError
    from thermaudit.metrics.spec import load_spec, parse_spec

    block = load_spec().metric("mold_temperature_control_accuracy").grading
    assert block["tolerance_of"] == "contributing"
    text = (
        Path(__file__).parents[2] / "thermaudit" / "metrics" / "specs"
        / "miit-2026-provisional@1.yaml"
    ).read_text("utf-8")  # fmt: skip
    with pytest.raises(SpecificationError, match="tolerance_of 'all' is unknown; valid: "
                       "contributing, declared"):  # fmt: skip
        parse_spec(text.replace("tolerance_of: contributing", "tolerance_of: all"), "x.yaml")
