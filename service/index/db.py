"""Engines, migrations, and the mapping of database failures to `IndexUnavailable`."""

from __future__ import annotations

import contextlib
import functools
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import sqlalchemy.exc
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text

from service.errors import IndexUnavailable
from service.index.fulltext import register_sqlite_functions

MIGRATIONS = Path(__file__).parent / "migrations"
_PG_MIGRATION_LOCK = 7_214_001  # pg_advisory_lock key: one migrator at a time


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        _tune_sqlite(engine)
        return engine
    # No pre-ping: it costs a round trip per checkout. A connection the server dropped fails
    # one request with a 503 (the sender retries), and SQLAlchemy then renews the whole pool.
    # Commits do not wait for the WAL flush unless `writing(durable=True)` asks them to;
    # `options` given in the URL are kept.
    parsed = make_url(url)
    given = parsed.query.get("options", ())
    options = [*([given] if isinstance(given, str) else given), "-c synchronous_commit=off"]
    return create_engine(
        parsed.difference_update_query(["options"]),
        pool_size=10,
        max_overflow=20,
        pool_recycle=1800,
        connect_args={"options": " ".join(options)},
    )


def _tune_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers; transactions begun by us, so writers can take the lock
    up front (`BEGIN IMMEDIATE`) instead of failing on a lock upgrade."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        register_sqlite_functions(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode:
            connection.exec_driver_sql(f"BEGIN {mode}")


_SQLITE_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_SQLITE_WRITERS_GUARD = threading.Lock()


def _sqlite_writer_lock(engine: Engine) -> threading.Lock:
    with _SQLITE_WRITERS_GUARD:
        return _SQLITE_WRITERS.setdefault(engine, threading.Lock())


@contextlib.contextmanager
def writing(engine: Engine, *, durable: bool = True) -> Iterator[Connection]:
    """A write transaction that holds the write lock from its first statement.

    SQLite has one writer at a time. Threads of one process queue on a Python lock, which
    hands over at once, rather than in SQLite's busy handler, which polls with sleeps of up
    to 100 ms; only other processes are left to the busy handler.

    `durable=False` is for the cache of storage: on PostgreSQL its commits do not wait for
    the WAL flush (the connections' default, see `make_engine`; a durable write turns the
    wait back on for its own transaction). A crash can lose the last moments of index
    writes, never a record: storage has them, and `offentlig reindex` brings them back.
    (SQLite in WAL mode with synchronous=NORMAL never waits for a flush at commit.)"""
    if engine.dialect.name != "sqlite":
        with engine.connect() as connection, connection.begin():
            if durable:
                connection.exec_driver_sql("SET LOCAL synchronous_commit = on")
            yield connection
        return
    with _sqlite_writer_lock(engine), engine.connect() as connection:
        connection = connection.execution_options(sqlite_begin="IMMEDIATE")
        with connection.begin():
            yield connection


@contextlib.contextmanager
def autocommit(engine: Engine) -> Iterator[Connection]:
    """A connection whose statements each run on their own, outside a transaction: for a
    read or write that is one statement, consistent (and atomic) by itself, without a BEGIN
    and a COMMIT or ROLLBACK that each cost a round trip (on SQLite, a statement). Writes
    this way are for PostgreSQL: SQLite writers take `writing`'s lock."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            yield connection.execution_options(sqlite_begin=None)
        else:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")


P = ParamSpec("P")
R = TypeVar("R")


def unavailable_on_db_error(func: Callable[P, R]) -> Callable[P, R]:
    """Database trouble a client can do nothing about becomes a 503, never a 500."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError) as exc:
            raise IndexUnavailable(f"database: {exc.orig or exc}") from exc
        except sqlalchemy.exc.TimeoutError as exc:
            raise IndexUnavailable("database connection pool exhausted") from exc

    return wrapper


def alembic_config(connection: Connection) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe when many instances start at once."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET synchronous_commit = on")  # until RESET below
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            connection.commit()
        try:
            command.upgrade(alembic_config(connection), revision)
            connection.commit()
        finally:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
                connection.exec_driver_sql("RESET synchronous_commit")
                connection.commit()


def analyze(engine: Engine) -> None:
    """Give the query planner fresh statistics after a bulk write (reindex). SQLite keeps
    none by itself: without them it takes an equality on any indexed column (a site) as
    very selective, and would read a site's every record where a few pks would do."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE records")
        conn.commit()


def check(engine: Engine) -> None:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise IndexUnavailable(f"database: {exc}") from exc
