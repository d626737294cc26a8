"""Reading the index: search with filters and keyset pages, versions, events, feed, stats,
the review queue.

Records marked secret are kept but hidden (DOMAIN rule 5): every read that can show a record
or count it takes `secret`, whether the caller may see them (`records:read-secret`), and
applies the one condition `not_secret` when not."""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Executable,
    Row,
    Select,
    and_,
    func,
    or_,
    select,
    true,
    union_all,
)

from service.errors import InvalidInput
from service.index import cursors, facets, fulltext
from service.index import tables as t
from service.index.db import unavailable_on_db_error
from service.records.model import KIND_NAMES
from service.search import syntax
from service.search.syntax import SearchQuery

_PK_MAX = 2**63 - 1  # BIGINT
_MAX_PAGES = 10**9  # bounds a walk through pages; each page moves on by at least one record

# How search copes with words that find many records (see `RecordQueries.search`).
DENSITY_SAMPLE = 2_000  # the newest records looked at to tell how common the words are
MANY_MATCHES = 20_000  # more matches than this (estimated): walk an index, rank a window
RANK_WINDOW = 5_000  # relevance with many matches ranks the newest this many
RANGE_WALK = 100_000  # a date range of at most this many records is walked to find the window

# The records marked secret, for `not_secret`: few, found through `ix_records_secret`.
_SECRET_RECORDS = select(t.records.c.id).where(t.records.c.secret)


def not_secret(record_id: ColumnElement[Any], secret: bool) -> ColumnElement[bool]:
    """Rows about records not marked secret (or about no record), unless `secret`: the
    caller may see secret records."""
    if secret:
        return true()
    return or_(record_id.is_(None), record_id.not_in(_SECRET_RECORDS))


STOCKHOLM = ZoneInfo("Europe/Stockholm")

SORTS = {
    "published_at": t.records.c.published_at,
    "captured_at": t.records.c.first_captured_at,
}
RELEVANCE = "relevance"

# What /v1/records shows of a row: all but the search column (a tsvector on PostgreSQL).
SHOWN = [c for c in t.records.c if c.name != "search_vector"]


@dataclass
class RecordQuery:
    q: str | None = None
    site_ids: list[str] | None = None  # None: every site; the token's limit narrows it
    kind: str | None = None
    origin: str | None = None
    status: str | None = None
    author: str | None = None
    parent: str | None = None
    published_after: datetime | None = None
    published_before: datetime | None = None
    captured_after: datetime | None = None
    captured_before: datetime | None = None
    registered: bool | None = None  # has a case number, or has none
    case_number: str | None = None
    secret: bool = False  # include records marked secret (`records:read-secret`)
    sort: str | None = None  # None: relevance when `q` has words, else -published_at
    limit: int = 50
    cursor: str | None = None
    # Every match ranked, never only the newest window: for walks through a whole result.
    whole: bool = False


@dataclass
class Page:
    items: list[Row[Any]]
    next_cursor: str | None
    search: SearchQuery | None = None  # the parsed `q`, for snippets


def parse_q(q: str | None) -> SearchQuery | None:
    """`q` in the query language (service/search/syntax.py); a 422 naming `q` if invalid."""
    if not q:
        return None
    try:
        return syntax.parse(q)
    except syntax.QuerySyntaxError as exc:
        raise InvalidInput(
            f"Invalid search query: {exc}", errors={"query": {"q": [str(exc)]}}
        ) from None


def _moment_cursor(values: list[Any]) -> tuple[datetime, int]:
    """The (sort value, pk) a date sort's cursor carries; only what `encode` can write."""
    moment, pk = values
    return cursors.moment(moment), _pk(pk)


def _score_cursor(values: list[Any]) -> tuple[float, int]:
    """The (score, pk) a relevance cursor carries: a finite float, as JSON keeps it (and
    the window's floor, `_window_of`)."""
    [score, floor], pk = values
    if type(score) not in (int, float) or not math.isfinite(score):
        raise ValueError("bad cursor")
    _window_of(values)
    return float(score), _pk(pk)


def _window_of(values: list[Any]) -> int:
    """The floor of the window a relevance cursor ranks in (0: every match)."""
    [_, floor], _ = values
    if type(floor) is not int or not 0 <= floor <= _PK_MAX:
        raise ValueError("bad cursor")
    return floor


def _pk(pk: Any) -> int:
    if type(pk) is not int or not 0 < pk <= _PK_MAX:
        raise ValueError("bad cursor")
    return pk


