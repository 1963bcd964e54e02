"""``thermaudit report``: the assessment report as PDF, HTML and Excel."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from thermaudit.cli import app, console, err_console, styled
from thermaudit.cli.assess import DiagnosisOption, EngineOption, SpecOption
from thermaudit.report.labels import LANGS

if TYPE_CHECKING:
    from thermaudit.report.build import ReportFiles


@app.command()
def report(
    dataset: Annotated[
        Path, typer.Argument(help="Dataset folder, workspace, or an assessment.json file.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created).")],
    lang: Annotated[
        str, typer.Option("--lang", help=f"Report language: {', '.join(LANGS)}.")
    ] = "zh",
    spec: SpecOption = None,
    keep_source: Annotated[
        bool, typer.Option("--keep-source", help="Keep the Typst source in OUT/report-source.")
    ] = False,
    diagnosis: DiagnosisOption = True,
    engine: EngineOption = None,
    benchmark: Annotated[
        Path | None,
        typer.Option(
            "--benchmark", help="A benchmark.json (thermaudit benchmark): adds the peer position."
        ),
    ] = None,
) -> None:
    """Assess and write OUT/report.pdf, report.html, report.xlsx and assessment.json.

    The same work and the same files as ``thermaudit assess DATASET -o OUT --report``.
    Given an assessment.json file instead, only the report is written (without the charts
    and the tables that need the dataset), with the diagnosis the file carries.
    """
    from thermaudit.api import report_path
    from thermaudit.engine import engine_name
    from thermaudit.metrics.result import Assessment
    from thermaudit.metrics.spec import load_spec
    from thermaudit.portfolio.benchmark import read_benchmark
    from thermaudit.report.build import check_lang, write_report

    check_lang(lang)
    engine = engine_name(engine)  # an unknown engine is refused before any work
    bench = read_benchmark(benchmark) if benchmark is not None else None
    t0 = time.perf_counter()
    if dataset.is_file() and dataset.suffix == ".json":
        document = json.loads(dataset.read_text("utf-8"))
        Assessment.from_json(document, source=str(dataset))  # refused before anything is written
        files = write_report(
            document,
            out,
            lang=lang,
            spec=load_spec(spec or document.get("specification")),
            keep_source=keep_source,
            benchmark=bench,
        )
        _done(files, [files.pdf, files.html, files.xlsx], t0)
        return
    specification = load_spec(spec)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("reading the dataset", total=None)
        _, files = report_path(
            dataset,
            out,
            lang=lang,
            spec=specification,
            progress=lambda text: bar.update(task, description=text),
            diagnose=diagnosis,
            engine=engine,
            benchmark=bench,
            keep_source=keep_source,
        )
    _done(files, [files.pdf, files.html, files.xlsx, out / "assessment.json"], t0)


def _done(files: ReportFiles, written: list[Path], t0: float) -> None:
    for w in files.warnings:
        err_console.print(styled("[yellow]typst warning:[/] {w}", w=w))
    for p in written:
        console.print(f"wrote {p}", highlight=False)
    console.print(
        styled(
            "[dim]{t}[/]", t=f"{time.perf_counter() - t0:.1f} s (PDF {files.seconds['pdf']:.1f} s)"
        )
    )
