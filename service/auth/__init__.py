"""API tokens: random bearer tokens stored as SHA-256, with scopes and an optional site limit."""
