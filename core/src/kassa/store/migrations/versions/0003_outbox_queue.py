"""outbox queue indexes: a chat's pending rows and the due chats, from the pending rows only

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_index("ix_outbox_queue", "outbox", ["channel", "chat_id", "id"],
                    sqlite_where=PENDING, postgresql_where=PENDING)
    op.create_index("ix_outbox_due", "outbox", ["channel", "next_at"],
                    sqlite_where=PENDING, postgresql_where=PENDING)


def downgrade() -> None:
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_index("ix_outbox_queue", table_name="outbox")
