"""A real order-service process killed (SIGKILL) while it places an order leaves no stuck reservation:
the order row was written before the reservation, so the next process's sweeper expires it and
releases the stock."""

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest
from depot.order.v1 import order_pb2, order_pb2_grpc

from libs.settings import PROJECT_ROOT
from libs.stack import apoll_until
from libs.stack.process import free_ports
from services.order.settings import Settings
from tests.order.conftest import ADDRESS, OrderApp, status


def _environment(settings: Settings, port: int) -> dict[str, str]:
    """`settings` as the DEPOT_ORDER_* variables a deployed process reads (shared fields unprefixed)."""
    env = dict(os.environ)
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        if value is None:
            continue
        alias = field.validation_alias.choices[0] if field.validation_alias else f"DEPOT_ORDER_{name.upper()}"
        env[alias] = json.dumps(value) if isinstance(value, dict) else str(value)
    metrics_port, = free_ports(1)
    env |= {"DEPOT_ORDER_GRPC_PORT": str(port), "DEPOT_ORDER_METRICS_PORT": str(metrics_port),
            "DEPOT_ORDER_ORDER_TTL_SECONDS": "2", "DEPOT_ORDER_SWEEP_INTERVAL_SECONDS": "0.2"}
    return env


@pytest.fixture
def order_process(order_settings: Settings, tmp_path: Path) -> Iterator:
    """Starts `python -m services.order` processes on one port; kills what is left at the end."""
    port, = free_ports(1)
    env = _environment(order_settings, port)
    processes: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"order-{len(processes)}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen([sys.executable, "-m", "services.order"], cwd=PROJECT_ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        processes.append(process)
        return process

    start.port = port
    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()


@pytest.fixture
async def channel_to(order_process) -> AsyncIterator[grpc.aio.Channel]:
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{order_process.port}")
    yield channel
    await channel.close()


async def test_a_killed_order_process_leaves_no_stuck_reservation(app: OrderApp, order_process,
                                                                  channel_to: grpc.aio.Channel) -> None:
    product = await app.product(quantity=10)
    customer = app.customer()
    stub = order_pb2_grpc.OrderServiceStub(channel_to)
    first = order_process()
    await channel_to.channel_ready()

    request = order_pb2.CreateOrderRequest(
        items=[order_pb2.CreateOrderItem(product_id=product.id, quantity=4)], shipping_address=ADDRESS)
    placing = asyncio.ensure_future(stub.CreateOrder(request, metadata=customer.metadata, timeout=10))
    # Kill it the moment the stock is reserved: the answer may or may not have left.
    await apoll_until(lambda: _reserved(app, product.id, 4), timeout=15, interval=0.005,
                      message="the stock to be reserved")
    first.send_signal(signal.SIGKILL)
    first.wait()
    await asyncio.gather(placing, return_exceptions=True)
    orders = await app.rows("SELECT id FROM orders WHERE customer_id = :customer", customer=customer.id)
    assert len(orders) == 1, "the order row is written before the reservation"

    order_process()  # the restarted process; its sweeper (or any replica's) finds the abandoned order
    order_id = str(orders[0].id)

    async def expired() -> bool:
        return (await app.get(customer, order_id)).status == status("EXPIRED")

    await apoll_until(expired, timeout=30, message="the abandoned order to expire")
    await apoll_until(lambda: _reserved(app, product.id, 0), timeout=15, message="its stock to be released")
    assert (await app.stock(product.id)).available == 10


async def _reserved(app: OrderApp, product_id: str, quantity: int) -> bool:
    return (await app.stock(product_id)).reserved == quantity
