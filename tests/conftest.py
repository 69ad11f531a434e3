"""Session fixtures: the local stack (PostgreSQL, Redis, broker) and a key pair the services under test
trust. Per-package fixtures (a package's own broker, its deployment, a peer inventory service) are in
tests/package_fixtures.py, imported by each package's conftest so that each package gets its own."""

import pytest

from tests.fixtures_stack import *  # noqa: F403
from tests.grpc_helpers import Keys


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return Keys.generate(tmp_path_factory.mktemp("keys"))
