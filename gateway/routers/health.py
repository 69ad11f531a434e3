"""GET /health (also /api/health) and GET /metrics: for load balancers, `make dev` and Prometheus."""

import asyncio
import os
import time
from datetime import UTC, datetime
from typing import Literal

import grpc
from fastapi import APIRouter, Response
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from pydantic import BaseModel
from redis.exceptions import RedisError

from gateway.backends import BACKENDS
from gateway.deps import Channels, RedisClient, Settings

router = APIRouter(tags=["health"])
metrics_router = APIRouter(include_in_schema=False)


class Check(BaseModel):
    status: str  # "up" / "down" for Redis, the grpc.health.v1 status name (SERVING, …) for a service
    error: str | None = None


class Health(BaseModel):
    status: Literal["ok", "error"]
    checks: dict[str, Check]
    duration: float  # milliseconds spent checking
    timestamp: datetime


async def _check_redis(redis, timeout: float) -> Check:
    try:
        await asyncio.wait_for(redis.ping(), timeout)
    except (RedisError, OSError, TimeoutError) as error:
        return Check(status="down", error=type(error).__name__)
    return Check(status="up")


async def _check_service(channel: grpc.aio.Channel, service: str, timeout: float) -> Check:
    try:
        answer = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=timeout)
    except grpc.aio.AioRpcError as error:
        return Check(status=error.code().name)
    return Check(status=health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status))


@router.get("/health", responses={503: {"model": Health}})
async def health(response: Response, settings: Settings, redis: RedisClient, channels: Channels) -> Health:
    """Redis and every backend's grpc.health.v1 status, checked concurrently with a short deadline."""
    started = time.perf_counter()
    timeout = settings.health_timeout_seconds
    names = ["redis", *(b.name for b in BACKENDS)]
    results = await asyncio.gather(
        _check_redis(redis, timeout),
        *(_check_service(channels[b.name], b.service, timeout) for b in BACKENDS),
    )
    checks = dict(zip(names, results, strict=True))
    healthy = all(c.status in ("up", "SERVING") for c in checks.values())
    response.status_code = 200 if healthy else 503
    return Health(status="ok" if healthy else "error", checks=checks,
                  duration=round((time.perf_counter() - started) * 1000, 2), timestamp=datetime.now(UTC))


@metrics_router.get("/metrics")
async def metrics() -> Response:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:  # several workers (see gateway.__main__): all of their counts
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
