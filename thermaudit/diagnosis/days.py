"""The local days of an assessment period: the one day definition of the daily series
(energy, production, weather) of the diagnosis."""

from __future__ import annotations

import datetime as dt

from thermaudit.dataset.site import Site

__all__ = ["local_days"]


def local_days(site: Site) -> list[tuple[dt.date, dt.datetime, dt.datetime]]:
    """Local days of the period with their UTC bounds.

    Returns
    -------
    list of (datetime.date, datetime.datetime, datetime.datetime)
        ``(d, start, end)`` for each day d of the period: day d is the interval
        (d 00:00, d+1 00:00] local time, a sample belongs to it when start < ts ≤ end.
        23 h and 25 h days at a daylight-saving change keep their true length.
    """
    z = site.zone
    out = []
    d = site.period.start
    while d <= site.period.end:
        lo = dt.datetime.combine(d, dt.time(), z).astimezone(dt.UTC)
        hi = dt.datetime.combine(d + dt.timedelta(days=1), dt.time(), z).astimezone(dt.UTC)
        out.append((d, lo, hi))
        d += dt.timedelta(days=1)
    return out
