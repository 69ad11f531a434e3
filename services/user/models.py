"""Users, their password history, roles and the user↔role link (DESIGN.md §7: `users` carries the index
`idx_user_email` and exactly two UNIQUE constraints, email and username)."""

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from libs.db import metadata
from libs.events.outbox import add_event_tables

EMAIL_MAX = 254  # RFC 5321 path limit; email-validator enforces it too
USERNAME_MAX = 50
NAME_MAX = 100
ROLE_NAME_MAX = 50


class Base(DeclarativeBase):
    metadata = metadata()


add_event_tables(Base.metadata)

user_roles = Table(
    "user_roles",
    Base.metadata,
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role_name", String(ROLE_NAME_MAX), ForeignKey("roles.name", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Role(Base):
    __tablename__ = "roles"

    name: Mapped[str] = mapped_column(String(ROLE_NAME_MAX), primary_key=True)
    description: Mapped[str] = mapped_column(Text, server_default="")
    permissions: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class User(Base):
    __tablename__ = "users"
    __table_args__ = (Index("idx_user_email", "email"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)  # stored lower-case
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)  # case-sensitive, as given
    password_hash: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(NAME_MAX), server_default="")
    last_name: Mapped[str] = mapped_column(String(NAME_MAX), server_default="")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    failed_login_attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped by every change to what a client sees (profile, activation, roles, password): the ETag.
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    roles: Mapped[list[Role]] = relationship(secondary=user_roles, lazy="selectin", order_by=Role.name)

    @property
    def role_names(self) -> list[str]:
        return [role.name for role in self.roles]

    @property
    def permissions(self) -> list[str]:
        return sorted({permission for role in self.roles for permission in role.permissions})


class PasswordHistory(Base):
    """The latest password hashes of a user, the current one included, so a change cannot reuse them."""

    __tablename__ = "password_history"
    __table_args__ = (Index("ix_password_history_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
