"""Refresh tokens: rotation, reuse detection, the refresh race, and the ways to revoke them (logout,
logout-all, change-password, deactivation)."""

import asyncio

import grpc
from depot.user.v1 import user_pb2

from libs.errors import FieldViolation
from tests.grpc_helpers import fails
from tests.user.conftest import PASSWORD, UserApp

INVALID = "Invalid refresh token"


async def refresh(app: UserApp, token: str) -> user_pb2.TokenPair:
    return (await app.stub.RefreshToken(user_pb2.RefreshTokenRequest(refresh_token=token))).tokens


def bearer(tokens: user_pb2.TokenPair) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {tokens.access_token}"),)


async def test_refresh_rotates_the_token_and_issues_a_working_access_token(app: UserApp) -> None:
    user = await app.register()
    first = (await app.login(user.email)).tokens

    second = await refresh(app, first.refresh_token)

    assert second.refresh_token != first.refresh_token and second.expires_in == 600
    me = await app.stub.GetMe(user_pb2.GetMeRequest(), metadata=bearer(second))
    assert me.user.id == user.id and "order:create" in me.permissions
    assert (await refresh(app, second.refresh_token)).refresh_token


async def test_a_rotated_token_presented_again_revokes_its_family_only(app: UserApp) -> None:
    user = await app.register()
    stolen = (await app.login(user.email)).tokens.refresh_token
    other_session = (await app.login(user.email)).tokens.refresh_token
    current = (await refresh(app, stolen)).refresh_token

    async with fails(grpc.StatusCode.UNAUTHENTICATED, "Refresh token reuse detected"):
        await refresh(app, stolen)

    async with fails(grpc.StatusCode.UNAUTHENTICATED, INVALID):
        await refresh(app, current)
    async with fails(grpc.StatusCode.UNAUTHENTICATED, INVALID):
        await refresh(app, stolen)
    assert (await refresh(app, other_session)).refresh_token


async def test_of_concurrent_refreshes_with_one_token_exactly_one_wins(app: UserApp) -> None:
    user = await app.register()
    token = (await app.login(user.email)).tokens.refresh_token

    results = await asyncio.gather(*(refresh(app, token) for _ in range(6)), return_exceptions=True)

    winners = [r for r in results if isinstance(r, user_pb2.TokenPair)]
    losers = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(winners) == 1 and len(losers) == 5
    assert {e.code() for e in losers} == {grpc.StatusCode.UNAUTHENTICATED}


async def test_unknown_and_empty_refresh_tokens_are_refused(app: UserApp) -> None:
    async with fails(grpc.StatusCode.UNAUTHENTICATED, INVALID):
        await refresh(app, "not-a-token")
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await refresh(app, "")
    assert failure.violations == [FieldViolation("refresh_token", "Refresh token should not be empty")]


async def test_redis_holds_only_digests_with_a_thirty_day_ttl(app: UserApp) -> None:
    user = await app.register()
    token = (await app.login(user.email)).tokens.refresh_token

    keys = [key.decode() async for key in app.redis.scan_iter("refresh:*")]
    assert keys and not any(token in key for key in keys)
    families = await app.redis.smembers(f"refresh:subject:{user.id}")
    [family] = [f.decode() for f in families]
    [digest] = [d.decode() for d in await app.redis.smembers(f"refresh:family:{family}")]
    entry = await app.redis.hgetall(f"refresh:token:{digest}")
    assert entry == {b"family": family.encode(), b"subject": user.id.encode(), b"state": b"active"}
    assert token.encode() not in entry.values()
    assert 30 * 86400 - 60 < await app.redis.ttl(f"refresh:token:{digest}") <= 30 * 86400


async def test_logout_revokes_the_family_of_the_token_and_is_idempotent(app: UserApp) -> None:
    user = await app.register()
    leaving = (await app.login(user.email)).tokens.refresh_token
    staying = (await app.login(user.email)).tokens.refresh_token

    await app.stub.Logout(user_pb2.LogoutRequest(refresh_token=leaving))
    await app.stub.Logout(user_pb2.LogoutRequest(refresh_token=leaving))

    async with fails(grpc.StatusCode.UNAUTHENTICATED, INVALID):
        await refresh(app, leaving)
    assert (await refresh(app, staying)).refresh_token


