"""pos: stock documents and their moves (``pos_stock_doc``, ``pos_stock_move``).

Revision ID: pos_stock_0001
Revises: pos_checks_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "pos_stock_0001"
down_revision = "pos_checks_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pos_stock_doc",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("counterpart", sa.String(200)),
        sa.Column("reason", sa.String(500)),
        sa.Column("ref", sa.String(100)),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_by", sa.String(100), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_pos_stock_doc_site_at", "pos_stock_doc", ["site", "posted_at"])
    op.create_table(
        "pos_stock_move",
        sa.Column("doc_id", sa.String(100), primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("qty", sa.Numeric(14, 3), nullable=False),
        sa.Column("cost", sa.BigInteger),
        sa.Column("book", sa.Numeric(14, 3)),
        sa.Column("counted", sa.Numeric(14, 3)),
    )
    op.create_index("ix_pos_stock_move_site_item", "pos_stock_move", ["site", "item_code"])


def downgrade() -> None:
    op.drop_index("ix_pos_stock_move_site_item", table_name="pos_stock_move")
    op.drop_table("pos_stock_move")
    op.drop_index("ix_pos_stock_doc_site_at", table_name="pos_stock_doc")
    op.drop_table("pos_stock_doc")
