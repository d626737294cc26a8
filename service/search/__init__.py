"""Free-text search: Swedish words and stems, the query language, snippets.

Everything here is plain Python, the same for SQLite and PostgreSQL: words are cut and
stemmed here, never by the database, so both find the same records (service/index/fulltext.py
hands them the result)."""
