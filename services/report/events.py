"""Handlers of the events the report service consumes: each writes what the event says into the read
model. They run in the consumer's transaction, which also records the event id, so a redelivery is a
no-op; the upserts only move a row to a newer state, so a late or replayed event is harmless too."""

from datetime import date, datetime
from decimal import Decimal

from depot.audit.v1 import audit_pb2
from depot.audit.v1 import events_pb2 as audit_events
from depot.inventory.v1 import events_pb2 as inventory_events
from depot.inventory.v1 import inventory_pb2
from depot.order.v1 import events_pb2 as order_events
from depot.order.v1 import order_pb2
from depot.product.v1 import events_pb2 as product_events
from depot.shipping.v1 import events_pb2 as shipping_events
from depot.shipping.v1 import shipping_pb2
from sqlalchemy.ext.asyncio import AsyncSession

from libs.audit import outcome_of_status
from libs.events import topics
from libs.events.consumer import Handler
from libs.events.envelope import Event
from libs.ids import parse_id
from libs.timestamps import from_timestamp
from services.report.service import ReportService

TOPICS = (topics.PRODUCT, topics.ORDER, topics.INVENTORY, topics.SHIPPING, topics.AUDIT_REQUESTS)
ORDER_EVENTS = {
    "order.created": order_events.OrderCreated, "order.paid": order_events.OrderPaid,
    "order.cancelled": order_events.OrderCancelled, "order.expired": order_events.OrderExpired,
    "order.shipped": order_events.OrderShipped, "order.delivered": order_events.OrderDelivered,
}
SHIPMENT_EVENTS = {
    "shipment.created": shipping_events.ShipmentCreated, "shipment.shipped": shipping_events.ShipmentShipped,
    "shipment.delivered": shipping_events.ShipmentDelivered, "shipment.cancelled": shipping_events.ShipmentCancelled,
}


def _name(enum, value: int, prefix: str) -> str:
    return enum.Name(value).removeprefix(prefix) if value in enum.values() else "UNSPECIFIED"


def _money(value: str) -> Decimal:
    return Decimal(value or "0")


def order_rows(order: order_pb2.Order) -> tuple[dict, list[dict]]:
    order_id = parse_id(order.id, "order.id")
    created_at = from_timestamp(order, "created_at")
    if created_at is None:
        raise ValueError(f"order {order.id} has no created_at")
    row = {
        "id": order_id, "customer_id": order.customer_id[:64],
        "status": _name(order_pb2.OrderStatus, order.status, "ORDER_STATUS_"), "currency": order.currency[:3],
        "total_amount": _money(order.total_amount), "grand_total": _money(order.grand_total),
        "item_count": sum(item.quantity for item in order.items), "created_at": created_at,
        "updated_at": from_timestamp(order, "updated_at") or created_at,
        **{name: from_timestamp(order, name) for name in ("paid_at", "shipped_at", "delivered_at", "cancelled_at")},
    }
    items = [{"order_id": order_id, "line": line, "product_id": item.product_id[:64], "sku": item.sku[:100],
              "name": item.name[:300], "quantity": item.quantity, "unit_price": _money(item.unit_price),
              "line_total": _money(item.line_total)} for line, item in enumerate(order.items, start=1)]
    return row, items


def product_name_row(product_id: str, name: str, updated_at: datetime | None) -> dict:
    if not product_id or updated_at is None:
        raise ValueError("a product event without a product id or a time")
    return {"product_id": product_id[:64], "name": name[:300], "updated_at": updated_at}


def stock_row(stock: inventory_pb2.Stock) -> dict:
    updated_at = from_timestamp(stock, "updated_at") or from_timestamp(stock, "created_at")
    if not stock.product_id or updated_at is None:
        raise ValueError("inventory.updated without a product id or a time")
    return {
        "product_id": stock.product_id[:64], "sku": stock.sku[:100], "quantity": stock.quantity,
        "reserved": stock.reserved, "available": stock.available, "reorder_level": stock.reorder_level,
        "location": stock.location[:200], "status": _name(inventory_pb2.StockStatus, stock.status, "STOCK_STATUS_"),
        "active": stock.active, "updated_at": updated_at,
    }


def shipment_row(shipment: shipping_pb2.Shipment) -> dict:
    created_at = from_timestamp(shipment, "created_at")
    if created_at is None:
        raise ValueError(f"shipment {shipment.id} has no created_at")
    return {
        "id": parse_id(shipment.id, "shipment.id"), "order_id": shipment.order_id[:64],
        "carrier": shipment.carrier[:16],
        "service_level": _name(shipping_pb2.ServiceLevel, shipment.service_level, "SERVICE_LEVEL_")[:16],
        "status": _name(shipping_pb2.ShipmentStatus, shipment.status, "SHIPMENT_STATUS_"),
        "cost": _money(shipment.cost), "currency": shipment.currency[:3],
        "estimated_delivery": date.fromisoformat(shipment.estimated_delivery) if shipment.estimated_delivery else None,
        "actual_delivery": from_timestamp(shipment, "actual_delivery"),
        "shipped_at": from_timestamp(shipment, "shipped_at"), "created_at": created_at,
        "updated_at": from_timestamp(shipment, "updated_at") or created_at,
    }


def _outcome(record: audit_pb2.AuditLog) -> str:
    return _name(audit_pb2.Outcome, record.outcome or outcome_of_status(record.status_code), "OUTCOME_")


def request_row(event: Event, record: audit_pb2.AuditLog) -> dict:
    occurred_at = from_timestamp(record, "occurred_at")
    if occurred_at is None:
        raise ValueError(f"audit.request {event.id} has no occurred_at")
    return {
        "id": event.id, "occurred_at": occurred_at, "actor_id": record.actor_id[:64],
        "action": (record.action or f"{record.method} {record.path}".strip())[:300],
        "resource_type": record.resource_type[:100], "status_code": record.status_code, "outcome": _outcome(record),
    }


def handlers(service: ReportService) -> dict[str, Handler]:
    async def on_order(session: AsyncSession, event: Event) -> None:
        order, items = order_rows(event.parse(ORDER_EVENTS[event.type]).order)
        await service.record_order(order, items, session=session)

    async def on_product_created(session: AsyncSession, event: Event) -> None:
        created = event.parse(product_events.ProductCreated)
        row = product_name_row(created.product_id, created.name, from_timestamp(created, "occurred_at"))
        await service.record_product_name(row, session=session)

    async def on_product_updated(session: AsyncSession, event: Event) -> None:
        product = event.parse(product_events.ProductUpdated).product
        row = product_name_row(product.id, product.name, from_timestamp(product, "updated_at"))
        await service.record_product_name(row, session=session)

    async def on_stock(session: AsyncSession, event: Event) -> None:
        await service.record_stock(stock_row(event.parse(inventory_events.InventoryUpdated).stock), session=session)

    async def on_shipment(session: AsyncSession, event: Event) -> None:
        payload = event.parse(SHIPMENT_EVENTS[event.type])
        await service.record_shipment(shipment_row(payload.shipment), session=session)

    async def on_request(session: AsyncSession, event: Event) -> None:
        record = event.parse(audit_events.RequestAnswered).record
        await service.record_request(request_row(event, record), session=session)

    return {
        "product.created": on_product_created, "product.updated": on_product_updated,
        **dict.fromkeys(ORDER_EVENTS, on_order), "inventory.updated": on_stock,
        **dict.fromkeys(SHIPMENT_EVENTS, on_shipment), "audit.request": on_request,
    }
