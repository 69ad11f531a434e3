"""/api/roles: roles and the permissions they grant."""

from depot.user.v1 import user_pb2
from fastapi import APIRouter, status

from gateway.deps import RequirePermission, UserStub
from gateway.schemas.common import error_responses
from gateway.schemas.roles import RoleCreate, RolePublic

router = APIRouter(prefix="/roles", tags=["roles"], responses=error_responses(400, 401, 403, 503, 504))


@router.get("", dependencies=[RequirePermission("role:read")])
async def list_roles(users: UserStub) -> list[RolePublic]:
    answer = await users.ListRoles(user_pb2.ListRolesRequest())
    return [RolePublic.from_proto(r) for r in answer.roles]


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[RequirePermission("role:manage")],
             responses=error_responses(409))
async def create_role(body: RoleCreate, users: UserStub) -> RolePublic:
    answer = await users.CreateRole(user_pb2.CreateRoleRequest(
        name=body.name, description=body.description, permissions=body.permissions))
    return RolePublic.from_proto(answer.role)
