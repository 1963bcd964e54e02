"""Migration 0002 on a database of 0001 holding organizations whose names differ only in
case and spacing, on SQLite and PostgreSQL (``db_url``): the oldest keeps its name, later
ones are renamed "<name> (<id>)" with an audit entry each, and the unique key then refuses
a new twin."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from thermaudit.web.models import make_engine


def _config(con: sa.Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("thermaudit.web") / "migrations"))
    cfg.attributes["connection"] = con
    return cfg


def test_duplicate_names_are_renamed_and_then_refused(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url or f"sqlite:///{tmp_path / 'old.sqlite'}")
    try:
        with engine.begin() as con:
            command.upgrade(_config(con), "0001")
            t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
            for name in ("Delta Foundry", "DELTA  foundry", "Epsilon", "delta foundry"):
                con.execute(
                    sa.text(
                        "INSERT INTO organizations (kind, name, created_at) "
                        "VALUES ('enterprise', :n, :t)"
                    ),
                    {"n": name, "t": t},
                )
        with engine.begin() as con:
            command.upgrade(_config(con), "head")
        with engine.connect() as con:
            rows = con.execute(
                sa.text("SELECT id, name, name_key FROM organizations ORDER BY id")
            ).all()
            renames = con.execute(
                sa.text("SELECT target, detail FROM audit_log WHERE action = 'organization.rename'")
            ).all()
        assert [r.name for r in rows] == [
            "Delta Foundry",
            f"DELTA  foundry ({rows[1].id})",
            "Epsilon",
            f"delta foundry ({rows[3].id})",
        ]
        assert rows[0].name_key == "delta foundry" and len({r.name_key for r in rows}) == 4
        assert sorted(r.target for r in renames) == [
            f"organization:{rows[1].id}",
            f"organization:{rows[3].id}",
        ]
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as con:
            con.execute(
                sa.text(
                    "INSERT INTO organizations (kind, name, name_key, created_at) "
                    "VALUES ('enterprise', 'Epsilon', 'epsilon', :t)"
                ),
                {"t": dt.datetime(2026, 1, 2, tzinfo=dt.UTC)},
            )
        with engine.begin() as con:  # and back
            command.downgrade(_config(con), "0001")
    finally:
        engine.dispose()


def test_migration_0004_creates_the_pact_tables_as_the_models_have_them(
    db_url: str, tmp_path: Path
) -> None:
    """Upgraded to head, the PACT host's tables match the models (Alembic's comparison finds
    no difference in them); downgraded one step, they are gone."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from thermaudit.web.models import Base

    pact = {"pact_clients", "pact_tokens", "pact_events"}
    engine = make_engine(db_url or f"sqlite:///{tmp_path / 'pact.sqlite'}")
    try:
        with engine.begin() as con:
            command.upgrade(_config(con), "head")
        with engine.connect() as con:
            assert pact <= set(sa.inspect(con).get_table_names())
            diff = compare_metadata(MigrationContext.configure(con), Base.metadata)

        def table_of(d: Any) -> str:
            item = d[0] if isinstance(d, list) else d
            for x in item[1:]:
                name = getattr(x, "table", None)
                name = getattr(name, "name", None) or getattr(x, "name", None)
                if isinstance(x, str):
                    name = x
                if name in pact:
                    return str(name)
            return ""

        assert [d for d in diff if table_of(d)] == []
        with engine.begin() as con:
            command.downgrade(_config(con), "-1")
        with engine.connect() as con:
            assert not pact & set(sa.inspect(con).get_table_names())
    finally:
        engine.dispose()
