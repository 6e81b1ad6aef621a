"""pos: the chain's reference data (``chain/refdata.py``): at the centre the packages
published and each store's applied version, at the store the versions applied, the packages
refused and the items a full package removed (``engine/catalog_import.py``). Both sides get
every table; each uses its own (``tests/test_chain_refdata.py`` checks they agree).

Revision ID: pos_refdata_0001
Revises: pos_chain_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "pos_refdata_0001"
down_revision = "pos_chain_0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(  # the centre: one row per published package, version per kind
        "pos_ref_package",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("version", sa.BigInteger, primary_key=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("stores", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(  # the centre: the version each store reported applied
        "pos_ref_store",
        sa.Column("store", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("applied_at", _TS, nullable=False),
    )
    op.create_table(  # the store: the packages applied
        "pos_ref_applied",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("version", sa.BigInteger, primary_key=True),
        sa.Column("applied_at", _TS, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(  # the store: the packages refused (bad data), the previous one kept
        "pos_ref_failed",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("version", sa.BigInteger, primary_key=True),
        sa.Column("failed_at", _TS, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
    )
    op.create_table(  # the store: items a full catalog package removed
        "pos_item_inactive",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("removed_at", _TS, nullable=False),
    )


def downgrade() -> None:
    for name in ("pos_item_inactive", "pos_ref_failed", "pos_ref_applied", "pos_ref_store",
                 "pos_ref_package"):
        op.drop_table(name)
