"""Mechanics shared by the benchmarks that drive the whole fleet through the gateway: a private fleet on
free ports, and the CPU each of its processes spends, which says where the time goes on a machine
shared with others (unlike latencies, CPU seconds per request do not depend on the neighbours).

`bench/__main__.py` skips modules whose name starts with "_", so this one is not a benchmark.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from gateway.backends import BACKENDS
from libs.stack import SERVICES, Fleet, LocalStack, StackPorts
from libs.stack.process import free_ports

TICKS = os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def private_fleet(prefix: str, extra_env: dict[str, str] | None = None) -> Iterator[Fleet]:
    """PostgreSQL, Redis, the broker, the services the gateway routes to and the gateway, on free ports in
    a throwaway directory (kept, with its logs, if something failed), with the seeded admin; `extra_env`
    goes to every process of the fleet."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    data_dir.chmod(0o755)  # the postgres account must enter it
    stack = LocalStack(data_dir, StackPorts.free(), durable=False)
    ports = free_ports(len(SERVICES) + 1)
    fleet = Fleet(stack, data_dir / "fleet", service_ports=dict(zip(SERVICES, ports, strict=False)),
                  gateway_port=ports[-1], seed_admin=True, extra_env=extra_env)
    # As in tests/e2e: a service with no routes yet is unreachable over REST and may be half-written.
    fleet.services = [name for name in fleet.services if name in {b.name for b in BACKENDS}]
    print(f"starting a private stack and fleet under {data_dir} ...", flush=True)
    failed = True
    try:
        stack.start()
        fleet.migrate()
        fleet.start()
        yield fleet
        failed = False
    finally:
        fleet.stop()
        stack.stop()
        if failed:
            print(f"logs kept in {data_dir}", flush=True)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def process_cpu() -> dict[str, float]:
    """CPU seconds used so far by each process this one started (by program or `-m` module name), each
    with all it has started in turn (PostgreSQL's backends, alive or gone), and by this process itself
    ("bench")."""
    stats: dict[int, tuple[int, int, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stats[int(entry.name)] = _stat(entry / "stat")
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (parent, _, _) in stats.items():
        children[parent].append(pid)

    def tree(pid: int) -> int:
        _, own, reaped = stats[pid]
        return own + reaped + sum(tree(child) for child in children[pid])

    me = os.getpid()
    cpu = {"bench": stats[me][1] / TICKS}
    for pid in children[me]:
        with contextlib.suppress(OSError):
            name = _name(pid)
            cpu[name] = cpu.get(name, 0.0) + tree(pid) / TICKS
    return cpu


def machine_cpu() -> float:
    """Busy CPU seconds of the whole machine since boot (all cores, everybody's processes)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / TICKS


def database_transactions(dsn: str) -> dict[str, int]:
    """Transactions ended so far (committed or rolled back) in each Depot database of a PostgreSQL server.
    A busy backend reports its counts at most once a second: figures over a run are within about that."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        return dict(conn.execute("SELECT datname, xact_commit + xact_rollback FROM pg_stat_database "
                                 "WHERE datname LIKE 'depot\\_%'").fetchall())


def _stat(path: Path) -> tuple[int, int, int]:
    """(parent pid, utime + stime, cutime + cstime) in clock ticks; the name may hold spaces and ")"."""
    fields = path.read_text().rpartition(")")[2].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def _name(pid: int) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_text().rstrip("\0").split("\0")
    if "-m" in argv[:-1]:
        return argv[argv.index("-m") + 1].removeprefix("services.")
    return Path(argv[0]).name.split()[0]  # redis-server rewrites its title to "redis-server host:port"
