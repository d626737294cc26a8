"""The tamper-evident log as the service uses it: built from the configuration, fed by the
storage wrapper, asked for checkpoints and proofs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from service import config as settings
from service.errors import Conflict, InvalidInput, NotFound
from service.integrity import merkle, object_lock
from service.integrity.leaves import LeafQueue, LoggedStore
from service.integrity.note import Checkpoint, Signer
from service.integrity.proofs import make_bundle
from service.integrity.sequencer import Checkpointer, Sequencer, Signed
from service.storage.port import ObjectStore


def log_signer(config: dict[str, Any]) -> Signer:
    """`LOG_SIGNING_KEY`, or a key generated once into the data directory."""
    configured = config.get("LOG_SIGNING_KEY")
    if configured:
        return Signer.parse(str(configured))
    origin = str(config["LOG_ORIGIN"])
    text = settings.key_file(
        Path(config["DATA_DIR"]) / "log-signing.key", lambda: str(Signer.generate(origin)).encode()
    )
    return Signer.parse(text.decode())


class IntegrityLog:
    def __init__(self, storage: ObjectStore, sequencer: Sequencer, queue: LeafQueue):
        self.storage = storage
        self.sequencer = sequencer
        self.queue = queue
        self.tiles = sequencer.tiles
        self.checkpointer: Checkpointer | None = None

    @property
    def public_key(self) -> str:
        return str(self.sequencer.signer.verifier)

    def checkpoint(self) -> Signed:
        """Everything this process stored, sequenced and signed now."""
        self.queue.flush()
        signed = self.sequencer.run(sign_unchanged=True)
        assert signed is not None
        return signed

    def latest(self) -> tuple[Checkpoint, str]:
        found = self.sequencer.latest()
        if found is None:
            raise NotFound("The log has no checkpoint yet.")
        return found

    def proof(self, key: str, at: tuple[Checkpoint, str] | None = None) -> dict[str, Any]:
        """The object's proof bundle under the latest checkpoint, or under `at` (one of the
        log's checkpoints, as `latest()` gave it): an export's proofs all lead to one."""
        checkpoint, note = at or self.latest()
        self.sequencer.positions.catch_up(checkpoint.size)
        found = self.sequencer.positions.find(key)
        if found is None or found[0] >= checkpoint.size:
            raise Conflict(
                "This object is not in a signed checkpoint yet; ask again after the next one."
            )
        index, sha = found
        path = merkle.inclusion_proof(index, checkpoint.size, self.tiles.subtree(checkpoint.size))
        return make_bundle(key, sha, index, path, note, checkpoint)

    def consistency(self, old: int, new: int) -> list[bytes]:
        latest = self.latest()[0].size
        if not 0 <= new <= latest:
            raise InvalidInput(errors={"to": [f"Must be between 0 and the log's size {latest}."]})
        if not 0 <= old <= new:
            raise InvalidInput(errors={"from": [f"Must be between 0 and `to` ({new})."]})
        return merkle.consistency_proof(old, new, self.tiles.subtree(new))

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.queue.flush_quietly()


def build(
    config: dict[str, Any],
    storage: ObjectStore,
    engine: Engine,
    clock: Callable[[], datetime],
    new_id: Callable[[], str],
) -> tuple[ObjectStore, IntegrityLog | None]:
    """The storage every writer should use (logging and locking what it creates), and the log."""
    locking = None
    if config.get("OBJECT_LOCK_DEFAULT_RETENTION"):
        locking = object_lock.RetentionOnStore(
            storage, clock, str(config["OBJECT_LOCK_DEFAULT_RETENTION"])
        )
    if not config.get("LOG_ENABLED", True):
        return (LoggedStore(storage, None, locking) if locking else storage), None
    timestamp = None
    if config.get("LOG_TSA_URL"):
        from service.integrity.timestamps import TimestampAuthority

        timestamp = TimestampAuthority(str(config["LOG_TSA_URL"])).stamp
    sequencer = Sequencer(storage, engine, log_signer(config), clock, timestamp)
    queue = LeafQueue(storage, new_id, float(config["LOG_FLUSH_SECONDS"]))
    integrity = IntegrityLog(storage, sequencer, queue)
    return LoggedStore(storage, queue.add, locking), integrity


def start_checkpointer(integrity: IntegrityLog, seconds: float) -> None:
    """Sign checkpoints every `seconds` from this process (the web app and the worker)."""
    if seconds > 0 and integrity.checkpointer is None:
        integrity.checkpointer = Checkpointer(integrity.sequencer, integrity.queue.flush, seconds)
        integrity.checkpointer.start()
