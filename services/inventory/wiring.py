"""Composition root of the inventory service: settings → engine → service → servicer."""

from libs.db import create_engine, session_factory
from libs.runtime import Wiring
from services.inventory import grpc_api
from services.inventory.service import InventoryService
from services.inventory.settings import Settings


async def build(settings: Settings) -> Wiring:
    engine = create_engine(settings.database_url)
    service = InventoryService(session_factory(engine), default_reorder_level=settings.default_reorder_level,
                               default_location=settings.default_location)
    return Wiring(bindings=[grpc_api.binding(service)], close=engine.dispose)
