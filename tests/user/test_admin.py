"""Administration: who may call what, listing and paging, updates with their event, roles."""

import grpc
import pytest
from depot.common.v1 import page_pb2
from depot.user.v1 import user_pb2

from libs.errors import FieldViolation
from libs.stack import unique
from tests.grpc_helpers import fails
from tests.user.conftest import UserApp

ADMIN_CALLS = [
    ("ListUsers", user_pb2.ListUsersRequest()),
    ("GetUser", user_pb2.GetUserRequest(id="00000000-0000-0000-0000-000000000000")),
    ("UpdateUser", user_pb2.UpdateUserRequest(id="00000000-0000-0000-0000-000000000000", first_name="x")),
    ("DeactivateUser", user_pb2.DeactivateUserRequest(id="00000000-0000-0000-0000-000000000000")),
    ("AssignRoles", user_pb2.AssignRolesRequest(user_id="00000000-0000-0000-0000-000000000000", roles=["admin"])),
    ("ListRoles", user_pb2.ListRolesRequest()),
    ("CreateRole", user_pb2.CreateRoleRequest(name="sneaky", permissions=["user:read"])),
]


@pytest.mark.parametrize(("method", "request_"), ADMIN_CALLS, ids=[name for name, _ in ADMIN_CALLS])
async def test_a_customer_is_denied_the_admin_calls(app: UserApp, method, request_) -> None:
    customer = await app.register()

    async with fails(grpc.StatusCode.PERMISSION_DENIED):
        await getattr(app.stub, method)(request_, metadata=await app.token_of(customer.email))


@pytest.mark.parametrize("method", ["GetMe", "LogoutAll", "ChangePassword", "ListUsers"])
async def test_calls_needing_a_token_refuse_without_one(app: UserApp, method) -> None:
    request_class = getattr(user_pb2, f"{method}Request")

    async with fails(grpc.StatusCode.UNAUTHENTICATED, "No token provided"):
        await getattr(app.stub, method)(request_class())
    async with fails(grpc.StatusCode.UNAUTHENTICATED, "Invalid token"):
        await getattr(app.stub, method)(request_class(), metadata=(("authorization", "Bearer forged.token.here"),))


async def test_list_users_searches_filters_by_role_and_pages(app: UserApp) -> None:
    tag = unique("list").replace("-", "_")
    users = [await app.register(username=f"{tag}_{n}", email=f"{tag}_{n}@example.com") for n in range(5)]
    admin = await app.admin()
    await app.stub.AssignRoles(user_pb2.AssignRolesRequest(user_id=users[0].id, roles=["staff"]), metadata=admin)

    page = await app.stub.ListUsers(user_pb2.ListUsersRequest(
        search=tag.upper(), page=page_pb2.PageRequest(page=2, page_size=2)), metadata=admin)
    staff = await app.stub.ListUsers(user_pb2.ListUsersRequest(search=tag, role="staff"), metadata=admin)

    assert page.page_info == page_pb2.PageInfo(page=2, page_size=2, total_size=5, total_pages=3)
    assert [u.username for u in page.users] == [f"{tag}_2", f"{tag}_1"]  # newest first
    assert [u.id for u in staff.users] == [users[0].id] and staff.page_info.page_size == 20


async def test_list_users_treats_wildcards_literally_and_refuses_huge_pages(app: UserApp) -> None:
    admin = await app.admin()

    found = await app.stub.ListUsers(user_pb2.ListUsersRequest(search="%_%"), metadata=admin)
    assert found.page_info.total_size == 0
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.stub.ListUsers(user_pb2.ListUsersRequest(page=page_pb2.PageRequest(page_size=101)), metadata=admin)
    assert failure.violations == [FieldViolation("page.page_size", "Page size must be between 1 and 100")]


async def test_get_user_names_a_bad_id_and_a_missing_user(app: UserApp) -> None:
    admin = await app.admin()
    user = await app.register()

    assert (await app.stub.GetUser(user_pb2.GetUserRequest(id=user.id), metadata=admin)).user == user
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.stub.GetUser(user_pb2.GetUserRequest(id="42"), metadata=admin)
    assert failure.violations == [FieldViolation("id", "id must be a UUID")]
    async with fails(grpc.StatusCode.NOT_FOUND, "User not found"):
        await app.stub.GetUser(user_pb2.GetUserRequest(id="00000000-0000-0000-0000-000000000000"), metadata=admin)


