"""bonus: every money column stays an integer within +-MAX_BALANCE (10^15).

A FarCards credit of 9e18 once passed the checks: SQLite's integer arithmetic overflowed into
a REAL, the balance became a float and every later read of the card failed. PostgreSQL gets
CHECK constraints (its BIGINT cannot hold a float); SQLite gets BEFORE INSERT / UPDATE
triggers that also refuse a value whose type is not integer (a CHECK added to an existing
SQLite table would need the table rebuilt, with its triggers and foreign keys).

Revision ID: bonus_0002
Revises: bonus_0001
"""
from alembic import op

revision = "bonus_0002"
down_revision = "bonus_0001"
branch_labels = None
depends_on = None

MAX_BALANCE = 10**15  # schema.MAX_BALANCE, frozen here as a migration must be
COLUMNS = {"bonus_account": ("balance", "held", "credit_limit", "earned"),
           "bonus_posting": ("amount", "reversed"), "bonus_entry": ("amount",),
           "bonus_lot": ("amount", "remaining"), "bonus_hold": ("amount", "captured")}


def _name(table: str) -> str:
    return f"ck_{table.removeprefix('bonus_')}_integer_domain"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, cols in COLUMNS.items():
        if dialect == "sqlite":
            bad = " OR ".join(f"typeof(NEW.{c}) <> 'integer' OR NEW.{c} NOT BETWEEN "
                              f"-{MAX_BALANCE} AND {MAX_BALANCE}" for c in cols)
            for what in ("INSERT", "UPDATE"):
                op.execute(f"CREATE TRIGGER IF NOT EXISTS {table}_integer_domain_"
                           f"{what.lower()} BEFORE {what} ON {table} WHEN {bad} BEGIN SELECT "
                           f"RAISE(ABORT, 'CHECK constraint failed: {_name(table)}'); END")
        else:
            cond = " AND ".join(f"{c} BETWEEN -{MAX_BALANCE} AND {MAX_BALANCE}" for c in cols)
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {_name(table)} CHECK ({cond})")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in COLUMNS:
        if dialect == "sqlite":
            for what in ("insert", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_integer_domain_{what}")
        else:
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {_name(table)}")
