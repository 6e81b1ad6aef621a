"""pos: returns in any store (the centre's returned quantities, offline returns to reconcile).

Revision ID: pos_xreturns_0001
Revises: pos_refdata_0001
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "pos_xreturns_0001"
down_revision = "pos_refdata_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
