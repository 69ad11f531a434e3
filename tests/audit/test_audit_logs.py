"""The audit log over real gRPC: records published as the gateway does are kept once, listed newest first
by page or by cursor, narrowed by filters, exported as CSV, XLSX and JSON, and read only with audit:read."""

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import grpc
from depot.audit.v1 import audit_pb2
from depot.common.v1 import page_pb2
from openpyxl import load_workbook

from libs.timestamps import to_timestamp
from tests.audit.conftest import AuditApp
from tests.grpc_helpers import fails

NOW = datetime.now(UTC)


def at(minutes_ago: int):
    return to_timestamp(NOW - timedelta(minutes=minutes_ago))


def actor_filter(actor: str, **fields) -> audit_pb2.AuditFilter:
    return audit_pb2.AuditFilter(actor_id=actor, **fields)


async def test_a_record_is_kept_once_and_listed_newest_first(audit: AuditApp) -> None:
    actor = str(uuid.uuid4())
    older, newer = await audit.publish_and_wait(
        {"actor_id": actor, "occurred_at": at(2), "path": "/api/products", "user_agent": "curl/8"},
        {"actor_id": actor, "occurred_at": at(1), "action": "DELETE /api/products/{id}", "method": "DELETE",
         "path": f"/api/products/{uuid.uuid4()}", "resource_id": "p-1", "status_code": 403,
         "outcome": audit_pb2.OUTCOME_DENIED},
    )
    await audit.publish(event_id=older, actor_id=actor, action="POST /api/twice")  # a redelivery of the first
    await audit.publish_and_wait({"actor_id": str(uuid.uuid4())})  # later than the redelivery, on one partition

    answer = await audit.listing(filter=actor_filter(actor))

    assert [log.id for log in answer.logs] == [newer, older]
    first = answer.logs[1]
    assert (first.action, first.method, first.resource_type, first.status_code, first.outcome, first.user_agent,
            list(first.actor_roles)) == ("POST /api/products", "POST", "products", 201, audit_pb2.OUTCOME_SUCCESS,
                                         "curl/8", ["manager"])
    assert first.occurred_at.ToDatetime(UTC) == at(2).ToDatetime(UTC)
    assert (answer.page_info.total_size, answer.page_info.total_pages, answer.next_cursor) == (2, 1, "")


async def test_filters_narrow_the_log(audit: AuditApp) -> None:
    actor = str(uuid.uuid4())
    order = str(uuid.uuid4())
    create, pay, delete = await audit.publish_and_wait(
        {"actor_id": actor, "occurred_at": at(30), "action": "POST /api/orders", "resource_type": "orders"},
        {"actor_id": actor, "occurred_at": at(20), "action": "POST /api/orders/{id}/pay", "resource_type": "orders",
         "resource_id": order, "status_code": 402, "outcome": audit_pb2.OUTCOME_FAILURE},
        {"actor_id": actor, "occurred_at": at(10), "action": "DELETE /api/products/{id}", "method": "DELETE"},
    )

    async def ids(**fields) -> list[str]:
        return [log.id for log in (await audit.listing(filter=actor_filter(actor, **fields))).logs]

    assert await ids(action="POST /api/orders") == [pay, create]
    assert await ids(action="DELETE") == [delete]
    assert await ids(action="POST /api/orders%") == []  # the text is a prefix, not a pattern
    assert await ids(resource_type="orders", resource_id=order) == [pay]
    assert await ids(outcome=audit_pb2.OUTCOME_FAILURE) == [pay]
    assert await ids(since=at(25), until=at(5)) == [delete, pay]
    assert await ids(since=at(15)) == [delete]


async def test_pages_and_a_cursor_walk_the_same_records(audit: AuditApp) -> None:
    actor = str(uuid.uuid4())
    published = await audit.publish_and_wait(*({"actor_id": actor, "occurred_at": at(50 - i)} for i in range(5)))
    newest_first = published[::-1]

    pages = [await audit.listing(filter=actor_filter(actor), page=page_pb2.PageRequest(page=n, page_size=2))
             for n in (1, 2, 3)]
    assert [[log.id for log in page.logs] for page in pages] == [newest_first[:2], newest_first[2:4], newest_first[4:]]
    assert (pages[0].page_info.total_size, pages[0].page_info.total_pages) == (5, 3)

    walked, cursor = [], ""
    while True:
        answer = await audit.listing(filter=actor_filter(actor), cursor=cursor, page=page_pb2.PageRequest(page_size=2))
        assert answer.HasField("page_info") is not bool(cursor)  # the first page is counted, a walk is not
        walked += [log.id for log in answer.logs]
        if not (cursor := answer.next_cursor):
            break
    assert walked == newest_first


