"""The product service: catalog, category tree, variants and search (DESIGN.md §1)."""
