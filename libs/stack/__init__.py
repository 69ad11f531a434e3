"""The local stack shared by `make dev` and the test-suite: PostgreSQL, Redis and a Kafka-protocol
broker as child processes under one data directory (`LocalStack`), and the Depot services plus the
gateway on top of it (`Fleet`). `python -m libs.stack dev|up` is the command-line face of both."""

from libs.stack.fleet import GATEWAY_PORT, SEED_ADMIN_EMAIL, SEED_ADMIN_PASSWORD, SERVICES, Fleet
from libs.stack.local import FAST_GROUP_CONFIG, LocalStack, StackPorts
from libs.stack.process import StackError
from libs.stack.testing import apoll_until, poll_until, unique

__all__ = [
    "FAST_GROUP_CONFIG",
    "GATEWAY_PORT",
    "SEED_ADMIN_EMAIL",
    "SEED_ADMIN_PASSWORD",
    "SERVICES",
    "Fleet",
    "LocalStack",
    "StackError",
    "StackPorts",
    "apoll_until",
    "poll_until",
    "unique",
]
