"""pos: the catalog (items, barcodes, price lists, prices) and its version counter.

Revision ID: pos_0001
Revises:
Depends on: 0001 (nothing of the core's; the branch must start from one)
"""
import sqlalchemy as sa
from alembic import op

revision = "pos_0001"
down_revision = None
branch_labels = ("pos",)
depends_on = "0001"


def upgrade() -> None:
    op.create_table(
        "pos_item",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("plu", sa.Integer, nullable=True, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("unit", sa.Integer, nullable=False),
        sa.Column("vat", sa.Text, nullable=False),
        sa.Column("department", sa.Integer, nullable=False),
        sa.Column("item_group", sa.Text, nullable=False),
        sa.Column("flags", sa.Integer, nullable=False),
    )
    op.create_table(
        "pos_barcode",
        sa.Column("barcode", sa.Text, primary_key=True),
        sa.Column("item_code", sa.Text, sa.ForeignKey("pos_item.code", ondelete="CASCADE"),
                  nullable=False),
    )
    op.create_index("ix_pos_barcode_item", "pos_barcode", ["item_code"])
    op.create_table(
        "pos_price_list",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("site", sa.Text, nullable=True),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "pos_price",
        sa.Column("list_code", sa.Text,
                  sa.ForeignKey("pos_price_list.code", ondelete="CASCADE"), primary_key=True),
        sa.Column("item_code", sa.Text, sa.ForeignKey("pos_item.code", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("price", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "pos_catalog_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO pos_catalog_version (id, version) VALUES (1, 0)")


def downgrade() -> None:
    for table in ("pos_price", "pos_price_list", "pos_barcode", "pos_item",
                  "pos_catalog_version"):
        op.drop_table(table)
