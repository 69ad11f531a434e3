from pydantic_settings import SettingsConfigDict

from libs.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEPOT_AUDIT_")

    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/depot_audit"
    grpc_port: int = 50057
    metrics_port: int = 51057
