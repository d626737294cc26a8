"""Content that may be secret (DOMAIN rule 5): found here, so that it can be flagged for review."""
