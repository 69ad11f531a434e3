"""The Depot services and the gateway as child processes, on top of a running `LocalStack`.

Only what exists in the checkout is run: a service is present when `services/<name>/__main__.py`
exists, the gateway when `gateway/__main__.py` does, so the fleet grows as the services arrive.
Each child reads its configuration from the environment (`env_for`), the same variables its
pydantic-settings class reads, prefixed DEPOT_<NAME>_.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from libs.stack.local import FAST_GROUP_CONFIG, LocalStack
from libs.stack.process import Child, StackError, port_open, run, stop_all

log = logging.getLogger("libs.stack")

# The one catalogue of services and their gRPC ports (DESIGN.md §3); metrics listen 1000 higher.
SERVICES: dict[str, int] = {
    "user": 50051,
    "product": 50052,
    "inventory": 50053,
    "order": 50054,
    "shipping": 50055,
    "report": 50056,
    "audit": 50057,
}
GATEWAY_PORT = 3000
METRICS_PORT_OFFSET = 1000
SEED_ADMIN_EMAIL = "admin@example.com"
SEED_ADMIN_PASSWORD = "Admin123!"
PROJECT_ROOT = Path(__file__).resolve().parents[2]

READY_TIMEOUT = 30.0
MIGRATE_TIMEOUT = 120.0
STOP_TIMEOUT = 10.0


class Fleet:
    """`migrate()` then `start()`; `stop()` at the end. `with Fleet(...) as fleet:` does all three.

    `seed_admin=True` (what `make dev` uses) makes the user service create admin@example.com /
    Admin123!; tests that need an admin can ask for the same or bring their own through `extra_env`.
    """

    def __init__(
        self,
        stack: LocalStack,
        data_dir: Path,
        service_ports: dict[str, int] | None = None,
        gateway_port: int = GATEWAY_PORT,
        extra_env: dict[str, str] | None = None,
        *,
        seed_admin: bool = False,
        root: Path = PROJECT_ROOT,
    ) -> None:
        unknown = set(service_ports or {}) - set(SERVICES)
        if unknown:
            raise ValueError(f"unknown services {sorted(unknown)}; the catalogue is {list(SERVICES)}")
        self.stack = stack
        self.data_dir = Path(data_dir).resolve()
        self.service_ports = {**SERVICES, **(service_ports or {})}
        self.gateway_port = gateway_port
        self.extra_env = dict(extra_env or {})
        self.seed_admin = seed_admin
        self.root = root
        self.log_dir = self.data_dir / "logs"
        self.services = [name for name in SERVICES if (root / "services" / name / "__main__.py").exists()]
        self.has_gateway = (root / "gateway" / "__main__.py").exists()
        self._children = {
            name: Child(name, [sys.executable, "-m", f"services.{name}"], self.log_dir / f"{name}.log", cwd=root)
            for name in self.services
        }
        self._gateway = Child("gateway", [sys.executable, "-m", "gateway"], self.log_dir / "gateway.log", cwd=root)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def address(self, name: str) -> str:
        return f"127.0.0.1:{self.service_ports[name]}"

    # -- configuration ---------------------------------------------------------------------------

    def env_for(self, name: str) -> dict[str, str]:
        """The DEPOT_* variables of service `name` (or "gateway"), `extra_env` included."""
        private_key, public_key = self._jwt_keys()
        env = {"DEPOT_JWT_PRIVATE_KEY_FILE": str(private_key), "DEPOT_JWT_PUBLIC_KEY_FILE": str(public_key)}
        if name == "gateway":
            env |= {
                "DEPOT_GATEWAY_PORT": str(self.gateway_port),
                "DEPOT_GATEWAY_REDIS_URL": self.stack.redis_url,
                # the gateway publishes its request records for the audit service
                "DEPOT_GATEWAY_KAFKA_BOOTSTRAP": self.stack.kafka_bootstrap,
            }
            env |= {f"DEPOT_GATEWAY_{other.upper()}_ADDR": self.address(other) for other in SERVICES}
        elif name in SERVICES:
            prefix = f"DEPOT_{name.upper()}_"
            port = self.service_ports[name]
            env |= {
                prefix + "DATABASE_URL": self.stack.database_url(f"depot_{name}"),
                prefix + "REDIS_URL": self.stack.redis_url,
                prefix + "KAFKA_BOOTSTRAP": self.stack.kafka_bootstrap,
                prefix + "GRPC_PORT": str(port),
                prefix + "METRICS_PORT": str(port + METRICS_PORT_OFFSET),
                # Consumers join their group in ~3 s instead of ~45 s (Tansu's rebalance at the default
                # session timeout), so an event-driven effect shows soon after `make dev` or an e2e start.
                prefix + "CONSUMER_OVERRIDES": json.dumps(FAST_GROUP_CONFIG),
            }
            # Callers (order → product, inventory) find their peers here when ports are overridden.
            env |= {f"{prefix}{other.upper()}_ADDR": self.address(other) for other in SERVICES if other != name}
            if name == "user" and self.seed_admin:
                env |= {"DEPOT_USER_SEED_ADMIN_EMAIL": SEED_ADMIN_EMAIL,
                        "DEPOT_USER_SEED_ADMIN_PASSWORD": SEED_ADMIN_PASSWORD}
        else:
            raise ValueError(f"unknown service {name!r}")
        return env | self.extra_env

    def _process_env(self, name: str) -> dict[str, str]:
        # protos/ on the path for the generated stubs (the Makefile's depot.pth may not be there),
        # unbuffered output so the log file is current when a start-up failure shows its tail.
        path = os.pathsep.join(filter(None, [str(self.root), str(self.root / "protos"), os.environ.get("PYTHONPATH")]))
        return {**os.environ, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1", **self.env_for(name)}

    def _jwt_keys(self) -> tuple[Path, Path]:
        """An Ed25519 key pair under data_dir/keys/, made once so tokens survive a restart."""
        keys = self.data_dir / "keys"
        private_path, public_path = keys / "jwt_private.pem", keys / "jwt_public.pem"
        if private_path.exists() and public_path.exists():
            return private_path, public_path
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        keys.mkdir(parents=True, exist_ok=True)
        if private_path.exists():
            private = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
        else:
            private = Ed25519PrivateKey.generate()
            pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
            fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
        public_path.write_bytes(private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        return private_path, public_path

    # -- lifecycle -------------------------------------------------------------------------------

    def migrate(self) -> None:
        """Create each present service's database and run its `migrate` subcommand (Alembic).
        The databases are independent, so the migrations run side by side: most of each one's second
        or so is the interpreter importing the service."""
        if not self.services:
            log.info("no service under services/ yet: nothing to migrate")
            return
        self.stack.create_databases(f"depot_{name}" for name in self.services)
        self._jwt_keys()  # made here, once: the migrations below would race to create them
        log.info("migrating %s", ", ".join(self.services))
        with ThreadPoolExecutor(len(self.services)) as pool:
            for done in pool.map(self._migrate, self.services):
                log.info("%s migrated", done)

    def _migrate(self, name: str) -> str:
        run([sys.executable, "-m", f"services.{name}", "migrate"], self.log_dir / f"{name}.log",
            what=f"migrating {name}", timeout=MIGRATE_TIMEOUT, env=self._process_env(name), cwd=self.root)
        return name

    def start(self) -> None:
        """Start the services together, wait until each reports SERVING, then the gateway until
        GET /health answers 200. On failure everything started is stopped again."""
        absent = [name for name in SERVICES if name not in self.services]
        if absent:
            log.info("not in the checkout yet, skipped: %s", ", ".join(absent))
        pending = [self._children[name] for name in self.services if not self._children[name].alive]
        for child in pending:
            self._check_port_free(self.service_ports[child.name], f"DEPOT_{child.name.upper()}_GRPC_PORT")
        try:
            for child in pending:
                child.env = self._process_env(child.name)
                child.start()
            for child in pending:
                port = self.service_ports[child.name]
                child.wait_ready(lambda port=port: _grpc_serving(port), READY_TIMEOUT,
                                 f"report SERVING on gRPC port {port}")
                log.info("%s is serving on port %d", child.name, port)
            self._start_gateway()
        except BaseException:
            self.stop()
            raise

    def _start_gateway(self) -> None:
        if not self.has_gateway:
            log.info("no gateway/__main__.py yet: the gateway is skipped")
            return
        if self._gateway.alive:
            return
        self._check_port_free(self.gateway_port, "DEPOT_GATEWAY_PORT")
        self._gateway.env = self._process_env("gateway")
        self._gateway.start()
        last: list[str] = ["no answer"]
        try:
            self._gateway.wait_ready(lambda: _http_ok(self.url + "/health", last), READY_TIMEOUT,
                                     f"answer 200 on {self.url}/health")
        except StackError as e:
            raise StackError(f"{e}\nlast /health answer: {last[0]}") from None
        log.info("gateway is serving on %s", self.url)

    def stop(self) -> None:
        """Gateway first (no new requests), then the services together; SIGKILL after 10 s each."""
        stop_all([self._gateway], STOP_TIMEOUT)
        stop_all(self._children.values(), STOP_TIMEOUT)

    def exited(self) -> list[str]:
        """Children that were started and have died since (for the dev loop's watchdog)."""
        return [c.name for c in [*self._children.values(), self._gateway] if c.proc and not c.alive]

    def __enter__(self) -> Fleet:
        self.migrate()
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _check_port_free(self, port: int, env_var: str) -> None:
        # gRPC binds with SO_REUSEPORT: a leftover server on the port would not make ours fail, it
        # would silently share (and answer) its traffic.
        if port_open(port):
            raise StackError(f"port {port} is already in use (is a dev fleet already running?); "
                             f"stop it, or choose another port with {env_var}=<port>")


def _grpc_serving(port: int) -> bool:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
        except grpc.RpcError:
            return False
    return answer.status == health_pb2.HealthCheckResponse.SERVING


def _http_ok(url: str, last: list[str]) -> bool:
    import httpx

    try:
        response = httpx.get(url, timeout=2)
    except httpx.HTTPError as e:
        last[0] = f"{type(e).__name__}: {e}"
        return False
    last[0] = f"{response.status_code} {response.text[:300]}"
    return response.status_code == 200
