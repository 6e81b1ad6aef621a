"""pos: the centre's ledger of returns in any store (``chain/xreturns.py``): a claim per
return (reserved by a store over NATS, or made at ingest) and its lines; on PostgreSQL an
index finding a sale by the register's FN and document number, as its receipt's QR names it.

Revision ID: pos_xreturns_0002
Revises: pos_stock_0001 (pos_xreturns_0001 kept the slot, empty)
"""
import sqlalchemy as sa
from alembic import op

revision = "pos_xreturns_0002"
down_revision = "pos_stock_0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pos_chain_claim",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("sale", sa.String(100), nullable=False),
        sa.Column("store", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_pos_chain_claim_sale", "pos_chain_claim", ["sale"])
    op.create_table(
        "pos_chain_claim_line",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("qty", sa.Numeric(14, 3), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_pos_chain_doc_fiscal ON pos_chain_doc"
                   " (((body::jsonb)->>'fn'), ((body::jsonb)->>'fd')) WHERE kind = 'sale'")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_pos_chain_doc_fiscal")
    op.drop_table("pos_chain_claim_line")
    op.drop_index("ix_pos_chain_claim_sale", table_name="pos_chain_claim")
    op.drop_table("pos_chain_claim")
