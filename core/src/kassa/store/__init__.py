"""Persistence: sqlmodel tables (only here), the engine, migrations, and the Store facade.

The rest of the code speaks attrs types; rows are converted at this boundary.
"""

from kassa.store.dialect import dialect_insert
from kassa.store.engine import Store, make_engine

__all__ = ["Store", "dialect_insert", "make_engine"]
