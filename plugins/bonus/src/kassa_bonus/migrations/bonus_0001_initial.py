"""bonus: the ledger's tables (guests, identifiers, accounts, operations, postings, entries,
lots, holds, webhooks) with the append-only triggers.

A database made by a version before this migration existed (``metadata.create_all`` and the
ad-hoc upgrade at each start) already has these tables: they are kept, the old upgrade is
applied once, and the revision is recorded.

Revision ID: bonus_0001
Revises:
Depends on: 0003 (the core's tables)
"""
import sqlalchemy as sa
from alembic import op

revision = "bonus_0001"
down_revision = None
branch_labels = ("bonus",)
depends_on = "0003"

APPEND_ONLY = ("bonus_entry", "bonus_lot_use")
_PG_FUNCTION = """CREATE OR REPLACE FUNCTION bonus_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$ LANGUAGE plpgsql"""


def upgrade() -> None:
    bind = op.get_bind()
    if not sa.inspect(bind).has_table("bonus_guest"):
        _create_tables()
    # what every start of the old version did after create_all (idempotent): system accounts
    # once kept a running balance; their entries hold it, the row's column stays 0
    op.execute("UPDATE bonus_account SET balance = 0 WHERE kind = 'system' AND balance <> 0")
    _triggers(bind.dialect.name)


def downgrade() -> None:
    for table in ("bonus_lot_use", "bonus_lot", "bonus_hold", "bonus_entry", "bonus_posting",
                  "bonus_identifier", "bonus_account", "bonus_webhook", "bonus_operation",
                  "bonus_guest"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS bonus_append_only()")


def _triggers(dialect: str) -> None:
    """Entries and lot uses are append-only; created if missing (an old database has them)."""
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            for what in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER IF NOT EXISTS {table}_no_{what.lower()} BEFORE "
                           f"{what} ON {table} BEGIN SELECT RAISE(ABORT, '{table} is "
                           f"append-only'); END")
        elif dialect == "postgresql":
            op.execute(_PG_FUNCTION)
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION bonus_append_only()")


