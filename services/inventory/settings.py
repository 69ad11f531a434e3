from pydantic import Field
from pydantic_settings import SettingsConfigDict

from libs.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEPOT_INVENTORY_")

    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/depot_inventory"
    grpc_port: int = 50053
    metrics_port: int = 51053
    # Reorder level of stock initialized without one (DESIGN.md §7).
    default_reorder_level: int = Field(10, ge=0)
    default_location: str = "MAIN"
