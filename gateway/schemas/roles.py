"""Role bodies."""

from depot.user.v1 import user_pb2
from pydantic import Field

from gateway.schemas.common import ApiModel


class RolePublic(ApiModel):
    name: str
    description: str
    permissions: list[str]

    @classmethod
    def from_proto(cls, role: user_pb2.Role) -> "RolePublic":
        return cls(name=role.name, description=role.description, permissions=list(role.permissions))


class RoleCreate(ApiModel):
    """Shape only: the user service owns the naming rules of roles and permissions."""

    name: str
    description: str = Field("", max_length=255)
    permissions: list[str] = []
