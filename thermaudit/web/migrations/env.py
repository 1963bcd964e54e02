"""Alembic environment: the connection comes from :func:`thermaudit.web.models.upgrade`
(``config.attributes["connection"]``) or, for ``alembic`` on the command line, from
``THERMAUDIT_DATABASE_URL``."""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context

from thermaudit.web.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = sa.create_engine(os.environ["THERMAUDIT_DATABASE_URL"])
    with engine.begin() as con:
        context.configure(connection=con, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run()