def _date_conditions(query: RecordQuery) -> list[ColumnElement[bool]]:
    r = t.records.c
    conditions = []
    for column, after, before in (
        (r.published_at, query.published_after, query.published_before),
        (r.first_captured_at, query.captured_after, query.captured_before),
    ):
        if after is not None:
            conditions.append(column >= after)
        if before is not None:
            conditions.append(column < before)
    return conditions


def _pinned(query: RecordQuery) -> bool:
    """Whether an author, a parent or a case number is asked for: their own indexes find
    few records."""
    return any(value is not None for value in (query.author, query.parent, query.case_number))


def _narrowed(query: RecordQuery) -> bool:
    """Whether a filter leaves few records to walk through in date order (a date range,
    an author, a parent or a case number; a site or a kind leave many)."""
    return bool(_date_conditions(query)) or _pinned(query)


def _dated(query: RecordQuery) -> bool:
    """Whether a date range is what narrows the query (nothing `_pinned`)."""
    return bool(_date_conditions(query)) and not _pinned(query)


@dataclass(frozen=True)
class _Order:
    """A keyset order: by `column` (`descending` or not), ties by the record's pk the same
    way; `parse` reads a cursor's values back and `dump` writes the sort value."""

    column: ColumnElement[Any]
    key: str  # the sort value's name in each row
    descending: bool
    parse: Callable[[list[Any]], tuple[Any, int]] = _moment_cursor
    dump: Callable[[Any], Any] = operator.methodcaller("isoformat")


