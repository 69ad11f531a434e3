"""Paying: one charge per order whatever is replayed, the stock committed at once, no card data kept."""

import asyncio

import grpc

from libs.errors import FieldViolation
from libs.idempotency import MISMATCH
from libs.stack import unique
from tests.grpc_helpers import fails
from tests.order.conftest import DECLINED_CARD, SUCCESS_CARD, OrderApp, status


async def test_paying_charges_the_grand_total_and_commits_the_stock_at_once(app: OrderApp) -> None:
    product = await app.product(quantity=100, price="99.99")
    customer = app.customer()
    order = await app.place(customer, (product.id, 2))

    paid = await app.pay(customer, order.id)

    assert paid.status == status("PAID")
    assert paid.HasField("paid_at")
    payment = paid.payment
    assert (payment.brand, payment.last4, payment.amount, payment.currency, payment.method) == (
        "visa", "1111", "199.98", "USD", "credit_card")
    assert payment.provider_reference.startswith("ch_")
    stock = await app.stock(product.id)
    assert (stock.quantity, stock.reserved, stock.available) == (98, 0, 98)
    assert await app.events(order.id) == ["order.created", "order.paid"]
    [row] = await app.rows("SELECT stock_state FROM orders WHERE id = :id", id=order.id)
    assert row.stock_state == "COMMITTED"


async def test_the_card_number_and_cvc_are_never_stored(app: OrderApp) -> None:
    product = await app.product()
    customer = app.customer()
    order = await app.place(customer, (product.id, 1))
    await app.pay(customer, order.id)

    stored = await app.rows(
        "SELECT p::text AS payment, o.payload FROM payments p JOIN outbox o ON o.key = p.order_id::text "
        "WHERE p.order_id = :id", id=order.id)
    assert stored
    for row in stored:
        assert SUCCESS_CARD not in row.payment + row.payload
        assert "cvc" not in (row.payment + row.payload).lower()
    columns = await app.rows("SELECT column_name FROM information_schema.columns WHERE table_name = 'payments'")
    assert not {"card_number", "cvc"} & {c.column_name for c in columns}


async def test_a_declined_card_keeps_the_order_pending_and_its_stock_reserved(app: OrderApp) -> None:
    product = await app.product(quantity=10)
    customer = app.customer()
    order = await app.place(customer, (product.id, 2))

    async with fails(grpc.StatusCode.FAILED_PRECONDITION, "Card declined"):
        await app.pay(customer, order.id, DECLINED_CARD)
    async with fails(grpc.StatusCode.FAILED_PRECONDITION, "Card declined: insufficient funds"):
        await app.pay(customer, order.id, "4000000000009995")

    assert (await app.get(customer, order.id)).status == status("PENDING")
    stock = await app.stock(product.id)
    assert (stock.quantity, stock.reserved) == (10, 2)
    # Another card may still pay the order.
    assert (await app.pay(customer, order.id)).status == status("PAID")


async def test_a_card_that_cannot_be_charged_is_a_field_error(app: OrderApp) -> None:
    product = await app.product()
    customer = app.customer()
    order = await app.place(customer, (product.id, 1))

    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.pay(customer, order.id, "4111111111111112", cvc="12", expiry=(1, 20))

    assert set(failure.violations) == {
        FieldViolation("payment_details.card_number", "Card number is invalid"),
        FieldViolation("payment_details.expiry_year", "Card has expired"),
        FieldViolation("payment_details.cvc", "CVC must be 3 or 4 digits"),
    }
    assert (await app.get(customer, order.id)).status == status("PENDING")


async def test_a_replayed_payment_charges_once(app: OrderApp) -> None:
    product = await app.product()
    customer = app.customer()
    order = await app.place(customer, (product.id, 1))
    key = unique("pay")

    first, second = await asyncio.gather(app.pay(customer, order.id, key=key), app.pay(customer, order.id, key=key))
    third = await app.pay(customer, order.id, key=key)

    assert first.payment.id == second.payment.id == third.payment.id
    assert _charges_of(app, order.id) == 1
    assert (await app.stock(product.id)).quantity == 99
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.pay(customer, order.id, "5555555555554444", key=key)
    assert failure.violations == [FieldViolation("Idempotency-Key", MISMATCH)]


async def test_concurrent_payments_with_different_keys_charge_once(app: OrderApp) -> None:
    product = await app.product()
    customer = app.customer()
    order = await app.place(customer, (product.id, 1))

    results = await asyncio.gather(*(app.pay(customer, order.id, key=unique("pay")) for _ in range(5)),
                                   return_exceptions=True)

    assert sum(1 for r in results if not isinstance(r, Exception)) == 1
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert {(e.code(), e.details()) for e in refused} == {
        (grpc.StatusCode.FAILED_PRECONDITION, "Order is already PAID")}
    assert _charges_of(app, order.id) == 1


async def test_only_the_customer_or_staff_may_pay(app: OrderApp) -> None:
    product = await app.product()
    owner, stranger = app.customer(), app.customer()
    order = await app.place(owner, (product.id, 1))

    async with fails(grpc.StatusCode.NOT_FOUND, f"Order {order.id} not found"):
        await app.pay(stranger, order.id)
    assert (await app.pay(app.role("staff"), order.id)).status == status("PAID")


def _charges_of(app: OrderApp, order_id: str) -> int:
    return sum(1 for key in app.payments.charges() if key.startswith(order_id))
