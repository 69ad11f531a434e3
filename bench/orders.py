"""Orders, payment and shipping benchmark: `python -m bench orders [--duration 20] [--concurrency 16 |
--rate R] [--base-url URL]`.

Sustained create + pay through the gateway over real HTTP: `--concurrency` workers each loop
{POST /api/orders (1–2 lines, an Idempotency-Key) → POST /api/orders/{id}/pay (card 4111…, 12/30, 123)}
for `--duration` seconds (a closed loop: at saturation its latencies are mostly its own queue), or with
`--rate R` a new such cycle starts every 1/R s whatever the earlier ones are doing (an open loop: the
latencies of a shop that receives R orders a second). Either way spread over a few customers, on 5
products with `--stock` units each; one
order in ten asks for the one unit of a scarce product (20 in stock) instead, so that many orders
contend for too little stock. Then it checks, from the services' own records:
  - zero oversell: per product, initial − Σ quantities of paid orders == quantity on hand, reserved ==
    Σ quantities of pending orders, nothing negative; the scarce product's orders within its stock, and
    a 409 for the others only once none is left available;
  - every paid order has exactly one shipment, created within 5 s of the pay answer (shipment createdAt
    − the moment the answer arrived, one clock: same machine). The delay may be negative: order.paid
    leaves in the payment's transaction, and the order service commits the stock before it answers.
Targets: ≥ 150 orders/s created and paid, p99 < 300 ms for create and for pay, zero oversell, every paid
order shipped once within 5 s. It prints the CPU seconds of each fleet process during the load (with a
private fleet: without --base-url it starts PostgreSQL, Redis, the broker, the services and the gateway
on free ports), the machine's load average, and how much CPU the neighbours took meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from bench._common import database_transactions, machine_cpu, private_fleet, process_cpu
from libs.stack import SEED_ADMIN_EMAIL, SEED_ADMIN_PASSWORD, apoll_until, unique

RATE_TARGET = 150.0  # orders/s created and paid
LATENCY_TARGET = 0.300  # seconds, p99 of each call
SHIPMENT_TARGET = 5.0  # seconds from the pay answer to the shipment
PRODUCTS = 5
SCARCE_STOCK = 20
SCARCE_SHARE = 0.1
PASSWORD = "Secret123!"
ADDRESS = {"street": "1 Bench St", "city": "Springfield", "postalCode": "12345", "country": "US"}
PAYMENT = {"paymentMethod": "credit_card",
           "paymentDetails": {"cardNumber": "4111111111111111", "expiry": "12/30", "cvc": "123"}}
SOLD = ("PAID", "SHIPPED", "DELIVERED")
WARM_UP_TIMEOUT = 60.0  # a fresh fleet's consumers join their groups before the first shipment
SHIPMENT_GRACE = 30.0  # how long to wait for late shipments after the load
OPEN_LOOP_CONNECTIONS = 64  # with --rate: beyond that, requests wait for a connection (and it shows)


@dataclass
class Tally:
    """What the workers saw: latencies of the successful calls, every answer's status, paid orders."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)  # (call, status code or exception name)
    paid_at: dict[str, float] = field(default_factory=dict)  # order id → wall time of the pay answer
    paid_units: Counter = field(default_factory=Counter)  # product id → units
    created: int = 0
    scarce: Counter = field(default_factory=Counter)  # status of the scarce product's orders


@dataclass(frozen=True)
class Snapshot:
    """The counters whose differences over the load say what it cost, and to whom."""

    at: float
    load: tuple[float, float, float]
    cpu: dict[str, float]  # seconds per process of this bench (see bench._common.process_cpu)
    machine: float  # busy CPU seconds, everybody's
    transactions: dict[str, int]  # per database, with a private fleet only

    @classmethod
    def take(cls, dsn: str | None) -> Snapshot:
        return cls(time.monotonic(), os.getloadavg(), process_cpu(), machine_cpu(),
                   database_transactions(dsn) if dsn else {})


