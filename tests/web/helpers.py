"""Helpers of the web tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import os
import re
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PG_HOST = os.environ.get("THERMAUDIT_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("THERMAUDIT_TEST_PG_PORT", "5432"))
PASSWORD = "correct horse battery"


def _pg_admin() -> Any:
    import psycopg

    return psycopg.connect(
        host=PG_HOST,
        port=PG_PORT,
        user="postgres",
        dbname="postgres",
        autocommit=True,
        connect_timeout=3,
    )


def postgres_available() -> str | None:
    """None when the server answers, else why not."""
    try:
        with _pg_admin() as con:
            con.execute("SELECT 1")
    except Exception as exc:  # any connection failure means: no server here
        return f"{type(exc).__name__}: {exc}"
    return None


@contextmanager
def live_server(app: Any, timeout: float = 30.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn (a real HTTP server) on a free loopback port in a thread;
    yields the base URL, e.g. ``http://127.0.0.1:41234``. The app's lifespan (migrations,
    worker) runs, and uvicorn is configured, as under ``thermaudit serve``."""
    import uvicorn

    from thermaudit.web.server import uvicorn_config

    # port 0: the kernel picks a free port, read back from the listening socket (no race)
    config = uvicorn_config(
        app,
        app.state.settings,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    end = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > end:
            server.should_exit = True
            raise RuntimeError(f"uvicorn did not start in {timeout} s")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)


def zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.iterdir()):
            if p.is_file():
                zf.write(p, prefix + p.name)
    return target


# ---------------------------------------------------------------------------------------------
# A seeded site: admin, two enterprises, two assessment bodies, members and assessors


@dataclass
class Site:
    app: Any
    data: Path
    ids: dict[str, int] = field(default_factory=dict)
    clients: dict[str, Any] = field(default_factory=dict)

    def client(self, who: str) -> Any:
        """A TestClient signed in (cookie) as ``who``; the same one on every call."""
        if who not in self.clients:
            self.clients[who] = sign_in(self.app, f"{who}@example.com")
        return self.clients[who]

    def csrf(self, who: str) -> dict[str, str]:
        return {"X-CSRF-Token": self.client(who).get("/api/me").json()["csrf_token"]}

    def wait(self, job_id: int, who: str = "admin", timeout: float = 180) -> dict[str, Any]:
        c = self.client(who)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            job: dict[str, Any] = c.get(f"/api/jobs/{job_id}").json()
            if job["state"] in ("done", "failed"):
                return job
            time.sleep(0.3)
        raise AssertionError(f"job {job_id} did not end in {timeout} s: {job}")


def upload_and_assess(
    site: Site, demo_zip: Path, lang: str = "en", who: str = "member_alpha"
) -> dict[str, int]:
    """``who`` uploads the demo plant to alpha, waits for the import, assesses it and waits
    again: ``{"dataset": id, "assessment": id}`` (both jobs done)."""
    c, h = site.client(who), site.csrf(who)
    alpha = site.ids["alpha"]
    with demo_zip.open("rb") as f:
        r = c.post(
            f"/api/enterprises/{alpha}/datasets",
            files={"file": ("demo.zip", f, "application/zip")},
            headers=h,
        )
    assert r.status_code == 202, r.text
    up = r.json()
    job = site.wait(up["job"]["id"], who)
    assert job["state"] == "done", job
    r = c.post(f"/api/enterprises/{alpha}/assessments", json={"lang": lang}, headers=h)
    assert r.status_code == 202, r.text
    start = r.json()
    job = site.wait(start["job"]["id"], who)
    assert job["state"] == "done", job
    return {"dataset": up["dataset"]["id"], "assessment": start["assessment"]["id"]}


def new_client(app: Any, address: str = "testclient") -> Any:
    from fastapi.testclient import TestClient

    return TestClient(app, base_url="https://testserver", client=(address, 50000))


def login_token(client: Any) -> str:
    page = client.get("/login")
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert m, page.text
    return m.group(1)


def sign_in(app: Any, email: str, password: str = PASSWORD) -> Any:
    c = new_client(app)
    r = c.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": login_token(c)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return c


def seed(app: Any) -> dict[str, int]:
    """admin; enterprises alpha and beta; bodies x and y; alpha grants x; one member per
    enterprise, one assessor per body."""
    from thermaudit.web import services
    from thermaudit.web.models import Grant

    ids: dict[str, int] = {}
    with app.state.sessions.begin() as s:
        admin = services.create_user(
            s, None, email="admin@example.com", name="Admin", password=PASSWORD, role="admin"
        )
        ids["admin"] = admin.id
        for key, kind, name in (
            ("alpha", "enterprise", "Alpha Die Casting 阿尔法压铸"),
            ("beta", "enterprise", "Beta Foundry"),
            ("x", "assessment_body", "Body X"),
            ("y", "assessment_body", "Body Y"),
        ):
            ids[key] = services.create_organization(s, admin, kind, name).id
        for who, role, org in (
            ("member_alpha", "enterprise_member", "alpha"),
            ("member_beta", "enterprise_member", "beta"),
            ("assessor_x", "assessor", "x"),
            ("assessor_y", "assessor", "y"),
        ):
            u = services.create_user(
                s,
                admin,
                email=f"{who}@example.com",
                name=who,
                password=PASSWORD,
                role=role,
                organization_id=ids[org],
            )
            ids[who] = u.id
        s.add(Grant(enterprise_id=ids["alpha"], body_id=ids["x"], granted_by=admin.id))
    return ids
