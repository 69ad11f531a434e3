from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from libs.settings import DEFAULT_KEY_DIR, ServiceSettings, shared


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEPOT_USER_")

    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/depot_user"
    grpc_port: int = 50051
    metrics_port: int = 51051
    # Only this service signs access tokens; the rest of the fleet holds the public key.
    jwt_private_key_file: Path = shared("DEPOT_JWT_PRIVATE_KEY_FILE", DEFAULT_KEY_DIR / "jwt_private.pem")
    access_token_ttl_seconds: int = Field(600, gt=0)
    refresh_token_ttl_days: int = Field(30, gt=0)
    max_failed_logins: int = Field(5, gt=0)
    lockout_minutes: int = Field(15, gt=0)
    # Set both (the dev stack does) to make sure an admin account exists at start-up.
    seed_admin_email: str | None = None
    seed_admin_password: str | None = None
