"""The sites an authority captures: name, URL and webhook secret (encrypted at rest)."""
