"""Handlers of the events the audit service consumes: the gateway's audit.request records (topic
depot.audit.requests). Each runs in the consumer's transaction, which also records the event id; the
record's id is the event's as well, so a redelivery inserts nothing."""

from depot.audit.v1 import events_pb2
from sqlalchemy.ext.asyncio import AsyncSession

from libs.events import topics
from libs.events.consumer import Handler
from libs.events.envelope import Event
from services.audit.service import AuditService

TOPICS = (topics.AUDIT_REQUESTS,)
REQUEST_ANSWERED = "audit.request"


def handlers(service: AuditService) -> dict[str, Handler]:
    async def request_answered(session: AsyncSession, event: Event) -> None:
        await service.record(session, event.id, event.parse(events_pb2.RequestAnswered).record)

    return {REQUEST_ANSWERED: request_answered}
