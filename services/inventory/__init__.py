"""The inventory service: stock per product, reservations per order, and the movements ledger."""
