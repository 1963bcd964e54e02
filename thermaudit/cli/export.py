"""``thermaudit export``: the buyer and regulator files of an assessment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thermaudit.cli import app, console
from thermaudit.cli.assess import EngineOption, SpecOption
from thermaudit.exports import FORMATS


def _formats(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        for name in (v.strip() for v in value.split(",")):
            names = list(FORMATS) if name == "all" else [name]
            for n in names:
                if n not in FORMATS:
                    raise typer.BadParameter(
                        f"expected one of {', '.join(FORMATS)}, all; found {n!r}",
                        param_hint="--format",
                    )
                if n not in out:
                    out.append(n)
    return out


@app.command()
def export(
    source: Annotated[
        Path,
        typer.Argument(
            help="Dataset folder or workspace (assessed first), or an output folder holding "
            "assessment.json."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Output folder (default: SOURCE when it holds an assessment)."
        ),
    ] = None,
    formats: Annotated[
        list[str],
        typer.Option(
            "--format",
            "-f",
            help=f"Export format(s): {', '.join(FORMATS)} or all (repeat or comma-separate).",
        ),
    ] = ["all"],  # noqa: B006 - Typer reads the default, never mutates it
    spec: SpecOption = None,
    engine: EngineOption = None,
) -> None:
    """Write the files buyers and the EU ingest (pcf: product-footprints.json; cbam:
    cbam-communication.xlsx and .json; pact: pact-footprints.json; esrs: esrs-e1.json and
    .xbrl.json; vsme: vsme-b3.json and .xbrl.json; kesg: k-esg.xlsx), each naming the sha256
    of its assessment.json."""
    from thermaudit.exports import export_folder

    chosen = _formats(formats)
    if (source / "assessment.json").is_file() and out in (None, source):
        folder = source
    else:
        if out is None:
            raise typer.BadParameter(
                "expected an output folder for the assessment of a dataset or workspace",
                param_hint="--out",
            )
        from thermaudit.api import assess_path
        from thermaudit.engine import engine_name

        engine = engine_name(engine)  # an unknown engine is refused before any work
        with console.status("assessing"):
            assess_path(source, out, spec=spec, engine=engine)
        folder = out
        console.print(f"wrote {folder / 'assessment.json'}", highlight=False)
    for path in export_folder(folder, chosen):
        console.print(f"wrote {path}", highlight=False)