async def test_update_user_changes_only_the_given_fields_and_publishes(app: UserApp) -> None:
    admin = await app.admin()
    user, other = await app.register(first_name="Old"), await app.register()
    new_name = unique("n").replace("-", "_")

    updated = (await app.stub.UpdateUser(user_pb2.UpdateUserRequest(id=user.id, first_name="New", username=new_name),
                                         metadata=admin)).user

    assert (updated.first_name, updated.username, updated.last_name) == ("New", new_name, user.last_name)
    [(version,)] = await app.rows("SELECT version FROM users WHERE id = :id", id=user.id)
    assert version == 2
    [(fields,)] = await app.rows("SELECT payload::jsonb -> 'changed_fields' FROM outbox "
                                 "WHERE key = :id AND event_type = 'user.updated'", id=user.id)
    assert fields == ["first_name", "username"]
    async with fails(grpc.StatusCode.ALREADY_EXISTS, "Username already taken"):
        await app.stub.UpdateUser(user_pb2.UpdateUserRequest(id=user.id, username=other.username), metadata=admin)
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.stub.UpdateUser(user_pb2.UpdateUserRequest(id=user.id, username="x"), metadata=admin)
    assert failure.violations == [FieldViolation("username", "Username must be at least 3 characters")]


async def test_deactivate_and_reactivate(app: UserApp) -> None:
    admin = await app.admin()
    user = await app.register()

    deactivated = (await app.stub.DeactivateUser(user_pb2.DeactivateUserRequest(id=user.id), metadata=admin)).user
    reactivated = (await app.stub.UpdateUser(user_pb2.UpdateUserRequest(id=user.id, is_active=True),
                                             metadata=admin)).user

    assert not deactivated.is_active and reactivated.is_active
    assert (await app.login(user.email)).user.id == user.id


async def test_assign_roles_replaces_them_and_the_next_refresh_carries_them(app: UserApp) -> None:
    admin = await app.admin()
    user = await app.register()
    refresh_token = (await app.login(user.email)).tokens.refresh_token

    assigned = await app.stub.AssignRoles(user_pb2.AssignRolesRequest(user_id=user.id, roles=["staff", "manager"]),
                                          metadata=admin)
    tokens = (await app.stub.RefreshToken(user_pb2.RefreshTokenRequest(refresh_token=refresh_token))).tokens

    assert list(assigned.user.roles) == ["manager", "staff"]
    principal = app.verifier.verify(tokens.access_token)
    assert principal.roles == {"manager", "staff"} and principal.has("report:create")
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.stub.AssignRoles(user_pb2.AssignRolesRequest(user_id=user.id, roles=["staff", "wizard"]),
                                   metadata=admin)
    assert failure.violations == [FieldViolation("roles", "Unknown role: wizard")]
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.stub.AssignRoles(user_pb2.AssignRolesRequest(user_id="nope", roles=["staff"]), metadata=admin)
    assert failure.violations == [FieldViolation("user_id", "user_id must be a UUID")]


async def test_roles_list_and_create(app: UserApp) -> None:
    admin = await app.admin()
    name = unique("auditor").replace("-", "_")

    created = (await app.stub.CreateRole(user_pb2.CreateRoleRequest(
        name=name, description="Reads the audit log", permissions=["audit:read", "audit:read"]), metadata=admin)).role
    roles = {role.name: role for role in (await app.stub.ListRoles(user_pb2.ListRolesRequest(), metadata=admin)).roles}

    assert created == user_pb2.Role(name=name, description="Reads the audit log", permissions=["audit:read"])
    assert roles[name] == created and {"admin", "manager", "staff", "customer"} <= set(roles)
    assert "role:manage" in roles["admin"].permissions
    async with fails(grpc.StatusCode.ALREADY_EXISTS, "Role already exists"):
        await app.stub.CreateRole(user_pb2.CreateRoleRequest(name=name), metadata=admin)
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.stub.CreateRole(user_pb2.CreateRoleRequest(name="Bad Name", permissions=["nocolon"]),
                                  metadata=admin)
    assert [v.field for v in failure.violations] == ["name", "permissions"]
