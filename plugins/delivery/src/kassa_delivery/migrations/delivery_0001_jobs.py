"""delivery: the fiscal job table.

Revision ID: delivery_0001
Revises:
Depends on: 0004 (the core's journal)
"""
import sqlalchemy as sa
from alembic import op

revision = "delivery_0001"
down_revision = None
branch_labels = ("delivery",)
depends_on = "0004"


def upgrade() -> None:
    op.create_table(
        "delivery_job",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("idem_key", sa.String(300), nullable=False, unique=True),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("payment_id", sa.String(64), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("site", sa.String(40), nullable=False),
        sa.Column("register", sa.String(80), nullable=False),
        sa.Column("driver", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("payment_kind", sa.String(20), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("contact", sa.String(200), nullable=True),
        sa.Column("contact_source", sa.String(20), nullable=True),
        sa.Column("warnings", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("waiting", sa.String(300), nullable=True),
        sa.Column("wait_alerted", sa.Boolean, nullable=False),
        sa.Column("document", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("copy_status", sa.String(20), nullable=False),
        sa.Column("copy_reason", sa.Text, nullable=True),
        sa.Column("copy_attempts", sa.Integer, nullable=False),
        sa.Column("accepted_at", sa.String(32), nullable=False),
        sa.Column("done_at", sa.String(32), nullable=True),
        sa.UniqueConstraint("order_id", "payment_id", name="uq_delivery_job_payment"),
    )
    op.create_index("ix_delivery_job_queue", "delivery_job", ["status", "register", "id"])
    op.create_index("ix_delivery_job_driver", "delivery_job", ["driver", "accepted_at"])


def downgrade() -> None:
    op.drop_table("delivery_job")
