"""Alembic environment: run with a connection handed in by ``kassa.store.engine``."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import kassa.store.tables  # noqa: F401  (puts the core tables on SQLModel.metadata)

config = context.config
connection = config.attributes["connection"]
context.configure(connection=connection, target_metadata=SQLModel.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
