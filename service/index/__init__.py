"""The index: a cache of object storage for search, filters, feeds and stats (SQLAlchemy)."""
