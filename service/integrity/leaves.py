"""What goes into the log, and how a stored object gets there without slowing capture.

A log entry names one stored object and the SHA-256 of its exact bytes, as a line of
`sha256sum` output: `<64 hex digits>␠␠<object key>\\n`. Its Merkle leaf hash is
SHA-256(0x00 ‖ that line), so checking a downloaded version starts with `sha256sum`.

`LoggedStore` wraps the storage port: after every successful `put_new` of an object the
archive vouches for, it hands (key, hash) to a per-process `LeafQueue` — a list append, no
I/O. The queue writes what it holds as one `log/pending/<ulid>.json` object (`put_new`) a
second after its first leaf (`LOG_FLUSH_SECONDS`), at exit, or on demand; the sequencer
(service/integrity/sequencer.py) takes pending batches into the tree. Leaves a process held
when it died are found again by `sweep` (storage listing against the log).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, BinaryIO

from service.storage.port import JSON, Capabilities, ObjectInfo, ObjectStore

log = logging.getLogger("offentlig.integrity")

PENDING = "log/pending/"
PENDING_SCHEMA = "offentlig.log-pending/1"
_ENTRY = re.compile(r"^([0-9a-f]{64})  (\S+)\n$")
# Objects that are archive content: records, registers, snapshot manifests, audit batches.
# Bulky or derived objects are covered by the documents that name their hashes: a WARC and its
# CDXJ by the snapshot manifest, personal data by the version that references it. Index-repair
# markers are the index's own notes, removed once replayed: not archive content. An export's
# ZIP is covered by the export's document, which names its hash.
_VOUCHED_ROOTS = ("sites/", "authority/")
_NOT_VOUCHED = re.compile(
    r"^sites/[^/]+/personal/|^authority/index-repairs/|\.warc\.gz$|\.cdxj$"
    r"|^authority/exports/[^/]+/[^/]+\.zip$"
)


def vouched(key: str) -> bool:
    return key.startswith(_VOUCHED_ROOTS) and not _NOT_VOUCHED.search(key)


def entry(sha256_hex: str, key: str) -> bytes:
    return f"{sha256_hex}  {key}\n".encode()


def parse_entry(data: bytes) -> tuple[str, str]:
    """(sha256 hex, object key) of a log entry; `ValueError` if it is not one."""
    match = _ENTRY.match(data.decode("utf-8", "replace"))
    if not match:
        raise ValueError(f"not a log entry: {data[:120]!r}")
    return match.group(1), match.group(2)


class LeafQueue:
    """Leaves waiting in this process, written as one pending batch at a time."""

    def __init__(
        self,
        storage: ObjectStore,
        new_id: Callable[[], str],
        flush_seconds: float,
    ):
        self.storage = storage
        self.new_id = new_id
        self.flush_seconds = flush_seconds
        self._leaves: list[list[str]] = []
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._timer: threading.Timer | None = None
        atexit.register(self.flush_quietly)

    def __len__(self) -> int:
        with self._lock:
            return len(self._leaves)

    def add(self, key: str, sha256_hex: str) -> None:
        with self._lock:
            self._leaves.append([sha256_hex, key])
            if self._timer is None and self.flush_seconds > 0:
                self._timer = threading.Timer(self.flush_seconds, self.flush_quietly)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> int:
        """Write what is waiting as one pending batch; return how many leaves went."""
        with self._flushing:
            with self._lock:
                leaves, self._leaves = self._leaves, []
                if self._timer is not None:
                    self._timer.cancel()
                    self._timer = None
            if not leaves:
                return 0
            body = {"schema": PENDING_SCHEMA, "leaves": leaves}
            try:
                self.storage.put_new(f"{PENDING}{self.new_id()}.json", json.dumps(body).encode())
            except Exception:
                with self._lock:  # back to the front, tried again with the next leaf or flush
                    self._leaves[:0] = leaves
                raise
            return len(leaves)

    def flush_quietly(self) -> None:
        try:
            self.flush()
        except Exception:  # noqa: BLE001 - a timer or exit hook: log, the sweep finds them
            log.exception("writing %d pending log leaves failed", len(self))


def read_pending(data: bytes) -> list[tuple[str, str]]:
    body = json.loads(data)
    if body.get("schema") != PENDING_SCHEMA:
        raise ValueError("not a pending-leaves batch")
    return [(str(sha), str(key)) for sha, key in body["leaves"]]


class LoggedStore:
    """The storage port, telling `on_stored(key, sha256 hex)` of each vouched-for object it
    created (and `after_new(key, data)` of every one). Every writer — capture, registers,
    snapshots, audit, culling — is covered without a line of its own; nothing else changes."""

    def __init__(
        self,
        inner: ObjectStore,
        on_stored: Callable[[str, str], None] | None,
        after_new: Callable[[str, bytes], None] | None = None,
    ):
        self.inner = inner
        self.on_stored = on_stored
        self.after_new = after_new

    def __getattr__(self, name: str) -> Any:  # adapter extras: create_bucket, bucket, …
        return getattr(self.inner, name)

    def put_new(self, key: str, data: bytes, content_type: str = JSON) -> None:
        self.inner.put_new(key, data, content_type)
        if self.on_stored is not None and vouched(key):
            self.on_stored(key, hashlib.sha256(data).hexdigest())
        if self.after_new is not None:
            self.after_new(key, data)

    def put(self, key: str, data: bytes, content_type: str = JSON) -> None:
        self.inner.put(key, data, content_type)

    def put_stream(
        self, key: str, stream: BinaryIO, *, content_type: str, size: int | None = None
    ) -> int:
        return self.inner.put_stream(key, stream, content_type=content_type, size=size)

    def get(self, key: str) -> bytes:
        return self.inner.get(key)

    def open(self, key: str) -> BinaryIO:
        return self.inner.open(key)

    def stat(self, key: str) -> ObjectInfo:
        return self.inner.stat(key)

    def list(self, prefix: str) -> Any:
        return self.inner.list(prefix)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def erase(self, key: str, *, bypass_governance: bool = False) -> int:
        return self.inner.erase(key, bypass_governance=bypass_governance)

    def erase_prefix(self, prefix: str, *, bypass_governance: bool = False) -> int:
        return self.inner.erase_prefix(prefix, bypass_governance=bypass_governance)

    def set_legal_hold(self, key: str, on: bool) -> None:
        self.inner.set_legal_hold(key, on)

    def legal_hold(self, key: str) -> bool:
        return self.inner.legal_hold(key)

    def set_retention(
        self,
        key: str,
        until: datetime,
        *,
        mode: str = "GOVERNANCE",
        bypass_governance: bool = False,
    ) -> None:
        self.inner.set_retention(key, until, mode=mode, bypass_governance=bypass_governance)

    def retention(self, key: str) -> datetime | None:
        return self.inner.retention(key)

    def capabilities(self) -> Capabilities:
        return self.inner.capabilities()

    def check(self) -> None:
        self.inner.check()

    def describe(self) -> str:
        return self.inner.describe()
