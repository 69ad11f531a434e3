"""`python -m gateway`: settings → JSON logs and tracing → one uvicorn worker on DEPOT_GATEWAY_PORT."""

import uvicorn

from gateway.app import create_app
from gateway.settings import GatewaySettings
from libs.logs import configure_logging
from libs.telemetry import configure_tracing


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level, json=settings.log_json)
    configure_tracing("gateway", settings.otlp_endpoint)
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, workers=1,
        log_config=None,  # keep libs.logs' JSON handler instead of uvicorn's own formatting
        access_log=False,  # gateway.middleware logs each request with its id and route
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )


if __name__ == "__main__":
    main()
