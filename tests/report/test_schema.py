"""The migrations build exactly the tables the models describe, so the models can be trusted."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from services.report.models import Base
from services.report.settings import Settings


def test_the_migrated_database_matches_the_models(report_settings: Settings) -> None:
    engine = create_engine(report_settings.database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
