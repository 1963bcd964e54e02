"""``thermaudit baseline``: the energy baseline (EnPI regression) and normalized savings."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from thermaudit.cli import app, console, styled


def _g(v: Any, fmt: str = ".4g") -> str:
    return "—" if v is None else format(v, fmt)


@app.command()
def baseline(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder or workspace.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder for baseline.json.")
    ] = None,
    split: Annotated[
        str | None,
        typer.Option("--split", help="First day of the reporting period (YYYY-MM-DD)."),
    ] = None,
    baseline_days: Annotated[
        int | None,
        typer.Option("--baseline-days", help="Days at the start of the period used as baseline."),
    ] = None,
    regressor: Annotated[
        list[str] | None,
        typer.Option(
            "--regressor",
            help=(
                "good_mass_t, processed_t, pieces, hdd or cdd (repeat for several); default "
                "processed_t plus the degree-days (hdd, cdd) a weather table supports."
            ),
        ),
    ] = None,
) -> None:
    """Fit the daily energy baseline, judge it (ASHRAE Guideline 14) and, with --split or
    --baseline-days, compute normalized savings over the reporting period."""
    from thermaudit.api import open_dataset
    from thermaudit.diagnosis.baseline import baseline_section

    split_date = None
    if split is not None:
        try:
            split_date = dt.date.fromisoformat(split)
        except ValueError:
            raise typer.BadParameter(f"expected YYYY-MM-DD, found {split!r}") from None
    with open_dataset(dataset) as ds:
        doc = baseline_section(
            ds,
            baseline_days=baseline_days,
            split=split_date,
            regressors=tuple(regressor) if regressor else None,
        )
    _print(doc)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        path = out / "baseline.json"
        path.write_text(
            json.dumps({"diagnosis": {"baseline": doc}}, ensure_ascii=False, indent=2), "utf-8"
        )
        console.print(f"wrote {path}", highlight=False)


def _print(doc: dict[str, Any]) -> None:
    m = doc["model"]
    bp = doc["baseline_period"]
    t = Table(
        title=f"baseline {bp['start']} – {bp['end']} ({bp['days']} days) · E in kgce/d",
        title_justify="left",
    )
    for col in ("term", "coefficient", "unit", "std. error", "t", "p-value"):
        t.add_column(col, justify="left" if col in ("term", "unit") else "right")
    for term in m["terms"]:
        t.add_row(
            term["name"],
            _g(term["coefficient"]),
            term["unit"],
            _g(term["std_error"]),
            _g(term["t"]),
            _g(term["p_value"], ".3g"),
        )
    console.print(t)
    v = doc["validity"]
    valid = "[green]yes[/]" if v["valid"] else "[red]no[/]"
    console.print(
        styled(
            "{fit}  valid: " + valid,
            fit=f"R² {_g(m['r2'])}  adj. R² {_g(m['adj_r2'])}  "
            f"CV(RMSE) {_g(100 * m['cv_rmse'], '.2f')} % (≤ {100 * v['cv_rmse_max']:g} %)  "
            f"NMBE {_g(100 * m['nmbe'], '.2g')} % (|·| ≤ {100 * v['nmbe_abs_max']:g} %)",
        )
    )
    w = doc.get("weather")
    if w is not None:
        used = ", ".join(w["used"]) or "none"
        console.print(
            f"weather: degree-days (HDD{w['base_heating_c']:g}, CDD{w['base_cooling_c']:g}) on "
            f"{w['days']['with_value']} of {w['days']['total']} days; terms used: {used}"
            + (
                f"; {len(w['left_out_of_fit'])} day(s) without enough temperature samples left out"
                if w["left_out_of_fit"]
                else ""
            ),
            highlight=False,
        )
    if doc["days"]["incomplete"]:
        console.print(
            f"{len(doc['days']['incomplete'])} incomplete day(s) left out", highlight=False
        )
    s = doc["savings"]
    if s is not None:
        rp = doc["reporting_period"]
        st = Table(
            title=f"savings {rp['start']} – {rp['end']} ({rp['days']} days)",
            title_justify="left",
        )
        for col in ("adjusted baseline", "actual", "savings", "share", "± (conf.)"):
            st.add_column(col, justify="right")
        st.add_row(
            f"{s['adjusted_baseline_kgce']:,.0f} kgce",
            f"{s['actual_kgce']:,.0f} kgce",
            f"{s['savings_kgce']:,.0f} kgce",
            _g(None if s["savings_fraction"] is None else 100 * s["savings_fraction"], ".2f")
            + " %",
            f"{s['uncertainty_kgce']:,.0f} kgce ({100 * s['confidence']:.0f} %)",
        )
        console.print(st)