@dataclass
class Shop:
    products: dict[str, int]  # product id → initial stock, the scarce one included
    scarce: str
    customers: list[dict[str, str]]  # headers of each signed-in customer
    customer_ids: list[str]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench orders", description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load (default 20)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent workers (default 16)")
    parser.add_argument("--rate", type=float, help="orders started per second, an open loop, instead of workers")
    parser.add_argument("--customers", type=int, default=8, help="customers the workers share (default 8)")
    parser.add_argument("--stock", type=int, default=2000, help="initial units of each product (default 2000)")
    parser.add_argument("--base-url", help="a running gateway (with the seeded admin) instead of a private fleet")
    args = parser.parse_args(argv)
    if args.base_url:
        return asyncio.run(_bench(args.base_url.rstrip("/"), args, dsn=None))
    with private_fleet("depot-bench-orders-") as fleet:
        return asyncio.run(_bench(fleet.url, args, dsn=fleet.stack.dsn()))


async def _bench(url: str, args: argparse.Namespace, dsn: str | None) -> int:
    """With `dsn` (a private fleet's PostgreSQL), the transactions per order of each database are shown."""
    connections = OPEN_LOOP_CONNECTIONS if args.rate else args.concurrency + 2
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=f"{url}/api", timeout=30, limits=limits) as api:
        admin = await _sign_in(api, SEED_ADMIN_EMAIL, SEED_ADMIN_PASSWORD)
        shop = await _open_shop(api, admin, args.customers, args.stock)
        load = f"{args.rate:g} orders/s" if args.rate else f"{args.concurrency} workers"
        print(f"{load} × {args.duration:g} s against {url}: {len(shop.customers)} customers, "
              f"{PRODUCTS} products × {args.stock} units + 1 scarce × {SCARCE_STOCK}", flush=True)
        warm = await _warm_up(api, admin, shop)
        before = Snapshot.take(dsn)
        tally = Tally(paid_units=Counter(warm.paid_units))  # units only: the figures are the load's
        deadline = time.monotonic() + args.duration
        if args.rate:
            await _arrivals(api, shop, tally, args.rate, deadline)
        else:
            await asyncio.gather(*(_worker(api, shop, tally, shop.customers[i % len(shop.customers)], deadline, i)
                                   for i in range(args.concurrency)))
        after = Snapshot.take(dsn)
        elapsed = after.at - before.at
        rate_ok, latency_ok = _report_load(tally, elapsed)
        orders = [o for found in await asyncio.gather(*(_pages(api, admin, "/orders", c) for c in shop.customer_ids))
                  for o in found]
        stock_ok = await _check_stock(api, admin, shop, tally, orders)
        shipped_ok = await _check_shipments(api, admin, shop, tally, {o["id"] for o in orders if o["status"] in SOLD})
    _report_usage(before, after, len(tally.paid_at))
    met = rate_ok and latency_ok and stock_ok and shipped_ok
    print(f"\ntargets {'met' if met else 'NOT met'}: rate {_mark(rate_ok)}, p99 {_mark(latency_ok)}, "
          f"zero oversell {_mark(stock_ok)}, one shipment within {SHIPMENT_TARGET:g} s {_mark(shipped_ok)}")
    return 0 if stock_ok and shipped_ok else 1


# -- setup -----------------------------------------------------------------------------------------

async def _sign_in(api: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    answer = await api.post("/auth/login", json={"email": email, "password": password})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['accessToken']}"}


async def _open_shop(api: httpx.AsyncClient, admin: dict[str, str], customers: int, stock: int) -> Shop:
    async def product(units: int) -> str:
        body = {"sku": unique("BENCH").upper(), "name": "Bench Widget", "description": "Ordered by the bench.",
                "price": "19.99", "category": "Bench", "initialQuantity": units}
        answer = await api.post("/products", json=body, headers=admin)
        answer.raise_for_status()
        return answer.json()["id"]

    async def customer() -> tuple[str, dict[str, str]]:
        name = unique("bench").replace("-", "_")
        email = f"{name}@example.com"
        answer = await api.post("/auth/register", json={"email": email, "username": name, "password": PASSWORD})
        answer.raise_for_status()
        return answer.json()["id"], await _sign_in(api, email, PASSWORD)

    products = {await product(stock): stock for _ in range(PRODUCTS)}
    scarce = await product(SCARCE_STOCK)
    signed_in = await asyncio.gather(*(customer() for _ in range(customers)))
    return Shop({**products, scarce: SCARCE_STOCK}, scarce, [h for _, h in signed_in], [i for i, _ in signed_in])


