"""pos: payments, returns and shifts of the till (``engine/pay_tables.py`` describes them;
``tests/test_pay_tables.py`` checks that they agree).

Revision ID: pos_pay_0001
Revises: pos_checks_0001 (the checks)
"""
import sqlalchemy as sa
from alembic import op

revision = "pos_pay_0001"
down_revision = "pos_checks_0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pos_pay_attempt",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("check_id", sa.String(100), nullable=False),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("till", sa.String(64), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("plan", sa.Text, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.UniqueConstraint("check_id", "n", name="uq_pos_pay_attempt_check_n"),
    )
    op.create_index("ix_pos_pay_attempt_check_id", "pos_pay_attempt", ["check_id"])
    op.create_table(
        "pos_pay_sale",
        sa.Column("check_id", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("till", sa.String(64), nullable=False),
        sa.Column("shift", sa.Integer),
        sa.Column("number", sa.Integer),
        sa.Column("fn", sa.String(32)),
        sa.Column("fd", sa.Integer),
        sa.Column("fiscal_sign", sa.String(20)),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("change", sa.BigInteger, nullable=False),
        sa.Column("issued_at", _TS, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("receipt", sa.Text, nullable=False),
    )
    op.create_index("ix_pos_pay_sale_fiscal", "pos_pay_sale", ["fn", "fd"])
    op.create_index("ix_pos_pay_sale_number", "pos_pay_sale", ["site", "till", "number"])
    op.create_table(
        "pos_pay_sale_line",
        sa.Column("check_id", sa.String(100), primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("quantity", sa.Numeric(14, 3), nullable=False),
        sa.Column("returned", sa.Numeric(14, 3), nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("refunded", sa.BigInteger, nullable=False),
        sa.Column("bonus", sa.BigInteger, nullable=False),
        sa.Column("bonus_refunded", sa.BigInteger, nullable=False),
        sa.Column("line", sa.Text, nullable=False),
    )
    op.create_table(
        "pos_pay_tender",
        sa.Column("check_id", sa.String(100), primary_key=True),
        sa.Column("n", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("refunded", sa.BigInteger, nullable=False),
        sa.Column("result", sa.Text),
        sa.Column("tender", sa.Text, nullable=False),
    )
    op.create_table(
        "pos_pay_return",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("check_id", sa.String(100)),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("till", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("plan", sa.Text, nullable=False),
        sa.Column("document", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_pos_pay_return_check_id", "pos_pay_return", ["check_id"])
    op.create_table(
        "pos_pay_shift",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("till", sa.String(64), primary_key=True),
        sa.Column("n", sa.Integer, primary_key=True),
        sa.Column("fiscal_shift", sa.Integer),
        sa.Column("cashier", sa.String(64), nullable=False),
        sa.Column("opened_at", _TS, nullable=False),
        sa.Column("closed_at", _TS),
        sa.Column("float", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "pos_pay_cash",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("till", sa.String(64), nullable=False),
        sa.Column("shift", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("non_cash", sa.BigInteger, nullable=False),
        sa.Column("at", _TS, nullable=False),
    )
    op.create_index("ix_pos_pay_cash_shift", "pos_pay_cash", ["site", "till", "shift"])


def downgrade() -> None:
    for name in ("pos_pay_cash", "pos_pay_shift", "pos_pay_return", "pos_pay_tender",
                 "pos_pay_sale_line", "pos_pay_sale", "pos_pay_attempt"):
        op.drop_table(name)
