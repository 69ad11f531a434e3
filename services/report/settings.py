from pydantic import Field
from pydantic_settings import SettingsConfigDict

from libs.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEPOT_REPORT_")

    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/depot_report"
    grpc_port: int = 50056
    metrics_port: int = 51056
    # How often the worker looks for due schedules and for reports nobody has generated yet (a new
    # request wakes it at once; this catches schedules coming due and another replica's crashed work).
    worker_interval_seconds: float = Field(5.0, gt=0)
