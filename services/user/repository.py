"""Queries of the user service on a session the caller owns; nothing here commits."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import case, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.paging import select_page
from services.user.models import PasswordHistory, Role, User, user_roles

ADMIN_ROLE = "admin"
ADMIN_SET_LOCK_KEY = 0x61646D696E73  # 'admins'

# A soft-deleted user is gone for every query; only the row (and its email, still unique) remains.
_LIVE = User.deleted_at.is_(None)


async def get_user(user_id: uuid.UUID, *, session: AsyncSession, for_update: bool = False) -> User | None:
    query = select(User).where(User.id == user_id, _LIVE)
    if for_update:
        query = query.with_for_update(of=User).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def get_user_by_email(email: str, *, session: AsyncSession) -> User | None:
    return (await session.execute(select(User).where(User.email == email, _LIVE))).scalar_one_or_none()


async def list_users(
    *, session: AsyncSession, search: str, role: str, offset: int, limit: int
) -> tuple[list[User], int]:
    conditions = [_LIVE]
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(*(column.ilike(pattern, escape="\\") for column in
                                (User.email, User.username, User.first_name, User.last_name))))
    if role:
        conditions.append(exists().where(user_roles.c.user_id == User.id, user_roles.c.role_name == role))
    return await select_page(session, select(User).where(*conditions).order_by(User.created_at.desc(), User.id),
                             offset, limit)


async def add_user(user: User, *, session: AsyncSession) -> None:
    """Insert now, so a taken email or username surfaces here as the unique constraint's IntegrityError."""
    session.add(user)
    await session.flush()


async def record_failed_login(
    user_id: uuid.UUID, *, session: AsyncSession, now: datetime, max_attempts: int, lock_for: timedelta
) -> tuple[int, datetime | None] | None:
    """Count a failed login in one conditional UPDATE, locking the account at the `max_attempts`-th failure
    in a row. An expired lock starts the count again. Returns (attempts, locked_until), or None when the
    account is (now) locked, e.g. because concurrent failures got there first."""
    attempts = case((User.locked_until.is_not(None), 1), else_=User.failed_login_attempts + 1)
    result = await session.execute(
        update(User)
        .where(User.id == user_id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_login_attempts=attempts,
                locked_until=case((attempts >= max_attempts, now + lock_for), else_=None))
        .returning(User.failed_login_attempts, User.locked_until)
        .execution_options(synchronize_session=False)
    )
    row = result.one_or_none()
    return None if row is None else (row[0], row[1])


async def record_login(user_id: uuid.UUID, *, session: AsyncSession, now: datetime) -> bool:
    """Reset the failure count of an account that is not locked; False when it is locked."""
    result = await session.execute(
        update(User)
        .where(User.id == user_id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_login_attempts=0, locked_until=None, last_login_at=now)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    )
    return result.one_or_none() is not None


async def change_password_hash(
    user_id: uuid.UUID, *, session: AsyncSession, expected_hash: str, new_hash: str, now: datetime
) -> bool:
    """Replace the hash only if it is still the one the old password was checked against."""
    result = await session.execute(
        update(User)
        .where(User.id == user_id, User.password_hash == expected_hash)
        .values(password_hash=new_hash, version=User.version + 1, updated_at=now)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    )
    return result.one_or_none() is not None


async def recent_password_hashes(user_id: uuid.UUID, *, session: AsyncSession, depth: int) -> list[str]:
    result = await session.execute(
        select(PasswordHistory.password_hash)
        .where(PasswordHistory.user_id == user_id)
        .order_by(PasswordHistory.id.desc())
        .limit(depth)
    )
    return list(result.scalars())


async def add_password_hash(user_id: uuid.UUID, password_hash: str, *, session: AsyncSession, depth: int) -> None:
    """Remember a hash and forget all but the latest `depth`."""
    session.add(PasswordHistory(user_id=user_id, password_hash=password_hash))
    await session.flush()
    keep = (
        select(PasswordHistory.id).where(PasswordHistory.user_id == user_id)
        .order_by(PasswordHistory.id.desc()).limit(depth)
    )
    await session.execute(
        delete(PasswordHistory).where(PasswordHistory.user_id == user_id, PasswordHistory.id.not_in(keep))
    )


async def grant_role(user_id: uuid.UUID, role_name: str, *, session: AsyncSession) -> None:
    await session.execute(
        insert(user_roles).values(user_id=user_id, role_name=role_name).on_conflict_do_nothing()
    )


async def count_other_active_admins(user_id: uuid.UUID, *, session: AsyncSession) -> int:
    """Active admins other than `user_id`, counted after taking a transaction lock that every change of the
    admin set takes too, so two admins demoting each other at once cannot both see the other one remain."""
    await session.execute(select(func.pg_advisory_xact_lock(ADMIN_SET_LOCK_KEY)))
    return await session.scalar(
        select(func.count()).select_from(User).join(user_roles, user_roles.c.user_id == User.id)
        .where(user_roles.c.role_name == ADMIN_ROLE, User.is_active, _LIVE, User.id != user_id)
    )


async def get_roles(names: list[str], *, session: AsyncSession) -> list[Role]:
    return list((await session.execute(select(Role).where(Role.name.in_(names)).order_by(Role.name))).scalars())


async def list_roles(*, session: AsyncSession) -> list[Role]:
    return list((await session.execute(select(Role).order_by(Role.name))).scalars())


async def add_role(role: Role, *, session: AsyncSession) -> None:
    session.add(role)
    await session.flush()
