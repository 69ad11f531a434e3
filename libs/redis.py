"""Redis clients for work that fails open (caches, rate limits): short timeouts and no retries, because
redis-py's default back-off would hold every request ~12 s while Redis is away."""

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff


def fail_fast_redis(url: str, *, timeout: float = 0.5) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                          retry=Retry(NoBackoff(), retries=0))