async def test_bad_requests_name_their_fields(audit: AuditApp) -> None:
    cases = [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "bm9wZQ", "page": page_pb2.PageRequest(page=2)}, "cursor"),
        ({"filter": audit_pb2.AuditFilter(since=at(1), until=at(2))}, "filter.until"),
        ({"filter": audit_pb2.AuditFilter(action="x" * 301)}, "filter.action"),
        ({"page": page_pb2.PageRequest(page_size=101)}, "page.page_size"),
    ]
    for request, field in cases:
        async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
            await audit.listing(**request)
        assert [v.field for v in failure.violations] == [field], request


async def test_reading_and_exporting_need_audit_read(audit: AuditApp) -> None:
    for metadata, code in ((audit.keys.role("customer"), grpc.StatusCode.PERMISSION_DENIED),
                           ((), grpc.StatusCode.UNAUTHENTICATED)):
        async with fails(code):
            await audit.stub.ListAuditLogs(audit_pb2.ListAuditLogsRequest(), metadata=metadata)
        async with fails(code):
            async for _ in audit.stub.ExportAuditLogs(audit_pb2.ExportAuditLogsRequest(), metadata=metadata):
                pass
    assert (await audit.listing(audit.keys.role("manager"))).page_info.page == 1


async def test_exports_hold_every_selected_record_in_each_format(audit: AuditApp) -> None:
    actor = str(uuid.uuid4())
    # A user agent that a spreadsheet would run as a formula, were it not quoted.
    formula = "=cmd|'/c calc'!A1"
    ids = await audit.publish_and_wait(*({"actor_id": actor, "occurred_at": at(9 - i), "user_agent": formula}
                                         for i in range(3)))

    content_type, filename, data = await audit.export(audit_pb2.EXPORT_FORMAT_CSV, actor_id=actor)
    assert (content_type, filename.endswith(".csv")) == ("text/csv; charset=utf-8", True)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row["id"] for row in rows] == ids[::-1]
    assert rows[0]["userAgent"] == "'=cmd|'/c calc'!A1" and rows[0]["statusCode"] == "201"

    content_type, filename, data = await audit.export(audit_pb2.EXPORT_FORMAT_JSON, actor_id=actor)
    records = json.loads(data)
    assert content_type == "application/json" and filename.endswith(".json")
    assert [r["id"] for r in records] == ids[::-1]
    assert (records[0]["actorId"], records[0]["actorRoles"], records[0]["statusCode"]) == (actor, ["manager"], 201)

    content_type, filename, data = await audit.export(audit_pb2.EXPORT_FORMAT_XLSX, actor_id=actor)
    assert filename.endswith(".xlsx") and content_type.startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    table = list(sheet.values)
    assert table[0][:3] == ("id", "occurredAt", "actorId")
    assert [row[0] for row in table[1:]] == ids[::-1]

    _, _, empty = await audit.export(audit_pb2.EXPORT_FORMAT_JSON, actor_id=str(uuid.uuid4()))
    assert json.loads(empty) == []


async def test_control_characters_are_replaced_in_xlsx_only(audit: AuditApp) -> None:
    # The fuzzer's GET /api/shipping/webhooks/%C3%90%26%1B… left an ESC in the record's path: XML 1.0 has no
    # form for it, openpyxl raised IllegalCharacterError and any XLSX export holding it was a 500.
    actor, path, agent = str(uuid.uuid4()), "/api/shipping/webhooks/\u00d0&\x1b\u00ad", "bot\x07\x0b\x1f"
    await audit.publish_and_wait({"actor_id": actor, "path": path, "user_agent": agent})

    _, _, data = await audit.export(audit_pb2.EXPORT_FORMAT_XLSX, actor_id=actor)
    [heading, row] = list(load_workbook(io.BytesIO(data), read_only=True).active.values)
    cells = dict(zip(heading, row, strict=True))
    assert cells["path"] == "/api/shipping/webhooks/\u00d0&\ufffd\u00ad"
    assert cells["userAgent"] == "bot\ufffd\ufffd\ufffd"

    [record] = json.loads((await audit.export(audit_pb2.EXPORT_FORMAT_JSON, actor_id=actor))[2])
    assert (record["path"], record["userAgent"]) == (path, agent)


async def test_oversized_text_is_cut_rather_than_refused(audit: AuditApp) -> None:
    [record] = await audit.publish_and_wait({"user_agent": "a" * 1000, "path": "/api/" + "p" * 2000})

    [row] = await audit.rows("SELECT length(user_agent) AS agent, length(path) AS path FROM audit_logs WHERE id = :id",
                             id=record)
    assert (row.agent, row.path) == (300, 1000)
