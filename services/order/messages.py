"""Records → the contract's messages, for the servicer and for the event payloads the use cases write."""

from depot.order.v1 import order_pb2

from libs.timestamps import to_timestamp
from services.order.views import OrderView, PaymentView

ADDRESS_FIELDS = ("street", "city", "state", "postal_code", "country")


def address_message(address: dict | None) -> order_pb2.Address | None:
    if address is None:
        return None
    return order_pb2.Address(**{name: address.get(name, "") for name in ADDRESS_FIELDS})


def payment_message(payment: PaymentView | None) -> order_pb2.Payment | None:
    if payment is None:
        return None
    return order_pb2.Payment(
        id=str(payment.id), status=order_pb2.PaymentStatus.Value(f"PAYMENT_STATUS_{payment.status}"),
        method=payment.method, brand=payment.brand, last4=payment.last4, amount=str(payment.amount),
        currency=payment.currency, provider_reference=payment.provider_reference,
        created_at=to_timestamp(payment.created_at), refunded_at=to_timestamp(payment.refunded_at),
    )


def order_message(order: OrderView) -> order_pb2.Order:
    return order_pb2.Order(
        id=str(order.id), customer_id=order.customer_id,
        status=order_pb2.OrderStatus.Value(f"ORDER_STATUS_{order.status}"),
        items=[
            order_pb2.OrderItem(
                product_id=item.product_id, variant_id=item.variant_id, sku=item.sku, name=item.name,
                unit_price=str(item.unit_price), quantity=item.quantity, line_total=str(item.line_total),
                weight_grams=item.weight_grams,
            )
            for item in order.items
        ],
        subtotal=str(order.subtotal), shipping_cost=str(order.shipping_cost), tax_amount=str(order.tax_amount),
        total_amount=str(order.total_amount), grand_total=str(order.grand_total), currency=order.currency,
        shipping_address=address_message(order.shipping_address),
        billing_address=address_message(order.billing_address),
        notes=order.notes, payment=payment_message(order.payment), cancel_reason=order.cancel_reason,
        created_at=to_timestamp(order.created_at), updated_at=to_timestamp(order.updated_at),
        expires_at=to_timestamp(order.expires_at), paid_at=to_timestamp(order.paid_at),
        shipped_at=to_timestamp(order.shipped_at), delivered_at=to_timestamp(order.delivered_at),
        cancelled_at=to_timestamp(order.cancelled_at),
    )
