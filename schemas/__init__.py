"""marshmallow schemas: webhook payloads, API bodies and query arguments, responses."""
