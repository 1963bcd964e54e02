"""Property tests of the JSON API from its own OpenAPI document (schemathesis).

A real server (uvicorn on a loopback port, the background worker off so that fuzzed uploads
and assessments only queue) is seeded as in the other web tests; schemathesis reads
``/openapi.json`` from it and sends generated requests, valid and invalid, to every operation
under ``/api`` as the signed-in administrator (the browser's session cookie, and the
``X-CSRF-Token`` header the API asks of unsafe cookie requests). No answer may be a server
error (5xx). Runs on SQLite and PostgreSQL (``db_url``): PostgreSQL refuses values SQLite
stores (NUL in text, integers past 2**31), so both must be covered.

Each operation gets a Hypothesis test built from ``APIOperation.as_strategy`` (positive and
negative mode), derandomized so that a CI failure reproduces; the failures of all operations
are collected and reported together. schemathesis' own pytest integration
(``schemathesis.pytest.from_fixture``) is not used: with schemathesis 4.32 on pytest 9.2 it
fails before sending a request (``'Function' object has no attribute '_nodeid'``).
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from web.helpers import PASSWORD, live_server, seed

pytestmark = pytest.mark.slow


def browser_session(base: str, email: str) -> Any:
    """A ``requests`` session signed in through the sign-in form, with the session's CSRF
    token as the ``X-CSRF-Token`` header (what the job page's script would send)."""
    import requests

    s = requests.Session()
    page = s.get(f"{base}/login", timeout=30)
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert m, page.text
    r = s.post(
        f"{base}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": m.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 303, r.text
    me = s.get(f"{base}/api/me", timeout=30)
    assert me.status_code == 200 and me.json()["email"] == email, me.text
    s.headers["X-CSRF-Token"] = me.json()["csrf_token"]
    return s


@pytest.fixture(scope="module")
def served(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from thermaudit.web import Settings, create_app

    data = tmp_path_factory.mktemp("openapi-data")
    app = create_app(Settings(data_dir=data, database_url=db_url, worker=False))
    with live_server(app) as base:
        seed(app)
        session = browser_session(base, "admin@example.com")
        yield {"base": base, "session": session, "app": app}
        session.close()
    shutil.rmtree(data, ignore_errors=True)


#: examples per operation and generation mode: 19 operations × 2 modes × 30 ≈ 1,100 requests
EXAMPLES = 30


def test_no_server_errors(served: dict[str, Any]) -> None:
    """Every operation of the OpenAPI document, with valid (positive) and invalid (negative)
    generated requests: no 5xx. Failures of all operations are collected, then reported."""
    schema = schemathesis.openapi.from_url(f"{served['base']}/openapi.json", timeout=30)
    session = served["session"]
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    ran: list[str] = []
    for result in schema.get_all_operations():
        op = result.ok()
        if not op.path.startswith("/api/"):
            continue  # the PACT host's routes: test_pact_routes_no_server_errors
        ran.append(op.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=op.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                response = case.call(session=session, timeout=60)
                statuses[response.status_code] += 1
                case.validate_response(response, checks=[not_a_server_error])

            try:
                run()
            except Unsatisfiable:
                # no parameters and no body: nothing can be invalid (GET /api/me)
                assert (
                    mode is GenerationMode.NEGATIVE
                    and not op.body
                    and not list(op.iter_parameters())
                ), op.label
            except (Exception, FailureGroup) as exc:  # FailureGroup is a BaseExceptionGroup
                failures.append(f"{op.label} ({mode}): {exc!r}")
    assert len(ran) >= 19 and all(label.split()[1].startswith("/api/") for label in ran), ran
    assert not failures, "\n\n".join(failures)
    # the session worked (2xx), and generated input was refused (422) and ids missed (404)
    assert statuses[200] and statuses[201] and statuses[422] and statuses[404], statuses


def _pact_session(served: dict[str, Any]) -> Any:
    """A ``requests`` session with a buyer's bearer token (client credentials made in the
    database for alpha, seeing one SKU: the worker is off, so there is no assessment and
    the footprint list is empty)."""
    import requests

    from thermaudit.web.models import Organization, PactClient, User
    from thermaudit.web.security import hash_password

    app = served["app"]
    with app.state.sessions.begin() as s:
        alpha = s.query(Organization).filter_by(kind="enterprise").order_by(Organization.id)[0]
        admin = s.query(User).filter_by(role="admin").one()
        s.add(
            PactClient(
                enterprise_id=alpha.id,
                client_id="pact-fuzz",
                secret_hash=hash_password("fuzz-secret"),
                buyer="Fuzz buyer",
                skus=["P-1"],
                created_by=admin.id,
            )
        )
    session = requests.Session()
    r = session.post(
        f"{served['base']}/auth/token",
        data={"grant_type": "client_credentials"},
        auth=("pact-fuzz", "fuzz-secret"),
        timeout=30,
    )
    assert r.status_code == 200, r.text
    session.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    return session


def test_pact_routes_no_server_errors(served: dict[str, Any]) -> None:
    """The PACT host's operations (token, discovery, footprints, events) with valid and
    invalid generated requests and a buyer's bearer token: no 5xx, and every refusal of a
    ``/3/`` route is PACT's ``{"code", "message"}``."""
    schema = schemathesis.openapi.from_url(f"{served['base']}/openapi.json", timeout=30)
    session = _pact_session(served)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    ran: list[str] = []
    for result in schema.get_all_operations():
        op = result.ok()
        if op.path.startswith("/api/") or op.path in ("/", "/login", "/logout"):
            continue
        if not op.path.startswith(("/3/", "/auth/", "/.well-known/")):
            continue
        ran.append(op.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=op.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                response = case.call(session=session, timeout=60)
                statuses[response.status_code] += 1
                case.validate_response(response, checks=[not_a_server_error])
                if case.path.startswith("/3/") and response.status_code >= 400:
                    body = response.json()
                    assert set(body) == {"code", "message"}, body

            try:
                run()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE and not list(op.iter_parameters()), op.label
            except (Exception, FailureGroup) as exc:  # FailureGroup is a BaseExceptionGroup
                failures.append(f"{op.label} ({mode}): {exc!r}")
    session.close()
    assert sorted(ran) == [
        "GET /.well-known/openid-configuration",
        "GET /3/footprints",
        "GET /3/footprints/{footprint_id}",
        "POST /3/events",
        "POST /auth/token",
    ], ran
    assert not failures, "\n\n".join(failures)
    assert statuses[200] and statuses[400] and statuses[404], statuses
