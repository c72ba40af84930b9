"""key-customer visits and complaints

Revision ID: c7a0visits01
Revises: c6b0returns1
Create Date: 2026-11-21 19:02:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7a0visits01'
down_revision = 'c6b0returns1'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
