"""A parsed query in each database's own syntax: an FTS5 MATCH expression and a PostgreSQL
tsquery literal. Both are built from stems only (letters and digits), quoted all the same:
what the user typed never reaches either syntax."""

from __future__ import annotations

from service.search.syntax import Clause, SearchQuery, Term


def _fts5_term(term: Term, apart: bool = False) -> str:
    quoted = (" AND " if apart else " + ").join(
        '"' + stem.replace('"', '""') + '"' for stem in term.stems
    )
    quoted += " *" if term.prefix else ""
    return f"({quoted})" if apart and term.is_phrase else quoted


def _fts5_clause(clause: Clause, apart: bool = False) -> str:
    return "(" + " OR ".join(_fts5_term(term, apart) for term in clause.terms) + ")"


def to_fts5(query: SearchQuery) -> str:
    """FTS5's NOT is binary: the included clauses, then NOT each excluded one."""
    included = " AND ".join(_fts5_clause(c) for c in query.included)
    return "".join([f"({included})", *(f" NOT {_fts5_clause(c)}" for c in query.excluded)])


def to_fts5_words(query: SearchQuery) -> str:
    """The included clauses with each phrase's words apart (all of them, anywhere): more
    records than `query` finds, to rank by its words (`fulltext.SQLiteFullText.relevance`)."""
    return "(" + " AND ".join(_fts5_clause(c, apart=True) for c in query.included) + ")"


def _lexeme(stem: str) -> str:
    return "'" + stem.replace("\\", "\\\\").replace("'", "''") + "'"


def _ts_term(term: Term) -> str:
    parts = [_lexeme(stem) for stem in term.stems]
    if term.prefix:
        parts[-1] += ":*"
    return "(" + " <-> ".join(parts) + ")"


def _ts_clause(clause: Clause) -> str:
    either = "(" + " | ".join(_ts_term(term) for term in clause.terms) + ")"
    return "!" + either if clause.excluded else either


def to_tsquery(query: SearchQuery) -> str:
    """A tsquery literal (cast with `::tsquery`: no parser, no dictionary in between)."""
    return " & ".join(_ts_clause(c) for c in query.clauses)
