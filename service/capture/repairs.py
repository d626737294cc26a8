"""Objects storage took but the index was never told of, told again once the database answers.

When an index write fails after storage took the object (the database is down, or the pool
is exhausted), the delivery still succeeds: storage is the archive. The key is noted here,
in memory and as a marker in storage (`authority/index-repairs/{quoted key}.json`), so that
a process that dies before the database returns does not take the note with it: any process
finds the markers on its next sweep. `replay` tells the index again, oldest first per record
(versions, then events, then register revisions), stops at the first failure and forgets
what it told. Telling the index twice changes nothing, so two processes may replay at once.

A database that crashed may also have lost what it had just acknowledged (capture commits
without waiting for the WAL flush): so when the connection is lost, the last objects this
process told the index are noted too, and a noted version brings every earlier version of
its record along — the index never shows version 3 without version 2.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

import sqlalchemy.exc
from sqlalchemy import Engine, event

from service import metrics
from service.capture.ports import CaptureIndex
from service.errors import Unavailable
from service.records.canonical import verify
from service.storage.port import ObjectStore

log = logging.getLogger(__name__)

MARKERS = "authority/index-repairs/"
MEMORY_LIMIT = 10_000  # notes kept in memory; beyond, the markers in storage remember
RECENT = 2_000  # objects last told to the index, noted again if the database is lost
REPLAY_LIMIT = 2_000  # objects told per replay, so one replay is bounded
SWEEP_SECONDS = 60.0  # how often a process looks for markers left by others


def marker_key(key: str) -> str:
    return f"{MARKERS}{quote(key, safe='')}.json"


def key_of_marker(marker: str) -> str:
    return unquote(marker[len(MARKERS) :].removesuffix(".json"))


def _order(key: str) -> tuple[int, str]:
    """Versions first (a record's row comes from them), then events, then register entries."""
    parts = key.split("/")
    kind = parts[4] if len(parts) == 6 and parts[0] == "sites" else ""
    return ({"versions": 0, "events": 1}.get(kind, 2), key)


class IndexRepairs:
    def __init__(
        self,
        storage: ObjectStore,
        index: CaptureIndex,
        engine: Engine,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.storage = storage
        self.index = index
        self.engine = engine
        self.monotonic = monotonic
        self._noted: OrderedDict[str, None] = OrderedDict()
        self._noted_lock = threading.Lock()
        self._replaying = threading.Lock()
        self._next_sweep = 0.0  # sweep at the first replay: a dead process may have left notes
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._recent: deque[str] = deque(maxlen=RECENT)
        event.listen(engine, "handle_error", self._on_database_error)

    def told(self, key: str) -> None:
        """The index took `key` (it may still lose it in a crash, see above)."""
        self._recent.append(key)

    def _on_database_error(self, context: Any) -> None:
        if context.is_disconnect or isinstance(
            context.sqlalchemy_exception,
            (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError),
        ):
            recent = list(self._recent)
            self._recent.clear()
            with self._noted_lock:
                for key in recent:
                    self._noted[key] = None

    def note(self, key: str) -> None:
        """`key` is stored and not (yet) in the index."""
        with self._noted_lock:
            self._noted[key] = None
            if len(self._noted) > MEMORY_LIMIT:
                self._noted.popitem(last=False)
        try:
            self.storage.put(marker_key(key), json.dumps({"key": key}).encode())
        except (Unavailable, OSError):
            log.exception("index repair of %s noted in memory only", key)

    def pending(self) -> int:
        """Notes this process holds (markers left by others are found by `replay`)."""
        return len(self._noted)

    def replay(self, *, sweep: bool = False, limit: int = REPLAY_LIMIT) -> int:
        """Tell the index of what was noted; how many objects it was told of. Does nothing
        while another thread of this process replays, or while there is nothing to do."""
        if not self._replaying.acquire(blocking=False):
            return 0
        try:
            keys = set(self._noted)
            if sweep or self.monotonic() >= self._next_sweep:
                keys |= {key_of_marker(m) for m in self.storage.list(MARKERS)}
                self._next_sweep = self.monotonic() + SWEEP_SECONDS
            batch = set(sorted(keys, key=_order)[:limit])
            batch |= self._earlier_versions(batch)
            told = 0
            for key in sorted(batch, key=_order):
                self._tell(key)
                told += 1
            return told
        except Unavailable as exc:
            log.info("index repair paused: %s", exc.message)
            return 0
        finally:
            self._replaying.release()

    def _earlier_versions(self, keys: set[str]) -> set[str]:
        """Every stored version of a noted version's record up to it."""
        newest: dict[str, str] = {}
        for key in keys:
            parts = key.split("/")
            if len(parts) == 6 and parts[4] == "versions":
                prefix = key.rsplit("/", 1)[0] + "/"
                newest[prefix] = max(newest.get(prefix, key), key)
        return {
            earlier
            for prefix, last in newest.items()
            for earlier in self.storage.list(prefix)
            if earlier < last
        }

    def _tell(self, key: str) -> None:
        try:
            document = verify(self.storage.get(key))
        except FileNotFoundError:
            document = None  # culled since: nothing to tell
        except (ValueError, json.JSONDecodeError):
            log.error("index repair: %s does not match its sha256; `reindex` names it", key)
            document = None
        if document is not None:
            self._project(key, document)
            metrics.INDEX_REPAIRS.inc()
        self._forget(key)

    def _project(self, key: str, document: dict[str, Any]) -> None:
        parts = key.split("/")
        if len(parts) == 6 and parts[4] == "versions":
            self.index.add_version(document, key)
        elif len(parts) == 6 and parts[4] == "events":
            self.index.add_event(document, key)
        else:
            from service.registers.catalog import FAMILIES
            from service.registers.register import project

            family = next((f for f in FAMILIES if f.entry_of(key) is not None), None)
            if family is None:
                log.error("index repair: no register family stores %s", key)
                return
            project(self.engine, family, document)

    def _forget(self, key: str) -> None:
        with self._noted_lock:
            self._noted.pop(key, None)
        try:
            self.storage.delete(marker_key(key))
        except (Unavailable, OSError):
            log.warning("index repair of %s done; its marker stays until the next sweep", key)

    def start(self, interval: float) -> None:
        """Replay every `interval` seconds in a daemon thread, so the index catches up when
        the database returns even if no delivery comes. Once per process."""
        if interval <= 0 or self._thread is not None:
            return

        def run() -> None:
            while not self._stopped.wait(interval):  # each replay is bounded
                try:
                    self.replay()
                except Exception:
                    log.exception("index repair failed")

        self._thread = threading.Thread(target=run, name="index-repairs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
