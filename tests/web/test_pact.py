"""The web service as a PACT v3 host, over HTTP (TestClient), on SQLite and PostgreSQL.

alpha's member uploads the demo plant (7 days: five SKUs, all cradle-to-gate) and runs a
signed assessment; it then creates client credentials for two buyers: "Buyer One" sees the
first three SKUs, "Buyer Two" the other two. Each buyer authenticates with OAuth2 client
credentials and reads only its own footprints; every exchange is in the audit log.

The PACT conformance expectation that answers come within 2 s is not a timed test here
(timings on a shared CI machine are not a property of the code); see docs/exports.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from web.helpers import Site, new_client, upload_and_assess

from thermaudit.web.models import AuditEntry, PactClient, PactEvent, PactToken


@pytest.fixture(scope="module")
def host(site: Site, demo_zip: Path) -> dict[str, Any]:
    c = site.client("member_alpha")
    h = site.csrf("member_alpha")
    alpha = site.ids["alpha"]
    a_id = upload_and_assess(site, demo_zip, lang="en")["assessment"]
    pact = c.get(f"/api/assessments/{a_id}/files/pact").json()
    skus = [p["sku"] for p in pact["thermaudit"]["products"]]
    assert len(skus) == 5, pact["thermaudit"]
    buyers = {}
    for name, chosen in (("Buyer One", skus[:3]), ("Buyer Two", skus[3:])):
        r = c.post(
            f"/api/enterprises/{alpha}/pact-clients",
            json={"buyer": name, "skus": chosen},
            headers=h,
        )
        assert r.status_code == 201, r.text
        buyers[name] = r.json()
    return {"file": pact, "skus": skus, "buyers": buyers, "assessment": a_id}


def _basic(cid: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{cid}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def _token(site: Site, buyer: dict[str, Any]) -> str:
    r = new_client(site.app).post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        headers=_basic(buyer["client_id"], buyer["client_secret"]),
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _ids_of(host: dict[str, Any], skus: list[str]) -> set[str]:
    return {p["id"] for p in host["file"]["thermaudit"]["products"] if p["sku"] in skus}


def test_discovery_names_an_absolute_token_endpoint(site: Site) -> None:
    r = new_client(site.app).get("/.well-known/openid-configuration")
    assert r.status_code == 200
    assert r.json()["token_endpoint"] == "https://testserver/auth/token"


def test_token_flow(site: Site, host: dict[str, Any]) -> None:
    one = host["buyers"]["Buyer One"]
    assert one["client_secret"] and one["client_id"].startswith("pact-")
    r = new_client(site.app).post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        headers=_basic(one["client_id"], one["client_secret"]),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "footprint:list footprint:read"
    r = new_client(site.app).get("/3/footprints", headers=_bearer(body["access_token"]))
    assert r.status_code == 200, r.text
    # the secret is shown once: the list of credentials never holds it
    listed = site.client("member_alpha").get(f"/api/enterprises/{site.ids['alpha']}/pact-clients")
    assert listed.status_code == 200
    assert one["client_secret"] not in listed.text and one["client_id"] in listed.text


@pytest.mark.parametrize(
    ("data", "secret", "status", "error"),
    [
        ({"grant_type": "client_credentials"}, "wrong secret", 401, "invalid_client"),
        ({"grant_type": "password"}, None, 400, "unsupported_grant_type"),
        ({}, None, 400, "invalid_request"),
    ],
)
def test_token_refusals(
    site: Site,
    host: dict[str, Any],
    data: dict[str, str],
    secret: str | None,
    status: int,
    error: str,
) -> None:
    one = host["buyers"]["Buyer One"]
    r = new_client(site.app).post(
        "/auth/token", data=data, headers=_basic(one["client_id"], secret or one["client_secret"])
    )
    assert r.status_code == status, r.text
    assert r.json()["error"] == error


def test_401_without_or_with_a_bad_or_an_expired_token(site: Site, host: dict[str, Any]) -> None:
    c = new_client(site.app)
    for headers in ({}, _bearer("not-a-token"), {"Authorization": "Basic Zm9vOmJhcg=="}):
        r = c.get("/3/footprints", headers=headers)
        assert r.status_code == 401, r.text
        assert r.json()["code"] == "Unauthorized" and r.json()["message"]
    token = _token(site, host["buyers"]["Buyer One"])
    with site.app.state.sessions.begin() as s:
        s.execute(sa.update(PactToken).values(expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)))
    r = c.get("/3/footprints", headers=_bearer(token))
    assert r.status_code == 401 and r.json()["code"] == "TokenExpired", r.text


def test_each_buyer_sees_only_its_skus(site: Site, host: dict[str, Any]) -> None:
    c = new_client(site.app)
    for name, skus in (("Buyer One", host["skus"][:3]), ("Buyer Two", host["skus"][3:])):
        r = c.get("/3/footprints", headers=_bearer(_token(site, host["buyers"][name])))
        assert r.status_code == 200, r.text
        assert {pf["id"] for pf in r.json()["data"]} == _ids_of(host, skus)
        # the footprints served are the signed file's, unchanged
        by_id = {pf["id"]: pf for pf in host["file"]["data"]}
        assert all(pf == by_id[pf["id"]] for pf in r.json()["data"])


def test_get_one_footprint_403_on_another_buyers_sku_404_on_none(
    site: Site, host: dict[str, Any]
) -> None:
    c = new_client(site.app)
    token = _bearer(_token(site, host["buyers"]["Buyer One"]))
    mine = sorted(_ids_of(host, host["skus"][:3]))[0]
    theirs = sorted(_ids_of(host, host["skus"][3:]))[0]
    r = c.get(f"/3/footprints/{mine}", headers=token)
    assert r.status_code == 200 and r.json()["data"]["id"] == mine, r.text
    r = c.get(f"/3/footprints/{theirs}", headers=token)
    assert r.status_code == 403 and r.json()["code"] == "Forbidden", r.text
    r = c.get("/3/footprints/00000000-0000-4000-8000-000000000000", headers=token)
    assert r.status_code == 404 and r.json()["code"] == "NotFound", r.text


def test_paging_follows_the_link_header(site: Site, host: dict[str, Any]) -> None:
    c = new_client(site.app)
    token = _bearer(_token(site, host["buyers"]["Buyer One"]))
    url: str | None = "/3/footprints?limit=2&geography=CN"
    seen: list[str] = []
    pages = 0
    while url:
        r = c.get(url, headers=token)
        assert r.status_code == 200, r.text
        assert len(r.json()["data"]) <= 2
        seen += [pf["id"] for pf in r.json()["data"]]
        pages += 1
        link = r.headers.get("link")
        if link is None:
            url = None
            continue
        m = re.fullmatch(r'<(https://testserver/3/footprints\?[^>]+)>; rel="next"', link)
        assert m, link  # absolute, the request's host, RFC 8288
        assert "geography=CN" in m.group(1)  # the filters travel with the link
        url = m.group(1)
    assert pages == 2 and len(seen) == 3 and set(seen) == _ids_of(host, host["skus"][:3])


def test_filters(site: Site, host: dict[str, Any]) -> None:
    c = new_client(site.app)
    token = _bearer(_token(site, host["buyers"]["Buyer One"]))
    mine = [pf for pf in host["file"]["data"] if pf["id"] in _ids_of(host, host["skus"][:3])]
    first = mine[0]
    ref_end = dt.datetime.fromisoformat(first["pcf"]["referencePeriodEnd"])

    def ids(**params: Any) -> set[str]:
        r = c.get("/3/footprints", params=params, headers=token)
        assert r.status_code == 200, r.text
        return {pf["id"] for pf in r.json()["data"]}

    every = {pf["id"] for pf in mine}
    assert ids(productId=first["productIds"][0]) == {first["id"]}
    assert ids(productId=[first["productIds"][0], mine[1]["productIds"][0]]) == {
        first["id"],
        mine[1]["id"],
    }
    assert ids(companyId=first["companyIds"][0]) == every
    assert ids(companyId="urn:pact:example.com:company:1") == set()
    assert ids(geography="CN") == every and ids(geography="DE") == set()
    classified = {pf["id"] for pf in mine if pf.get("productClassifications")}
    if classified:
        cn = next(pf for pf in mine if pf["id"] in classified)["productClassifications"][0]
        assert ids(classification=cn) <= classified and ids(classification=cn)
    assert ids(classification="urn:pact:example.com:cn:0000") == set()
    # valid from the reference period's end for 3 years
    assert ids(validOn=(ref_end + dt.timedelta(days=1)).isoformat()) == every
    assert ids(validOn=(ref_end - dt.timedelta(days=1)).isoformat()) == set()
    assert ids(validAfter=(ref_end - dt.timedelta(days=1)).isoformat()) == every
    assert ids(validAfter=(ref_end + dt.timedelta(days=1)).isoformat()) == set()
    assert ids(validBefore=(ref_end + dt.timedelta(days=4 * 365)).isoformat()) == every
    assert ids(validBefore=(ref_end + dt.timedelta(days=30)).isoformat()) == set()
    assert ids(status="Active") == every and ids(status="Deprecated") == set()
    r = c.get("/3/footprints", params={"validOn": "yesterday"}, headers=token)
    assert r.status_code == 400 and r.json()["code"] == "BadRequest", r.text
    r = c.get("/3/footprints", params={"limit": 0}, headers=token)
    assert r.status_code == 400 and r.json()["code"] == "BadRequest", r.text


def _event(kind: str, data: dict[str, Any], event_id: str = "e-1") -> dict[str, Any]:
    return {
        "type": f"org.wbcsd.pact.ProductFootprint.{kind}.3",
        "specversion": "1.0",
        "id": event_id,
        "source": "//buyer.example.com/3/events",
        "time": "2026-12-07T10:00:00Z",
        "data": data,
    }


def test_events_are_accepted_and_stored_once(site: Site, host: dict[str, Any]) -> None:
    c = new_client(site.app)
    token = _bearer(_token(site, host["buyers"]["Buyer Two"]))
    headers = {**token, "Content-Type": "application/cloudevents+json; charset=UTF-8"}
    pid = host["file"]["data"][0]["productIds"][0]
    ev = _event("RequestCreated", {"productId": [pid], "comment": "current PCF, please"})
    for _ in range(2):  # a repeated delivery is accepted, kept once
        r = c.post("/3/events", content=json.dumps(ev), headers=headers)
        assert r.status_code == 200 and r.content == b"", r.text
    published = _event("Published", {"pfIds": [host["file"]["data"][0]["id"]]}, "e-2")
    assert c.post("/3/events", json=published, headers=token).status_code == 200
    with site.app.state.sessions.begin() as s:
        stored = s.scalars(sa.select(PactEvent).order_by(PactEvent.id)).all()
        assert [(e.event_id, e.type) for e in stored] == [
            ("e-1", ev["type"]),
            ("e-2", published["type"]),
        ]
        assert stored[0].body == ev
    # the enterprise sees them (newest first); another enterprise's member does not
    url = f"/api/enterprises/{site.ids['alpha']}/pact-events"
    listed = site.client("member_alpha").get(url).json()
    assert [(e["event_id"], e["buyer"]) for e in listed] == [
        ("e-2", "Buyer Two"),
        ("e-1", "Buyer Two"),
    ]
    assert site.client("member_beta").get(url).status_code == 404


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("{not json", "JSON"),
        ('["an array"]', "object"),
        ('{"specversion": "1.0", "id": "x", "source": "//b", "type": "Other", "data": {}}', "type"),
        (
            '{"specversion": "0.3", "id": "x", "source": "//b", '
            '"type": "org.wbcsd.pact.ProductFootprint.Published.3", "data": {"pfIds": ["a"]}}',
            "specversion",
        ),
        (
            '{"specversion": "1.0", "id": "x", "source": "//b", '
            '"type": "org.wbcsd.pact.ProductFootprint.Published.3", "data": {"pfIds": []}}',
            "pfIds",
        ),
        (
            '{"specversion": "1.0", "id": "x", "source": "//b", '
            '"type": "org.wbcsd.pact.ProductFootprint.RequestCreated.3", '
            '"data": {"productIds": ["urn:x:1"]}}',
            "productIds",
        ),
    ],
)
def test_a_bad_event_is_refused(site: Site, host: dict[str, Any], body: str, says: str) -> None:
    c = new_client(site.app)
    token = _bearer(_token(site, host["buyers"]["Buyer Two"]))
    r = c.post("/3/events", content=body, headers={**token, "Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "BadRequest" and says in r.json()["message"], r.text


def test_events_need_a_token(site: Site) -> None:
    r = new_client(site.app).post("/3/events", json=_event("Published", {"pfIds": ["a"]}))
    assert r.status_code == 401 and r.json()["code"] == "Unauthorized"


def test_every_exchange_is_in_the_audit_log(site: Site, host: dict[str, Any]) -> None:
    c = new_client(site.app)
    token = _bearer(_token(site, host["buyers"]["Buyer One"]))
    theirs = sorted(_ids_of(host, host["skus"][3:]))[0]
    c.get("/3/footprints", headers=token)
    mine = sorted(_ids_of(host, host["skus"][:3]))[0]
    assert c.get(f"/3/footprints/{mine}", headers=token).status_code == 200
    c.get(f"/3/footprints/{theirs}", headers=token)
    c.post("/3/events", json=_event("Published", {"pfIds": [theirs]}, "audit-1"), headers=token)
    c.get("/3/footprints")  # no token
    one = host["buyers"]["Buyer One"]
    c.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        headers=_basic(one["client_id"], "wrong secret"),
    )
    with site.app.state.sessions.begin() as s:
        actions = set(s.scalars(sa.select(AuditEntry.action)))
        refused = s.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "pact.get.refused")
        ).first()
        assert refused is not None and refused.detail["code"] == "Forbidden"
        assert refused.enterprise_id == site.ids["alpha"]
    assert {
        "pact.client.create",
        "pact.token",
        "pact.token.refused",
        "pact.list",
        "pact.get",
        "pact.get.refused",
        "pact.event",
        "pact.list.refused",
    } <= actions, actions


def test_who_manages_buyers(site: Site, host: dict[str, Any]) -> None:
    alpha = site.ids["alpha"]
    url = f"/api/enterprises/{alpha}/pact-clients"
    body = {"buyer": "Buyer Three", "skus": host["skus"][:1]}
    # another enterprise's member does not see alpha; a granted assessor may not manage
    assert site.client("member_beta").get(url).status_code == 404
    r = site.client("assessor_x").post(url, json=body, headers=site.csrf("assessor_x"))
    assert r.status_code == 403, r.text
    assert site.client("assessor_x").get(url).status_code == 403
    assert "pact-clients" not in site.client("assessor_x").get(f"/enterprises/{alpha}").text
    h = site.csrf("member_alpha")
    r = site.client("member_alpha").post(
        url, json={"buyer": "Buyer Three", "skus": ["NO-SUCH-SKU"]}, headers=h
    )
    assert r.status_code == 422 and "NO-SUCH-SKU" in r.text, r.text
    assert site.client("member_alpha").post(url, json=body).status_code == 403  # no CSRF


def test_changed_skus_and_revoked_credentials_apply_at_once(
    site: Site, host: dict[str, Any]
) -> None:
    alpha = site.ids["alpha"]
    m, h = site.client("member_alpha"), site.csrf("member_alpha")
    r = m.post(
        f"/api/enterprises/{alpha}/pact-clients",
        json={"buyer": "Buyer Four", "skus": host["skus"][:1]},
        headers=h,
    )
    four = r.json()
    token = _bearer(_token(site, four))
    c = new_client(site.app)
    assert len(c.get("/3/footprints", headers=token).json()["data"]) == 1
    r = m.put(
        f"/api/enterprises/{alpha}/pact-clients/{four['id']}/skus",
        json={"skus": host["skus"][:2]},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert len(c.get("/3/footprints", headers=token).json()["data"]) == 2
    assert (
        m.delete(f"/api/enterprises/{alpha}/pact-clients/{four['id']}", headers=h).status_code
        == 204
    )
    r = c.get("/3/footprints", headers=token)
    assert r.status_code == 401 and r.json()["code"] == "Unauthorized", r.text
    r = c.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        headers=_basic(four["client_id"], four["client_secret"]),
    )
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("lang", "heading"),
    [
        ("en", "access to product footprints"),
        ("zh", "买方获取产品碳足迹"),
        ("ko", "구매자의 제품 탄소발자국"),
    ],
)
def test_the_enterprise_page_creates_buyer_credentials(
    site: Site, host: dict[str, Any], lang: str, heading: str
) -> None:
    alpha = site.ids["alpha"]
    m = site.client("member_alpha")
    page = m.get(f"/enterprises/{alpha}?lang={lang}")
    assert page.status_code == 200 and heading in page.text
    assert all(f'name="skus" value="{sku}"' in page.text for sku in host["skus"])
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    r = m.post(
        f"/enterprises/{alpha}/pact-clients?lang={lang}",
        data={"csrf_token": csrf.group(1), "buyer": f"Page buyer {lang}", "skus": host["skus"][:2]},
    )
    assert r.status_code == 201, r.text
    assert heading in r.text and "https://testserver/auth/token" in r.text
    cid = re.search(r'id="pact-client-id">([^<]+)<', r.text)
    secret = re.search(r'id="pact-client-secret">([^<]+)<', r.text)
    assert cid and secret
    token = _token(site, {"client_id": cid.group(1), "client_secret": secret.group(1)})
    got = new_client(site.app).get("/3/footprints", headers=_bearer(token)).json()["data"]
    assert {pf["id"] for pf in got} == _ids_of(host, host["skus"][:2])
    # the secret is never shown again
    page = m.get(f"/enterprises/{alpha}").text
    assert secret.group(1) not in page and cid.group(1) in page
    # revoked from the page, the token stops working
    with site.app.state.sessions.begin() as s:
        pk = s.scalars(sa.select(PactClient.id).where(PactClient.client_id == cid.group(1))).one()
    r = m.post(
        f"/enterprises/{alpha}/pact-clients/{pk}/revoke",
        data={"csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert new_client(site.app).get("/3/footprints", headers=_bearer(token)).status_code == 401
    # a refusal is said in the page's language
    r = m.post(
        f"/enterprises/{alpha}/pact-clients?lang={lang}",
        data={"csrf_token": csrf.group(1), "buyer": "No products"},
    )
    assert r.status_code == 422
    assert {"en": "at least one product", "zh": "至少选择一个产品", "ko": "하나 이상"}[
        lang
    ] in r.text


def test_an_oversized_event_is_refused_in_pacts_format(tmp_path: Path) -> None:
    """The body limit (``THERMAUDIT_UPLOAD_LIMIT_MB``) answers the PACT host in its format."""
    from fastapi.testclient import TestClient

    from thermaudit.web import Settings, create_app

    app = create_app(Settings(data_dir=tmp_path, upload_limit=1000, worker=False))
    with TestClient(app, base_url="https://testserver") as c:
        r = c.post("/3/events", content=b"{" + b" " * (2 << 20) + b"}")
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "BadRequest"
