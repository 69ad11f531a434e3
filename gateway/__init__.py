"""The REST face of Depot: FastAPI in front of the gRPC services (DESIGN.md §1, §3 REST)."""
