"""pos: open and deferred checks (``pos_check``), so a check survives a restart and a
deferred one can be resumed on another till of the store.

Revision ID: pos_checks_0001
Revises: pos_0001 (the catalog)
"""
import sqlalchemy as sa
from alembic import op

revision = "pos_checks_0001"
down_revision = "pos_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pos_check",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("site", sa.Text, nullable=False),
        sa.Column("till", sa.Text, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("cashier", sa.Text, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deferred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_pos_check_site_state", "pos_check", ["site", "state"])
    op.create_index("ix_pos_check_till_state", "pos_check", ["till", "state"])


def downgrade() -> None:
    op.drop_index("ix_pos_check_till_state", "pos_check")
    op.drop_index("ix_pos_check_site_state", "pos_check")
    op.drop_table("pos_check")
