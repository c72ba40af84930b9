"""kpi month stamps

Revision ID: c8a0kpistamp
Revises: c7c0kpi00001
Create Date: 2026-11-22 00:01:00

One row per closed month whose KPI counts changed (portal/reports/models.py KpiStamp): the KPI cache
reuses a closed month's counts while its token stays the same. No rows to start with: a month without
a stamp is computed once per process and kept until a change stamps it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c8a0kpistamp'
down_revision = 'c7c0kpi00001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('kpi_stamp',
                    sa.Column('month', sa.Integer(), nullable=False),
                    sa.Column('token', sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint('month', name=op.f('pk_kpi_stamp')))


def downgrade():
    op.drop_table('kpi_stamp')
