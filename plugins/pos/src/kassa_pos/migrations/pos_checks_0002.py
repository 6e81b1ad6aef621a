"""pos: a check number is unique in its store (``pos_check (site, number)``).

The check book numbers a new check ``max + 1`` in its write transaction; on SQLite writes
are serial, and on PostgreSQL (tills on several servers of one store) it takes a
transaction advisory lock per store first (``CheckBook._save``). The unique index is the
guard behind both: a number can never be handed to two checks.

Revision ID: pos_checks_0002
Revises: pos_analysis_0001
"""
from alembic import op

revision = "pos_checks_0002"
down_revision = "pos_analysis_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ux_pos_check_site_number", "pos_check", ["site", "number"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_pos_check_site_number", table_name="pos_check")
