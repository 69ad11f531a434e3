"""One local stack (PostgreSQL, Redis, broker) per test session, shared by every test package."""

from tests.fixtures_stack import *  # noqa: F403
