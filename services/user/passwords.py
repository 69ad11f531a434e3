"""Password hashing (argon2id, OWASP parameters); the strength rule is libs.validation.is_strong_password."""

import asyncio
import secrets

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

HISTORY_DEPTH = 5  # a new password may not be any of the last 5, the current one included


class PasswordHasher:
    """argon2id with m=19 MiB, t=2, p=1 (OWASP). Hashing takes tens of milliseconds of CPU, so it runs in a
    worker thread (argon2-cffi releases the GIL) instead of stalling every other call on the event loop."""

    def __init__(self, *, time_cost: int = 2, memory_cost: int = 19456, parallelism: int = 1):
        self._argon = argon2.PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
        # Verified against when the account does not exist, so an unknown email costs as much as a known one.
        self._dummy_hash = self._argon.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._argon.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

    async def burn(self, password: str) -> None:
        """Spend the time of one verification and learn nothing: the timing twin of a real check."""
        await self.verify(self._dummy_hash, password)

    async def matches_any(self, password_hashes: list[str], password: str) -> bool:
        for password_hash in password_hashes:
            if await self.verify(password_hash, password):
                return True
        return False

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
