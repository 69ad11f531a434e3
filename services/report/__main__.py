"""The report service's composition root: `python -m services.report [migrate]`."""

from pathlib import Path

import structlog

from libs.db import create_engine, session_factory
from libs.events.consumer import TRAILING_FETCH_WAIT, EventConsumer
from libs.events.relay import OutboxRelay
from libs.runtime import Wiring, main
from services.report import events
from services.report.grpc_api import binding
from services.report.service import ReportService
from services.report.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger("report.worker")


async def work(service: ReportService, *, interval: float) -> None:
    """Make the reports of due schedules and generate every PENDING report, forever. Replicas may all
    run it: schedules and reports are taken with FOR UPDATE SKIP LOCKED."""
    while True:
        try:
            await service.run_due_schedules()
            while await service.generate_next():
                pass
        except Exception:
            log.exception("report.work_failed")  # the database is down: next round
        await service.wait_for_work(interval)


async def build(settings: Settings) -> Wiring:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    service = ReportService(sessions)
    consumer = EventConsumer(name="report", topics=events.TOPICS, handlers=events.handlers(service),
                             sessions=sessions, bootstrap=settings.kafka_bootstrap,
                             consumer_overrides=settings.consumer_overrides, fetch_wait=TRAILING_FETCH_WAIT)
    relay = OutboxRelay(engine, settings.kafka_bootstrap)
    return Wiring(
        bindings=[binding(service)],
        background=[relay.run, consumer.run, lambda: work(service, interval=settings.worker_interval_seconds)],
        close=engine.dispose,
    )


if __name__ == "__main__":
    main("report", Settings, build, MIGRATIONS)
