"""Event backbone: transactional outbox, relay, idempotent consumers, dead letters (DESIGN.md §3 Events)."""
