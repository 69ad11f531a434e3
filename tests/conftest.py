"""Fixtures every test package may use: the session's local stack (PostgreSQL, Redis, broker), a key pair
the services under test trust, each package's deployment (its own broker) and an inventory service for
the packages whose service calls one."""

from collections.abc import AsyncIterator

import pytest

from libs.stack import LocalStack
from tests.fixtures_stack import *  # noqa: F403
from tests.grpc_helpers import Deployment, Keys, Server, serve


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return Keys.generate(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="package")
def deployment(stack: LocalStack, broker: str, keys: Keys) -> Deployment:
    return Deployment(stack, broker, keys)


@pytest.fixture(scope="package")
async def inventory_server(deployment: Deployment) -> AsyncIterator[Server]:
    """The inventory service the product and order services call (InitializeStock, ReserveStock…) and
    whose events they consume, on a database of its own: the inventory package never sees these rows."""
    # Imported here, not at the top: packages that never ask for it (e2e, events) do not load the service.
    from services.inventory import __main__ as inventory
    from services.inventory.settings import Settings

    settings = deployment.settings(Settings, "depot_inventory_peer_test", inventory.MIGRATIONS)
    server = await serve(await inventory.build(settings), deployment.keys)
    yield server
    await server.close()
