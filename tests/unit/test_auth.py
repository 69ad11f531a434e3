"""Access tokens: what a verifier accepts, and the three guard messages for everything it refuses."""

import hashlib
import hmac
import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from libs.auth import DEFAULT_ROLE_PERMISSIONS, Principal, TokenIssuer, TokenVerifier, bearer_token, generate_keypair
from libs.errors import PermissionDenied, Unauthenticated

ISSUER, AUDIENCE = "depot", "depot-api"


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def issuer(key) -> TokenIssuer:
    return TokenIssuer(_private_pem(key), issuer=ISSUER, audience=AUDIENCE, ttl_seconds=600)


@pytest.fixture(scope="module")
def verifier(key) -> TokenVerifier:
    return TokenVerifier(_public_pem(key), issuer=ISSUER, audience=AUDIENCE)


def _claims(**overrides) -> dict:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": "u1", "roles": [], "perms": [], "jti": "j1", "typ": "access",
            "iat": now, "exp": now + 600, **overrides}


def test_an_issued_token_verifies_into_its_principal(issuer, verifier) -> None:
    token = issuer.issue("user-1", ["staff", "admin"], ["product:read", "user:read"])

    principal = verifier.verify(token)

    assert principal.user_id == "user-1" and principal.roles == {"admin", "staff"}
    assert principal.permissions == {"product:read", "user:read"} and principal.token_id
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"


def test_an_expired_token_says_so(issuer, verifier) -> None:
    token = issuer.issue("user-1", [], [], now=time.time() - 601)

    with pytest.raises(Unauthenticated, match="^Token expired$"):
        verifier.verify(token)


def test_a_remembered_token_still_expires(issuer, key, monkeypatch) -> None:
    verifier = TokenVerifier(_public_pem(key), issuer=ISSUER, audience=AUDIENCE)
    token = issuer.issue("user-1", [], [], now=time.time() - 598)  # two seconds left
    first = verifier.verify(token)

    assert verifier.verify(token) is first  # the second check skips the signature
    monkeypatch.setattr(time, "time", lambda: first.expires_at + 1)
    with pytest.raises(Unauthenticated, match="^Token expired$"):
        verifier.verify(token)
    assert token not in verifier._verified


def test_the_memory_of_verified_tokens_is_bounded(issuer, key, monkeypatch) -> None:
    monkeypatch.setattr(TokenVerifier, "CACHE_SIZE", 3)
    verifier = TokenVerifier(_public_pem(key), issuer=ISSUER, audience=AUDIENCE)
    tokens = [issuer.issue(f"user-{n}", [], []) for n in range(5)]

    principals = [verifier.verify(token) for token in tokens]

    assert len(verifier._verified) == 3
    assert [verifier.verify(token).user_id for token in tokens] == [p.user_id for p in principals]


def test_a_token_signed_by_another_key_is_invalid(verifier) -> None:
    forged = TokenIssuer(_private_pem(Ed25519PrivateKey.generate()), issuer=ISSUER, audience=AUDIENCE)

    with pytest.raises(Unauthenticated, match="^Invalid token$"):
        verifier.verify(forged.issue("admin", ["admin"], ["user:delete"]))


def test_alg_none_is_refused(verifier) -> None:
    unsigned = jwt.encode(_claims(roles=["admin"]), key=None, algorithm="none")

    with pytest.raises(Unauthenticated, match="^Invalid token$"):
        verifier.verify(unsigned)


def test_an_hmac_token_keyed_with_the_public_key_is_refused(key, verifier) -> None:
    """Algorithm confusion: HS256 with the (public) verification key as the secret must not verify."""
    signing_input = b".".join(
        jwt.utils.base64url_encode(json.dumps(part).encode()) for part in ({"alg": "HS256", "typ": "JWT"}, _claims())
    )
    signature = hmac.new(_public_pem(key), signing_input, hashlib.sha256).digest()
    token = (signing_input + b"." + jwt.utils.base64url_encode(signature)).decode()

    with pytest.raises(Unauthenticated, match="^Invalid token$"):
        verifier.verify(token)


@pytest.mark.parametrize("overrides", [
    {"aud": "someone-else"}, {"iss": "someone-else"}, {"typ": "refresh"}, {"typ": None},
])
def test_wrong_audience_issuer_or_type_is_invalid(key, verifier, overrides) -> None:
    claims = {k: v for k, v in _claims(**overrides).items() if v is not None}

    with pytest.raises(Unauthenticated, match="^Invalid token$"):
        verifier.verify(jwt.encode(claims, key, algorithm="EdDSA"))


@pytest.mark.parametrize("missing", ["exp", "sub", "jti", "iat"])
def test_a_token_missing_a_required_claim_is_invalid(key, verifier, missing) -> None:
    claims = _claims()
    del claims[missing]

    with pytest.raises(Unauthenticated, match="^Invalid token$"):
        verifier.verify(jwt.encode(claims, key, algorithm="EdDSA"))


def test_garbage_is_invalid(verifier) -> None:
    with pytest.raises(Unauthenticated, match="^Invalid token$"):
        verifier.verify("not.a.jwt")


@pytest.mark.parametrize(("header", "message"), [
    (None, "No token provided"), ("", "No token provided"), ("Basic abc", "Invalid token"),
    ("Bearer", "Invalid token"), ("Bearer   ", "Invalid token"),
])
def test_bearer_token_guard_messages(header, message) -> None:
    with pytest.raises(Unauthenticated, match=f"^{message}$"):
        bearer_token(header)


def test_bearer_token_takes_the_token_whatever_the_scheme_case() -> None:
    assert bearer_token("bearer abc.def") == bearer_token("Bearer abc.def ") == "abc.def"


def test_principal_require() -> None:
    principal = Principal("u1", frozenset({"staff"}), frozenset({"product:read"}))

    principal.require("product:read")
    with pytest.raises(PermissionDenied):
        principal.require("product:delete")


def test_generate_keypair_writes_a_working_private_only_pair(tmp_path: Path) -> None:
    private, public = tmp_path / "keys" / "jwt.pem", tmp_path / "keys" / "jwt.pub.pem"

    generate_keypair(private, public)

    assert private.stat().st_mode & 0o777 == 0o600
    token = TokenIssuer.from_file(private, issuer=ISSUER, audience=AUDIENCE).issue("u1", [], [])
    assert TokenVerifier.from_file(public, issuer=ISSUER, audience=AUDIENCE).verify(token).user_id == "u1"


def test_admin_holds_every_default_permission() -> None:
    every = {permission for permissions in DEFAULT_ROLE_PERMISSIONS.values() for permission in permissions}

    assert every == set(DEFAULT_ROLE_PERMISSIONS["admin"])
