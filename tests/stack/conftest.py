from tests.fixtures_stack import *  # noqa: F403
