"""pos: the store's chain outbox and the centre's documents, per-till positions and parked
documents (``chain/outbox.py`` and ``chain/ingest.py`` describe them;
``tests/test_chain.py`` checks that they agree).

Revision ID: pos_chain_0001
Revises: pos_messages_0001 (the message system)
"""
import sqlalchemy as sa
from alembic import op

revision = "pos_chain_0001"
down_revision = "pos_messages_0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pos_chain_doc",
        sa.Column("doc_id", sa.String(200), primary_key=True),
        sa.Column("store", sa.String(32), nullable=False),
        sa.Column("till", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("received_at", _TS, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.UniqueConstraint("store", "till", "seq", name="uq_pos_chain_doc_till_seq"),
    )
    op.create_table(
        "pos_chain_till",
        sa.Column("store", sa.String(32), primary_key=True),
        sa.Column("till", sa.String(64), primary_key=True),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("last_at", _TS, nullable=False),
        sa.Column("seen_at", _TS, nullable=False),
    )
    op.create_table(
        "pos_chain_parked",
        sa.Column("store", sa.String(32), primary_key=True),
        sa.Column("till", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(  # the store's outbox (chain/outbox.py)
        "pos_chain_out",
        sa.Column("n", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("doc_id", sa.String(200), nullable=False, unique=True),
        sa.Column("till", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in ("pos_chain_out", "pos_chain_parked", "pos_chain_till", "pos_chain_doc"):
        op.drop_table(name)
