"""ShippingService over gRPC: proto → service call → proto. Errors are mapped by the shared interceptor."""

from depot.shipping.v1 import shipping_pb2, shipping_pb2_grpc

from libs.context import current_principal
from libs.grpc_server import PUBLIC, ServiceBinding
from libs.ids import parse_id
from libs.paging import page_info
from libs.timestamps import from_timestamp
from services.shipping.messages import rate_message, shipment_message, status_of, tracking_message
from services.shipping.repository import ShipmentFilter
from services.shipping.service import ShippingService
from services.shipping.validation import Address, Item, RateRequest, StatusChange
from services.shipping.webhooks import SignedRequest

ACCESS = {
    "GetRates": PUBLIC,
    "GetShipment": "shipping:read",
    "ListShipments": "shipping:read",
    "TrackShipment": PUBLIC,
    "UpdateShipmentStatus": "shipping:manage",
    # Authenticated by the carrier's signature, which the service checks.
    "HandleCarrierWebhook": PUBLIC,
}


def _address(message: shipping_pb2.Address) -> Address:
    return Address(street=message.street, city=message.city, state=message.state,
                   postal_code=message.postal_code, country=message.country)


class ShippingServicer(shipping_pb2_grpc.ShippingServiceServicer):
    def __init__(self, service: ShippingService):
        self._service = service

    async def GetRates(self, request, context):
        sheet = await self._service.get_rates(RateRequest(
            address=_address(request.address) if request.HasField("address") else None,
            items=tuple(Item(quantity=i.quantity, weight_grams=i.weight if i.HasField("weight") else None,
                             product_id=i.product_id) for i in request.items),
            weight_grams=request.weight,
        ))
        return shipping_pb2.GetRatesResponse(rates=[rate_message(q) for q in sheet.quotes], weight=sheet.weight_grams)

    async def GetShipment(self, request, context):
        shipment = await self._service.get_shipment(current_principal(), request.id)
        return shipping_pb2.GetShipmentResponse(shipment=shipment_message(shipment))

    async def ListShipments(self, request, context):
        where = ShipmentFilter(
            customer_id=request.customer_id or None, status=status_of(request.status),
            carrier=request.carrier.strip().upper() or None,
            order_id=parse_id(request.order_id, "order_id") if request.order_id else None,
        )
        found = await self._service.list_shipments(current_principal(), where, page=request.page.page,
                                                   page_size=request.page.page_size)
        return shipping_pb2.ListShipmentsResponse(
            shipments=[shipment_message(s, with_history=False) for s in found.items],
            page_info=page_info(found.page, found.page_size, found.total),
        )

    async def TrackShipment(self, request, context):
        shipment = await self._service.track(request.tracking_number)
        return shipping_pb2.TrackShipmentResponse(tracking=tracking_message(shipment))

    async def UpdateShipmentStatus(self, request, context):
        change = StatusChange(
            status=status_of(request.status), location=request.location, note=request.note,
            occurred_at=from_timestamp(request, "occurred_at"),
        )
        shipment = await self._service.update_status(current_principal(), request.id, change)
        return shipping_pb2.UpdateShipmentStatusResponse(shipment=shipment_message(shipment))

    async def HandleCarrierWebhook(self, request, context):
        shipment = await self._service.handle_webhook(request.carrier, SignedRequest(
            webhook_id=request.webhook_id, timestamp=request.timestamp, signature=request.signature,
            body=request.body,
        ))
        return shipping_pb2.HandleCarrierWebhookResponse(tracking=tracking_message(shipment))


def binding(service: ShippingService) -> ServiceBinding:
    return ServiceBinding(
        descriptor=shipping_pb2.DESCRIPTOR.services_by_name["ShippingService"],
        servicer=ShippingServicer(service),
        add_to_server=shipping_pb2_grpc.add_ShippingServiceServicer_to_server,
        access=ACCESS,
    )