async def _warm_up(api: httpx.AsyncClient, admin: dict[str, str], shop: Shop) -> Tally:
    """One order per customer, paid, and its shipment awaited: the consumers have joined, the pools are
    open, and the load measures a running shop rather than a starting one. Not counted in the figures."""
    warm = Tally()
    rng = random.Random(0)
    await asyncio.gather(*(_cycle(api, shop, warm, headers, rng, scarce=False) for headers in shop.customers))
    if len(warm.paid_at) != len(shop.customers):
        raise SystemExit(f"the warm-up orders failed: {dict(warm.statuses)}")

    async def shipped() -> bool:
        return set(warm.paid_at) <= set(await _shipments(api, admin, shop))

    started = time.monotonic()
    await apoll_until(shipped, timeout=WARM_UP_TIMEOUT, interval=0.5, message="the warm-up orders' shipments")
    print(f"warm-up: {len(warm.paid_at)} orders paid and shipped ({time.monotonic() - started:.1f} s until "
          "the last shipment)", flush=True)
    return warm


# -- load ------------------------------------------------------------------------------------------

async def _worker(api: httpx.AsyncClient, shop: Shop, tally: Tally, headers: dict[str, str], deadline: float,
                  seed: int) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        await _cycle(api, shop, tally, headers, rng, scarce=rng.random() < SCARCE_SHARE)


async def _arrivals(api: httpx.AsyncClient, shop: Shop, tally: Tally, rate: float, deadline: float) -> None:
    """Start a cycle every 1/rate s until the deadline, then wait for the cycles still running."""
    rng = random.Random(0)
    running: set[asyncio.Task] = set()
    started = time.monotonic()
    count = 0
    while (due := started + count / rate) < deadline:
        await asyncio.sleep(due - time.monotonic())
        cycle = _cycle(api, shop, tally, shop.customers[count % len(shop.customers)], rng,
                       scarce=rng.random() < SCARCE_SHARE)
        task = asyncio.create_task(cycle)
        running.add(task)
        task.add_done_callback(running.discard)
        count += 1
    await asyncio.gather(*running)


async def _cycle(api: httpx.AsyncClient, shop: Shop, tally: Tally, headers: dict[str, str], rng: random.Random,
                 *, scarce: bool) -> None:
    plenty = [p for p in shop.products if p != shop.scarce]
    lines = [shop.scarce] if scarce else rng.sample(plenty, rng.choice((1, 2)))
    body = {"items": [{"productId": p, "quantity": 1} for p in lines], "shippingAddress": ADDRESS}
    created = await _call(tally, "create", api.post("/orders", json=body, headers=_keyed(headers)))
    if scarce:
        tally.scarce[created.status_code if created else "error"] += 1
    if created is None or created.status_code != 201:
        return
    tally.created += 1
    order_id = created.json()["id"]
    paid = await _call(tally, "pay", api.post(f"/orders/{order_id}/pay", json=PAYMENT, headers=_keyed(headers)))
    if paid is not None and paid.status_code == 200:
        tally.paid_at[order_id] = time.time()
        tally.paid_units.update(lines)


async def _call(tally: Tally, name: str, request) -> httpx.Response | None:
    """The answer (latency recorded when it is a success), or None after a transport error; every outcome
    is counted."""
    started = time.perf_counter()
    try:
        answer = await request
    except httpx.HTTPError as error:
        tally.statuses[name, type(error).__name__] += 1
        return None
    if answer.is_success:
        tally.latencies[name].append(time.perf_counter() - started)
    tally.statuses[name, answer.status_code] += 1
    return answer


