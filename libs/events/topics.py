"""Topic names (DESIGN.md §3 Events: one topic per context, dead letters in `events.dlq`) and their
idempotent creation at start-up."""

from collections.abc import Iterable

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from libs.events.kafka import LIBRDKAFKA_LOG

USER = "depot.user"
PRODUCT = "depot.product"
INVENTORY = "depot.inventory"
ORDER = "depot.order"
SHIPPING = "depot.shipping"
REPORT = "depot.report"
AUDIT_REQUESTS = "depot.audit.requests"
DLQ = "events.dlq"

DOMAIN_TOPICS = (USER, PRODUCT, INVENTORY, ORDER, SHIPPING, REPORT)
ALL_TOPICS = (*DOMAIN_TOPICS, AUDIT_REQUESTS, DLQ)

# Tansu (the dev/test broker) creates a topic it has not seen with 4 partitions when a client merely
# asks for it; creating ours with the same count keeps the key → partition mapping identical whoever
# gets there first after a broker restart.
DEFAULT_PARTITIONS = 4


def ensure_topics(
    bootstrap: str, topics: Iterable[str] = ALL_TOPICS, partitions: int = DEFAULT_PARTITIONS,
    *, replication_factor: int = 1, timeout: float = 10.0,
) -> None:
    """Create whichever of `topics` do not exist yet; existing ones are left as they are. Blocking:
    from async code, run it in a thread. Raises KafkaException when the broker cannot be reached."""
    wanted = sorted(set(topics))
    if not wanted:
        return
    admin = AdminClient({"bootstrap.servers": bootstrap, "logger": LIBRDKAFKA_LOG})
    futures = admin.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=replication_factor) for topic in wanted],
        operation_timeout=timeout, request_timeout=timeout,
    )
    for future in futures.values():
        try:
            future.result(timeout=timeout)
        except KafkaException as error:
            if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
