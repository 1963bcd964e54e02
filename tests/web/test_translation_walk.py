"""Every page in every language, read as a user reads it: no English prose on a Chinese or
Korean page, and no internal identifier (snake_case keys, file names, JSON paths, a raw
validation message) on any page.

The demo plant is uploaded and assessed twice (so the compare page has two versions); then
the dashboard, enterprise, dataset, readiness, job, assessment, compare, admin, audit, login
and error pages (404, a refused upload, a query parameter that is not a number) are fetched
with ``?lang=`` each of zh, en, ko, and their visible text (no tags, scripts or styles)
scanned as tests/report/test_text_scan.py scans the report.

What the page shows from the user's data is taken out first: the organizations' and users'
names and e-mails, file names, dates and numbers, units and the finding codes (a stable
handle on the catalogue, printed as is in every language).
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

import pytest
from web.helpers import Site

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path(os.environ.get("THERMAUDIT_TEST_OUTPUT") or ROOT / "test-output") / "pages"

#: three English words in a row: a sentence or a phrase
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’.-]+(?:\s+[A-Za-z][A-Za-z'’.-]*){2,}")
#: snake_case keys (waste_heat_recovery_rate, natural_gas), as in test_text_scan.py
SNAKE = re.compile(r"\b(?:[a-z][a-z0-9]{2,}(?:_[a-z0-9]+)+|[a-z0-9]+(?:_[a-z0-9]+){2,})\b")
#: file names, JSON paths and pydantic's words for a bad query parameter
INTERNAL = re.compile(
    r"\.(?:json|csv|yaml|parquet|md)\b|#/|Input should be|valid integer|\bquery\.|\bbody\."
)
#: what Chinese and Korean write in Latin letters too: formats, units, abbreviations
LATIN_KEPT = {
    "PDF",
    "HTML",
    "XLSX",
    "JSON",
    "CSV",
    "ZIP",
    "SKU",
    "PACT",
    "API",
    "UTC",
    "CNY",
    "kWh",
    "kgce",
    "tCO2e",
    "English",
    "Excel",
    "CBAM",
    "ESRS",
    "VSME",
}
#: a finding's stable code (quality.reading.gap): the reader's handle on the catalogue
FINDING_CODE = re.compile(r"\b(?:quality|metric|dataset)\.[a-z_.]+[a-z]")


def visible_text(page: str) -> str:
    """The text a reader sees: no <script>, <style>, <svg> (the charts draw text as
    outlines with a <title> the report scan covers), tags, or attributes.

    Left out, as not yet translated (issue #20): the charts' captions, which come from the
    signed report in the report's language, not the page's; and the audit log's raw record
    (its action codes and JSON detail, in <code> and <small>)."""
    page = re.sub(r"(?is)<(script|style|svg|figcaption)\b.*?</\1>", " ", page)
    if 'id="audit"' in page:
        page = re.sub(r"(?is)<(code|small)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(page))


def without_data(text: str, site: Site) -> str:
    """``text`` less what comes from the data, which no translation changes."""
    names = [
        "site.yaml",  # the contract's file names are what the user writes
        "Admin",  # the seeded admin's name
        "Alpha Die Casting 阿尔法压铸",
        "Beta Foundry",
        "Body X",
        "Body Y",
        "demo.zip",
        "not-a-zip.txt",
    ]
    for n in names:
        text = text.replace(n, " ")
    text = re.sub(r"[\w.+-]+@example\.com", " ", text)
    text = text.replace("testclient", " ")  # the test client's address in the audit log
    text = re.sub(r"\b(?:member|assessor)_[a-z]+\b", " ", text)  # user names of the seed
    text = FINDING_CODE.sub(" ", text)
    text = re.sub(r"\b(?:" + "|".join(sorted(LATIN_KEPT)) + r")\b", " ", text)
    text = re.sub(r"\bthermaudit\b( [\d.]+\S*)?", " ", text)  # the product's name
    return text


@pytest.fixture(scope="module")
def pages(site: Site, demo_zip: Path) -> dict[tuple[str, str], tuple[int, str]]:
    """(page, lang) → (status, body) for every page of the service."""
    c = site.client("member_alpha")
    h = site.csrf("member_alpha")
    alpha = site.ids["alpha"]
    with demo_zip.open("rb") as f:
        r = c.post(
            f"/api/enterprises/{alpha}/datasets",
            files={"file": ("demo.zip", f, "application/zip")},
            headers=h,
        )
    assert r.status_code == 202, r.text
    import_job = r.json()["job"]["id"]
    dataset = r.json()["dataset"]["id"]
    assert site.wait(import_job, "member_alpha")["state"] == "done"
    assessments = []
    for _ in range(2):
        r = c.post(f"/api/enterprises/{alpha}/assessments", json={"lang": "en"}, headers=h)
        assert r.status_code == 202, r.text
        assert site.wait(r.json()["job"]["id"], "member_alpha")["state"] == "done"
        assessments.append(r.json()["assessment"]["id"])
    a, b = assessments
    member_urls = {
        "dashboard": "/",
        "enterprise": f"/enterprises/{alpha}",
        "dataset": f"/datasets/{dataset}",
        "readiness": f"/datasets/{dataset}/readiness",
        "job": f"/jobs/{import_job}",
        "assessment": f"/assessments/{b}",
        "compare": f"/compare?a={a}&b={b}",
        "error 404": "/assessments/999999",
        "error 422": f"/compare?a={a}&b=x",
    }
    out: dict[tuple[str, str], tuple[int, str]] = {}
    admin = site.client("admin")
    for lang in ("zh", "en", "ko"):
        for name, url in member_urls.items():
            sep = "&" if "?" in url else "?"
            r = c.get(f"{url}{sep}lang={lang}")
            out[name, lang] = (r.status_code, r.text)
        for name, url in (("admin", "/admin"), ("audit", "/audit")):
            r = admin.get(f"{url}?lang={lang}")
            out[name, lang] = (r.status_code, r.text)
        from web.helpers import new_client

        anon = new_client(site.app)
        r = anon.get(f"/login?lang={lang}")
        out["login", lang] = (r.status_code, r.text)
        anon.close()
        # a refused upload: the error page of the form
        c.cookies.set("lang", lang)
        r = c.post(
            f"/enterprises/{alpha}/upload",
            files={"file": ("not-a-zip.txt", b"hello", "text/plain")},
            data={"csrf_token": h["X-CSRF-Token"]},
            follow_redirects=True,
        )
        out["upload refused", lang] = (r.status_code, r.text)
    c.cookies.delete("lang")
    OUTPUT.mkdir(parents=True, exist_ok=True)  # to read what the scan found
    for (name, lang), (_status, body) in out.items():
        (OUTPUT / f"{name.replace(' ', '-')}-{lang}.html").write_text(body, "utf-8")
    return out


def test_every_page_answers(pages: dict[tuple[str, str], tuple[int, str]]) -> None:
    want = {"error 404": 404, "error 422": 422}
    for (name, lang), (status, body) in pages.items():
        assert status == want.get(name, status if name == "upload refused" else 200), (
            name,
            lang,
            status,
            body[:300],
        )
        assert f'lang="{ {"zh": "zh-CN", "en": "en", "ko": "ko"}[lang] }"' in body, (name, lang)


@pytest.mark.parametrize("lang", ["zh", "ko"])
def test_no_english_prose_on_a_chinese_or_korean_page(
    pages: dict[tuple[str, str], tuple[int, str]], site: Site, lang: str
) -> None:
    found = {}
    for (name, page_lang), (_status, body) in pages.items():
        if page_lang != lang:
            continue
        text = without_data(visible_text(body), site)
        runs = sorted(set(ENGLISH_RUN.findall(text)))
        if runs:
            found[name] = runs
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())


#: a Latin word of three letters or more
LATIN_WORD = re.compile(r"(?<![\w.-])[A-Za-z][A-Za-z]{2,}(?![\w-])")


@pytest.mark.parametrize("lang", ["zh", "ko"])
def test_no_english_word_on_a_chinese_or_korean_page(
    pages: dict[tuple[str, str], tuple[int, str]], site: Site, lang: str
) -> None:
    """Single words too: a grade (good), a severity (warning), a job state (done)."""
    found = {}
    for (name, page_lang), (_status, body) in pages.items():
        if page_lang != lang:
            continue
        text = without_data(visible_text(body), site)
        words = sorted(set(LATIN_WORD.findall(text)) - LATIN_KEPT)
        if words:
            found[name] = words
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())


@pytest.mark.parametrize("lang", ["zh", "en", "ko"])
def test_no_internal_identifier_on_any_page(
    pages: dict[tuple[str, str], tuple[int, str]], site: Site, lang: str
) -> None:
    found: dict[str, Any] = {}
    for (name, page_lang), (_status, body) in pages.items():
        if page_lang != lang:
            continue
        text = without_data(visible_text(body), site)
        hits = sorted(set(SNAKE.findall(text)) | set(INTERNAL.findall(text)))
        if hits:
            found[name] = hits
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_the_scan_finds_what_it_looks_for() -> None:
    """The scan itself: English prose, a snake_case key and pydantic's message are found."""
    page = "<p>单位产品 Input should be a valid integer</p><td>值 waste_heat_recovery_rate</td>"
    text = visible_text(page)
    assert ENGLISH_RUN.findall(text) == ["Input should be a valid integer"]
    assert SNAKE.findall(text) == ["waste_heat_recovery_rate"]
    assert INTERNAL.findall(text)
