"""/api/orders: placing, paying, cancelling and reading orders.

Customers see and change only their own orders (the order service decides, from the forwarded token);
staff with order:read:all see every order. POST /orders and /orders/{id}/pay take an Idempotency-Key:
a replay answers as the first call did, the same key with another body is a 422.
"""

import uuid
from http import HTTPStatus
from typing import Annotated

from depot.common.v1 import page_pb2
from depot.order.v1 import order_pb2
from fastapi import APIRouter, Body, Path, Query

from gateway.deps import CurrentPrincipal, IdempotencyKey, OrderStub, RequirePermission
from gateway.schemas.common import Moment, Page, PageLimit, PageNumber, error_responses, period
from gateway.schemas.orders import STATUS_VALUES, OrderCancellation, OrderCreate, OrderPayment, OrderPublic, Status

router = APIRouter(prefix="/orders", tags=["orders"], responses=error_responses(400, 401, 403, 503, 504))
ONE = error_responses(404)
CHANGE = {**ONE, **error_responses(409)}
REPLAYABLE = error_responses(409, 422)

OrderId = Annotated[uuid.UUID, Path()]


@router.post("", status_code=HTTPStatus.CREATED, dependencies=[RequirePermission("order:create")],
             responses={**error_responses(404), **REPLAYABLE})
async def create_order(body: OrderCreate, orders: OrderStub, idempotency_key: IdempotencyKey = "") -> OrderPublic:
    """Prices are taken from the catalog now; the stock is reserved before the answer (409 "Insufficient
    stock for product …" otherwise). An unpaid order expires after 30 minutes and its stock is released."""
    answer = await orders.CreateOrder(body.to_proto(idempotency_key))
    return OrderPublic.from_proto(answer.order)


@router.get("", dependencies=[RequirePermission("order:read")])
async def list_orders(
    orders: OrderStub,
    status: Status | None = None,
    customer_id: Annotated[str, Query(alias="customerId", max_length=64,
                                      description="Staff only; customers always see their own")] = "",
    start_date: Annotated[Moment | None, Query(alias="startDate")] = None,
    end_date: Annotated[Moment | None, Query(alias="endDate")] = None,
    page: PageNumber = 1,
    limit: PageLimit = 20,
) -> Page[OrderPublic]:
    """Newest first."""
    start, end = period(start_date, end_date)
    answer = await orders.ListOrders(order_pb2.ListOrdersRequest(
        page=page_pb2.PageRequest(page=page, page_size=limit), status=STATUS_VALUES.get(status, 0),
        customer_id=customer_id, created_from=start, created_to=end))
    return Page[OrderPublic].of([OrderPublic.from_proto(o) for o in answer.orders], answer.page_info)


@router.get("/{id}", dependencies=[RequirePermission("order:read")], responses=ONE)
async def get_order(id: OrderId, orders: OrderStub) -> OrderPublic:
    answer = await orders.GetOrder(order_pb2.GetOrderRequest(id=str(id)))
    return OrderPublic.from_proto(answer.order)


@router.post("/{id}/pay", responses={**CHANGE, **REPLAYABLE, **error_responses(402)})
async def pay_order(id: OrderId, body: OrderPayment, orders: OrderStub, _: CurrentPrincipal,
                    idempotency_key: IdempotencyKey = "") -> OrderPublic:
    """Charges grandTotal and commits the stock at once. A declined card is a 402 and the order stays
    PENDING; the sandbox accepts 4111111111111111 and declines 4000000000000002. The order's customer
    or staff with order:update."""
    request = order_pb2.PayOrderRequest(order_id=str(id), payment_method=body.payment_method,
                                        payment_details=body.payment_details.to_proto(),
                                        idempotency_key=idempotency_key)
    answer = await orders.PayOrder(request)
    return OrderPublic.from_proto(answer.order)


@router.post("/{id}/cancel", responses=CHANGE)
async def cancel_order(id: OrderId, orders: OrderStub, _: CurrentPrincipal,
                       body: Annotated[OrderCancellation | None, Body()] = None) -> OrderPublic:
    """PENDING: the reservation is released. PAID: the payment is refunded and the stock comes back.
    Shipped orders cannot be cancelled (409)."""
    answer = await orders.CancelOrder(order_pb2.CancelOrderRequest(order_id=str(id),
                                                                   reason=body.reason if body else ""))
    return OrderPublic.from_proto(answer.order)

