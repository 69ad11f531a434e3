"""Infrastructure for the test-suite: one LocalStack (PostgreSQL, Redis, Kafka broker) per session on
free ports in a throwaway directory, so a running `make dev` is never touched; and a broker of its own
for each test package that runs services (`broker`).

Wire it into tests/conftest.py with `from tests.fixtures_stack import *  # noqa: F403`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from libs.stack import LocalStack, StackPorts

__all__ = ["new_data_dir", "stack"]


def new_data_dir() -> Path:
    """A fresh directory for a LocalStack. Under /tmp rather than pytest's tmp_path: that one sits in
    a root-only (0700) tree, which the `postgres` account the server drops to as root cannot enter."""
    data_dir = Path(tempfile.mkdtemp(prefix="depot-test-stack-"))
    data_dir.chmod(0o755)
    return data_dir


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> Iterator[LocalStack]:
    data_dir = new_data_dir()
    local = LocalStack(data_dir, StackPorts.free(), durable=False)
    local.start()
    try:
        yield local
    finally:
        local.stop()
        _clean_up(request, local)


def _clean_up(request: pytest.FixtureRequest, local: LocalStack) -> None:
    """The data directory goes, unless something failed: then its logs stay, and the run says where."""
    if request.session.testsfailed:
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(f"local stack logs kept for the failures: {local.log_dir}")
    else:
        shutil.rmtree(local.data_dir, ignore_errors=True)
