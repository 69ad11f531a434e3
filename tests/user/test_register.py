"""Register: the public fields come back, bad input is named field by field, taken names are refused by
the database's unique constraints, and the event is written with the user and only then."""

import asyncio

import grpc
import pytest
from depot.user.v1 import user_pb2

from libs.errors import FieldViolation
from libs.stack import apoll_until, unique
from tests.grpc_helpers import fails
from tests.user.conftest import PASSWORD, UserApp


def _name() -> str:
    return unique("r").replace("-", "_")


async def test_register_answers_the_public_fields_with_the_customer_role(app: UserApp) -> None:
    name = _name()

    user = await app.register(email=f"{name}@example.com", username=name, first_name="Ada", last_name="Lovelace")

    assert (user.email, user.username, user.first_name, user.last_name) == (
        f"{name}@example.com", name, "Ada", "Lovelace")
    assert list(user.roles) == ["customer"] and user.is_active
    assert user.id and user.created_at.seconds > 0 and not user.HasField("last_login_at")
    stored = await app.rows("SELECT password_hash, version FROM users WHERE id = :id", id=user.id)
    assert stored[0].password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in stored[0].password_hash


async def test_email_is_stored_lower_case_and_taken_whatever_its_case(app: UserApp) -> None:
    name = _name()

    user = await app.register(email=f"{name.upper()}@Example.COM")

    assert user.email == f"{name}@example.com"
    async with fails(grpc.StatusCode.ALREADY_EXISTS, "Email already registered") as failure:
        await app.register(email=f"{name}@EXAMPLE.com")
    assert failure.violations == [FieldViolation("email", "Email already registered")]


async def test_a_taken_username_is_refused_but_usernames_are_case_sensitive(app: UserApp) -> None:
    name = _name()
    await app.register(username=name)

    async with fails(grpc.StatusCode.ALREADY_EXISTS, "Username already taken") as failure:
        await app.register(username=name)
    assert failure.violations == [FieldViolation("username", "Username already taken")]
    assert (await app.register(username=name.upper())).username == name.upper()


async def test_concurrent_registrations_of_one_email_create_one_user(app: UserApp) -> None:
    email = f"{_name()}@example.com"

    results = await asyncio.gather(*(app.register(email=email) for _ in range(4)), return_exceptions=True)

    created = [r for r in results if isinstance(r, user_pb2.User)]
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(created) == 1 and len(refused) == 3
    assert {e.code() for e in refused} == {grpc.StatusCode.ALREADY_EXISTS}
    assert await app.rows("SELECT count(*) FROM users WHERE email = :email", email=email) == [(1,)]


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"email": ""}, "email", "Email should not be empty"),
    ({"email": "not-an-email"}, "email", "Email is invalid"),
    ({"email": "a@b@example.com"}, "email", "Email is invalid"),
    ({"username": ""}, "username", "Username should not be empty"),
    ({"username": "ab"}, "username", "Username must be at least 3 characters"),
    ({"username": "a" * 51}, "username", "Username must be at most 50 characters"),
    ({"username": "bad-name"}, "username", "Username may contain only letters, digits and underscores"),
    ({"username": "émile"}, "username", "Username may contain only letters, digits and underscores"),
    ({"password": "Short1!"}, "password", "Password is too weak"),
    ({"password": "alllower123!"}, "password", "Password is too weak"),
    ({"password": "ALLUPPER123!"}, "password", "Password is too weak"),
    ({"password": "NoDigits!!"}, "password", "Password is too weak"),
    ({"password": "NoSymbol123"}, "password", "Password is too weak"),
    ({"password": "Aa1!" * 26}, "password", "Password is too weak"),
    ({"first_name": "x" * 101}, "first_name", "First name must be at most 100 characters"),
])
async def test_invalid_input_is_named_with_the_contract_messages(app: UserApp, fields, field, message) -> None:
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.register(**fields)

    assert failure.violations == [FieldViolation(field, message)]


async def test_every_bad_field_is_reported_at_once(app: UserApp) -> None:
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.stub.Register(user_pb2.RegisterRequest(email="nope", username="x", password="weak"))

    assert failure.violations == [FieldViolation("email", "Email is invalid"),
                                  FieldViolation("username", "Username must be at least 3 characters"),
                                  FieldViolation("password", "Password is too weak")]


async def test_registration_writes_its_event_and_a_refused_one_writes_none(app: UserApp) -> None:
    name = _name()
    user = await app.register(email=f"{name}@example.com", username=name)

    events = await app.rows("SELECT topic, key, event_type, payload::jsonb ->> 'username' FROM outbox "
                            "WHERE key = :id", id=user.id)
    assert events == [("depot.user", user.id, "user.registered", name)]
    await apoll_until(lambda: app.rows("SELECT 1 FROM outbox WHERE key = :id AND published_at IS NOT NULL",
                                       id=user.id), message="the relay to publish user.registered")

    other = _name()
    async with fails(grpc.StatusCode.ALREADY_EXISTS):
        await app.register(email=f"{name}@example.com", username=other)
    assert await app.rows("SELECT count(*) FROM outbox WHERE payload LIKE :pattern", pattern=f"%{other}%") == [(0,)]
    assert await app.rows("SELECT count(*) FROM users WHERE username = :name", name=other) == [(0,)]
