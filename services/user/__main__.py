"""The user service's composition root: `python -m services.user [migrate]`."""

from datetime import timedelta
from pathlib import Path

from redis.asyncio import Redis

from libs.auth import TokenIssuer
from libs.db import create_engine, session_factory
from libs.events.relay import OutboxRelay
from libs.runtime import Wiring, main
from services.user.grpc_api import binding
from services.user.passwords import PasswordHasher
from services.user.service import LockoutPolicy, UserService
from services.user.sessions import TokenFamilies
from services.user.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


async def build(settings: Settings) -> Wiring:
    engine = create_engine(settings.database_url)
    redis = Redis.from_url(settings.redis_url)
    service = UserService(
        session_factory(engine),
        hasher=PasswordHasher(),
        issuer=TokenIssuer.from_file(settings.jwt_private_key_file, issuer=settings.jwt_issuer,
                                     audience=settings.jwt_audience, ttl_seconds=settings.access_token_ttl_seconds),
        families=TokenFamilies(redis, ttl=timedelta(days=settings.refresh_token_ttl_days)),
        lockout=LockoutPolicy(settings.max_failed_logins, timedelta(minutes=settings.lockout_minutes)),
    )
    if settings.seed_admin_email and settings.seed_admin_password:
        await service.seed_admin(email=settings.seed_admin_email, password=settings.seed_admin_password)

    async def close() -> None:
        await redis.aclose()
        await engine.dispose()

    return Wiring(bindings=[binding(service)], background=[OutboxRelay(engine, settings.kafka_bootstrap).run],
                  close=close)


if __name__ == "__main__":
    main("user", Settings, build, MIGRATIONS)
