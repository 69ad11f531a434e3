"""/api/shipping, /api/shipments and /api/tracking: rates, shipments of paid orders, tracking.

Rates and tracking are public. Customers see their own shipments, staff with shipping:manage see every
shipment and move it along; carriers push statuses to /shipping/webhooks/{carrier}, signed with their
secret (the shipping service checks the signature over the body exactly as received).
"""

import uuid
from typing import Annotated

from depot.common.v1 import page_pb2
from depot.shipping.v1 import shipping_pb2
from fastapi import APIRouter, Header, Path, Query, Request

from gateway.deps import RequirePermission, ShippingStub
from gateway.schemas.common import Page, PageLimit, PageNumber, error_responses
from gateway.schemas.shipping import (
    Carrier,
    RateRequest,
    RatesPublic,
    ShipmentDetail,
    ShipmentPublic,
    ShipmentStatus,
    StatusUpdate,
    TrackingPublic,
    status_value,
)
from libs.timestamps import to_timestamp

router = APIRouter(tags=["shipping"], responses=error_responses(400, 503, 504))
PROTECTED = error_responses(401, 403)
ONE = error_responses(404)
READ = RequirePermission("shipping:read")

ShipmentId = Annotated[uuid.UUID, Path()]


@router.post("/shipping/rates", responses=error_responses(409))
async def get_rates(body: RateRequest, shipping: ShippingStub) -> RatesPublic:
    """A quote per carrier (DHL, FEDEX, UPS) and service (STANDARD, EXPRESS), cheapest first, one of them
    flagged cheapest and one fastest. Items without a weight count 500 g each."""
    return RatesPublic.from_proto(await shipping.GetRates(body.to_proto()))


@router.get("/shipments", dependencies=[READ], responses=PROTECTED)
async def list_shipments(
    shipping: ShippingStub,
    status: ShipmentStatus | None = None,
    carrier: Carrier | None = None,
    order_id: Annotated[uuid.UUID | None, Query(alias="orderId")] = None,
    customer_id: Annotated[str, Query(alias="customerId", max_length=64,
                                      description="Staff only; customers always see their own")] = "",
    page: PageNumber = 1,
    limit: PageLimit = 20,
) -> Page[ShipmentPublic]:
    """Newest first, without their history (GET /shipments/{id} has it)."""
    answer = await shipping.ListShipments(shipping_pb2.ListShipmentsRequest(
        page=page_pb2.PageRequest(page=page, page_size=limit), status=status_value(status) if status else 0,
        carrier=carrier or "", order_id=str(order_id or ""), customer_id=customer_id))
    return Page[ShipmentPublic].of([ShipmentPublic.from_proto(s) for s in answer.shipments], answer.page_info)


@router.get("/shipments/{id}", dependencies=[READ], responses={**PROTECTED, **ONE})
async def get_shipment(id: ShipmentId, shipping: ShippingStub) -> ShipmentDetail:
    answer = await shipping.GetShipment(shipping_pb2.GetShipmentRequest(id=str(id)))
    return ShipmentDetail.from_proto(answer.shipment)


@router.post("/shipments/{id}/status", dependencies=[RequirePermission("shipping:manage")],
             responses={**PROTECTED, **ONE, **error_responses(409)})
async def update_shipment_status(id: ShipmentId, body: StatusUpdate, shipping: ShippingStub) -> ShipmentDetail:
    """LABEL_CREATED → PICKED_UP → IN_TRANSIT → OUT_FOR_DELIVERY → DELIVERED, with EXCEPTION and RETURNED
    on the way; another step is a 409. DELIVERED sets actualDelivery and makes the order DELIVERED. A
    shipment is CANCELLED when its order is cancelled before pickup, and moves no further."""
    answer = await shipping.UpdateShipmentStatus(shipping_pb2.UpdateShipmentStatusRequest(
        id=str(id), status=status_value(body.status), location=body.location, note=body.note,
        occurred_at=to_timestamp(body.occurred_at)))
    return ShipmentDetail.from_proto(answer.shipment)


@router.get("/tracking/{trackingNumber}", responses=ONE)
async def track_shipment(
    tracking_number: Annotated[str, Path(alias="trackingNumber", max_length=40)], shipping: ShippingStub,
) -> TrackingPublic:
    answer = await shipping.TrackShipment(shipping_pb2.TrackShipmentRequest(tracking_number=tracking_number))
    return TrackingPublic.from_proto(answer.tracking)


@router.post("/shipping/webhooks/{carrier}", responses={**error_responses(401, 409), **ONE})
async def carrier_webhook(
    carrier: Annotated[str, Path(max_length=16)],
    request: Request,
    shipping: ShippingStub,
    webhook_id: Annotated[str, Header(alias="X-Webhook-Id", max_length=200)] = "",
    webhook_timestamp: Annotated[str, Header(alias="X-Webhook-Timestamp", max_length=20)] = "",
    webhook_signature: Annotated[str, Header(alias="X-Webhook-Signature", max_length=128)] = "",
) -> TrackingPublic:
    """Body {trackingNumber, status, location?, note?, occurredAt?}. X-Webhook-Signature is the hex
    HMAC-SHA256 of "<X-Webhook-Id>.<X-Webhook-Timestamp>.<body>" with the carrier's secret; the timestamp
    (Unix seconds) must be within 5 minutes, and an id already received is a 409."""
    answer = await shipping.HandleCarrierWebhook(shipping_pb2.HandleCarrierWebhookRequest(
        carrier=carrier, webhook_id=webhook_id, timestamp=webhook_timestamp, signature=webhook_signature,
        body=await request.body()))
    return TrackingPublic.from_proto(answer.tracking)
