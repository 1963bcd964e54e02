"""The sizes of the demo plant, without the generator (numpy, pyarrow): the CLI lists them in
``thermaudit demo --help``, which loads none of the library."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["SCALES", "Scale"]


@dataclass(frozen=True)
class Scale:
    """Size of a demo dataset.

    ``period`` is ``"month"`` (December 2025) or ``"year"`` (2025); ``mold_dt_s`` the mold
    temperature sampling interval [s]; ``controllers_per_line`` the number of mold temperature
    controllers on DC-01..DC-06; ``big_format`` the file format of the three large tables
    (readings, mold_temperature, heat_streams); the other tables are always CSV.
    """

    name: str
    period: str
    mold_dt_s: int
    controllers_per_line: tuple[int, ...]
    big_format: str
    doc: str


SCALES: Mapping[str, Scale] = MappingProxyType(
    {
        s.name: s
        for s in (
            Scale(
                "default",
                "month",
                60,
                (1, 1, 2, 1, 2, 2),
                "csv",
                "one month, 15-min meters, 1-min mold samples, CSV (~0.4 M mold rows)",
            ),
            Scale(
                "S",
                "month",
                10,
                (1, 1, 2, 1, 2, 2),
                "parquet",
                "one month, 10-s mold samples (~2.4 M rows), Parquet for the big tables",
            ),
            Scale(
                "M",
                "year",
                10,
                (1, 1, 2, 1, 2, 2),
                "parquet",
                "one year, 10-s mold samples (~28 M rows), Parquet for the big tables",
            ),
            Scale(
                "L",
                "year",
                1,
                (4, 4, 4, 4, 4, 4),
                "parquet",
                "one year, 24 controllers at 1 Hz (~757 M mold rows), Parquet for the big tables",
            ),
        )
    }
)
