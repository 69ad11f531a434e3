from decimal import Decimal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from libs.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEPOT_ORDER_")

    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/depot_order"
    grpc_port: int = 50054
    metrics_port: int = 51054
    product_addr: str = "127.0.0.1:50052"
    inventory_addr: str = "127.0.0.1:50053"
    peer_timeout_seconds: float = Field(3.0, gt=0)
    # An unpaid order expires after this long and its reserved stock is released.
    order_ttl_seconds: float = Field(1800.0, gt=0)
    # How often the background loop expires due orders and retries unfinished stock calls.
    sweep_interval_seconds: float = Field(5.0, gt=0)
    sweep_batch_size: int = Field(100, gt=0)
    tax_rate: Decimal = Field(Decimal("0"), ge=0, lt=1)
    shipping_cost: Decimal = Field(Decimal("0.00"), ge=0, decimal_places=2)
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
