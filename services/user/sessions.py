"""Refresh-token families in Redis (DESIGN.md §3 Auth).

A login starts a family; each refresh rotates the presented token into a new one of the same family.
Tokens are opaque random strings stored only as SHA-256 digests, so a dump of Redis yields nothing usable.
Presenting a token that was already rotated means two parties hold the same family (one of them a thief):
the whole family is revoked. Rotation and revocation are Lua scripts, hence atomic: of two concurrent
refreshes with one token, exactly one rotates it and the other is treated as reuse.

Keys (`prefix` is "refresh" in the user service):
    {prefix}:token:{digest}    hash  family, subject, state (active | rotated)      TTL = token lifetime
    {prefix}:family:{family}   set   digests of the family's tokens                  TTL ≥ its newest token
    {prefix}:subject:{subject} set   the subject's families                          TTL ≥ its newest family
The scripts derive family and subject keys from the token's hash, so all keys must live on one Redis node
(no Redis Cluster without hash tags).

Nothing here is specific to users: a subject is any string, which makes the store reusable as is.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis

from libs.errors import Unauthenticated

# Deletes a family's tokens, the family and its entry in the subject's set.
_REVOKE = """
local function revoke(prefix, family, subject)
  local family_key = prefix .. ':family:' .. family
  for _, digest in ipairs(redis.call('SMEMBERS', family_key)) do
    redis.call('DEL', prefix .. ':token:' .. digest)
  end
  redis.call('DEL', family_key)
  redis.call('SREM', prefix .. ':subject:' .. subject, family)
end
"""

# KEYS: presented token, new token. ARGV: prefix, new digest, ttl seconds.
_ROTATE = _REVOKE + """
local family, subject, state = unpack(redis.call('HMGET', KEYS[1], 'family', 'subject', 'state'))
if not family then return {'invalid'} end
if state ~= 'active' then
  revoke(ARGV[1], family, subject)
  return {'reused', subject}
end
redis.call('HSET', KEYS[1], 'state', 'rotated')
redis.call('HSET', KEYS[2], 'family', family, 'subject', subject, 'state', 'active')
redis.call('EXPIRE', KEYS[2], ARGV[3])
local family_key = ARGV[1] .. ':family:' .. family
redis.call('SADD', family_key, ARGV[2])
redis.call('EXPIRE', family_key, ARGV[3])
redis.call('EXPIRE', ARGV[1] .. ':subject:' .. subject, ARGV[3])
return {'rotated', subject}
"""

# KEYS: a token of the family. ARGV: prefix. Returns the number of families revoked (0 or 1).
_REVOKE_FAMILY = _REVOKE + """
local family, subject = unpack(redis.call('HMGET', KEYS[1], 'family', 'subject'))
if not family then return 0 end
revoke(ARGV[1], family, subject)
return 1
"""

# KEYS: the subject's set. ARGV: prefix, subject. Returns how many live families were revoked.
_REVOKE_SUBJECT = _REVOKE + """
local count = 0
for _, family in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  count = count + redis.call('EXISTS', ARGV[1] .. ':family:' .. family)
  revoke(ARGV[1], family, ARGV[2])
end
redis.call('DEL', KEYS[1])
return count
"""


@dataclass(frozen=True)
class Rotated:
    subject: str
    token: str


class TokenFamilies:
    def __init__(self, redis: Redis, *, ttl: timedelta, prefix: str = "refresh"):
        self._redis = redis
        self._ttl = int(ttl.total_seconds())
        self._prefix = prefix
        self._rotate = redis.register_script(_ROTATE)
        self._revoke_family = redis.register_script(_REVOKE_FAMILY)
        self._revoke_subject = redis.register_script(_REVOKE_SUBJECT)

    async def start(self, subject: str) -> str:
        """A new family for `subject` (one per login); returns its first token."""
        token, digest = _new_token()
        family = secrets.token_hex(16)
        family_key, subject_key = self._key("family", family), self._key("subject", subject)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key("token", digest), mapping={"family": family, "subject": subject, "state": "active"})
            pipe.expire(self._key("token", digest), self._ttl)
            pipe.sadd(family_key, digest)
            pipe.expire(family_key, self._ttl)
            pipe.sadd(subject_key, family)
            pipe.expire(subject_key, self._ttl)
            await pipe.execute()
        return token

    async def rotate(self, token: str) -> Rotated:
        """Exchange a live token for the next one of its family."""
        new_token, new_digest = _new_token()
        outcome, *rest = await self._rotate(
            keys=[self._token_key(token), self._key("token", new_digest)], args=[self._prefix, new_digest, self._ttl]
        )
        if outcome == b"reused":
            raise Unauthenticated("Refresh token reuse detected")
        if outcome != b"rotated":
            raise Unauthenticated("Invalid refresh token")
        return Rotated(subject=rest[0].decode(), token=new_token)

    async def revoke_family(self, token: str) -> bool:
        """Revoke the family `token` belongs to (rotated or not); False when it is unknown or expired."""
        return bool(await self._revoke_family(keys=[self._token_key(token)], args=[self._prefix]))

    async def revoke_all(self, subject: str) -> int:
        """Revoke every family of `subject`; returns how many were live."""
        return int(await self._revoke_subject(keys=[self._key("subject", subject)], args=[self._prefix, subject]))

    def _token_key(self, token: str) -> str:
        return self._key("token", _digest(token))

    def _key(self, kind: str, name: str) -> str:
        return f"{self._prefix}:{kind}:{name}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, _digest(token)
