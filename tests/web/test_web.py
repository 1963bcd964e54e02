"""The web service on SQLite and PostgreSQL (``db_url``): sign-in, CSRF, rate limit, roles
and access by URL and API, the upload → import → assess → sign → download path, signed
assessments never changing, audit entries, restart recovery."""

from __future__ import annotations

import hashlib
import io
import math
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from web.helpers import PASSWORD, Site, login_token, new_client, upload_and_assess, zip_folder

from thermaudit.web.models import INTERRUPTED, AuditEntry, Job

pytestmark = pytest.mark.slow


def actions(site: Site, **where: Any) -> list[str]:
    with site.app.state.sessions() as s:
        q = sa.select(AuditEntry.action).order_by(AuditEntry.id)
        for k, v in where.items():
            q = q.where(getattr(AuditEntry, k) == v)
        return list(s.scalars(q))


@pytest.fixture(scope="module")
def assessed(site: Site, demo_zip: Path) -> dict[str, Any]:
    """alpha's member uploads the demo plant (7 days) and runs an assessment."""
    return dict(upload_and_assess(site, demo_zip, lang="zh+en"))


# ---------------------------------------------------------------------------------------------
# Sign-in, cookies, CSRF, rate limit


def test_session_cookie_is_secure_and_http_only(site: Site) -> None:
    c = new_client(site.app)
    r = c.post(
        "/login",
        data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": login_token(c)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    cookie = next(
        v for v in r.headers.get_list("set-cookie") if v.startswith("thermaudit_session=")
    )
    low = cookie.lower()
    assert "httponly" in low and "secure" in low and "samesite=lax" in low
    assert c.get("/api/me").json()["email"] == "admin@example.com"
    assert "login" in actions(site, user_id=site.ids["admin"])


