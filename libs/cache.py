"""Read-through cache in Redis with namespace invalidation that never serves data older than a write.

Every value lives under a namespace (e.g. `product:<id>`, `products:list`) whose current generation
token is part of the value's key. A writer commits, then `invalidate`s the namespaces it touched: each
gets a fresh token, so every value stored before is unreachable at once. A reader fetches the token and
the value in one round trip (a Lua script) and, on a miss, stores what it loaded under the token it
read *before* loading: a reader racing a writer can only fill a generation nobody reads any more.

Tokens expire (GENERATION_TTL_FACTOR × the value TTL) so namespaces of deleted rows do not pile up; a
missing token reads as "0", which is safe because every value stored under an earlier "0" has expired
long before the token that replaced it does.

Another process may keep its own rendering of the same rows under the same generations (`generations=`
the writer's cache name): the gateway keeps the REST bodies of products that way, so that one
invalidation by the product service retires both (see `PRODUCTS`).

Redis trouble never fails a read (the loader answers); it is logged. A failed invalidation is logged
too: values then live at most their TTL, which is why TTLs are short.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import structlog
from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger("cache")

T = TypeVar("T")

GENERATION_TTL_FACTOR = 10
# The product service's cache of products by id (namespace: the product id), whose generations the
# gateway's REST bodies share. Their TTL must not exceed GENERATION_TTL_FACTOR × the service's.
PRODUCTS = "product"
LOOKUPS = Counter("depot_cache_lookups_total", "Cache lookups", ["cache", "result"])

# KEYS[1] = generation key; ARGV[1] = value key prefix, ARGV[2] = value key suffix.
_READ = """
local generation = redis.call('GET', KEYS[1]) or '0'
return {generation, redis.call('GET', ARGV[1] .. generation .. ARGV[2])}
"""


class Cache(Generic[T]):
    """Values of one kind (`dumps`/`loads` convert them to bytes) under a key prefix, with one TTL."""

    def __init__(self, redis: Redis, name: str, *, ttl_seconds: float,
                 dumps: Callable[[T], bytes], loads: Callable[[bytes], T], generations: str | None = None):
        """`generations`: the cache whose namespaces' invalidations also retire these values (default: own)."""
        self._redis = redis
        self._name = name
        self._generations = generations or name
        self._ttl_ms = int(ttl_seconds * 1000)
        self._dumps = dumps
        self._loads = loads
        self._read = redis.register_script(_READ)

    def _generation_key(self, namespace: str) -> str:
        return f"cache:{self._generations}:{namespace}:gen"

    async def get_or_load(self, namespace: str, key: str, load: Callable[[], Awaitable[T | None]]) -> T | None:
        """The cached value, or `load()`'s answer (stored unless it is None: absence is not cached,
        so a row created a moment later is seen at once)."""
        prefix, suffix = f"cache:{self._name}:{namespace}:", f":{key}"
        try:
            generation, raw = await self._read(keys=[self._generation_key(namespace)], args=[prefix, suffix])
        except RedisError as error:
            log.warning("cache.read_failed", cache=self._name, error=str(error))
            LOOKUPS.labels(self._name, "error").inc()
            return await load()
        if raw is not None:
            LOOKUPS.labels(self._name, "hit").inc()
            return self._loads(raw)
        LOOKUPS.labels(self._name, "miss").inc()
        value = await load()
        if value is not None:
            generation = generation.decode() if isinstance(generation, bytes) else generation
            try:
                await self._redis.set(prefix + generation + suffix, self._dumps(value), px=self._ttl_ms)
            except RedisError as error:
                log.warning("cache.write_failed", cache=self._name, error=str(error))
        return value

    async def invalidate(self, *namespaces: str) -> None:
        """Make every value stored so far under `namespaces` unreachable. Call after commit."""
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for namespace in namespaces:
                    pipe.set(self._generation_key(namespace), uuid.uuid4().hex,
                             px=self._ttl_ms * GENERATION_TTL_FACTOR)
                await pipe.execute()
        except RedisError as error:
            log.error("cache.invalidate_failed", cache=self._name, namespaces=namespaces, error=str(error))
