"""``thermaudit benchmark``: sector benchmarks of a portfolio."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thermaudit.cli import app, console
from thermaudit.cli.assess import EngineOption


@app.command("benchmark")
def benchmark_command(
    portfolio: Annotated[Path, typer.Argument(help="The portfolio (thermaudit portfolio init).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created).")],
    engine: EngineOption = None,
) -> None:
    """Write OUT/benchmark.json and OUT/benchmark.xlsx (and the operator's review list)."""
    from thermaudit.engine import engine_name
    from thermaudit.portfolio import open_portfolio
    from thermaudit.portfolio.benchmark import write_benchmark

    name = engine_name(engine)  # an unknown engine is refused before any work
    pf = open_portfolio(portfolio)
    with console.status(f"benchmarking on {name}"):
        files = write_benchmark(pf, out, engine=name)
    for key in ("json", "xlsx"):
        console.print(f"wrote {files[key]}", highlight=False)
    console.print(f"wrote {files['review']} (operator only: names enterprises)", highlight=False)