def test_anonymous_is_sent_to_sign_in_or_gets_401(site: Site) -> None:
    c = new_client(site.app)
    r = c.get(f"/enterprises/{site.ids['alpha']}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/enterprises/")
    assert c.get("/api/enterprises").status_code == 401
    assert (
        c.get("/api/enterprises", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    )


def test_login_form_needs_its_csrf_token(site: Site) -> None:
    c = new_client(site.app)
    c.get("/login")
    r = c.post(
        "/login",
        data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert c.get("/api/me").status_code == 401


def test_unsafe_requests_need_the_csrf_token(site: Site) -> None:
    c = site.client("admin")
    body = {"kind": "enterprise", "name": "Never created"}
    assert c.post("/api/organizations", json=body).status_code == 403
    assert c.post("/api/organizations", json=body, headers={"X-CSRF-Token": "x"}).status_code == 403
    form = {"kind": "enterprise", "name": "Never created", "csrf_token": "wrong"}
    assert c.post("/admin/organizations", data=form).status_code == 403
    names = [o["name"] for o in c.get("/api/organizations").json()]
    assert "Never created" not in names
    # with the token it works, and a bearer token needs none
    r = c.post(
        "/api/organizations",
        json={"kind": "enterprise", "name": "Gamma"},
        headers=site.csrf("admin"),
    )
    assert r.status_code == 201
    token = (
        new_client(site.app)
        .post("/api/token", json={"email": "admin@example.com", "password": PASSWORD})
        .json()["token"]
    )
    bearer = new_client(site.app)
    r = bearer.post(
        "/api/organizations",
        json={"kind": "assessment_body", "name": "Body Z"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201, r.text
    assert "organization.create" in actions(site, user_id=site.ids["admin"])


def test_failed_logins_are_rate_limited(site: Site) -> None:
    """5 failures per address in 5 minutes: the 6th attempt is refused with 429 even with
    the right password; another address is not affected."""
    site.app.state.limiter.reset()
    c = new_client(site.app, address="10.9.8.7")
    token = login_token(c)
    codes = []
    for _ in range(5):
        r = c.post(
            "/login",
            data={
                "email": "member_beta@example.com",
                "password": "wrong-password",
                "csrf_token": token,
            },
        )
        codes.append(r.status_code)
    assert codes == [401] * 5
    r = c.post(
        "/login",
        data={"email": "assessor_y@example.com", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 429
    r = c.post("/api/token", json={"email": "assessor_y@example.com", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    fine = new_client(site.app, address="10.9.8.9")
    r = fine.post("/api/token", json={"email": "assessor_y@example.com", "password": PASSWORD})
    assert r.status_code == 200
    assert actions(site, action="login.failed").count("login.failed") >= 5
    assert "login.blocked" in actions(site)
    site.app.state.limiter.reset()


def test_wrong_passwords_from_elsewhere_do_not_lock_the_account_owner_out(site: Site) -> None:
    """Regression: five wrong passwords for an account from any address locked it for five
    minutes everywhere (a denial of service). Now the attacker's address is refused, the
    owner's usual address signs in at once, and a new address of the owner waits the
    account's short slow-down (Retry-After), not the window."""
    import time

    site.app.state.limiter.reset()
    usual = new_client(site.app, address="192.0.2.10")
    ok = usual.post("/api/token", json={"email": "member_beta@example.com", "password": PASSWORD})
    assert ok.status_code == 200
    attacker = new_client(site.app, address="203.0.113.66")
    for _ in range(5):
        r = attacker.post(
            "/api/token", json={"email": "member_beta@example.com", "password": "guess-guess"}
        )
        assert r.status_code == 401
    r = attacker.post("/api/token", json={"email": "member_beta@example.com", "password": PASSWORD})
    assert r.status_code == 429  # even the right password, from the attacker's address
    r = usual.post("/api/token", json={"email": "member_beta@example.com", "password": PASSWORD})
    assert r.status_code == 200
    new = new_client(site.app, address="198.51.100.23")
    r = new.post("/api/token", json={"email": "member_beta@example.com", "password": PASSWORD})
    if r.status_code == 429:
        wait = int(r.headers["retry-after"])
        assert wait <= 2 and "for this account" in r.json()["detail"]
        time.sleep(wait)
        r = new.post("/api/token", json={"email": "member_beta@example.com", "password": PASSWORD})
    assert r.status_code == 200
    # the sign-in page says it in the reader's language
    site.app.state.limiter.failed("member_beta@example.com", "198.51.100.24")
    page = new_client(site.app, address="198.51.100.25")
    token = login_token(page)
    r = page.post(
        "/login?lang=ko",
        data={"email": "member_beta@example.com", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 429 and "이 계정의 로그인 실패가 너무 많습니다" in r.text
    site.app.state.limiter.reset()


# ---------------------------------------------------------------------------------------------
# Roles and access


def test_enterprise_lists_follow_membership_and_grants(site: Site) -> None:
    ids = site.ids

    def visible(who: str) -> set[int]:
        return {e["id"] for e in site.client(who).get("/api/enterprises").json()}

    assert visible("member_alpha") == {ids["alpha"]}
    assert visible("member_beta") == {ids["beta"]}
    assert visible("assessor_x") == {ids["alpha"]}  # alpha granted body X
    assert visible("assessor_y") == set()
    assert {ids["alpha"], ids["beta"]} <= visible("admin")


def test_assessor_cannot_read_another_bodys_enterprise(
    site: Site, assessed: dict[str, Any]
) -> None:
    """Body Y has no grant from alpha: every URL and API path of alpha answers 404, exactly
    like an id that does not exist."""
    alpha, a_id, d_id = site.ids["alpha"], assessed["assessment"], assessed["dataset"]
    with site.app.state.sessions() as s:
        job_id = s.scalar(sa.select(Job.id).where(Job.assessment_id == a_id))
    c = site.client("assessor_y")
    for url in (
        f"/enterprises/{alpha}",
        f"/assessments/{a_id}",
        f"/assessments/{a_id}/download/pdf",
        f"/datasets/{d_id}",
        f"/jobs/{job_id}",
        f"/compare?a={a_id}&b={a_id}",
        f"/api/enterprises/{alpha}",
        f"/api/enterprises/{alpha}/datasets",
        f"/api/enterprises/{alpha}/assessments",
        f"/api/assessments/{a_id}",
        f"/api/assessments/{a_id}/files/pdf",
        f"/api/assessments/{a_id}/files/bundle",
        f"/api/datasets/{d_id}",
        f"/api/jobs/{job_id}",
        f"/api/compare?a={a_id}&b={a_id}",
    ):
        r = c.get(url)
        assert r.status_code == 404, (url, r.status_code)
        assert b"%PDF" not in r.content and "Alpha" not in r.text, url
    h = site.csrf("assessor_y")
    assert c.post(f"/api/enterprises/{alpha}/assessments", json={}, headers=h).status_code == 404
    assert c.post(f"/api/assessments/{a_id}/rerun", headers=h).status_code == 404
    r = c.post(
        f"/api/enterprises/{alpha}/datasets",
        files={"file": ("x.zip", b"PK", "application/zip")},
        headers=h,
    )
    assert r.status_code == 404
    assert c.get("/api/enterprises/999999").status_code == 404
    # the member of beta is refused alike; the granted assessor of X reads it
    assert site.client("member_beta").get(f"/api/assessments/{a_id}").status_code == 404
    x = site.client("assessor_x")
    assert x.get(f"/api/assessments/{a_id}").json()["signed"] is True
    assert x.get(f"/api/assessments/{a_id}/files/pdf").content.startswith(b"%PDF")
    assert x.get(f"/enterprises/{site.ids['beta']}").status_code == 404


def test_only_members_grant_and_only_admins_administer(site: Site) -> None:
    ids = site.ids
    x = site.client("assessor_x")
    r = x.post(
        f"/api/enterprises/{ids['alpha']}/grants",
        json={"body_id": ids["y"]},
        headers=site.csrf("assessor_x"),
    )
    assert r.status_code == 403
    m = site.client("member_alpha")
    h = site.csrf("member_alpha")
    assert (
        m.post(
            "/api/organizations", json={"kind": "enterprise", "name": "Mine"}, headers=h
        ).status_code
        == 403
    )
    assert m.get("/api/audit").status_code == 403
    assert m.get("/admin").status_code == 403
    # granting Y lets Y's assessor in; revoking takes it back
    y = site.client("assessor_y")
    assert (
        m.post(
            f"/api/enterprises/{ids['alpha']}/grants", json={"body_id": ids["y"]}, headers=h
        ).status_code
        == 204
    )
    assert y.get(f"/api/enterprises/{ids['alpha']}").status_code == 200
    again = m.post(f"/api/enterprises/{ids['alpha']}/grants", json={"body_id": ids["y"]}, headers=h)
    assert again.status_code == 409 and "has access to this enterprise already" in again.text
    assert (
        m.delete(f"/api/enterprises/{ids['alpha']}/grants/{ids['y']}", headers=h).status_code == 204
    )
    assert y.get(f"/api/enterprises/{ids['alpha']}").status_code == 404
    got = actions(site, enterprise_id=ids["alpha"])
    assert "grant.create" in got and "grant.revoke" in got


# ---------------------------------------------------------------------------------------------
# Upload → import → assess → sign → download


def test_demo_upload_assessment_and_downloads(
    site: Site, assessed: dict[str, Any], tmp_path: Path
) -> None:
    from thermaudit.signing import verify_folder

    c = site.client("member_alpha")
    a_id = assessed["assessment"]
    d = c.get(f"/api/datasets/{assessed['dataset']}").json()
    assert d["status"] == "imported" and d["import_id"]
    a = c.get(f"/api/assessments/{a_id}").json()
    assert a["signed"] is True and a["version"] == 1 and a["status"] == "done"
    assert [m["id"] for m in a["metrics"]] == [
        "unit_product_energy",
        "waste_heat_recovery_rate",
        "mold_temperature_control_accuracy",
        "melting_energy_intensity",
        "unit_product_carbon_intensity",
        "energy_metering_coverage",
    ]
    assert all(m["value"] is not None for m in a["metrics"])
    assert a["period"] == {"start": "2025-12-01", "end": "2025-12-07", "timezone": "Asia/Shanghai"}
    ranking = [r["value"] for r in a["sku_ranking"]]
    assert len(ranking) >= 3 and ranking == sorted(ranking, reverse=True)
    page = c.get(f"/assessments/{a_id}")
    assert page.status_code == 200
    assert page.text.count('data-metric="') == 6 and page.text.count("<svg") >= 3
    assert "单位产品综合能耗" in c.get(f"/assessments/{a_id}?lang=zh").text
    assert "waste heat recovery rate" in c.get(f"/assessments/{a_id}?lang=en").text
    # every download is the signed file it claims to be
    pdf = c.get(f"/assessments/{a_id}/download/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert hashlib.sha256(pdf.content).hexdigest() == a["files"]["report.pdf"]
    xlsx = c.get(f"/api/assessments/{a_id}/files/xlsx").content
    assert xlsx.startswith(b"PK") and hashlib.sha256(xlsx).hexdigest() == a["files"]["report.xlsx"]
    assert c.get(f"/api/assessments/{a_id}/files/html").text.startswith("<!")
    # the exports for buyers are signed with the folder and name the signed assessment
    pcf = c.get(f"/assessments/{a_id}/download/pcf")
    assert pcf.status_code == 200
    assert hashlib.sha256(pcf.content).hexdigest() == a["files"]["product-footprints.json"]
    assert pcf.json()["assessment"]["sha256"] == a["files"]["assessment.json"]
    cbam = c.get(f"/api/assessments/{a_id}/files/cbam").content
    assert cbam.startswith(b"PK")
    assert hashlib.sha256(cbam).hexdigest() == a["files"]["cbam-communication.xlsx"]
    for kind, name in (
        ("esrs", "esrs-e1.json"),
        ("esrs-xbrl", "esrs-e1.xbrl.json"),
        ("vsme", "vsme-b3.json"),
        ("vsme-xbrl", "vsme-b3.xbrl.json"),
        ("kesg", "k-esg.xlsx"),
    ):
        got = c.get(f"/assessments/{a_id}/download/{kind}")
        assert got.status_code == 200, kind
        assert hashlib.sha256(got.content).hexdigest() == a["files"][name], kind
    assert (
        c.get(f"/assessments/{a_id}/download/esrs").json()["assessment"]["sha256"]
        == (a["files"]["assessment.json"])
    )
    for lang, heading in (("en", "For your buyers"), ("zh", "供客户"), ("ko", "구매자")):
        assert heading in c.get(f"/assessments/{a_id}?lang={lang}").text
    bundle = c.get(f"/api/assessments/{a_id}/files/bundle").content
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        zf.extractall(tmp_path / "bundle")
    assert verify_folder(tmp_path / "bundle").valid
    got = actions(site, enterprise_id=site.ids["alpha"])
    for action in (
        "dataset.upload",
        "dataset.import",
        "assessment.start",
        "assessment.sign",
        "assessment.download",
    ):
        assert action in got, action


def test_findings_are_assigned_to_owners_and_tracked_to_closed(
    site: Site, assessed: dict[str, Any]
) -> None:
    """Issue #19, 2: a finding gets its department and person, is closed and reopened, from
    the API and the page; every change is audited; another enterprise never sees it."""
    c, h = site.client("member_alpha"), site.csrf("member_alpha")
    a_id = assessed["assessment"]
    found = c.get(f"/api/assessments/{a_id}/findings").json()
    assert found and all(f["status"] == "open" for f in found)
    assert len({f["key"] for f in found}) == len(found)  # one key per finding
    key = found[0]["key"]
    assert key.startswith(found[0]["code"])
    r = c.post(
        f"/api/assessments/{a_id}/findings",
        json={"key": key, "department": "设备部", "person": "能源工程师 王工"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["department"], r.json()["status"]) == ("设备部", "open")
    r = c.post(
        f"/api/assessments/{a_id}/findings",
        json={"key": key, "status": "closed", "note": "meter replaced"},
        headers=h,
    )
    assert r.json()["status"] == "closed" and r.json()["person"] == "能源工程师 王工"
    # the page shows it closed, in the reader's language, with the owner filled in
    page = c.get(f"/assessments/{a_id}?lang=zh").text
    row = page[page.index(f'data-key="{key}"') :].split("</tr>", 1)[0]
    assert "已关闭" in row and "设备部" in row and "重新打开" in row
    # the page's form reopens it
    token = h["X-CSRF-Token"]
    r = c.post(
        f"/assessments/{a_id}/findings",
        data={"csrf_token": token, "key": key, "status": "open"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    again = {f["key"]: f for f in c.get(f"/api/assessments/{a_id}/findings").json()}
    assert again[key]["status"] == "open" and again[key]["department"] == "设备部"
    got = actions(site, enterprise_id=site.ids["alpha"])
    for action in ("finding.assign", "finding.close", "finding.reopen"):
        assert action in got, action
    # refusals: an unknown finding, a status the tracker does not know, another enterprise
    r = c.post(f"/api/assessments/{a_id}/findings", json={"key": "nope"}, headers=h)
    assert r.status_code == 404
    r = c.post(f"/api/assessments/{a_id}/findings", json={"key": key, "status": "done"}, headers=h)
    assert r.status_code == 422
    beta = site.client("member_beta")
    assert beta.get(f"/api/assessments/{a_id}/findings").status_code == 404
    r = beta.post(
        f"/api/assessments/{a_id}/findings",
        json={"key": key, "status": "closed"},
        headers=site.csrf("member_beta"),
    )
    assert r.status_code == 404


def test_readiness_of_an_upload_in_every_language(
    site: Site, assessed: dict[str, Any], demo_dir: Path, tmp_path: Path
) -> None:
    """Issue #19, 1: the dataset page links the readiness check; it answers per metric and
    lists the gaps with owner and effort, in zh, en and ko, for an imported upload and for
    a partial one the import refused."""
    c = site.client("member_alpha")
    d_id = assessed["dataset"]
    assert f'href="/datasets/{d_id}/readiness"' in c.get(f"/datasets/{d_id}").text
    doc = c.get(f"/api/datasets/{d_id}/readiness").json()
    assert doc["schema"] == "thermaudit.readiness/1" and len(doc["metrics"]) == 6
    for lang, title, computable in (
        ("zh", "评估前就绪检查", "可计算"),
        ("en", "Readiness check", "yes"),
        ("ko", "평가 준비 점검", "가능"),
    ):
        page = c.get(f"/datasets/{d_id}/readiness?lang={lang}").text
        assert title in page and computable in page, lang
        for g in doc["gaps"]:
            assert g["message"][lang].split("：")[0].split(":")[0] in page, (lang, g["code"])
    # a partial upload: site.yaml and the readings only; the import refuses it, the
    # readiness check names what is missing
    part = tmp_path / "partial"
    part.mkdir()
    for name in ("site.yaml", "readings.csv"):
        shutil.copy(demo_dir / name, part / name)
    h = site.csrf("member_alpha")
    with zip_folder(part, tmp_path / "partial.zip").open("rb") as f:
        r = c.post(
            f"/api/enterprises/{site.ids['alpha']}/datasets",
            files={"file": ("partial.zip", f, "application/zip")},
            headers=h,
        )
    up = r.json()
    site.wait(up["job"]["id"], "member_alpha")
    pid = up["dataset"]["id"]
    partial = c.get(f"/api/datasets/{pid}/readiness").json()
    missing = {g["table"] for g in partial["gaps"] if g["code"].endswith("missing")}
    assert "production" in missing, partial["gaps"]
    assert {m["computable"] for m in partial["metrics"]} != {"yes"}
    en = c.get(f"/datasets/{pid}/readiness?lang=en").text
    assert "production" in en
    # another enterprise never sees it
    assert site.client("member_beta").get(f"/api/datasets/{pid}/readiness").status_code == 404


def test_rejected_dataset_lists_the_problems(site: Site, demo_dir: Path, tmp_path: Path) -> None:
    """Row 5 of production.csv gets good_qty "many": the page names file, row, column,
    expected and found, and nothing is stored."""
    bad = tmp_path / "bad"
    shutil.copytree(demo_dir, bad)
    lines = (bad / "production.csv").read_text("utf-8").splitlines()
    header = lines[0].split(",")
    col = header.index("good_qty")
    cells = lines[4].split(",")
    cells[col] = "many"
    lines[4] = ",".join(cells)
    (bad / "production.csv").write_text("\n".join(lines) + "\n", "utf-8")
    c = site.client("member_beta")
    with zip_folder(bad, tmp_path / "bad.zip").open("rb") as f:
        r = c.post(
            f"/api/enterprises/{site.ids['beta']}/datasets",
            files={"file": ("bad.zip", f, "application/zip")},
            headers=site.csrf("member_beta"),
        )
    job = site.wait(r.json()["job"]["id"], "member_beta")
    assert job["state"] == "failed" and "rejected" in job["message"]
    d = c.get(f"/api/datasets/{r.json()['dataset']['id']}").json()
    assert d["status"] == "rejected"
    p = next(p for p in d["problems"] if p["column"] == "good_qty")
    assert (p["file"], p["row"], p["found"]) == ("production.csv", 5, "'many'")
    page = c.get(f"/datasets/{d['id']}")
    assert (
        "production.csv" in page.text and "good_qty" in page.text and "Traceback" not in page.text
    )


def test_signed_assessment_never_changes_a_rerun_is_a_new_version(
    site: Site, assessed: dict[str, Any]
) -> None:
    from thermaudit.web.models import Assessment, SignedAssessmentChanged

    c = site.client("member_alpha")
    h = site.csrf("member_alpha")
    a_id = assessed["assessment"]
    before = c.get(f"/api/assessments/{a_id}").json()
    pdf = c.get(f"/api/assessments/{a_id}/files/pdf").content
    r = c.delete(f"/api/assessments/{a_id}", headers=h)
    assert r.status_code == 409 and "signed" in r.json()["detail"]
    assert c.patch(f"/api/assessments/{a_id}", headers=h).status_code == 409
    # nor through the database layer
    with site.app.state.sessions() as s:
        row = s.get_one(Assessment, a_id)
        row.lang = "en"
        with pytest.raises(SignedAssessmentChanged):
            s.commit()
        s.rollback()
    r = c.post(f"/api/assessments/{a_id}/rerun", headers=h)
    assert r.status_code == 202
    new = r.json()["assessment"]
    assert (new["version"], new["previous_id"], new["signed"]) == (2, a_id, False)
    assert site.wait(r.json()["job"]["id"], "member_alpha")["state"] == "done"
    after = c.get(f"/api/assessments/{a_id}").json()
    assert after == before
    assert c.get(f"/api/assessments/{a_id}/files/pdf").content == pdf
    v2 = c.get(f"/api/assessments/{new['id']}").json()
    assert v2["signed"] and v2["version"] == 2
    # same data, same specification: every delta of the comparison is zero
    cmp = c.get(f"/api/compare?a={a_id}&b={new['id']}").json()
    assert len(cmp["rows"]) == 6
    assert all(row["delta"] == 0 for row in cmp["rows"] if row["a"] is not None)
    page = c.get(f"/compare?a={a_id}&b={new['id']}")
    assert page.status_code == 200 and page.text.count('data-metric="') == 6
    hist = c.get(f"/api/enterprises/{site.ids['alpha']}/assessments").json()
    assert [x["version"] for x in hist] == [2, 1]
    got = actions(site, target=f"assessment:{a_id}")
    assert "assessment.delete.refused" in got and "assessment.change.refused" in got
    assert "assessment.rerun" in actions(site, target=f"assessment:{new['id']}")


def test_template_round_trip_imports(site: Site, tmp_path: Path) -> None:
    """The downloadable template, filled from a one-day demo plant, uploads and imports."""
    from python_calamine import CalamineWorkbook

    from thermaudit.dataset.contract import TABLES
    from thermaudit.dataset.template import write_template
    from thermaudit.demo.generator import write_demo

    c = site.client("member_beta")
    blank = c.get("/template.xlsx")
    assert blank.status_code == 200
    (tmp_path / "blank.xlsx").write_bytes(blank.content)
    sheets = CalamineWorkbook.from_path(str(tmp_path / "blank.xlsx")).sheet_names
    assert sheets == ["instructions", "site", *TABLES]
    folder = tmp_path / "one-day"
    write_demo(folder, days=1)
    book = write_template(tmp_path / "filled.xlsx", dataset=folder)
    with book.open("rb") as f:
        r = c.post(
            f"/api/enterprises/{site.ids['beta']}/datasets",
            files={"file": ("filled.xlsx", f, "application/octet-stream")},
            headers=site.csrf("member_beta"),
        )
    assert r.status_code == 202, r.text
    job = site.wait(r.json()["job"]["id"], "member_beta")
    assert job["state"] == "done", job
    d = c.get(f"/api/datasets/{r.json()['dataset']['id']}").json()
    assert d["status"] == "imported" and d["kind"] == "xlsx"


def test_workbook_without_site_sheet_is_rejected_clearly(site: Site, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "readings"
    wb.save(tmp_path / "plain.xlsx")
    c = site.client("member_beta")
    with (tmp_path / "plain.xlsx").open("rb") as f:
        r = c.post(
            f"/api/enterprises/{site.ids['beta']}/datasets",
            files={"file": ("plain.xlsx", f, "application/octet-stream")},
            headers=site.csrf("member_beta"),
        )
    site.wait(r.json()["job"]["id"], "member_beta")
    d = c.get(f"/api/datasets/{r.json()['dataset']['id']}").json()
    assert d["status"] == "rejected"
    assert d["problems"][0]["file"] == "upload.xlsx[site]"
    assert d["problems"][0]["found"] == "no such sheet"


def test_hostile_zip_is_rejected_without_writing_outside(site: Site, tmp_path: Path) -> None:
    slip = tmp_path / "slip.zip"
    with zipfile.ZipFile(slip, "w") as zf:
        zf.writestr("site.yaml", "x: 1\n")
        zf.writestr("../../evil.csv", "boom")
    c = site.client("member_beta")
    with slip.open("rb") as f:
        r = c.post(
            f"/api/enterprises/{site.ids['beta']}/datasets",
            files={"file": ("slip.zip", f, "application/zip")},
            headers=site.csrf("member_beta"),
        )
    site.wait(r.json()["job"]["id"], "member_beta")
    d = c.get(f"/api/datasets/{r.json()['dataset']['id']}").json()
    assert d["status"] == "rejected"
    assert d["problems"][0]["expected"] == "a relative path inside the archive"
    assert not list(site.data.parent.rglob("evil.csv"))


def test_upload_of_other_kinds_is_refused(site: Site) -> None:
    c = site.client("member_beta")
    r = c.post(
        f"/api/enterprises/{site.ids['beta']}/datasets",
        files={"file": ("notes.txt", b"hello", "text/plain")},
        headers=site.csrf("member_beta"),
    )
    assert r.status_code == 422 and ".zip" in r.json()["detail"]


# ---------------------------------------------------------------------------------------------
# Restart


def test_restart_marks_running_jobs_failed(site: Site) -> None:
    """A job left 'running' (the server died) is 'failed' with a clear message after the
    next start, never 'done'; queued jobs stay queued for the worker."""
    from fastapi.testclient import TestClient

    from thermaudit.web import Settings, create_app
    from thermaudit.web.models import Dataset

    settings = site.app.state.settings
    with site.app.state.sessions.begin() as s:
        ds = Dataset(
            enterprise_id=site.ids["beta"],
            uploaded_by=site.ids["member_beta"],
            original_name="x.zip",
            kind="zip",
            size=1,
            sha256="0" * 64,
            status="importing",
        )
        s.add(ds)
        s.flush()
        job = Job(
            kind="import",
            state="running",
            progress=40,
            message="reading readings",
            enterprise_id=site.ids["beta"],
            dataset_id=ds.id,
            created_by=site.ids["member_beta"],
        )
        s.add(job)
        s.flush()
        job_id = job.id
    again = create_app(
        Settings(data_dir=settings.data_dir, database_url=settings.database_url, worker=False)
    )
    with TestClient(again, base_url="https://testserver"):
        pass
    got = site.client("member_beta").get(f"/api/jobs/{job_id}").json()
    assert got["state"] == "failed" and got["message"] == INTERRUPTED
    assert got["finished_at"] is not None


def test_pages_render_in_three_languages(site: Site, assessed: dict[str, Any]) -> None:
    c = site.client("admin")
    for lang, word in (("zh", "企业"), ("en", "Enterprises"), ("ko", "기업")):
        for url in ("/", f"/enterprises/{site.ids['alpha']}", "/admin", "/audit"):
            r = c.get(f"{url}?lang={lang}")
            assert r.status_code == 200 and word in r.text, (url, lang)
    # the choice is remembered in a cookie
    assert "企业" in c.get("/?lang=zh").text and "企业" in c.get("/").text
    c.get("/?lang=en")


# ---------------------------------------------------------------------------------------------
# Regressions: server errors found by probing the API and the forms


def test_email_too_long_after_lowercasing_is_refused_not_a_server_error(site: Site) -> None:
    """'İ'.lower() is two characters: a 200-character address became 201 and PostgreSQL's
    varchar(200) answered 500; now a 422 that names the limit."""
    email = "a" * 98 + "İ" + "@" + "b" * 100
    assert len(email) == 200 and len(email.lower()) == 201
    body = {"email": email, "name": "Long", "password": PASSWORD, "role": "admin"}
    r = site.client("admin").post("/api/users", json=body, headers=site.csrf("admin"))
    assert r.status_code == 422, r.text
    assert "at most 200 characters" in r.json()["detail"]


def test_upload_name_with_nul_or_a_path_is_stored_clean(site: Site) -> None:
    """A NUL in the client's file name made PostgreSQL refuse the insert (500); the name is
    only shown, so control characters and any path before the last separator are dropped."""
    c = site.client("member_beta")
    for sent, shown in (("pl\x00ant.zip", "plant.zip"), ("C:\\Users\\m\\plant.zip", "plant.zip")):
        body = (
            b'--XX\r\nContent-Disposition: form-data; name="file"; filename="'
            + sent.encode()
            + b'"\r\nContent-Type: application/zip\r\n\r\nPK-not-a-zip\r\n--XX--\r\n'
        )
        r = c.post(
            f"/api/enterprises/{site.ids['beta']}/datasets",
            content=body,
            headers={
                **site.csrf("member_beta"),
                "Content-Type": "multipart/form-data; boundary=XX",
            },
        )
        assert r.status_code == 202, (sent, r.text)
        assert r.json()["dataset"]["original_name"] == shown
        job = site.wait(r.json()["job"]["id"], "member_beta")
        assert job["state"] == "failed" and "rejected" in job["message"]


def test_sign_in_with_nul_in_the_email_is_a_failed_sign_in(site: Site) -> None:
    """The sign-in form has no pattern on the e-mail: a NUL reached PostgreSQL's query (500)."""
    c = new_client(site.app, address="10.9.7.1")
    r = c.post(
        "/login",
        data={"email": "admin\x00@example.com", "password": PASSWORD, "csrf_token": login_token(c)},
        follow_redirects=False,
    )
    assert r.status_code == 401 and "Wrong e-mail or password" in r.text
    site.app.state.limiter.reset()


def test_page_with_an_invalid_parameter_says_what_is_wrong(site: Site) -> None:
    """A page answered FastAPI's JSON for a malformed query; now an error page in words."""
    r = site.client("admin").get("/compare?a=x&b=1")
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "In the address, a must be a whole number; found “x”." in r.text
    assert "Input should be" not in r.text and "Traceback" not in r.text
    # in the page's language (issue #20: pydantic's English on a Chinese page)
    r = site.client("admin").get("/compare?a=1&b=-3&lang=zh")
    assert r.status_code == 422 and "地址中的 b 超出允许范围，实际为“-3”。" in r.text
    # the API keeps the usual JSON
    r = site.client("admin").get("/api/compare?a=x&b=1")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "a"]


def test_the_answer_is_sent_only_after_its_transaction_commits(site: Site) -> None:
    """FastAPI ends a ``yield`` dependency after the response is sent unless its scope is
    "function": the upload form's 303 to /jobs/N reached the browser before the job was
    committed and Chromium's next GET found no job (404). At the moment the response starts,
    another connection must already see the new job."""
    from fastapi.testclient import TestClient

    seen: dict[str, int] = {}

    async def spying(scope: Any, receive: Any, send: Any) -> None:
        async def spy(message: Any) -> None:
            if message["type"] == "http.response.start" and scope["method"] == "POST":
                with site.app.state.sessions() as s:
                    seen["jobs"] = s.scalar(sa.select(sa.func.count(Job.id))) or 0
            await send(message)

        await site.app(scope, receive, spy)

    with site.app.state.sessions() as s:
        before = s.scalar(sa.select(sa.func.count(Job.id))) or 0
    c = TestClient(spying, base_url="https://testserver")  # no lifespan: site.app runs
    c.cookies = site.client("member_beta").cookies
    r = c.post(
        f"/api/enterprises/{site.ids['beta']}/datasets",
        files={"file": ("x.zip", b"PK-not-a-zip", "application/zip")},
        headers=site.csrf("member_beta"),
    )
    assert r.status_code == 202, r.text
    assert seen["jobs"] == before + 1
    site.wait(r.json()["job"]["id"], "member_beta")


def test_compare_treats_float_noise_as_no_change() -> None:
    """Same data, same specification: a parallel float sum may differ in the last bit (one
    ulp of 1234.5 is 2.3e-13), which is the same figure; a difference of 1e-9 relative is a
    change and is reported."""
    from types import SimpleNamespace

    from thermaudit.web.services import compare

    def one(v: float) -> Any:
        return SimpleNamespace(summary={"metrics": [{"id": "m", "value": v}]})

    same = compare(one(1234.5), one(math.nextafter(1234.5, 2000.0)))
    assert same[0]["delta"] == 0.0 and same[0]["delta_pct"] == 0.0
    moved = compare(one(1234.5), one(1234.5 * (1 + 1e-9)))
    assert moved[0]["delta"] == pytest.approx(1234.5e-9)


# ---------------------------------------------------------------------------------------------
# Headers, the API documentation, signed files on disk


def test_headers_forbid_inline_script_and_caching_of_user_data(
    site: Site, assessed: dict[str, Any]
) -> None:
    """Regression: no Content-Security-Policy, and pages, API answers and downloads could be
    kept by caches. Every page the app renders has no inline script (nor on* handler)."""
    import re

    c = site.client("admin")
    a_id = assessed["assessment"]
    pages = [
        "/",
        f"/enterprises/{site.ids['alpha']}",
        f"/assessments/{a_id}",
        f"/datasets/{assessed['dataset']}",
        "/admin",
        "/audit",
        "/login",
        "/api/docs",
    ]
    for url in [*pages, "/api/me", f"/api/assessments/{a_id}/files/pdf"]:
        r = c.get(url)
        assert r.status_code == 200, url
        csp = r.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("style-src")[0]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert r.headers["cache-control"] == "no-store", url
        if url in pages:
            for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", r.text, re.S):
                assert 'src="/' in attrs and not body.strip(), (url, attrs, body[:80])
            assert not re.search(r"<[^>]+\son[a-z]+\s*=", r.text), url
    static = c.get("/static/app.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("cache-control", "")


def test_api_docs_name_no_other_host(site: Site) -> None:
    """Regression: /api/docs loaded Swagger UI and its favicon from a CDN."""
    import re

    c = site.client("admin")
    page = c.get("/api/docs")
    assert page.status_code == 200
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page.text, re.I), page.text
    refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert {"/vendor/swagger-ui/swagger-ui-bundle.js", "/vendor/swagger-ui/swagger-ui.css"} <= set(
        refs
    )
    assert any("favicon" in x for x in refs)
    for ref in refs:
        r = c.get(ref)
        assert r.status_code == 200 and len(r.content) > 100, ref
    assert c.get("/favicon.ico").headers["content-type"].startswith("image/svg+xml")


def test_a_changed_byte_of_a_signed_file_is_never_served(
    site: Site, assessed: dict[str, Any]
) -> None:
    """Regression: a byte flipped on disk in report.pdf was served with 200. Every file of a
    signed assessment is checked against the signed manifest first; a changed one is
    refused with a message in the reader's language and written to the audit log."""
    a_id = assessed["assessment"]
    c = site.client("member_alpha")
    folder = site.app.state.paths.signed(a_id)
    for name, kind in (("report.pdf", "pdf"), ("assessment.json", "json"), ("bundle", "bundle")):
        path = site.app.state.paths.bundle(a_id) if name == "bundle" else folder / name
        original = path.read_bytes()
        flipped = bytearray(original)
        flipped[len(flipped) // 2] ^= 0x01
        path.write_bytes(bytes(flipped))
        try:
            r = c.get(f"/api/assessments/{a_id}/files/{kind}")
            assert r.status_code == 409, (name, r.status_code)
            assert "no longer matches its signed manifest" in r.json()["detail"]
            page = c.get(f"/assessments/{a_id}/download/{kind}?lang=zh")
            assert page.status_code == 409 and "与其签名清单不再一致" in page.text
        finally:
            path.write_bytes(original)
        assert c.get(f"/api/assessments/{a_id}/files/{kind}").status_code == 200
    # the assessment page reads assessment.json: refused too while it is changed
    doc = folder / "assessment.json"
    original = doc.read_bytes()
    doc.write_bytes(original.replace(b'"value"', b'"valuE"', 1))
    try:
        assert c.get(f"/assessments/{a_id}?lang=ko").status_code == 409
    finally:
        doc.write_bytes(original)
    assert c.get(f"/assessments/{a_id}").status_code == 200
    with site.app.state.sessions() as s:
        logged = s.scalars(
            sa.select(AuditEntry.detail).where(AuditEntry.action == "assessment.tampered")
        ).all()
    assert {d["file"] for d in logged} >= {"report.pdf", "assessment.json", "bundle.zip"}
