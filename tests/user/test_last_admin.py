"""Nobody can take away the last active admin, the seeded one included: not by deactivating it, not by
changing its roles, not by two admins demoting each other at the same moment."""

import asyncio

import grpc
import pytest
from depot.user.v1 import user_pb2

from tests.grpc_helpers import Deployment, Keys, fails
from tests.user.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, UserApp, running, user_settings

LAST_ADMIN = "At least one active admin must remain"


@pytest.fixture
async def lone(deployment: Deployment, keys: Keys, request: pytest.FixtureRequest):
    """A user service on a database of its own, whose only admin is the seeded one."""
    database = f"depot_user_lone_admin_{request.node.name[-40:].lower()}"
    async with running(user_settings(deployment, keys, database), keys) as app:
        yield app


async def _admin_id(app: UserApp) -> str:
    return (await app.login(ADMIN_EMAIL, ADMIN_PASSWORD)).user.id


async def test_the_last_admin_can_be_neither_deactivated_nor_demoted(lone: UserApp) -> None:
    admin, admin_id = await lone.admin(), await _admin_id(lone)

    async with fails(grpc.StatusCode.FAILED_PRECONDITION, LAST_ADMIN):
        await lone.stub.DeactivateUser(user_pb2.DeactivateUserRequest(id=admin_id), metadata=admin)
    async with fails(grpc.StatusCode.FAILED_PRECONDITION, LAST_ADMIN):
        await lone.stub.AssignRoles(user_pb2.AssignRolesRequest(user_id=admin_id, roles=["customer"]), metadata=admin)

    me = (await lone.stub.GetMe(user_pb2.GetMeRequest(), metadata=await lone.admin())).user
    assert me.is_active and "admin" in me.roles  # still logs in, still admin: the refused change logged nobody out


async def test_with_a_second_admin_one_may_step_down(lone: UserApp) -> None:
    admin, admin_id = await lone.admin(), await _admin_id(lone)
    other = await lone.register()
    await lone.stub.AssignRoles(user_pb2.AssignRolesRequest(user_id=other.id, roles=["admin"]), metadata=admin)

    stepped_down = await lone.stub.AssignRoles(user_pb2.AssignRolesRequest(user_id=admin_id, roles=["staff"]),
                                               metadata=admin)

    assert list(stepped_down.user.roles) == ["staff"]
    async with fails(grpc.StatusCode.FAILED_PRECONDITION, LAST_ADMIN):
        await lone.stub.DeactivateUser(user_pb2.DeactivateUserRequest(id=other.id), metadata=await lone.token_of(
            other.email))


async def test_two_admins_demoting_each_other_at_once_leave_one(lone: UserApp) -> None:
    admin, admin_id = await lone.admin(), await _admin_id(lone)
    other = await lone.register()
    await lone.stub.AssignRoles(user_pb2.AssignRolesRequest(user_id=other.id, roles=["admin"]), metadata=admin)
    other_token = await lone.token_of(other.email)

    results = await asyncio.gather(
        lone.stub.DeactivateUser(user_pb2.DeactivateUserRequest(id=other.id), metadata=admin),
        lone.stub.DeactivateUser(user_pb2.DeactivateUserRequest(id=admin_id), metadata=other_token),
        return_exceptions=True,
    )

    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(refused) == 1 and refused[0].code() == grpc.StatusCode.FAILED_PRECONDITION
    active_admins = await lone.rows(
        "SELECT count(*) AS n FROM users JOIN user_roles ON user_roles.user_id = users.id "
        "WHERE role_name = 'admin' AND is_active")
    assert active_admins[0].n == 1
