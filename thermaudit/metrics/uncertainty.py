"""Measurement uncertainty of the metrics (GUM, JCGM 100:2008 = JJF 1059.1-2012).

Two steps, both pure functions over plain floats and dicts (no ibis, no engine):

1. :func:`instrument_uncertainties` — the standard uncertainty of every instrument of the site
   (meters, heat streams, temperature controllers) from its calibration certificate valid in
   the period, else from its accuracy class, else unknown; with its calibration status
   (``valid``, ``expired``, ``missing``).
2. :func:`propagate` — first-order propagation, uncorrelated inputs (GUM 5.1.2), to each metric
   of an assessment: combined standard uncertainty u_c, expanded uncertainty U = k·u_c with
   k = 2 (GUM 6.2.1; about 95 % for a near-normal output), the share of variance of each
   input, and the instruments whose calibration is expired or missing or whose uncertainty is
   unknown.

Conventions fixed here (and shown to the reader by each result's ``method`` text):

- Each meter's error over the period is one relative error of its *period consumption*: for a
  cumulative meter the accuracy class (GB/T 17215 / IEC 62053 for electricity meters, the
  verification regulations for gas and heat meters) bounds the error of the registered
  amount, i.e. of the difference of the two boundary readings, not of each reading; and an
  interval meter's error is treated as the same systematic relative error in every interval
  (it does not average out over intervals, so there is no 1/√n).
- Errors of different instruments are uncorrelated (GUM 5.1.2). Instruments calibrated
  against one reference are in fact positively correlated (GUM 5.2); for sums this makes the
  U given here a slight underestimate, for ratios of like quantities a slight overestimate.
- Conversion coefficients to standard coal (kgce per unit) are conventional values fixed by
  the specification: they define the energy metrics and are taken as exact. The carbon
  intensity's coefficients are estimates of physical quantities and carry their uncertainty:
  each fuel's NCV and CO2 factor from the 95 % intervals of IPCC 2006 Vol. 2 Ch. 1 Tables 1.2
  and 1.4, the grid factor and purchased heat factor from a stated assumption (their
  publishers give none), all in ``reference/data/*.csv``; a 95 % interval is read as normal,
  u = half-width/2. One coefficient applies to every meter of its carrier, so its term is
  taken on the carrier's total (fully correlated across those meters, GUM 5.2), not per
  meter. Oxidation factors are taken as exact (within the CO2 factor's interval).
  Production and melted mass are taken as exact unless ``mass_u_rel`` is given (the scale's
  relative standard uncertainty).
- An input whose uncertainty is unknown (no certificate, no class) and whose amount is not zero
  makes the evaluation incomplete: ``U`` is then ``None`` (GUM 4.1.2 asks for all significant
  components; a partial figure is not an expanded uncertainty), and ``U_known_inputs`` gives
  the figure from the inputs that are known — a lower bound.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from thermaudit.dataset.site import Site
from thermaudit.metrics.coefficients import Coefficients, fuel_u
from thermaudit.metrics.coverage import calibration_coverage
from thermaudit.metrics.energy import ROLE_SIGN, SkuOutput
from thermaudit.metrics.melting import melting_meters
from thermaudit.reference import density
from thermaudit.units import to_canonical

__all__ = ["InstrumentU", "K", "instrument_uncertainties", "instrument_uncertainty", "propagate"]

#: coverage factor of every reported expanded uncertainty (GUM 6.2.1; about 95 % coverage)
K = 2.0
#: coverage factor assumed for a certificate whose ``k`` is empty (the usual value on Chinese
#: calibration certificates, JJF 1059.1-2012)
DEFAULT_CERTIFICATE_K = 2.0

Source = Literal["certificate", "accuracy_class", "unknown"]
Calibration = Literal["valid", "expired", "missing"]

_METHOD = (
    "GUM (JCGM 100:2008) 5.1.2 first order, uncorrelated inputs; U = k·u_c, k = 2; "
    "certificates u = U/k (4.3.3), accuracy classes rectangular u = a/√3 (4.3.7); "
    "coefficients exact"
)


@dataclass(frozen=True)
class InstrumentU:
    """Standard uncertainty of one instrument over the assessment period.

    Attributes
    ----------
    instrument : str
        Meter, heat stream or temperature controller id.
    u : float or None
        Standard uncertainty: relative [1] (a fraction, 0.005 = 0.5 %) of the period amount for
        meters and heat streams; absolute [°C] for temperature controllers. ``None`` when
        unknown.
    unit : str
        ``"1"`` (relative) or ``"°C"``.
    source : str
        ``certificate`` (u = U/k), ``accuracy_class`` (u = a/√3) or ``unknown``.
    calibration : str
        ``valid`` (certificates cover the whole period), ``expired`` (certificates exist but do
        not cover it) or ``missing`` (no certificate).
    distribution : str or None
        ``normal`` (certificate) or ``rectangular`` (accuracy class), for Monte Carlo checks.
    certificate_no : str or None
        The certificate used, when ``source`` is ``certificate``.
    """

    instrument: str
    u: float | None
    unit: str
    source: Source
    calibration: Calibration
    distribution: Literal["normal", "rectangular"] | None = None
    certificate_no: str | None = None

    @property
    def expired(self) -> bool:
        """Whether only an expired certificate was found."""
        return self.calibration == "expired"


def instrument_uncertainty(
    instrument: str,
    certificates: list[dict[str, Any]],
    start: dt.date,
    end: dt.date,
    *,
    accuracy_pct: float | None = None,
    relative: bool = True,
) -> InstrumentU:
    """Estimate the standard uncertainty of one instrument over [start, end] (inclusive).

    Parameters
    ----------
    instrument : str
        The instrument id of the ``calibrations`` table (meter, controller or stream id).
    certificates : list of dict
        Rows of the ``calibrations`` table: ``instrument_id``, ``certificate_no``,
        ``calibrated_on``, ``valid_until`` (dates), ``expanded_uncertainty``,
        ``uncertainty_unit`` (``%`` or ``C``), ``k``.
    start, end : datetime.date
        The assessment period.
    accuracy_pct : float, optional
        Maximum permissible error of the accuracy class, relative. [%]
    relative : bool
        ``True`` for meters and heat streams (certificates in %), ``False`` for temperature
        instruments (certificates in °C).

    Returns
    -------
    InstrumentU

    Notes
    -----
    In order of preference:

    1. The certificates cover the whole period (contract: the union of [calibrated_on,
       valid_until] covers it): u = U/k of the certificate in force in the period, the largest
       when several are (GUM 4.3.3: a quoted multiple of a standard deviation divided by the
       multiplier); an empty ``k`` is read as 2. Normal distribution.
    2. An accuracy class of maximum permissible error ±a %: every value within the limits is
       taken as equally probable, a rectangular distribution, u = a/√3 (GUM 4.3.7), relative to
       the period consumption.
    3. Only an expired certificate: its u = U/k, flagged ``expired`` (the instrument may have
       drifted since).
    4. Otherwise unknown.

    A certificate in the other unit (°C for a meter, % for a controller) is not used.

    References
    ----------
    JCGM 100:2008 (GUM) 4.3.3, 4.3.7; JJF 1059.1-2012.
    """
    own = [c for c in certificates if c["instrument_id"] == instrument]
    valid, _gaps = calibration_coverage(instrument, own, start, end)
    calibration: Calibration = "valid" if valid else ("expired" if own else "missing")
    want = "%" if relative else "C"
    usable = [
        c
        for c in own
        if c.get("uncertainty_unit") == want and c.get("expanded_uncertainty") is not None
    ]
    scale = 100.0 if relative else 1.0
    unit = "1" if relative else "°C"

    def from_cert(c: dict[str, Any]) -> float:
        k = float(c.get("k") or DEFAULT_CERTIFICATE_K)
        return float(c["expanded_uncertainty"]) / k / scale

    in_force = [c for c in usable if c["calibrated_on"] <= end and c["valid_until"] >= start]
    if valid and in_force:
        best = max(in_force, key=from_cert)
        return InstrumentU(
            instrument, from_cert(best), unit, "certificate", calibration, "normal",
            best.get("certificate_no"),
        )  # fmt: skip
    if relative and accuracy_pct is not None:
        u = accuracy_pct / 100.0 / math.sqrt(3.0)
        return InstrumentU(instrument, u, unit, "accuracy_class", calibration, "rectangular")
    if usable:
        last = max(usable, key=lambda c: c["valid_until"])
        return InstrumentU(
            instrument, from_cert(last), unit, "certificate", calibration, "normal",
            last.get("certificate_no"),
        )  # fmt: skip
    return InstrumentU(instrument, None, unit, "unknown", calibration)


def instrument_uncertainties(
    site: Site, certificates: list[dict[str, Any]]
) -> dict[str, InstrumentU]:
    """Apply :func:`instrument_uncertainty` to every instrument of ``site``.

    Every meter (with its accuracy class), heat stream (relative, certificates only) and
    temperature controller (°C).
    """
    start, end = site.period.start, site.period.end
    out: dict[str, InstrumentU] = {}
    for m in site.meters:
        out[m.id] = instrument_uncertainty(
            m.id, certificates, start, end, accuracy_pct=m.accuracy_pct
        )
    for s in site.heat_streams:
        out[s.id] = instrument_uncertainty(s.id, certificates, start, end)
    for c in site.temperature_controllers:
        out[c.id] = instrument_uncertainty(c.id, certificates, start, end, relative=False)
    return out


# ---------------------------------------------------------------------------------------------
# Propagation


@dataclass(frozen=True)
class _Term:
    """One input of a metric and its contribution to the metric's uncertainty.

    ``c_u`` = |sensitivity| × standard uncertainty of the input, in the metric's unit
    (None when the input's uncertainty is unknown).
    """

    input: str
    c_u: float | None
    source: str
    amount_nonzero: bool = True
    #: ``instrument``, ``coefficient`` or ``mass``
    kind: str = "instrument"
    #: the input's own standard uncertainty (relative [1] or in its unit), when known
    u: float | None = None
    #: for a coefficient: which (``ncv``, ``emission_factor``, ``grid_factor``,
    #: ``heat_factor``) and of which carrier
    coefficient: str | None = None
    carrier: str | None = None


def _amount(x: Any) -> float:
    """Read a period amount given as a float or an object with ``consumption``/``heat_gj``."""
    for attr in ("consumption", "heat_gj"):
        if hasattr(x, attr):
            return float(getattr(x, attr))
    return float(x)


def _relative_term(
    input_id: str, sensitivity_times_amount: float, inst: InstrumentU | None
) -> _Term:
    """Term of a relative-uncertainty input: |∂y/∂x · x| · u_rel(x)."""
    if inst is None or inst.u is None:
        return _Term(input_id, None, "unknown", sensitivity_times_amount != 0.0)
    return _Term(input_id, abs(sensitivity_times_amount) * inst.u, inst.source, u=inst.u)


def _result(
    value: float | None,
    unit: str,
    terms: list[_Term],
    instruments: Mapping[str, InstrumentU],
    inputs: list[str],
    method: str = _METHOD,
) -> dict[str, Any]:
    """Combine a metric's terms into its ``uncertainty`` entry (GUM 5.1.2, eq. 10)."""
    known = [t for t in terms if t.c_u is not None]
    unknown = sorted({t.input for t in terms if t.c_u is None and t.amount_nonzero})
    var = sum(t.c_u**2 for t in known if t.c_u is not None)
    u_c = math.sqrt(var)
    computable = value is not None and math.isfinite(value)
    complete = not unknown

    def share(t: _Term) -> float:
        return (t.c_u**2 / var) if var > 0 and t.c_u is not None else 0.0

    contributors = [
        {
            "input": t.input,
            "share": share(t),
            "source": t.source,
            "kind": t.kind,
            "u": t.u,
            "contribution": t.c_u,
            **({"coefficient": t.coefficient, "carrier": t.carrier} if t.coefficient else {}),
        }
        for t in sorted(known, key=lambda t: (-share(t), t.input))
    ]
    status = {i: instruments[i].calibration for i in inputs if i in instruments}
    return {
        "U": K * u_c if computable and complete else None,
        "k": K,
        "u_c": u_c if computable and complete else None,
        "u_rel": (u_c / abs(value)) if computable and complete and value else None,
        "unit": unit,
        "complete": complete,
        "U_known_inputs": K * u_c if computable else None,
        "contributors": contributors,
        "expired_instruments": sorted(i for i, s in status.items() if s == "expired"),
        "missing_calibration_instruments": sorted(i for i, s in status.items() if s == "missing"),
        "unknown_instruments": unknown,
        "method": method,
    }


def _mass_term(value: float | None, mass_u_rel: float) -> list[_Term]:
    """Term of a mass denominator: |∂(N/m)/∂m · m| · u_rel(m) = value · u_rel(m)."""
    if not mass_u_rel or value is None:
        return []
    return [_Term("mass", abs(value) * mass_u_rel, "parameter", kind="mass", u=mass_u_rel)]


def _canonical_unit(site: Site, meter_id: str) -> str:
    m = site.meter(meter_id)
    return to_canonical(m.carrier, m.unit, density(m.carrier)).canonical


def _energy_weights(site: Site, output: Mapping[str, SkuOutput] | None) -> dict[str, float]:
    """Compute ∂E_mass/∂(kgce of meter) for each meter.

    How one kgce of each meter moves the energy of the mass-denominated SKUs, the numerator
    of the headline (metrics.md, Output).

    Notes
    -----
    :func:`thermaudit.metrics.energy.allocate` is linear: the mass SKUs receive the share
    g_line = (their processed mass on the line / the line's processed mass) of each line
    submeter whose line made something, and the share f = (their processed mass / all
    processed mass) of the rest E − Σ line submeters. Hence the weight is sign·f for a meter in
    E and g_line − f for such a line submeter. With mass SKUs only, f = g = 1: weight = sign.
    """
    if output is None:
        return {m.id: ROLE_SIGN[m.role] for m in site.meters}
    total = sum(o.processed_mass_t for o in output.values())
    mass_total = sum(o.processed_mass_t for o in output.values() if o.denominator == "mass")
    f = mass_total / total if total > 0 else 1.0
    line_all: dict[str, float] = {}
    line_mass: dict[str, float] = {}
    for o in output.values():
        for line, t in o.by_line_processed_t.items():
            line_all[line] = line_all.get(line, 0.0) + t
            if o.denominator == "mass":
                line_mass[line] = line_mass.get(line, 0.0) + t
    weights = {}
    for m in site.meters:
        w = ROLE_SIGN[m.role] * f
        if m.role == "submeter" and m.line and line_all.get(m.line, 0.0) > 0:
            w += line_mass.get(m.line, 0.0) / line_all[m.line] - f
        weights[m.id] = w
    return weights


def _value(metric: Mapping[str, Any] | None) -> float | None:
    if metric is None:
        return None
    v = metric.get("value")
    return None if v is None else float(v)


def _detail(metric: Mapping[str, Any], key: str) -> float | None:
    v = (metric.get("detail") or {}).get(key)
    return None if v is None else float(v)


def propagate(
    site: Site,
    consumption: Mapping[str, Any],
    instruments: Mapping[str, InstrumentU],
    coef: Coefficients,
    metrics: Mapping[str, Mapping[str, Any]],
    *,
    heat: Mapping[str, Any] | None = None,
    output: Mapping[str, SkuOutput] | None = None,
    mass_u_rel: float = 0.0,
) -> dict[str, dict[str, Any]]:
    """Propagate the expanded uncertainty (k = 2) of each metric of an assessment.

    Parameters
    ----------
    site : Site
        Meters (role, carrier, line), heat streams (kind), controllers.
    consumption : mapping of str to float or MeterConsumption
        Period consumption of every meter. [canonical unit of the carrier]
    instruments : mapping of str to InstrumentU
        From :func:`instrument_uncertainties`.
    coef : Coefficients
        The coefficients the metrics used (taken as exact).
    metrics : mapping
        ``assessment.json`` ``metrics`` (values and details as computed by
        :func:`thermaudit.metrics.assess.assess`): ``value`` of each metric,
        ``unit_product_energy.detail.good_mass_t`` [t], ``waste_heat_recovery_rate.detail
        .available_gj`` [GJ], ``melting_energy_intensity.detail.metal_t`` [t],
        ``mold_temperature_control_accuracy.detail.by_controller.*.samples``.
    heat : mapping of str to float or StreamHeat, optional
        Heat of each stream over the period. [GJ]
    output : mapping of str to SkuOutput, optional
        Production by SKU; needed only when count-denominated SKUs exist (allocation weights).
    mass_u_rel : float
        Relative standard uncertainty of good mass and melted mass (the plant's scales).
        [1] Default 0: masses taken as exact.

    Returns
    -------
    dict
        For each metric id of ``metrics``: ``U`` (k·u_c, the metric's unit; ``None`` when the
        value is ``None`` or an input's uncertainty is unknown), ``k`` (2), ``u_c``, ``u_rel``
        (u_c/|value|, [1]), ``unit``, ``complete``, ``U_known_inputs`` (the figure from the known
        inputs only, a lower bound), ``contributors`` (``input``, ``share`` of u_c², ``source``;
        largest first), ``expired_instruments``, ``missing_calibration_instruments``,
        ``unknown_instruments`` (among the metric's inputs) and ``method``.

    Notes
    -----
    With y = f(x_1, …, x_N) and uncorrelated inputs, u_c²(y) = Σ (∂f/∂x_i)² u²(x_i) (GUM 5.1.2).
    Q_i is the period consumption of meter i, u_i its relative standard uncertainty, c_i its
    coefficient; P the good mass of mass-denominated SKUs [t].

    - ``unit_product_energy`` = E_mass/P, E = Σ sign_i c_i Q_i (headline electricity basis):
      u_c² = Σ (w_i c_i Q_i u_i / P)² + (value·u_P)², w_i = sign_i with mass SKUs only
      (see :func:`_energy_weights` for count SKUs). Per-SKU values are not evaluated.
    - ``waste_heat_recovery_rate`` R = 100·Rec/Avail: ∂R/∂H_j = 100/Avail for a recovered stream
      or ``recovered_heat`` meter, −R/Avail for an available stream; each heat H_j with the
      relative u of its stream certificate (the whole chain: flow and the two temperatures) or
      of the heat meter.
    - ``mold_temperature_control_accuracy`` (P95 of |e|, e = actual − setpoint): a sensor error
      δ shifts every e of its controller by δ, and |∂P95(|e|)/∂δ| ≤ 1; sensitivity 1 is taken
      (conservative). The pooled P95 inherits the sample-weighted RMS of the controllers'
      sensor uncertainties, u² = Σ n_c u_c² / Σ n_c — equal to a shared sensor's u and at least
      the uncorrelated Σ (n_c/N)² u_c²; a controller's share is n_c u_c² / Σ n_c u_c².
    - ``melting_energy_intensity`` = Σ c_i Q_i / metal_t over the melting meters:
      u_c² = Σ (c_i Q_i u_i / metal_t)² + (value·u_m)². Thermal efficiency is not evaluated.
    - ``unit_product_carbon_intensity`` = (Σ fuel sign_i Q_i EF_i + net electricity·GF + net
      heat·0.11)/P: u_c² = Σ (sign_i f_i Q_i u_i / P)² + (value·u_P)², f_i the factor of the
      meter's carrier (location-based; PV generation and submeters are not inputs).
    - ``energy_metering_coverage`` is a ratio of counts, not a measurement: no uncertainty
      (``U`` is ``None``); its expired instruments are the meters whose calibration is expired
      (the calibration-valid share counts them).

    References
    ----------
    JCGM 100:2008 (GUM) 4.1.2, 4.3.3, 4.3.7, 5.1.2, 5.1.3, 6.2.1; JJF 1059.1-2012;
    metrics.md (``miit-2026-provisional`` v1) sections 1–6.
    """
    q = {m.id: _amount(consumption[m.id]) for m in site.meters}
    h = {sid: _amount(v) for sid, v in (heat or {}).items()}
    out: dict[str, dict[str, Any]] = {}
    for metric_id, metric in metrics.items():
        fn = _MODELS.get(metric_id)
        if fn is None:
            out[metric_id] = _result(
                None,
                str(metric.get("unit", "")),
                [],
                instruments,
                [],
                method="no uncertainty model for this metric in "
                f"thermaudit.metrics.uncertainty (models: {', '.join(sorted(_MODELS))})",
            )
            continue
        out[metric_id] = fn(_Inputs(site, q, h, instruments, coef, metric, output, mass_u_rel))
    return out


@dataclass(frozen=True)
class _Inputs:
    site: Site
    q: dict[str, float]
    heat: dict[str, float]
    instruments: Mapping[str, InstrumentU]
    coef: Coefficients
    metric: Mapping[str, Any]
    output: Mapping[str, SkuOutput] | None
    mass_u_rel: float


def _unit_product_energy(x: _Inputs) -> dict[str, Any]:
    value = _value(x.metric)
    p = _detail(x.metric, "good_mass_t")
    unit = str(x.metric.get("unit", "kgce/t"))
    if value is None or not p:
        return _result(None, unit, [], x.instruments, [])
    basis = x.site.options.electricity_basis
    weights = _energy_weights(x.site, x.output)
    terms, inputs = [], []
    for m in x.site.meters:
        w = weights[m.id]
        if w == 0.0:
            continue
        inputs.append(m.id)
        s = w * x.coef.kgce_per_unit(m, basis) * x.q[m.id] / p
        terms.append(_relative_term(m.id, s, x.instruments.get(m.id)))
    return _result(value, unit, terms + _mass_term(value, x.mass_u_rel), x.instruments, inputs)


def _waste_heat_recovery_rate(x: _Inputs) -> dict[str, Any]:
    value = _value(x.metric)
    avail = _detail(x.metric, "available_gj")
    unit = str(x.metric.get("unit", "%"))
    if value is None or not avail:
        return _result(None, unit, [], x.instruments, [])
    terms, inputs = [], []
    for s in x.site.heat_streams:
        hj = x.heat.get(s.id, 0.0)
        sens = 100.0 / avail if s.kind == "recovered" else -value / avail
        inputs.append(s.id)
        terms.append(_relative_term(s.id, sens * hj, x.instruments.get(s.id)))
    for m in x.site.meters:
        if m.role == "recovered_heat" and _canonical_unit(x.site, m.id) == "GJ":
            inputs.append(m.id)
            terms.append(_relative_term(m.id, 100.0 / avail * x.q[m.id], x.instruments.get(m.id)))
    return _result(value, unit, terms, x.instruments, inputs)


def _mold_temperature_control_accuracy(x: _Inputs) -> dict[str, Any]:
    value = _value(x.metric)
    unit = str(x.metric.get("unit", "°C"))
    by = (x.metric.get("detail") or {}).get("by_controller") or {}
    n = {cid: int(c.get("samples") or 0) for cid, c in by.items()}
    total = sum(n.values())
    if value is None or total == 0:
        return _result(None, unit, [], x.instruments, [])
    terms, inputs = [], []
    for cid, nc in sorted(n.items()):
        if nc == 0:
            continue
        inputs.append(cid)
        inst = x.instruments.get(cid)
        if inst is None or inst.u is None:
            terms.append(_Term(cid, None, "unknown"))
        else:
            # RMS pooling: u² = Σ (n_c/N) u_c², so each term is sqrt(n_c/N)·u_c
            terms.append(_Term(cid, math.sqrt(nc / total) * inst.u, inst.source))
    method = _METHOD.replace(
        "coefficients exact",
        "sensitivity of P95(|e|) to a sensor offset taken as 1; pooled controllers: "
        "sample-weighted RMS of the sensors' u",
    )
    return _result(value, unit, terms, x.instruments, inputs, method)


def _melting_energy_intensity(x: _Inputs) -> dict[str, Any]:
    value = _value(x.metric)
    metal_t = _detail(x.metric, "metal_t")
    unit = str(x.metric.get("unit", "kgce/t"))
    if value is None or not metal_t:
        return _result(None, unit, [], x.instruments, [])
    terms, inputs = [], []
    for m in melting_meters(x.site):
        inputs.append(m.id)
        s = x.coef.kgce_per_unit(m) * x.q[m.id] / metal_t
        terms.append(_relative_term(m.id, s, x.instruments.get(m.id)))
    return _result(value, unit, terms + _mass_term(value, x.mass_u_rel), x.instruments, inputs)


def _carbon_factor(x: _Inputs, meter_id: str) -> float | None:
    """Return the tCO2 per canonical unit of a meter in the location-based carbon total.

    As :func:`thermaudit.metrics.energy.carbon` applies it; None when it is not an input.
    """
    m = x.site.meter(meter_id)
    if m.carrier == "electricity":
        return x.coef.grid_factor / 1000.0
    if m.carrier in ("heat", "steam") and _canonical_unit(x.site, m.id) == "GJ":
        return x.coef.heat_kgco2_per_gj / 1000.0
    ef = x.coef.kgco2_per_unit_fuel(m)
    return None if ef is None else ef / 1000.0


def _unit_product_carbon_intensity(x: _Inputs) -> dict[str, Any]:
    value = _value(x.metric)
    p = _detail(x.metric, "good_mass_t")
    unit = str(x.metric.get("unit", "tCO2e/t"))
    if value is None or not p:
        return _result(None, unit, [], x.instruments, [])
    sign = {"supply": 1.0, "excluded": -1.0, "export": -1.0}
    terms, inputs = [], []
    by_carrier: dict[str, float] = {}
    for m in x.site.meters:
        sg = sign.get(m.role)
        f = _carbon_factor(x, m.id) if sg is not None else None
        if sg is None or f is None:
            continue
        inputs.append(m.id)
        share = sg * f * x.q[m.id] / p
        terms.append(_relative_term(m.id, share, x.instruments.get(m.id)))
        by_carrier[_factor_carrier(x, m.id)] = by_carrier.get(_factor_carrier(x, m.id), 0.0) + share
    terms += _coefficient_terms(x.coef, by_carrier)
    method = _METHOD.replace(
        "coefficients exact",
        "fuel NCV and CO2 factors from IPCC 2006 Vol. 2 Ch. 1 Tables 1.2 and 1.4 (95 % "
        "intervals, u = half-width/2), grid and purchased heat factors by a stated assumption; "
        "each coefficient on its carrier's total",
    )
    return _result(
        value, unit, terms + _mass_term(value, x.mass_u_rel), x.instruments, inputs, method
    )


def _factor_carrier(x: _Inputs, meter_id: str) -> str:
    """Return the carrier whose coefficient :func:`_carbon_factor` applies to a meter."""
    return x.site.meter(meter_id).carrier


def _coefficient_terms(coef: Coefficients, by_carrier: Mapping[str, float]) -> list[_Term]:
    """Return the terms of the carbon coefficients.

    |Σ_i sign_i f_c Q_i / P| · u_rel of each coefficient of carrier c: one coefficient for all
    its meters, so their errors add linearly before squaring.
    """
    terms = []
    for carrier, amount in sorted(by_carrier.items()):
        if carrier == "electricity":
            terms.append(
                _Term(
                    "grid factor", abs(amount) * coef.grid_factor_u_rel,
                    coef.grid_factor_u_source, kind="coefficient", u=coef.grid_factor_u_rel,
                    coefficient="grid_factor", carrier=carrier,
                )
            )  # fmt: skip
            continue
        fu = fuel_u(carrier, coef)
        if fu is None:
            continue
        heat = carrier in ("heat", "steam")
        parts = [("emission_factor" if not heat else "heat_factor", fu.ef)]
        if fu.ncv:
            parts.append(("ncv", fu.ncv))
        for which, u in parts:
            label = {"ncv": "NCV", "emission_factor": "CO2 factor", "heat_factor": "CO2 factor"}
            terms.append(
                _Term(
                    f"{carrier} {label[which]}", abs(amount) * u, fu.source,
                    kind="coefficient", u=u, coefficient=which, carrier=carrier,
                )
            )  # fmt: skip
    return terms


def _energy_metering_coverage(x: _Inputs) -> dict[str, Any]:
    res = _result(
        None,
        str(x.metric.get("unit", "%")),
        [],
        x.instruments,
        [m.id for m in x.site.meters],
        method="a ratio of counts (meters fitted / required), not a measurement: "
        "no measurement uncertainty",
    )
    return res


_MODELS = {
    "unit_product_energy": _unit_product_energy,
    "waste_heat_recovery_rate": _waste_heat_recovery_rate,
    "mold_temperature_control_accuracy": _mold_temperature_control_accuracy,
    "melting_energy_intensity": _melting_energy_intensity,
    "unit_product_carbon_intensity": _unit_product_carbon_intensity,
    "energy_metering_coverage": _energy_metering_coverage,
}
