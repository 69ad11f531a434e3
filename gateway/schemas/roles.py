"""Role bodies."""

from depot.user.v1 import user_pb2
from pydantic import Field

from gateway.schemas.common import ApiModel, NonEmpty


class RolePublic(ApiModel):
    name: str
    description: str
    permissions: list[str]

    @classmethod
    def from_proto(cls, role: user_pb2.Role) -> "RolePublic":
        return cls(name=role.name, description=role.description, permissions=list(role.permissions))


class RoleCreate(ApiModel):
    name: NonEmpty = Field(max_length=50)
    description: str = Field("", max_length=255)
    permissions: list[NonEmpty] = []
