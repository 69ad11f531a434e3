"""/api/users: the administration of user accounts."""

import uuid
from typing import Annotated

from depot.common.v1 import page_pb2
from depot.user.v1 import user_pb2
from fastapi import APIRouter, Query

from gateway.deps import RequirePermission, UserStub
from gateway.schemas.common import Page, PageLimit, PageNumber, error_responses
from gateway.schemas.users import RolesAssignment, UserPublic, UserUpdate

router = APIRouter(prefix="/users", tags=["users"], responses=error_responses(400, 401, 403, 503, 504))
NOT_FOUND = error_responses(404)
# Deactivating or demoting the last active admin is refused (FAILED_PRECONDITION, a 409).
LAST_ADMIN = {**NOT_FOUND, **error_responses(409)}


@router.get("", dependencies=[RequirePermission("user:read")])
async def list_users(
    users: UserStub,
    page: PageNumber = 1,
    limit: PageLimit = 20,
    search: Annotated[str, Query(max_length=100)] = "",
    role: Annotated[str, Query(max_length=50)] = "",
) -> Page[UserPublic]:
    answer = await users.ListUsers(user_pb2.ListUsersRequest(
        page=page_pb2.PageRequest(page=page, page_size=limit), search=search, role=role))
    return Page[UserPublic].of([UserPublic.from_proto(u) for u in answer.users], answer.page_info)


@router.get("/{id}", dependencies=[RequirePermission("user:read")], responses=NOT_FOUND)
async def get_user(id: uuid.UUID, users: UserStub) -> UserPublic:
    answer = await users.GetUser(user_pb2.GetUserRequest(id=str(id)))
    return UserPublic.from_proto(answer.user)


@router.patch("/{id}", dependencies=[RequirePermission("user:update")], responses=LAST_ADMIN)
async def update_user(id: uuid.UUID, body: UserUpdate, users: UserStub) -> UserPublic:
    # Only the fields the client sent: an absent field and an explicit null both leave the value as it is.
    changes = {name: value for name, value in body.model_dump(exclude_unset=True).items() if value is not None}
    answer = await users.UpdateUser(user_pb2.UpdateUserRequest(id=str(id), **changes))
    return UserPublic.from_proto(answer.user)


@router.delete("/{id}", dependencies=[RequirePermission("user:delete")], responses=LAST_ADMIN)
async def deactivate_user(id: uuid.UUID, users: UserStub) -> UserPublic:
    """Deactivates the account (soft delete): it can no longer log in, its history stays."""
    answer = await users.DeactivateUser(user_pb2.DeactivateUserRequest(id=str(id)))
    return UserPublic.from_proto(answer.user)


@router.put("/{id}/roles", dependencies=[RequirePermission("role:manage")], responses=LAST_ADMIN)
async def assign_roles(id: uuid.UUID, body: RolesAssignment, users: UserStub) -> UserPublic:
    answer = await users.AssignRoles(user_pb2.AssignRolesRequest(user_id=str(id), roles=body.roles))
    return UserPublic.from_proto(answer.user)
