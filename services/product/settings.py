from pydantic import Field
from pydantic_settings import SettingsConfigDict

from libs.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEPOT_PRODUCT_")

    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/depot_product"
    grpc_port: int = 50052
    metrics_port: int = 51052
    inventory_addr: str = "127.0.0.1:50053"
    # InitializeStock is best effort at create time: the product.created consumer is the fallback.
    inventory_timeout_seconds: float = Field(2.0, gt=0)
    product_cache_ttl_seconds: float = Field(300.0, gt=0)
    # Any product write invalidates every list, so lists may live shortly.
    list_cache_ttl_seconds: float = Field(30.0, gt=0)
