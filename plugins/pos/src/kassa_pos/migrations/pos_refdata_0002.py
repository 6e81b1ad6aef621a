"""pos: the store's applied rules package kept whole (``chain/refdata.py`` ``body_t``:
staff and rights, discount limits, discount rules sent down from the centre).

Revision ID: pos_refdata_0002
Revises: pos_xreturns_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "pos_refdata_0002"
down_revision = "pos_xreturns_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pos_ref_body",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pos_ref_body")
