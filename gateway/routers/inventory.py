"""/api/inventory: stock per product, adjustments and the movements history."""

import uuid
from typing import Annotated

from depot.common.v1 import page_pb2
from depot.inventory.v1 import inventory_pb2
from fastapi import APIRouter, Path, Query

from gateway.deps import IdempotencyKey, InventoryStub, RequirePermission
from gateway.schemas.common import Moment, Page, PageLimit, PageNumber, error_responses, period
from gateway.schemas.inventory import AdjustmentPublic, MovementPublic, StockAdjustment, StockPublic

router = APIRouter(prefix="/inventory", tags=["inventory"], responses=error_responses(400, 401, 403, 503, 504))
NOT_FOUND = error_responses(404)
READ = RequirePermission("inventory:read")

ProductId = Annotated[uuid.UUID, Path(alias="productId")]


@router.get("", dependencies=[READ])
async def list_stock(
    inventory: InventoryStub,
    low_stock: Annotated[bool, Query(alias="lowStock")] = False,
    location: Annotated[str, Query(max_length=100)] = "",
    page: PageNumber = 1,
    limit: PageLimit = 20,
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
    idempotency_key: IdempotencyKey = "",
) -> AdjustmentPublic:
    """RECEIVED/RETURNED add and SOLD/DAMAGED take a positive quantity; ADJUSTED takes a signed one.
    With an Idempotency-Key, a replay answers as the first call did; the same key with another body → 422."""
    request = inventory_pb2.AdjustStockRequest(
        product_id=str(product_id), type=body.movement_type(), quantity=body.quantity, notes=body.notes,
        reference_id=body.reference_id, idempotency_key=idempotency_key,
    )
    return AdjustmentPublic.from_answer(await inventory.AdjustStock(request))


@router.get("/{productId}/history", dependencies=[READ], responses=NOT_FOUND)
async def stock_history(
    product_id: ProductId,
    inventory: InventoryStub,
    start_date: Annotated[Moment | None, Query(alias="startDate")] = None,
    end_date: Annotated[Moment | None, Query(alias="endDate")] = None,
    page: PageNumber = 1,
    limit: PageLimit = 50,
) -> Page[MovementPublic]:
    """Newest first."""
    start, end = period(start_date, end_date)
    answer = await inventory.ListMovements(inventory_pb2.ListMovementsRequest(
        product_id=str(product_id), page=page_pb2.PageRequest(page=page, page_size=limit),
        start_time=start, end_time=end))
    return Page[MovementPublic].of([MovementPublic.from_proto(m) for m in answer.movements], answer.page_info)

