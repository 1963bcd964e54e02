"""``thermaudit readiness``: what the plant lacks for the metrics, before an assessor comes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from thermaudit.cli import app, console, styled
from thermaudit.cli.assess import EngineOption, SpecOption
from thermaudit.report.labels import LANGS, Bi

_TONE = {"good": "green", "warn": "yellow", "bad": "red", "muted": "dim"}


@app.command()
def readiness(
    dataset: Annotated[
        Path,
        typer.Argument(help="Dataset folder (site.yaml and any tables) or workspace."),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Output folder (created) for readiness.json and readiness.pdf."
        ),
    ] = None,
    lang: Annotated[
        str, typer.Option("--lang", help=f"Language of the table and the PDF: {', '.join(LANGS)}.")
    ] = "zh",
    spec: SpecOption = None,
    engine: EngineOption = None,
) -> None:
    """Print, per metric of the specification, whether it can be computed, at what data
    quality, and every gap with its owner, effort and the certificate renewals it endangers.

    Exits 0 whenever site.yaml is readable: the gaps are the answer. With -o, writes
    OUT/readiness.json and the one-page OUT/readiness.pdf.
    """
    from thermaudit.engine import engine_name
    from thermaudit.readiness import readiness as check_readiness
    from thermaudit.report.build import check_lang

    check_lang(lang)
    engine = engine_name(engine)
    with console.status("checking readiness"):
        doc = check_readiness(None, dataset, spec=spec, engine=engine)
    _metrics_table(doc, lang)
    _gaps_table(doc, lang)
    if out is None:
        return
    from thermaudit.readiness.sheet import write_sheet

    out.mkdir(parents=True, exist_ok=True)
    path = out / "readiness.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2), "utf-8")
    tmp.replace(path)
    pdf = write_sheet(doc, out / "readiness.pdf", lang=lang)
    console.print(f"wrote {path}", soft_wrap=True)
    console.print(f"wrote {pdf}", soft_wrap=True)


def _label(b: Bi, lang: str) -> str:
    return b.get(lang)


def _metrics_table(doc: dict[str, Any], lang: str) -> None:
    from thermaudit.readiness.sheet import COMPUTABLE, LEVEL

    t = Table(title=f"readiness ({doc['specification']})", title_justify="left")
    for col in ("#", "metric", "computable", "data quality", "gaps"):
        t.add_column(col, justify="right" if col in ("#", "gaps") else "left")
    for i, m in enumerate(doc["metrics"], start=1):
        comp, ctone = COMPUTABLE[m["computable"]]
        level, ltone = LEVEL[m["level"]]
        t.add_row(
            str(i),
            m["name"][lang.split("+")[0]],
            styled(f"[{_TONE[ctone]}]{{x}}[/]", x=_label(comp, lang)),
            styled(f"[{_TONE[ltone]}]{{x}}[/]", x=_label(level, lang)),
            str(len(m["gaps"])),
        )
    console.print(t)
    for i, m in enumerate(doc["metrics"], start=1):
        for r in m["reasons"]:
            console.print(f"  {i}: {r}", soft_wrap=True)


def _gaps_table(doc: dict[str, Any], lang: str) -> None:
    from thermaudit.readiness.gaps import EFFORTS
    from thermaudit.readiness.sheet import owner_text

    number = {m["metric"]: str(i) for i, m in enumerate(doc["metrics"], start=1)}
    t = Table(title=f"gaps ({len(doc['gaps'])})", title_justify="left")
    for col in ("gap", "metrics", "owner", "effort", "renewal at risk"):
        t.add_column(col, overflow="fold")
    first = lang.split("+")[0]
    for g in doc["gaps"]:
        renewals = g["renewals"]
        renewal = (
            ", ".join(f"{c['renewal_due']} {c['scheme']} {c['certificate_no']}" for c in renewals)
            or "—"
        )
        t.add_row(
            g["message"][first],
            ", ".join(number[m] for m in g["metrics"] if m in number) or "—",
            owner_text(g["owner"]),
            _label(EFFORTS[g["effort"]], lang),
            renewal,
        )
    console.print(t)
