"""Fixtures of the web tests: one seeded app per module and database.

``db_url`` is parametrized [sqlite, postgresql]: the same tests run on both. The PostgreSQL
pass creates a throwaway database ``thermaudit_test_<hex>`` on 127.0.0.1:5432 (user
postgres) and drops it afterwards; it skips when no server answers, and FAILS instead when
``THERMAUDIT_REQUIRE_POSTGRES=1`` (``.ci/run`` exports it).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from web.helpers import PG_HOST, PG_PORT, Site, _pg_admin, postgres_available, seed, zip_folder


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """'' (SQLite in the data folder) or the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield ""
        return
    why = postgres_available()
    if why is not None:
        msg = f"PostgreSQL at {PG_HOST}:{PG_PORT} is not available ({why})"
        if os.environ.get("THERMAUDIT_REQUIRE_POSTGRES") == "1":
            pytest.fail(msg + "; THERMAUDIT_REQUIRE_POSTGRES=1 requires it")
        pytest.skip(msg)
    name = f"thermaudit_test_{secrets.token_hex(6)}"
    with _pg_admin() as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with _pg_admin() as con:
            con.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            con.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from thermaudit.demo.generator import write_demo

    out = tmp_path_factory.mktemp("demo") / "dataset"
    write_demo(out, days=7)
    return out


@pytest.fixture(scope="session")
def demo_zip(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return zip_folder(demo_dir, tmp_path_factory.mktemp("demo-zip") / "demo.zip", "dataset/")


@pytest.fixture(scope="module")
def site(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A running app (worker on) with the seeded organizations and users."""
    from fastapi.testclient import TestClient

    from thermaudit.web import Settings, create_app

    data = tmp_path_factory.mktemp("web-data")
    app = create_app(Settings(data_dir=data, database_url=db_url, poll_seconds=0.2))
    with TestClient(app, base_url="https://testserver"):
        st = Site(app, data, seed(app))
        yield st
        for c in st.clients.values():
            c.close()
    shutil.rmtree(data, ignore_errors=True)
