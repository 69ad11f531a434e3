"""The gateway's token guard: it verifies the access token itself before any gRPC call."""

import base64
import json
import time
from pathlib import Path

import httpx
import pytest

from libs.auth import TokenIssuer, generate_keypair
from tests.e2e.helpers import Account, assert_error, bearer


def _unsigned(claims: dict) -> str:
    """A token with `alg: none` and no signature, the classic forgery."""
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.fixture(scope="module")
def foreign_issuer(tmp_path_factory: pytest.TempPathFactory) -> TokenIssuer:
    keys = tmp_path_factory.mktemp("foreign-keys")
    generate_keypair(keys / "private.pem", keys / "public.pem")
    return TokenIssuer.from_file(Path(keys / "private.pem"), issuer="depot", audience="depot-api")


def test_no_token_is_a_401_no_token_provided(api: httpx.Client):
    answer = api.get("/auth/me")

    assert_error(answer, 401, "No token provided")
    assert answer.headers["www-authenticate"] == "Bearer"


def test_an_expired_token_is_a_401_token_expired(api: httpx.Client, issuer: TokenIssuer, customer: Account):
    token = issuer.issue(customer.id, ["customer"], [], now=time.time() - 3600)

    answer = api.get("/auth/me", headers=bearer(token))

    assert_error(answer, 401, "Token expired")
    assert answer.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("forge", ["other key", "alg none", "garbage", "basic scheme"])
def test_a_forged_or_malformed_token_is_a_401_invalid_token(
    api: httpx.Client, foreign_issuer: TokenIssuer, customer: Account, forge: str
):
    now = int(time.time())
    claims = {"iss": "depot", "aud": "depot-api", "sub": customer.id, "roles": ["admin"], "perms": ["user:read"],
              "jti": "x", "typ": "access", "iat": now, "exp": now + 600}
    authorization = {
        "other key": f"Bearer {foreign_issuer.issue(customer.id, ['admin'], ['user:read'])}",
        "alg none": f"Bearer {_unsigned(claims)}",
        "garbage": "Bearer not.a.token",
        "basic scheme": "Basic dXNlcjpwYXNz",
    }[forge]

    answer = api.get("/users", headers={"Authorization": authorization})

    assert_error(answer, 401, "Invalid token")
    assert answer.headers["www-authenticate"] == "Bearer"


def test_a_customer_calling_an_admin_route_is_a_403(api: httpx.Client, customer_headers: dict):
    for answer in (api.get("/users", headers=customer_headers),
                   api.post("/roles", headers=customer_headers, json={"name": "x"})):
        assert_error(answer, 403, "Missing permission " + ("user:read" if answer.request.method == "GET"
                                                           else "role:manage"))
