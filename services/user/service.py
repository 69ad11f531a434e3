"""Use cases of the user service. Each owns its transaction and writes its events to the outbox in it.

Password hashing and verification (tens of milliseconds) happen outside transactions, so no connection
is held while argon2 works; the writes that follow are conditional UPDATEs that re-check what was read.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from depot.user.v1 import events_pb2
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.auth import DEFAULT_ROLE, TokenIssuer
from libs.db import in_transaction
from libs.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    Unauthenticated,
)
from libs.events import topics
from libs.events.outbox import add_event
from libs.ids import parse_id
from libs.paging import MAX_PAGE_SIZE, Page, Window
from libs.timestamps import to_timestamp
from libs.validation import require
from services.user import repository
from services.user.models import USERNAME_MAX, Role, User
from services.user.passwords import HISTORY_DEPTH, PasswordHasher
from services.user.sessions import TokenFamilies
from services.user.validation import (
    check_email,
    check_name,
    check_password,
    check_permissions,
    check_role_name,
    check_username,
    normalize_email,
)

T = TypeVar("T")

SOURCE = "depot/user"
DEFAULT_PAGE_SIZE = 20
TAKEN = {  # unique constraint → what the client is told
    "uq_users_email": FieldViolation("email", "Email already registered"),
    "uq_users_username": FieldViolation("username", "Username already taken"),
    "pk_roles": FieldViolation("name", "Role already exists"),
}


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


@dataclass(frozen=True)
class LockoutPolicy:
    max_failed_logins: int = 5
    lock_for: timedelta = timedelta(minutes=15)


class UserService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, hasher: PasswordHasher, issuer: TokenIssuer,
                 families: TokenFamilies, lockout: LockoutPolicy = LockoutPolicy()):
        self._sessions = sessions
        self._hasher = hasher
        self._issuer = issuer
        self._families = families
        self._lockout = lockout

    # -- accounts --------------------------------------------------------------------------------

    async def register(self, *, email: str, username: str, password: str, first_name: str = "",
                       last_name: str = "") -> User:
        require(check_email(email), check_username(username), check_password(password),
                check_name(first_name, "first_name", "First name"), check_name(last_name, "last_name", "Last name"))
        password_hash = await self._hasher.hash(password)

        async def work(session: AsyncSession) -> User:
            user = User(email=normalize_email(email), username=username,
                        password_hash=password_hash, first_name=first_name, last_name=last_name,
                        roles=await repository.get_roles([DEFAULT_ROLE], session=session))
            await _unique(repository.add_user(user, session=session))
            await repository.add_password_hash(user.id, password_hash, session=session, depth=HISTORY_DEPTH)
            await _publish(session, "user.registered", user.id, events_pb2.UserRegistered(
                user_id=str(user.id), email=user.email, username=user.username, occurred_at=_timestamp()))
            return user

        return await self._transaction(work)

    async def login(self, *, email: str, password: str) -> tuple[TokenPair, User]:
        normalized = normalize_email(email)
        user = None
        if normalized is not None:
            user = await self._transaction(lambda session: repository.get_user_by_email(normalized, session=session))
        if user is None or not user.is_active:
            await self._hasher.burn(password)
            raise Unauthenticated("Invalid credentials")
        now = _now()
        if user.locked_until and user.locked_until > now:
            raise InvalidArgument("Account is temporarily locked")
        if not await self._hasher.verify(user.password_hash, password):
            raise await self._failed_login(user.id, now)

        async def work(session: AsyncSession) -> tuple[TokenPair, User]:
            if not await repository.record_login(user.id, session=session, now=now):
                raise InvalidArgument("Account is temporarily locked")
            await _publish(session, "user.logged_in", user.id,
                           events_pb2.UserLoggedIn(user_id=str(user.id), occurred_at=_timestamp(now)))
            fresh = await repository.get_user(user.id, session=session)
            # Last, so a Redis failure rolls the login back instead of leaving an event without a session.
            return self._tokens(fresh, await self._families.start(str(user.id))), fresh

        return await self._transaction(work)

    async def _failed_login(self, user_id: uuid.UUID, now: datetime) -> DomainError:
        """Count the failure; the error to answer with says whether it locked the account."""
        counted = await self._transaction(lambda session: repository.record_failed_login(
            user_id, session=session, now=now, max_attempts=self._lockout.max_failed_logins,
            lock_for=self._lockout.lock_for))
        if counted is None:
            return InvalidArgument("Account is temporarily locked")
        attempts, _ = counted
        if attempts >= self._lockout.max_failed_logins:
            minutes = int(self._lockout.lock_for.total_seconds() // 60)
            return InvalidArgument(f"Too many failed attempts. Account locked for {minutes} minutes")
        return Unauthenticated("Invalid credentials")

    async def refresh(self, refresh_token: str) -> TokenPair:
        _require_refresh_token(refresh_token)
        rotated = await self._families.rotate(refresh_token)
        user = await self._transaction(
            lambda session: repository.get_user(uuid.UUID(rotated.subject), session=session))
        if user is None or not user.is_active:
            await self._families.revoke_family(rotated.token)
            raise Unauthenticated("Invalid refresh token")
        return self._tokens(user, rotated.token)

    async def logout(self, refresh_token: str) -> None:
        """Idempotent: an unknown or already revoked token is not an error, and says nothing about tokens."""
        _require_refresh_token(refresh_token)
        await self._families.revoke_family(refresh_token)

    async def logout_all(self, user_id: str) -> int:
        return await self._families.revoke_all(user_id)

    async def change_password(self, user_id: str, *, old_password: str, new_password: str) -> None:
        require(check_password(new_password, "new_password"))
        user = await self.get_user(user_id)
        if not await self._hasher.verify(user.password_hash, old_password):
            raise InvalidArgument.field("old_password", "Old password is incorrect")
        recent = await self._transaction(lambda session: repository.recent_password_hashes(
            user.id, session=session, depth=HISTORY_DEPTH))
        if await self._hasher.matches_any(recent, new_password):
            raise InvalidArgument.field("new_password", "Password was used recently")
        new_hash = await self._hasher.hash(new_password)

        async def work(session: AsyncSession) -> None:
            now = _now()
            if not await repository.change_password_hash(user.id, session=session, expected_hash=user.password_hash,
                                                         new_hash=new_hash, now=now):
                raise Conflict("The password was changed meanwhile; try again")
            await repository.add_password_hash(user.id, new_hash, session=session, depth=HISTORY_DEPTH)
            await _publish(session, "user.password_changed", user.id,
                           events_pb2.UserPasswordChanged(user_id=str(user.id), occurred_at=_timestamp(now)))
            # Inside the transaction: if Redis fails, the password stays as it was rather than changing while
            # stolen sessions survive.
            await self._families.revoke_all(str(user.id))

        await self._transaction(work)

    async def seed_admin(self, *, email: str, password: str) -> None:
        """Make sure `email` exists with the admin role (start-up, idempotent; an existing password is kept)."""
        local_part = email.partition("@")[0]
        username = "".join(c if c.isascii() and c.isalnum() else "_" for c in local_part)[:USERNAME_MAX].ljust(3, "_")
        try:
            await self.register(email=email, username=username, password=password)
        except AlreadyExists:
            pass  # seeded by an earlier start, or by a replica starting alongside

        async def work(session: AsyncSession) -> None:
            user = await repository.get_user_by_email(normalize_email(email), session=session)
            if user is None:
                raise RuntimeError(f"cannot seed admin {email}: username {username} belongs to another account")
            await repository.grant_role(user.id, repository.ADMIN_ROLE, session=session)

        await self._transaction(work)

    # -- reading ---------------------------------------------------------------------------------

    async def get_user(self, user_id: str, field: str = "id") -> User:
        user = await self._transaction(
            lambda session: repository.get_user(parse_id(user_id, field), session=session))
        if user is None:
            raise NotFound("User not found")
        return user

    async def list_users(self, *, page: int, page_size: int, search: str, role: str) -> Page[User]:
        window = _paging(page, page_size)
        users, total = await self._transaction(lambda session: repository.list_users(
            session=session, search=search.strip(), role=role, offset=window.offset, limit=window.size))
        return Page.of(users, window, total)

    # -- administration --------------------------------------------------------------------------

    async def update_user(self, actor_id: str, user_id: str, *, first_name: str | None = None,
                          last_name: str | None = None, username: str | None = None,
                          is_active: bool | None = None) -> User:
        require(
            check_username(username) if username is not None else None,
            check_name(first_name, "first_name", "First name") if first_name is not None else None,
            check_name(last_name, "last_name", "Last name") if last_name is not None else None,
        )
        changes = {"first_name": first_name, "last_name": last_name, "username": username, "is_active": is_active}
        changes = {name: value for name, value in changes.items() if value is not None}

        async def work(session: AsyncSession, user: User) -> list[str]:
            changed = [name for name, value in changes.items() if getattr(user, name) != value]
            for name in changed:
                setattr(user, name, changes[name])
            await _unique(session.flush())
            return changed

        user = await self._change_user(actor_id, user_id, work)
        if is_active is False:  # after the commit: a refused change must not log anybody out
            await self._families.revoke_all(str(user.id))
        return user

    async def deactivate_user(self, actor_id: str, user_id: str) -> User:
        return await self.update_user(actor_id, user_id, is_active=False)

    async def assign_roles(self, actor_id: str, user_id: str, role_names: list[str]) -> User:
        wanted = sorted(set(role_names))

        async def work(session: AsyncSession, user: User) -> list[str]:
            roles = await repository.get_roles(wanted, session=session)
            unknown = sorted(set(wanted) - {role.name for role in roles})
            if unknown:
                raise InvalidArgument.field("roles", f"Unknown role: {', '.join(unknown)}")
            if user.role_names == wanted:
                return []
            user.roles = roles
            return ["roles"]

        return await self._change_user(actor_id, user_id, work, id_field="user_id")

    async def _change_user(self, actor_id: str, user_id: str,
                           change: Callable[[AsyncSession, User], Awaitable[list[str]]], *,
                           id_field: str = "id") -> User:
        """Lock the user row, apply `change`, and when anything changed bump the version and publish."""
        target = parse_id(user_id, id_field)

        async def work(session: AsyncSession) -> User:
            user = await repository.get_user(target, session=session, for_update=True)
            if user is None:
                raise NotFound("User not found")
            was_admin = _is_active_admin(user)
            changed = await change(session, user)
            if was_admin and not _is_active_admin(user) and not await repository.count_other_active_admins(
                    user.id, session=session):
                raise FailedPrecondition("At least one active admin must remain")
            if changed:
                now = _now()
                user.version += 1
                user.updated_at = now
                await session.flush()
                await _publish(session, "user.updated", user.id, events_pb2.UserUpdated(
                    user_id=str(user.id), email=user.email, username=user.username, first_name=user.first_name,
                    last_name=user.last_name, is_active=user.is_active, roles=user.role_names,
                    changed_fields=changed, actor_id=actor_id, occurred_at=_timestamp(now)))
            return user

        return await self._transaction(work)

    async def list_roles(self) -> list[Role]:
        return await self._transaction(lambda session: repository.list_roles(session=session))

    async def create_role(self, *, name: str, description: str, permissions: list[str]) -> Role:
        require(check_role_name(name), check_permissions(permissions))
        role = Role(name=name, description=description, permissions=sorted(set(permissions)))
        await self._transaction(lambda session: _unique(repository.add_role(role, session=session)))
        return role

    # -- helpers ---------------------------------------------------------------------------------

    def _tokens(self, user: User, refresh_token: str) -> TokenPair:
        access = self._issuer.issue(str(user.id), user.role_names, user.permissions)
        return TokenPair(access_token=access, refresh_token=refresh_token, expires_in=self._issuer.ttl_seconds)

    async def _transaction(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        return await in_transaction(self._sessions, work)


async def _unique(write: Awaitable[T]) -> T:
    """Run a write; a unique constraint it trips becomes ALREADY_EXISTS naming the field (the database,
    not an earlier read, decides what is taken)."""
    try:
        return await write
    except IntegrityError as error:
        violation = TAKEN.get(getattr(getattr(error.orig, "diag", None), "constraint_name", None))
        if violation is None:
            raise
        raise AlreadyExists(violation.message, violations=[violation]) from error


async def _publish(session: AsyncSession, event_type: str, user_id: uuid.UUID, payload: Message) -> None:
    await add_event(session, topic=topics.USER, key=str(user_id), event_type=event_type, payload=payload, source=SOURCE)


def _require_refresh_token(token: str) -> None:
    if not token:
        raise InvalidArgument.field("refresh_token", "Refresh token should not be empty")


def _paging(page: int, page_size: int) -> Window:
    """libs.paging.page_window's rule, but this contract words a negative page "Page must be at least 1"."""
    require(
        FieldViolation("page.page", "Page must be at least 1") if page < 0 else None,
        FieldViolation("page.page_size", f"Page size must be between 1 and {MAX_PAGE_SIZE}")
        if not 0 <= page_size <= MAX_PAGE_SIZE else None,
    )
    return Window(page or 1, page_size or DEFAULT_PAGE_SIZE)


def _is_active_admin(user: User) -> bool:
    return user.is_active and repository.ADMIN_ROLE in user.role_names


def _now() -> datetime:
    return datetime.now(UTC)


def _timestamp(at: datetime | None = None) -> Timestamp:
    return to_timestamp(at or _now())
