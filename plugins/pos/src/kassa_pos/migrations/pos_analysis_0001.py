"""pos: the centre's sales lines for chain-wide analysis in PostgreSQL.

Revision ID: pos_analysis_0001
Revises: pos_xreturns_0001
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "pos_analysis_0001"
down_revision = "pos_xreturns_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