def _create_tables() -> None:
    op.create_table('bonus_guest',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('birthday', sa.Date(), nullable=True),
    sa.Column('groups', sa.Text(), nullable=False),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('unsubscribed', sa.Boolean(), nullable=False),
    sa.Column('chat', sa.String(length=100), nullable=True),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_visit_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('chat'),
    sa.UniqueConstraint('phone')
    )
    op.create_table('bonus_operation',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('params_hash', sa.String(length=64), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'key', name='uq_bonus_operation_key')
    )
    op.create_table('bonus_webhook',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('target', sa.String(length=60), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('last_error', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending','sent','dead')", name='ck_webhook_status'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('target', 'key', name='uq_bonus_webhook_key')
    )
    op.create_index('ix_bonus_webhook_next_at', 'bonus_webhook', ['next_at'])
    op.create_table('bonus_account',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('guest_id', sa.String(length=36), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('held', sa.BigInteger(), nullable=False),
    sa.Column('credit_limit', sa.BigInteger(), nullable=False),
    sa.Column('earned', sa.BigInteger(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'system') = (guest_id IS NULL)", name='ck_account_owner'),
    sa.CheckConstraint("currency IN ('pts','rub')", name='ck_account_currency'),
    sa.CheckConstraint("kind = 'credit' OR credit_limit = 0", name='ck_account_limit_kind'),
    sa.CheckConstraint("kind = 'system' OR balance - held + credit_limit >= 0",
                       name='ck_account_no_overdraft'),
    sa.CheckConstraint("kind IN ('bonus','debit','credit','system')", name='ck_account_kind'),
    sa.CheckConstraint('credit_limit >= 0', name='ck_account_limit'),
    sa.CheckConstraint('earned >= 0', name='ck_account_earned'),
    sa.CheckConstraint('held >= 0', name='ck_account_held'),
    sa.ForeignKeyConstraint(['guest_id'], ['bonus_guest.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('guest_id', 'kind', name='uq_bonus_account_guest_kind'),
    sa.UniqueConstraint('id', 'currency', name='uq_bonus_account_currency')
    )
    op.create_index('ix_bonus_account_guest_id', 'bonus_account', ['guest_id'])
    op.create_table('bonus_identifier',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('guest_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replaced_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('phone','card','qr','barcode','virtual')", name='ck_ident_kind'),
    sa.CheckConstraint("status = 'active' OR reason IS NOT NULL", name='ck_ident_reason'),
    sa.CheckConstraint("status IN ('active','blocked','replaced','expired')",
                       name='ck_ident_status'),
    sa.ForeignKeyConstraint(['guest_id'], ['bonus_guest.id'], ),
    sa.ForeignKeyConstraint(['replaced_by'], ['bonus_identifier.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'value', name='uq_bonus_identifier_value')
    )
    op.create_index('ix_bonus_identifier_guest_id', 'bonus_identifier', ['guest_id'])
    op.create_table('bonus_posting',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('operation_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reversed', sa.BigInteger(), nullable=False),
    sa.Column('reverses_id', sa.String(length=36), nullable=True),
    sa.Column('guest_id', sa.String(length=36), nullable=True),
    sa.Column('account_id', sa.String(length=36), nullable=True),
    sa.Column('site', sa.String(length=40), nullable=False),
    sa.Column('order_ref', sa.String(length=100), nullable=False),
    sa.Column('promo', sa.String(length=40), nullable=False),
    sa.Column('effective_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('earn','spend','capture','topup','expire','reversal','refund',"
                       "'adjust')",
                       name='ck_posting_kind'),
    sa.CheckConstraint('amount > 0', name='ck_posting_amount'),
    sa.CheckConstraint('reversed >= 0 AND reversed <= amount', name='ck_posting_reversed'),
    sa.ForeignKeyConstraint(['account_id'], ['bonus_account.id'], ),
    sa.ForeignKeyConstraint(['guest_id'], ['bonus_guest.id'], ),
    sa.ForeignKeyConstraint(['operation_id'], ['bonus_operation.id'], ),
    sa.ForeignKeyConstraint(['reverses_id'], ['bonus_posting.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_bonus_posting_account_id', 'bonus_posting', ['account_id'])
    op.create_index('ix_bonus_posting_effective_at', 'bonus_posting', ['effective_at'])
    op.create_index('ix_bonus_posting_guest_id', 'bonus_posting', ['guest_id'])
    op.create_index('ix_bonus_posting_operation_id', 'bonus_posting', ['operation_id'])
    op.create_index('ix_bonus_posting_reverses_id', 'bonus_posting', ['reverses_id'])
    op.create_table('bonus_entry',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('posting_id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount <> 0', name='ck_entry_amount'),
    sa.ForeignKeyConstraint(['account_id', 'currency'],
                            ['bonus_account.id', 'bonus_account.currency'],
                            name='fk_entry_account_currency'),
    sa.ForeignKeyConstraint(['posting_id'], ['bonus_posting.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_bonus_entry_account_id', 'bonus_entry', ['account_id'])
    op.create_index('ix_bonus_entry_posting_id', 'bonus_entry', ['posting_id'])
    op.create_table('bonus_hold',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('operation_id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('captured', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('capture_posting_id', sa.String(length=36), nullable=True),
    sa.Column('site', sa.String(length=40), nullable=False),
    sa.Column('order_ref', sa.String(length=100), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'captured') = (capture_posting_id IS NOT NULL)",
                       name='ck_hold_capture_posting'),
    sa.CheckConstraint("status IN ('pending','captured','voided','expired')",
                       name='ck_hold_status'),
    sa.CheckConstraint('amount > 0', name='ck_hold_amount'),
    sa.CheckConstraint('captured >= 0 AND captured <= amount', name='ck_hold_captured'),
    sa.ForeignKeyConstraint(['account_id'], ['bonus_account.id'], ),
    sa.ForeignKeyConstraint(['capture_posting_id'], ['bonus_posting.id'], ),
    sa.ForeignKeyConstraint(['operation_id'], ['bonus_operation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_bonus_hold_account_id', 'bonus_hold', ['account_id'])
    op.create_index('ix_bonus_hold_expires_at', 'bonus_hold', ['expires_at'])
    op.create_table('bonus_lot',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('posting_id', sa.String(length=36), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('remaining', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name='ck_lot_amount'),
    sa.CheckConstraint('remaining >= 0 AND remaining <= amount', name='ck_lot_remaining'),
    sa.ForeignKeyConstraint(['account_id'], ['bonus_account.id'], ),
    sa.ForeignKeyConstraint(['posting_id'], ['bonus_posting.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_bonus_lot_account_id', 'bonus_lot', ['account_id'])
    op.create_index('ix_bonus_lot_expires_at', 'bonus_lot', ['expires_at'])
    op.create_table('bonus_lot_use',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('posting_id', sa.String(length=36), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount <> 0', name='ck_lot_use_amount'),
    sa.ForeignKeyConstraint(['lot_id'], ['bonus_lot.id'], ),
    sa.ForeignKeyConstraint(['posting_id'], ['bonus_posting.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_bonus_lot_use_lot_id', 'bonus_lot_use', ['lot_id'])
    op.create_index('ix_bonus_lot_use_posting_id', 'bonus_lot_use', ['posting_id'])
