"""``thermaudit demo``: write the synthetic plant and run every step on it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from thermaudit.cli import app, console
from thermaudit.cli.assess import _summary
from thermaudit.demo.scales import SCALES


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "thermaudit-demo"
    ),
    scale: Annotated[
        str,
        typer.Option(
            help="default, or benchmark data: " + ", ".join(s for s in SCALES if s != "default")
        ),
    ] = "default",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same bytes).")] = 2025,
    run: Annotated[
        bool | None,
        typer.Option(
            "--run/--no-run", help="Import and assess (default: only for the default scale)."
        ),
    ] = None,
    programme: Annotated[
        int | None,
        typer.Option(
            "--programme",
            min=1,
            help="Write N synthetic enterprises (a diagnostic programme) and assess them.",
        ),
    ] = None,
    days: Annotated[
        int, typer.Option(min=1, max=31, help="Period of each programme enterprise [days].")
    ] = 7,
    workers: Annotated[
        int, typer.Option(min=1, help="Processes assessing the programme in parallel.")
    ] = 2,
    portfolio: Annotated[
        Path | None,
        typer.Option(help="Add the programme's assessments to this portfolio (created)."),
    ] = None,
) -> None:
    """Write a synthetic aluminium die-casting plant, import it and assess it."""
    if programme is not None:
        _programme(
            out,
            programme,
            seed=seed,
            days=days,
            run=run is not False,
            workers=workers,
            portfolio=portfolio,
        )
        return
    from thermaudit.demo import write_demo
    from thermaudit.metrics.spec import load_spec
    from thermaudit.store import init_workspace, open_workspace
    from thermaudit.store.workspace import MARKER

    dataset = out / "dataset"
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} days"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(f"writing the {scale} demo plant", total=None)
        info = write_demo(
            dataset,
            scale=scale,
            seed=seed,
            progress=lambda _what, done, total: bar.update(task, completed=done, total=total),
        )
    console.print(
        f"dataset: {dataset}  ({info.bytes_written / 1e6:.1f} MB, "
        f"{sum(info.rows.values()):,} rows)",
        highlight=False,
    )
    if run is None:
        run = scale == "default"
    if not run:
        return
    ws_dir = out / "workspace"
    ws = open_workspace(ws_dir) if (ws_dir / MARKER).is_file() else init_workspace(ws_dir)
    with console.status("importing into the workspace"):
        result = ws.import_dataset(dataset, replace=True)
    console.print(
        f"workspace: {ws_dir}  (import {result.import_id}"
        f"{', unchanged' if result.unchanged else ''})",
        highlight=False,
    )
    spec = load_spec()
    with console.status("assessing and writing the report") as status:
        from thermaudit.report.build import report_dataset

        assessment, files = report_dataset(
            ws.current_dataset(),
            out / "assessment",
            spec=spec,
            lang="zh+en",
            progress=lambda text: status.update(f"assessing: {text}"),
        )
    _summary(assessment.document, spec)
    console.print(f"assessment: {out / 'assessment' / 'assessment.json'}", highlight=False)
    console.print(f"report: {files.pdf}  {files.html}  {files.xlsx}", highlight=False)
    from thermaudit.exports import FORMATS, export_folder

    with console.status("writing the exports for buyers and the EU"):
        exported = export_folder(out / "assessment", list(FORMATS))
    console.print(f"exports: {'  '.join(p.name for p in exported)}", highlight=False)


def _programme(
    out: Path, n: int, *, seed: int, days: int, run: bool, workers: int, portfolio: Path | None
) -> None:
    import time

    from thermaudit.demo.programme import assess_programme, write_programme

    t0 = time.perf_counter()
    with console.status(f"writing {n} programme enterprises"):
        written = write_programme(out, n, seed=seed, days=days)
    console.print(
        f"programme: {out}  ({n} enterprises, {time.perf_counter() - t0:.1f} s)", highlight=False
    )
    if not run:
        return
    t1 = time.perf_counter()
    with console.status(f"assessing {n} enterprises ({workers} processes)"):
        files = assess_programme([e.folder for e in written], workers=workers)
    console.print(
        f"assessed: {len(files)} assessment.json files ({time.perf_counter() - t1:.1f} s)",
        highlight=False,
    )
    if portfolio is None:
        return
    from thermaudit.portfolio import init_portfolio, open_portfolio
    from thermaudit.portfolio.store import MARKER as PORTFOLIO_MARKER

    pf = (
        open_portfolio(portfolio)
        if (portfolio / PORTFOLIO_MARKER).is_file()
        else init_portfolio(portfolio)
    )
    added = [pf.add(f) for f in files]
    new = sum(1 for a in added if not a.unchanged)
    console.print(
        f"portfolio: {portfolio}  ({new} added, {len(added) - new} unchanged)", highlight=False
    )
