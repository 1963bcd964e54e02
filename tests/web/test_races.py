"""The web service under concurrent and hostile clients, over real HTTP (uvicorn on a
loopback port, configured as ``thermaudit serve`` configures it), on SQLite and PostgreSQL
(``db_url``).

- Two identical creates sent at the same instant by two threads, each with its own
  connection and bearer token: one succeeds, the other is a 409, never a 500 (users,
  organizations, grants, assessments); five rounds each.
- The sign-in limit holds against forged ``X-Forwarded-For`` headers (no proxy is trusted
  unless the operator names it), and a trusted proxy's header is believed.
- No ``Server`` header.
"""

from __future__ import annotations

import dataclasses
import shutil
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from web.helpers import PASSWORD, live_server, seed

from thermaudit.web.models import Assessment, AuditEntry, Dataset, Grant, Organization, User

pytestmark = pytest.mark.slow

ROUNDS = 5


@pytest.fixture(scope="module")
def served(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A live server (worker off: assessments only queue) with the seeded site."""
    import requests

    from thermaudit.web import Settings, create_app

    data = tmp_path_factory.mktemp("race-data")
    app = create_app(Settings(data_dir=data, database_url=db_url, worker=False))
    with live_server(app) as base:
        ids = seed(app)
        r = requests.post(
            f"{base}/api/token",
            json={"email": "admin@example.com", "password": PASSWORD},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        yield {"base": base, "app": app, "ids": ids, "token": r.json()["token"]}
    shutil.rmtree(data, ignore_errors=True)


def at_once(base: str, n: int, call: Callable[[Any], Any]) -> list[Any]:
    """``call(session)`` in ``n`` threads released together by a barrier, each with its own
    ``requests`` session (its own connection); the answers in thread order."""
    import requests

    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            with requests.Session() as s:
                s.get(base + "/login", timeout=60)  # connect before the barrier
                barrier.wait(120)
                out[i] = call(s)
        except Exception as exc:  # a dropped connection is a failure the test reports
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return out


def post(served: dict[str, Any], path: str, body: dict[str, Any]) -> Callable[[Any], Any]:
    headers = {"Authorization": f"Bearer {served['token']}"}

    def call(s: Any) -> Any:
        return s.post(served["base"] + path, json=body, headers=headers, timeout=60)

    return call


def codes(answers: list[Any]) -> list[int]:
    for a in answers:
        assert not isinstance(a, Exception), a
        assert a.status_code < 500, (a.status_code, a.text)
    return sorted(a.status_code for a in answers)


def count(served: dict[str, Any], q: Any) -> int:
    with served["app"].state.sessions() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(q.subquery())))


def test_two_identical_user_creates_give_one_201_and_one_409(served: dict[str, Any]) -> None:
    """Regression: 5 of 5 rounds answered 500 (the unique e-mail raced past the check)."""
    for i in range(ROUNDS):
        email = f"twin{i}@example.com"
        body = {"email": email, "name": "Twin", "password": PASSWORD, "role": "admin"}
        answers = at_once(served["base"], 2, post(served, "/api/users", body))
        assert codes(answers) == [201, 409], [a.text for a in answers]
        loser = next(a for a in answers if a.status_code == 409)
        assert email in loser.json()["detail"] or "same moment" in loser.json()["detail"]
        assert count(served, sa.select(User.id).where(User.email == email)) == 1


def test_organization_names_are_unique_ignoring_case_even_at_the_same_moment(
    served: dict[str, Any],
) -> None:
    """Regression: two identical POST /api/organizations created two organizations."""
    for i in range(ROUNDS):
        names = [f"Gamma Foundry {i}", f"GAMMA  foundry {i}"]
        answers = at_once(
            served["base"],
            2,
            lambda s, names=names: s.post(
                served["base"] + "/api/organizations",
                json={"kind": "enterprise", "name": names.pop()},
                headers={"Authorization": f"Bearer {served['token']}"},
                timeout=60,
            ),
        )
        assert codes(answers) == [201, 409], [a.text for a in answers]
        like = sa.select(Organization.id).where(
            sa.func.lower(Organization.name).like(f"gamma%foundry {i}")
        )
        assert count(served, like) == 1
    # and one at a time, in another case and width: the check before the write
    r = post(
        served, "/api/organizations", {"kind": "assessment_body", "name": "ｇａｍｍａ foundry 0"}
    )
    import requests

    with requests.Session() as s:
        again = r(s)
    assert again.status_code == 409 and "foundry 0' exists" in again.json()["detail"].lower()


def test_two_identical_grants_at_the_same_moment_give_one_204_and_one_409(
    served: dict[str, Any],
) -> None:
    ids = served["ids"]
    for i in range(ROUNDS):
        body_id = seed_org(served, "assessment_body", f"Race Body {i}")
        answers = at_once(
            served["base"],
            2,
            post(served, f"/api/enterprises/{ids['beta']}/grants", {"body_id": body_id}),
        )
        got = codes(answers)
        # serialized (SQLite), the second finds the grant; concurrent (PostgreSQL), its insert
        # meets the first's key: a 409 either way
        assert got == [204, 409], [a.text for a in answers]
        assert count(served, sa.select(Grant.body_id).where(Grant.body_id == body_id)) == 1


def test_two_assessments_started_at_the_same_moment_give_one_202_and_one_409(
    served: dict[str, Any],
) -> None:
    """Regression: the same next version raced into the (enterprise, version) key: 500."""
    for i in range(ROUNDS):
        ent = seed_org(served, "enterprise", f"Race Enterprise {i}", imported=True)
        answers = at_once(
            served["base"], 2, post(served, f"/api/enterprises/{ent}/assessments", {"lang": "en"})
        )
        got = codes(answers)
        q = sa.select(Assessment.id).where(Assessment.enterprise_id == ent)
        if got == [202, 202]:
            # on a loaded machine the two requests may not overlap: the first assessment
            # (of a dataset row with no data) has failed before the second is checked, and a
            # second version is then right. What must never happen is a 500 or one version
            # twice.
            versions = sorted(a.json()["assessment"]["version"] for a in answers)
            assert versions == [1, 2], [a.text for a in answers]
            assert count(served, q) == 2
            continue
        assert got == [202, 409], [a.text for a in answers]
        assert count(served, q) == 1


def seed_org(served: dict[str, Any], kind: str, name: str, *, imported: bool = False) -> int:
    app, ids = served["app"], served["ids"]
    with app.state.sessions.begin() as s:
        org = Organization(kind=kind, name=name)
        s.add(org)
        s.flush()
        if imported:  # an imported dataset row: enough to queue an assessment
            s.add(
                Dataset(
                    enterprise_id=org.id,
                    uploaded_by=ids["admin"],
                    original_name="x.zip",
                    kind="zip",
                    size=1,
                    sha256="0" * 64,
                    status="imported",
                )
            )
        return org.id


# ---------------------------------------------------------------------------------------------
# Sign-in limits over HTTP


def test_forged_forwarded_for_does_not_escape_the_sign_in_limit(served: dict[str, Any]) -> None:
    """Regression: uvicorn believed X-Forwarded-For from 127.0.0.1, so 30 sign-ins sprayed
    over accounts, each naming another address, got 401 and never 429."""
    import requests

    served["app"].state.limiter.reset()
    got = []
    with requests.Session() as s:
        for i in range(30):
            r = s.post(
                served["base"] + "/api/token",
                json={"email": f"user{i}@example.com", "password": "wrong-password"},
                headers={"X-Forwarded-For": f"198.51.100.{i + 1}", "X-Real-IP": "1.2.3.4"},
                timeout=30,
            )
            got.append(r.status_code)
        assert "server" not in {k.lower() for k in r.headers}  # no Server: uvicorn
    assert got[:5] == [401] * 5 and set(got[5:]) == {429}, got
    with served["app"].state.sessions() as s:
        addresses = set(
            s.scalars(sa.select(AuditEntry.address).where(AuditEntry.action == "login.failed"))
        )
    assert addresses == {"127.0.0.1"}
    served["app"].state.limiter.reset()


def test_a_trusted_proxy_names_the_client(db_url: str, tmp_path: Any) -> None:
    """With THERMAUDIT_TRUSTED_PROXIES=127.0.0.1 the proxy's X-Forwarded-For is the
    address a sign-in is counted against (and audited as)."""
    import requests

    from thermaudit.web import Settings, create_app

    settings = Settings.from_env(
        tmp_path,
        env={"THERMAUDIT_TRUSTED_PROXIES": "127.0.0.1, ::1", "THERMAUDIT_DATABASE_URL": db_url},
    )
    assert settings.trusted_proxies == "127.0.0.1,::1"
    app = create_app(dataclasses.replace(settings, worker=False))
    with live_server(app) as base, requests.Session() as s:
        codes_by_address = {}
        for who in ("203.0.113.7", "203.0.113.8"):
            codes_by_address[who] = [
                s.post(
                    base + "/api/token",
                    json={"email": f"nobody{i}@example.com", "password": "wrong-password"},
                    headers={"X-Forwarded-For": who},
                    timeout=30,
                ).status_code
                for i in range(4)
            ]
        with app.state.sessions() as db:
            addresses = set(
                db.scalars(sa.select(AuditEntry.address).where(AuditEntry.action == "login.failed"))
            )
    # 8 failures from the one real address, but 4 from each address the proxy names
    assert codes_by_address == {"203.0.113.7": [401] * 4, "203.0.113.8": [401] * 4}
    assert addresses >= {"203.0.113.7", "203.0.113.8"}


def test_fifty_writes_at_once_all_succeed(served: dict[str, Any]) -> None:
    """More concurrent writes than the server has threads (40): each one is answered. (With
    every transaction waiting for SQLite's write lock inside a thread, the request holding
    the lock found no thread for its route, and all of them failed after the 30 s busy
    timeout with "database is locked".)"""
    names = iter(range(50))
    lock = threading.Lock()

    def create(s: Any) -> Any:
        with lock:
            n = next(names)
        return s.post(
            served["base"] + "/api/organizations",
            json={"kind": "assessment_body", "name": f"Crowd Body {n}"},
            headers={"Authorization": f"Bearer {served['token']}"},
            timeout=120,
        )

    assert codes(at_once(served["base"], 50, create)) == [201] * 50
    like = sa.select(Organization.id).where(Organization.name.like("Crowd Body %"))
    assert count(served, like) == 50
