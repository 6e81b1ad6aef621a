"""pos: the centre's copy of the stores' stock moves (``chain/ingest.py`` ``stock_t``), from
their stock documents sent up: stock levels per store computed centrally.

Revision ID: pos_chain_0002
Revises: pos_refdata_0003
"""
import sqlalchemy as sa
from alembic import op

revision = "pos_chain_0002"
down_revision = "pos_refdata_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pos_chain_stock_move",
        sa.Column("doc_id", sa.String(200), primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("store", sa.String(32), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("qty", sa.Numeric(14, 3), nullable=False),
    )
    op.create_index("ix_pos_chain_stock_move_store_item", "pos_chain_stock_move",
                    ["store", "item_code"])


def downgrade() -> None:
    op.drop_index("ix_pos_chain_stock_move_store_item", table_name="pos_chain_stock_move")
    op.drop_table("pos_chain_stock_move")
