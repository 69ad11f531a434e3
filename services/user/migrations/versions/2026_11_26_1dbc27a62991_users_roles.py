"""users, password history, roles (seeded with the default roles), user roles, outbox

Revision ID: 1dbc27a62991
Revises:
Create Date: 2026-11-26 09:50:35.519055
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from libs.auth import DEFAULT_ROLE_PERMISSIONS
from libs.events.outbox import create_event_tables, drop_event_tables

revision: str = "1dbc27a62991"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE_DESCRIPTIONS = {
    "admin": "Everything, including users and roles",
    "manager": "Runs the shop: catalog, stock, orders, shipping, reports, audit",
    "staff": "Day-to-day work on products, stock, orders and shipments",
    "customer": "Browses products and places orders",
}


def upgrade() -> None:
    create_event_tables()
    roles = op.create_table(
        "roles",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("permissions", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_roles")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("first_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("last_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("failed_login_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index("idx_user_email", "users", ["email"], unique=False)
    op.create_table(
        "password_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_password_history_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_history")),
    )
    op.create_index("ix_password_history_user_id_id", "password_history", ["user_id", "id"], unique=False)
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("role_name", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(["role_name"], ["roles.name"], name=op.f("fk_user_roles_role_name_roles"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_roles_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "role_name", name=op.f("pk_user_roles")),
    )
    op.create_index(op.f("ix_user_roles_role_name"), "user_roles", ["role_name"], unique=False)
    op.bulk_insert(roles, [
        {"name": name, "description": ROLE_DESCRIPTIONS.get(name, ""), "permissions": list(permissions)}
        for name, permissions in DEFAULT_ROLE_PERMISSIONS.items()
    ])


def downgrade() -> None:
    op.drop_table("user_roles")
    op.drop_table("password_history")
    op.drop_table("users")
    op.drop_table("roles")
    drop_event_tables()
