"""One number policy (issue #17, 3): the demo plant's carbon intensity and its U read the same
in the CLI table, the PDF (pdftotext), the HTML, the workbook and the web page.

The CLI assesses the demo dataset of the web fixtures (7 days); the web app assesses the same
folder uploaded as a zip, the way a user does. Before, the same U printed as 0.0008408 in the
CLI and 0.00 on the web.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cli_run import thermaudit
from openpyxl import load_workbook
from web.helpers import Site, upload_and_assess

from thermaudit.metrics.spec import load_spec
from thermaudit.report.content import metric_name
from thermaudit.report.xlsx import HEADINGS, SHEETS

pytestmark = pytest.mark.slow

CARBON = "unit_product_carbon_intensity"


def _web_page(site: Site, demo_zip: Path) -> str:
    """alpha's member uploads the demo plant, assesses it; the assessment page in English."""
    c = site.client("member_alpha")
    a_id = upload_and_assess(site, demo_zip, lang="en")["assessment"]
    page = c.get(f"/assessments/{a_id}?lang=en")
    assert page.status_code == 200
    return page.text


def _decimals(text: str) -> int:
    return len(text.partition(".")[2])


def test_carbon_value_and_u_read_the_same_everywhere(
    site: Site, demo_dir: Path, demo_zip: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run = thermaudit("assess", demo_dir, "-o", out, "--report", "--lang", "en", columns=200)
    assert run.returncode == 0, run.stderr
    doc: dict[str, Any] = json.loads((out / "assessment.json").read_text("utf-8"))
    m = doc["metrics"][CARBON]
    value, u = float(m["value"]), float(m["uncertainty"])
    # the expected texts by hand, from GUM 7.2.6: U to two significant digits, the value at
    # U's last decimal place (independent of thermaudit.report.fmt)
    places = 1 - int(f"{u:e}".split("e")[1])
    u_text = f"{u:.{places}f}"
    if len(u_text.replace(".", "").lstrip("0")) > 2:  # 0.0995 -> 0.10: one place fewer
        places -= 1
        u_text = f"{u:.{places}f}"
    v_text = f"{value:,.{places}f}"
    assert places > 0 and _decimals(v_text) == _decimals(u_text)

    # 1. the CLI table: the carbon row holds both texts
    row = next(line for line in run.stdout.splitlines() if "carbon emission intensity" in line)
    cells = [c.strip() for c in re.split(r"[│|]", row)]
    assert v_text in cells and u_text in cells, row

    # 2. the PDF's text (summary card "U (k=2) = …" and table 1)
    pdf = subprocess.run(
        ["pdftotext", "-layout", str(out / "report.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert f"U (k=2) = {u_text} tCO2e/t" in pdf
    assert re.search(rf"{re.escape(v_text)}\s+tCO2e/t\s+{re.escape(u_text)}\b", pdf)

    # 3. the HTML report
    html = (out / "report.html").read_text("utf-8")
    assert f"U (k=2) = {u_text} tCO2e/t" in html and f">{v_text}<" in html

    # 4. the workbook: the texts, and numbers at full precision displayed the same way
    ws = load_workbook(out / "report.xlsx")[SHEETS["metrics"].en]
    header = [c.value for c in ws[1]]
    name = metric_name(load_spec(None).metric(CARBON)).en
    wrow = next(r for r in ws.iter_rows(min_row=2) if r[0].value == name)
    cell = {h: c for h, c in zip(header, wrow, strict=True)}
    col = {k: HEADINGS[k].en for k in ("value", "value_text", "u", "u_text")}
    assert cell[col["value_text"]].value == v_text
    assert cell[col["u_text"]].value == u_text
    assert cell[col["value"]].value == pytest.approx(value, rel=1e-15)  # not rounded
    assert cell[col["value"]].number_format == "#,##0." + "0" * places
    assert cell[col["u"]].number_format == "#,##0." + "0" * places

    # 5. the web page of the same dataset assessed by the web app
    page = _web_page(site, demo_zip)
    tr = re.search(rf'<tr data-metric="{CARBON}">(.*?)</tr>', page, re.S)
    assert tr, "no carbon row on the assessment page"
    nums = [html_lib.unescape(x) for x in re.findall(r'<td class="num">([^<]*)</td>', tr[1])]
    assert nums == [v_text, u_text], nums
