"""What operators and tools see: health, metrics, OpenAPI, request ids, unknown routes, the login rate
limit, and gRPC reflection through the real grpcurl binary."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from gateway.backends import BACKENDS, Backend
from libs.stack import Fleet, poll_until, unique
from libs.stack.process import Child, free_ports, port_open
from tests.e2e.helpers import assert_error

GRPCURL = Path(sys.executable).parent / "grpcurl"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", ["/health", "/api/health"])
def test_health_reports_every_dependency(fleet: Fleet, path: str):
    answer = httpx.get(fleet.url + path)

    assert answer.status_code == 200, answer.text
    health = answer.json()
    assert health["status"] == "ok"
    assert health["checks"]["redis"]["status"] == "up"
    assert health["checks"]["user"]["status"] == "SERVING"
    assert health["duration"] >= 0 and health["timestamp"]


def test_metrics_count_requests_by_route_template(fleet: Fleet, api: httpx.Client):
    api.get("/users/00000000-0000-0000-0000-000000000000")

    metrics = httpx.get(fleet.url + "/metrics").text

    assert 'depot_http_requests_total{method="GET",route="/api/users/{id}",status="401"}' in metrics
    assert "depot_http_request_duration_seconds_bucket" in metrics


def test_openapi_and_docs_are_served(fleet: Fleet):
    spec = httpx.get(fleet.url + "/openapi.json").json()
    docs = httpx.get(fleet.url + "/docs")

    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert {"/api/auth/register", "/api/auth/login", "/api/users", "/api/roles"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert {"auth", "users", "roles"} <= {tag for op in spec["paths"].values() for m in op.values()
                                          for tag in m.get("tags", [])}
    # validation failures are 400 here, not FastAPI's 422
    assert "422" not in spec["paths"]["/api/auth/register"]["post"]["responses"]


def test_the_request_id_is_kept_or_made(api: httpx.Client):
    given = api.get("/auth/me", headers={"X-Request-Id": "trace-me-123"})
    made = api.get("/auth/me")

    assert given.headers["x-request-id"] == "trace-me-123" == given.json()["requestId"]
    assert len(made.headers["x-request-id"]) >= 16


def test_an_unknown_route_is_a_404_in_the_error_shape(api: httpx.Client):
    assert_error(api.get("/nothing-here"), 404, "Cannot GET /api/nothing-here")


def test_logins_are_rate_limited_per_client_and_email(api: httpx.Client):
    attempt = {"email": f"{unique('nobody')}@example.com", "password": "Wrong123!"}

    statuses = [api.post("/auth/login", json=attempt).status_code for _ in range(10)]
    limited = api.post("/auth/login", json=attempt)
    other_email = api.post("/auth/login", json={**attempt, "email": f"{unique('nobody')}@example.com"})

    assert statuses == [401] * 10
    assert_error(limited, 429, "Too many login attempts, try again later")
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert other_email.status_code == 401


def _grpcurl(*args: str) -> str:
    done = subprocess.run([str(GRPCURL), "-plaintext", *args], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda backend: backend.name)
def test_grpc_reflection_and_health_answer_on_every_service(fleet: Fleet, backend: Backend):
    services = _grpcurl(fleet.address(backend.name), "list").split()

    assert {backend.service, "grpc.health.v1.Health"} <= set(services)
    assert '"status": "SERVING"' in _grpcurl(fleet.address(backend.name), "grpc.health.v1.Health/Check")


def test_gateway_workers_share_the_port_and_their_metrics(fleet: Fleet, tmp_path: Path):
    """DEPOT_GATEWAY_WORKERS=2: both workers answer on one port, and /metrics (whichever worker serves it)
    counts the requests of both."""
    (port,) = free_ports(1)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "protos")]),
           **fleet.env_for("gateway"), "DEPOT_GATEWAY_PORT": str(port), "DEPOT_GATEWAY_WORKERS": "2"}
    gateway = Child("gateway-2-workers", [sys.executable, "-m", "gateway"], tmp_path / "gateway.log", env=env,
                    cwd=ROOT)
    gateway.start()
    try:
        gateway.wait_ready(lambda: port_open(port), 30, "listen")
        poll_until(lambda: gateway.log_tail(200).count("Application startup complete") == 2, timeout=20,
                   message="both workers started")
        # A connection each, so that both workers take some (the kernel hands each to either).
        answers = [httpx.get(f"http://127.0.0.1:{port}/api/products", params={"limit": 1}) for _ in range(40)]
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    finally:
        gateway.stop()

    assert [a.status_code for a in answers] == [200] * 40
    assert 'depot_http_requests_total{method="GET",route="/api/products",status="200"} 40.0' in metrics


@pytest.mark.parametrize("control", ["\\u0000", "\\u001b"])
def test_a_grpc_caller_sending_control_characters_gets_invalid_argument(fleet: Fleet, control: str):
    """Callers that bypass the gateway: the service names the field instead of failing in PostgreSQL (NUL)
    or storing an escape sequence."""
    done = subprocess.run([str(GRPCURL), "-plaintext", "-d", f'{{"search": "lap{control}top", "category": "ok"}}',
                           fleet.address("product"), "depot.product.v1.ProductService/ListProducts"],
                          capture_output=True, text=True, timeout=30)

    assert done.returncode != 0
    assert "Code: InvalidArgument" in done.stderr, done.stderr
    assert "Search must not contain control characters" in done.stderr, done.stderr
