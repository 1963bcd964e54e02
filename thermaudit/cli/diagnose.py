"""``thermaudit diagnose``: wastes, ranked measures and export priorities of a dataset."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from thermaudit.cli import app, console, styled
from thermaudit.cli.assess import EngineOption, SpecOption


def _n(v: Any, fmt: str = ",.0f") -> str:
    return "—" if v is None else format(v, fmt)


def _short(title: str) -> str:
    """A measure's name without its parenthesised detail, which the report and the JSON keep."""
    return re.split(r" \(|（", title, maxsplit=1)[0]


@app.command()
def diagnose(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder or workspace.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder for diagnosis.json.")
    ] = None,
    spec: SpecOption = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Date of the certification plan (default: period end)."),
    ] = None,
    engine: EngineOption = None,
) -> None:
    """Find where energy is wasted, rank the measures against it (kgce, tCO2e, CNY,
    payback) and plan the export priorities; with -o, write OUT/diagnosis.json."""
    from thermaudit.api import diagnose_path
    from thermaudit.engine import engine_name

    engine = engine_name(engine)  # an unknown engine is refused before any work
    when = None
    if as_of is not None:
        try:
            when = dt.date.fromisoformat(as_of)
        except ValueError:
            raise typer.BadParameter(f"expected YYYY-MM-DD, found {as_of!r}") from None
    with console.status("assessing"):
        doc = diagnose_path(dataset, spec=spec, as_of=when, engine=engine)
    print_diagnosis(doc)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        path = out / "diagnosis.json"
        path.write_text(json.dumps({"diagnosis": doc}, ensure_ascii=False, indent=2), "utf-8")
        console.print(f"wrote {path}", highlight=False)


def print_diagnosis(doc: dict[str, Any]) -> None:
    """The ranked measures, the wastes, the SKU priorities and the certificate plan."""
    t = Table(
        title="measures, ranked by simple payback then kgce saved (per year; years)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    t.add_column("#", justify="right")
    t.add_column("measure", min_width=22, ratio=1)
    for col in ("kgce/a", "tCO2e/a", "CNY/a", "capex CNY", "payback", "life"):
        t.add_column(col, justify="right", no_wrap=True)
    for m in doc["measures"]:
        t.add_row(
            str(m["rank"]),
            styled("{en}\n[dim]{zh}[/]", en=_short(m["title"]["en"]), zh=_short(m["title"]["zh"])),
            _n(m["saving_kgce"]),
            _n(m["saving_tco2e"], ",.1f"),
            _n(m["saving_cny"]),
            _n(m["investment"]),
            _n(m["payback_years"], ".2f"),
            _n(m["lifetime_years"], "g"),
        )
    console.print(t)
    tariffs = ", ".join(
        f"{c} {v['cny_per_unit']:.4g} CNY/{v['unit']} ({v['kind']})"
        for c, v in doc["tariffs"].items()
    )
    console.print(f"tariffs: {tariffs}", highlight=False)
    a = doc["annualised"]
    console.print(
        f"annualised from {a['period_days']} days (× {a['factor']:.3g}); savings of measures "
        "on the same energy do not add up",
        highlight=False,
    )
    if doc["detectors"]["status"] not in ("ok", "given"):
        console.print(styled("[yellow]{status}[/]", status=doc["detectors"]["status"]))
    w = Table(title="wastes", title_justify="left")
    for col, just in (("detector", "left"), ("subject", "left"), ("kgce", "right"), ("", "left")):
        w.add_column(col, justify=just)  # type: ignore[arg-type]
    for x in doc["wastes"]:
        w.add_row(x["detector"], x["subject"], _n(x["kgce"]), x["title"]["en"])
    if doc["wastes"]:
        console.print(w)
    p = Table(title="export priorities (SKU)", title_justify="left")
    for col, just in (
        ("#", "right"),
        ("SKU", "left"),
        ("markets", "left"),
        ("kgce/t", "right"),
        ("tCO2e/t", "right"),
        ("exposure", "right"),
        ("score", "right"),
    ):
        p.add_column(col, justify=just)  # type: ignore[arg-type]
    for r in doc["priorities"]["skus"]:
        p.add_row(
            str(r["rank"]),
            styled("{sku}" + (" [dim](CBAM)[/]" if r["cbam_covered"] else ""), sku=r["sku"]),
            ", ".join(r["markets"]),
            _n(r["energy_kgce_per_t"], ",.1f"),
            _n(r["carbon_tco2e_per_t"], ".3f"),
            _n(r["exposure"], "g"),
            _n(r["score"], ".2f"),
        )
    console.print(p)
    certs = doc.get("certifications")
    if certs and certs["items"]:
        c = Table(title=f"certificates as of {certs['as_of']}", title_justify="left")
        for col in ("scheme", "SKU", "certificate", "renewal due", "status", "warnings"):
            c.add_column(col)
        style = {"overdue": "red", "urgent": "red", "plan": "yellow", "monitor": "green"}
        for i in certs["items"]:
            c.add_row(
                i["scheme"],
                i["sku"],
                i["certificate_no"],
                i["renewal_due"],
                styled(f"[{style[i['status']]}]{{status}}[/]", status=i["status"]),
                "\n".join(x["en"] for x in i["warnings"]) or "—",
            )
        console.print(c)
    b = doc["baseline"]
    if "error" in b:
        console.print(f"baseline: not fitted ({b['error']})", highlight=False)
    else:
        v = b["validity"]
        console.print(
            f"baseline: CV(RMSE) {100 * (b['model']['cv_rmse'] or 0):.1f} %, "
            f"valid: {'yes' if v['valid'] else 'no'}",
            highlight=False,
        )
