"""The web service in a real browser: Debian's Chromium (``/usr/bin/chromium``, never a
downloaded one) driven by Playwright against a real server (uvicorn on a free loopback port,
SQLite in a temporary data folder, the background worker on).

``test_whole_path_in_chromium`` signs in as an enterprise member, uploads the zipped demo
plant through the upload form, watches the import job's progress (including a reload while
it runs), runs an assessment, reads the six metrics and the charts on the assessment page,
downloads the PDF (``%PDF``, several pages, the same bytes the signed manifest lists) and
switches the interface to Chinese and Korean, where the CJK text is drawn in the fonts the
app serves (Chromium runs with the system's fonts only: no CJK font on a bare Debian).
``test_assessor_of_another_body_is_refused_by_url`` signs
in as an assessor whose body has no grant from that enterprise and types its URLs: every one
answers 404 and shows nothing of it, while the granted body's assessor reads the same page.

Screenshots and the downloaded PDF go to ``test-output/browser/`` at the repository root
(git-ignored, replaced on every run; ``THERMAUDIT_TEST_OUTPUT`` names another folder).

Without ``/usr/bin/chromium`` the tests skip, unless ``THERMAUDIT_REQUIRE_CHROMIUM=1``
(``.ci/run`` exports it), when they fail.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web.helpers import PASSWORD, Site, live_server, seed

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path(os.environ.get("THERMAUDIT_TEST_OUTPUT") or ROOT / "test-output") / "browser"
#: seconds a background job (import of the 7-day demo, assessment with the report) may take
JOB_TIMEOUT = 180
METRICS = [
    "unit_product_energy",
    "waste_heat_recovery_rate",
    "mold_temperature_control_accuracy",
    "melting_energy_intensity",
    "unit_product_carbon_intensity",
    "energy_metering_coverage",
]


@pytest.fixture(scope="module")
def output() -> Path:
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir(parents=True)
    return OUTPUT


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Site]]:
    """The real server over a fresh SQLite database with the seeded organizations."""
    from thermaudit.web import Settings, create_app

    data = tmp_path_factory.mktemp("browser-data")
    app = create_app(Settings(data_dir=data, poll_seconds=0.2))
    with live_server(app) as base:
        # the server builds its web fonts when it starts (seconds): wait for them as a
        # deployed server's first visitor would not, so no page load waits on them here
        for name in ("noto-sans-sc.woff2", "noto-sans-kr.woff2"):
            with urllib.request.urlopen(f"{base}/fonts/{name}", timeout=300) as r:
                assert r.status == 200 and r.read(4) == b"wOF2", name
        yield base, Site(app, data, seed(app))
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        msg = f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("THERMAUDIT_REQUIRE_CHROMIUM") == "1":
            pytest.fail(msg + "; THERMAUDIT_REQUIRE_CHROMIUM=1 requires it")
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # the system's fonts only (no CJK font on a bare Debian): Chinese and Korean are
        # legible through the fonts the app serves, or not at all
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def assert_served_font(page: Any, family: str, text: str) -> None:
    """The page drew ``text`` (shown on it) in ``family`` from the font this server serves:
    once the document's fonts are ready, its face of ``family`` is loaded, from /fonts/, and
    ``document.fonts.check`` finds every character of ``text`` in loaded faces."""
    assert text in page.inner_text("body"), text
    seen = page.evaluate(
        """async ([family, text]) => {
             await document.fonts.ready;
             const faces = [...document.fonts].filter(f => f.family.replace(/"/g, '') === family);
             const fetched = performance.getEntriesByType('resource')
               .map(e => new URL(e.name).pathname).filter(p => p.startsWith('/fonts/'));
             return {status: faces.map(f => f.status), fetched,
                     check: document.fonts.check(`16px "${family}"`, text)};
           }""",
        [family, text],
    )
    assert seen["status"] == ["loaded"], seen
    assert seen["check"] is True, seen
    file = "/fonts/" + family.lower().replace(" ", "-") + ".woff2"
    assert file in seen["fetched"], seen


def new_page(browser: Any) -> Any:
    ctx = browser.new_context(
        locale="en-US", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    return page


def shot(page: Any, output: Path, name: str) -> None:
    page.screenshot(path=str(output / f"{name}.png"), full_page=True)


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/")
    assert page.url == f"{base}/login?next=/", page.url  # signed out: sent to sign in
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.click('form[action="/login"] button[type="submit"]')
    page.wait_for_url(f"{base}/")


def follow_job(page: Any, base: str, output: Path, name: str, target: str) -> list[tuple]:
    """On a job page: record (state, progress) as the page shows them until the job ends and
    the page moves on to ``target`` (``datasets`` or ``assessments``); reload once while the
    job runs. Returns what was seen."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.wait_for_url(f"{base}/jobs/*")
    assert page.locator("#job progress#job-bar").count() == 1, page.content()
    shot(page, output, name)
    seen: list[tuple] = []
    reloaded = False
    end = time.monotonic() + JOB_TIMEOUT
    while f"/{target}/" not in page.url:
        assert time.monotonic() < end, f"the job did not end in {JOB_TIMEOUT} s: {seen}"
        try:
            now = page.evaluate(
                """() => { const b = document.getElementById('job');
                   return b ? [b.dataset.state, Number(document.getElementById('job-bar').value),
                               document.getElementById('job-state').textContent] : null; }"""
            )
        except PlaywrightError:  # the page navigated while being read
            continue
        if now is None:
            continue
        seen.append(tuple(now))
        state = now[0]
        if state == "running" and not reloaded:
            shot(page, output, f"{name}-running")
            # the progress survives a reload: it lives in the jobs table, not in the page
            before = now[1]
            page.reload()
            reloaded = True
            if f"/{target}/" not in page.url and page.locator("#job").count():
                assert page.locator("#job-bar").evaluate("b => b.value") >= before
        elif state == "failed":
            raise AssertionError(f"the job failed: {page.inner_text('#job')}")
        elif state == "done":
            try:  # the script moves on to the result ...
                page.wait_for_url(f"{base}/{target}/*", timeout=5_000)
            except PlaywrightTimeout:  # ... unless the page was rendered done: the link
                page.click("#job-result")
            break
        time.sleep(0.1)
    page.wait_for_url(f"{base}/{target}/*")
    (output / f"{name}.json").write_text(json.dumps({"reloaded": reloaded, "seen": seen}))
    progress = [p for _s, p, _t in seen]
    assert progress == sorted(progress), f"progress went backwards: {seen}"
    return seen


def test_whole_path_in_chromium(
    server: tuple[str, Site], browser: Any, demo_zip: Path, output: Path
) -> None:
    base, site = server
    page = new_page(browser)

    # sign in
    page.goto(f"{base}/")
    page.fill('input[name="email"]', "member_alpha@example.com")
    page.fill('input[name="password"]', "wrong password!")
    page.click('form[action="/login"] button[type="submit"]')
    assert page.inner_text("[role=alert]") == "Wrong e-mail or password."
    shot(page, output, "01-sign-in-refused")
    page.fill('input[name="email"]', "member_alpha@example.com")
    page.fill('input[name="password"]', PASSWORD)
    page.click('form[action="/login"] button[type="submit"]')
    page.wait_for_url(f"{base}/")
    assert page.inner_text("h1") == "Enterprises"
    assert "member_alpha" in page.inner_text("header .who")
    shot(page, output, "02-dashboard")

    # upload the demo plant and watch the import
    page.click("text=Alpha Die Casting")
    page.wait_for_url(f"{base}/enterprises/{site.ids['alpha']}")
    page.set_input_files('input[name="file"]', str(demo_zip))
    page.click('form[action$="/upload"] button[type="submit"]')
    seen = follow_job(page, base, output, "03-import-progress", "datasets")
    assert seen, "the job page was never read"
    assert page.inner_text("#dataset-status") == "imported"
    shot(page, output, "04-dataset-imported")

    # run an assessment (zh+en report) and watch it
    page.click(f"a[href='/enterprises/{site.ids['alpha']}']")
    page.select_option('select[name="lang"]', "zh+en")
    page.click('form[action$="/assess"] button[type="submit"]')
    follow_job(page, base, output, "05-assessment-progress", "assessments")
    a_id = int(page.url.rsplit("/", 1)[1])

    # the six metrics, each with a number, and the report's charts
    rows = page.locator("#metrics tr[data-metric]")
    assert [rows.nth(i).get_attribute("data-metric") for i in range(rows.count())] == METRICS
    for i in range(6):
        value = rows.nth(i).locator("td").nth(1).inner_text()
        float(value.replace(",", ""))  # a number, not "–"
    assert page.locator("#metrics").inner_text().count("Unit product") == 0  # English names
    assert "waste heat recovery rate" in page.inner_text("#metrics").lower()
    assert page.locator("figure.chart svg").count() >= 3
    assert page.locator("#sku-ranking tbody tr").count() >= 3
    shot(page, output, "06-assessment")

    # download the PDF: the signed file
    with page.expect_download() as dl:
        page.click("#download-pdf")
    pdf = output / "report.pdf"
    dl.value.save_as(str(pdf))
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 50_000, len(data)
    listed = page.context.request.get(f"{base}/api/assessments/{a_id}").json()["files"]
    assert hashlib.sha256(data).hexdigest() == listed["report.pdf"]
    if shutil.which("pdfinfo"):
        info = subprocess.run(
            ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
        ).stdout
        pages = int(next(x for x in info.splitlines() if x.startswith("Pages:")).split()[1])
        assert pages >= 3, info

    # the interface in Chinese, remembered across pages
    page.click('header a.lang[lang="zh"]')
    page.wait_for_url(f"{base}/assessments/{a_id}?lang=zh")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "六项指标" in page.inner_text("main")
    assert "单位产品综合能耗" in page.inner_text("#metrics")
    assert page.inner_text('header a.lang[lang="en"]') == "English"
    assert_served_font(page, "Noto Sans SC", "单位产品综合能耗")
    shot(page, output, "07-assessment-zh")
    page.goto(f"{base}/")
    assert page.inner_text("h1") == "企业"
    shot(page, output, "08-dashboard-zh")
    # and in Korean
    page.click('header a.lang[lang="ko"]')
    page.wait_for_url(f"{base}/?lang=ko")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.inner_text("h1") == "기업"
    assert_served_font(page, "Noto Sans KR", "기업")
    shot(page, output, "08-dashboard-ko")
    page.context.close()


def test_assessor_of_another_body_is_refused_by_url(
    server: tuple[str, Site], browser: Any, output: Path
) -> None:
    """Body Y has no grant from Alpha: its assessor typing Alpha's URLs gets 404 pages that
    show nothing of Alpha (as for an id that does not exist); Body X's assessor, granted,
    opens the same assessment."""
    import sqlalchemy as sa

    from thermaudit.web.models import Assessment, Dataset

    base, site = server
    alpha = site.ids["alpha"]
    with site.app.state.sessions() as s:
        a_id = s.scalar(
            sa.select(sa.func.max(Assessment.id)).where(Assessment.enterprise_id == alpha)
        )
        d_id = s.scalar(sa.select(sa.func.max(Dataset.id)).where(Dataset.enterprise_id == alpha))
    if a_id is None or d_id is None:
        pytest.fail("Alpha has no assessment: test_whole_path_in_chromium makes it, run both")

    page = new_page(browser)
    sign_in(page, base, "assessor_y@example.com")
    assert "No enterprise is visible to you yet." in page.inner_text("main")
    for url in (
        f"/enterprises/{alpha}",
        f"/assessments/{a_id}",
        f"/assessments/{a_id}/download/pdf",
        f"/datasets/{d_id}",
        f"/compare?a={a_id}&b={a_id}",
        f"/api/enterprises/{alpha}",
        f"/api/assessments/{a_id}/files/pdf",
    ):
        response = page.goto(base + url)
        assert response is not None and response.status == 404, (url, response)
        text = page.content()
        assert "Alpha" not in text and "阿尔法" not in text and "%PDF" not in text, url
    page.goto(f"{base}/assessments/{a_id}")
    assert page.inner_text("main h1") == "Error 404"
    shot(page, output, "09-assessor-refused")
    page.context.close()

    granted = new_page(browser)
    sign_in(granted, base, "assessor_x@example.com")
    response = granted.goto(f"{base}/assessments/{a_id}")
    assert response is not None and response.status == 200
    assert granted.locator("#metrics tr[data-metric]").count() == 6
    assert "Alpha Die Casting" in granted.inner_text("main h1")
    shot(granted, output, "10-assessor-granted")
    granted.context.close()


def test_api_docs_load_from_this_server_only(
    browser: Any, server: tuple[str, Site], output: Path
) -> None:
    """Regression: /api/docs loaded Swagger UI, its stylesheet and its favicon from a CDN.
    In Chromium, every request the page makes goes to this server, Swagger UI renders the
    operations, and the Content-Security-Policy reports no violation; an app page loads its
    favicon from this server too."""
    from urllib.parse import urlsplit

    base, _site = server
    page = new_page(browser)
    hosts: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: hosts.append(urlsplit(r.url).netloc))
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" else None,
    )
    page.goto(f"{base}/api/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "thermaudit" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock").count() >= 15  # the API's operations
    shot(page, output, "09-api-docs")
    favicon = page.evaluate("() => document.querySelector('link[rel=icon]').href")
    page.goto(favicon)
    page.goto(f"{base}/login")
    page.wait_for_load_state("networkidle")
    ours = urlsplit(base).netloc
    assert hosts and set(hosts) == {ours}, sorted(set(hosts))
    assert not [p for p in problems if "Content Security Policy" in p], problems
    page.context.close()
