"""carry-in workshop: goods receipts, in/out register, repair cards

Revision ID: c6a0carryin1
Revises: ec20d3e8bb4c
Create Date: 2026-11-21 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c6a0carryin1'
down_revision = 'ec20d3e8bb4c'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
