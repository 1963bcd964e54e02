"""``thermaudit portfolio init|add``: the store of many enterprises' assessments."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thermaudit.cli import app, console

portfolio_app = typer.Typer(
    help="A portfolio of many enterprises' assessments.", no_args_is_help=True
)
app.add_typer(portfolio_app, name="portfolio")


@portfolio_app.command("init")
def init(path: Annotated[Path, typer.Argument(help="New or empty folder.")]) -> None:
    """Create an empty portfolio."""
    from thermaudit.portfolio import init_portfolio

    init_portfolio(path)
    console.print(f"portfolio: {path}", highlight=False)


@portfolio_app.command("add")
def add(
    path: Annotated[Path, typer.Argument(help="The portfolio.")],
    assessments: Annotated[
        list[Path], typer.Argument(help="Assessment folders (each holding assessment.json).")
    ],
) -> None:
    """Add assessments; the same assessment twice changes nothing."""
    from thermaudit.portfolio import open_portfolio

    pf = open_portfolio(path)
    new = same = 0
    for a in assessments:
        added = pf.add(a)
        if added.unchanged:
            same += 1
            console.print(f"unchanged: {added.source} (already in the portfolio)", highlight=False)
            continue
        new += 1
        note = f", supersedes {len(added.supersedes)} older" if added.supersedes else ""
        console.print(f"added: {added.source} ({added.sha256[:12]}{note})", highlight=False)
    console.print(f"{new} added, {same} unchanged", highlight=False)
