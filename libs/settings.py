"""Settings base shared by every service: each service subclasses it with its own env prefix."""

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KEY_DIR = PROJECT_ROOT / ".depot" / "keys"


def shared(env_name: str, default, **kwargs):
    """A field read from one un-prefixed variable shared by the whole fleet (e.g. DEPOT_JWT_PUBLIC_KEY_FILE)."""
    return Field(default=default, validation_alias=AliasChoices(env_name), **kwargs)


class ServiceSettings(BaseSettings):
    """Fields every gRPC service has. Subclasses set `env_prefix="DEPOT_<CTX>_"` and their defaults."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    database_url: str
    redis_url: str = "redis://127.0.0.1:6379/0"
    kafka_bootstrap: str = "127.0.0.1:9092"
    grpc_host: str = "0.0.0.0"
    grpc_port: int
    metrics_port: int
    shutdown_grace_seconds: float = 5.0
    log_level: str = "INFO"
    log_json: bool = True
    otlp_endpoint: str | None = shared("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    jwt_public_key_file: Path = shared("DEPOT_JWT_PUBLIC_KEY_FILE", DEFAULT_KEY_DIR / "jwt_public.pem")
    jwt_issuer: str = shared("DEPOT_JWT_ISSUER", "depot")
    jwt_audience: str = shared("DEPOT_JWT_AUDIENCE", "depot-api")
