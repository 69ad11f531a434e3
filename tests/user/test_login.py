"""Login: tokens for the right password, one message for every wrong guess, and the lockout after five
failures in a row, counted atomically."""

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
from depot.user.v1 import user_pb2

from tests.grpc_helpers import fails
from tests.user.conftest import PASSWORD, UserApp

LOCKED_NOW = "Too many failed attempts. Account locked for 15 minutes"
LOCKED = "Account is temporarily locked"


async def test_login_returns_a_token_pair_and_the_user(app: UserApp) -> None:
    user = await app.register()

    answer = await app.login(user.email.upper())

    assert answer.tokens.token_type == "Bearer" and answer.tokens.expires_in == 600
    assert answer.tokens.refresh_token and answer.user.id == user.id
    assert answer.user.last_login_at.seconds > 0
    principal = app.verifier.verify(answer.tokens.access_token)
    assert principal.user_id == user.id and principal.roles == {"customer"}
    assert principal.permissions == {"product:read", "order:read", "order:create", "shipping:read"}
    assert 590 <= principal.expires_at - datetime.now(UTC).timestamp() <= 600
    events = await app.rows("SELECT event_type FROM outbox WHERE key = :id ORDER BY created_at", id=user.id)
    assert [e.event_type for e in events] == ["user.registered", "user.logged_in"]


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(app: UserApp) -> None:
    user = await app.register()

    async with fails(grpc.StatusCode.UNAUTHENTICATED, "Invalid credentials"):
        await app.login(user.email, "Wrong123!")
    async with fails(grpc.StatusCode.UNAUTHENTICATED, "Invalid credentials"):
        await app.login("nobody-" + user.email, PASSWORD)
    async with fails(grpc.StatusCode.UNAUTHENTICATED, "Invalid credentials"):
        await app.login("not an email", PASSWORD)


async def test_the_fifth_failure_locks_the_account_even_for_the_right_password(app: UserApp) -> None:
    user = await app.register()

    for _ in range(4):
        async with fails(grpc.StatusCode.UNAUTHENTICATED, "Invalid credentials"):
            await app.login(user.email, "Wrong123!")
    async with fails(grpc.StatusCode.INVALID_ARGUMENT, LOCKED_NOW):
        await app.login(user.email, "Wrong123!")
    async with fails(grpc.StatusCode.INVALID_ARGUMENT, LOCKED):
        await app.login(user.email, "Wrong123!")
    async with fails(grpc.StatusCode.INVALID_ARGUMENT, LOCKED):
        await app.login(user.email)

    [(attempts, locked_until)] = await app.rows(
        "SELECT failed_login_attempts, locked_until FROM users WHERE id = :id", id=user.id)
    assert attempts == 5
    assert timedelta(minutes=14) < locked_until - datetime.now(UTC) <= timedelta(minutes=15)


async def test_concurrent_failures_lock_exactly_once(app: UserApp) -> None:
    user = await app.register()

    results = await asyncio.gather(*(app.login(user.email, "Wrong123!") for _ in range(8)), return_exceptions=True)

    messages = sorted(error.details() for error in results)
    assert messages == sorted(["Invalid credentials"] * 4 + [LOCKED_NOW] + [LOCKED] * 3)


async def test_success_resets_the_count(app: UserApp) -> None:
    user = await app.register()
    for _ in range(4):
        async with fails(grpc.StatusCode.UNAUTHENTICATED):
            await app.login(user.email, "Wrong123!")

    await app.login(user.email)

    assert await app.rows("SELECT failed_login_attempts FROM users WHERE id = :id", id=user.id) == [(0,)]
    for _ in range(4):
        async with fails(grpc.StatusCode.UNAUTHENTICATED, "Invalid credentials"):
            await app.login(user.email, "Wrong123!")


async def test_an_expired_lock_lets_the_right_password_in_and_restarts_the_count(app: UserApp) -> None:
    first, second = await app.register(), await app.register()
    await _expire_lock_of(app, first.id)
    await _expire_lock_of(app, second.id)

    assert (await app.login(first.email)).user.id == first.id
    async with fails(grpc.StatusCode.UNAUTHENTICATED, "Invalid credentials"):
        await app.login(second.email, "Wrong123!")

    rows = await app.rows("SELECT failed_login_attempts, locked_until FROM users WHERE id IN (:a, :b) "
                          "ORDER BY id = :a DESC", a=first.id, b=second.id)
    assert rows == [(0, None), (1, None)]


async def test_a_deactivated_account_cannot_log_in(app: UserApp) -> None:
    user = await app.register()
    await app.stub.DeactivateUser(user_pb2.DeactivateUserRequest(id=user.id), metadata=await app.admin())

    async with fails(grpc.StatusCode.UNAUTHENTICATED, "Invalid credentials"):
        await app.login(user.email)


async def _expire_lock_of(app: UserApp, user_id: str) -> None:
    """As if the account had been locked 16 minutes ago (the clock cannot be moved in a running server)."""
    await app.execute("UPDATE users SET failed_login_attempts = 5, locked_until = now() - interval '1 minute' "
                      "WHERE id = :id", id=user_id)
