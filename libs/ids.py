"""UUID ids as requests carry them, in strings: a malformed one is a field violation, never a 500."""

import uuid

from libs.errors import FieldViolation, InvalidArgument


def as_uuid(value: str) -> uuid.UUID | None:
    """The UUID `value` spells, or None."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def id_violation(value: str, field: str) -> FieldViolation | None:
    return None if as_uuid(value) is not None else FieldViolation(field, f"{field} must be a UUID")


def parse_id(value: str, field: str = "id") -> uuid.UUID:
    """The UUID `value` spells; INVALID_ARGUMENT "<field> must be a UUID" otherwise."""
    parsed = as_uuid(value)
    if parsed is None:
        raise InvalidArgument.field(field, f"{field} must be a UUID")
    return parsed
