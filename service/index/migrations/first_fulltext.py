"""The full text of migrations 0001–0002, frozen: an FTS5 table over `records`' own columns
and PostgreSQL's `swedish` configuration in a generated column. Migration 0015 replaces
both with the stems of `service.search.words`; the old migrations keep building what they
built then, whatever the current code says."""

from __future__ import annotations

# SQLite: an external-content FTS5 table and its triggers.
_COLS = "title, body, author"
_NEW = "new.pk, new.title, new.body, new.author"
_OLD = "old.pk, old.title, old.body, old.author"
SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE records_fts USING fts5({_COLS}, content='records', "
    "content_rowid='pk', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER records_fts_insert AFTER INSERT ON records BEGIN "
    f"INSERT INTO records_fts(rowid, {_COLS}) VALUES ({_NEW}); END",
    "CREATE TRIGGER records_fts_delete AFTER DELETE ON records BEGIN "
    f"INSERT INTO records_fts(records_fts, rowid, {_COLS}) VALUES ('delete', {_OLD}); END",
    f"CREATE TRIGGER records_fts_update AFTER UPDATE OF {_COLS} ON records BEGIN "
    f"INSERT INTO records_fts(records_fts, rowid, {_COLS}) VALUES ('delete', {_OLD}); "
    f"INSERT INTO records_fts(rowid, {_COLS}) VALUES ({_NEW}); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS records_fts_update",
    "DROP TRIGGER IF EXISTS records_fts_delete",
    "DROP TRIGGER IF EXISTS records_fts_insert",
    "DROP TABLE IF EXISTS records_fts",
]


def postgres_create(split_like_fts5: bool) -> list[str]:
    """0001 indexed the columns as they were; 0002 first turned `/.@_:` into spaces."""
    words = (
        "translate(coalesce({column}, ''), '/.@_:', '     ')"
        if split_like_fts5
        else "coalesce({column}, '')"
    )
    vector = " || ".join(
        f"setweight(to_tsvector('swedish', {words.format(column=column)}), '{weight}')"
        for column, weight in (("title", "A"), ("body", "B"), ("author", "C"))
    )
    return [
        f"ALTER TABLE records ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector}) "
        "STORED",
        "CREATE INDEX ix_records_search_vector ON records USING gin (search_vector)",
    ]


POSTGRES_DROP = [
    "DROP INDEX IF EXISTS ix_records_search_vector",
    "ALTER TABLE records DROP COLUMN IF EXISTS search_vector",
]


def create(dialect: str, split_like_fts5: bool = False) -> list[str]:
    return SQLITE_CREATE if dialect == "sqlite" else postgres_create(split_like_fts5)


def drop(dialect: str) -> list[str]:
    return SQLITE_DROP if dialect == "sqlite" else POSTGRES_DROP
