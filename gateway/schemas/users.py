"""User bodies: the public view of a user (never a password hash) and the admin's changes."""

from datetime import datetime

from depot.user.v1 import user_pb2
from pydantic import StrictBool

from gateway.schemas.common import ApiModel, Name, Username
from libs.timestamps import from_timestamp


class UserPublic(ApiModel):
    id: str
    email: str
    username: str
    first_name: str | None
    last_name: str | None
    roles: list[str]
    is_active: bool
    created_at: datetime | None
    updated_at: datetime | None
    last_login_at: datetime | None

    @classmethod
    def from_proto(cls, user: user_pb2.User) -> "UserPublic":
        return cls(
            id=user.id, email=user.email, username=user.username,
            # proto3 has no null string: an empty name was never given
            first_name=user.first_name or None, last_name=user.last_name or None,
            roles=list(user.roles), is_active=user.is_active,
            created_at=from_timestamp(user, "created_at"), updated_at=from_timestamp(user, "updated_at"),
            last_login_at=from_timestamp(user, "last_login_at"),
        )


class UserUpdate(ApiModel):
    """PATCH /users/{id}: only the fields present are changed."""

    first_name: Name | None = None
    last_name: Name | None = None
    username: Username | None = None
    is_active: StrictBool | None = None  # not 0 or "yes", which the document does not allow either


class RolesAssignment(ApiModel):
    """PUT /users/{id}/roles: the user's roles become exactly these."""

    roles: list[str]
