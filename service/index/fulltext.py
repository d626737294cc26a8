"""Full-text search, one strategy per database: SQLite FTS5 and PostgreSQL tsvector.

Neither database cuts or stems words: `service.search.words` does, in Python, so both index
the same Swedish stems. SQLite's FTS5 table is contentless: triggers on `records` feed it the
terms of each record's title, text and author through the SQL function `search_terms`
(registered on every connection, service/index/db.py), and its tokenizer only splits on the
spaces between them (`unicode61 remove_diacritics 0`: å, ä, ö stay letters). PostgreSQL
keeps the same terms in `records.search_vector`, a tsvector literal built in Python when the
row is written (no text search configuration is involved: `simple`-like, never `unaccent`).

Both weigh a match in the title above one in the text, and one in the text above the author.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    FromClause,
    Integer,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects import postgresql

from service.index.search_vector import FIELDS, tsvector_literal
from service.search import words
from service.search.compile import to_fts5, to_tsquery
from service.search.syntax import SearchQuery

SEARCH_TERMS_FUNCTION = "search_terms"


@dataclass(frozen=True)
class Relevance:
    """How to rank the matches of a query: join `matches` (if any) on `rowid` = records.pk,
    add `condition` (if any), order by `score` (`higher_first`: descending)."""

    score: ColumnElement[float]
    higher_first: bool
    matches: FromClause | None = None
    condition: ColumnElement[bool] | None = None


# --- the strategies -----------------------------------------------------------------------


class FullText(Protocol):
    def create_statements(self) -> list[str]: ...

    def drop_statements(self) -> list[str]: ...

    def refill(self, conn: Connection) -> None:
        """Make the search structures again from the `records` rows as they are."""

    def condition(self, query: SearchQuery) -> ColumnElement[bool]:
        """A WHERE clause over `records`: the rows that match `query`."""

    def relevance(self, query: SearchQuery) -> Relevance: ...


# bm25 weights of title, text, author (FTS5 column order).
_BM25 = "bm25(records_fts, 10.0, 1.0, 2.0)"
_FTS_COLUMNS = ", ".join(FIELDS)


def _terms_of(row: str) -> str:
    return ", ".join(f"{SEARCH_TERMS_FUNCTION}({row}.{name})" for name in FIELDS)


class SQLiteFullText:
    TRIGGERS = ("records_fts_update", "records_fts_delete", "records_fts_insert")

    def create_table(self) -> str:
        return (
            f"CREATE VIRTUAL TABLE records_fts USING fts5({_FTS_COLUMNS}, content='', "
            "tokenize='unicode61 remove_diacritics 0')"
        )

    def trigger_statements(self) -> list[str]:
        insert = (
            f"INSERT INTO records_fts(rowid, {_FTS_COLUMNS}) VALUES (new.pk, {_terms_of('new')})"
        )
        # A contentless table forgets a row when told exactly the terms it was given.
        delete = (
            f"INSERT INTO records_fts(records_fts, rowid, {_FTS_COLUMNS}) "
            f"VALUES ('delete', old.pk, {_terms_of('old')})"
        )
        changed = " OR ".join(f"old.{name} IS NOT new.{name}" for name in FIELDS)
        return [
            f"CREATE TRIGGER records_fts_insert AFTER INSERT ON records BEGIN {insert}; END",
            f"CREATE TRIGGER records_fts_delete AFTER DELETE ON records BEGIN {delete}; END",
            f"CREATE TRIGGER records_fts_update AFTER UPDATE OF {_FTS_COLUMNS} ON records "
            f"WHEN {changed} BEGIN {delete}; {insert}; END",
        ]

    def drop_trigger_statements(self) -> list[str]:
        return [f"DROP TRIGGER IF EXISTS {name}" for name in self.TRIGGERS]

    def create_statements(self) -> list[str]:
        return [self.create_table(), *self.trigger_statements()]

    def drop_statements(self) -> list[str]:
        return [*self.drop_trigger_statements(), "DROP TABLE IF EXISTS records_fts"]

    def empty(self, conn: Connection) -> None:
        """Empty the index and stop the triggers, in the caller's transaction: for work that
        rewrites every row (`reindex`), which then calls `refill`."""
        for statement in self.drop_trigger_statements():
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql("INSERT INTO records_fts(records_fts) VALUES ('delete-all')")

    def refill(self, conn: Connection) -> None:
        self.empty(conn)
        conn.exec_driver_sql(
            f"INSERT INTO records_fts(rowid, {_FTS_COLUMNS}) "
            f"SELECT pk, {_terms_of('records')} FROM records"
        )
        conn.exec_driver_sql("INSERT INTO records_fts(records_fts) VALUES ('optimize')")
        for statement in self.trigger_statements():
            conn.exec_driver_sql(statement)

    def _matching(self, query: SearchQuery, *columns: str) -> Any:
        return text(
            f"SELECT {', '.join(columns)} FROM records_fts WHERE records_fts MATCH :fts_query"
        ).bindparams(
            # Unique: several conditions (legal holds' queries) can share one statement.
            bindparam("fts_query", to_fts5(query), unique=True)
        )

    def condition(self, query: SearchQuery) -> ColumnElement[bool]:
        from service.index.tables import records

        return records.c.pk.in_(self._matching(query, "rowid").columns(column("rowid", Integer)))

    def relevance(self, query: SearchQuery) -> Relevance:
        matches = (
            self._matching(query, "rowid", f"{_BM25} AS score")
            .columns(column("rowid", Integer), column("score", Float))
            .subquery("matches")
        )
        return Relevance(matches.c.score, higher_first=False, matches=matches)


class PostgresFullText:
    def create_statements(self) -> list[str]:
        return ["CREATE INDEX ix_records_search_vector ON records USING gin (search_vector)"]

    def drop_statements(self) -> list[str]:
        return ["DROP INDEX IF EXISTS ix_records_search_vector"]

    def refill(self, conn: Connection) -> None:
        """Every row's tsvector, computed here, in batches of 1000."""
        last = 0
        while True:
            rows = conn.execute(
                text(
                    "SELECT pk, title, body, author FROM records WHERE pk > :last "
                    "ORDER BY pk LIMIT 1000"
                ),
                {"last": last},
            ).all()
            if not rows:
                return
            conn.execute(
                text("UPDATE records SET search_vector = CAST(:v AS tsvector) WHERE pk = :pk"),
                [{"pk": r.pk, "v": tsvector_literal(r.title, r.body, r.author)} for r in rows],
            )
            last = rows[-1].pk

    def _tsquery(self, query: SearchQuery) -> ColumnElement[Any]:
        return cast(bindparam("tsquery", to_tsquery(query), unique=True), postgresql.TSQUERY)

    def condition(self, query: SearchQuery) -> ColumnElement[bool]:
        return literal_column("records.search_vector").op("@@")(self._tsquery(query))

    def relevance(self, query: SearchQuery) -> Relevance:
        vector: ColumnElement[Any] = literal_column("records.search_vector")
        # float8, not ts_rank_cd's float4: printed exactly, so a cursor gives it back.
        rank = cast(func.ts_rank_cd(vector, self._tsquery(query)), postgresql.DOUBLE_PRECISION)
        return Relevance(rank, higher_first=True, condition=self.condition(query))


def for_dialect(name: str) -> SQLiteFullText | PostgresFullText:
    strategies: dict[str, type[SQLiteFullText] | type[PostgresFullText]] = {
        "sqlite": SQLiteFullText,
        "postgresql": PostgresFullText,
    }
    try:
        return strategies[name]()
    except KeyError:
        raise ValueError(f"unsupported database {name!r}: use SQLite or PostgreSQL") from None


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """`search_terms(text)`: what the FTS5 triggers index (service.search.words)."""
    dbapi_connection.create_function(SEARCH_TERMS_FUNCTION, 1, words.term_text, deterministic=True)
