"""Prometheus metrics of the event backbone, served by each service's metrics endpoint."""

from prometheus_client import Counter, Gauge, Histogram

OUTBOX_BACKLOG = Gauge(
    "depot_outbox_backlog", "Outbox rows not yet published", ["relay"],
)
PUBLISHED = Counter(
    "depot_outbox_published_total", "Outbox rows delivered to the broker", ["relay", "topic"],
)
PUBLISH_LATENCY = Histogram(
    "depot_outbox_publish_latency_seconds", "From the outbox row's creation to its delivery report", ["relay"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
RELAY_FAILURES = Counter(
    "depot_outbox_relay_failures_total", "Relay cycles that failed (broker or database unavailable)", ["relay"],
)
CONSUMER_LAG = Gauge(
    "depot_consumer_lag", "Messages in the partition after the last one handled", ["consumer", "topic", "partition"],
)
HANDLED = Counter(
    "depot_events_handled_total",
    "Events acknowledged: outcome applied (handler ran), duplicate (already processed) or ignored (no handler)",
    ["consumer", "topic", "type", "outcome"],
)
RETRIED = Counter(
    "depot_events_retried_total", "Handler attempts that failed and will be retried", ["consumer", "topic", "type"],
)
DEAD_LETTERED = Counter(
    "depot_events_dead_lettered_total", "Messages sent to the dead-letter topic", ["consumer", "topic", "type"],
)