async def test_logout_all_revokes_every_session_of_the_caller_and_counts_them(app: UserApp) -> None:
    user, bystander = await app.register(), await app.register()
    sessions = [(await app.login(user.email)).tokens for _ in range(3)]
    unrelated = (await app.login(bystander.email)).tokens.refresh_token

    answer = await app.stub.LogoutAll(user_pb2.LogoutAllRequest(), metadata=bearer(sessions[0]))

    assert answer.revoked_sessions == 3
    for tokens in sessions:
        async with fails(grpc.StatusCode.UNAUTHENTICATED, INVALID):
            await refresh(app, tokens.refresh_token)
    assert (await refresh(app, unrelated)).refresh_token
    again = await app.stub.LogoutAll(user_pb2.LogoutAllRequest(), metadata=bearer(sessions[0]))
    assert again.revoked_sessions == 0


async def test_change_password_checks_the_old_one_and_revokes_every_session(app: UserApp) -> None:
    user = await app.register()
    tokens = (await app.login(user.email)).tokens
    change = app.stub.ChangePassword

    async with fails(grpc.StatusCode.INVALID_ARGUMENT, "Old password is incorrect") as failure:
        await change(user_pb2.ChangePasswordRequest(old_password="Wrong123!", new_password="Fresh123!"),
                     metadata=bearer(tokens))
    assert failure.violations == [FieldViolation("old_password", "Old password is incorrect")]
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await change(user_pb2.ChangePasswordRequest(old_password=PASSWORD, new_password="weak"),
                     metadata=bearer(tokens))
    assert failure.violations == [FieldViolation("new_password", "Password is too weak")]

    await change(user_pb2.ChangePasswordRequest(old_password=PASSWORD, new_password="Fresh123!"),
                 metadata=bearer(tokens))

    async with fails(grpc.StatusCode.UNAUTHENTICATED, INVALID):
        await refresh(app, tokens.refresh_token)
    async with fails(grpc.StatusCode.UNAUTHENTICATED, "Invalid credentials"):
        await app.login(user.email)
    assert (await app.login(user.email, "Fresh123!")).user.id == user.id
    events = await app.rows("SELECT event_type FROM outbox WHERE key = :id AND event_type = 'user.password_changed'",
                            id=user.id)
    assert len(events) == 1


async def test_none_of_the_last_five_passwords_may_come_back(app: UserApp) -> None:
    user = await app.register()
    metadata = await app.token_of(user.email)
    passwords = [PASSWORD] + [f"Next{n}23!x" for n in range(1, 6)]

    async with fails(grpc.StatusCode.INVALID_ARGUMENT, "Password was used recently"):
        await app.stub.ChangePassword(user_pb2.ChangePasswordRequest(old_password=PASSWORD, new_password=PASSWORD),
                                      metadata=metadata)
    for old, new in zip(passwords, passwords[1:], strict=False):
        await app.stub.ChangePassword(user_pb2.ChangePasswordRequest(old_password=old, new_password=new),
                                      metadata=metadata)

    async with fails(grpc.StatusCode.INVALID_ARGUMENT, "Password was used recently") as failure:
        await app.stub.ChangePassword(
            user_pb2.ChangePasswordRequest(old_password=passwords[-1], new_password=passwords[1]), metadata=metadata)
    assert failure.violations == [FieldViolation("new_password", "Password was used recently")]
    # The registration password is six changes back: allowed again.
    await app.stub.ChangePassword(
        user_pb2.ChangePasswordRequest(old_password=passwords[-1], new_password=PASSWORD), metadata=metadata)
    assert await app.rows("SELECT count(*) FROM password_history WHERE user_id = :id", id=user.id) == [(5,)]


async def test_deactivation_revokes_sessions(app: UserApp) -> None:
    user = await app.register()
    token = (await app.login(user.email)).tokens.refresh_token

    await app.stub.DeactivateUser(user_pb2.DeactivateUserRequest(id=user.id), metadata=await app.admin())

    async with fails(grpc.StatusCode.UNAUTHENTICATED, INVALID):
        await refresh(app, token)