def _keyed(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Idempotency-Key": str(uuid.uuid4())}


def _report_load(tally: Tally, elapsed: float) -> tuple[bool, bool]:
    rate = len(tally.paid_at) / elapsed
    print(f"\ncreated and paid: {len(tally.paid_at)} orders in {elapsed:.1f} s = {rate:.1f} orders/s "
          f"(target ≥ {RATE_TARGET:g}: {rate / RATE_TARGET:.2f}×); created {tally.created} "
          f"({tally.created / elapsed:.1f}/s)")
    latency_ok = True
    for name, code in (("create", 201), ("pay", 200)):
        values = sorted(tally.latencies[name])
        if not values:
            print(f"{name}: no successful call")
            latency_ok = False
            continue
        p99 = _percentile(values, 99)
        latency_ok &= p99 < LATENCY_TARGET
        print(f"{name} latency ({len(values)} × {code}): p50 {_percentile(values, 50) * 1000:.1f} ms, "
              f"p99 {p99 * 1000:.1f} ms, max {values[-1] * 1000:.1f} ms "
              f"(target p99 < {LATENCY_TARGET * 1000:.0f} ms: {p99 / LATENCY_TARGET:.2f}× of budget)")
    answers = ", ".join(f"{name} {status}: {count}" for (name, status), count in sorted(
        tally.statuses.items(), key=lambda item: (item[0][0], str(item[0][1]))))
    print(f"answers: {answers}")
    print(f"scarce product ({SCARCE_STOCK} units, 1 per order): "
          + ", ".join(f"{status}: {count}" for status, count in sorted(tally.scarce.items(), key=str)))
    return rate >= RATE_TARGET, latency_ok


# -- verification ----------------------------------------------------------------------------------

async def _pages(api: httpx.AsyncClient, admin: dict[str, str], path: str, customer_id: str) -> list[dict]:
    """Every item of a list endpoint for one customer, page by page."""
    items, page = [], 1
    while True:
        answer = await api.get(path, params={"customerId": customer_id, "limit": 100, "page": page}, headers=admin)
        answer.raise_for_status()
        items += answer.json()["data"]
        if page >= answer.json()["totalPages"]:
            return items
        page += 1


async def _shipments(api: httpx.AsyncClient, admin: dict[str, str], shop: Shop) -> dict[str, list[dict]]:
    """The shop's customers' shipments by order id."""
    by_order: dict[str, list[dict]] = defaultdict(list)
    for pages in await asyncio.gather(*(_pages(api, admin, "/shipments", c) for c in shop.customer_ids)):
        unique_ids = {s["id"]: s for s in pages}  # a shipment created while paging may show twice
        for shipment in unique_ids.values():
            by_order[shipment["orderId"]].append(shipment)
    return by_order


async def _check_stock(api: httpx.AsyncClient, admin: dict[str, str], shop: Shop, tally: Tally,
                       orders: list[dict]) -> bool:
    """The orders service's record (warm-up included) against the inventory service's, product by product."""
    sold: Counter = Counter()
    pending: Counter = Counter()
    for order in orders:
        units = sold if order["status"] in SOLD else pending if order["status"] == "PENDING" else Counter()
        for item in order["items"]:
            units[item["productId"]] += item["quantity"]
    print("\nproduct                               initial  sold (seen)  on hand  reserved  available  check")
    ok, available = True, {}
    for product_id, initial in shop.products.items():
        answer = await api.get(f"/inventory/{product_id}", headers=admin)
        answer.raise_for_status()
        stock = answer.json()
        available[product_id] = stock["available"]
        good = (initial - sold[product_id] == stock["quantity"] and stock["reserved"] == pending[product_id]
                and min(stock["quantity"], stock["reserved"], stock["available"]) >= 0)
        ok &= good
        name = f"{product_id}{' (scarce)' if product_id == shop.scarce else ''}"
        print(f"{name:<37} {initial:>7}  {sold[product_id]:>4} ({tally.paid_units[product_id]:>4})  "
              f"{stock['quantity']:>7}  {stock['reserved']:>8}  {stock['available']:>9}  {'ok' if good else 'WRONG'}")
    scarce_sold, created, refused = sold[shop.scarce], tally.scarce[201], tally.scarce[409]
    # A 409 is right only for want of stock: none may be left available once one was answered.
    scarce_ok = max(scarce_sold, created) <= SCARCE_STOCK and (not refused or available[shop.scarce] == 0)
    print(f"scarce: {created} orders created, {scarce_sold} of {SCARCE_STOCK} units sold, {refused} orders "
          f"refused with 409, {available[shop.scarce]} left available {'(ok)' if scarce_ok else '(WRONG)'}")
    print(f"zero oversell: {_mark(ok and scarce_ok)} (sold = units of PAID/SHIPPED/DELIVERED orders as the order "
          "service lists them; seen = units of the 200s to pay the bench received; both with the warm-up)")
    return ok and scarce_ok


async def _check_shipments(api: httpx.AsyncClient, admin: dict[str, str], shop: Shop, tally: Tally,
                           paid: set[str]) -> bool:
    """Every paid order (as the order service lists them, warm-up included) against the shipments listed."""
    async def all_shipped() -> dict[str, list[dict]] | None:
        shipments = await _shipments(api, admin, shop)
        return shipments if paid <= set(shipments) else None

    started = time.monotonic()
    try:
        shipments = await apoll_until(all_shipped, timeout=SHIPMENT_GRACE, interval=1.0)
    except TimeoutError:
        shipments = await _shipments(api, admin, shop)
    print(f"\nshipments ({time.monotonic() - started:.1f} s after the load until the last one was listed):")
    missing = paid - set(shipments)
    twice = {order_id for order_id in paid if len(shipments.get(order_id, [])) > 1}
    strays = set(shipments) - paid
    delays = sorted(datetime.fromisoformat(shipments[order_id][0]["createdAt"]).timestamp() - paid_at
                    for order_id, paid_at in tally.paid_at.items() if order_id in shipments)
    late = sum(delay > SHIPMENT_TARGET for delay in delays)
    print(f"{len(paid)} paid orders: {len(paid) - len(missing) - len(twice)} with exactly one shipment, "
          f"{len(missing)} without (after {SHIPMENT_GRACE:g} s), {len(twice)} with more than one; "
          f"{len(strays)} shipments of orders not paid")
    if delays:
        print(f"pay answer → shipment created ({len(delays)} orders of the load): p50 {_percentile(delays, 50):.2f} s, "
              f"p99 {_percentile(delays, 99):.2f} s, max {delays[-1]:.2f} s; {late} over {SHIPMENT_TARGET:g} s "
              f"(target: none; p99 {_percentile(delays, 99) / SHIPMENT_TARGET:.2f}× of budget)")
    return not (missing or twice or strays or late)


# -- profile ---------------------------------------------------------------------------------------

def _report_usage(before: Snapshot, after: Snapshot, orders: int) -> None:
    elapsed, cores = after.at - before.at, os.cpu_count() or 1
    cpu = {name: seconds - before.cpu.get(name, 0.0) for name, seconds in after.cpu.items()}
    machine, ours = after.machine - before.machine, sum(cpu.values())
    print(f"\nCPU during the load ({elapsed:.1f} s × {cores} cores = {elapsed * cores:.1f} s available): machine "
          f"busy {machine:.1f} s, this bench and its fleet {ours:.1f} s"
          f"{f' ({ours * 1000 / orders:.0f} ms per order)' if orders else ''}, others {max(0.0, machine - ours):.1f} s")
    if len(cpu) == 1:
        print("(the fleet behind --base-url is not this bench's child: only the bench's own CPU is known)")
    for name, seconds in sorted(cpu.items(), key=lambda item: -item[1]):
        per_order = f"{seconds * 1000 / orders:6.2f} ms/order" if orders else ""
        print(f"  {name:<14} {seconds:6.1f} s  {seconds / elapsed:4.0%} of a core  {per_order}")
    if after.transactions and orders:
        ended = {name: count - before.transactions.get(name, 0) for name, count in after.transactions.items()}
        print("PostgreSQL transactions per order (within ±1 s of statistics): " + ", ".join(
            f"{name} {count / orders:.1f}" for name, count in sorted(ended.items(), key=lambda item: -item[1])))
    print(f"load average (1, 5, 15 min): before {' '.join(f'{v:.2f}' for v in before.load)}, "
          f"after {' '.join(f'{v:.2f}' for v in after.load)}")


def _percentile(values: list[float], percent: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1] if len(values) > 1 else values[0]


def _mark(ok: bool) -> str:
    return "yes" if ok else "NO"
