"""The migrations build exactly the tables the models describe, so the models can be trusted."""

from services.inventory.models import Base
from services.inventory.settings import Settings
from tests.grpc_helpers import schema_drift


def test_the_migrated_database_matches_the_models(inventory_settings: Settings) -> None:
    assert schema_drift(inventory_settings.database_url, Base.metadata) == []
