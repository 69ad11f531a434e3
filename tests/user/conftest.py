"""The user service as it runs in production (its real `build()` wiring behind the shared gRPC server),
on port 0, against the session's PostgreSQL and Redis, reached through real stubs."""

import asyncio
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from depot.user.v1 import user_pb2, user_pb2_grpc
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.auth import TokenVerifier, generate_keypair
from libs.db import create_engine
from libs.grpc_server import start_server, stop_server
from libs.migrations import upgrade
from libs.stack import LocalStack, unique
from services.user.__main__ import MIGRATIONS, build
from services.user.settings import Settings

DATABASE = "depot_user_test"
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.com", "Admin123!"
PASSWORD = "Secret123!"


@dataclass
class UserApp:
    port: int
    stub: user_pb2_grpc.UserServiceStub
    settings: Settings
    verifier: TokenVerifier
    db: AsyncEngine
    redis: Redis

    async def rows(self, sql: str, **params) -> list:
        async with self.db.connect() as connection:
            return list((await connection.execute(text(sql), params)).all())

    async def execute(self, sql: str, **params) -> None:
        async with self.db.begin() as connection:
            await connection.execute(text(sql), params)

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


@pytest.fixture(scope="session")
def settings(stack: LocalStack) -> Settings:
    stack.create_databases([DATABASE])
    upgrade(MIGRATIONS, stack.database_url(DATABASE))
    keys = Path(tempfile.mkdtemp(prefix="depot-user-keys-"))
    generate_keypair(keys / "private.pem", keys / "public.pem")
    return Settings(
        database_url=stack.database_url(DATABASE), redis_url=stack.redis_url, kafka_bootstrap=stack.kafka_bootstrap,
        grpc_host="127.0.0.1", grpc_port=0, metrics_port=0,
        jwt_private_key_file=keys / "private.pem", jwt_public_key_file=keys / "public.pem",
        seed_admin_email=ADMIN_EMAIL, seed_admin_password=ADMIN_PASSWORD, log_json=False,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[UserApp]:
    verifier = TokenVerifier.from_file(settings.jwt_public_key_file, issuer=settings.jwt_issuer,
                                       audience=settings.jwt_audience)
    wiring = await build(settings)
    server, port, health = await start_server(wiring.bindings, host=settings.grpc_host, port=0, verifier=verifier)
    background = [asyncio.create_task(loop()) for loop in wiring.background]  # the outbox relay, as `serve` runs it
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    db = create_engine(settings.database_url, pool_size=2)
    redis = Redis.from_url(settings.redis_url)
    try:
        yield UserApp(port, user_pb2_grpc.UserServiceStub(channel), settings, verifier, db, redis)
    finally:
        await channel.close()
        await stop_server(server, health, grace=1)
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await wiring.close()
        await db.dispose()
        await redis.aclose()
