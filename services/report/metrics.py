"""Prometheus metrics of report generation, served by the service's metrics endpoint next to the shared
gRPC and event metrics."""

from prometheus_client import Counter, Histogram

GENERATED = Counter(
    "depot_reports_generated_total", "Reports finished, by type, format and status (READY or FAILED)",
    ["type", "format", "status"],
)
GENERATION_SECONDS = Histogram(
    "depot_report_generation_seconds", "Time to query and render one report", ["type", "format"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
