"""pos: the centre keeps each reference package's body (``pos_ref_package.body``), so a store
opened later gets the latest packages at once (``kassa chain store new ... -c``).

Revision ID: pos_refdata_0003
Revises: pos_refdata_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "pos_refdata_0003"
down_revision = "pos_refdata_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pos_ref_package") as batch:
        batch.add_column(sa.Column("body", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pos_ref_package") as batch:
        batch.drop_column("body")
