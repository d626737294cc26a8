"""Search latency: the same queries through the HTTP API and directly on the index.

The index is bulk-loaded with synthetic records straight into the `records` table (and its
full-text index), not through webhooks and storage: a million captures would take hours and
would measure capture, not search. Rows look as `apply_version` builds them.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text

from bench.common import percentile
from bench.corpus import CORPUS_VERSION, QUERY_WORDS, Corpus, site_ids
from service.index import fulltext
from service.index import tables as t
from service.index.db import analyze, make_engine, migrate
from service.index.queries import RecordQueries, RecordQuery
from service.index.search_vector import tsvector_literal

Advance = Callable[[int], None]


# --- loading ---------------------------------------------------------------------------


def _schema_revision() -> str:
    from alembic.script import ScriptDirectory

    from service.index.db import MIGRATIONS, alembic_config

    config = alembic_config(None)  # type: ignore[arg-type]
    config.set_main_option("script_location", str(MIGRATIONS))
    return str(ScriptDirectory.from_config(config).get_current_head())


def cache_name(records: int, seed: int) -> str:
    return f"search-{records}-seed{seed}-corpus{CORPUS_VERSION}-{_schema_revision()}.sqlite3"


def _secondary_indexes(conn: Any, dialect: str) -> list[tuple[str, str]]:
    """(name, DDL) of the records table's own indexes, as the migrations made them."""
    if dialect == "sqlite":
        rows = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='records' "
            "AND sql IS NOT NULL"
        )
    else:
        rows = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename='records' "
            "AND indexname NOT IN ('pk_records', 'uq_records_id')"
        )
    return [(name, ddl) for name, ddl in rows]


def load_sqlite(
    path: Path, count: int, corpus: Corpus, advance: Advance, phase: Callable[[str], None]
) -> None:
    """Build the SQLite index at `path` (via a .partial file, renamed when complete)."""
    partial = path.with_name(path.name + ".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{partial}")
    migrate(engine)
    fts = fulltext.SQLiteFullText()
    with engine.connect() as conn:
        raw = conn.connection.driver_connection  # outside any transaction
        assert raw is not None
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA cache_size=-400000")
        with conn.begin():
            indexes = _secondary_indexes(conn, "sqlite")
            for name, _ in indexes:
                conn.exec_driver_sql(f'DROP INDEX "{name}"')
            fts.empty(conn)  # no triggers while loading: the FTS5 table is filled at the end
        for rows in corpus.index_rows(count):
            with conn.begin():
                conn.execute(insert(t.records), rows)
            advance(len(rows))
        phase("creating indexes")
        with conn.begin():
            for _, ddl in indexes:
                conn.exec_driver_sql(ddl)
        phase("building the FTS5 index (stemming every record)")
        with conn.begin():
            fts.refill(conn)
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    analyze(engine)  # as `offentlig reindex` leaves it
    engine.dispose()
    partial.rename(path)


def load_postgres(
    url: str, count: int, corpus: Corpus, advance: Advance, phase: Callable[[str], None]
) -> None:
    """COPY into a migrated PostgreSQL database; indexes (GIN included) built afterwards."""
    engine = make_engine(url)
    migrate(engine)
    columns = [c.name for c in t.records.columns if c.name != "pk"]
    with engine.connect() as conn:
        indexes = _secondary_indexes(conn, "postgresql")
        for name, _ in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        conn.commit()
        raw = conn.connection.driver_connection
        assert raw is not None
        for rows in corpus.index_rows(count):
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY records ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    row["search_vector"] = tsvector_literal(
                        row["title"], row["body"], row["author"]
                    )
                    copy.write_row([row.get(c) for c in columns])
            raw.commit()
            advance(len(rows))
        phase("creating indexes (GIN included)")
        conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
        for _, ddl in indexes:
            conn.exec_driver_sql(ddl)
        conn.commit()
        phase("VACUUM ANALYZE (autovacuum would do this after a bulk load)")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE records")
    engine.dispose()


# --- queries ---------------------------------------------------------------------------


FACETS = "kind,origin,site,status,year,author"


@dataclass(frozen=True)
class Case:
    name: str
    args: dict[str, Any]  # RecordSearchArgsSchema names; `site` is the one-site filter
    facets: bool = False  # also every facet (counts over the whole result)

    def api_path(self) -> str:
        params = {
            k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.args.items()
        }
        if self.facets:
            params["facets"] = FACETS
        return "/v1/records?" + urllib.parse.urlencode(params)

    def record_query(self) -> RecordQuery:
        args = dict(self.args)
        site = args.pop("site", None)
        # The API's view: RecordQuery(site_ids=site_filter(site), **args) with an
        # unrestricted token; marshmallow fills the same defaults.
        return RecordQuery(site_ids=[site] if site else None, **args)

    def run_direct(self, queries: RecordQueries) -> list[str]:
        """What the API does for this case, straight on the index: the page (and facets)."""
        query = self.record_query()
        ids = [row.id for row in queries.search(query).items]
        if self.facets:
            queries.facets(query, FACETS.split(","))
        return ids


