"""Order bodies. Money is a decimal string with 2 places ("199.98"). The order service owns the rules
(stock, prices, the card checks); the shapes below only spare it input that cannot be an order."""

import re
import uuid
from datetime import datetime
from typing import Annotated, Literal

from depot.order.v1 import order_pb2
from pydantic import AliasChoices, Field, model_validator

from gateway.schemas.common import ApiModel, NonEmpty, documented, rule_error
from libs.timestamps import from_timestamp

Status = Literal["PENDING", "PAID", "SHIPPED", "DELIVERED", "CANCELLED", "EXPIRED"]
STATUS_VALUES: dict[str, int] = {name: order_pb2.OrderStatus.Value(f"ORDER_STATUS_{name}")
                                 for name in Status.__args__}
STATUS_NAMES = {value: name for name, value in STATUS_VALUES.items()}
EXPIRY = re.compile(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*")


class AddressIn(ApiModel):
    street: NonEmpty = Field(max_length=200)
    city: NonEmpty = Field(max_length=100)
    state: str = Field("", max_length=100)
    postal_code: NonEmpty = Field(max_length=20)
    country: Annotated[NonEmpty, documented(pattern="^[A-Za-z]{2}$")] = Field(
        max_length=2, description="ISO 3166-1 alpha-2, e.g. US")

    def to_proto(self) -> order_pb2.Address:
        return order_pb2.Address(**self.model_dump())


class ItemIn(ApiModel):
    product_id: uuid.UUID
    variant_id: uuid.UUID | None = None
    quantity: int = Field(ge=1, le=1000)


class OrderCreate(ApiModel):
    """POST /orders."""

    items: list[ItemIn] = Field(min_length=1, max_length=100)
    shipping_address: AddressIn
    billing_address: AddressIn | None = None
    notes: str = Field("", max_length=1000)

    def to_proto(self, idempotency_key: str) -> order_pb2.CreateOrderRequest:
        return order_pb2.CreateOrderRequest(
            items=[order_pb2.CreateOrderItem(product_id=str(i.product_id), variant_id=str(i.variant_id or ""),
                                             quantity=i.quantity) for i in self.items],
            shipping_address=self.shipping_address.to_proto(),
            billing_address=self.billing_address.to_proto() if self.billing_address else None,
            notes=self.notes, idempotency_key=idempotency_key,
        )


class PaymentDetailsIn(ApiModel):
    """A card as forms send it: the expiry as expiryMonth + expiryYear or as "MM/YY"; cvc or cvv."""

    card_number: NonEmpty = Field(max_length=30)
    expiry_month: int | None = Field(None, ge=1, le=12)
    expiry_year: int | None = Field(None, ge=0, le=9999)
    expiry: str | None = Field(None, max_length=10, validation_alias=AliasChoices("expiry", "expiryDate"),
                               description='"MM/YY" or "MM/YYYY"')
    cvc: NonEmpty = Field(max_length=4, validation_alias=AliasChoices("cvc", "cvv"))
    holder_name: str = Field("", max_length=200, validation_alias=AliasChoices("holderName", "cardholderName"))

    @model_validator(mode="after")
    def _one_expiry(self) -> "PaymentDetailsIn":
        if self.expiry is not None:
            match = EXPIRY.fullmatch(self.expiry)
            if not match:
                raise rule_error('Expiry must be "MM/YY"')
            self.expiry_month, self.expiry_year = int(match[1]), int(match[2])
        if self.expiry_month is None or self.expiry_year is None:
            raise rule_error("Expiry should not be empty")
        return self

    def to_proto(self) -> order_pb2.PaymentDetails:
        return order_pb2.PaymentDetails(card_number=self.card_number, expiry_month=self.expiry_month,
                                        expiry_year=self.expiry_year, cvc=self.cvc, holder_name=self.holder_name)


class OrderPayment(ApiModel):
    """POST /orders/{id}/pay."""

    payment_method: Literal["credit_card", "debit_card"] = "credit_card"
    payment_details: PaymentDetailsIn


class OrderCancellation(ApiModel):
    """POST /orders/{id}/cancel; the body is optional."""

    reason: str = Field("", max_length=500)


class AddressPublic(ApiModel):
    street: str
    city: str
    state: str | None
    postal_code: str
    country: str

    @classmethod
    def from_proto(cls, address: order_pb2.Address) -> "AddressPublic":
        return cls(street=address.street, city=address.city, state=address.state or None,
                   postal_code=address.postal_code, country=address.country)


class ItemPublic(ApiModel):
    product_id: str
    variant_id: str | None
    sku: str
    name: str
    unit_price: str
    quantity: int
    line_total: str


class PaymentPublic(ApiModel):
    """Never the card number: its brand and last four digits."""

    id: str
    status: Literal["SUCCEEDED", "REFUNDED"]
    method: str
    brand: str
    last4: str
    amount: str
    currency: str
    created_at: datetime | None
    refunded_at: datetime | None

    @classmethod
    def from_proto(cls, payment: order_pb2.Payment) -> "PaymentPublic":
        return cls(
            id=payment.id, status=order_pb2.PaymentStatus.Name(payment.status).removeprefix("PAYMENT_STATUS_"),
            method=payment.method, brand=payment.brand, last4=payment.last4, amount=payment.amount,
            currency=payment.currency, created_at=from_timestamp(payment, "created_at"),
            refunded_at=from_timestamp(payment, "refunded_at"),
        )


class OrderPublic(ApiModel):
    id: str
    customer_id: str
    status: Status
    items: list[ItemPublic]
    subtotal: str
    shipping_cost: str
    tax_amount: str
    total_amount: Annotated[str, Field(description="The items' sum")]
    grand_total: Annotated[str, Field(description="What is charged: totalAmount + shippingCost + taxAmount")]
    currency: str
    shipping_address: AddressPublic
    billing_address: AddressPublic | None
    notes: str | None
    payment: PaymentPublic | None
    cancel_reason: str | None
    created_at: datetime | None
    updated_at: datetime | None
    expires_at: datetime | None
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None

    @classmethod
    def from_proto(cls, order: order_pb2.Order) -> "OrderPublic":
        return cls(
            id=order.id, customer_id=order.customer_id, status=STATUS_NAMES[order.status],
            items=[ItemPublic(product_id=i.product_id, variant_id=i.variant_id or None, sku=i.sku, name=i.name,
                              unit_price=i.unit_price, quantity=i.quantity, line_total=i.line_total)
                   for i in order.items],
            subtotal=order.subtotal, shipping_cost=order.shipping_cost, tax_amount=order.tax_amount,
            total_amount=order.total_amount, grand_total=order.grand_total, currency=order.currency,
            shipping_address=AddressPublic.from_proto(order.shipping_address),
            billing_address=AddressPublic.from_proto(order.billing_address)
            if order.HasField("billing_address") else None,
            notes=order.notes or None,
            payment=PaymentPublic.from_proto(order.payment) if order.HasField("payment") else None,
            cancel_reason=order.cancel_reason or None,
            **{name: from_timestamp(order, name) for name in (
                "created_at", "updated_at", "expires_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at")},
        )
