"""The shipping service's composition root: `python -m services.shipping [migrate]`."""

from datetime import timedelta
from pathlib import Path

from libs.db import create_engine, session_factory
from libs.events.consumer import EventConsumer
from libs.events.relay import OutboxRelay
from libs.runtime import Wiring, main
from services.shipping import events
from services.shipping.grpc_api import binding
from services.shipping.ratecards import rate_card_carriers
from services.shipping.service import ShippingService, WebhookPolicy
from services.shipping.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


async def build(settings: Settings) -> Wiring:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    service = ShippingService(
        sessions, carriers=rate_card_carriers(),
        default_item_grams=settings.default_item_weight_grams,
        webhooks=WebhookPolicy(
            secrets={code.upper(): secret.get_secret_value().encode()
                     for code, secret in settings.webhook_secrets.items()},
            tolerance=timedelta(seconds=settings.webhook_tolerance_seconds),
        ),
    )
    consumer = EventConsumer(name="shipping", topics=events.TOPICS, handlers=events.handlers(service),
                             sessions=sessions, bootstrap=settings.kafka_bootstrap,
                             consumer_overrides=settings.consumer_overrides)
    relay = OutboxRelay(engine, settings.kafka_bootstrap)
    return Wiring(bindings=[binding(service)], background=[relay.run, consumer.run], close=engine.dispose)


if __name__ == "__main__":
    main("shipping", Settings, build, MIGRATIONS)
