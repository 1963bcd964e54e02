"""The PACT host: buyers' client credentials, their access tokens, the events they send.

- ``pact_clients``: one row per buyer of an enterprise (client id, argon2 hash of the
  secret, the SKUs it sees, revoked or not);
- ``pact_tokens``: access tokens as HMACs, with their expiry;
- ``pact_events``: CloudEvents received at ``POST /3/events``, one per (client, source, id).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pact_clients",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "enterprise_id",
            sa.Integer,
            sa.ForeignKey("organizations.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("client_id", sa.String(64), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(200), nullable=False),
        sa.Column("buyer", sa.String(200), nullable=False),
        sa.Column("skus", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "pact_tokens",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "client_pk", sa.Integer, sa.ForeignKey("pact_clients.id"), nullable=False, index=True
        ),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )
    op.create_table(
        "pact_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "client_pk", sa.Integer, sa.ForeignKey("pact_clients.id"), nullable=False, index=True
        ),
        sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.UniqueConstraint("client_pk", "source", "event_id"),
    )


def downgrade() -> None:
    op.drop_table("pact_events")
    op.drop_table("pact_tokens")
    op.drop_table("pact_clients")
