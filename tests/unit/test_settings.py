"""Settings: defaults that work under `make dev`, the DEPOT_USER_ prefix, the fleet-wide JWT variables,
and a clear failure naming a bad variable."""

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from libs.settings import DEFAULT_KEY_DIR
from services.user.settings import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in [n for n in os.environ if n.startswith("DEPOT_") or n == "OTEL_EXPORTER_OTLP_ENDPOINT"]:
        monkeypatch.delenv(name)


def test_defaults_fit_the_dev_stack() -> None:
    settings = Settings()

    assert settings.database_url == "postgresql+psycopg://postgres@127.0.0.1:5432/depot_user"
    assert (settings.grpc_port, settings.metrics_port) == (50051, 51051)
    assert settings.jwt_private_key_file == DEFAULT_KEY_DIR / "jwt_private.pem"
    assert settings.jwt_public_key_file == DEFAULT_KEY_DIR / "jwt_public.pem"
    assert (settings.access_token_ttl_seconds, settings.refresh_token_ttl_days) == (600, 30)
    assert settings.seed_admin_email is None and settings.seed_admin_password is None


def test_service_variables_are_prefixed_and_jwt_ones_are_shared(monkeypatch) -> None:
    monkeypatch.setenv("DEPOT_USER_GRPC_PORT", "6000")
    monkeypatch.setenv("DEPOT_USER_SEED_ADMIN_EMAIL", "root@example.com")
    monkeypatch.setenv("DEPOT_JWT_PRIVATE_KEY_FILE", "/keys/private.pem")
    monkeypatch.setenv("DEPOT_JWT_ISSUER", "elsewhere")
    monkeypatch.setenv("DEPOT_PRODUCT_GRPC_PORT", "7000")
    monkeypatch.setenv("GRPC_PORT", "8000")

    settings = Settings()

    assert settings.grpc_port == 6000 and settings.seed_admin_email == "root@example.com"
    assert settings.jwt_private_key_file == Path("/keys/private.pem") and settings.jwt_issuer == "elsewhere"


def test_a_bad_value_fails_naming_the_field(monkeypatch) -> None:
    monkeypatch.setenv("DEPOT_USER_GRPC_PORT", "not-a-port")

    with pytest.raises(ValidationError, match="grpc_port"):
        Settings()


def test_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        Settings().grpc_port = 1
