"""Gateway settings: env prefix DEPOT_GATEWAY_, defaults that work under `make dev`; Redis, logs, OTLP
and the JWT public key come from libs.settings.FleetSettings, as for every service."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from libs.settings import FleetSettings


class GatewaySettings(FleetSettings):
    model_config = SettingsConfigDict(env_prefix="DEPOT_GATEWAY_")

    host: str = "0.0.0.0"
    port: int = 3000
    # uvicorn worker processes sharing the port: up to one per core the gateway may use on its own
    # machine. In Kubernetes, keep 1 and scale the replicas.
    workers: int = Field(1, ge=1, le=64)
    # One address per backend the gateway has routes for; see gateway.backends.
    user_addr: str = "127.0.0.1:50051"
    product_addr: str = "127.0.0.1:50052"
    inventory_addr: str = "127.0.0.1:50053"
    order_addr: str = "127.0.0.1:50054"
    shipping_addr: str = "127.0.0.1:50055"
    report_addr: str = "127.0.0.1:50056"
    audit_addr: str = "127.0.0.1:50057"
    # Where the records of requests that change something go (topic depot.audit.requests; gateway.audit).
    kafka_bootstrap: str = "127.0.0.1:9092"
    grpc_timeout_seconds: float = Field(5.0, gt=0)
    health_timeout_seconds: float = Field(1.0, gt=0)
    # Rendered product bodies (GET /api/products/{id}); the product service's writes retire them at once,
    # so this only bounds memory. At most 10 × the product service's own TTL (libs.cache.PRODUCTS).
    product_cache_ttl_seconds: float = Field(300.0, gt=0)
    # Login attempts per client IP and email within a fixed window (DESIGN.md §3: rate limits in Redis).
    login_rate_limit: int = Field(10, ge=1)
    login_rate_window_seconds: int = Field(60, ge=1)
