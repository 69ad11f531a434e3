"""Fixtures that must exist once per test package, not once per session. pytest scopes a "package"
fixture to the package of the conftest that defines it, so these are defined here and imported by each
package's conftest (`from tests.package_fixtures import broker, deployment, inventory_server`): defined
in tests/conftest.py they would be one for the whole session."""

from collections.abc import AsyncIterator, Iterator

import pytest

from libs.stack import LocalStack, StackPorts
from tests.fixtures_stack import _clean_up, new_data_dir
from tests.grpc_helpers import Deployment, Keys, Server, serve


@pytest.fixture(scope="package")
def broker(request: pytest.FixtureRequest) -> Iterator[str]:
    """The bootstrap address of a broker only this test package uses (a Tansu started in ~0.2 s).

    Topics are per context, not per deployment: on a shared broker every copy of a service consumes every
    other copy's events (the end-to-end fleet's, another package's) and acts on them in its own database,
    e.g. an inventory elsewhere answering a product.created with an inventory.updated that says "in
    stock" after the package's own said "sold out". A package is one deployment: its own databases, its
    own broker."""
    own = LocalStack(new_data_dir(), StackPorts.free(), durable=False)
    own.start_broker()
    try:
        yield own.kafka_bootstrap
    finally:
        own.stop_broker()
        _clean_up(request, own)


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
