"""Request and response bodies of the REST contract (pydantic v2, camelCase on the wire)."""
