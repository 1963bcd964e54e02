"""``thermaudit check``: the data-quality findings and the reconciliation of a dataset."""

from __future__ import annotations

import datetime as dt
import json
import math
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from thermaudit.cli import app, console, styled
from thermaudit.cli.assess import EngineOption

if TYPE_CHECKING:
    from thermaudit.quality.findings import Finding

SCHEMA = "thermaudit.findings/1"


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    error = "error"


def _json(o: Any) -> Any:
    if isinstance(o, dt.datetime | dt.date):
        return o.isoformat()
    if isinstance(o, float) and not math.isfinite(o):
        return None
    raise TypeError(type(o).__name__)


@app.command()
def check(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder or workspace.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created).")],
    severity: Annotated[
        Severity, typer.Option("--severity", help="Show findings of at least this severity.")
    ] = Severity.info,
    spec: Annotated[
        str | None,
        typer.Option("--spec", help="Specification id@version (packaged) or a YAML file."),
    ] = None,
    engine: EngineOption = None,
) -> None:
    """Run the data-quality checks; write OUT/findings.json and print the findings and the
    reconciliation per carrier."""
    from thermaudit.api import open_dataset
    from thermaudit.engine import connect
    from thermaudit.metrics.assess import assess
    from thermaudit.metrics.spec import load_spec
    from thermaudit.quality.findings import SEVERITIES

    specification = load_spec(spec)
    con = connect(engine)
    with console.status("checking"), open_dataset(dataset) as ds:
        # the assessment runs the quality checks and the reconciliation with the metrics
        result = assess(ds, spec=specification, con=con)
    findings = result.findings
    recon = result.document["reconciliation"]
    floor = SEVERITIES.index(severity.value)
    shown = [f for f in findings if SEVERITIES.index(f.severity) >= floor]
    out.mkdir(parents=True, exist_ok=True)
    path = out / "findings.json"
    doc = {
        "schema": SCHEMA,
        "specification": specification.ref,
        "minimum_severity": severity.value,
        "findings": [f.as_dict() for f in shown],
        "reconciliation": recon,
        "cross_department": result.document["cross_department"],
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2, default=_json), "utf-8")
    tmp.replace(path)
    _findings_table(shown, len(findings))
    _reconciliation_table(recon)
    _departments_table(result.document["cross_department"])
    console.print(f"wrote {path}", soft_wrap=True)


_STYLE = {"info": "cyan", "warning": "yellow", "error": "bold red"}


def _findings_table(shown: list[Finding], total: int) -> None:
    from thermaudit.quality.findings import SEVERITIES

    t = Table(title=f"findings ({len(shown)} of {total})", title_justify="left")
    t.add_column("severity")
    t.add_column("code")
    t.add_column("message", overflow="fold")
    order = sorted(shown, key=lambda f: (-SEVERITIES.index(f.severity), f.code))
    for f in order:
        t.add_row(styled(f"[{_STYLE[f.severity]}]{{s}}[/]", s=f.severity), f.code, f.message)
    console.print(t)


def _n(x: float | None, digits: int = 1) -> str:
    if x is None:
        return "—"
    return f"{x:,.{digits}f}"


def _reconciliation_table(rows: list[dict[str, Any]]) -> None:
    t = Table(title="reconciliation (kgce; % of supply + generation)", title_justify="left")
    for col in (
        "carrier",
        "supply",
        "generation",
        "excluded",
        "export",
        "net",
        "submeters",
        "closure %",
        "invoiced",
        "invoice Δ %",
    ):
        t.add_column(col, justify="left" if col == "carrier" else "right")
    for r in rows:
        closes = r["closes"]
        closure: str | Text = _n(r["closure_pct"])
        if closes["submeters"] is False:
            closure = styled("[red]{x}[/]", x=closure)
        inv: str | Text = _n(r["invoice_diff_pct"])
        if closes["invoices"] is False:
            inv = styled("[red]{x}[/]", x=inv)
        t.add_row(
            styled("{carrier}\n[dim]{unit}[/]", carrier=r["carrier"], unit=r["unit"] or ""),
            _n(r["supply"]["kgce"]),
            _n(r["generation"]["kgce"]),
            _n(r["excluded"]["kgce"]),
            _n(r["export"]["kgce"]),
            _n(r["net"]["kgce"]),
            _n(r["children"]["kgce"]),
            closure,
            _n(r["invoiced"]["kgce"]),
            inv,
        )
    console.print(t)


def _departments_table(summary: dict[str, Any]) -> None:
    """What the cross-department reconciliation compared and what matched."""
    from thermaudit.quality.crosscheck import CHECK_LABELS, UNIT_LABELS

    absent = [name for name, present in summary["tables"].items() if not present]
    title = "cross-department reconciliation"
    if absent:
        title += f" (no {' or '.join(absent)} table)"
    t = Table(title=title, title_justify="left")
    for col in ("comparison", "compared", "consistent", "inconsistent", "not compared"):
        t.add_column(col, justify="left" if col == "comparison" else "right")
    for c in summary["checks"]:
        bad: str | Text = str(c["inconsistent"])
        if c["inconsistent"]:
            bad = styled("[red]{x}[/]", x=bad)
        t.add_row(
            styled(
                "{name}\n[dim]{unit}[/]",
                name=CHECK_LABELS[c["check"]][1],
                unit=UNIT_LABELS[c["unit"]][1],
            ),
            str(c["compared"]),
            str(c["consistent"]),
            bad,
            str(c.get("not_compared", "—")),
        )
    console.print(t)
    w = summary["maintenance_windows"]
    scrap = next(c for c in summary["checks"] if c["check"] == "scrap")
    line = (
        f"maintenance windows in the period: {w['in_period']} ({w['planned']} planned, "
        f"{w['unplanned']} unplanned); the metrics use production's scrap"
    )
    if "quality_scrap" in scrap:
        line += (
            f" ({scrap['production_scrap']:,} pieces on the days compared; quality recorded "
            f"{scrap['quality_scrap']:,})"
        )
    console.print(line, soft_wrap=True)
