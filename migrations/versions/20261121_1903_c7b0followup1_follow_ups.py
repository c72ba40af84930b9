"""follow ups

Revision ID: c7b0followup1
Revises: c7a0visits01
Create Date: 2026-11-21 19:03:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7b0followup1'
down_revision = 'c7a0visits01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('service', 'guidance', name='followupkind', native_enum=False, length=20), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('service_ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.Enum('open', 'done', 'unreachable', name='followupstate', native_enum=False, length=20), nullable=False),
    sa.Column('reached_name', sa.String(length=60), nullable=False),
    sa.Column('solved', sa.Boolean(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('served_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['repair_case.id'], name=op.f('fk_follow_up_case_id_repair_case')),
    sa.ForeignKeyConstraint(['served_by_id'], ['user.id'], name=op.f('fk_follow_up_served_by_id_user')),
    sa.ForeignKeyConstraint(['staff_id'], ['user.id'], name=op.f('fk_follow_up_staff_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up')),
    sa.UniqueConstraint('number', name=op.f('uq_follow_up_number'))
    )
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_up_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_up_state'), ['state'], unique=False)
    op.create_table('follow_up_call',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('follow_up_id', sa.Integer(), nullable=False),
    sa.Column('called_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['follow_up_id'], ['follow_up.id'], name=op.f('fk_follow_up_call_follow_up_id_follow_up'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['user.id'], name=op.f('fk_follow_up_call_staff_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_call'))
    )
    with op.batch_alter_table('follow_up_call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_call_follow_up_id'), ['follow_up_id'], unique=False)


def downgrade():
    with op.batch_alter_table('follow_up_call', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_call_follow_up_id'))
    op.drop_table('follow_up_call')
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_state'))
        batch_op.drop_index(batch_op.f('ix_follow_up_due_at'))
        batch_op.drop_index(batch_op.f('ix_follow_up_case_id'))
    op.drop_table('follow_up')
