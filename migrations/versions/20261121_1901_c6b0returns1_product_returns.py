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


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=20)


def upgrade():
    op.create_table('return_slip',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('equipment_id', sa.Integer(), nullable=True),
    sa.Column('product_type_id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=60), nullable=False),
    sa.Column('serial', sa.String(length=60), nullable=False),
    sa.Column('sale_reference', sa.String(length=40), nullable=False),
    sa.Column('sale_date', sa.Date(), nullable=True),
    sa.Column('quantity_sold', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reason', _enum('returnreason', 'quality_defect', 'transport_damage', 'wrong_item', 'misuse', 'other'),
              nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('outcome', _enum('returnoutcome', 'refund', 'exchange', 'repair'), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('state', _enum('returnstate', 'requested', 'approved', 'rejected', 'received', 'inspected', 'resolved',
                             'closed', 'cancelled'), nullable=False),
    sa.Column('state_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_by_id', sa.Integer(), nullable=True),
    sa.Column('quantity_received', sa.Integer(), nullable=True),
    sa.Column('condition', sa.Text(), nullable=False),
    sa.Column('receive_note', sa.Text(), nullable=False),
    sa.Column('inspected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('inspected_by_id', sa.Integer(), nullable=True),
    sa.Column('inspection_result', sa.Text(), nullable=False),
    sa.Column('responsibility', _enum('responsibility', 'manufacturer', 'transport', 'customer', 'undetermined'),
              nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', _enum('resolution', 'exchanged', 'refunded', 'repaired'), nullable=True),
    sa.Column('refund_amount', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('exchange_serial', sa.String(length=60), nullable=False),
    sa.Column('repair_case_id', sa.Integer(), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_return_slip_customer_id_customer')),
    sa.ForeignKeyConstraint(['equipment_id'], ['equipment.id'], name=op.f('fk_return_slip_equipment_id_equipment')),
    sa.ForeignKeyConstraint(['inspected_by_id'], ['user.id'], name=op.f('fk_return_slip_inspected_by_id_user')),
    sa.ForeignKeyConstraint(['product_type_id'], ['product_type.id'], name=op.f('fk_return_slip_product_type_id_product_type')),
    sa.ForeignKeyConstraint(['received_by_id'], ['user.id'], name=op.f('fk_return_slip_received_by_id_user')),
    sa.ForeignKeyConstraint(['repair_case_id'], ['repair_case.id'], name=op.f('fk_return_slip_repair_case_id_repair_case')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_return_slip_requested_by_id_user')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user.id'], name=op.f('fk_return_slip_resolved_by_id_user')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user.id'], name=op.f('fk_return_slip_reviewed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_slip')),
    sa.UniqueConstraint('number', name=op.f('uq_return_slip_number'))
    )
    with op.batch_alter_table('return_slip', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_slip_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_slip_product_type_id'), ['product_type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_slip_reason'), ['reason'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_slip_requested_at'), ['requested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_slip_serial'), ['serial'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_slip_state'), ['state'], unique=False)

    op.create_table('return_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slip_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('mime', sa.String(length=20), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['slip_id'], ['return_slip.id'], name=op.f('fk_return_photo_slip_id_return_slip'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_return_photo_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_photo'))
    )
    with op.batch_alter_table('return_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_photo_slip_id'), ['slip_id'], unique=False)


def downgrade():
    with op.batch_alter_table('return_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_photo_slip_id'))
    op.drop_table('return_photo')
    with op.batch_alter_table('return_slip', schema=None) as batch_op:
        for name in ('state', 'serial', 'requested_at', 'reason', 'product_type_id', 'customer_id'):
            batch_op.drop_index(batch_op.f(f'ix_return_slip_{name}'))
    op.drop_table('return_slip')
