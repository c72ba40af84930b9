"""kpi columns and indexes

Revision ID: c7c0kpi00001
Revises: c7b0followup1
Create Date: 2026-11-21 19:04:00

The department KPIs (portal/reports/models.py explains each column): small integers derived from a
case's own timestamps, its last rating, and the covering indexes the KPI page aggregates over.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7c0kpi00001'
down_revision = 'c7b0followup1'
branch_labels = None
depends_on = None

# The department's zone (Asia/Shanghai, UTC+8 all year): a case's day is its local day.
LOCAL_ZONE = 'Asia/Shanghai'
LOCAL_OFFSET = '+8 hours'

KPI_INDEX = ['kpi_day', 'technician_id', 'kpi_ontime', 'kpi_dispatch_ok', 'rating', 'kpi_response_min',
             'kpi_repair_min']


def _sql(dialect: str) -> dict[str, str]:
    if dialect == 'postgresql':
        day = f"CAST(to_char(received_at AT TIME ZONE '{LOCAL_ZONE}', 'YYYYMMDD') AS INTEGER)"

        def minutes(start, end):
            return f"CAST(floor(extract(epoch FROM ({end} - {start})) / 60) AS INTEGER)"
    else:
        day = f"CAST(strftime('%Y%m%d', received_at, '{LOCAL_OFFSET}') AS INTEGER)"

        def minutes(start, end):
            return f"CAST((julianday({end}) - julianday({start})) * 1440 + 1e-6 AS INTEGER)"
    return {
        'kpi_day': f"CASE WHEN state = 'cancelled' THEN NULL ELSE {day} END",
        'kpi_ontime': "CASE WHEN on_site_at IS NULL THEN NULL "
                      "WHEN onsite_due_at IS NULL OR on_site_at <= onsite_due_at THEN 1 ELSE 0 END",
        'kpi_dispatch_ok': "CASE WHEN dispatched_at IS NULL THEN NULL "
                           "WHEN dispatch_due_at IS NULL OR dispatched_at <= dispatch_due_at THEN 1 ELSE 0 END",
        'kpi_response_min': "CASE WHEN on_site_at IS NULL THEN NULL WHEN on_site_at <= received_at THEN 0 "
                            f"ELSE {minutes('received_at', 'on_site_at')} END",
        'kpi_repair_min': "CASE WHEN on_site_at IS NULL OR completed_at IS NULL THEN NULL "
                          f"WHEN completed_at <= on_site_at THEN 0 ELSE {minutes('on_site_at', 'completed_at')} END",
        # The rating of the case's last signed repair receipt (an amendment's when it was corrected).
        'rating': "(SELECT s.rating FROM signature s JOIN repair_receipt r ON r.id = s.document_id "
                  "WHERE s.document_type = 'repair_receipt' AND r.case_id = repair_case.id AND s.rating IS NOT NULL "
                  "ORDER BY s.signed_at DESC, s.id DESC LIMIT 1)",
    }


def upgrade():
    with op.batch_alter_table('repair_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('kpi_day', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('kpi_ontime', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('kpi_dispatch_ok', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('kpi_response_min', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('kpi_repair_min', sa.Integer(), nullable=True))

    values = _sql(op.get_bind().dialect.name)
    op.execute("UPDATE repair_case SET " + ", ".join(f"{name} = {expression}" for name, expression in values.items()))

    with op.batch_alter_table('repair_case', schema=None) as batch_op:
        batch_op.create_index('ix_repair_case_kpi', KPI_INDEX, unique=False)
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index('ix_follow_up_kpi', ['due_at', 'done_at', 'state'], unique=False)


def downgrade():
    op.drop_index('ix_follow_up_kpi', table_name='follow_up')
    op.drop_index('ix_repair_case_kpi', table_name='repair_case')
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): a batch copy of repair_case would have to drop
    # a table other tables point at, which the foreign keys refuse once there are rows.
    for name in ('kpi_repair_min', 'kpi_response_min', 'kpi_dispatch_ok', 'kpi_ontime', 'kpi_day', 'rating'):
        op.drop_column('repair_case', name)