class RecordQueries:
    def __init__(self, engine: Engine, zone: ZoneInfo = STOCKHOLM):
        self.engine = engine
        self.fulltext = fulltext.for_dialect(engine.dialect.name)
        self.zone = zone  # local years, for the year facet

    def _conditions(
        self, query: RecordQuery, *, through_dates: bool = False
    ) -> list[ColumnElement[bool]]:
        """Every filter but the full text. `through_dates`: the date range is walked (a site
        alone does not pick the index; a site and a kind have theirs, with the dates)."""
        r = t.records.c
        conditions: list[ColumnElement[bool]] = [not_secret(r.id, query.secret)]
        if query.site_ids is not None:
            site: ColumnElement[Any] = r.site_id
            if through_dates and query.kind is None:
                site = self.fulltext.beside_a_walk(site)
            conditions.append(site.in_(query.site_ids))
        for column, value in (
            (r.kind, query.kind),
            (r.origin, query.origin),
            (r.status, query.status),
            (r.author, query.author),
            (r.parent_id, query.parent),
            (r.case_number, query.case_number),
        ):
            if value is not None:
                conditions.append(column == value)
        conditions += _date_conditions(query)
        if query.registered is not None:
            conditions.append(
                r.case_number.isnot(None) if query.registered else r.case_number.is_(None)
            )
        return conditions

    def sort_of(self, query: RecordQuery, search: SearchQuery | None) -> str:
        """The sort asked for, or the default: relevance when there are words to rank by."""
        if query.sort is None:
            return RELEVANCE if search is not None else "-published_at"
        if query.sort == RELEVANCE and search is None:
            raise InvalidInput(
                "Nothing to rank by.",
                errors={"query": {"sort": ["sort=relevance needs words to search for in q."]}},
            )
        return query.sort

    def matching(
        self, query: RecordQuery, conn: Connection | None = None
    ) -> tuple[Select[Any], SearchQuery | None]:
        """Every record `query` finds (its filters and its full text), unordered. Given
        `conn`, words that find many records within a date range are found once and the
        range walked (`_dated`), rather than every match looked up."""
        search = parse_q(query.q)
        if search is None:
            return select(*SHOWN).where(*self._conditions(query)), None
        many = conn is not None and _dated(query) and self._many(conn, search)
        return select(*SHOWN).where(*self._with_words(query, search, many=many)), search

    def _with_words(
        self, query: RecordQuery, search: SearchQuery, *, many: bool, probe: bool = False
    ) -> list[ColumnElement[bool]]:
        """The filters and the words. When the words find `many` records within a date
        range, the range is walked and each row looked up among the matches found once;
        otherwise `probe` checks each row on its own (`FullText.condition`)."""
        through_dates = many and _dated(query)
        return [
            *self._conditions(query, through_dates=through_dates),
            self.fulltext.condition(search, probe=probe, once=through_dates),
        ]

    def every(self, query: RecordQuery, page_size: int = 500) -> Iterator[Page]:
        """Every page of `query`'s result, one after the other, each read on its own (no
        transaction held open while a client reads a long export). Newest first unless
        `sort` says otherwise; relevance then ranks every match (`whole`)."""
        cursor = query.cursor
        query = replace(query, sort=query.sort or "-published_at", whole=True)
        for _ in range(_MAX_PAGES):
            page = self.search(replace(query, limit=page_size, cursor=cursor))
            yield page
            cursor = page.next_cursor
            if cursor is None:
                return
        raise AssertionError("more pages than records")

    @unavailable_on_db_error
    def facets(self, query: RecordQuery, names: list[str]) -> tuple[facets.Counts, bool]:
        """Counts over every record `query` finds (service/index/facets.py), and whether
        they were estimated from a sample (a result too large to count in time)."""
        with self.engine.connect() as conn:
            statement, search = self.matching(query, conn)
            columns = [
                facets.facet_column(name, conn.dialect.name, self.zone).label(name)
                for name in names
            ]
            top = conn.execute(select(func.max(t.records.c.pk))).scalar() or 0
            spans = facets.windows(top)
            if spans:
                rows = list(conn.execute(self._sample(query, search, columns, spans)))
                scale = top / (len(spans) * facets.SAMPLE_WIDTH)
                if len(rows) * scale > facets.EXACT_UP_TO:
                    return facets.tally(rows, names, scale), True
            every = list(conn.execute(statement.with_only_columns(*columns)))
            return facets.tally(every, names), False

    def _sample(
        self,
        query: RecordQuery,
        search: SearchQuery | None,
        columns: list[Any],
        spans: list[tuple[int, int]],
    ) -> Executable:
        """`columns` of the matches whose pks are in `spans`, the words looked up in each
        span on its own (a seek in the full-text index), or found once when checking them
        costs as much as finding all of them (`probes_slowly`)."""
        pk = t.records.c.pk
        if search is not None and self.fulltext.probes_slowly(search):
            in_spans = or_(*[pk.between(*span) for span in spans])
            condition = self.fulltext.condition(search, probe=True)
            return select(*columns).where(*self._conditions(query), in_spans, condition)
        parts = []
        for span in spans:
            part = select(*columns).where(*self._conditions(query), pk.between(*span))
            if search is not None:
                part = part.where(self.fulltext.condition(search, rowids=span))
            parts.append(part)
        return union_all(*parts)

    def _density(self, conn: Connection, search: SearchQuery) -> tuple[float, int]:
        """(the share of the newest records that match `search`, the largest pk): how many
        records the words find, told from a cheap look at the newest `DENSITY_SAMPLE`."""
        top = conn.execute(select(func.max(t.records.c.pk))).scalar() or 0
        low = max(1, top - DENSITY_SAMPLE + 1)
        found_table = self.fulltext.matches(search)
        if found_table is None:
            matches = select(func.count()).where(
                t.records.c.pk >= low, self.fulltext.condition(search, rowids=(low, top))
            )
        else:  # the full-text index alone, from the newest end
            rowid = found_table.c.rowid
            matches = select(func.count()).select_from(found_table).where(rowid >= low)
        found = conn.execute(matches).scalar_one()
        return (found / (top - low + 1) if top else 0.0), top

    def _many(self, conn: Connection, search: SearchQuery) -> bool:
        """Whether the words find so many records that finding all of them first costs more
        than walking an index and checking each row (`MANY_MATCHES`)."""
        density, top = self._density(conn, search)
        return density * top > MANY_MATCHES

    def _window_floor(
        self, conn: Connection, query: RecordQuery, search: SearchQuery, filtered: bool
    ) -> int:
        """The pk of the `RANK_WINDOW`-th newest match (1 when there are fewer); of those
        that pass the filters when `filtered`. Through a date range of at most `RANGE_WALK`
        records, the range is walked, each row looked up among the matches found once:
        matches newest first would all be read when few pass (the range is older)."""
        r = t.records.c
        conditions = self._conditions(query)
        found = self.fulltext.matches(search)
        if found is None:
            newest = select(r.pk).where(*conditions, self.fulltext.condition(search))
            pk: ColumnElement[int] = r.pk
        elif _dated(query) and self._short_range(conn, query):
            walk = self._conditions(query, through_dates=True)
            newest = select(r.pk).where(*walk, self.fulltext.condition(search, once=True))
            pk = r.pk
        else:  # driven by the full-text index, read newest first
            pk = found.c.rowid
            newest = select(pk).select_from(found)
            if filtered:  # (secrecy alone does not count: the window only bounds the ranking)
                newest = newest.join(t.records, r.pk == pk).where(*conditions)
        floor = newest.order_by(pk.desc()).offset(RANK_WINDOW - 1).limit(1)
        return int(conn.execute(floor).scalar() or 1)

    def _short_range(self, conn: Connection, query: RecordQuery) -> bool:
        """Whether the date range holds at most `RANGE_WALK` records (counted on its index,
        no further)."""
        in_range = select(t.records.c.pk).where(*_date_conditions(query))
        counted = select(func.count()).select_from(in_range.limit(RANGE_WALK + 1).subquery())
        return bool(conn.execute(counted).scalar_one() <= RANGE_WALK)

    @unavailable_on_db_error
    def search(self, query: RecordQuery) -> Page:
        """One page. With words, how depends on how many records they find: a few are found
        first and then sorted; many are met by walking the sort's index (dates) or ranked
        within the newest `RANK_WINDOW` of them (relevance), so a common word costs no more
        than a rare one."""
        search = parse_q(query.q)
        sort = self.sort_of(query, search)
        conditions = self._conditions(query)
        many = False
        if search is not None:
            with self.engine.connect() as conn:
                many = self._many(conn, search)
        if sort == RELEVANCE:
            assert search is not None
            return self._ranked(query, search, conditions, many)
        sort_column = SORTS[sort.lstrip("-")]
        if search is not None:
            # A walk along the dates pays for every row it passes: with a date range or a
            # narrow filter, the walk checks each row against the matches found once (a
            # range), or the matches are found first (an author, a parent, a case number).
            walk = many and not _narrowed(query)
            conditions = self._with_words(query, search, many=many, probe=walk)
        statement = select(*SHOWN).where(*conditions)
        order = _Order(sort_column, sort_column.name, sort.startswith("-"))
        page = self._page(statement, order, query.limit, query.cursor)
        page.search = search
        return page

    def _ranked(
        self,
        query: RecordQuery,
        search: SearchQuery,
        conditions: list[ColumnElement[bool]],
        many: bool,
    ) -> Page:
        """Best match first, then the newer record. The cursor carries the window's floor,
        so every page ranks the same records."""
        floor = 0
        if query.cursor:
            floor = cursors.decode(query.cursor, _window_of)
        elif many and not query.whole:
            with self.engine.connect() as conn:
                floor = self._window_floor(conn, query, search, len(conditions) > 1)
        relevance = self.fulltext.relevance(search, floor)
        statement = select(*SHOWN, relevance.score.label("score"))
        if relevance.matches is not None:
            statement = statement.join_from(
                t.records, relevance.matches, relevance.matches.c.rowid == t.records.c.pk
            )
        if relevance.condition is not None:
            conditions = [*conditions, relevance.condition]
        order = _Order(
            relevance.score,
            "score",
            relevance.higher_first,
            parse=_score_cursor,
            dump=lambda score: [float(score), floor],
        )
        statement = statement.where(*conditions)
        page = self._page(statement, order, query.limit, query.cursor, pk_descending=True)
        page.search = search
        return page

    @unavailable_on_db_error
    def review_queue(
        self,
        state: str,
        site_ids: list[str] | None,
        limit: int,
        cursor: str | None,
        *,
        secret: bool = False,
    ) -> Page:
        """Records whose review is in `state`, longest waiting first: each row has the
        record's columns and the review's as `review_{column}`."""
        rv = t.reviews.c
        statement = (
            select(*SHOWN, *[column.label(f"review_{column.name}") for column in rv])
            .join(t.reviews, rv.id == t.records.c.id)
            .where(rv.state == state, not_secret(t.records.c.id, secret))
        )
        if site_ids is not None:
            statement = statement.where(rv.site_id.in_(site_ids))
        return self._page(
            statement, _Order(rv.recorded_at, "review_recorded_at", False), limit, cursor
        )

    def _page(
        self,
        statement: Select[Any],
        order: _Order,
        limit: int,
        cursor: str | None,
        *,
        pk_descending: bool | None = None,
    ) -> Page:
        """One keyset page of `statement` (over `records`) in `order`, ties broken by the
        record's pk (the same way, unless `pk_descending` says); `next_cursor` carries the
        last row's (sort value, pk)."""
        pk = t.records.c.pk
        column = order.column
        pk_down = order.descending if pk_descending is None else pk_descending
        if cursor:
            boundary, last_pk = cursors.decode(cursor, order.parse)
            beyond = column < boundary if order.descending else column > boundary
            tie = pk < last_pk if pk_down else pk > last_pk
            statement = statement.where(or_(beyond, and_(column == boundary, tie)))
        statement = statement.order_by(
            column.desc() if order.descending else column.asc(),
            pk.desc() if pk_down else pk.asc(),
        )
        with self.engine.connect() as conn:
            rows = list(conn.execute(statement.limit(limit + 1)))
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            next_cursor = cursors.encode([order.dump(last._mapping[order.key]), last.pk])
        return Page(rows, next_cursor)

    @unavailable_on_db_error
    def record(self, record_id: str, *, secret: bool = False) -> Row[Any] | None:
        r = t.records.c
        statement = select(*SHOWN).where(r.id == record_id, not_secret(r.id, secret))
        with self.engine.connect() as conn:
            return conn.execute(statement).first()

    @unavailable_on_db_error
    def versions(self, record_id: str) -> list[Row[Any]]:
        v = t.record_versions
        with self.engine.connect() as conn:
            return list(
                conn.execute(select(v).where(v.c.record_id == record_id).order_by(v.c.version))
            )

    @unavailable_on_db_error
    def version(self, record_id: str, number: int) -> Row[Any] | None:
        v = t.record_versions
        with self.engine.connect() as conn:
            return conn.execute(
                select(v).where(v.c.record_id == record_id, v.c.version == number)
            ).first()

    @unavailable_on_db_error
    def events(self, record_id: str) -> list[Row[Any]]:
        e = t.record_events
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(e).where(e.c.record_id == record_id).order_by(e.c.captured_at, e.c.id)
                )
            )

    @unavailable_on_db_error
    def changes(
        self, after: int, limit: int, site_ids: list[str] | None, *, secret: bool = False
    ) -> list[Row[Any]]:
        c = t.changes
        statement = (
            select(c)
            .where(c.c.seq > after, not_secret(c.c.record_id, secret))
            .order_by(c.c.seq)
            .limit(limit)
        )
        if site_ids is not None:
            statement = statement.where(c.c.site_id.in_(site_ids))
        with self.engine.connect() as conn:
            return list(conn.execute(statement))

    @unavailable_on_db_error
    def review_pending(self, site_ids: list[str] | None) -> int:
        """Records awaiting secrecy review (they are never secret yet)."""
        r = t.records.c
        statement = select(func.count()).where(r.review == "pending")
        if site_ids is not None:
            statement = statement.where(r.site_id.in_(site_ids))
        with self.engine.connect() as conn:
            return int(conn.execute(statement).scalar_one())

    @unavailable_on_db_error
    def stats(
        self,
        site_ids: list[str] | None,
        days: int,
        zone: ZoneInfo,
        now: datetime,
        *,
        secret: bool = False,
    ) -> dict[str, Any]:
        """Captured versions per local day and kind, for the last `days` days."""
        today = now.astimezone(zone).date()
        first_day = today - timedelta(days=days - 1)
        month_start = today.replace(day=1)
        since = datetime.combine(min(first_day, month_start), time(), zone)
        v = t.record_versions
        shown = not_secret(v.c.record_id, secret)
        recent = select(v.c.captured_at, v.c.kind).where(v.c.captured_at >= since, shown)
        total = select(func.count()).select_from(v).where(shown)
        if site_ids is not None:
            recent = recent.where(v.c.site_id.in_(site_ids))
            total = total.where(v.c.site_id.in_(site_ids))
        per_day: Counter[tuple[date, str]] = Counter()
        with self.engine.connect() as conn:
            for captured_at, kind in conn.execute(recent):
                per_day[(captured_at.astimezone(zone).date(), kind)] += 1
            count = conn.execute(total).scalar_one()
        kinds = KIND_NAMES
        series = []
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            counts = {kind: per_day[(day, kind)] for kind in kinds}
            series.append({"date": day.isoformat(), **counts, "total": sum(counts.values())})
        return {
            "today": sum(per_day[(today, kind)] for kind in kinds),
            "this_month": sum(n for (day, _), n in per_day.items() if day >= month_start),
            "total": count,
            "days": series,
        }
