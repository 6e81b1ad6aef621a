"""delivery: refunds are jobs too (``kind = refund``, ``refund_of`` the sale's job), so they
share the sale's per-register queue and its order.

Revision ID: delivery_0002
Revises: delivery_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "delivery_0002"
down_revision = "delivery_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery_job") as batch:
        batch.add_column(sa.Column("kind", sa.String(10), nullable=False,
                                   server_default="sale"))
        batch.add_column(sa.Column("refund_of", sa.Integer, nullable=True))
        batch.create_index("ix_delivery_job_refund_of", ["refund_of"])


def downgrade() -> None:
    with op.batch_alter_table("delivery_job") as batch:
        batch.drop_index("ix_delivery_job_refund_of")
        batch.drop_column("refund_of")
        batch.drop_column("kind")
