"""The pay, return and shift records of the till (SQLAlchemy Core tables; created by the
migration ``kassa_pos/migrations/pos_pay_0001_*.py``, which must agree with these).

- ``pos_pay_attempt``: one try at paying a check, written BEFORE any money moves: the receipt
  and the charges as planned, so a retry after a crash or ``RetryLater`` replays exactly the
  same request under the same journal keys (the journal refuses a key with another request).
- ``pos_pay_sale`` / ``pos_pay_sale_line`` / ``pos_pay_tender``: what was sold and how it
  was paid, once fiscalised; ``returned`` / ``refunded`` grow with every return under a
  guarded UPDATE, so a line can never be returned twice, even from two tills at once.
- ``pos_pay_return``: one return (its plan, then its refund receipt).
- ``pos_pay_shift`` / ``pos_pay_cash``: the till's shifts and cash moves (the X figures).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

attempt = sa.Table(
    "pos_pay_attempt", metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("check_id", sa.String(100), nullable=False, index=True),
    sa.Column("site", sa.String(64), nullable=False),
    sa.Column("till", sa.String(64), nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | done | failed
    sa.Column("plan", sa.Text, nullable=False),  # JSON: draft, tenders, receipt, charges
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("check_id", "n", name="uq_pos_pay_attempt_check_n"),
)

sale = sa.Table(
    "pos_pay_sale", metadata,
    sa.Column("check_id", sa.String(100), primary_key=True),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("site", sa.String(64), nullable=False),
    sa.Column("till", sa.String(64), nullable=False),
    sa.Column("shift", sa.Integer),  # the register's shift (1038)
    sa.Column("number", sa.Integer),  # the till's check number
    sa.Column("fn", sa.String(32)),  # 1041
    sa.Column("fd", sa.Integer),  # 1040
    sa.Column("fiscal_sign", sa.String(20)),  # 1077
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("change", sa.BigInteger, nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("document", sa.Text, nullable=False),  # JSON FiscalDocument
    sa.Column("receipt", sa.Text, nullable=False),  # JSON Receipt as fiscalised
    sa.Index("ix_pos_pay_sale_fiscal", "fn", "fd"),
    sa.Index("ix_pos_pay_sale_number", "site", "till", "number"),
)

sale_line = sa.Table(
    "pos_pay_sale_line", metadata,
    sa.Column("check_id", sa.String(100), primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),  # 0-based, the draft's order
    sa.Column("item_code", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("quantity", sa.Numeric(14, 3), nullable=False),
    sa.Column("returned", sa.Numeric(14, 3), nullable=False),
    sa.Column("total", sa.BigInteger, nullable=False),  # on the receipt (1043 summed)
    sa.Column("refunded", sa.BigInteger, nullable=False),
    sa.Column("bonus", sa.BigInteger, nullable=False),  # bonus spent on it, as a discount
    sa.Column("bonus_refunded", sa.BigInteger, nullable=False),
    sa.Column("line", sa.Text, nullable=False),  # JSON SaleLine
)

tender = sa.Table(
    "pos_pay_tender", metadata,
    sa.Column("check_id", sa.String(100), primary_key=True),
    sa.Column("n", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(64), nullable=False),  # cash | card | bonus | ...
    sa.Column("amount", sa.BigInteger, nullable=False),  # net of change
    sa.Column("refunded", sa.BigInteger, nullable=False),
    sa.Column("result", sa.Text),  # JSON CardResult / PaymentResult
    sa.Column("tender", sa.Text, nullable=False),  # JSON Tender
)

return_ = sa.Table(
    "pos_pay_return", metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("check_id", sa.String(100), index=True),  # None: a return without a receipt
    sa.Column("site", sa.String(64), nullable=False),
    sa.Column("till", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | done | failed
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("plan", sa.Text, nullable=False),
    sa.Column("document", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

shift = sa.Table(
    "pos_pay_shift", metadata,
    sa.Column("site", sa.String(64), primary_key=True),
    sa.Column("till", sa.String(64), primary_key=True),
    sa.Column("n", sa.Integer, primary_key=True),  # the till's own count
    sa.Column("fiscal_shift", sa.Integer),  # 1038
    sa.Column("cashier", sa.String(64), nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Column("float", sa.BigInteger, nullable=False),  # cash in the drawer at open
)

cash = sa.Table(
    "pos_pay_cash", metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("site", sa.String(64), nullable=False),
    sa.Column("till", sa.String(64), nullable=False),
    sa.Column("shift", sa.Integer, nullable=False),  # pos_pay_shift.n
    # sale | refund | in | out: what moved cash, signed by kind when summed
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("non_cash", sa.BigInteger, nullable=False),  # card etc. of a sale / refund
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_pos_pay_cash_shift", "site", "till", "shift"),
)

__all__ = ["attempt", "cash", "metadata", "return_", "sale", "sale_line", "shift", "tender"]
