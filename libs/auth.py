"""Access tokens (EdDSA JWT), the principal they carry, and permission checks (DESIGN.md §3 Auth)."""

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from libs.errors import PermissionDenied, Unauthenticated

ALGORITHM = "EdDSA"
ACCESS_TOKEN_TYPE = "access"

# The roles every fresh database starts with; the user service seeds them, admins may add more.
DEFAULT_ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "admin": (
        "user:read", "user:create", "user:update", "user:delete", "role:read", "role:manage",
        "product:read", "product:create", "product:update", "product:delete",
        "inventory:read", "inventory:adjust", "order:read", "order:read:all", "order:create",
        "order:update", "shipping:read", "shipping:manage", "report:read", "report:create",
        "audit:read",
    ),
    "manager": (
        "user:read", "role:read", "product:read", "product:create", "product:update", "product:delete",
        "inventory:read", "inventory:adjust", "order:read", "order:read:all", "order:create",
        "order:update", "shipping:read", "shipping:manage", "report:read", "report:create", "audit:read",
    ),
    "staff": (
        "product:read", "product:update", "inventory:read", "inventory:adjust", "order:read",
        "order:read:all", "order:update", "shipping:read", "shipping:manage",
    ),
    "customer": ("product:read", "order:read", "order:create", "shipping:read"),
}
DEFAULT_ROLE = "customer"


@dataclass(frozen=True)
class Principal:
    """Who is calling, as proven by a verified access token."""

    user_id: str
    roles: frozenset[str] = field(default_factory=frozenset)
    permissions: frozenset[str] = field(default_factory=frozenset)
    token_id: str = ""
    expires_at: int = 0

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if not self.has(permission):
            raise PermissionDenied(f"Missing permission {permission}")


def generate_keypair(private_path: Path, public_path: Path) -> None:
    """Write a new Ed25519 keypair as PEM files (dev and tests; production mounts a Secret)."""
    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    private_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption())
    )
    private_path.chmod(0o600)
    public_path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


class TokenVerifier:
    """Verifies access tokens with the public key only; algorithms are pinned so `alg: none` never passes."""

    # Verifying a signature costs ~175 µs; a token is checked on every request by the gateway and again by
    # each service, so verified tokens are remembered until they expire (their claims cannot change).
    CACHE_SIZE = 10_000

    def __init__(self, public_key_pem: bytes, *, issuer: str, audience: str):
        self._key = serialization.load_pem_public_key(public_key_pem)
        self._issuer = issuer
        self._audience = audience
        self._verified: OrderedDict[str, Principal] = OrderedDict()

    @classmethod
    def from_file(cls, path: Path, *, issuer: str, audience: str) -> "TokenVerifier":
        return cls(path.read_bytes(), issuer=issuer, audience=audience)

    def verify(self, token: str) -> Principal:
        principal = self._verified.get(token)
        if principal is None:
            principal = self._verify_signature(token)
            self._verified[token] = principal
            if len(self._verified) > self.CACHE_SIZE:
                self._verified.popitem(last=False)
        elif principal.expires_at <= time.time():
            del self._verified[token]
            raise Unauthenticated("Token expired")
        return principal

    def _verify_signature(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token, self._key, algorithms=[ALGORITHM], issuer=self._issuer, audience=self._audience,
                options={"require": ["exp", "iat", "sub", "jti", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthenticated("Token expired") from error
        except jwt.PyJWTError as error:
            raise Unauthenticated("Invalid token") from error
        if claims.get("typ") != ACCESS_TOKEN_TYPE:
            raise Unauthenticated("Invalid token")
        return Principal(
            user_id=claims["sub"],
            roles=frozenset(claims.get("roles", ())),
            permissions=frozenset(claims.get("perms", ())),
            token_id=claims["jti"],
            expires_at=claims["exp"],
        )


class TokenIssuer:
    """Signs access tokens; only the user service holds the private key."""

    def __init__(self, private_key_pem: bytes, *, issuer: str, audience: str, ttl_seconds: int = 600):
        self._key = serialization.load_pem_private_key(private_key_pem, password=None)
        self._issuer = issuer
        self._audience = audience
        self.ttl_seconds = ttl_seconds

    @classmethod
    def from_file(cls, path: Path, **kwargs) -> "TokenIssuer":
        return cls(path.read_bytes(), **kwargs)

    def issue(self, user_id: str, roles: list[str], permissions: list[str], *, now: float | None = None) -> str:
        issued_at = int(now if now is not None else time.time())
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": user_id,
            "roles": sorted(roles),
            "perms": sorted(permissions),
            "jti": str(uuid.uuid4()),
            "typ": ACCESS_TOKEN_TYPE,
            "iat": issued_at,
            "exp": issued_at + self.ttl_seconds,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer …` value; the guard messages are the REST contract's."""
    if not authorization:
        raise Unauthenticated("No token provided")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Invalid token")
    return token.strip()
