"""The inventory service's composition root: `python -m services.inventory [migrate]`."""

from pathlib import Path

from libs.db import create_engine, session_factory
from libs.runtime import Wiring, main
from services.inventory.grpc_api import binding
from services.inventory.service import InventoryService
from services.inventory.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


async def build(settings: Settings) -> Wiring:
    engine = create_engine(settings.database_url)
    service = InventoryService(session_factory(engine), default_reorder_level=settings.default_reorder_level,
                               default_location=settings.default_location)
    return Wiring(bindings=[binding(service)], close=engine.dispose)


if __name__ == "__main__":
    main("inventory", Settings, build, MIGRATIONS)
