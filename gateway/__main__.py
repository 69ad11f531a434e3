"""`python -m gateway`: settings → JSON logs → uvicorn on DEPOT_GATEWAY_PORT with DEPOT_GATEWAY_WORKERS
worker processes, each with its own app, tracing, channels and Redis client (`worker_app`)."""

import atexit
import os
import shutil
import tempfile

import uvicorn
from fastapi import FastAPI

from gateway.app import create_app
from gateway.settings import GatewaySettings
from libs.logs import configure_logging
from libs.telemetry import configure_tracing


def worker_app() -> FastAPI:
    """The app of one worker: uvicorn calls this in every worker process."""
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level, json=settings.log_json)
    configure_tracing("gateway", settings.otlp_endpoint)
    return create_app(settings)


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level, json=settings.log_json)
    if settings.workers > 1:
        # prometheus_client's multiprocess mode: every worker (a new interpreter, which reads this at import)
        # counts in files here, and /metrics, served by whichever worker the scrape reaches, adds them up.
        # A fresh directory each start: old counts would be added to the new ones.
        metrics_dir = tempfile.mkdtemp(prefix="depot-gateway-metrics-")
        atexit.register(shutil.rmtree, metrics_dir, ignore_errors=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    uvicorn.run(
        "gateway.__main__:worker_app", factory=True, host=settings.host, port=settings.port,
        workers=settings.workers,
        log_config=None,  # keep libs.logs' JSON handler instead of uvicorn's own formatting
        access_log=False,  # gateway.middleware logs each request with its id and route
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )


if __name__ == "__main__":
    main()
