"""The gateway on its own, in this process over real HTTP, in front of a stand-in user service (the
shared gRPC server with a fake servicer), a Redis and a broker that are down: what the fleet cannot
easily show. No fleet is started for these tests."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from depot.user.v1 import user_pb2, user_pb2_grpc
from fastapi import FastAPI

from gateway.app import create_app
from gateway.settings import GatewaySettings
from libs.auth import TokenIssuer, TokenVerifier, generate_keypair
from libs.context import current_principal
from libs.grpc_server import AUTHENTICATED, PUBLIC, ServiceBinding, start_server
from libs.stack import apoll_until
from libs.stack.process import free_ports

REGISTRATION = {"email": "someone@example.com", "username": "someone", "password": "Secret123!"}


class StandInUsers(user_pb2_grpc.UserServiceServicer):
    def __init__(self):
        self.metadata: list[dict[str, str]] = []

    async def Login(self, request, context):
        return user_pb2.LoginResponse(
            tokens=user_pb2.TokenPair(access_token="a", refresh_token="r", expires_in=600, token_type="Bearer"),
            user=user_pb2.User(id=str(uuid.uuid4()), email=request.email, username="someone", roles=["customer"]))

    async def GetMe(self, request, context):
        self.metadata.append(dict(context.invocation_metadata()))
        principal = current_principal()
        return user_pb2.GetMeResponse(user=user_pb2.User(id=principal.user_id, roles=sorted(principal.roles)),
                                      permissions=sorted(principal.permissions))

    async def Register(self, request, context):
        raise RuntimeError("database at 10.1.2.3 exploded")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    keys = tmp_path_factory.mktemp("keys")
    generate_keypair(keys / "private.pem", keys / "public.pem")
    return keys


@pytest.fixture(scope="module")
async def stand_in(keys: Path) -> AsyncIterator[tuple[StandInUsers, int]]:
    servicer = StandInUsers()
    descriptor = user_pb2.DESCRIPTOR.services_by_name["UserService"]
    binding = ServiceBinding(descriptor, servicer, user_pb2_grpc.add_UserServiceServicer_to_server,
                             {m.name: AUTHENTICATED if m.name == "GetMe" else PUBLIC for m in descriptor.methods})
    verifier = TokenVerifier.from_file(keys / "public.pem", issuer="depot", audience="depot-api")
    server, port, _ = await start_server([binding], host="127.0.0.1", port=0, verifier=verifier)
    yield servicer, port
    await server.stop(None)


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """`app` under uvicorn on a free port, lifespan included, and a client for it."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    await apoll_until(lambda: server.started or task.done(), timeout=10, message="uvicorn to start")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        server.should_exit = True
        await task


def settings(keys: Path, user_port: int) -> GatewaySettings:
    nothing_there = free_ports(1)[0]
    # The broker is down too: the records of changes (gateway.audit) are dropped, never waited for.
    return GatewaySettings(user_addr=f"127.0.0.1:{user_port}", redis_url=f"redis://127.0.0.1:{nothing_there}/0",
                           kafka_bootstrap=f"127.0.0.1:{nothing_there}", jwt_public_key_file=keys / "public.pem",
                           grpc_timeout_seconds=2, log_json=False)


@pytest.fixture(scope="module")
async def gateway(keys: Path, stand_in) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(keys, stand_in[1]))

    async def explode() -> None:
        raise ZeroDivisionError("internal detail")

    app.add_api_route("/api/explode", explode)
    async with serving(app) as client:
        yield client


async def test_login_is_let_through_while_redis_is_down(gateway: httpx.AsyncClient):
    answer = await gateway.post("/api/auth/login", json={"email": "someone@example.com", "password": "x"})

    assert answer.status_code == 200, answer.text
    assert answer.json()["accessToken"] == "a"


async def test_the_token_and_request_id_go_on_to_the_service(gateway: httpx.AsyncClient, stand_in, keys: Path):
    servicer, _ = stand_in
    issuer = TokenIssuer.from_file(keys / "private.pem", issuer="depot", audience="depot-api")
    token = issuer.issue("user-1", ["staff"], ["inventory:read"])

    answer = await gateway.get("/api/auth/me", headers={"Authorization": f"Bearer {token}", "X-Request-Id": "r-42"})

    assert answer.status_code == 200, answer.text
    assert (answer.json()["id"], answer.json()["permissions"]) == ("user-1", ["inventory:read"])
    assert servicer.metadata[-1]["authorization"] == f"Bearer {token}"
    assert servicer.metadata[-1]["x-request-id"] == "r-42"


async def test_a_request_id_that_is_not_printable_ascii_is_replaced(gateway: httpx.AsyncClient):
    answer = await gateway.get("/api/auth/me", headers={"X-Request-Id": "two words"})

    assert answer.headers["x-request-id"] != "two words"
    assert answer.json()["requestId"] == answer.headers["x-request-id"]


async def test_a_service_crash_is_a_500_that_tells_nothing(gateway: httpx.AsyncClient):
    answer = await gateway.post("/api/auth/register", json=REGISTRATION)

    assert answer.status_code == 500
    assert answer.json()["message"] == "Internal Server Error"
    assert "10.1.2.3" not in answer.text and "exploded" not in answer.text


async def test_a_gateway_crash_is_a_500_with_the_request_id(gateway: httpx.AsyncClient):
    answer = await gateway.get("/api/explode")

    assert answer.status_code == 500
    body = answer.json()
    assert (body["statusCode"], body["message"]) == (500, "Internal server error")
    assert body["requestId"] == answer.headers["x-request-id"]
    assert "internal detail" not in answer.text and "Traceback" not in answer.text


async def test_health_is_503_when_redis_is_down(gateway: httpx.AsyncClient):
    answer = await gateway.get("/health")

    assert answer.status_code == 503
    assert answer.json()["status"] == "error"
    assert answer.json()["checks"]["redis"]["status"] == "down"
    assert answer.json()["checks"]["user"]["status"] == "SERVING"


async def test_an_unreachable_service_is_a_503_without_its_address(keys: Path):
    unreachable = free_ports(1)[0]
    async with serving(create_app(settings(keys, unreachable))) as gateway:
        answer = await gateway.post("/api/auth/register", json=REGISTRATION)
        health = await gateway.get("/api/health")

    assert answer.status_code == 503
    assert answer.json()["message"] == "Service Unavailable"
    assert str(unreachable) not in answer.text
    assert health.status_code == 503 and health.json()["checks"]["user"]["status"] == "UNAVAILABLE"
