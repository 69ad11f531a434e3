"""The migrations build exactly the tables the models describe, so the models can be trusted."""

from services.order.models import Base
from services.order.settings import Settings
from tests.grpc_helpers import schema_drift


def test_the_migrated_database_matches_the_models(order_settings: Settings) -> None:
    assert schema_drift(order_settings.database_url, Base.metadata) == []
