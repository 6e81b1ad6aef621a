"""pos: the draw codes the message system printed (``engine/messages.py``'s ``draw_code``;
``tests/test_messages_hub.py`` checks that they agree).

Revision ID: pos_messages_0001
Revises: pos_pay_0001 (payments, returns, shifts)
"""
import sqlalchemy as sa
from alembic import op

revision = "pos_messages_0001"
down_revision = "pos_pay_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pos_draw_code",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("check_id", sa.String(100), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("rule", "check_id", name="uq_pos_draw_code_check"),
    )


def downgrade() -> None:
    op.drop_table("pos_draw_code")
