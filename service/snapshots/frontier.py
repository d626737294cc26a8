"""The URLs still to fetch: each normalised URL once, requisites before pages, and the
bookkeeping that tells the workers when the crawl is over."""

from __future__ import annotations

import heapq
import itertools
import threading
from dataclasses import dataclass, field

from service.snapshots.policy import SitePolicy
from service.snapshots.urls import normalise

LIST_LIMIT = 10_000  # refusals kept by URL in the manifest; the count covers them all


@dataclass(order=True)
class Task:
    priority: int  # 0 requisite, 1 page: a page fetched keeps its look when a limit hits
    sequence: int  # breadth first within a priority
    url: str = field(compare=False)
    requisite: bool = field(compare=False)
    redirects: int = field(compare=False, default=0)


class Frontier:
    def __init__(self, policy: SitePolicy, max_pages: int | None, max_redirects: int):
        self.policy = policy
        self.max_pages = max_pages
        self.max_redirects = max_redirects
        self._lock = threading.Condition()
        self._heap: list[Task] = []
        self._seen: set[str] = set()
        # Spellings already added: most links repeat on every page (menus, categories,
        # feeds), and a repeat costs a set lookup instead of a normalisation.
        self._spellings: set[str] = set()
        self._sequence = itertools.count()
        self._active = 0
        self.stopped: str | None = None
        self.pages_taken = 0
        self.pages_skipped = 0
        self.refusals: list[dict[str, str]] = []
        self.refusal_count = 0

    def add(self, url: str, *, requisite: bool, found_on: str | None, redirects: int = 0) -> None:
        if not redirects and url in self._spellings:
            return
        try:
            key = normalise(url)
        except ValueError:
            return  # not http(s) (ftp:, a malformed port, …): nothing a crawler could fetch
        reason = self.policy.refusal(key)
        if reason and redirects:
            reason = f"redirect to {reason}"  # recorded for every redirect, seen or not
        with self._lock:
            if not redirects:
                self._spellings.add(url)
            if key in self._seen and not (reason and redirects):
                return
            self._seen.add(key)
            if not reason and redirects > self.max_redirects:
                reason = f"more than {self.max_redirects} redirects"
            if reason:
                self._refuse(key, reason, found_on)
                return
            task = Task(0 if requisite else 1, next(self._sequence), key, requisite, redirects)
            heapq.heappush(self._heap, task)
            self._lock.notify()

    def refuse(self, url: str, reason: str, found_on: str | None) -> None:
        with self._lock:
            self._refuse(url, reason, found_on)

    def _refuse(self, url: str, reason: str, found_on: str | None) -> None:
        self.refusal_count += 1
        if len(self.refusals) < LIST_LIMIT:
            self.refusals.append({"url": url, "reason": reason, "found_on": found_on or ""})

    def take(self) -> Task | None:
        """The next URL, waiting while other workers may still find some; None at the end."""
        with self._lock:
            while True:
                if self.stopped:
                    return None
                if self._heap:
                    task = heapq.heappop(self._heap)
                    if not task.requisite:
                        if self.max_pages is not None and self.pages_taken >= self.max_pages:
                            self.pages_skipped += 1
                            continue
                        self.pages_taken += 1
                    self._active += 1
                    return task
                if not self._active:
                    self._lock.notify_all()
                    return None
                self._lock.wait()

    def done(self) -> None:
        with self._lock:
            self._active -= 1
            if not self._active and not self._heap:
                self._lock.notify_all()

    def stop(self, limit: str) -> bool:
        """End the crawl; True for the call that stopped it."""
        with self._lock:
            if self.stopped:
                return False
            self.stopped = limit
            self._lock.notify_all()
            return True

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self._heap)
