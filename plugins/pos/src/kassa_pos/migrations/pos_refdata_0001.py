"""pos: the chain's reference data at the store (versions applied, inactive items).

Revision ID: pos_refdata_0001
Revises: pos_chain_0001
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "pos_refdata_0001"
down_revision = "pos_chain_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
