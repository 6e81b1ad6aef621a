"""The bonus plugin's own tables (own MetaData), with the ledger's rules written as constraints.
The database gets them from the plugin's alembic branch ``bonus`` (``migrations/``, run by the
core's store at start or by ``kassa db upgrade``); this module describes them for queries, and
``tests/test_migrations.py`` checks that the two agree.

What the database enforces: balances never below zero (credit: never below minus the limit),
holds never exceed what they reserve, a posting is never reversed beyond its amount, one
operation per (source, key), and entries / lot uses are append-only (triggers).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData()
MAX_BALANCE = 10**15  # kopecks / hundredths: every money column stays well inside 64 bits
_IN_DOMAIN = f"BETWEEN -{MAX_BALANCE} AND {MAX_BALANCE}"
# the integer-domain rule per table (migration bonus_0002 enforces it: constraints on
# PostgreSQL, triggers on SQLite, which also refuse a REAL the arithmetic overflowed into)
INTEGER_COLUMNS = {"bonus_account": ("balance", "held", "credit_limit", "earned"),
                   "bonus_posting": ("amount", "reversed"), "bonus_entry": ("amount",),
                   "bonus_lot": ("amount", "remaining"), "bonus_hold": ("amount", "captured")}


def _domain(table: str) -> CheckConstraint:
    cols = INTEGER_COLUMNS[table]
    return CheckConstraint(" AND ".join(f"{c} {_IN_DOMAIN}" for c in cols),
                           name=f"ck_{table.removeprefix('bonus_')}_integer_domain")


class UtcDateTime(TypeDecorator[datetime]):
    """Stored as UTC; read back timezone-aware on every dialect (SQLite forgets tz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the bonus ledger")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _id(name: str = "id") -> Column[str]:
    return Column(name, String(36), primary_key=True)


guest = Table(
    "bonus_guest", metadata,
    _id(),
    Column("name", String(200), nullable=False, default=""),
    Column("phone", String(20), unique=True),  # E.164, one guest per phone
    Column("email", String(200)),
    Column("birthday", Date),
    Column("groups", Text, nullable=False, default="[]"),  # JSON list
    Column("consent", Boolean, nullable=False, default=False),
    Column("unsubscribed", Boolean, nullable=False, default=False),
    Column("chat", String(100), unique=True),  # "channel:chat_id" of the guest's bot chat
    Column("source", String(100), nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_visit_at", UtcDateTime),
)

IDENTIFIER_KINDS = ("phone", "card", "qr", "barcode", "virtual")
IDENTIFIER_STATES = ("active", "blocked", "replaced", "expired")

identifier = Table(
    "bonus_identifier", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("guest_id", String(36), ForeignKey("bonus_guest.id"), nullable=False, index=True),
    Column("kind", String(10), nullable=False),
    Column("value", String(64), nullable=False),
    Column("status", String(10), nullable=False, default="active"),
    Column("reason", String(255)),
    Column("expires_at", UtcDateTime),
    Column("replaced_by", Integer, ForeignKey("bonus_identifier.id")),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("kind", "value", name="uq_bonus_identifier_value"),
    CheckConstraint("kind IN ('phone','card','qr','barcode','virtual')", name="ck_ident_kind"),
    CheckConstraint("status IN ('active','blocked','replaced','expired')", name="ck_ident_status"),
    CheckConstraint("status = 'active' OR reason IS NOT NULL", name="ck_ident_reason"),
)

ACCOUNT_KINDS = ("bonus", "debit", "credit", "system")

account = Table(
    "bonus_account", metadata,
    _id(),
    Column("guest_id", String(36), ForeignKey("bonus_guest.id"), index=True),
    Column("kind", String(10), nullable=False),
    Column("code", String(40), unique=True),  # system accounts: "issued", "settlement", ...
    Column("currency", String(3), nullable=False),  # pts | rub
    # posted; customer accounts only: a system account's is the sum of its entries (its row
    # stays 0, so postings never queue on the `issued` / `redeemed` row)
    Column("balance", BigInteger, nullable=False, default=0),
    Column("held", BigInteger, nullable=False, default=0),  # pending holds
    Column("credit_limit", BigInteger, nullable=False, default=0),
    Column("earned", BigInteger, nullable=False, default=0),  # lifetime earned: tiers use it
    Column("lock_version", Integer, nullable=False, default=0),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("guest_id", "kind", name="uq_bonus_account_guest_kind"),
    UniqueConstraint("id", "currency", name="uq_bonus_account_currency"),
    CheckConstraint("kind IN ('bonus','debit','credit','system')", name="ck_account_kind"),
    CheckConstraint("currency IN ('pts','rub')", name="ck_account_currency"),
    CheckConstraint("held >= 0", name="ck_account_held"),
    CheckConstraint("credit_limit >= 0", name="ck_account_limit"),
    CheckConstraint("kind = 'credit' OR credit_limit = 0", name="ck_account_limit_kind"),
    CheckConstraint("earned >= 0", name="ck_account_earned"),
    # the no-overdraft rule: customers never below zero, credit never below -limit
    CheckConstraint("kind = 'system' OR balance - held + credit_limit >= 0",
                    name="ck_account_no_overdraft"),
    CheckConstraint("(kind = 'system') = (guest_id IS NULL)", name="ck_account_owner"),
    _domain("bonus_account"),
)

operation = Table(
    "bonus_operation", metadata,
    _id(),
    Column("source", String(100), nullable=False),
    Column("key", String(255), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("params_hash", String(64), nullable=False),
    Column("result", Text, nullable=False),  # JSON: what the first call answered
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("source", "key", name="uq_bonus_operation_key"),
)

POSTING_KINDS = ("earn", "spend", "capture", "topup", "expire", "reversal", "refund", "adjust")

posting = Table(
    "bonus_posting", metadata,
    _id(),
    Column("operation_id", String(36), ForeignKey("bonus_operation.id"), nullable=False,
           index=True),
    Column("kind", String(10), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),  # what the guest's account moved, > 0
    Column("reversed", BigInteger, nullable=False, default=0),
    Column("reverses_id", String(36), ForeignKey("bonus_posting.id"), index=True),
    Column("guest_id", String(36), ForeignKey("bonus_guest.id"), index=True),
    Column("account_id", String(36), ForeignKey("bonus_account.id"), index=True),
    Column("site", String(40), nullable=False, default=""),
    Column("order_ref", String(100), nullable=False, default=""),
    Column("promo", String(40), nullable=False, default=""),
    Column("effective_at", UtcDateTime, nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("kind IN ('earn','spend','capture','topup','expire','reversal','refund',"
                    "'adjust')", name="ck_posting_kind"),
    CheckConstraint("amount > 0", name="ck_posting_amount"),
    # a posting is reversed at most once in full (or in parts summing to at most its amount)
    CheckConstraint("reversed >= 0 AND reversed <= amount", name="ck_posting_reversed"),
    _domain("bonus_posting"),
)

entry = Table(
    "bonus_entry", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("posting_id", String(36), ForeignKey("bonus_posting.id"), nullable=False, index=True),
    Column("account_id", String(36), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),  # + raises the account's balance
    ForeignKeyConstraint(["account_id", "currency"], ["bonus_account.id", "bonus_account.currency"],
                         name="fk_entry_account_currency"),
    CheckConstraint("amount <> 0", name="ck_entry_amount"),
    _domain("bonus_entry"),
)

lot = Table(
    "bonus_lot", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(36), ForeignKey("bonus_account.id"), nullable=False, index=True),
    Column("posting_id", String(36), ForeignKey("bonus_posting.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    Column("expires_at", UtcDateTime, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("amount > 0", name="ck_lot_amount"),
    CheckConstraint("remaining >= 0 AND remaining <= amount", name="ck_lot_remaining"),
    _domain("bonus_lot"),
)

lot_use = Table(
    "bonus_lot_use", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lot_id", Integer, ForeignKey("bonus_lot.id"), nullable=False, index=True),
    Column("posting_id", String(36), ForeignKey("bonus_posting.id"), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),  # + consumed, - given back (refund)
    CheckConstraint("amount <> 0", name="ck_lot_use_amount"),
)

HOLD_STATES = ("pending", "captured", "voided", "expired")

hold = Table(
    "bonus_hold", metadata,
    _id(),
    Column("operation_id", String(36), ForeignKey("bonus_operation.id"), nullable=False),
    Column("account_id", String(36), ForeignKey("bonus_account.id"), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("captured", BigInteger, nullable=False, default=0),
    Column("status", String(10), nullable=False, default="pending"),
    Column("capture_posting_id", String(36), ForeignKey("bonus_posting.id")),
    Column("site", String(40), nullable=False, default=""),
    Column("order_ref", String(100), nullable=False, default=""),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("amount > 0", name="ck_hold_amount"),
    CheckConstraint("captured >= 0 AND captured <= amount", name="ck_hold_captured"),
    CheckConstraint("status IN ('pending','captured','voided','expired')", name="ck_hold_status"),
    CheckConstraint("(status = 'captured') = (capture_posting_id IS NOT NULL)",
                    name="ck_hold_capture_posting"),
    _domain("bonus_hold"),
)

webhook = Table(
    "bonus_webhook", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("target", String(60), nullable=False),
    Column("event", String(40), nullable=False),
    Column("key", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_at", UtcDateTime, nullable=False, index=True),
    Column("status", String(10), nullable=False, default="pending"),
    Column("last_error", String(255)),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("target", "key", name="uq_bonus_webhook_key"),
    CheckConstraint("status IN ('pending','sent','dead')", name="ck_webhook_status"),
)
