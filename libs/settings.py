"""Settings bases: `FleetSettings` holds what every process of the fleet (services and gateway) reads;
`ServiceSettings` adds what every gRPC service has. Each subclass sets its own env prefix."""

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KEY_DIR = PROJECT_ROOT / ".depot" / "keys"


def shared(env_name: str, default, **kwargs):
    """A field read from one un-prefixed variable shared by the whole fleet (e.g. DEPOT_JWT_PUBLIC_KEY_FILE)."""
    return Field(default=default, validation_alias=AliasChoices(env_name), **kwargs)


class FleetSettings(BaseSettings):
    """Fields of every process, the gateway included. Subclasses set `env_prefix="DEPOT_<NAME>_"`;
    the JWT and OTLP fields ignore it: one un-prefixed variable configures the whole fleet."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    redis_url: str = "redis://127.0.0.1:6379/0"
    shutdown_grace_seconds: float = 5.0
    log_level: str = "INFO"
    log_json: bool = True
    otlp_endpoint: str | None = shared("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    jwt_public_key_file: Path = shared("DEPOT_JWT_PUBLIC_KEY_FILE", DEFAULT_KEY_DIR / "jwt_public.pem")
    jwt_issuer: str = shared("DEPOT_JWT_ISSUER", "depot")
    jwt_audience: str = shared("DEPOT_JWT_AUDIENCE", "depot-api")


class ServiceSettings(FleetSettings):
    """Fields every gRPC service has. Subclasses set `env_prefix="DEPOT_<CTX>_"` and their defaults."""

    database_url: str
    kafka_bootstrap: str = "127.0.0.1:9092"
    grpc_host: str = "0.0.0.0"
    grpc_port: int
    metrics_port: int
    # librdkafka settings merged into the service's event consumer, as JSON in
    # DEPOT_<CTX>_CONSUMER_OVERRIDES. The dev fleet and the tests set libs.stack.FAST_GROUP_CONFIG so a
    # consumer joins its group in seconds rather than after Tansu's ~45 s rebalance.
    consumer_overrides: dict[str, int | str] = {}
