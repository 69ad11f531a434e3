"""Fleet mechanics against stand-in services: the real ones arrive one by one, the mechanics must
work before them. A stand-in checkout holds `services/<name>/__main__.py` and `gateway/__main__.py`."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from libs.stack import FAST_GROUP_CONFIG, Fleet, LocalStack, StackError
from libs.stack.process import free_ports, port_open
from services.order.settings import Settings as OrderSettings

SERVICE = '''
import json, os, sys
from concurrent import futures
import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

if sys.argv[1:] == ["migrate"]:
    with open(os.environ["MARKER"], "w") as f:
        json.dump({k: v for k, v in os.environ.items() if k.startswith("DEPOT_")}, f)
    sys.exit(0)
server = grpc.server(futures.ThreadPoolExecutor(2))
servicer = health.HealthServicer()
servicer.set("", health_pb2.HealthCheckResponse.SERVING)
health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
server.add_insecure_port("127.0.0.1:" + os.environ["DEPOT_USER_GRPC_PORT"])
server.start()
server.wait_for_termination()
'''

GATEWAY = '''
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()

HTTPServer(("127.0.0.1", int(os.environ["DEPOT_GATEWAY_PORT"])), Health).serve_forever()
'''

CRASHING = 'import sys\nif sys.argv[1:] != ["migrate"]:\n    sys.exit("boom: no settings")\n'


def _checkout(root: Path, files: dict[str, str]) -> Path:
    """Regular packages (with __init__.py): the child runs from `root`, first on its path, so they
    win over the real checkout's `services` and `gateway` that depot.pth also puts on the path."""
    for path, text in files.items():
        module = root / path
        module.parent.mkdir(parents=True, exist_ok=True)
        module.write_text(text)
        for package in module.relative_to(root).parents[:-1]:
            (root / package / "__init__.py").touch()
    return root


def test_fleet_migrates_starts_and_stops_what_the_checkout_has(stack: LocalStack, tmp_path: Path) -> None:
    root = _checkout(tmp_path / "checkout", {"services/user/__main__.py": SERVICE, "gateway/__main__.py": GATEWAY})
    user_port, gateway_port = free_ports(2)
    marker = tmp_path / "migrated.json"
    fleet = Fleet(stack, tmp_path / "data", service_ports={"user": user_port}, gateway_port=gateway_port,
                  extra_env={"MARKER": str(marker)}, seed_admin=True, root=root)
    assert fleet.services == ["user"] and fleet.has_gateway

    with fleet:
        assert httpx.get(f"{fleet.url}/health").status_code == 200
        assert port_open(user_port)

    assert not port_open(user_port) and not port_open(gateway_port)
    assert fleet.exited() == ["user", "gateway"]
    migrated_with = json.loads(marker.read_text())
    assert migrated_with["DEPOT_USER_DATABASE_URL"] == stack.database_url("depot_user")
    assert migrated_with["DEPOT_USER_SEED_ADMIN_EMAIL"] == "admin@example.com"


def test_a_service_that_dies_at_start_fails_with_its_log(stack: LocalStack, tmp_path: Path) -> None:
    root = _checkout(tmp_path / "checkout", {"services/report/__main__.py": CRASHING})
    fleet = Fleet(stack, tmp_path / "data", service_ports={"report": free_ports(1)[0]}, root=root)

    with pytest.raises(StackError, match=r"(?s)report exited with code 1.*boom: no settings"):
        fleet.start()


def test_an_empty_checkout_is_skipped_with_a_log_line(stack: LocalStack, tmp_path: Path, caplog) -> None:
    fleet = Fleet(stack, tmp_path / "data", root=tmp_path)
    caplog.set_level(logging.INFO, logger="libs.stack")

    fleet.migrate()
    fleet.start()
    fleet.stop()

    assert fleet.services == [] and not fleet.has_gateway
    assert "nothing to migrate" in caplog.text
    assert "the gateway is skipped" in caplog.text


def test_consumers_join_fast_under_the_fleet(stack: LocalStack, tmp_path: Path, monkeypatch) -> None:
    """The fleet hands every service the fast group settings, and the settings class reads them."""
    for name, value in Fleet(stack, tmp_path / "data", root=tmp_path).env_for("order").items():
        monkeypatch.setenv(name, value)
    assert OrderSettings().consumer_overrides == FAST_GROUP_CONFIG


def test_env_names_every_address_and_one_lasting_key_pair(stack: LocalStack, tmp_path: Path) -> None:
    fleet = Fleet(stack, tmp_path / "data", service_ports={"inventory": 41053}, gateway_port=4000, root=tmp_path)

    user, order, gateway = fleet.env_for("user"), fleet.env_for("order"), fleet.env_for("gateway")

    assert user["DEPOT_USER_GRPC_PORT"] == "50051" and user["DEPOT_USER_METRICS_PORT"] == "51051"
    assert user["DEPOT_USER_REDIS_URL"] == stack.redis_url
    assert user["DEPOT_USER_KAFKA_BOOTSTRAP"] == stack.kafka_bootstrap
    assert "DEPOT_USER_SEED_ADMIN_EMAIL" not in user
    assert json.loads(order["DEPOT_ORDER_CONSUMER_OVERRIDES"]) == FAST_GROUP_CONFIG
    assert order["DEPOT_ORDER_INVENTORY_ADDR"] == "127.0.0.1:41053"
    assert gateway["DEPOT_GATEWAY_PORT"] == "4000"
    assert gateway["DEPOT_GATEWAY_AUDIT_ADDR"] == "127.0.0.1:50057"
    private = serialization.load_pem_private_key(Path(user["DEPOT_JWT_PRIVATE_KEY_FILE"]).read_bytes(), None)
    public = Path(gateway["DEPOT_JWT_PUBLIC_KEY_FILE"]).read_bytes()
    assert private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo) == public
    again = Fleet(stack, tmp_path / "data", root=tmp_path).env_for("audit")
    assert Path(again["DEPOT_JWT_PUBLIC_KEY_FILE"]).read_bytes() == public
