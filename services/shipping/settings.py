from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from libs.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEPOT_SHIPPING_")

    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/depot_shipping"
    grpc_port: int = 50055
    metrics_port: int = 51055
    # Grams per unit when neither the rate request nor the order says what an item weighs.
    default_item_weight_grams: int = Field(500, gt=0)
    # Per carrier code (DHL, FEDEX, UPS), as JSON in DEPOT_SHIPPING_WEBHOOK_SECRETS. The defaults only
    # suit `make dev`: every real deployment sets its own.
    webhook_secrets: dict[str, SecretStr] = {
        "DHL": SecretStr("dev-dhl-webhook-secret"),
        "FEDEX": SecretStr("dev-fedex-webhook-secret"),
        "UPS": SecretStr("dev-ups-webhook-secret"),
    }
    # A webhook whose timestamp is further than this from now is refused (replays of old requests).
    webhook_tolerance_seconds: int = Field(300, gt=0)
