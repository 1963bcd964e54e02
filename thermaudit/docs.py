"""Generate the user documentation of the dataset contract and the metrics from the same
models and data files the code uses, so that the docs cannot drift from the code.

``python -m thermaudit.docs docs/`` rewrites ``docs/dataset-contract.md`` and
``docs/metrics.md``; a test fails when the committed files differ from what this renders.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, get_args

from thermaudit.dataset.contract import CONTRACT, TABLES, UNREAD_TABLES
from thermaudit.dataset.reader import MAX_COLUMNS
from thermaudit.dataset.site import (
    DEFAULT_PROCESS,
    MAX_SITE_BYTES,
    Carrier,
    EquipmentType,
    Market,
    Material,
    Process,
    Role,
)
from thermaudit.dataset.strict_yaml import MAX_DEPTH, MAX_INT_DIGITS, MAX_NODES
from thermaudit.diagnosis.weather import DEGREE_DAY_BASES, MIN_COVERAGE
from thermaudit.metrics.spec import load_spec, methodology_formulas
from thermaudit.quality.findings import catalogue
from thermaudit.reference import table
from thermaudit.units import CARRIERS, accepted_units

_KIND_TEXT = {
    "str": "text",
    "float": "number",
    "qty": "number ≥ 0",
    "count": "whole number ≥ 0",
    "timestamp": "date-time",
    "date": "date",
    "temp": "°C, > −273.15",
    "country": "ISO 3166-1 alpha-2 country code (`CN`, `DE`, `KR`)",
}

ROLES = {
    "supply": ("energy entering the boundary (gate meter, fuel delivery meter)", "added"),
    "submeter": (
        "measures part of what a supply meter already measured",
        "not added; used for allocation, balance and diagnosis",
    ),
    "excluded": (
        "a part that lies outside the boundary (dormitory, canteen, construction)",
        "subtracted",
    ),
    "export": ("energy delivered across the boundary to others", "subtracted"),
    "generation": (
        "on-site generation consumed inside the boundary (PV)",
        "added, reported as its own line",
    ),
    "recovered_heat": (
        "heat meter on a recovery loop",
        "not added (its source fuel is already in E); used for the recovery rate",
    ),
}


def _kind(kind: str, limits: tuple[float, float] | None = None) -> str:
    if kind.startswith("enum:"):
        return "one of " + ", ".join(f"`{v}`" for v in kind[5:].split("|"))
    if limits is not None:
        lo, hi = (f"{x:g}".replace("-", "−") for x in limits)
        return f"{_KIND_TEXT[kind].split(',')[0]}, {lo} to {hi}"
    return _KIND_TEXT[kind]


def _md_table(header: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        out.append("| " + " | ".join("" if c is None else str(c) for c in r) + " |")
    return "\n".join(out)


def _refusals() -> list[str]:
    """What the readers refuse beyond the column kinds (issue #15), from their constants."""
    widest = max(len(t.columns) for t in TABLES.values())
    required = ", ".join(f"`{t.name}`" for t in TABLES.values() if t.mandatory)
    counts = ", ".join(
        f"`{t.name}.{c.name}`" for t in TABLES.values() for c in t.columns if c.kind == "count"
    )
    return [
        "## Files the readers refuse",
        "",
        "- **Encoding**: `site.yaml` and every CSV table are UTF-8 text (a BOM allowed), never "
        "transcoded. UTF-16 and UTF-32 (with or without a byte order mark), GBK and other "
        "encodings are refused naming the row (line) and column of the first byte that is not "
        "UTF-8, with how to save the file again (Excel: *CSV UTF-8 (Comma delimited)*). GBK text "
        "whose bytes happen to be valid UTF-8 (such as 伟业, which reads as the Greek and "
        "Cyrillic letters ΰҵ) is refused when a run of its letters mixes alphabets; a run within "
        "one alphabet cannot be told from real text.",
        "- **CSV**: comma-separated; a header row separated by semicolons or tabs gets one "
        "message naming the separator. A quote that is never closed, and a cell longer than "
        "131,072 characters, are refused at their row.",
        f"- **Size**: at most {MAX_COLUMNS} columns in a table file or sheet (the widest table "
        f"of the contract has {widest}; extra columns are kept); `site.yaml` at most "
        f"{MAX_SITE_BYTES >> 20} MB, nested at most {MAX_DEPTH} levels, at most "
        f"{MAX_NODES:,} values once YAML aliases are expanded, integers of at most "
        f"{MAX_INT_DIGITS} digits.",
        "- **Values**: a number must be finite wherever one is expected (`.inf`, `.nan`, "
        "`1e999` in `site.yaml` as in the tables); piece counts "
        f"({counts}) are whole numbers; a UTC offset is within ±14:00; a date in `site.yaml` "
        "exists on the "
        "calendar (`2025-02-29` does not).",
        "- **Empty tables**: a table file of 0 bytes (no header row) is refused for every "
        f"table, optional ones included; a required table ({required}) with a "
        "header and no data row is refused; an optional one is an empty table.",
        "- **Special files**: a table or `site.yaml` that is a named pipe (FIFO), a device, a "
        "socket or a folder is refused without being opened; a symbolic link counts as the "
        "file it points to.",
        "",
    ]


def render_contract() -> str:
    assert set(get_args(Role)) == set(ROLES)
    parts = [
        f"# Plant dataset contract (`{CONTRACT}`)",
        "",
        "<!-- generated by `python -m thermaudit.docs docs/` from thermaudit/dataset; "
        "do not edit by hand -->",
        "",
        "A dataset is a folder holding `site.yaml` and the tables below. Each table may be a "
        "CSV file (UTF-8 with or without BOM, comma-separated, header row), a Parquet file, or "
        "a sheet of the same name in one `.xlsx` workbook next to `site.yaml`. Optional tables "
        "may be absent. Unknown extra columns are kept and ignored, never an error. The "
        "contract is public and stable: it is extended (new optional tables, columns and "
        "options), never changed.",
        "",
        "Every rejected input gets an error that names the file, the row (1-based as a "
        "spreadsheet shows it: header = row 1) and the column, says what was expected and what "
        "was found. An error in `site.yaml` names its line and the YAML path (`meters[3].unit` "
        "is the fourth meter). Nothing already stored is changed by a rejected import.",
        "",
        "## site.yaml",
        "",
        "| key | meaning |",
        "|---|---|",
        "| `contract` | `thermaudit.dataset/1` |",
        "| `enterprise` | `name` (required), `name_en`, `credit_code` (18 characters, check digit "
        "per GB 32100), `sector` (`die_casting`, `mold_making`, `precision_casting`, `other`), "
        "`province` (selects the default grid emission factor), `net_revenue: {amount, currency}` "
        "(optional; currency an ISO 4217 code such as `CNY`) |",
        "| `period` | `{start, end}`: inclusive local dates |",
        "| `timezone` | IANA name; timestamps without offset are in this zone |",
        "| `options` | `electricity_basis` (`calorific` default, `equivalent`), "
        "`electricity_equivalent_kgce_per_kwh` (default 0.3), `natural_gas_ncv_mj_per_m3`, "
        "`grid_emission_factor_kgco2_per_kwh`, `steady_state: {warmup_min: 30, gap_min: 10}`, "
        "`tariffs: {carrier: CNY per canonical unit}` (e.g. `electricity: 0.68` CNY/kWh, "
        "`natural_gas: 3.6` CNY/m3; for the diagnosis: a carrier not listed is priced from "
        "`energy_purchases` amount_cny / quantity, else a default marked as such) |",
        "| `meters` | list, see below |",
        "| `equipment` | `{id, type, rated_kw, fuel, line, process, rated_flow_m3h, drive, "
        "clamping_force_t}` (`drive`: free text such as `variable speed`; `clamping_force_t` "
        "in t) |",
        "| `products` | `{sku, name, name_en, unit_mass_kg, material, denominator (mass or count), "
        "cn_code, markets}` |",
        "| `temperature_controllers` | `{id, mold, line, medium, tolerance_c}` |",
        "| `heat_streams` | `{id, kind (available or recovered), medium (water, flue_gas, air), "
        "source, interval_s, t_ref_c, cp}` |",
        "| `owners` | optional: who answers for each source, `{key: {department, role, person}}` "
        "(at least one of the three); a key is a table of the contract "
        f"({', '.join(f'`{t}`' for t in (*TABLES, *UNREAD_TABLES))}) or the id of a meter, "
        "equipment, temperature controller or heat stream (an id's own owner comes before its "
        "table's: a meter's before the `readings` owner); any other key is refused naming its "
        "line and the closest id. Findings, the input annex of the report and the readiness "
        "check name the owner |",
        "",
        "A key that the contract does not define is an error naming its line and the closest "
        "known key (`grid_emision_factor_kgco2_per_kwh` → did you mean "
        "`grid_emission_factor_kgco2_per_kwh`?), so that a typing error cannot silently change a "
        "result; so is a key written twice in one mapping (YAML would let the second win).",
        "",
        "### Meters",
        "",
        "`id` (unique, case-sensitive), `carrier`, `unit` (a unit of the carrier), `reading` "
        "(`cumulative` register value or `interval` amount ending at the timestamp), "
        "`multiplier` (CT/PT ratio or pulse factor), `role`, `parent` (upstream meter of the "
        "same carrier), `process`, `line`, `equipment` (ids), `accuracy_class` (`0.5S`, `1.0`, "
        "`2%`), `rollover` (register maximum), `interval_s` (nominal interval; default: median "
        "spacing), `quantity` (`active` energy, the default, or `reactive` energy: an "
        "electricity meter in `varh`, `kvarh` or `Mvarh` that enters no energy sum and no "
        "metric), `active_meter` (for a reactive meter: the active meter at the same metering "
        "point; the diagnosis computes its power factor PF = kWh / sqrt(kWh² + kvarh²) over "
        "the period) and `power_factor_reference` (for a reactive meter: the power factor its "
        "tariff assesses against, default 0.90, the reference for industrial users of 160 kVA "
        "and above under the 功率因数调整电费办法, (83)水电财字第215号).",
        "",
        _md_table(
            ["carrier", "units accepted", "canonical unit inside thermaudit"],
            [
                [f"`{c}`", ", ".join(f"`{u}`" for u in accepted_units(c)), _canonical(c)]
                for c in CARRIERS
            ],
        ),
        "",
        "Roles:",
        "",
        _md_table(
            ["role", "meaning", "how it enters comprehensive energy E"],
            [[f"`{r}`", m, e] for r, (m, e) in ROLES.items()],
        ),
        "",
        "Processes: " + ", ".join(f"`{p}`" for p in get_args(Process)) + ".",
        "",
        "Equipment types and their default process: "
        + ", ".join(f"`{t}` → `{DEFAULT_PROCESS[t]}`" for t in get_args(EquipmentType))
        + ".",
        "",
        "Materials: "
        + ", ".join(f"`{m}`" for m in get_args(Material))
        + ". Markets: "
        + ", ".join(f"`{m}`" for m in get_args(Market))
        + ".",
        "",
        "Carriers: " + ", ".join(f"`{c}`" for c in get_args(Carrier)) + ".",
        "",
        "## Tables",
        "",
    ]
    for t in TABLES.values():
        parts += [f"### {t.name}", "", f"Required: {t.required}. A row is {t.meaning}.", ""]
        if t.date_or_timestamp:
            parts += [
                "Rows are dated by a `date` column or a `timestamp` column (one of them "
                "is required).",
                "",
            ]
        if t.unique:
            parts += [
                " and ".join(f"`{c}`" for c in t.unique)
                + " identifies a row: two rows with the same value are an error "
                "(timestamps are compared as instants).",
                "",
            ]
        parts.append(
            _md_table(
                ["column", "required", "type", "unit", "note"],
                [
                    [
                        f"`{c.name}`",
                        "yes" if c.required else "no",
                        _kind(c.kind, c.limits),
                        c.unit,
                        c.doc + (f" (an id of {c.ref})" if c.ref else ""),
                    ]
                    for c in t.columns
                ],
            )
        )
        parts.append("")
    parts += _refusals()
    parts += [
        "## Time",
        "",
        "A timestamp is ISO 8601 (`2025-10-06 00:15:00`, `2025-10-06T00:15:00+08:00`, "
        "`2025-10-05T16:15:00Z`); without an offset it is local time in `timezone`. Inside "
        "thermaudit every instant is UTC; the site's zone defines the period. A time-stamped row "
        "belongs to the period when its timestamp lies in (start 00:00, day after end 00:00] "
        "local time; a date-only row when its date is within the period.",
        "",
        "## Computation rules the contract fixes",
        "",
        "- **Consumption of a meter in the period**: cumulative meters are differenced "
        "(× multiplier, assigned to the later timestamp); a negative difference is a wrap when "
        "`rollover` is set, a `meter_events` reset when recorded (the interval is split: "
        "(old_final − previous) + (next − new_initial)), otherwise a finding that excludes the "
        "interval. A missing boundary reading is interpolated linearly between the readings "
        "around it; with no reading on one side nothing is extrapolated.",
        "- **Heat of a stream row**: Q = flow × cp × (t_hot − t_cold) × interval; water "
        "1 m3 = 1000 kg, cp 4.187 kJ/(kg·K); flue gas 1.38 and air 1.30 kJ/(Nm3·K) unless the "
        "stream sets `cp`; an available stream's empty t_cold is its `t_ref_c`.",
        "- **Mold temperature steady state**: `producing` samples at least `warmup_min` after "
        "the controller's first sample, the last setpoint change and the end of the last gap "
        "longer than `gap_min`.",
        "- **Quantiles** are linear-interpolation quantiles.",
        "- **Good mass** = good_qty × unit_mass_kg; "
        "processed mass = (good + scrap) × unit_mass_kg.",
        "- **Degree-days of a day** (`weather`, for the energy baseline): the samples with "
        "a timestamp in (d 00:00, d+1 00:00] local time; T̄ = their mean; HDD = max(0, "
        f"{DEGREE_DAY_BASES['heating_c']:g} − T̄), CDD = max(0, T̄ − "
        f"{DEGREE_DAY_BASES['cooling_c']:g}) in K·d (mean-temperature method; bases "
        "HDD18/CDD26 of the Chinese building climate zoning). A day whose samples number "
        f"fewer than {100 * MIN_COVERAGE:g} % of those expected at the median sample spacing "
        "(18 of 24 hourly samples) has no value and is left out of a fit that uses "
        "degree-days. Daily means are accepted too: stamp the mean of day d at d+1 00:00.",
        "",
    ]
    return "\n".join(parts)


def _canonical(carrier: str) -> str:
    from thermaudit.units import to_canonical

    units = sorted({to_canonical(carrier, u, 1.0).canonical for u in accepted_units(carrier)})
    return ", ".join(units)


def render_metrics() -> str:
    spec = load_spec()
    parts = [
        f"# Metrics: `{spec.ref}`",
        "",
        "<!-- generated by `python -m thermaudit.docs docs/` from the specification and the "
        "reference tables; do not edit by hand -->",
        "",
        f"{spec.title_en}  ",
        f"{spec.title_zh}",
        "",
        f"Status: {spec.status}. `thermaudit spec show` prints it; `--spec FILE` selects "
        "another specification file. Figures marked (check) are used as given and the report "
        "says so.",
        "",
        _md_table(
            ["id", "metric", "unit", "standard", "formula"],
            [
                [
                    f"`{m.id}`",
                    f"{m.name_zh} / {m.name_en}",
                    m.unit,
                    m.raw.get("standard", ""),
                    m.raw.get("formula", ""),
                ]
                for m in spec.metrics
            ],
        ),
        "",
        "## Formulas",
        "",
        "The numbers in these formulas are the parameters below; the report's methodology "
        "chapter prints the same lines.",
        "",
        "```text",
        *methodology_formulas(spec),
        "```",
        "",
        "## Parameters",
        "",
        _md_table(["name", "value"], [[f"`{k}`", f"{v:g}"] for k, v in spec.parameters.items()]),
        "",
    ]
    for name, title in (
        ("coefficients", "Coefficients to standard coal (GB/T 2589-2020)"),
        ("emission_factors", "Emission factors (GB/T 32150, GB/T 32151)"),
        ("grid_factors", "Grid emission factors"),
        ("materials", "Material properties for the theoretical melting heat"),
        ("metal_factors", "Default upstream emissions of metal inputs (product footprint)"),
        ("grid_mix", "Generation mix of the grid (energy by source, ESRS E1 and VSME B3)"),
        ("provinces", "Provinces and grid regions"),
    ):
        rows = table(name)
        cols = list(rows[0].keys())
        parts += [
            f"## {title}",
            "",
            f"`thermaudit/reference/data/{name}.csv`",
            "",
            _md_table(cols, [[_cell(r[c]) for c in cols] for r in rows]),
            "",
        ]
    parts += [
        "## Uncertainty of the carbon coefficients",
        "",
        "The carbon intensity's expanded uncertainty U (k = 2) includes its coefficients, not "
        "only the meters: each fuel's NCV (`ncv_u95_pct`) and CO2 factor (`ef_u95_pct`), the "
        "grid factor (`u95_pct`) and the purchased-heat factor, each a relative half-width of a "
        "95 % interval read as normal (u = u95/2). The fuels' figures are the IPCC 2006 "
        "Guidelines Vol. 2 Ch. 1 default ranges (Table 1.2, NCV; Table 1.4, CO2 factors), the "
        "larger half-width relative to the default, as each row's `uncertainty_source` cites; "
        "the grid and heat factors are published without an uncertainty, so their figure is a "
        "stated assumption. One coefficient serves every meter of its carrier: its term is "
        "taken on the carrier's total (GUM 5.2, fully correlated). A measured NCV of natural "
        "gas (site option or invoices) is taken as exact. `assessment.json` lists every term "
        "under `metrics.*.uncertainty_budget.contributors` (`kind`, `u`, `contribution`, "
        "`share`), and the report's uncertainty chapter prints the budget.",
        "",
        "## Findings",
        "",
        _md_table(
            ["code", "severity", "message", "what to do"],
            [[f"`{e.code}`", e.severity, e.en, e.action] for e in catalogue().values()],
        ),
        "",
    ]
    return "\n".join(parts)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:g}"
    return str(v).replace("|", "\\|")


def write(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, text in (
        ("dataset-contract.md", render_contract()),
        ("metrics.md", render_metrics()),
    ):
        path = folder / name
        path.write_text(text, "utf-8")
        out.append(path)
    return out


if __name__ == "__main__":  # pragma: no cover
    for p in write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(p)
