"""The audit service as it runs in production (its real `build()` wiring behind the shared gRPC server,
its audit.request consumer as a task), on port 0, against the session's PostgreSQL and the package's own
broker, reached through real stubs. Records are published to the broker as the gateway publishes them."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from depot.audit.v1 import audit_pb2, audit_pb2_grpc
from depot.audit.v1 import events_pb2 as audit_events
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.db import create_engine
from libs.events import topics
from libs.stack import apoll_until
from libs.timestamps import to_timestamp
from services.audit.__main__ import MIGRATIONS, build
from services.audit.settings import Settings
from tests import package_fixtures
from tests.grpc_helpers import Deployment, Keys, Metadata, Publisher, Rows, serve

broker, deployment = package_fixtures.broker, package_fixtures.deployment

DATABASE = "depot_audit_test"
EVENT_TIMEOUT = 30.0  # the first event waits for the consumer to join its group


@dataclass
class AuditApp(Rows):
    stub: audit_pb2_grpc.AuditServiceStub
    settings: Settings
    keys: Keys
    db: AsyncEngine
    publisher: Publisher

    @property
    def auditor(self) -> Metadata:
        return self.keys.role("admin")

    async def publish(self, event_id: str | None = None, **fields) -> str:
        """A record as the gateway publishes it (fields override a successful POST /api/products by a
        new actor); returns the event id, which becomes the record's id."""
        values = {"occurred_at": to_timestamp(datetime.now(UTC)), "actor_id": str(uuid.uuid4()),
                  "actor_roles": ["manager"], "action": "POST /api/products", "method": "POST",
                  "path": "/api/products", "resource_type": "products", "status_code": 201,
                  "outcome": audit_pb2.OUTCOME_SUCCESS, "request_id": uuid.uuid4().hex, "client_ip": "127.0.0.1",
                  "user_agent": "pytest", "duration_ms": 12, **fields}
        record = audit_pb2.AuditLog(**values)
        return await self.publisher.publish(topics.AUDIT_REQUESTS, record.actor_id or "anonymous", "audit.request",
                                            audit_events.RequestAnswered(record=record), event_id)

    async def recorded(self, *event_ids: str) -> bool:
        rows = await self.rows("SELECT id FROM audit_logs WHERE id = ANY(CAST(:ids AS uuid[]))", ids=list(event_ids))
        return len(rows) == len(event_ids)

    async def publish_and_wait(self, *records: dict) -> list[str]:
        ids = [await self.publish(**record) for record in records]
        await apoll_until(lambda: self.recorded(*ids), EVENT_TIMEOUT, message=f"records {ids}")
        return ids

    async def listing(self, metadata: Metadata | None = None, **request) -> audit_pb2.ListAuditLogsResponse:
        return await self.stub.ListAuditLogs(audit_pb2.ListAuditLogsRequest(**request),
                                             metadata=metadata or self.auditor)

    async def export(self, export_format: int, **filters) -> tuple[str, str, bytes]:
        """(content type, filename, the file) of an export."""
        request = audit_pb2.ExportAuditLogsRequest(filter=audit_pb2.AuditFilter(**filters), format=export_format)
        pieces = [piece async for piece in self.stub.ExportAuditLogs(request, metadata=self.auditor)]
        return pieces[0].content_type, pieces[0].filename, b"".join(piece.chunk for piece in pieces)


@pytest.fixture(scope="package")
def audit_settings(deployment: Deployment) -> Settings:
    return deployment.settings(Settings, DATABASE, MIGRATIONS)


@pytest.fixture(scope="package")
async def audit(audit_settings: Settings, keys: Keys) -> AsyncIterator[AuditApp]:
    server = await serve(await build(audit_settings), keys)
    db = create_engine(audit_settings.database_url, pool_size=2)
    publisher = Publisher(audit_settings.kafka_bootstrap, source="tests.audit")
    try:
        yield AuditApp(audit_pb2_grpc.AuditServiceStub(server.channel), audit_settings, keys, db, publisher)
    finally:
        await server.close()
        await db.dispose()
