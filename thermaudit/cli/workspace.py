"""``thermaudit init`` and ``thermaudit import``: thin adapters over :mod:`thermaudit.store`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from thermaudit.cli import app, console, styled

if TYPE_CHECKING:
    from thermaudit.store import ImportResult


@app.command()
def init(
    directory: Annotated[
        Path, typer.Argument(help="Folder of the new workspace (created when missing).")
    ],
) -> None:
    """Create a workspace: the store of every dataset imported for one enterprise."""
    from thermaudit.store import init_workspace, open_workspace
    from thermaudit.store.workspace import MARKER

    if (directory / MARKER).is_file():
        ws = open_workspace(directory)
        console.print(f"{ws.root} is already a workspace; nothing changed.", soft_wrap=True)
        return
    ws = init_workspace(directory)
    console.print(styled("[green]created[/] workspace {root}", root=ws.root), soft_wrap=True)
    console.print(f"next: thermaudit import DATASET -w {ws.root}", soft_wrap=True)


@app.command("import")
def import_(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder (site.yaml and the tables).")],
    workspace: Annotated[
        Path, typer.Option("--workspace", "-w", help="Workspace folder (see thermaudit init).")
    ],
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Supersede current imports whose readings overlap (they stay in the history).",
        ),
    ] = False,
) -> None:
    """Validate a dataset and store it in a workspace."""
    from thermaudit.store import open_workspace

    ws = open_workspace(workspace)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("importing", total=None)
        result = ws.import_dataset(
            dataset,
            replace=replace,
            progress=lambda text: bar.update(task, description=text),
        )
    _print_result(result)


def _print_result(result: ImportResult) -> None:
    if result.unchanged:
        console.print(f"unchanged: identical to import {result.import_id}; nothing was stored.")
        return
    files = Table()
    files.add_column("file")
    files.add_column("table")
    files.add_column("rows", justify="right")
    files.add_column("sha256")
    for f in result.files:
        rows = "" if f.table is None else str(f.rows)  # site.yaml has no rows
        files.add_row(f.file, f.table or "", rows, f.sha256[:12])
    console.print(files)
    console.print(styled("[green]imported[/] as {id}", id=result.import_id))
    for old in result.superseded:
        console.print(f"superseded: {old} (kept in the history)")
