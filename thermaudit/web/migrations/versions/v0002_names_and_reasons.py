"""Organization names are unique (case-insensitive); jobs say why they failed.

- ``organizations.name_key`` (:func:`thermaudit.web.models.name_key` of the name) with a
  unique index. Organizations already sharing a name keep it in the oldest (lowest id); each
  later one is renamed "<name> (<id>)" and the rename is written to the audit log, so an
  administrator sees what changed and can choose better names.
- ``jobs.reason``: the i18n key and parameters of a failure (JSON).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from thermaudit.web.models import name_key

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_orgs = sa.table(
    "organizations",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("name_key", sa.String),
)
_audit = sa.table(
    "audit_log",
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("user_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("enterprise_id", sa.Integer),
    sa.column("target", sa.String),
    sa.column("address", sa.String),
    sa.column("detail", sa.JSON),
)


def upgrade() -> None:
    op.add_column("organizations", sa.Column("name_key", sa.String(400), nullable=True))
    op.add_column("jobs", sa.Column("reason", sa.JSON, nullable=True))
    con = op.get_bind()
    taken: set[str] = set()
    rows = con.execute(sa.select(_orgs.c.id, _orgs.c.name).order_by(_orgs.c.id)).all()
    for org_id, name in rows:
        new = name
        key = name_key(new)
        n = 0
        while key in taken:  # a later organization of a name already used
            n += 1
            new = f"{name[:180]} ({org_id})" if n == 1 else f"{name[:170]} ({org_id}-{n})"
            key = name_key(new)
        taken.add(key)
        con.execute(sa.update(_orgs).where(_orgs.c.id == org_id).values(name=new, name_key=key))
        if new != name:
            con.execute(
                sa.insert(_audit).values(
                    at=dt.datetime.now(dt.UTC).replace(microsecond=0),
                    user_id=None,
                    action="organization.rename",
                    enterprise_id=None,
                    target=f"organization:{org_id}",
                    address="",
                    detail={"from": name, "to": new, "why": "duplicate name (migration 0002)"},
                )
            )
    op.create_index("ix_organizations_name_key", "organizations", ["name_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_organizations_name_key", "organizations")
    op.drop_column("jobs", "reason")
    op.drop_column("organizations", "name_key")
