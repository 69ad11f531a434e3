"""The whole fleet, once per session, on free ports: PostgreSQL, Redis and the broker (`stack`), the
services the gateway routes to, and `python -m gateway`, reached over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.backends import BACKENDS
from libs.auth import TokenIssuer
from libs.stack import SEED_ADMIN_EMAIL, SEED_ADMIN_PASSWORD, SERVICES, Fleet, LocalStack
from libs.stack.process import free_ports
from tests.e2e.helpers import Account, bearer, login, register, sign_in


@pytest.fixture(scope="session")
def fleet(stack: LocalStack) -> Iterator[Fleet]:
    ports = free_ports(len(SERVICES) + 1)
    fleet = Fleet(stack, stack.data_dir / "fleet", service_ports=dict(zip(SERVICES, ports, strict=False)),
                  gateway_port=ports[-1], seed_admin=True)
    # Only the services the gateway routes to: the others are not reachable over REST yet, and a
    # service still being written elsewhere in the checkout must not break this suite.
    fleet.services = [name for name in fleet.services if name in {b.name for b in BACKENDS}]
    with fleet:
        yield fleet


@pytest.fixture(scope="session")
def api(fleet: Fleet) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{fleet.url}/api", timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def issuer(fleet: Fleet) -> TokenIssuer:
    """Signs tokens with the fleet's own key, for tokens the user service would never hand out (expired)."""
    return TokenIssuer.from_file(Path(fleet.env_for("user")["DEPOT_JWT_PRIVATE_KEY_FILE"]),
                                 issuer="depot", audience="depot-api")


@pytest.fixture
def customer(api: httpx.Client) -> Account:
    return register(api)


@pytest.fixture
def customer_headers(api: httpx.Client, customer: Account) -> dict[str, str]:
    return sign_in(api, customer)


@pytest.fixture(scope="session")
def admin_headers(api: httpx.Client) -> dict[str, str]:
    # Once per session: logins are rate limited per client and email.
    return bearer(login(api, SEED_ADMIN_EMAIL, SEED_ADMIN_PASSWORD)["accessToken"])
