"""Findings are assigned to owners and tracked to closed.

- ``finding_tracks``: per enterprise and finding key (code and subject), the department and
  person who answer for it, open or closed, the note, who changed it last and when.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "finding_tracks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("department", sa.String(100)),
        sa.Column("person", sa.String(100)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("assessment_id", sa.Integer, sa.ForeignKey("assessments.id")),
        sa.Column("updated_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("closed_at", TS),
        sa.UniqueConstraint("enterprise_id", "key"),
        sa.CheckConstraint("status IN ('open', 'closed')"),
    )
    op.create_index("ix_finding_tracks_enterprise_id", "finding_tracks", ["enterprise_id"])


def downgrade() -> None:
    op.drop_index("ix_finding_tracks_enterprise_id", "finding_tracks")
    op.drop_table("finding_tracks")
