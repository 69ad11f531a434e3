"""The migrations build exactly the tables the models describe, so the models can be trusted."""

from services.product.models import Base
from services.product.settings import Settings
from tests.grpc_helpers import schema_drift


def test_the_migrated_database_matches_the_models(settings: Settings) -> None:
    assert schema_drift(settings.database_url, Base.metadata) == []
