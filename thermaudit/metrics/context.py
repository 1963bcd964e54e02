"""What every metric of one assessment reads: :class:`Context`.

Built once by :func:`~thermaudit.metrics.assess.assess` (the meters' consumption, the
coefficients in force, the production in the period) and handed to each metric's
``compute``; the metrics never read each other's results.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir

from thermaudit.dataset.model import NormalizedDataset
from thermaudit.dataset.site import Site
from thermaudit.metrics.coefficients import Coefficients
from thermaudit.metrics.energy import SkuOutput
from thermaudit.metrics.meters import MeterConsumption
from thermaudit.metrics.result import Reason, Sufficiency
from thermaudit.metrics.spec import Specification


@dataclass
class Context:
    """The inputs of the metrics of one assessment.

    Attributes
    ----------
    con : ibis.BaseBackend
        The engine (:func:`thermaudit.engine.connect`).
    dataset : NormalizedDataset
        The normalized tables (Parquet paths) and inputs.
    site : Site
        The site with its active-energy meters only (a reactive meter measures no energy).
    spec : Specification
        The specification in force.
    coef : Coefficients
        The coefficients in force.
    cons : dict of str to MeterConsumption
        Period consumption of each active meter. [canonical unit]
    output : dict of str to SkuOutput
        Production in the period by SKU.
    purchases : list of dict
        Rows of ``energy_purchases`` (empty without the table).
    """

    con: ibis.BaseBackend
    dataset: NormalizedDataset
    site: Site
    spec: Specification
    coef: Coefficients
    cons: dict[str, MeterConsumption]
    output: dict[str, SkuOutput]
    purchases: list[dict[str, Any]]
    _rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, float]:
        """The specification's formula parameters."""
        return self.spec.parameters

    @property
    def good_mass_t(self) -> float:
        """Good mass of the mass-denominated SKUs in the period (P) [t]."""
        return sum(o.good_mass_t for o in self.output.values() if o.denominator == "mass")

    def table(self, name: str) -> ir.Table | None:
        """Open the normalized table ``name`` on the engine; ``None`` when the dataset has none."""
        path = self.dataset.tables.get(name)
        return self.con.read_parquet(path) if path is not None else None

    def rows(self, name: str) -> list[dict[str, Any]]:
        """All rows of a small table (certificates, invoices), read once."""
        if name not in self._rows:
            t = self.table(name)
            self._rows[name] = self.con.to_pyarrow(t).to_pylist() if t is not None else []
        return self._rows[name]

    def in_period(self, t: ir.Table) -> ir.BooleanValue:
        """Test membership in the period of a table with ``ts`` and ``date`` columns.

        A timestamped row belongs by instant (S, E], a date-only row by date.
        """
        start, end = self.site.period_bounds_utc()
        return ibis.cases(
            (t.ts.notnull(), (t.ts > ibis.literal(start)) & (t.ts <= ibis.literal(end))),
            else_=(t.date >= ibis.literal(self.site.period.start))
            & (t.date <= ibis.literal(self.site.period.end)),
        )

    def period_seconds(self) -> float:
        """Length of the period [s]."""
        start, end = self.site.period_bounds_utc()
        return (end - start).total_seconds()

    def gate(
        self, meter_ids: list[str], value: float | None, extra: list[Reason] | None = None
    ) -> Sufficiency:
        """Judge the data sufficiency of a metric that reads ``meter_ids``.

        A metric is qualified when every meter it reads has completeness ≥ the
        specification's floor (90 %: the usual acceptance floor of online monitoring
        platforms), no supply meter has unexplained negative differences, the metric's own
        ``extra`` reasons are empty and the metric could be computed. A disqualified metric
        is still computed and carries its reasons.
        """
        floor = self.params["completeness_floor_pct"] / 100.0
        reasons: list[Reason] = []
        for mid in meter_ids:
            c = self.cons[mid]
            comp = c.completeness
            if comp is not None and comp < floor:
                reasons.append(
                    Reason(
                        "sufficiency.meter_completeness",
                        mid,
                        {"completeness_pct": 100 * comp, "floor_pct": 100 * floor},
                    )
                )
            if c.facts.get("no_data"):
                reasons.append(Reason("sufficiency.meter_no_data", mid))
            if self.site.meter(mid).role == "supply" and c.facts.get("excluded"):
                reasons.append(
                    Reason(
                        "sufficiency.supply_negative_differences",
                        mid,
                        {"count": len(c.facts["excluded"])},
                    )
                )
        reasons += extra or []
        if value is None:
            reasons.append(Reason("sufficiency.not_computable"))
        return Sufficiency(tuple(reasons))


def boundary_meters(site: Site) -> list[str]:
    """Meters on the site boundary: supply, generation, excluded and export."""
    return [m.id for m in site.meters if m.role in ("supply", "generation", "excluded", "export")]


def local_text(ts: dt.datetime, site: Site) -> str:
    """``ts`` in the site's time zone, ISO 8601 to the second."""
    return ts.astimezone(site.zone).isoformat(timespec="seconds")
