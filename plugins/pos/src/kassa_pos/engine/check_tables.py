"""The tables of open and deferred checks (``pos_check``), as SQLAlchemy ``Table`` objects.

They must agree with the checks' migration in ``kassa_pos/migrations`` (``tests/
test_check_store.py`` compares a freshly migrated database with this metadata). A check is
one row: its identity and state in columns (what the till lists and claims by), its lines,
discounts and guest as JSON in ``body`` (only the check module reads it). Times are UTC.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, Table, Text

metadata = MetaData()

check = Table(
    "pos_check", metadata,
    Column("id", Text, primary_key=True),  # the check id: SaleDraft.check_id, the settle key
    Column("site", Text, nullable=False),  # the store
    Column("till", Text, nullable=False),  # where it is open, or was deferred from
    Column("number", Integer, nullable=False),  # per store, as people see and search it
    Column("state", Text, nullable=False),  # engine.check.CheckState
    Column("cashier", Text, nullable=False),  # the staff code who opened or resumed it
    Column("total", BigInteger, nullable=False),  # kopecks after discounts, for the lists
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("deferred_at", DateTime(timezone=True), nullable=True),
    Column("version", Integer, nullable=False),  # bumped by each save: a stale write fails
    Column("body", Text, nullable=False),  # JSON: lines, manual discounts, guest, quote
    Index("ix_pos_check_site_state", "site", "state"),
    Index("ix_pos_check_till_state", "till", "state"),
    # a number is the store's (migration pos_checks_0002)
    Index("ux_pos_check_site_number", "site", "number", unique=True),
)
