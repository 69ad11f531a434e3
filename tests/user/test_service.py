"""The service as operators meet it: health, reflection, the schema DESIGN.md §7 pins down, the admin
seed, and `python -m services.user [migrate]` as a real process."""

import asyncio
import os
import signal
import sys
from pathlib import Path

import grpc
from alembic import command
from grpc_health.v1 import health_pb2, health_pb2_grpc

from libs.migrations import alembic_config
from libs.stack import LocalStack, apoll_until, unique
from libs.stack.process import free_ports
from services.user.__main__ import MIGRATIONS, build
from tests.user.conftest import ADMIN_EMAIL, UserApp

ROOT = Path(__file__).resolve().parents[2]


async def test_health_is_serving_for_the_service_and_the_server(app: UserApp) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "depot.user.v1.UserService"):
            answer = await health.Check(health_pb2.HealthCheckRequest(service=service))
            assert answer.status == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_lists_the_service_for_grpcurl(app: UserApp) -> None:
    out = await _run(str(ROOT / ".venv" / "bin" / "grpcurl"), "-plaintext", f"127.0.0.1:{app.port}", "list")

    assert "depot.user.v1.UserService" in out.split()


async def test_users_table_has_idx_user_email_and_exactly_two_unique_constraints(app: UserApp) -> None:
    indexes = await app.rows("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'users'")
    uniques = await app.rows("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                             "WHERE conrelid = 'users'::regclass AND contype = 'u' ORDER BY conname")

    assert any(name == "idx_user_email" and "UNIQUE" not in definition and "(email)" in definition
               for name, definition in indexes)
    assert uniques == [("uq_users_email", "UNIQUE (email)"), ("uq_users_username", "UNIQUE (username)")]


async def test_models_and_migrations_agree(app: UserApp) -> None:
    await asyncio.to_thread(command.check, alembic_config(MIGRATIONS, app.settings.database_url))


async def test_the_admin_seed_is_idempotent(app: UserApp) -> None:
    wiring = await build(app.settings)  # a second start-up with the same settings
    await wiring.close()

    rows = await app.rows("SELECT u.username, array_agg(r.role_name ORDER BY r.role_name) FROM users u "
                          "JOIN user_roles r ON r.user_id = u.id WHERE u.email = :email GROUP BY u.username",
                          email=ADMIN_EMAIL)
    assert len(rows) == 1 and "admin" in rows[0][1]
    assert (await app.login(ADMIN_EMAIL, app.settings.seed_admin_password)).user.email == ADMIN_EMAIL


async def test_python_m_services_user_migrates_serves_and_stops_on_sigterm(app: UserApp, stack: LocalStack) -> None:
    database = unique("depot_user_main").replace("-", "_")
    stack.create_databases([database])
    port, metrics_port = free_ports(2)
    env = {**os.environ, "DEPOT_USER_DATABASE_URL": stack.database_url(database),
           "DEPOT_USER_REDIS_URL": stack.redis_url, "DEPOT_USER_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
           "DEPOT_USER_GRPC_PORT": str(port),
           "DEPOT_USER_METRICS_PORT": str(metrics_port),
           "DEPOT_JWT_PRIVATE_KEY_FILE": str(app.settings.jwt_private_key_file),
           "DEPOT_JWT_PUBLIC_KEY_FILE": str(app.settings.jwt_public_key_file)}

    await _run(sys.executable, "-m", "services.user", "migrate", env=env)
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "services.user", env=env, cwd=ROOT,
                                                   stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.DEVNULL)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            await apoll_until(lambda: _serving(channel), timeout=20, message="the service to report SERVING")
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=20) == 0


async def _serving(channel: grpc.aio.Channel) -> bool:
    try:
        answer = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
    except grpc.aio.AioRpcError:
        return False
    return answer.status == health_pb2.HealthCheckResponse.SERVING


async def _run(*argv: str, env: dict[str, str] | None = None) -> str:
    """Run a command without blocking the loop the server under test answers on."""
    process = await asyncio.create_subprocess_exec(*argv, env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, out.decode()
    return out.decode()

