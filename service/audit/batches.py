"""Buffering audit entries in memory and handing them over in batches.

A read or a capture costs an append to a list; the entries are written when the oldest has
waited `flush_seconds` (a daemon timer armed by the first entry), when `size` are waiting,
or on demand (decisions, shutdown). A batch that cannot be written goes back to the front of
the buffer and is tried again a timer later: nothing is dropped. The buffer is bounded for
entries that may be refused (reads, captures): once `limit` are waiting, `add` raises
`StorageUnavailable`, and the request fails with a 503 rather than go unaudited.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from service import metrics
from service.errors import OffentligError, StorageUnavailable

log = logging.getLogger("offentlig.audit")

Entry = dict[str, Any]
BATCH_SIZE = 1000
# About 50 MB of entries: storage has been unreachable for a long time by then.
BUFFER_LIMIT = 100_000


class Batcher:
    def __init__(
        self,
        write: Callable[[list[Entry]], None],
        flush_seconds: float,
        *,
        size: int = BATCH_SIZE,
        limit: int = BUFFER_LIMIT,
    ):
        self._write = write
        self.flush_seconds = flush_seconds
        self.size = size
        self.limit = limit
        self._entries: list[Entry] = []
        self._lock = threading.Lock()  # guards the list and the timer
        self._flushing = threading.Lock()  # one writer at a time, batches in order
        self._timer: threading.Timer | None = None
        self._timer_delay = 0.0
        self._generation = 0  # a timer that fires after it was replaced does nothing
        self._failing = False  # storage refused the last batch: wait for the timer

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def add(self, entry: Entry, *, bounded: bool = True) -> None:
        with self._lock:
            if bounded and len(self._entries) >= self.limit:
                metrics.AUDIT_REFUSED.inc()
                log.error(
                    "audit buffer full (%d entries): refusing %s", self.limit, entry["action"]
                )
                raise StorageUnavailable("The audit trail cannot be written; retry later.")
            self._entries.append(entry)
            full = len(self._entries) >= self.size and not self._failing
            self._arm(0 if full else self.flush_seconds)

    def flush(self) -> bool:
        """Write every waiting entry, `size` to a batch; False if storage refused some (they
        wait for the next flush)."""
        with self._flushing:
            with self._lock:
                entries, self._entries = self._entries, []
                self._disarm()
            written = 0
            try:
                while written < len(entries):
                    batch = entries[written : written + self.size]
                    self._write(batch)
                    written += len(batch)
            except (OffentligError, OSError) as exc:
                with self._lock:
                    self._entries[:0] = entries[written:]
                    self._failing = True
                    self._arm(self.flush_seconds)
                    waiting = len(self._entries)
                metrics.AUDIT_FLUSH_FAILURES.inc()
                log.error("audit batch not written, %d entries kept for later: %s", waiting, exc)
                return False
            with self._lock:
                self._failing = False
            return True

    def drain(self) -> list[Entry]:
        """Take every waiting entry out of the buffer (for a process that is going)."""
        with self._lock:
            entries, self._entries = self._entries, []
            return entries

    def stop(self) -> None:
        with self._lock:
            self._disarm()

    # --- the timer (call with the lock held) -----------------------------------------------

    def _arm(self, delay: float) -> None:
        if self._timer is not None and self._timer_delay <= delay:
            return  # one is due as soon or sooner
        self._disarm()
        self._generation += 1
        self._timer = threading.Timer(delay, self._fire, args=(self._generation,))
        self._timer.daemon = True
        self._timer_delay = delay
        self._timer.start()

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self._timer = None
        self.flush()
