"""Input rules of the user service, with the exact messages of the REST contract (DESIGN.md §3, §7).

The rules the gateway applies too live in libs.validation; here they name the proto's fields. Each check
returns the violation it finds (or None) so a request can report every bad field at once.
"""

import re

from libs import validation
from libs.errors import FieldViolation
from libs.validation import normalize_email, require
from services.user.models import ROLE_NAME_MAX

__all__ = ["check_email", "check_name", "check_password", "check_permissions", "check_role_name", "check_username",
           "normalize_email", "require"]

ROLE_NAME = re.compile(r"[a-z][a-z0-9_-]*")
PERMISSION = re.compile(r"[a-z][a-z0-9_-]*(:[a-z][a-z0-9_-]*)+")


def _at(field: str, message: str | None) -> FieldViolation | None:
    return FieldViolation(field, message) if message is not None else None


def check_email(raw: str, field: str = "email") -> FieldViolation | None:
    return _at(field, validation.email_problem(raw))


def check_username(username: str, field: str = "username") -> FieldViolation | None:
    return _at(field, validation.username_problem(username))


def check_password(password: str, field: str = "password") -> FieldViolation | None:
    return _at(field, validation.password_problem(password))


def check_name(value: str, field: str, label: str) -> FieldViolation | None:
    return _at(field, validation.name_problem(value, label))


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
