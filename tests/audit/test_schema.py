"""The migrations build exactly the tables the models describe, so the models can be trusted."""

from services.audit.models import Base
from services.audit.settings import Settings
from tests.grpc_helpers import schema_drift


def test_the_migrated_database_matches_the_models(audit_settings: Settings) -> None:
    assert schema_drift(audit_settings.database_url, Base.metadata) == []
