"""Catalog benchmark: `python -m bench catalog` (or `python -m bench.catalog`).

On a throwaway local stack it starts the user, product and inventory services and the gateway, seeds
100,000 products, and drives with `wrk` (apt-get install wrk):
  1. a bare chain on the same machine: a FastAPI app calling a grpc.aio echo server (like gateway →
     service, with nothing else in between), the ceiling for any REST→gRPC hop; the app runs as many
     uvicorn workers as the gateway (--workers, one per core by default);
  2. an authenticated GET /api/products/{id} through the gateway, answered from the gateway's Redis cache
     of rendered bodies (no gRPC hop; the product service's writes retire it, see libs.cache);
  3. searches through the gateway, each with different words or filters so the list cache misses and
     PostgreSQL does the full-text + trigram search, facets and count over the 100,000 products.
It prints rps and latency percentiles of each, the ratio 2/1 and the targets:
cached GET ≥ 60 % of the bare chain's rps with p99 < 50 ms at 32 connections; search p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench._common import private_fleet, process_cpu
from libs.stack import SEED_ADMIN_EMAIL, SEED_ADMIN_PASSWORD, LocalStack
from libs.stack.process import Child, free_ports, port_open

log = logging.getLogger("bench.catalog")

ADJECTIVES = ["portable", "compact", "premium", "rugged", "classic", "smart", "wireless", "ergonomic", "vintage",
              "modern", "foldable", "heavy", "lightweight", "deluxe", "mini", "professional", "silent", "solar",
              "digital", "electric"]
MATERIALS = ["steel", "bamboo", "leather", "carbon", "glass", "oak", "cotton", "ceramic", "aluminium", "wool"]
NOUNS = ["laptop", "keyboard", "monitor", "chair", "desk", "lamp", "kettle", "backpack", "speaker", "camera",
         "headphones", "blender", "jacket", "wallet", "bottle", "tent", "bicycle", "watch", "printer", "router",
         "drone", "toaster", "mattress", "sofa", "guitar", "microscope", "telescope", "scooter", "umbrella", "mug"]
TYPOS = ["lapptop", "keybord", "moniter", "chiar", "headphnes", "speeker", "camra", "blendr", "bycicle", "printr"]
CATEGORIES = 50

# psycopg parameters: n (product count), categories, adjectives, materials, nouns. Names combine three
# word lists at random, so that each noun matches ~1/30 of the catalog, like a real search term. Rows
# are written as the service writes them: one INSERT each, category_ids included.
SEED_SQL = [
    """INSERT INTO categories (id, name, slug, sort_order)
       SELECT gen_random_uuid(), 'Bench category ' || i, 'bench-category-' || i, i
       FROM generate_series(1, %(categories)s) AS i""",
    """INSERT INTO products (id, sku, name, description, price, status, in_stock, weight_grams, created_at,
                            category_ids)
       SELECT gen_random_uuid(), sku,
              initcap(a[1 + floor(random() * cardinality(a))::int]) || ' '
                || initcap(m[1 + floor(random() * cardinality(m))::int]) || ' '
                || initcap(w[1 + floor(random() * cardinality(w))::int]),
              'A ' || a[1 + floor(random() * cardinality(a))::int] || ' '
                || w[1 + floor(random() * cardinality(w))::int]
                || ' for everyday use, made of ' || m[1 + floor(random() * cardinality(m))::int] || '.',
              round((1 + random() * 499)::numeric, 2), 'ACTIVE', random() > 0.1, (random() * 5000)::int,
              now() - make_interval(secs => i), ARRAY[c[1 + abs(hashtext(sku)) %% cardinality(c)]]
       FROM generate_series(1, %(n)s) AS i
            CROSS JOIN LATERAL (SELECT 'BENCH-' || lpad(i::text, 7, '0') AS sku) AS product,
            (SELECT %(adjectives)s::text[] AS a, %(materials)s::text[] AS m, %(nouns)s::text[] AS w) AS words,
            (SELECT array_agg(id ORDER BY sort_order) AS c FROM categories
             WHERE slug LIKE 'bench-category-%%') AS bench_categories""",
    """INSERT INTO product_categories (product_id, category_id)
       SELECT id, unnest(category_ids) FROM products WHERE sku LIKE 'BENCH-%%'""",
    # As autovacuum would before long: statistics for the planner, and the visibility map.
    "VACUUM ANALYZE categories, products, product_categories",
]

# wrk prints this line at the end of a run; the latencies are in microseconds.
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "seconds": %f, "errors": %d, "non2xx": %d, '
    .. '"p50": %d, "p95": %d, "p99": %d}\\n', summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""
SEARCH_REQUESTS = """
local words = {%s}
math.randomseed(os.time())
request = function()
  local path = string.format('/api/products?search=%%s&minPrice=%%d&page=%%d',
    words[math.random(#words)], math.random(0, 400), math.random(1, 3))
  return wrk.format('GET', path)
end
"""


@dataclass(frozen=True)
class Result:
    name: str
    connections: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    # CPU milliseconds per request spent by each process of the chain: unlike rps and latency, this
    # does not depend on what else the (shared) machine is doing.
    cpu_ms: dict[str, float]

    def line(self) -> str:
        cpu = ", ".join(f"{name} {ms:.2f}" for name, ms in self.cpu_ms.items())
        return (f"{self.name:<42} c={self.connections:<3} {self.rps:>7.0f} rps  p50 {self.p50_ms:>6.1f} ms  "
                f"p95 {self.p95_ms:>6.1f} ms  p99 {self.p99_ms:>6.1f} ms  errors {self.errors}  "
                f"CPU ms/request: {cpu}")


def wrk(name: str, url: str, *, connections: int, seconds: float, script: str = "",
        headers: dict[str, str] | None = None, processes: tuple[str, ...] = ()) -> Result:
    """`processes`: the names (as bench._common.process_cpu has them) whose CPU per request to report."""
    before = process_cpu()
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script + WRK_REPORT)
        lua.flush()
        argv = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "5s",
                "-s", lua.name, *(a for k, v in (headers or {}).items() for a in ("-H", f"{k}: {v}")), url]
        output = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    report = json.loads(output.strip().splitlines()[-1])
    after = process_cpu()
    cpu = {label: (after[label] - before[label]) * 1000 / max(report["requests"], 1) for label in processes}
    return Result(name, connections, report["requests"] / report["seconds"], report["p50"] / 1000,
                  report["p95"] / 1000, report["p99"] / 1000, report["errors"] + report["non2xx"], cpu)


def seed(stack: LocalStack, count: int) -> None:
    import psycopg

    params = {"n": count, "categories": CATEGORIES, "adjectives": ADJECTIVES, "materials": MATERIALS,
              "nouns": NOUNS}
    started = time.monotonic()
    with psycopg.connect(stack.dsn("depot_product"), autocommit=True) as conn:
        for statement in SEED_SQL:
            conn.execute(statement, params if "%(" in statement else None)
    log.info("seeded %d products in %.0f s", count, time.monotonic() - started)


# -- the bare chain ------------------------------------------------------------------------------

ECHO_METHOD = "/bench.Echo/Echo"
ECHO = "bench.catalog"  # the echo server and app, both `python -m bench.catalog`, as process_cpu names them


async def _serve_echo(port: int) -> None:
    import grpc

    async def echo(request: bytes, _context) -> bytes:
        return request

    server = grpc.aio.server()
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
        "bench.Echo", {"Echo": grpc.unary_unary_rpc_method_handler(echo)})])
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


def echo_app():
    """The bare chain's FastAPI app, for uvicorn's workers (the echo server's port in ECHO_GRPC_PORT)."""
    from contextlib import asynccontextmanager

    import grpc
    from fastapi import FastAPI

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async with grpc.aio.insecure_channel(f"127.0.0.1:{os.environ['ECHO_GRPC_PORT']}") as channel:
            app.state.echo = channel.unary_unary(ECHO_METHOD)
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/echo/{item_id}")
    async def echo(item_id: str) -> dict:
        answer = await app.state.echo(item_id.encode(), timeout=5)
        return {"id": answer.decode()}

    return app


def start_bare_chain(data_dir: Path, workers: int) -> tuple[list[Child], str]:
    grpc_port, http_port = free_ports(2)
    me = [sys.executable, "-m", "bench.catalog"]
    server = Child("echo-grpc", [*me, "echo-server", str(grpc_port)], data_dir / "echo-grpc.log")
    app = Child("echo-app", [*me, "echo-app", str(http_port), str(grpc_port), str(workers)],
                data_dir / "echo-app.log")
    server.start()
    server.wait_ready(lambda: port_open(grpc_port), 20, "listen")
    app.start()
    app.wait_ready(lambda: port_open(http_port), 20, "listen")
    return [server, app], f"http://127.0.0.1:{http_port}"


# -- the run -------------------------------------------------------------------------------------

def run(products: int, seconds: float, connections: int, search_connections: int, workers: int) -> dict:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    chain: list[Child] = []
    with private_fleet("depot-bench-catalog-", {"DEPOT_GATEWAY_WORKERS": str(workers)}) as fleet:
        try:
            seed(fleet.stack, products)
            chain, bare_url = start_bare_chain(fleet.data_dir, workers)
            with httpx.Client(base_url=f"{fleet.url}/api", timeout=30) as api:
                token = api.post("/auth/login", json={"email": SEED_ADMIN_EMAIL, "password": SEED_ADMIN_PASSWORD})
                headers = {"Authorization": f"Bearer {token.json()['accessToken']}"}
                created = api.post("/products", headers=headers, json={
                    "sku": "BENCH-GET", "name": "Benchmark Laptop", "price": "999.00",
                    "category": "Bench category 1", "initialQuantity": 5,
                    "description": "The product every GET reads."})
                created.raise_for_status()
                product_url = f"{fleet.url}/api/products/{created.json()['id']}"
                api.get(product_url).raise_for_status()  # now in the cache
            warm = min(2.0, seconds)
            depot = ("gateway", "product", "postgres")
            wrk("warm-up", f"{bare_url}/echo/warm", connections=connections, seconds=warm)
            bare = wrk("bare FastAPI → grpc.aio echo", f"{bare_url}/echo/{'x' * 36}", connections=connections,
                       seconds=seconds, processes=(ECHO,))
            wrk("warm-up", product_url, connections=connections, seconds=warm, headers=headers)
            cached = wrk("GET /api/products/{id} (cached)", product_url, connections=connections,
                         seconds=seconds, headers=headers, processes=depot)
            words = ", ".join(f"'{w}'" for w in [*NOUNS, *TYPOS])
            search = wrk(f"search over {products} products (uncached)", fleet.url,
                         connections=search_connections, seconds=seconds, script=SEARCH_REQUESTS % words,
                         processes=depot)
        finally:
            for child in chain:
                child.stop()
    ratio = cached.rps / bare.rps
    print()
    for result in (bare, cached, search):
        print(result.line())
    cpu_ratio = bare.cpu_ms[ECHO] / (cached.cpu_ms["gateway"] + cached.cpu_ms["product"])
    print(f"\ncached GET / bare chain: {ratio:.0%} of its rps (target ≥ 60 %), p99 {cached.p99_ms:.1f} ms "
          f"(target < 50 ms); search p95 {search.p95_ms:.1f} ms (target < 100 ms)")
    print(f"bare chain CPU / cached GET CPU per request: {cpu_ratio:.0%} (the rps ratio a CPU-bound machine allows)")
    figures = {r.name: r.__dict__ for r in (bare, cached, search)} | {"ratio": round(ratio, 3),
                                                                        "cpu_ratio": round(cpu_ratio, 3)}
    print(json.dumps(figures))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench catalog", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("echo-server").add_argument("port", type=int)
    echo_app = commands.add_parser("echo-app")
    echo_app.add_argument("port", type=int)
    echo_app.add_argument("grpc_port", type=int)
    echo_app.add_argument("workers", type=int)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--search-connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="uvicorn workers of the gateway and of the bare chain's app alike")
    args = parser.parse_args(argv)
    if args.command == "echo-server":
        import asyncio

        asyncio.run(_serve_echo(args.port))
    elif args.command == "echo-app":
        import uvicorn

        os.environ["ECHO_GRPC_PORT"] = str(args.grpc_port)
        uvicorn.run("bench.catalog:echo_app", factory=True, host="127.0.0.1", port=args.port, workers=args.workers,
                    log_level="warning", access_log=False)
    else:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
        logging.getLogger("httpx").setLevel(logging.WARNING)
        run(args.products, args.seconds, args.connections, args.search_connections, args.workers)
    return 0


if __name__ == "__main__":
    main()
