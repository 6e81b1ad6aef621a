"""pos: the store's client register (``engine/client_register.py`` ``client_t``), the rows of
the applied ``clients`` reference package: a card identified while the loyalty programme is
out of reach.

Revision ID: pos_refdata_0004
Revises: pos_chain_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "pos_refdata_0004"
down_revision = "pos_chain_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pos_ref_client",
        sa.Column("card", sa.String(64), primary_key=True),
        sa.Column("guest", sa.String(128), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("groups", sa.Text, nullable=False),
        sa.Column("birthday", sa.String(5)),
        sa.Column("blocked", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pos_ref_client")
