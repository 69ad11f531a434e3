"""libs.cache against the session's Redis: read-through, invalidation, the reader/writer race, and
Redis trouble answered by the loader. (It lives here because the product service is its first user.)"""

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from libs.cache import Cache
from libs.stack import LocalStack, unique
from libs.stack.process import free_ports


class Loader:
    def __init__(self, *values):
        self.values = list(values)
        self.calls = 0

    async def __call__(self):
        self.calls += 1
        return self.values.pop(0)


def text_cache(redis: Redis) -> Cache[str]:
    return Cache(redis, unique("test"), ttl_seconds=60, dumps=str.encode, loads=bytes.decode)


@pytest.fixture
async def redis(stack: LocalStack) -> AsyncIterator[Redis]:
    client = Redis.from_url(stack.redis_url)
    yield client
    await client.aclose()


async def test_a_value_is_loaded_once_then_read_from_redis(redis: Redis) -> None:
    cache, load = text_cache(redis), Loader("v1")

    assert [await cache.get_or_load("ns", "k", load) for _ in range(3)] == ["v1"] * 3
    assert load.calls == 1


async def test_invalidation_reaches_every_key_of_the_namespace_only(redis: Redis) -> None:
    cache = text_cache(redis)
    first, second, other = Loader("a1", "a2"), Loader("b1", "b2"), Loader("c1")
    for key, load in (("a", first), ("b", second)):
        await cache.get_or_load("ns", key, load)
    await cache.get_or_load("other", "c", other)

    await cache.invalidate("ns")

    assert (await cache.get_or_load("ns", "a", first), await cache.get_or_load("ns", "b", second)) == ("a2", "b2")
    assert await cache.get_or_load("other", "c", other) == "c1"


async def test_a_cache_sharing_generations_is_retired_by_the_owners_invalidation(redis: Redis) -> None:
    """How the gateway keeps REST bodies of products: the product service's invalidation retires them."""
    owner_name = unique("owner")
    owner = Cache(redis, owner_name, ttl_seconds=60, dumps=str.encode, loads=bytes.decode)
    rendering = Cache(redis, unique("rendering"), generations=owner_name, ttl_seconds=60, dumps=str.encode,
                      loads=bytes.decode)
    load = Loader("body v1", "body v2")
    await rendering.get_or_load("ns", "", load)

    await owner.invalidate("ns")

    assert await rendering.get_or_load("ns", "", load) == "body v2"
    assert load.calls == 2


async def test_a_reader_racing_a_writer_never_leaves_stale_data_behind(redis: Redis) -> None:
    cache = text_cache(redis)

    async def stale_load() -> str:
        # The row is read, then a writer commits and invalidates before this reader stores it.
        await cache.invalidate("ns")
        return "old"

    assert await cache.get_or_load("ns", "k", stale_load) == "old"  # its own caller may see it...
    assert await cache.get_or_load("ns", "k", Loader("new")) == "new"  # ...nobody after the write does


async def test_absence_is_not_cached(redis: Redis) -> None:
    cache, load = text_cache(redis), Loader(None, "created")

    assert await cache.get_or_load("ns", "k", load) is None
    assert await cache.get_or_load("ns", "k", load) == "created"


async def test_without_redis_the_loader_answers() -> None:
    [port] = free_ports(1)
    unreachable = Redis(port=port, socket_connect_timeout=0.2, socket_timeout=0.2, retry=Retry(NoBackoff(), retries=0))
    cache, load = text_cache(unreachable), Loader("v1", "v2")

    assert await cache.get_or_load("ns", "k", load) == "v1"
    await cache.invalidate("ns")  # logged, not raised
    assert await cache.get_or_load("ns", "k", load) == "v2"
    await unreachable.aclose()
