"""The user service's input rules and password policy, with the REST contract's exact messages."""

import uuid

import pytest

from libs.errors import FieldViolation, InvalidArgument
from libs.ids import parse_id
from libs.validation import is_strong_password as is_strong
from services.user.passwords import PasswordHasher
from services.user.validation import (
    check_email,
    check_name,
    check_password,
    check_permissions,
    check_role_name,
    check_username,
    normalize_email,
    require,
)


@pytest.mark.parametrize("password", ["Admin123!", "Aa1!aaaa", "Pässwörd1§", "Aa1!" * 25])
def test_strong_passwords(password) -> None:
    assert is_strong(password)


@pytest.mark.parametrize("password", [
    "", "Aa1!aaa", "Aa1!" * 25 + "x", "admin123!", "ADMIN123!", "Adminabc!", "Admin1234", "Admin 1234",
])
def test_weak_passwords(password) -> None:
    assert not is_strong(password)
    assert check_password(password, "new_password") == FieldViolation("new_password", "Password is too weak")


@pytest.mark.parametrize(("raw", "stored"), [
    ("Foo.Bar@Example.COM", "foo.bar@example.com"), ("  a@b.io ", "a@b.io"),
    ("x+tag@sub.example.org", "x+tag@sub.example.org"),
])
def test_emails_are_stored_lower_case(raw, stored) -> None:
    assert normalize_email(raw) == stored


@pytest.mark.parametrize(("raw", "message"), [
    ("", "Email should not be empty"), ("   ", "Email should not be empty"), ("plain", "Email is invalid"),
    ("a@", "Email is invalid"), ("@b.io", "Email is invalid"), ("a b@c.io", "Email is invalid"),
])
def test_bad_emails(raw, message) -> None:
    assert check_email(raw) == FieldViolation("email", message)


def test_an_undeliverable_domain_is_still_valid_syntax() -> None:
    """Syntax only: no DNS lookup, so a domain without mail servers passes (and tests need no network)."""
    assert check_email("someone@no-such-domain-for-depot.example") is None


@pytest.mark.parametrize(("username", "message"), [
    ("", "Username should not be empty"),
    ("ab", "Username must be at least 3 characters"),
    ("a" * 51, "Username must be at most 50 characters"),
    ("has space", "Username may contain only letters, digits and underscores"),
    ("dash-ed", "Username may contain only letters, digits and underscores"),
    ("ünï", "Username may contain only letters, digits and underscores"),
])
def test_bad_usernames(username, message) -> None:
    assert check_username(username) == FieldViolation("username", message)


@pytest.mark.parametrize("username", ["abc", "A_b_9", "a" * 50])
def test_good_usernames(username) -> None:
    assert check_username(username) is None


def test_names_roles_and_permissions() -> None:
    assert check_name("x" * 100, "first_name", "First name") is None
    assert check_name("x" * 101, "last_name", "Last name") == FieldViolation(
        "last_name", "Last name must be at most 100 characters")
    assert check_role_name("auditor") is None and check_role_name("").message == "Role name should not be empty"
    assert check_role_name("Auditor") is not None and check_role_name("a" * 51) is not None
    assert check_permissions(["audit:read", "order:read:all"]) is None
    assert check_permissions(["audit", "Audit:read"]) == FieldViolation(
        "permissions", "Invalid permission audit, Audit:read: expected resource:action")


def test_require_collects_every_violation() -> None:
    require(None, None)
    with pytest.raises(InvalidArgument) as raised:
        require(FieldViolation("a", "A is bad"), None, FieldViolation("b", "B is bad"))
    assert raised.value.violations == (FieldViolation("a", "A is bad"), FieldViolation("b", "B is bad"))


def test_parse_id_names_the_field() -> None:
    assert parse_id("6f1c1d5e-0a3b-4c8e-9d2f-1234567890ab") == uuid.UUID("6f1c1d5e-0a3b-4c8e-9d2f-1234567890ab")
    with pytest.raises(InvalidArgument) as raised:
        parse_id("42", "user_id")
    assert raised.value.violations == (FieldViolation("user_id", "user_id must be a UUID"),)


async def test_hasher_uses_argon2id_with_owasp_parameters_and_verifies() -> None:
    hasher = PasswordHasher()

    digest = await hasher.hash("Admin123!")

    assert digest.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert await hasher.verify(digest, "Admin123!") and not await hasher.verify(digest, "Admin123?")
    assert not await hasher.verify("not-a-hash", "Admin123!")
    assert await hasher.matches_any(["not-a-hash", digest], "Admin123!")
