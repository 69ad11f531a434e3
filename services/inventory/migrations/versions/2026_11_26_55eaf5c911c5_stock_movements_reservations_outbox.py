"""stock movements reservations outbox

Revision ID: 55eaf5c911c5
Revises: 
Create Date: 2026-11-26 09:53:14.323764
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from libs.events.outbox import create_event_tables, drop_event_tables
from libs.idempotency import create_idempotency_table, drop_idempotency_table

revision: str = '55eaf5c911c5'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_event_tables()
    create_idempotency_table()
    op.create_table('stock',
    sa.Column('product_id', sa.UUID(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('reorder_level', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=100), nullable=False),
    sa.Column('low_stock_alerted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('last_restocked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.CheckConstraint('quantity >= reserved', name=op.f('ck_stock_reserved_within_quantity')),
    sa.CheckConstraint('reorder_level >= 0', name=op.f('ck_stock_reorder_level_not_negative')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_stock_reserved_not_negative')),
    sa.PrimaryKeyConstraint('product_id', name=op.f('pk_stock'))
    )
    op.create_index('ix_stock_location', 'stock', ['location'], unique=False)
    op.create_table('reservations',
    sa.Column('order_id', sa.UUID(), nullable=False),
    sa.Column('product_id', sa.UUID(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('RESERVED', 'COMMITTED', 'RELEASED', 'RETURNED')",
                       name=op.f('ck_reservations_status_known')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_reservations_quantity_positive')),
    sa.ForeignKeyConstraint(['product_id'], ['stock.product_id'], name=op.f('fk_reservations_product_id_stock')),
    sa.PrimaryKeyConstraint('order_id', 'product_id', name=op.f('pk_reservations'))
    )
    op.create_index('ix_reservations_product_id', 'reservations', ['product_id'], unique=False)
    op.create_table('stock_movements',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('product_id', sa.UUID(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('previous_quantity', sa.Integer(), nullable=False),
    sa.Column('new_quantity', sa.Integer(), nullable=False),
    sa.Column('reference_id', sa.String(length=100), server_default='', nullable=False),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("type IN ('RECEIVED', 'SOLD', 'ADJUSTED', 'RETURNED', 'DAMAGED', 'RESERVED', 'RELEASED')",
                       name=op.f('ck_stock_movements_type_known')),
    sa.ForeignKeyConstraint(['product_id'], ['stock.product_id'], name=op.f('fk_stock_movements_product_id_stock')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movements'))
    )
    op.create_index('ix_stock_movements_product_id_created_at', 'stock_movements', ['product_id', 'created_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_stock_movements_product_id_created_at', table_name='stock_movements')
    op.drop_table('stock_movements')
    op.drop_index('ix_reservations_product_id', table_name='reservations')
    op.drop_table('reservations')
    op.drop_index('ix_stock_location', table_name='stock')
    op.drop_table('stock')
    drop_event_tables()
    drop_idempotency_table()
