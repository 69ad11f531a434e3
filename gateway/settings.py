"""Gateway settings: env prefix DEPOT_GATEWAY_, defaults that work under `make dev`."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.settings import DEFAULT_KEY_DIR, shared


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEPOT_GATEWAY_", extra="ignore", frozen=True,
                                      populate_by_name=True)

    host: str = "0.0.0.0"
    port: int = 3000
    redis_url: str = "redis://127.0.0.1:6379/0"
    # One address per backend the gateway has routes for; see gateway.backends.
    user_addr: str = "127.0.0.1:50051"
    product_addr: str = "127.0.0.1:50052"
    inventory_addr: str = "127.0.0.1:50053"
    order_addr: str = "127.0.0.1:50054"
    shipping_addr: str = "127.0.0.1:50055"
    grpc_timeout_seconds: float = Field(5.0, gt=0)
    health_timeout_seconds: float = Field(1.0, gt=0)
    # Login attempts per client IP and email within a fixed window (DESIGN.md §3: rate limits in Redis).
    login_rate_limit: int = Field(10, ge=1)
    login_rate_window_seconds: int = Field(60, ge=1)
    shutdown_grace_seconds: float = 5.0
    log_level: str = "INFO"
    log_json: bool = True
    otlp_endpoint: str | None = shared("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    jwt_public_key_file: Path = shared("DEPOT_JWT_PUBLIC_KEY_FILE", DEFAULT_KEY_DIR / "jwt_ed25519.pub.pem")
    jwt_issuer: str = shared("DEPOT_JWT_ISSUER", "depot")
    jwt_audience: str = shared("DEPOT_JWT_AUDIENCE", "depot-api")
