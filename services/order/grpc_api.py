"""OrderService over gRPC: proto → service call → proto. Errors are mapped by the shared interceptor."""

from depot.order.v1 import order_pb2, order_pb2_grpc

from libs.context import current_principal
from libs.grpc_server import AUTHENTICATED, ServiceBinding
from libs.paging import page_info
from libs.timestamps import from_timestamp
from services.order.messages import order_message
from services.order.models import OrderStatus
from services.order.payments import Card
from services.order.repository import OrderFilter
from services.order.service import OrderService
from services.order.validation import Address, ItemRequest, OrderDraft, PaymentRequest

ACCESS = {
    "CreateOrder": "order:create",
    "GetOrder": "order:read",
    "ListOrders": "order:read",
    # The order's customer, or "order:update": decided by the service, which knows the owner.
    "PayOrder": AUTHENTICATED,
    "CancelOrder": AUTHENTICATED,
}


def _address(message: order_pb2.Address) -> Address:
    return Address(street=message.street, city=message.city, state=message.state,
                   postal_code=message.postal_code, country=message.country)


def _status(value: int) -> OrderStatus | None:
    name = order_pb2.OrderStatus.Name(value).removeprefix("ORDER_STATUS_") if value else ""
    return OrderStatus(name) if name in OrderStatus.__members__ else None


class OrderServicer(order_pb2_grpc.OrderServiceServicer):
    def __init__(self, service: OrderService):
        self._service = service

    async def CreateOrder(self, request, context):
        draft = OrderDraft(
            items=tuple(ItemRequest(i.product_id, i.variant_id, i.quantity) for i in request.items),
            shipping_address=_address(request.shipping_address) if request.HasField("shipping_address") else None,
            billing_address=_address(request.billing_address) if request.HasField("billing_address") else None,
            notes=request.notes,
        )
        order = await self._service.create_order(current_principal(), draft, request.idempotency_key)
        return order_pb2.CreateOrderResponse(order=order_message(order))

    async def GetOrder(self, request, context):
        order = await self._service.get_order(current_principal(), request.id)
        return order_pb2.GetOrderResponse(order=order_message(order))

    async def ListOrders(self, request, context):
        where = OrderFilter(
            customer_id=request.customer_id or None, status=_status(request.status),
            created_from=from_timestamp(request, "created_from"), created_to=from_timestamp(request, "created_to"),
        )
        found = await self._service.list_orders(current_principal(), where, page=request.page.page,
                                                page_size=request.page.page_size)
        return order_pb2.ListOrdersResponse(
            orders=[order_message(order) for order in found.items],
            page_info=page_info(found.page, found.page_size, found.total),
        )

    async def PayOrder(self, request, context):
        details = request.payment_details
        payment = PaymentRequest(method=request.payment_method, card=Card.of(
            number=details.card_number, expiry_month=details.expiry_month, expiry_year=details.expiry_year,
            cvc=details.cvc, holder_name=details.holder_name,
        ))
        order = await self._service.pay_order(current_principal(), request.order_id, payment,
                                              request.idempotency_key)
        return order_pb2.PayOrderResponse(order=order_message(order))

    async def CancelOrder(self, request, context):
        order = await self._service.cancel_order(current_principal(), request.order_id, request.reason)
        return order_pb2.CancelOrderResponse(order=order_message(order))


def binding(service: OrderService) -> ServiceBinding:
    return ServiceBinding(
        descriptor=order_pb2.DESCRIPTOR.services_by_name["OrderService"],
        servicer=OrderServicer(service),
        add_to_server=order_pb2_grpc.add_OrderServiceServicer_to_server,
        access=ACCESS,
    )
