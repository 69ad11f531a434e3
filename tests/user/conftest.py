"""The user service as it runs in production (its real `build()` wiring behind the shared gRPC server),
on port 0, against the session's PostgreSQL and Redis, reached through real stubs. It signs tokens with
the session's test key pair."""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from depot.user.v1 import user_pb2, user_pb2_grpc
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.auth import TokenVerifier
from libs.db import create_engine
from libs.stack import unique
from services.user.__main__ import MIGRATIONS, build
from services.user.settings import Settings
from tests import package_fixtures
from tests.grpc_helpers import Deployment, Keys, Rows, serve

# This package's own instances (tests/package_fixtures.py says why they are not in tests/conftest.py).
broker, deployment = package_fixtures.broker, package_fixtures.deployment

DATABASE = "depot_user_test"
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.com", "Admin123!"
PASSWORD = "Secret123!"


@dataclass
class UserApp(Rows):
    port: int
    stub: user_pb2_grpc.UserServiceStub
    settings: Settings
    verifier: TokenVerifier
    db: AsyncEngine
    redis: Redis

    async def register(self, **fields) -> user_pb2.User:
        """A fresh customer; fields override the unique defaults."""
        name = unique("u").replace("-", "_")
        request = {"email": f"{name}@example.com", "username": name, "password": PASSWORD, **fields}
        return (await self.stub.Register(user_pb2.RegisterRequest(**request))).user

    async def login(self, email: str, password: str = PASSWORD) -> user_pb2.LoginResponse:
        return await self.stub.Login(user_pb2.LoginRequest(email=email, password=password))

    async def token_of(self, email: str, password: str = PASSWORD) -> tuple[str, ...]:
        """The authorization metadata of a fresh login."""
        tokens = (await self.login(email, password)).tokens
        return (("authorization", f"Bearer {tokens.access_token}"),)

    async def admin(self) -> tuple[tuple[str, str], ...]:
        return await self.token_of(ADMIN_EMAIL, ADMIN_PASSWORD)


def user_settings(deployment: Deployment, keys: Keys, database: str = DATABASE) -> Settings:
    """The service over `database`, seeding the admin as `make dev` does."""
    return deployment.settings(Settings, database, MIGRATIONS, jwt_private_key_file=keys.private,
                               seed_admin_email=ADMIN_EMAIL, seed_admin_password=ADMIN_PASSWORD)


@contextlib.asynccontextmanager
async def running(settings: Settings, keys: Keys) -> AsyncIterator[UserApp]:
    """The service's real wiring on port 0, with the outbox relay, as libs.runtime runs it."""
    server = await serve(await build(settings), keys)
    db = create_engine(settings.database_url, pool_size=2)
    redis = Redis.from_url(settings.redis_url)
    try:
        yield UserApp(server.port, user_pb2_grpc.UserServiceStub(server.channel), settings, keys.verifier, db, redis)
    finally:
        await server.close()
        await db.dispose()
        await redis.aclose()


@pytest.fixture(scope="package")
def settings(deployment: Deployment, keys: Keys) -> Settings:
    return user_settings(deployment, keys)


@pytest.fixture(scope="package")
async def app(settings: Settings, keys: Keys) -> AsyncIterator[UserApp]:
    async with running(settings, keys) as user_app:
        yield user_app
