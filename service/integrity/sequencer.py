"""The sequencer: pending leaves into the tree, in one order, never forked; then a signed
checkpoint.

Every process queues the leaves of what it stored and writes them as pending batches
(leaves.py). One sequencer at a time (a lease in the database, renewed while it works) takes
every pending batch, in name order, and commits their entries as the next segment of the log
with `put_new` on `log/sequence/<first leaf index>.json`. That key is the commit point:
storage lets exactly one writer create it, so two sequencers — a lease lost to a pause, two
instances with clocks apart — can never give one position two different entries, and the
loser stops. Only after the commit are the tiles and entry bundles written (a pure function
of the segments: a sequencer that died half-way is completed by the next, byte for byte),
then the pending batches are deleted and a checkpoint is signed over the new tree size.

A batch taken into a segment but not yet deleted when its sequencer died is named in that
segment and deleted by the next; a leaf can appear twice only if two sequencers read one
batch at once despite the lease (both entries are true statements; `verify` accepts them).

    log/pending/<ulid>.json                   a process's leaves, waiting
    log/sequence/<12-digit index>.json        the log's segments in order (the commit points)
    log/tile/…, log/tile/entries/…            C2SP tiles (tiles.py)
    log/checkpoints/<12-digit size>-<time>    every signed checkpoint (`.tsr`: its RFC 3161 token)
    log/checkpoint                            the latest one, where C2SP clients look
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, or_, update

from service.errors import Conflict, IntegrityError
from service.index import tables as t
from service.index.db import unavailable_on_db_error, writing
from service.integrity.leaves import PENDING, entry, read_pending
from service.integrity.note import Checkpoint, NoteError, Signer, open_checkpoint
from service.integrity.positions import LeafPositions
from service.integrity.tiles import Tiles
from service.storage.port import ObjectStore

log = logging.getLogger("offentlig.integrity")

SEQUENCE = "log/sequence/"
CHECKPOINTS = "log/checkpoints/"
LATEST = "log/checkpoint"
SEGMENT_SCHEMA = "offentlig.log-segment/1"
NOTE = "text/plain; charset=utf-8"
LEASE_SECONDS = 120
MAX_BATCHES = 2000  # per segment: a backlog is taken in several rounds


def sequence_key(start: int) -> str:
    return f"{SEQUENCE}{start:012d}.json"


def checkpoint_key(size: int, moment: datetime) -> str:
    return f"{CHECKPOINTS}{size:012d}-{moment.strftime('%Y%m%dT%H%M%S%fZ')}"


@dataclass(frozen=True)
class Signed:
    checkpoint: Checkpoint
    note: str
    key: str  # where it is kept
    added: int  # leaves added since the previous checkpoint


class Sequencer:
    def __init__(
        self,
        storage: ObjectStore,
        engine: Engine,
        signer: Signer,
        clock: Callable[[], datetime],
        timestamp: Callable[[bytes], bytes] | None = None,
    ):
        self.storage = storage
        self.engine = engine
        self.signer = signer
        self.clock = clock
        self.timestamp = timestamp  # RFC 3161: the checkpoint note → a token
        self.tiles = Tiles(storage)
        self.positions = LeafPositions(engine, self.tiles)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._local = threading.Lock()

    # --- reading -----------------------------------------------------------------------------

    def latest(self) -> tuple[Checkpoint, str] | None:
        """The latest signed checkpoint and its note, checked against our key."""
        try:
            note = self.storage.get(LATEST).decode()
        except FileNotFoundError:
            return None
        try:
            return open_checkpoint(note, self.signer.verifier), note
        except NoteError as exc:
            raise IntegrityError(f"{LATEST}: {exc}; run `offentlig verify`") from None

    def size(self) -> int:
        found = self.latest()
        return found[0].size if found else 0

    # --- sequencing --------------------------------------------------------------------------

    def run(self, *, sign_unchanged: bool = False) -> Signed | None:
        """Take every pending batch into the tree and sign a checkpoint if it grew (or if
        `sign_unchanged`). Raises `Conflict` while another sequencer holds the lease."""
        with self._local:
            if not self._lease():
                raise Conflict("Another sequencer is at work; try again in a moment.")
            try:
                return self._run(sign_unchanged)
            finally:
                self._release()

    def _run(self, sign_unchanged: bool) -> Signed | None:
        latest = self.latest()
        signed_size = latest[0].size if latest else 0
        size = self._finish_segments(signed_size)
        batches = sorted(self.storage.list(PENDING))[:MAX_BATCHES]
        entries: list[list[str]] = []
        for name in batches:
            try:
                entries.extend([sha, key] for sha, key in read_pending(self.storage.get(name)))
            except FileNotFoundError:
                continue  # deleted by a sequencer that finished it meanwhile
            except ValueError:
                log.error("%s is not a pending-leaves batch; left alone", name)
                batches.remove(name)
        if entries:
            segment = {
                "schema": SEGMENT_SCHEMA,
                "start": size,
                "pending": batches,
                "leaves": entries,
            }
            try:
                self.storage.put_new(sequence_key(size), json.dumps(segment).encode())
            except FileExistsError:
                raise Conflict("Another sequencer extended the log meanwhile.") from None
            size = self._integrate(size, segment)
        if size == signed_size and not sign_unchanged:
            self.positions.catch_up(size)
            return None
        signed = self._sign(size, size - signed_size)
        self.positions.catch_up(size)
        return signed

    def _finish_segments(self, size: int) -> int:
        """Complete segments committed after the latest checkpoint (a sequencer died)."""
        for _ in range(1_000_000):
            try:
                segment = json.loads(self.storage.get(sequence_key(size)))
            except FileNotFoundError:
                return size
            size = self._integrate(size, segment)
        raise RuntimeError("the log's segments do not end")  # pragma: no cover

    def _integrate(self, size: int, segment: dict[str, object]) -> int:
        leaves = segment["leaves"]
        assert isinstance(leaves, list)
        new_size = self.tiles.extend(size, [entry(sha, key) for sha, key in leaves])
        pending = segment.get("pending") or []
        assert isinstance(pending, list)
        for name in pending:
            self.storage.delete(str(name))
        return new_size

    def _sign(self, size: int, added: int) -> Signed:
        moment = self.clock()
        checkpoint = Checkpoint(self.signer.name, size, self.tiles.root(size), moment)
        note = self.signer.sign(checkpoint.text())
        key = checkpoint_key(size, moment)
        self.storage.put_new(key, note.encode(), content_type=NOTE)
        if self.timestamp is not None:
            try:
                token = self.timestamp(note.encode())
                self.storage.put_new(
                    f"{key}.tsr", token, content_type="application/timestamp-reply"
                )
            except Exception:  # noqa: BLE001 - the checkpoint stands without its timestamp
                log.exception("timestamping checkpoint %s failed", key)
        self.storage.put(LATEST, note.encode(), content_type=NOTE)
        log.info("log checkpoint %d (+%d)", size, added)
        return Signed(checkpoint, note, key, added)

    # --- the lease ---------------------------------------------------------------------------

    @unavailable_on_db_error
    def _lease(self) -> bool:
        now = self.clock()
        lease = t.log_sequencer
        with writing(self.engine) as conn:
            taken = conn.execute(
                update(lease)
                .where(lease.c.name == "log")
                .where(
                    or_(
                        lease.c.expires_at < now,
                        lease.c.holder == self.holder,
                        lease.c.holder.is_(None),
                    )
                )
                .values(holder=self.holder, expires_at=now + timedelta(seconds=LEASE_SECONDS))
            ).rowcount
            if taken:
                return True
            exists = conn.execute(lease.select().where(lease.c.name == "log")).first()
            if exists is None:
                conn.execute(
                    insert(lease).values(
                        name="log",
                        holder=self.holder,
                        expires_at=now + timedelta(seconds=LEASE_SECONDS),
                    )
                )
                return True
        return False

    @unavailable_on_db_error
    def _release(self) -> None:
        lease = t.log_sequencer
        with writing(self.engine) as conn:
            conn.execute(
                update(lease)
                .where(lease.c.name == "log", lease.c.holder == self.holder)
                .values(holder=None, expires_at=None)
            )


class Checkpointer:
    """A daemon thread that runs the sequencer every `seconds` (`LOG_CHECKPOINT_SECONDS`);
    in every process — the lease lets one of them work at a time."""

    def __init__(self, sequencer: Sequencer, before: Callable[[], object], seconds: float):
        self.sequencer = sequencer
        self.before = before  # this process's own queue first
        self.seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="log-checkpointer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                self.before()
                self.sequencer.run()
            except Conflict:
                continue
            except Exception:  # noqa: BLE001 - a background loop: log and try next time
                log.exception("log checkpoint failed")
