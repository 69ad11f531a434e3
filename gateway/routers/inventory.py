"""/api/inventory: stock per product, adjustments and the movements history."""

import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated

import grpc
from depot.common.v1 import page_pb2
from depot.inventory.v1 import inventory_pb2
from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import JSONResponse
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_status import rpc_status

from gateway.deps import InventoryStub, RequirePermission
from gateway.errors import error_response
from gateway.schemas.common import Page, error_responses
from gateway.schemas.inventory import AdjustmentPublic, MovementPublic, StockAdjustment, StockPublic
from libs.errors import InvalidArgument, violations_of
from libs.idempotency import FIELD as IDEMPOTENCY_FIELD

router = APIRouter(prefix="/inventory", tags=["inventory"], responses=error_responses(400, 401, 403, 503))
NOT_FOUND = error_responses(404)
READ = RequirePermission("inventory:read")

ProductId = Annotated[uuid.UUID, Path(alias="productId")]


@router.get("", dependencies=[READ])
async def list_stock(
    inventory: InventoryStub,
    low_stock: Annotated[bool, Query(alias="lowStock")] = False,
    location: Annotated[str, Query(max_length=100)] = "",
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[StockPublic]:
    answer = await inventory.ListStock(inventory_pb2.ListStockRequest(
        page=page_pb2.PageRequest(page=page, page_size=limit), low_stock=low_stock, location=location))
    return Page[StockPublic].of([StockPublic.from_proto(s) for s in answer.stocks], answer.page_info)


@router.get("/{productId}", dependencies=[READ], responses=NOT_FOUND)
async def get_stock(product_id: ProductId, inventory: InventoryStub) -> StockPublic:
    answer = await inventory.GetStock(inventory_pb2.GetStockRequest(product_id=str(product_id)))
    return StockPublic.from_proto(answer.stock)


@router.post("/{productId}/adjust", dependencies=[RequirePermission("inventory:adjust")],
             responses={**NOT_FOUND, **error_responses(409, 422)})
async def adjust_stock(
    product_id: ProductId,
    body: StockAdjustment,
    inventory: InventoryStub,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", max_length=200)] = "",
) -> AdjustmentPublic:
    """RECEIVED/RETURNED add and SOLD/DAMAGED take a positive quantity; ADJUSTED takes a signed one.
    With an Idempotency-Key, a replay answers as the first call did; the same key with another body → 422."""
    request = inventory_pb2.AdjustStockRequest(
        product_id=str(product_id), type=body.movement_type(), quantity=body.quantity, notes=body.notes,
        reference_id=body.reference_id, idempotency_key=idempotency_key,
    )
    try:
        answer = await inventory.AdjustStock(request)
    except grpc.aio.AioRpcError as error:
        if reused := _reused_key(error):
            return reused
        raise
    return AdjustmentPublic.from_answer(answer)


@router.get("/{productId}/history", dependencies=[READ], responses=NOT_FOUND)
async def stock_history(
    product_id: ProductId,
    inventory: InventoryStub,
    start_date: Annotated[datetime | None, Query(alias="startDate")] = None,
    end_date: Annotated[datetime | None, Query(alias="endDate")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Page[MovementPublic]:
    """Newest first."""
    start, end = _utc(start_date), _utc(end_date)
    if start and end and start > end:
        raise InvalidArgument.field("startDate", "Start date must not be after end date")
    answer = await inventory.ListMovements(inventory_pb2.ListMovementsRequest(
        product_id=str(product_id), page=page_pb2.PageRequest(page=page, page_size=limit),
        start_time=_timestamp(start), end_time=_timestamp(end)))
    return Page[MovementPublic].of([MovementPublic.from_proto(m) for m in answer.movements], answer.page_info)


def _reused_key(error: grpc.aio.AioRpcError) -> JSONResponse | None:
    """DESIGN.md §5: an Idempotency-Key sent again with a different body is a 422, not a 400."""
    violations = violations_of(rpc_status.from_call(error))
    if error.code() != grpc.StatusCode.INVALID_ARGUMENT or [v.field for v in violations] != [IDEMPOTENCY_FIELD]:
        return None
    return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, [v.message for v in violations], violations)


def _utc(moment: datetime | None) -> datetime | None:
    """A date without an offset is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def _timestamp(moment: datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp
