"""``thermaudit assess`` and ``thermaudit spec show``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from thermaudit.cli import app, console, styled
from thermaudit.errors import DataNotQualified
from thermaudit.report.labels import LANGS

if TYPE_CHECKING:
    from thermaudit.metrics.spec import Specification

# The library (ibis, DuckDB, pint, ...) is imported inside each command, when it runs: the
# help of every command is printed without it (tests/test_startup.py).

SpecOption = Annotated[
    str | None,
    typer.Option("--spec", help="Specification id@version (packaged) or a YAML file."),
]


EngineOption = Annotated[
    str | None,
    typer.Option("--engine", help="Engine: duckdb (default) or spark; else THERMAUDIT_ENGINE."),
]


DiagnosisOption = Annotated[
    bool,
    typer.Option(
        "--diagnosis/--no-diagnosis",
        help="Add the diagnosis (wastes, measures, export priorities); on by default.",
    ),
]


@app.command()
def assess(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder or workspace.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created).")],
    spec: SpecOption = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="A metric whose data do not qualify is an error.")
    ] = False,
    report: Annotated[
        bool, typer.Option("--report", help="Also write report.pdf, report.html, report.xlsx.")
    ] = False,
    lang: Annotated[
        str, typer.Option("--lang", help=f"Report language: {', '.join(LANGS)}.")
    ] = "zh",
    diagnosis: DiagnosisOption = True,
    engine: EngineOption = None,
) -> None:
    """Compute the six metrics and write OUT/assessment.json."""
    from thermaudit.api import assess_path, report_path
    from thermaudit.engine import engine_name
    from thermaudit.metrics.spec import load_spec

    specification = load_spec(spec)
    engine = engine_name(engine)  # an unknown engine is refused before any work
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("assessing", total=None)

        def show(text: str) -> None:
            bar.update(task, description=text)

        if report:
            result, files = report_path(
                dataset,
                out,
                lang=lang,
                spec=specification,
                progress=show,
                diagnose=diagnosis,
                engine=engine,
            )
        else:
            result = assess_path(
                dataset, out, spec=specification, progress=show, diagnose=diagnosis, engine=engine
            )
    _summary(result.document, specification)
    console.print(f"wrote {out / 'assessment.json'}", highlight=False)
    if report:
        for p in (files.pdf, files.html, files.xlsx):
            console.print(f"wrote {p}", highlight=False)
    if strict and result.disqualified():
        raise DataNotQualified(result.disqualified(), written=str(out / "assessment.json"))


def _summary(doc: dict[str, Any], spec: Specification) -> None:
    from thermaudit.metrics.result import Assessment
    from thermaudit.report.fmt import fmt_measured

    ent = doc["enterprise"]
    period = doc["period"]
    t = Table(
        title=f"{ent['name']} · {period['start']} – {period['end']} · {doc['specification']}",
        title_justify="left",
    )
    for col, just in (
        ("metric", "left"),
        ("value", "right"),
        ("unit", "left"),
        ("U (k=2)", "right"),
        ("grade", "left"),
        ("data", "left"),
    ):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    assessed = Assessment.from_json(doc).metrics
    for m in spec.metrics:
        r = assessed.get(m.id)
        if r is None:
            continue
        data = "qualified" if r.qualified else styled("[yellow]not qualified[/]")
        value, u = fmt_measured(r.value, r.uncertainty, r.unit)
        t.add_row(
            styled("{en}\n[dim]{zh}[/]", en=m.name_en, zh=m.name_zh),
            value,
            r.unit,
            u,
            r.grade or "—",
            data,
        )
    console.print(t)
    counts: dict[str, int] = {}
    for f in doc["findings"]:
        counts[f["severity"]] = counts.get(f["severity"], 0) + 1
    if counts:
        console.print(
            "findings: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())), highlight=False
        )


spec_app = typer.Typer(help="Metric specifications.", no_args_is_help=True)
app.add_typer(spec_app, name="spec")


@spec_app.command("show")
def spec_show(spec: SpecOption = None) -> None:
    """Print the active specification: metrics, units, grading and coefficients."""
    from thermaudit.metrics.spec import load_spec
    from thermaudit.reference import table as reference_table

    s = load_spec(spec)
    console.print(
        styled(
            "[bold]{ref}[/]  ({status})  source: {source}",
            ref=s.ref,
            status=s.status,
            source=s.source,
        )
    )
    console.print(f"{s.title_en}\n{s.title_zh}", highlight=False)
    t = Table(title="metrics", title_justify="left")
    for col in ("id", "name", "unit", "standard", "grading"):
        t.add_column(col)
    for m in s.metrics:
        g = m.grading
        t.add_row(
            m.id,
            f"{m.name_en}\n{m.name_zh}",
            m.unit,
            str(m.raw.get("standard", "")),
            str(g.get("kind", "")),
        )
    console.print(t)
    p = Table(title="parameters", title_justify="left")
    p.add_column("name")
    p.add_column("value", justify="right")
    for k, v in s.parameters.items():
        p.add_row(k, f"{v:g}")
    console.print(p)
    c = Table(title="coefficients (GB/T 2589-2020)", title_justify="left")
    for col in ("carrier", "unit", "kgce/unit", "source", "confidence"):
        c.add_column(col)
    for row in reference_table("coefficients"):
        c.add_row(
            row["carrier"],
            row["unit"],
            f"{row['kgce_per_unit']:g}",
            row["source"],
            row["confidence"],
        )
    console.print(c)
