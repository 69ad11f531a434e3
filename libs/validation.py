"""Input rules of the REST contract with its exact messages (DESIGN.md §3, §7), written once: the gateway
answers bad input with them without a round trip, and the services apply them again as the authority for
callers that bypass the gateway.

Each check returns the message of what is wrong with a value, or None, so a caller can report every bad
field at once and name it the way its own callers do (`email` in a proto, `email` in JSON); `require`
turns the violations found into one INVALID_ARGUMENT.
"""

import re

from email_validator import EmailNotValidError, validate_email

from libs.errors import FieldViolation, InvalidArgument

USERNAME_MIN, USERNAME_MAX = 3, 50
PASSWORD_MIN, PASSWORD_MAX = 8, 100
NAME_MAX = 100
USERNAME_CHARS = re.compile(r"[A-Za-z0-9_]+")
# Control characters are not text: PostgreSQL cannot store U+0000, and the others (escape sequences,
# backspaces) rewrite terminals, logs and exported sheets. Tab and line breaks are text. The gateway
# refuses the rest in any JSON or parameter, the services in any string of a request.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_PROBLEM = "must not contain control characters"


def printable(text: str) -> str:
    """`text` as an error message can carry it when it is itself the bad input (a field name or map key
    holding a control character or an unpaired surrogate)."""
    return CONTROL.sub(lambda found: f"\\u{ord(found.group()):04x}", text).encode(errors="backslashreplace").decode()


def label(name: str) -> str:
    """`firstName` or `first_name` → "First name", for messages like "First name should not be empty"."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").split()
    return " ".join(words).capitalize() if words else "Value"


def normalize_email(raw: str) -> str | None:
    """The stored form of an email (lower-case), or None when its syntax is invalid. No DNS lookup."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def email_problem(raw: str) -> str | None:
    if not raw.strip():
        return "Email should not be empty"
    if normalize_email(raw) is None:
        return "Email is invalid"
    return None


def username_problem(username: str) -> str | None:
    if not username:
        return "Username should not be empty"
    if len(username) < USERNAME_MIN:
        return f"Username must be at least {USERNAME_MIN} characters"
    if len(username) > USERNAME_MAX:
        return f"Username must be at most {USERNAME_MAX} characters"
    if not USERNAME_CHARS.fullmatch(username):
        return "Username may contain only letters, digits and underscores"
    return None


def is_strong_password(password: str) -> bool:
    """8–100 characters with an upper-case letter, a lower-case letter, a digit and a symbol."""
    return (
        PASSWORD_MIN <= len(password) <= PASSWORD_MAX
        and any(c.isupper() for c in password)
        and any(c.islower() for c in password)
        and any(c.isdigit() for c in password)
        and any(not c.isalnum() and not c.isspace() for c in password)
    )


def password_problem(password: str) -> str | None:
    return None if is_strong_password(password) else "Password is too weak"


def name_problem(value: str, label: str) -> str | None:
    """A first or last name; `label` starts the message ("First name must be at most 100 characters")."""
    return f"{label} must be at most {NAME_MAX} characters" if len(value) > NAME_MAX else None


def require(*violations: FieldViolation | None) -> None:
    """Raise INVALID_ARGUMENT with every violation found, or return when there are none."""
    found = [v for v in violations if v is not None]
    if found:
        raise InvalidArgument.of(*found)
