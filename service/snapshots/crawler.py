"""The crawl: worker threads, each with its own connection, fetching from one frontier into
one WARC file and one CDXJ index, within the settings' limits.

Threads, not asyncio: http.client is what records exact bytes (recording.py), the work is
I/O-bound, and Lexbor's parsing and zlib's compression run in C. The WARC is written under a
lock in the order responses complete; link extraction runs outside it.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from service.snapshots.cdxj import CdxjIndex, cdxj_line
from service.snapshots.discovery import discover
from service.snapshots.fetch import Exchange, Fetcher, PinnedConnection
from service.snapshots.frontier import LIST_LIMIT, Frontier, Task
from service.snapshots.policy import SitePolicy, SiteRefused
from service.snapshots.recording import Aborted
from service.snapshots.settings import CrawlProgress, CrawlSettings
from service.snapshots.warc import WarcFile

PROGRESS_EVERY = 0.25  # seconds between progress reports
STOPPED = "stopped"  # the frontier's reason when the caller asked the crawl to stop


class CrawlStopped(Exception):  # noqa: N818 - a signal to unwind, not an error
    """The caller's `stop()` said so: the crawl ended unfinished and is no snapshot."""


class Crawl:
    def __init__(
        self,
        policy: SitePolicy,
        settings: CrawlSettings,
        warc: WarcFile,
        index: CdxjIndex,
        user_agent: str,
        clock: Callable[[], datetime],
    ):
        self.policy = policy
        self.settings = settings
        self.warc = warc
        self.index = index
        self.user_agent = user_agent
        self.clock = clock
        self.frontier = Frontier(policy, settings.max_pages, settings.max_redirects)
        self._write_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._wake = threading.Event()  # set when the crawl stops: delays end early
        self._started = 0.0
        self.address: str | None = None
        self.failure: BaseException | None = None
        self.bytes = 0
        self.fetched = 0
        self.pages = 0
        self.requisites = 0
        self.status: Counter[str] = Counter()
        self.errors: list[dict[str, str]] = []
        self.error_count = 0
        self.limits: list[dict[str, Any]] = []

    # --- running ---------------------------------------------------------------------------

    def run(
        self,
        seeds: list[str],
        progress: Callable[[CrawlProgress], None] | None,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        """Crawl until done or a limit; `stop()` (asked with each progress report) ends the
        crawl unfinished with `CrawlStopped`."""
        self._started = time.monotonic()
        try:
            self.address = self.policy.address  # resolved and checked once, up front
        except SiteRefused as exc:
            self.frontier.refuse(seeds[0], f"site address refused: {exc}", None)
            return
        for number, url in enumerate(seeds):
            self.frontier.add(url, requisite=False, found_on=None if number == 0 else "seed")
        workers = [
            threading.Thread(target=self._work, name=f"snapshot-{n}", daemon=True)
            for n in range(self.settings.connections)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            while worker.is_alive():
                worker.join(PROGRESS_EVERY)
                self._check_time()
                if stop is not None and stop() and self.frontier.stop(STOPPED):
                    self._wake.set()
                if progress:
                    progress(self.progress())
        if self.failure:
            raise self.failure
        if self.frontier.stopped == STOPPED:
            raise CrawlStopped()
        if self.frontier.pages_skipped:
            self._limit("max_pages", self.settings.max_pages, self.frontier.pages_skipped)
        if progress:
            progress(self.progress())

    def _work(self) -> None:
        """Fetch until the frontier is empty or stopped. A failure to write the WARC (disk
        full) stops every worker and fails the snapshot: a partial WARC is no snapshot."""
        connection = PinnedConnection(self.policy, self.settings.timeout)
        fetcher = Fetcher(connection, self.user_agent, self.settings.parse_limit, self.clock)
        try:
            while (task := self.frontier.take()) is not None:
                try:
                    self._visit(fetcher, task)
                finally:
                    self.frontier.done()
                if self.settings.delay:
                    self._wake.wait(self.settings.delay)
        except BaseException as exc:  # handed to run(), which raises it
            self.failure = self.failure or exc
            self.frontier.stop("failure")
            self._wake.set()
        finally:
            connection.close()

    def _visit(self, fetcher: Fetcher, task: Task) -> None:
        try:
            exchange = fetcher.fetch(task.url, self._received)
        except Aborted as exc:
            self._error(task.url, f"not archived: {exc}")
            return
        except (OSError, http.client.HTTPException, SiteRefused) as exc:
            self._error(task.url, f"{type(exc).__name__}: {exc}")
            return
        try:
            self._archive(exchange, task)
            try:
                self._follow(exchange, task)
            except Exception as exc:  # the document is archived all the same
                self._error(task.url, f"links not read: {type(exc).__name__}: {exc}")
        finally:
            exchange.close()

    def _archive(self, exchange: Exchange, task: Task) -> None:
        with self._write_lock:
            offset, length = self.warc.write_exchange(exchange)
            self.index.add(
                cdxj_line(
                    url=exchange.url,
                    date=exchange.date,
                    mime=exchange.mime,
                    status=exchange.status,
                    digest=str(exchange.sink.payload),
                    length=length,
                    offset=offset,
                    filename=self.warc.filename,
                )
            )
        with self._count_lock:
            self.fetched += 1
            self.status[str(exchange.status)] += 1
            if task.requisite:
                self.requisites += 1
            else:
                self.pages += 1

    def _follow(self, exchange: Exchange, task: Task) -> None:
        location = exchange.headers.get("Location")
        if 300 <= exchange.status < 400 and location:
            self.frontier.add(
                urljoin(exchange.url, location.strip()),
                requisite=task.requisite,
                found_on=exchange.url,
                redirects=task.redirects + 1,
            )
        elif exchange.body is not None:
            charset = exchange.headers.get_content_charset()
            for found in discover(exchange.url, exchange.mime, exchange.body, charset):
                self.frontier.add(found.url, requisite=found.requisite, found_on=exchange.url)

    # --- limits ----------------------------------------------------------------------------

    def _received(self, count: int) -> None:
        """Called for every chunk read from the network: the byte and time limits."""
        with self._count_lock:
            self.bytes += count
            over = self.settings.max_bytes is not None and self.bytes > self.settings.max_bytes
        if self.frontier.stopped == STOPPED:
            raise Aborted("the snapshot was stopped")
        if over:
            self._limit("max_bytes", self.settings.max_bytes, None)
            raise Aborted("the byte limit was reached during the response")
        if self._check_time():
            raise Aborted("the time limit was reached during the response")

    def _check_time(self) -> bool:
        limit = self.settings.max_seconds
        if limit is None or time.monotonic() - self._started < limit:
            return False
        self._limit("max_seconds", limit, None)
        return True

    def _limit(self, name: str, value: Any, skipped: int | None) -> None:
        if name != "max_pages" and not self.frontier.stop(name):
            return
        self._wake.set()
        with self._count_lock:
            unfetched = skipped if skipped is not None else self.frontier.queued
            self.limits.append({"limit": name, "value": value, "unfetched": unfetched})

    def _error(self, url: str, error: str) -> None:
        with self._count_lock:
            self.error_count += 1
            if len(self.errors) < LIST_LIMIT:
                self.errors.append({"url": url, "error": error})

    # --- reporting -------------------------------------------------------------------------

    def progress(self) -> CrawlProgress:
        with self._count_lock:
            return CrawlProgress(
                fetched=self.fetched,
                queued=self.frontier.queued,
                pages=self.pages,
                requisites=self.requisites,
                bytes=self.bytes,
                errors=self.error_count,
                refusals=self.frontier.refusal_count,
                elapsed=round(time.monotonic() - self._started, 3),
            )
