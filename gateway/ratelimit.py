"""Fixed-window rate limits in Redis, fail-open: a Redis outage must not lock everybody out of login."""

import hashlib
from dataclasses import dataclass

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger("gateway.ratelimit")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds until the window ends, when refused


class FixedWindowLimiter:
    """At most `limit` hits per key within `window_seconds`; the window starts at the key's first hit."""

    def __init__(self, redis: Redis, *, name: str, limit: int, window_seconds: int):
        self._redis = redis
        self._name = name
        self.limit = limit
        self.window_seconds = window_seconds

    def _key(self, *parts: str) -> str:
        # Hashed so that no e-mail address or IP ends up readable in Redis.
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
        return f"depot:ratelimit:{self._name}:{digest}"

    async def hit(self, *parts: str) -> Verdict:
        key = self._key(*parts)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, self.window_seconds, nx=True)
                pipe.ttl(key)
                count, _, ttl = await pipe.execute()
        except (RedisError, OSError) as error:
            log.warning("ratelimit.unavailable", limiter=self._name, error=str(error))
            return Verdict(allowed=True)
        if count > self.limit:
            return Verdict(allowed=False, retry_after=max(int(ttl), 1))
        return Verdict(allowed=True)
