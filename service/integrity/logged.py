"""Reading the whole log back: every entry in order, what is pending, every checkpoint kept.
Shared by `verify` and the sweep."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from service.integrity.leaves import PENDING, parse_entry, read_pending
from service.integrity.note import Checkpoint, NoteError, Verifier, open_checkpoint
from service.integrity.sequencer import CHECKPOINTS, sequence_key
from service.integrity.tiles import Tiles
from service.storage.port import ObjectStore


@dataclass(frozen=True)
class KeptCheckpoint:
    key: str
    note: bytes
    checkpoint: Checkpoint | None  # None: its signature does not verify
    problem: str | None = None


def kept_checkpoints(storage: ObjectStore, verifier: Verifier) -> list[KeptCheckpoint]:
    """Every checkpoint under `log/checkpoints/`, oldest first, each opened with `verifier`."""
    kept = []
    for key in storage.list(CHECKPOINTS):
        if key.endswith(".tsr"):
            continue
        note = storage.get(key)
        try:
            kept.append(KeptCheckpoint(key, note, open_checkpoint(note, verifier)))
        except NoteError as exc:
            kept.append(KeptCheckpoint(key, note, None, str(exc)))
    return kept


def unsettled_keys(storage: ObjectStore, size: int) -> set[str]:
    """Keys waiting in pending batches or in segments beyond the tree of `size`."""
    keys: set[str] = set()
    for name in storage.list(PENDING):
        try:
            keys.update(key for _, key in read_pending(storage.get(name)))
        except (FileNotFoundError, ValueError):
            continue
    at = size
    for _ in range(1_000_000):
        try:
            segment = json.loads(storage.get(sequence_key(at)))
        except FileNotFoundError:
            break
        keys.update(key for _, key in segment["leaves"])
        at += len(segment["leaves"])
    return keys


def logged_entries(tiles: Tiles, start: int, size: int) -> Iterator[tuple[int, bytes, str, str]]:
    """(leaf index, entry, sha256 hex, key) for leaves [start, size); a malformed entry has
    an empty hash and a key that says so."""
    for index, data in tiles.iter_entries(start, size):
        try:
            sha, key = parse_entry(data)
        except ValueError:
            sha, key = "", f"<leaf {index}: not a log entry>"
        yield index, data, sha, key
