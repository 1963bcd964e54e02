"""The demo plant's ``weather`` table: hourly outdoor air temperature of a synthetic sensor
with the climate of Foshan, Guangdong (the demo plant's city), for the degree-days of the
energy baseline.

The demo plant's energy does not depend on the weather (no space heating or cooling is
simulated), so a baseline that includes heating degree-days should find that term
insignificant: the table exercises the weather path, it plants no effect.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import yaml

__all__ = ["FOSHAN_MONTHLY_MEAN_C", "write_weather"]

#: Approximate monthly mean air temperature of the Foshan / Guangzhou area, January to
#: December [°C]: rounded from the China Meteorological Administration 1991-2020 normals of
#: Guangzhou station (check); plausible, not a reference value.
FOSHAN_MONTHLY_MEAN_C = (13.9, 15.2, 18.1, 22.2, 25.8, 27.8, 28.9, 28.8, 27.6, 24.9, 20.4, 15.5)
#: mean daily range (max − min) [K], winter and summer
_DIURNAL_RANGE_K = (8.0, 6.0)
#: day-to-day weather: AR(1) anomaly of the daily mean [K] (cold surges in winter)
_ANOMALY_SD_K = 2.5
_ANOMALY_PHI = 0.7
#: no comma: the CSV is written without quotes
STATION = "demo outdoor sensor (synthetic; Foshan climate)"


def _seasonal_mean(day: dt.date) -> float:
    """Daily normal by linear interpolation between mid-month normals (periodic)."""
    mid = [dt.date(day.year, m, 15) for m in range(1, 13)]
    x = [(d - dt.date(day.year, 1, 1)).days for d in mid]
    t = (day - dt.date(day.year, 1, 1)).days
    xs = [x[-1] - 365, *x, x[0] + 365]
    ys = [FOSHAN_MONTHLY_MEAN_C[-1], *FOSHAN_MONTHLY_MEAN_C, FOSHAN_MONTHLY_MEAN_C[0]]
    return float(np.interp(t, xs, ys))


def write_weather(folder: Path, seed: int) -> dict[str, int]:
    """Write ``weather.csv`` next to the ``site.yaml`` of the demo dataset ``folder``: one
    sample per hour of the period, stamped at the end of its hour in local time (01:00 …
    24:00, the last written as 00:00 of the next day); returns the rows written.

    The temperature is the seasonal normal of the day (:data:`FOSHAN_MONTHLY_MEAN_C`), an
    AR(1) day-to-day anomaly (σ 2.5 K, φ 0.7), a diurnal cosine with its minimum at 05:00
    and maximum at 14:00 (range 8 K in winter, 6 K in summer) and ±0.3 K of sensor noise,
    rounded to 0.1 °C. ``numpy.random.default_rng([seed, 7])``: its own stream, so the
    plant's draws are unchanged.
    """
    site = yaml.safe_load((folder / "site.yaml").read_text("utf-8"))
    start = dt.date.fromisoformat(str(site["period"]["start"]))
    end = dt.date.fromisoformat(str(site["period"]["end"]))
    rng = np.random.default_rng([seed, 7])
    n_days = (end - start).days + 1
    shocks = rng.normal(0.0, _ANOMALY_SD_K * np.sqrt(1 - _ANOMALY_PHI**2), n_days)
    a = rng.normal(0.0, _ANOMALY_SD_K)
    hours = np.arange(1, 25, dtype=float)
    # asymmetric diurnal shape: cosine warming 05:00 -> 14:00, cooling 14:00 -> 05:00
    warming = (hours >= 5) & (hours <= 14)
    phase = np.where(warming, (hours - 5) / 9.0, 1.0 + ((hours - 14) % 24) / 15.0)
    shape = -np.cos(np.pi * phase)  # -1 at 05:00, +1 at 14:00
    lines = ["timestamp,temperature_c,station"]
    for i in range(n_days):
        a = _ANOMALY_PHI * a + shocks[i]
        day = start + dt.timedelta(days=i)
        summer = 0.5 - 0.5 * np.cos(2 * np.pi * (day.timetuple().tm_yday - 15) / 365.0)
        half_range = 0.5 * (
            _DIURNAL_RANGE_K[0] + summer * (_DIURNAL_RANGE_K[1] - _DIURNAL_RANGE_K[0])
        )
        temps = _seasonal_mean(day) + a + half_range * shape + rng.normal(0.0, 0.3, 24)
        for h, t in zip(range(1, 25), temps, strict=True):
            stamp = dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=h)
            lines.append(f"{stamp:%Y-%m-%d %H:%M:%S},{t:.1f},{STATION}")
    (folder / "weather.csv").write_text("\n".join(lines) + "\n", "utf-8")
    return {"weather": n_days * 24}
