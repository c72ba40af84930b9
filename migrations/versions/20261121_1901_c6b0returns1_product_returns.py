"""product returns: return slips and their ledger

Revision ID: c6b0returns1
Revises: c6a0carryin1
Create Date: 2026-11-21 19:01:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c6b0returns1'
down_revision = 'c6a0carryin1'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
