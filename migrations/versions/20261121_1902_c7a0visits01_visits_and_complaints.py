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
    op.create_table('visit_schedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.Enum('monthly', 'quarterly', 'custom', name='visitfrequency', native_enum=False, length=20), nullable=False),
    sa.Column('interval_days', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('responsible_id', sa.Integer(), nullable=True),
    sa.Column('last_visit_on', sa.Date(), nullable=True),
    sa.Column('next_due_on', sa.Date(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_visit_schedule_customer_id_customer')),
    sa.ForeignKeyConstraint(['responsible_id'], ['user.id'], name=op.f('fk_visit_schedule_responsible_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_schedule')),
    sa.UniqueConstraint('customer_id', name=op.f('uq_visit_schedule_customer_id'))
    )
    with op.batch_alter_table('visit_schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_schedule_next_due_on'), ['next_due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_schedule_responsible_id'), ['responsible_id'], unique=False)
    op.create_table('visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=True),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('region', sa.String(length=30), nullable=False),
    sa.Column('other_visitors', sa.String(length=200), nullable=False),
    sa.Column('people_met', sa.String(length=200), nullable=False),
    sa.Column('equipment_usage', sa.Text(), nullable=False),
    sa.Column('design_opinion', sa.Text(), nullable=False),
    sa.Column('assembly_opinion', sa.Text(), nullable=False),
    sa.Column('process_opinion', sa.Text(), nullable=False),
    sa.Column('other_feedback', sa.Text(), nullable=False),
    sa.Column('followup_needed', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_visit_customer_id_customer')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_visit_recorded_by_id_user')),
    sa.ForeignKeyConstraint(['schedule_id'], ['visit_schedule.id'], name=op.f('fk_visit_schedule_id_visit_schedule')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit')),
    sa.UniqueConstraint('number', name=op.f('uq_visit_number'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_schedule_id'), ['schedule_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_visited_on'), ['visited_on'], unique=False)
    op.create_table('complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.Enum('call', 'letter', 'visit', name='channel', native_enum=False, length=20), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('complainant', sa.String(length=60), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('received', 'investigating', 'solution_proposed', 'opinion_recorded', 'closed', name='complaintstate', native_enum=False, length=20), nullable=False),
    sa.Column('state_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('investigating_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('solution_proposed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_reply_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opinion_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('responsible_kind', sa.Enum('department', 'person', 'external', 'undetermined', name='responsiblekind', native_enum=False, length=20), nullable=True),
    sa.Column('responsible_party', sa.String(length=100), nullable=False),
    sa.Column('responsible_user_id', sa.Integer(), nullable=True),
    sa.Column('investigation_notes', sa.Text(), nullable=False),
    sa.Column('solution', sa.Text(), nullable=False),
    sa.Column('customer_satisfied', sa.Boolean(), nullable=True),
    sa.Column('customer_opinion', sa.Text(), nullable=False),
    sa.Column('caused_by_service', sa.Boolean(), nullable=False),
    sa.Column('compensation_note', sa.Text(), nullable=False),
    sa.Column('compensation_amount', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('closing_note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['repair_case.id'], name=op.f('fk_complaint_case_id_repair_case')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_complaint_customer_id_customer')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['user.id'], name=op.f('fk_complaint_registered_by_id_user')),
    sa.ForeignKeyConstraint(['responsible_user_id'], ['user.id'], name=op.f('fk_complaint_responsible_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint')),
    sa.UniqueConstraint('number', name=op.f('uq_complaint_number'))
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_state'), ['state'], unique=False)
        batch_op.create_index('ix_complaint_state_received', ['state', 'received_at'], unique=False)
    op.create_table('visit_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('done_note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['done_by_id'], ['user.id'], name=op.f('fk_visit_action_done_by_id_user')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_visit_action_owner_id_user')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_visit_action_visit_id_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_action'))
    )
    with op.batch_alter_table('visit_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_action_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_action_visit_id'), ['visit_id'], unique=False)
    op.create_table('visit_unit_usage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('equipment_id', sa.Integer(), nullable=False),
    sa.Column('usage', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['equipment_id'], ['equipment.id'], name=op.f('fk_visit_unit_usage_equipment_id_equipment')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_visit_unit_usage_visit_id_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_unit_usage'))
    )
    with op.batch_alter_table('visit_unit_usage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_unit_usage_visit_id'), ['visit_id'], unique=False)
    op.create_table('visit_visitor',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_visit_visitor_user_id_user')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_visit_visitor_visit_id_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visit_id', 'user_id', name=op.f('pk_visit_visitor'))
    )
    with op.batch_alter_table('visit_visitor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_visitor_user_id'), ['user_id'], unique=False)
    op.create_table('complaint_staff',
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_complaint_staff_complaint_id_complaint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_complaint_staff_user_id_user')),
    sa.PrimaryKeyConstraint('complaint_id', 'user_id', name=op.f('pk_complaint_staff'))
    )
    with op.batch_alter_table('complaint_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_staff_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('complaint_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_staff_user_id'))
    op.drop_table('complaint_staff')
    with op.batch_alter_table('visit_visitor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_visitor_user_id'))
    op.drop_table('visit_visitor')
    with op.batch_alter_table('visit_unit_usage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_unit_usage_visit_id'))
    op.drop_table('visit_unit_usage')
    with op.batch_alter_table('visit_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_action_visit_id'))
        batch_op.drop_index(batch_op.f('ix_visit_action_owner_id'))
    op.drop_table('visit_action')
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_state_received')
        batch_op.drop_index(batch_op.f('ix_complaint_state'))
        batch_op.drop_index(batch_op.f('ix_complaint_received_at'))
        batch_op.drop_index(batch_op.f('ix_complaint_customer_id'))
        batch_op.drop_index(batch_op.f('ix_complaint_case_id'))
    op.drop_table('complaint')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_visited_on'))
        batch_op.drop_index(batch_op.f('ix_visit_schedule_id'))
        batch_op.drop_index(batch_op.f('ix_visit_customer_id'))
    op.drop_table('visit')
    with op.batch_alter_table('visit_schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_schedule_responsible_id'))
        batch_op.drop_index(batch_op.f('ix_visit_schedule_next_due_on'))
    op.drop_table('visit_schedule')
