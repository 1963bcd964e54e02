"""Energy baseline and energy performance indicator (EnPI) by regression, and normalized
savings against it (ISO 50006:2014, ISO 50015:2014, ASHRAE Guideline 14-2014).

The daily series of the site's comprehensive energy E (GB/T 2589-2020: supply + generation −
excluded − export, in kgce) is regressed on daily production and, where a ``weather`` table
gives them, on daily heating and cooling degree-days (:mod:`thermaudit.diagnosis.weather`);
the model is judged with the ASHRAE Guideline 14 statistics and, when a reporting period is
given, used to compute normalized savings (adjusted baseline − actual) with their uncertainty.

Everything heavy (the readings) runs as ibis expressions on DuckDB by default; what comes back
to Python is one row per (day, meter) and per (day, SKU).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from thermaudit.dataset.model import NormalizedDataset
from thermaudit.dataset.site import Meter
from thermaudit.diagnosis.days import local_days as _days
from thermaudit.diagnosis.student import t_ppf, t_sf
from thermaudit.diagnosis.weather import DEGREE_DAY_BASES, daily_weather
from thermaudit.engine import connect
from thermaudit.errors import ThermauditError
from thermaudit.metrics.coefficients import Coefficients, resolve
from thermaudit.metrics.energy import ROLE_SIGN
from thermaudit.metrics.spec import load_spec
from thermaudit.quality.intervals import interval_amounts

__all__ = [
    "GUIDELINE14_LIMITS",
    "REGRESSORS",
    "WEATHER_REGRESSORS",
    "BaselineError",
    "BaselineModel",
    "Savings",
    "baseline_section",
    "cv_rmse_nmbe",
    "daily_series",
    "fit_baseline",
    "normalized_savings",
]

SCHEMA = "thermaudit.baseline/1"

#: Roles that enter E (GB/T 2589-2020 clause 4), with their sign.
E_ROLES = {role: sign for role, sign in ROLE_SIGN.items() if sign}

#: Production columns of :func:`daily_series` usable as regressors, with their units.
REGRESSORS = {
    "good_mass_t": "t",
    "processed_t": "t",
    "pieces": "piece",
}

#: Degree-day columns of :func:`~thermaudit.diagnosis.weather.daily_weather` usable as
#: regressors (they need a ``weather`` table), with their units.
WEATHER_REGRESSORS = {
    "hdd": "K·d",
    "cdd": "K·d",
}

#: The production regressor of the default model (degree-day terms join it when present).
DEFAULT_REGRESSORS = ("processed_t",)

#: A degree-day term enters the default model when non-zero on at least this share of the
#: baseline days: below it the column is near-constant and the design near-singular. [1]
MIN_DEGREE_DAY_SHARE = 0.10

#: Level at which a term's p-value is called significant. [1]
SIGNIFICANCE = 0.05

#: Statistical criteria applied to a baseline model (the limits are package data with a source,
#: the single place the code, the JSON and the report read them from).
GUIDELINE14_LIMITS: dict[str, Any] = {
    "cv_rmse_max": 0.20,
    "nmbe_abs_max": 0.00005,
    "fractional_savings_uncertainty_max": 0.50,
    "fractional_savings_uncertainty_confidence": 0.68,
    "source": (
        "ASHRAE Guideline 14-2014, whole-building (Option C) regression path: baseline model "
        "CV(RMSE) <= 20 % (energy, < 12 months of reporting data) and net determination bias "
        "<= 0.005 %; savings uncertainty < 50 % of the reported savings at 68 % confidence"
    ),
    "not_applied": (
        "the calibrated-simulation limits (monthly CV(RMSE) <= 15 %, |NMBE| <= 5 %; hourly "
        "CV(RMSE) <= 30 %, |NMBE| <= 10 %) are for simulation models and name no daily limit"
    ),
}


class BaselineError(ThermauditError, ValueError):
    """A baseline cannot be fitted or applied to the data given.

    Attributes
    ----------
    expected : str
        What the computation needs.
    found : str
        What it was given.
    reason : str
        What a report says in its reader's language: ``too_few_days`` (``values``: the days
        ``found`` and ``needed``), ``collinear`` (``values``: the ``regressors``),
        ``not_finite``, ``no_series`` (the readings or the production are missing), or
        ``other`` (a request the caller made: an option out of range, a regressor unknown).
    values : dict
        The figures of ``reason``.
    """

    def __init__(
        self,
        message: str,
        *,
        expected: str,
        found: str,
        hint: str = "",
        reason: str = "other",
        values: dict[str, Any] | None = None,
    ) -> None:
        self.expected = expected
        self.found = found
        self.reason = reason
        self.values = values or {}
        super().__init__(f"{message}: expected {expected}, found {found}", hint=hint)


# --------------------------------------------------------------------------- daily series


def _coefficients(dataset: NormalizedDataset, con: ibis.BaseBackend) -> Coefficients:
    """The coefficients :func:`thermaudit.metrics.assess.assess` uses with the default
    specification (site options, then the invoices' measured gas NCV, then the tables)."""
    from thermaudit.metrics.assess import _invoice_ncv

    purchases: list[dict[str, Any]] = []
    if dataset.has("energy_purchases"):
        purchases = con.to_pyarrow(con.read_parquet(dataset.tables["energy_purchases"])).to_pylist()
    return resolve(dataset.site, load_spec(None).parameters, _invoice_ncv(purchases))


def _days_table(days: list[tuple[dt.date, dt.datetime, dt.datetime]]) -> ir.Table:
    ts = pa.timestamp("us", tz="UTC")
    return ibis.memtable(
        pa.table(
            {
                "day": pa.array([d for d, _, _ in days], pa.date32()),
                "d0": pa.array([lo for _, lo, _ in days], ts),
                "d1": pa.array([hi for _, _, hi in days], ts),
                "d0_s": pa.array([int(lo.timestamp()) for _, lo, _ in days], pa.int64()),
                "d1_s": pa.array([int(hi.timestamp()) for _, _, hi in days], pa.int64()),
            }
        )
    )


def _daily_meter_rows(
    con: ibis.BaseBackend,
    dataset: NormalizedDataset,
    meters: list[Meter],
    days: ir.Table,
) -> list[dict[str, Any]]:
    """Per (day, meter): the amount [canonical unit] and the covered seconds."""
    site = dataset.site
    readings = con.read_parquet(dataset.tables["readings"])
    events = (
        con.read_parquet(dataset.tables["meter_events"]) if dataset.has("meter_events") else None
    )
    iv = interval_amounts(readings, events, site)
    iv = iv.filter(iv.meter_id.isin([m.id for m in meters]))
    nominal = ibis.memtable(
        pa.table(
            {
                "n_meter": [m.id for m in meters],
                "nominal_s": pa.array([m.interval_s for m in meters], pa.float64()),
            }
        )
    )
    iv = iv.join(nominal, iv.meter_id == nominal.n_meter).drop("n_meter")
    iv = iv.mutate(t0=iv.prev_ts.epoch_seconds(), t1=iv.ts.epoch_seconds())

    # interval meters: the reading is the amount of the interval ending at ts, wholly in the
    # day (d0, d1] that holds ts (the rule of metrics.meters)
    a = iv.filter(iv.kind == "interval")
    ja = a.join(days, (a.ts > days.d0) & (a.ts <= days.d1))
    step = ibis.coalesce(ja.nominal_s, (ja.t1 - ja.t0).cast("float64"), 0.0)
    da = ja.select(
        "day",
        "meter_id",
        part=ja.amount,
        covered=ibis.cases((ja.amount.notnull(), step), else_=0.0),
    )

    # cumulative meters: each interval (prev_ts, ts] shared by its overlap with the day, the
    # same linear share metrics.meters takes at the period bounds, so the days add up to the
    # period consumption
    c = iv.filter((iv.kind != "interval") & iv.prev_ts.notnull())
    jc = c.join(days, (c.prev_ts < days.d1) & (c.ts > days.d0))
    overlap = (ibis.least(jc.t1, jc.d1_s) - ibis.greatest(jc.t0, jc.d0_s)).cast("float64")
    length = (jc.t1 - jc.t0).cast("float64")
    # an interval longer than twice the nominal one is a gap: its energy counts (linear
    # interpolation, as for the period), its time does not count as covered
    measured = jc.amount.notnull() & (jc.nominal_s.isnull() | (length <= 2.0 * jc.nominal_s))
    dc = jc.select(
        "day",
        "meter_id",
        part=ibis.cases((overlap > 0, jc.amount * overlap / length), else_=0.0),
        covered=ibis.cases((measured & (overlap > 0), overlap), else_=0.0),
    )
    u = da.union(dc)
    agg = u.group_by(["day", "meter_id"]).aggregate(amount=u.part.sum(), covered=u.covered.sum())
    return con.to_pyarrow(agg).to_pylist()


def _daily_production(
    con: ibis.BaseBackend, dataset: NormalizedDataset, days: ir.Table
) -> list[dict[str, Any]]:
    """Per (day, SKU): good and scrap quantities. Date-only rows by their date, timestamped
    rows by the day (d0, d1] that holds the instant (the membership rule of the assessment)."""
    prod = con.read_parquet(dataset.tables["production"])
    dated = prod.filter(prod.ts.isnull())
    dated = dated.join(days, dated.date == days.day).select("day", "sku", "good_qty", "scrap_qty")
    timed = prod.filter(prod.ts.notnull())
    timed = timed.join(days, (timed.ts > days.d0) & (timed.ts <= days.d1)).select(
        "day", "sku", "good_qty", "scrap_qty"
    )
    u = dated.union(timed)
    agg = u.group_by(["day", "sku"]).aggregate(good=u.good_qty.sum(), scrap=u.scrap_qty.sum())
    return con.to_pyarrow(agg).to_pylist()


def daily_series(
    dataset: NormalizedDataset,
    con: ibis.BaseBackend | None = None,
    *,
    coefficients: Coefficients | None = None,
    basis: str | None = None,
    min_coverage: float = 0.99,
) -> pa.Table:
    """Daily energy and production of the site, one row per local day of the period.

    Parameters
    ----------
    dataset : NormalizedDataset
        The normalized dataset (readings and production required).
    con : ibis backend, optional
        Engine; an in-memory DuckDB by default.
    coefficients : Coefficients, optional
        kgce coefficients; by default those the assessment resolves for this dataset
        (``Assessment.coefficients`` may be passed to be sure they are the same).
    basis : str, optional
        Electricity basis, ``calorific`` or ``equivalent``; the site option by default.
    min_coverage : float
        A day is ``complete`` when every meter entering E covers at least this fraction of
        it with measured intervals. [1]

    Returns
    -------
    pyarrow.Table
        Columns (unit in each field's metadata): ``date`` (local day), ``energy_kgce``
        (E of the day [kgce]), ``energy_kgce_<carrier>`` (signed contribution of each carrier
        [kgce]), ``good_mass_t`` (good mass of mass-denominated SKUs, the denominator of
        unit_product_energy [t]), ``processed_t`` (good + scrap mass of all SKUs [t]),
        ``pieces`` (good pieces of all SKUs [piece]), ``coverage`` (lowest covered fraction
        of the day over the meters entering E [1]) and ``complete`` (coverage ≥
        ``min_coverage``).

    Notes
    -----
    Day d is the interval (d 00:00, d+1 00:00] local time. A cumulative meter's interval
    (previous reading, reading] is shared among the days it overlaps in proportion to the
    overlap — the linear interpolation that :mod:`thermaudit.metrics.meters` applies at the
    period bounds — so over a period the days add up to the assessment's E exactly (up to
    the order of additions). An interval longer than twice the meter's nominal interval
    still contributes its energy but not its time to ``coverage``.
    """
    con = con or connect()
    site = dataset.site
    for name in ("readings", "production"):
        if not dataset.has(name):
            raise BaselineError(
                "a daily series needs the readings and the production",
                expected=f"a {name} table",
                found="none in the dataset",
                reason="no_series",
            )
    basis = basis or site.options.electricity_basis
    if basis not in ("calorific", "equivalent"):
        raise BaselineError(
            "unknown electricity basis", expected="calorific or equivalent", found=repr(basis)
        )
    coef = coefficients or _coefficients(dataset, con)
    meters = [m for m in site.meters if m.role in E_ROLES and m.quantity == "active"]
    days = _days(site)
    dtab = _days_table(days)
    day_s = {d: (hi - lo).total_seconds() for d, lo, hi in days}

    carriers = sorted({m.carrier for m in meters})
    energy = {d: 0.0 for d, _, _ in days}
    by_carrier = {c: {d: 0.0 for d, _, _ in days} for c in carriers}
    covered: dict[tuple[dt.date, str], float] = {}
    factor = {m.id: E_ROLES[m.role] * coef.kgce_per_unit(m, basis) for m in meters}
    carrier_of = {m.id: m.carrier for m in meters}
    if meters:
        for r in _daily_meter_rows(con, dataset, meters, dtab):
            kgce = (r["amount"] or 0.0) * factor[r["meter_id"]]
            energy[r["day"]] += kgce
            by_carrier[carrier_of[r["meter_id"]]][r["day"]] += kgce
            covered[(r["day"], r["meter_id"])] = float(r["covered"] or 0.0)

    products = {p.sku: p for p in site.products}
    good_t = {d: 0.0 for d, _, _ in days}
    proc_t = {d: 0.0 for d, _, _ in days}
    pieces = {d: 0.0 for d, _, _ in days}
    for r in _daily_production(con, dataset, dtab):
        p = products[r["sku"]]
        good, scrap = float(r["good"] or 0.0), float(r["scrap"] or 0.0)
        if p.denominator == "mass":
            good_t[r["day"]] += good * p.unit_mass_kg / 1000.0
        proc_t[r["day"]] += (good + scrap) * p.unit_mass_kg / 1000.0
        pieces[r["day"]] += good

    dates = [d for d, _, _ in days]
    coverage = [
        min((min(1.0, covered.get((d, m.id), 0.0) / day_s[d]) for m in meters), default=0.0)
        for d in dates
    ]

    def field(name: str, typ: pa.DataType, unit: str) -> pa.Field:
        return pa.field(name, typ, metadata={"unit": unit})

    fields = [field("date", pa.date32(), "local day"), field("energy_kgce", pa.float64(), "kgce")]
    cols: list[list[Any]] = [dates, [energy[d] for d in dates]]
    for c in carriers:
        fields.append(field(f"energy_kgce_{c}", pa.float64(), "kgce"))
        cols.append([by_carrier[c][d] for d in dates])
    fields += [
        field("good_mass_t", pa.float64(), "t"),
        field("processed_t", pa.float64(), "t"),
        field("pieces", pa.float64(), "piece"),
        field("coverage", pa.float64(), "1"),
        field("complete", pa.bool_(), "1"),
    ]
    cols += [
        [good_t[d] for d in dates],
        [proc_t[d] for d in dates],
        [pieces[d] for d in dates],
        coverage,
        [c >= min_coverage for c in coverage],
    ]
    schema = pa.schema(fields, metadata={"electricity_basis": basis, "site": site.enterprise.name})
    return pa.table(cols, schema=schema)


# --------------------------------------------------------------------------- regression


@dataclass(frozen=True)
class BaselineModel:
    """An ordinary-least-squares baseline ``y = b0 + Σ b_k x_k`` and its statistics.

    Attributes
    ----------
    names : tuple of str
        ``("intercept", *regressors)``, the order of every array below.
    coefficients, std_errors, t_values, p_values : numpy.ndarray
        Estimates, their standard errors, t statistics and two-sided p-values
        (Student t with ``dof`` degrees of freedom).
    n : int
        Number of observations.
    p : int
        Number of parameters, intercept included.
    r2, adj_r2 : float
        Coefficient of determination and its adjusted form 1 − (1 − R²)(n − 1)/(n − p).
    rmse : float
        sqrt(Σ(y − ŷ)² / (n − p)). [unit of y]
    cv_rmse, nmbe : float
        ASHRAE Guideline 14 statistics, as fractions (0.1 = 10 %).
    y_mean : float
        Mean of y in the baseline period. [unit of y]
    rho : float
        Lag-1 autocorrelation of the residuals in the given order.
    residuals : numpy.ndarray
        y − ŷ.
    """

    names: tuple[str, ...]
    coefficients: np.ndarray
    std_errors: np.ndarray
    t_values: np.ndarray
    p_values: np.ndarray
    n: int
    p: int
    r2: float
    adj_r2: float
    rmse: float
    cv_rmse: float
    nmbe: float
    y_mean: float
    rho: float
    residuals: np.ndarray

    @property
    def dof(self) -> int:
        return self.n - self.p

    @property
    def regressors(self) -> tuple[str, ...]:
        return self.names[1:]

    def predict(self, x: Mapping[str, Any]) -> np.ndarray:
        """ŷ for regressor values ``x`` (the same names as at the fit)."""
        X, _ = _design(x, self.regressors)
        return np.asarray(X @ self.coefficients)

    def validity(self, limits: Mapping[str, Any] = GUIDELINE14_LIMITS) -> dict[str, Any]:
        """The Guideline 14 checks of the model: CV(RMSE) and |NMBE| against ``limits``."""
        cv_ok = bool(math.isfinite(self.cv_rmse) and self.cv_rmse <= limits["cv_rmse_max"])
        nmbe_ok = bool(math.isfinite(self.nmbe) and abs(self.nmbe) <= limits["nmbe_abs_max"])
        return {
            "cv_rmse": self.cv_rmse,
            "cv_rmse_max": limits["cv_rmse_max"],
            "cv_rmse_ok": cv_ok,
            "nmbe": self.nmbe,
            "nmbe_abs_max": limits["nmbe_abs_max"],
            "nmbe_ok": nmbe_ok,
            "valid": cv_ok and nmbe_ok,
            "source": limits["source"],
            "not_applied": limits.get("not_applied", ""),
        }


def _design(x: Mapping[str, Any], names: Sequence[str]) -> tuple[np.ndarray, int]:
    missing = [k for k in names if k not in x]
    if missing:
        raise BaselineError(
            "regressor values missing", expected=", ".join(names), found=", ".join(sorted(x))
        )
    cols = [np.asarray(x[k], dtype=float).reshape(-1) for k in names]
    n = len(cols[0]) if cols else 0
    for k, c in zip(names, cols, strict=True):
        if len(c) != n:
            raise BaselineError(
                f"regressor {k!r} has another length", expected=f"{n} values", found=str(len(c))
            )
        if not np.all(np.isfinite(c)):
            raise BaselineError(
                f"regressor {k!r} is not finite",
                expected="finite values",
                found="NaN or inf",
                reason="not_finite",
            )
    if not cols:
        raise BaselineError("no regressors", expected="at least one regressor", found="none")
    return np.column_stack([np.ones(n), *cols]), n


def cv_rmse_nmbe(y: Any, y_hat: Any, p: int) -> tuple[float, float]:
    """CV(RMSE) and NMBE of predictions ``y_hat`` of ``y`` by a model with ``p`` parameters.

    Parameters
    ----------
    y, y_hat : array
        Measured and predicted energy of n observations. [kgce]
    p : int
        Parameters of the model (intercept included), p < n.

    Returns
    -------
    tuple of float
        (CV(RMSE), NMBE) as fractions; NaN when ȳ ≤ 0.

    Notes
    -----
    ASHRAE Guideline 14-2014 (clause 4.1.2 and Annex B)::

        CV(RMSE) = sqrt(Σ(y − ŷ)² / (n − p)) / ȳ
        NMBE     = Σ(y − ŷ) / ((n − p) · ȳ)

    Worked example: y = 10, 12, 14, 16, 18 and ŷ = 11, 12, 13, 15, 17 with p = 2:
    residuals −1, 0, 1, 1, 1; Σe² = 4, Σe = 2, ȳ = 14, n − p = 3; CV(RMSE) =
    sqrt(4/3)/14 = 0.0824786 and NMBE = 2/(3·14) = 0.04761905.
    """
    yv = np.asarray(y, dtype=float).reshape(-1)
    e = yv - np.asarray(y_hat, dtype=float).reshape(-1)
    dof = len(yv) - p
    if dof <= 0:
        raise BaselineError(
            "too few observations for the statistics",
            expected=f"more than {p}",
            found=str(len(yv)),
            reason="too_few_days",
            values={"found": len(yv), "needed": p + 1},
        )
    y_mean = float(yv.mean())
    if y_mean <= 0:
        return math.nan, math.nan
    return math.sqrt(float(e @ e) / dof) / y_mean, float(e.sum()) / (dof * y_mean)


def fit_baseline(x: Mapping[str, Any], y: Any) -> BaselineModel:
    """Fit the baseline ``y = b0 + Σ b_k x_k`` by ordinary least squares.

    Parameters
    ----------
    x : mapping of str to array
        Regressors (e.g. daily processed mass [t]), each of length n; an intercept is added.
    y : array
        The energy of each observation, in the order of ``x`` (time order, for the
        autocorrelation). [kgce]

    Returns
    -------
    BaselineModel

    Notes
    -----
    Coefficients by ``numpy.linalg.lstsq``; covariance σ²(XᵀX)⁻¹ with σ² = SSE/(n − p),
    computed from the QR factor R of X as R⁻¹R⁻ᵀ; t = b/se; p = 2·P(T > |t|) with
    n − p degrees of freedom.

    ASHRAE Guideline 14-2014 statistics, p parameters, ȳ the mean of y::

        CV(RMSE) = sqrt(Σ(y − ŷ)² / (n − p)) / ȳ
        NMBE     = Σ(y − ŷ) / ((n − p) · ȳ)

    Worked example, x = 1, 2, 3, 4, 5 and y = 3, 5, 6, 9, 11 (n = 5, p = 2): x̄ = 3,
    ȳ = 6.8, Sxy = 20, Sxx = 10, so b1 = 2.0 and b0 = 6.8 − 2·3 = 0.8; ŷ = 2.8, 4.8, 6.8,
    8.8, 10.8; residuals 0.2, 0.2, −0.8, 0.2, 0.2; Σe² = 0.8; CV(RMSE) = sqrt(0.8/3)/6.8
    = 0.0759408 and NMBE = 0/(3·6.8) = 0 (an OLS fit with an intercept has zero in-sample
    bias; NMBE matters for a model applied outside its fit, see :func:`cv_rmse_nmbe`).

    References
    ----------
    ASHRAE Guideline 14-2014, Measurement of Energy, Demand, and Water Savings,
    clause 4.1.2 and Annex B (statistics of regression models).
    """
    names = tuple(x)
    X, n = _design(x, names)
    yv = np.asarray(y, dtype=float).reshape(-1)
    if len(yv) != n:
        raise BaselineError(
            "y has another length than x", expected=f"{n} values", found=str(len(yv))
        )
    if not np.all(np.isfinite(yv)):
        raise BaselineError(
            "y is not finite", expected="finite values", found="NaN or inf", reason="not_finite"
        )
    p = X.shape[1]
    if n <= p:
        raise BaselineError(
            "too few observations for the model",
            expected=f"more than {p} (one per parameter plus at least one)",
            found=str(n),
            hint="use a longer baseline period or fewer regressors",
            reason="too_few_days",
            values={"found": n, "needed": p + 1},
        )
    beta, _, rank, _ = np.linalg.lstsq(X, yv, rcond=None)
    if rank < p:
        raise BaselineError(
            "the regressors are collinear or constant",
            expected=f"rank {p}",
            found=f"rank {rank} for {', '.join(('intercept', *names))}",
            hint="drop a regressor that repeats another or does not vary",
            reason="collinear",
            values={"regressors": list(names)},
        )
    fitted = X @ beta
    resid = yv - fitted
    dof = n - p
    sse = float(resid @ resid)
    sigma2 = sse / dof
    _, R = np.linalg.qr(X)
    r_inv = np.linalg.inv(R)
    cov = sigma2 * (r_inv @ r_inv.T)
    se = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_values = beta / se
    p_values = 2.0 * t_sf(np.abs(t_values), dof)
    y_mean = float(yv.mean())
    sst = float(((yv - y_mean) ** 2).sum())
    r2 = 1.0 - sse / sst if sst > 0 else math.nan
    adj = 1.0 - (1.0 - r2) * (n - 1) / dof
    rmse = math.sqrt(sigma2)
    cv, nmbe = cv_rmse_nmbe(yv, fitted, p)
    den = float(resid @ resid)
    rho = float(resid[1:] @ resid[:-1]) / den if den > 0 and n > 1 else 0.0
    return BaselineModel(
        names=("intercept", *names),
        coefficients=beta,
        std_errors=se,
        t_values=t_values,
        p_values=p_values,
        n=n,
        p=p,
        r2=r2,
        adj_r2=adj,
        rmse=rmse,
        cv_rmse=cv,
        nmbe=nmbe,
        y_mean=y_mean,
        rho=rho,
        residuals=resid,
    )


# --------------------------------------------------------------------------- savings


@dataclass(frozen=True)
class Savings:
    """Normalized savings over a reporting period and their uncertainty.

    Attributes
    ----------
    adjusted_baseline : float
        Σ ŷ over the reporting period: the baseline at reporting conditions. [kgce]
    actual : float
        Σ y over the reporting period. [kgce]
    savings : float
        adjusted_baseline − actual. [kgce]
    fraction : float
        F = savings / adjusted_baseline. [1]
    uncertainty : float
        ΔE_save at ``confidence``. [kgce]
    fractional_uncertainty : float
        ΔE_save / E_save (inf when the savings are zero). [1]
    confidence : float
        Two-sided confidence level of ``uncertainty`` (0.68 or 0.90, say). [1]
    t : float
        Student t at ``confidence`` with n − p degrees of freedom.
    m : int
        Reporting-period observations.
    n, n_eff : float
        Baseline observations and their effective number n′ = n(1 − ρ)/(1 + ρ).
    rho : float
        Lag-1 autocorrelation of the baseline residuals used for n′ (clipped to [0, 0.99]).
    """

    adjusted_baseline: float
    actual: float
    savings: float
    fraction: float
    uncertainty: float
    fractional_uncertainty: float
    confidence: float
    t: float
    m: int
    n: int
    n_eff: float
    rho: float

    def as_dict(self) -> dict[str, Any]:
        lim = GUIDELINE14_LIMITS
        meets = (
            self.fractional_uncertainty < lim["fractional_savings_uncertainty_max"]
            if math.isclose(self.confidence, lim["fractional_savings_uncertainty_confidence"])
            else None
        )
        return {
            "adjusted_baseline_kgce": self.adjusted_baseline,
            "actual_kgce": self.actual,
            "savings_kgce": self.savings,
            "savings_fraction": self.fraction,
            "uncertainty_kgce": self.uncertainty,
            "fractional_uncertainty": self.fractional_uncertainty,
            "confidence": self.confidence,
            "t": self.t,
            "reporting_days": self.m,
            "baseline_days": self.n,
            "effective_baseline_days": self.n_eff,
            "residual_autocorrelation": self.rho,
            "uncertainty_below_50pct_at_68pct": meets,
        }


def normalized_savings(
    model: BaselineModel,
    reporting_x: Mapping[str, Any],
    reporting_y: Any,
    *,
    confidence: float = 0.68,
) -> Savings:
    """Normalized savings = adjusted baseline − actual over a reporting period, with the
    ASHRAE Guideline 14 fractional savings uncertainty.

    Parameters
    ----------
    model : BaselineModel
        The baseline fitted on the baseline period.
    reporting_x : mapping of str to array
        Regressors of the reporting period (same names as the model).
    reporting_y : array
        Actual energy of the reporting period. [kgce]
    confidence : float
        Two-sided confidence level of the uncertainty, 0 < confidence < 1 (Guideline 14
        asks 0.68; 0.90 is common in contracts). [1]

    Returns
    -------
    Savings

    Notes
    -----
    Reddy & Claridge (2000), adopted by ASHRAE Guideline 14-2014 Annex B (eq. B-14 in the
    2002 edition)::

        ΔE_save / E_save = t · 1.26 · CV · sqrt( (n / n′) · (1 + 2/n) · (1/m) ) / F

    with CV the baseline CV(RMSE), n the baseline and m the reporting observations,
    n′ = n(1 − ρ)/(1 + ρ) the effective number of baseline observations for lag-1
    residual autocorrelation ρ (ρ ≤ 0 is taken as 0, so n′ ≤ n; ρ is capped at 0.99),
    F = E_save / E_adjusted baseline, t the two-sided Student t at ``confidence`` with n − p
    degrees of freedom, and 1.26 the empirical correction of Reddy & Claridge for the
    prediction variance of a regression model. Multiplying by E_save gives the absolute
    uncertainty ΔE_save = t · 1.26 · CV · sqrt((n/n′)(1 + 2/n)/m) · E_adjusted baseline.

    Worked example: baseline y = 100 + 2x, CV = 0.05, n = 30, ρ = 0 (n′ = 30), p = 2;
    reporting m = 10 days at x = 50, so the adjusted baseline is 10 × 200 = 2000 kgce;
    actual 10 × 180 = 1800 kgce (a 10 % reduction); savings 200 kgce, F = 0.1.
    At 68 %, t(28) = 1.01243; ΔE_save = 1.01243 · 1.26 · 0.05 · sqrt(1 · (1 + 2/30) / 10) ·
    2000 = 1.01243 · 1.26 · 0.05 · 0.326599 · 2000 = 41.663 kgce, ΔE_save/E_save = 0.2083
    < 0.5.

    References
    ----------
    ASHRAE Guideline 14-2014, Annex B "Determination of savings uncertainty".
    T. A. Reddy and D. E. Claridge, "Uncertainty of 'measured' energy savings from
    statistical baseline models", HVAC&R Research 6(1), 2000, pp. 3–20.
    ISO 50015:2014 clause 7 (uncertainty of the M&V of energy performance).
    """
    if not 0.0 < confidence < 1.0:
        raise BaselineError(
            "confidence level out of range", expected="0 < confidence < 1", found=str(confidence)
        )
    y = np.asarray(reporting_y, dtype=float).reshape(-1)
    pred = model.predict(reporting_x)
    if len(pred) != len(y):
        raise BaselineError(
            "reporting energy and regressors differ in length",
            expected=f"{len(pred)} values",
            found=str(len(y)),
        )
    m = len(y)
    if m == 0:
        raise BaselineError(
            "empty reporting period", expected="at least one reporting day", found="none"
        )
    adjusted = float(pred.sum())
    actual = float(y.sum())
    save = adjusted - actual
    fraction = save / adjusted if adjusted else math.nan
    n = model.n
    rho = min(max(model.rho, 0.0), 0.99)
    n_eff = n * (1.0 - rho) / (1.0 + rho)
    t = t_ppf(0.5 + confidence / 2.0, model.dof)
    unc = t * 1.26 * model.cv_rmse * math.sqrt((n / n_eff) * (1.0 + 2.0 / n) / m) * adjusted
    frac_unc = abs(unc / save) if save else math.inf
    return Savings(adjusted, actual, save, fraction, unc, frac_unc, confidence, t, m, n, n_eff, rho)


# --------------------------------------------------------------------------- JSON section


def _f(v: Any) -> Any:
    """NaN and inf never reach JSON."""
    if isinstance(v, float | np.floating):
        v = float(v)
        return v if math.isfinite(v) else None
    return v


def _term_reason(used: bool, default: bool, share: float) -> str:
    if not default:
        return "asked for" if used else "not asked for"
    if used:
        return "non-zero on enough baseline days"
    return f"non-zero on fewer than {100 * share:g} % of the baseline days (a near-constant column)"


def _weather_doc(
    wx: pa.Table,
    terms: list[dict[str, Any]],
    used: list[str],
    left_out: list[dict[str, Any]],
) -> dict[str, Any]:
    meta = {k.decode(): v.decode() for k, v in (wx.schema.metadata or {}).items()}
    step = float(meta.get("step_s", "nan"))
    rows = wx.to_pylist()
    return {
        "table": "weather",
        "stations": json.loads(meta.get("stations", "[]")),
        "method": (
            "mean-temperature method per local day (d 00:00, d+1 00:00]: T = mean of the "
            "day's samples, HDD = max(0, base_heating - T), CDD = max(0, T - base_cooling)"
        ),
        "base_heating_c": float(meta["base_heating_c"]),
        "base_cooling_c": float(meta["base_cooling_c"]),
        "bases_source": DEGREE_DAY_BASES["source"],
        "step_s": _f(step),
        "min_coverage": float(meta["min_coverage"]),
        "days": {
            "total": len(rows),
            "with_value": sum(r["hdd"] is not None for r in rows),
            "without_value": [
                {
                    "date": r["date"].isoformat(),
                    "samples": r["samples"],
                    "coverage": _f(r["coverage"]),
                }
                for r in rows
                if r["hdd"] is None
            ],
        },
        "terms": terms,
        "used": used,
        "left_out_of_fit": left_out,
    }


def baseline_section(
    dataset: NormalizedDataset,
    *,
    baseline_days: int | None = None,
    split: dt.date | None = None,
    regressors: Sequence[str] | None = None,
    confidence: float = 0.68,
    con: ibis.BaseBackend | None = None,
    coefficients: Coefficients | None = None,
    series: pa.Table | None = None,
    weather: pa.Table | None = None,
    min_degree_day_share: float = MIN_DEGREE_DAY_SHARE,
) -> dict[str, Any]:
    """The ``diagnosis.baseline`` section: the EnPI model, its validity, the weather terms and,
    with a reporting period, the normalized savings.

    Parameters
    ----------
    dataset : NormalizedDataset
    baseline_days : int, optional
        The first ``baseline_days`` days of the period are the baseline, the rest the
        reporting period.
    split : datetime.date, optional
        Days before ``split`` are the baseline, days from ``split`` on the reporting period.
        Without ``split`` and ``baseline_days`` the whole period is the baseline.
    regressors : sequence of str, optional
        Columns of :func:`daily_series` to regress E on (``good_mass_t``, ``processed_t``,
        ``pieces``) and degree-days of :func:`~thermaudit.diagnosis.weather.daily_weather`
        (``hdd``, ``cdd``; they need a ``weather`` table). By default ``processed_t`` plus
        each degree-day term the weather supports (see Notes).
    confidence : float
        Confidence level of the savings uncertainty. [1]
    series : pyarrow.Table, optional
        A :func:`daily_series` already computed.
    weather : pyarrow.Table, optional
        A :func:`~thermaudit.diagnosis.weather.daily_weather` already computed.
    min_degree_day_share : float
        A degree-day term enters the default model only when it is non-zero on at least
        this share of the baseline days that have a value. [1]

    Returns
    -------
    dict
        JSON-ready; ``enpi.regressors`` lists the regressors used, ``model.terms`` their
        coefficients, standard errors, t and p-values, and ``weather`` (None without a
        weather table) the degree-day method, the days without a value, each term's
        non-zero share and whether it was used, and the days left out of the fit.

    Notes
    -----
    Only ``complete`` days enter the fit and the savings; the others are listed. With a
    degree-day term in the model, a day without a degree-day value (its temperature
    samples cover less than ``min_coverage`` of it) is left out as well and counted.

    A degree-day term that is zero on almost every day (CDD26 in a winter baseline) is a
    near-constant column: the design matrix is singular or nearly so and its coefficient
    meaningless. The default model therefore includes ``hdd`` and ``cdd`` only when each is
    non-zero on at least ``min_degree_day_share`` of the baseline days; a term asked for by
    name that fails the test is refused. ISO 50006:2014 (clause 6.5 and Annex C (check))
    asks relevant variables to be tested for significance: each term reports its p-value and
    whether it is significant at 5 %; an insignificant term stays in the model (it costs a
    degree of freedom, it does not bias the fit) and is flagged.
    """
    default = regressors is None
    wanted = list(regressors) if regressors is not None else list(DEFAULT_REGRESSORS)
    known = {**REGRESSORS, **WEATHER_REGRESSORS}
    unknown = [r for r in wanted if r not in known]
    if unknown or not wanted:
        raise BaselineError(
            "unknown regressor",
            expected="one or more of " + ", ".join(known),
            found=", ".join(unknown) or "none",
        )
    asked_weather = [r for r in wanted if r in WEATHER_REGRESSORS]
    if asked_weather and not dataset.has("weather") and weather is None:
        raise BaselineError(
            f"the regressor {asked_weather[0]} needs outdoor temperatures",
            expected="a weather table in the dataset (timestamp, temperature_c)",
            found="none",
            hint="add weather.csv, or leave hdd and cdd out of --regressor",
        )
    if baseline_days is not None and split is not None:
        raise BaselineError(
            "two ways to split the period", expected="baseline_days or split", found="both"
        )
    site = dataset.site
    if series is None:
        series = daily_series(dataset, con, coefficients=coefficients)
    if weather is None and dataset.has("weather"):
        weather = daily_weather(dataset, con)
    rows = series.to_pylist()
    if weather is not None:
        by_day = {r["date"]: r for r in weather.to_pylist()}
        for r in rows:
            w = by_day.get(r["date"]) or {}
            r["hdd"], r["cdd"] = w.get("hdd"), w.get("cdd")
    if baseline_days is not None:
        if baseline_days < 1 or baseline_days >= len(rows):
            raise BaselineError(
                "baseline_days outside the period",
                expected=f"1 to {len(rows) - 1} days",
                found=str(baseline_days),
            )
        split = site.period.start + dt.timedelta(days=baseline_days)
    if split is not None and not site.period.start < split <= site.period.end:
        raise BaselineError(
            "split date outside the period",
            expected=f"a date after {site.period.start} up to {site.period.end}",
            found=str(split),
        )
    complete = [r for r in rows if r["complete"]]
    base = [r for r in complete if split is None or r["date"] < split]
    rep = [r for r in complete if split is not None and r["date"] >= split]

    # degree-day terms: offered when the weather gives them on enough baseline days
    terms_doc: list[dict[str, Any]] = []
    if weather is not None:
        for name in WEATHER_REGRESSORS:
            valued = [r[name] for r in base if r[name] is not None]
            nonzero = sum(v > 0 for v in valued)
            share = nonzero / len(valued) if valued else 0.0
            enough = bool(valued) and share >= min_degree_day_share and nonzero >= 2
            if default and enough:
                wanted.append(name)
            elif name in wanted and not enough:
                raise BaselineError(
                    f"the regressor {name} is zero on almost every baseline day",
                    expected=(
                        f"non-zero on at least {100 * min_degree_day_share:g} % (and 2) of the "
                        "baseline days with a degree-day value"
                    ),
                    found=f"{nonzero} of {len(valued)} days",
                    hint=f"leave {name} out of the regressors",
                )
            terms_doc.append(
                {
                    "name": name,
                    "days_with_value": len(valued),
                    "nonzero_days": nonzero,
                    "nonzero_share": _f(share),
                    "used": name in wanted,
                    "reason": _term_reason(name in wanted, default, min_degree_day_share),
                }
            )
    used_weather = [r for r in wanted if r in WEATHER_REGRESSORS]
    left_out: list[dict[str, Any]] = []
    if used_weather:

        def has_weather(r: dict[str, Any]) -> bool:
            return all(r[k] is not None for k in used_weather)

        left_out = [
            {"date": r["date"].isoformat(), "period": period}
            for period, rs in (("baseline", base), ("reporting", rep))
            for r in rs
            if not has_weather(r)
        ]
        base = [r for r in base if has_weather(r)]
        rep = [r for r in rep if has_weather(r)]

    def xy(rs: list[dict[str, Any]]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        return (
            {k: np.array([r[k] for r in rs], float) for k in wanted},
            np.array([r["energy_kgce"] for r in rs], float),
        )

    bx, by = xy(base)
    model = fit_baseline(bx, by)
    units = {
        "intercept": "kgce/d",
        **{k: f"kgce/{u}" for k, u in REGRESSORS.items()},
        **{k: f"kgce/({u})" for k, u in WEATHER_REGRESSORS.items()},
    }
    terms = [
        {
            "name": name,
            "coefficient": _f(model.coefficients[i]),
            "unit": units[name],
            "std_error": _f(model.std_errors[i]),
            "t": _f(model.t_values[i]),
            "p_value": _f(model.p_values[i]),
            "significant": (
                bool(model.p_values[i] < SIGNIFICANCE)
                if math.isfinite(float(model.p_values[i]))
                else None
            ),
        }
        for i, name in enumerate(model.names)
    ]
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "enpi": {
            "kind": "regression",
            "energy": "E, comprehensive energy (GB/T 2589-2020) per local day",
            "energy_unit": "kgce/d",
            "electricity_basis": (series.schema.metadata or {})
            .get(b"electricity_basis", b"")
            .decode(),
            "regressors": list(wanted),
            "standard": "ISO 50006:2014 (EnB and EnPI), ISO 50015:2014 (M&V)",
        },
        "model": {
            "terms": terms,
            "significance_level": SIGNIFICANCE,
            "n": model.n,
            "parameters": model.p,
            "dof": model.dof,
            "r2": _f(model.r2),
            "adj_r2": _f(model.adj_r2),
            "rmse_kgce": _f(model.rmse),
            "cv_rmse": _f(model.cv_rmse),
            "nmbe": _f(model.nmbe),
            "y_mean_kgce": _f(model.y_mean),
            "residual_autocorrelation": _f(model.rho),
        },
        "validity": {k: _f(v) for k, v in model.validity().items()},
        "days": {
            "total": len(rows),
            "complete": len(complete),
            "incomplete": [
                {"date": r["date"].isoformat(), "coverage": _f(r["coverage"])}
                for r in rows
                if not r["complete"]
            ],
        },
        "weather": None
        if weather is None
        else _weather_doc(weather, terms_doc, used_weather, left_out),
        "baseline_period": {
            "start": base[0]["date"].isoformat(),
            "end": base[-1]["date"].isoformat(),
            "days": len(base),
        },
        "reporting_period": None,
        "savings": None,
    }
    if split is not None:
        doc["split"] = split.isoformat()
    if rep:
        rx, ry = xy(rep)
        s = normalized_savings(model, rx, ry, confidence=confidence)
        doc["reporting_period"] = {
            "start": rep[0]["date"].isoformat(),
            "end": rep[-1]["date"].isoformat(),
            "days": len(rep),
        }
        doc["savings"] = {k: _f(v) for k, v in s.as_dict().items()}
        doc["savings"]["formula"] = (
            "dE/E = t*1.26*CV*sqrt((n/n')(1+2/n)/m)/F, n'=n(1-rho)/(1+rho) "
            "(ASHRAE Guideline 14-2014 Annex B; Reddy & Claridge 2000)"
        )
    return doc
