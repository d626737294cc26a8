"""Full-text search, one strategy per database: SQLite FTS5 and PostgreSQL tsvector.

Neither database cuts or stems words: `service.search.words` does, in Python, so both index
the same Swedish stems. SQLite's FTS5 table is contentless: triggers on `records` feed it the
terms of each record's title, text and author through the SQL function `search_terms`
(registered on every connection, service/index/db.py), and its tokenizer only splits on the
spaces between them (`unicode61 remove_diacritics 0`: å, ä, ö stay letters). PostgreSQL
keeps the same terms in `records.search_vector`, a tsvector literal built in Python when the
row is written (no text search configuration is involved: `simple`-like, never `unaccent`).

Both weigh a match in the title above one in the text, and one in the text above the author.

FTS5 keeps a prefix index for prefixes of `PREFIX_LENGTHS` characters: `bygg*` is then one
term's list, cheap to check row by row. Any other prefix is a merge of the lists of every
term it begins (`bygglovs*`: all of them), so such a query is evaluated once, never row by
row (`probes_slowly`).
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
    and_,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from service.index.search_vector import FIELDS, tsvector_literal
from service.search import words
from service.search.compile import to_fts5, to_fts5_words, to_tsquery
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

    def condition(
        self,
        query: SearchQuery,
        *,
        rowids: tuple[int, int] | None = None,
        probe: bool = False,
        once: bool = False,
    ) -> ColumnElement[bool]:
        """A WHERE clause over `records`: the rows that match `query` (among the pks in
        `rowids`, inclusive, if given). For a walk along another index: `probe`, each row
        checked on its own (a walk that stops early among dense matches); `once`, the
        matches found once and each row looked up among them (a walk through a range)."""

    def beside_a_walk(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """`column` as a filter that never picks the index to walk: the walk keeps to the
        range it was given (SQLite's planner would rather take a site's index)."""

    def relevance(self, query: SearchQuery, floor: int = 0) -> Relevance:
        """The ranking of the matches with a pk from `floor` on."""

    def probes_slowly(self, query: SearchQuery) -> bool:
        """Whether checking one row costs about as much as finding every match: then a
        `probe` condition finds the matches once and checks the rows against them."""

    def matches(self, query: SearchQuery) -> FromClause | None:
        """The matches' pks as a table (`rowid`) that reads them newest first without
        sorting, to join `records` to; None when the condition on `records` does that."""


# bm25 weights of title, text, author (FTS5 column order).
_BM25 = "bm25(records_fts, 10.0, 1.0, 2.0)"
_FTS_COLUMNS = ", ".join(FIELDS)
# Prefix lengths (characters) FTS5 indexes: the commonest truncation (`bygg*`, `skol*`). Each
# length costs about the main index again in size and ~7 % of the index's write rate: with 3
# as well, capture's index writes lost more than the 10 % allowed (bench/README.md, section 2).
PREFIX_LENGTHS = (4,)


def _terms_of(row: str) -> str:
    return ", ".join(f"{SEARCH_TERMS_FUNCTION}({row}.{name})" for name in FIELDS)


def _among(matching: Any) -> ColumnElement[bool]:
    """The records among the rowids `matching` (an FTS5 query) finds, found once: `+pk` keeps
    SQLite off the pk index, so it builds the list once for the statement and looks up each
    row another index yields in it, instead of running the FTS5 query for each row."""
    from service.index.tables import records

    return (records.c.pk + 0).in_(matching.columns(column("rowid", Integer)))


class SQLiteFullText:
    TRIGGERS = ("records_fts_update", "records_fts_delete", "records_fts_insert")

    def create_table(self, prefixes: tuple[int, ...] = PREFIX_LENGTHS) -> str:
        indexed = f"prefix='{' '.join(map(str, prefixes))}', " if prefixes else ""
        return (
            f"CREATE VIRTUAL TABLE records_fts USING fts5({_FTS_COLUMNS}, content='', "
            f"{indexed}tokenize='unicode61 remove_diacritics 0')"
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

    def probes_slowly(self, query: SearchQuery) -> bool:
        return any(
            term.prefix and len(term.stems[-1]) not in PREFIX_LENGTHS
            for clause in query.clauses
            for term in clause.terms
        )

    def beside_a_walk(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)

    def _matching(
        self, query: SearchQuery, *columns: str, where: str = "", fts: str | None = None
    ) -> Any:
        """The FTS5 query (`fts`: another expression of it); `where` may add conditions on
        its rowid (the range binds)."""
        return text(
            f"SELECT {', '.join(columns)} FROM records_fts "
            f"WHERE records_fts MATCH :fts_query{where}"
        ).bindparams(
            # Unique: several conditions (legal holds' queries) can share one statement.
            bindparam("fts_query", to_fts5(query) if fts is None else fts, unique=True)
        )

    def condition(
        self,
        query: SearchQuery,
        *,
        rowids: tuple[int, int] | None = None,
        probe: bool = False,
        once: bool = False,
    ) -> ColumnElement[bool]:
        from service.index.tables import records

        if once or (probe and self.probes_slowly(query)):
            return _among(self._matching(query, "rowid"))
        if probe:  # FTS5 seeks each term's doclist to this one rowid
            probing = text(
                "EXISTS (SELECT 1 FROM records_fts "
                "WHERE records_fts MATCH :fts_query AND rowid = records.pk)"
            ).bindparams(bindparam("fts_query", to_fts5(query), unique=True))
            return and_(probing)
        where, bounds = "", {}
        if rowids is not None:  # FTS5 seeks to the range: only its matches are read
            where = " AND rowid BETWEEN :fts_low AND :fts_high"
            bounds = {"fts_low": rowids[0], "fts_high": rowids[1]}
        matching = self._matching(query, "rowid", where=where)
        for name, value in bounds.items():
            matching = matching.bindparams(bindparam(name, value, unique=True))
        return records.c.pk.in_(matching.columns(column("rowid", Integer)))

    def matches(self, query: SearchQuery) -> FromClause | None:
        found: FromClause = (
            self._matching(query, "rowid").columns(column("rowid", Integer)).subquery("found")
        )
        return found

    def relevance(self, query: SearchQuery, floor: int = 0) -> Relevance:
        """`bm25()` of the matches from `floor` on. Its IDF counts each phrase in the whole
        table first: for a phrase of common words, ~140 ms at 1,000,000 records, whatever
        the window. So a window (`floor`) of a query with a phrase is ranked by the phrase's
        words (`bm25()` of them all, anywhere: a count of each word's list, cheaper), among
        the records the query finds from `floor` on, found once (`_among`)."""
        window = " AND rowid >= :floor"
        phrases = floor > 0 and any(
            term.is_phrase for clause in query.included for term in clause.terms
        )
        ranked_by = to_fts5_words(query) if phrases else None
        matching = self._matching(query, "rowid", f"{_BM25} AS score", where=window, fts=ranked_by)
        matches = (
            matching.bindparams(bindparam("floor", floor, unique=True))
            .columns(column("rowid", Integer), column("score", Float))
            .subquery("matches")
        )
        condition = None
        if phrases:
            found = self._matching(query, "rowid", where=window)
            condition = _among(found.bindparams(bindparam("floor", floor, unique=True)))
        return Relevance(matches.c.score, higher_first=False, matches=matches, condition=condition)


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

    def probes_slowly(self, query: SearchQuery) -> bool:
        return False  # the planner chooses between the GIN index and checking rows

    def _tsquery(self, query: SearchQuery) -> ColumnElement[Any]:
        return cast(bindparam("tsquery", to_tsquery(query), unique=True), postgresql.TSQUERY)

    def beside_a_walk(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        return column

    def condition(
        self,
        query: SearchQuery,
        *,
        rowids: tuple[int, int] | None = None,
        probe: bool = False,
        once: bool = False,
    ) -> ColumnElement[bool]:
        """The same in every case: PostgreSQL's planner chooses between the GIN index and
        checking the rows another index yields."""
        from service.index.tables import records

        match: ColumnElement[bool] = literal_column("records.search_vector").op("@@")(
            self._tsquery(query)
        )
        if rowids is not None:
            return and_(records.c.pk.between(*rowids), match)
        return match

    def matches(self, query: SearchQuery) -> FromClause | None:
        return None

    def relevance(self, query: SearchQuery, floor: int = 0) -> Relevance:
        from service.index.tables import records

        vector: ColumnElement[Any] = literal_column("records.search_vector")
        # float8, not ts_rank_cd's float4: printed exactly, so a cursor gives it back.
        rank = cast(func.ts_rank_cd(vector, self._tsquery(query)), postgresql.DOUBLE_PRECISION)
        condition = self.condition(query)
        if floor:
            condition = and_(records.c.pk >= floor, condition)
        return Relevance(rank, higher_first=True, condition=condition)


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
