"""pos: the centre's sales lines for chain-wide analysis in PostgreSQL.

``pos_chain_line`` (one row per sale / return line, BRIN on time) and its summaries
``pos_chain_sales_day`` (per local day, store and department), ``pos_chain_sales_hour`` (per
local day, store and hour) and ``pos_chain_sales_item`` (per local day and item), all written
by the ingester in the document's transaction (``chain/ingest.py``, ``chain/analysis.py``).

Revision ID: pos_analysis_0001
Revises: pos_xreturns_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "pos_analysis_0001"
down_revision = "pos_xreturns_0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pos_chain_line",
        sa.Column("doc_id", sa.String(200), primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("store", sa.String(32), nullable=False),
        sa.Column("till", sa.String(64), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("hour", sa.SmallInteger, nullable=False),
        sa.Column("cashier", sa.String(100), nullable=False),
        sa.Column("department", sa.SmallInteger, nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("item_group", sa.String(64), nullable=False),
        sa.Column("qty", sa.Numeric(14, 3), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("discount", sa.BigInteger, nullable=False),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("guest", sa.String(100)),
        sa.Column("sign", sa.SmallInteger, nullable=False),
    )
    op.create_index("ix_pos_chain_line_at", "pos_chain_line", ["at"],
                    postgresql_using="brin")
    op.create_index("ix_pos_chain_line_guest", "pos_chain_line", ["guest", "at"],
                    postgresql_where=sa.text("guest IS NOT NULL"))
    op.create_table(
        "pos_chain_sales_day",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("store", sa.String(32), primary_key=True),
        sa.Column("department", sa.SmallInteger, primary_key=True),
        sa.Column("lines", sa.BigInteger, nullable=False),
        sa.Column("qty", sa.Numeric(16, 3), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("discount", sa.BigInteger, nullable=False),
        sa.Column("returned", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "pos_chain_sales_hour",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("store", sa.String(32), primary_key=True),
        sa.Column("hour", sa.SmallInteger, primary_key=True),
        sa.Column("checks", sa.BigInteger, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "pos_chain_sales_item",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("item_code", sa.String(64), primary_key=True),
        sa.Column("item_group", sa.String(64), nullable=False),
        sa.Column("qty", sa.Numeric(16, 3), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pos_chain_sales_item")
    op.drop_table("pos_chain_sales_hour")
    op.drop_table("pos_chain_sales_day")
    op.drop_index("ix_pos_chain_line_guest", table_name="pos_chain_line")
    op.drop_index("ix_pos_chain_line_at", table_name="pos_chain_line")
    op.drop_table("pos_chain_line")
