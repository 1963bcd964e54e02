"""Write the report of one assessment: ``report.pdf`` (Typst, PDF/A-3b, fonts embedded,
``assessment.json`` attached), ``report.html`` (self-contained) and ``report.xlsx``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thermaudit.dataset.model import NormalizedDataset
from thermaudit.dataset.site import Site
from thermaudit.errors import ThermauditError
from thermaudit.metrics.assess import Assessment, assess, connect
from thermaudit.metrics.spec import Specification, load_spec
from thermaudit.report import content
from thermaudit.report.html_render import render_html
from thermaudit.report.labels import LANGS
from thermaudit.report.series import Series, collect
from thermaudit.report.typst_render import compile_pdf
from thermaudit.report.xlsx import write_workbook


class UnknownLanguage(ThermauditError, ValueError):
    """A report language that is not one of :data:`~thermaudit.report.labels.LANGS`."""


@dataclass
class ReportFiles:
    pdf: Path
    html: Path
    xlsx: Path
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise UnknownLanguage(f"unknown report language {lang!r}; choose one of {', '.join(LANGS)}")
    return lang


def write_report(
    document: dict[str, Any],
    out_dir: Path,
    *,
    lang: str = "zh",
    site: Site | None = None,
    spec: Specification | None = None,
    series: Series | None = None,
    keep_source: bool = False,
    benchmark: dict[str, Any] | None = None,
) -> ReportFiles:
    """Write ``report.pdf``, ``report.html`` and ``report.xlsx`` into ``out_dir``.

    ``document`` is an ``assessment.json`` dict; ``site`` (meter, product and controller
    metadata) and ``series`` (daily and control-chart data) add tables and charts when given;
    ``benchmark`` (a published ``benchmark.json``) adds the peer position chapter.
    """
    check_lang(lang)
    spec = spec or load_spec(document.get("specification"))
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    report = content.build(document, spec, site=site, series=series, lang=lang, benchmark=benchmark)
    t1 = time.perf_counter()
    attachment = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    res = compile_pdf(
        report,
        lang,
        out_dir / "report.pdf",
        attachment=("assessment.json", attachment),
        keep_source=out_dir / "report-source" if keep_source else None,
    )
    t2 = time.perf_counter()
    html = out_dir / "report.html"
    html.write_text(render_html(report, lang), "utf-8")
    t3 = time.perf_counter()
    xlsx = write_workbook(document, out_dir / "report.xlsx", spec=spec, site=site, lang=lang)
    t4 = time.perf_counter()
    return ReportFiles(
        res.path,
        html,
        xlsx,
        res.warnings,
        {"content": t1 - t0, "pdf": t2 - t1, "html": t3 - t2, "xlsx": t4 - t3},
    )


def report_dataset(
    dataset: NormalizedDataset,
    out_dir: Path,
    *,
    lang: str = "zh",
    spec: Specification | str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    keep_source: bool = False,
    diagnose: bool = True,
    engine: str | None = None,
    benchmark: dict[str, Any] | None = None,
) -> tuple[Assessment, ReportFiles]:
    """Assess ``dataset``, write ``out_dir/assessment.json`` and the report beside it.

    This is the one pipeline behind ``thermaudit report``, ``thermaudit assess --report``, the
    demo and the web service, so they write the same assessment and the same report. With
    ``diagnose`` (the default, as for ``thermaudit assess``) the assessment carries the
    ``diagnosis`` section and the report its chapter and the workbook its measures sheet.
    """
    check_lang(lang)
    spec = spec if isinstance(spec, Specification) else load_spec(spec)
    step = progress or (lambda _m: None)
    con = connect(engine)
    result = assess(dataset, spec=spec, con=con, progress=step)
    if diagnose:
        from thermaudit.diagnosis.section import diagnosis_section

        step("diagnosis")
        result.document["diagnosis"] = diagnosis_section(dataset, con, result)
    result.write(out_dir)
    step("chart data")
    series = collect(dataset, result.coefficients, con)
    step("report")
    files = write_report(
        result.document,
        out_dir,
        lang=lang,
        site=dataset.site,
        spec=spec,
        series=series,
        keep_source=keep_source,
        benchmark=benchmark,
    )
    return result, files
