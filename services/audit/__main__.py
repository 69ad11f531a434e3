"""The audit service's composition root: `python -m services.audit [migrate]`."""

from pathlib import Path

from libs.db import create_engine, session_factory
from libs.events.consumer import TRAILING_FETCH_WAIT, EventConsumer
from libs.runtime import Wiring, main
from services.audit import events
from services.audit.grpc_api import binding
from services.audit.service import AuditService
from services.audit.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


async def build(settings: Settings) -> Wiring:
    engine = create_engine(settings.database_url)
    service = AuditService(engine)
    consumer = EventConsumer(name="audit", topics=events.TOPICS, handlers=events.handlers(service),
                             sessions=session_factory(engine), bootstrap=settings.kafka_bootstrap,
                             consumer_overrides=settings.consumer_overrides, fetch_wait=TRAILING_FETCH_WAIT)
    return Wiring(bindings=[binding(service)], background=[consumer.run], close=engine.dispose)


if __name__ == "__main__":
    main("audit", Settings, build, MIGRATIONS)
