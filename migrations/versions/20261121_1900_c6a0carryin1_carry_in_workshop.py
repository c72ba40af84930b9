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
    op.create_table('condition_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_type_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['product_type_id'], ['product_type.id'], name=op.f('fk_condition_check_product_type_id_product_type'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_condition_check'))
    )
    with op.batch_alter_table('condition_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_condition_check_product_type_id'), ['product_type_id'], unique=False)

    op.create_table('goods_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('accessories', sa.Text(), nullable=False),
    sa.Column('condition_note', sa.Text(), nullable=False),
    sa.Column('shelf', sa.String(length=30), nullable=False),
    sa.Column('state', sa.Enum('draft', 'taken_in', 'in_repair', 'repaired', 'inspected', 'returned', 'cancelled', name='goodsstate', native_enum=False, length=20), nullable=False),
    sa.Column('state_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('taken_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('repaired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('inspected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('inspected_by_id', sa.Integer(), nullable=True),
    sa.Column('inspection_note', sa.Text(), nullable=False),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['repair_case.id'], name=op.f('fk_goods_receipt_case_id_repair_case')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_goods_receipt_created_by_id_user')),
    sa.ForeignKeyConstraint(['inspected_by_id'], ['user.id'], name=op.f('fk_goods_receipt_inspected_by_id_user')),
    sa.ForeignKeyConstraint(['technician_id'], ['user.id'], name=op.f('fk_goods_receipt_technician_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goods_receipt')),
    sa.UniqueConstraint('number', name=op.f('uq_goods_receipt_number'))
    )
    with op.batch_alter_table('goods_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goods_receipt_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_goods_receipt_state'), ['state'], unique=False)
        batch_op.create_index('ix_goods_receipt_state_in', ['state', 'taken_in_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_goods_receipt_technician_id'), ['technician_id'], unique=False)

    op.create_table('goods_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('equipment_id', sa.Integer(), nullable=True),
    sa.Column('product_type_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=100), nullable=False),
    sa.Column('model', sa.String(length=60), nullable=False),
    sa.Column('serial', sa.String(length=60), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['equipment_id'], ['equipment.id'], name=op.f('fk_goods_item_equipment_id_equipment')),
    sa.ForeignKeyConstraint(['product_type_id'], ['product_type.id'], name=op.f('fk_goods_item_product_type_id_product_type')),
    sa.ForeignKeyConstraint(['receipt_id'], ['goods_receipt.id'], name=op.f('fk_goods_item_receipt_id_goods_receipt'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goods_item'))
    )
    with op.batch_alter_table('goods_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goods_item_receipt_id'), ['receipt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_goods_item_serial'), ['serial'], unique=False)

    op.create_table('goods_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('mime', sa.String(length=30), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['receipt_id'], ['goods_receipt.id'], name=op.f('fk_goods_photo_receipt_id_goods_receipt'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_goods_photo_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goods_photo'))
    )
    with op.batch_alter_table('goods_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goods_photo_receipt_id'), ['receipt_id'], unique=False)

    op.create_table('workshop_labour',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=True),
    sa.Column('worked_on', sa.Date(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('work', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['receipt_id'], ['goods_receipt.id'], name=op.f('fk_workshop_labour_receipt_id_goods_receipt'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['technician_id'], ['user.id'], name=op.f('fk_workshop_labour_technician_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop_labour'))
    )
    with op.batch_alter_table('workshop_labour', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_labour_receipt_id'), ['receipt_id'], unique=False)

    # The register's "in the workshop longer than N days" highlight (settings page).
    with op.batch_alter_table('department_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workshop_overdue_days', sa.Integer(), server_default='7', nullable=False))

    # The case's new state in_workshop (non-native enum, no CHECK: only the timestamp is new).
    with op.batch_alter_table('repair_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_workshop_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('repair_case', schema=None) as batch_op:
        batch_op.drop_column('in_workshop_at')
    with op.batch_alter_table('department_settings', schema=None) as batch_op:
        batch_op.drop_column('workshop_overdue_days')
    with op.batch_alter_table('workshop_labour', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workshop_labour_receipt_id'))
    op.drop_table('workshop_labour')
    with op.batch_alter_table('goods_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goods_photo_receipt_id'))
    op.drop_table('goods_photo')
    with op.batch_alter_table('goods_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goods_item_serial'))
        batch_op.drop_index(batch_op.f('ix_goods_item_receipt_id'))
    op.drop_table('goods_item')
    with op.batch_alter_table('goods_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goods_receipt_technician_id'))
        batch_op.drop_index('ix_goods_receipt_state_in')
        batch_op.drop_index(batch_op.f('ix_goods_receipt_state'))
        batch_op.drop_index(batch_op.f('ix_goods_receipt_case_id'))
    op.drop_table('goods_receipt')
    with op.batch_alter_table('condition_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_condition_check_product_type_id'))
    op.drop_table('condition_check')
