"""Input rules of the user service, with the exact messages of the REST contract (DESIGN.md §3, §7).

Each check returns the violation it finds (or None) so a request can report every bad field at once.
"""

import re
import uuid

from email_validator import EmailNotValidError, validate_email

from libs.errors import FieldViolation, InvalidArgument
from services.user.models import NAME_MAX, ROLE_NAME_MAX, USERNAME_MAX
from services.user.passwords import is_strong

USERNAME_MIN = 3
USERNAME_CHARS = re.compile(r"[A-Za-z0-9_]+")
ROLE_NAME = re.compile(r"[a-z][a-z0-9_-]*")
PERMISSION = re.compile(r"[a-z][a-z0-9_-]*(:[a-z][a-z0-9_-]*)+")


def normalize_email(raw: str) -> str | None:
    """The stored form of an email (lower-case), or None when its syntax is invalid. No DNS lookup."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def check_email(raw: str, field: str = "email") -> FieldViolation | None:
    if not raw.strip():
        return FieldViolation(field, "Email should not be empty")
    if normalize_email(raw) is None:
        return FieldViolation(field, "Email is invalid")
    return None


def check_username(username: str, field: str = "username") -> FieldViolation | None:
    if not username:
        return FieldViolation(field, "Username should not be empty")
    if len(username) < USERNAME_MIN:
        return FieldViolation(field, f"Username must be at least {USERNAME_MIN} characters")
    if len(username) > USERNAME_MAX:
        return FieldViolation(field, f"Username must be at most {USERNAME_MAX} characters")
    if not USERNAME_CHARS.fullmatch(username):
        return FieldViolation(field, "Username may contain only letters, digits and underscores")
    return None


def check_password(password: str, field: str = "password") -> FieldViolation | None:
    return None if is_strong(password) else FieldViolation(field, "Password is too weak")


def check_name(value: str, field: str, label: str) -> FieldViolation | None:
    if len(value) > NAME_MAX:
        return FieldViolation(field, f"{label} must be at most {NAME_MAX} characters")
    return None


def check_role_name(name: str, field: str = "name") -> FieldViolation | None:
    if not name:
        return FieldViolation(field, "Role name should not be empty")
    if len(name) > ROLE_NAME_MAX or not ROLE_NAME.fullmatch(name):
        return FieldViolation(
            field, f"Role name must be 1-{ROLE_NAME_MAX} lower-case letters, digits, '_' or '-', starting with a letter"
        )
    return None


def check_permissions(permissions: list[str], field: str = "permissions") -> FieldViolation | None:
    bad = [p for p in permissions if not PERMISSION.fullmatch(p)]
    if bad:
        return FieldViolation(field, f"Invalid permission {', '.join(bad)}: expected resource:action")
    return None


def require(*violations: FieldViolation | None) -> None:
    """Raise INVALID_ARGUMENT with every violation found, or return when there are none."""
    found = [v for v in violations if v is not None]
    if found:
        raise InvalidArgument.of(*found)


def parse_id(value: str, field: str = "id") -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument.field(field, f"{field} must be a UUID") from None