def cases() -> list[Case]:
    """The issue's mix: rare words, the commonest words, two words, phrases, prefixes, with
    and without filters, each sort, with and without facets."""
    sites = site_ids()
    day = lambda y, m=1, d=1: datetime(y, m, d, tzinfo=UTC)  # noqa: E731
    w = QUERY_WORDS
    common, middling, rare = w["common"], w["middling"], w["rarest"]
    two = f"{w['middling']} {w['middling2']}"
    phrase = '"kommunen och"'
    reference = "KS 2019/245"  # a registrar's reference: a phrase of rare words
    year_2020 = {"published_after": day(2020), "published_before": day(2021)}
    mix = [
        Case("no words, newest", {"limit": 50}),
        Case("no words: site + kind, newest", {"site": sites[1], "kind": "post", "limit": 50}),
        Case(
            "no words: comments held, captured",
            {"kind": "comment", "status": "hold", "sort": "-captured_at", "limit": 50},
        ),
        Case(
            "no words: author + dates",
            {"author": "Anna Andersson", "published_after": day(2018), "limit": 50},
        ),
        Case("common word, relevance", {"q": common, "limit": 50}),
        Case("common word, newest", {"q": common, "sort": "-published_at", "limit": 50}),
        Case("common word, oldest", {"q": common, "sort": "published_at", "limit": 50}),
        Case(
            "common word + site + kind, newest",
            {"q": common, "site": sites[2], "kind": "comment", "sort": "-published_at"},
        ),
        Case("middling word, relevance", {"q": middling, "limit": 50}),
        Case(
            "middling word + kind, newest", {"q": middling, "kind": "post", "sort": "-published_at"}
        ),
        Case("rare word, relevance", {"q": rare, "limit": 50}),
        Case("rare word, oldest", {"q": rare, "sort": "published_at", "limit": 50}),
        Case("reference number (rare phrase)", {"q": reference, "limit": 50}),
        Case("two words, relevance", {"q": two, "limit": 50}),
        Case(
            "two words + site + year, newest",
            {"q": two, "site": sites[0], **year_2020, "sort": "-published_at", "limit": 50},
        ),
        Case("phrase, relevance", {"q": phrase, "limit": 50}),
        Case("phrase, newest", {"q": phrase, "sort": "-published_at", "limit": 50}),
        Case("prefix, relevance", {"q": "bygg*", "limit": 50}),
        Case("prefix, newest", {"q": "bygg*", "sort": "-published_at", "limit": 50}),
        Case(
            "OR and exclusion, newest",
            {"q": f"{middling} OR {rare} -{common}", "sort": "-published_at"},
        ),
    ]
    faceted = [
        Case("facets: no words", {"limit": 50}, facets=True),
        Case("facets: common word", {"q": common, "limit": 50}, facets=True),
        Case("facets: rare word", {"q": rare, "limit": 50}, facets=True),
        Case(
            "facets: two words + site + year",
            {"q": two, "site": sites[0], **year_2020},
            facets=True,
        ),
        Case("facets: phrase", {"q": phrase, "limit": 50}, facets=True),
        Case("facets: prefix", {"q": "bygg*", "limit": 50}, facets=True),
    ]
    return mix + faceted


@dataclass
class Timing:
    api_ms: list[float] = field(default_factory=list)
    direct_ms: list[float] = field(default_factory=list)
    matches: int = 0

    def summary(self) -> dict[str, float]:
        a50, a95 = percentile(self.api_ms, 0.5), percentile(self.api_ms, 0.95)
        d50, d95 = percentile(self.direct_ms, 0.5), percentile(self.direct_ms, 0.95)
        return {
            "api_p50_ms": a50,
            "api_p95_ms": a95,
            "direct_p50_ms": d50,
            "direct_p95_ms": d95,
            "ratio_p50": a50 / d50,
            "ratio_p95": a95 / d95,
            "items": self.matches,
        }


class ApiClient:
    def __init__(self, base_url: str, token: str):
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def get(self, path: str) -> bytes:
        for attempt in range(2):  # one reconnect if the server closed the keep-alive
            try:
                self.conn.request("GET", path, headers=self.headers)
                answer = self.conn.getresponse()
                body = answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"GET {path}: {answer.status} {body[:300]!r}")
                return body
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def measure(
    engine: Engine,
    api: ApiClient,
    repeat: int,
    warmup: int,
    deadline: float,
    advance: Advance,
) -> dict[str, Timing]:
    """Each case `warmup` + `repeat` times, API and direct interleaved, one at a time.

    First checks the API and the direct query return the same record ids (else the
    comparison would be meaningless)."""
    queries = RecordQueries(engine)
    timings = {case.name: Timing() for case in cases()}
    for case in cases():
        direct_ids = case.run_direct(queries)
        api_ids = [item["id"] for item in json.loads(api.get(case.api_path()))["items"]]
        if direct_ids != api_ids:
            raise RuntimeError(f"{case.name}: the API and the index disagree")
        timings[case.name].matches = len(direct_ids)
    for round_number in range(warmup + repeat):
        if time.monotonic() > deadline:
            break
        for case in cases():
            path = case.api_path()
            started = time.perf_counter()
            case.run_direct(queries)
            direct = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            api.get(path)
            through_api = (time.perf_counter() - started) * 1000
            if round_number >= warmup:
                timings[case.name].direct_ms.append(direct)
                timings[case.name].api_ms.append(through_api)
        if round_number >= warmup:
            advance(1)
    return timings


def count_records(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM records")).scalar_one())
