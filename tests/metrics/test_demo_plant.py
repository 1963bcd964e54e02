"""The engine on the demo plant: the generator's own known quantities are reproduced, an
independent plain-numpy route over the same normalized rows agrees, and the SKU energies
add up to the site total."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from thermaudit.dataset.model import NormalizedDataset
from thermaudit.dataset.reader import normalize
from thermaudit.demo import DemoInfo, write_demo
from thermaudit.metrics.assess import Assessment, assess


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[DemoInfo, NormalizedDataset, Assessment]:
    root = tmp_path_factory.mktemp("demo")
    info = write_demo(root / "dataset", days=10)
    ds = normalize(root / "dataset", root / "norm")
    return info, ds, assess(ds)


def test_meter_consumption_matches_the_generator(demo: tuple[Any, ...]) -> None:
    info, _, result = demo
    assert set(result.consumption) == set(info.meter_consumption)
    for meter, truth in info.meter_consumption.items():
        got = result.consumption[meter]
        assert got.unit == info.meter_unit[meter]
        # rel 1e-9: register counts x resolution x multiplier, summed in another order
        assert got.consumption == pytest.approx(truth, rel=1e-9, abs=1e-9), meter


def test_masses_heat_and_melting_match_the_generator(demo: tuple[Any, ...]) -> None:
    info, _, result = demo
    doc = result.document
    upe = doc["metrics"]["unit_product_energy"]["detail"]
    mass_skus = {s for s, v in upe["by_sku"].items() if v["unit"] == "kgce/t"}
    good_t = sum(info.good_mass_kg_by_sku[s] for s in mass_skus) / 1000
    assert upe["good_mass_t"] == pytest.approx(good_t, rel=1e-12)
    for sku, v in upe["by_sku"].items():
        assert v["good_mass_t"] == pytest.approx(info.good_mass_kg_by_sku[sku] / 1000, rel=1e-12)
    melt = doc["metrics"]["melting_energy_intensity"]["detail"]
    assert melt["metal_t"] == pytest.approx(info.metal_melted_kg / 1000, rel=1e-12)
    assert melt["theoretical_mj"] == pytest.approx(info.melting_theoretical_mj, rel=1e-9)
    by_stream = doc["metrics"]["waste_heat_recovery_rate"]["detail"]["by_stream_gj"]
    for sid, gj in info.heat_stream_gj.items():
        assert by_stream[sid] == pytest.approx(gj, rel=1e-9), sid


def test_sku_energies_add_up_to_the_site_total(demo: tuple[Any, ...]) -> None:
    _, _, result = demo
    upe = result.document["metrics"]["unit_product_energy"]["detail"]
    total = sum(v["energy_kgce"] for v in upe["by_sku"].values())
    # exact up to the rounding of a few dozen additions
    assert total == pytest.approx(upe["energy_kgce"], rel=1e-12)


def _numpy_consumption(ds: NormalizedDataset) -> dict[str, float]:
    """Plain numpy, row by row in spirit: sort each meter's readings, difference them, apply
    rollover / events / exclusion, and take the share of each interval inside the period."""
    site = ds.site
    start, end = (t.timestamp() for t in site.period_bounds_utc())
    r = pq.read_table(ds.tables["readings"]).to_pydict()
    ev: dict[str, list[dict[str, Any]]] = {}
    if "meter_events" in ds.tables:
        for e in pq.read_table(ds.tables["meter_events"]).to_pylist():
            ev.setdefault(e["meter_id"], []).append(e)
    from thermaudit.reference import density
    from thermaudit.units import to_canonical

    ids = np.array(r["meter_id"])
    ts = np.array([t.timestamp() for t in r["ts"]])
    val = np.array(r["value"], dtype=float)
    rows = np.array(r["_row"])
    out = {}
    for m in site.meters:
        sel = ids == m.id
        order = np.lexsort((rows[sel], ts[sel]))
        t, v = ts[sel][order], val[sel][order]
        keep = np.append(t[1:] != t[:-1], True)  # last row of equal timestamps
        t, v = t[keep], v[keep]
        if m.reading == "interval":
            out[m.id] = float(v[(t > start) & (t <= end)].sum() * m.multiplier)
            continue
        d = np.diff(v)
        roll = (
            None
            if m.rollover is None
            else m.rollover * to_canonical(m.carrier, m.unit, density(m.carrier)).factor
        )
        amount = np.where(d >= 0, d, (roll - v[:-1] + v[1:]) if roll else np.nan)
        for e in ev.get(m.id, []):
            et = e["ts"].timestamp()
            i = np.searchsorted(t, et)  # t[i-1] < et <= t[i]
            if 0 < i < len(t):
                if t[i] == et and v[i] == e["old_final"]:
                    i += 1  # the reading at the event belongs to the old register
                if 0 < i < len(t):
                    amount[i - 1] = (e["old_final"] - v[i - 1]) + (v[i] - e["new_initial"])
        t0, t1 = t[:-1], t[1:]
        share = np.clip((np.minimum(t1, end) - np.maximum(t0, start)) / (t1 - t0), 0, 1)
        out[m.id] = float(np.nansum(amount * share) * m.multiplier)
    return out


def test_independent_numpy_route_agrees(demo: tuple[Any, ...]) -> None:
    _, ds, result = demo
    ref = _numpy_consumption(ds)
    for meter, value in ref.items():
        # rel 1e-9: same doubles, different summation order
        assert result.consumption[meter].consumption == pytest.approx(value, rel=1e-9, abs=1e-9), (
            meter
        )


def test_demo_period_is_what_was_asked(demo: tuple[Any, ...]) -> None:
    info, ds, _ = demo
    assert (ds.site.period.end - ds.site.period.start) == dt.timedelta(days=9)
    assert info.period_end == ds.site.period.end
    assert isinstance(ds.source, Path)
