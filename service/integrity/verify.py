"""`offentlig verify`: the whole archive checked against itself, its log and its index.

One pass over the log's entries recomputes every leaf hash and the root at every kept
checkpoint (a compact range: O(log n) memory), compares them with the stored tiles and the
signed checkpoints; one streamed listing of the bucket reads every object the archive vouches
for with a pool of threads (order kept, so each directory's revision chain is checked as the
listing leaves it), recomputes the SHA-256 of its bytes and its own seal. The two passes run
side by side (the log's reads are one after another, the objects' in parallel), and the
hashes each found are compared when both are done; then the index's rows are compared with
what storage holds. Memory: the logged keys and hashes and the stored ones, nothing more.
Every discrepancy names the object and what is wrong with it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import Engine, select

from service.index import tables as t
from service.integrity import merkle
from service.integrity.leaves import vouched
from service.integrity.logged import kept_checkpoints, logged_entries, unsettled_keys
from service.integrity.note import Checkpoint, Verifier
from service.integrity.sequencer import LATEST
from service.integrity.tiles import WIDTH, Tiles
from service.records.canonical import digest
from service.storage.port import ObjectStore

NUMBERED = re.compile(r"^(.*/)(\d{10})\.json$")
CULLING_LOG = "authority/culling-log/"
AHEAD = 256  # objects read ahead of the one being checked (the memory verify holds)


@dataclass(frozen=True)
class Discrepancy:
    key: str
    problem: str


@dataclass
class Report:
    leaves: int = 0
    objects: int = 0
    checkpoints: int = 0
    not_yet_logged: int = 0
    tree_size: int = 0
    discrepancies: list[Discrepancy] = field(default_factory=list)

    def add(self, key: str, problem: str) -> None:
        self.discrepancies.append(Discrepancy(key, problem))


@dataclass
class _Read:
    """What the pass over the stored objects found."""

    seen: set[str] = field(default_factory=set)  # every key listed
    hashes: dict[str, str] = field(default_factory=dict)  # key → SHA-256 of its bytes
    seals: dict[str, str] = field(default_factory=dict)  # versions and events: their seal
    culled: set[str] = field(default_factory=set)  # record ids the culling log names


class ArchiveVerifier:
    def __init__(
        self,
        storage: ObjectStore,
        engine: Engine | None,
        verifier: Verifier,
        *,
        threads: int = 16,
        advance: Callable[[int], None] = lambda n: None,
    ):
        self.storage = storage
        self.engine = engine
        self.verifier = verifier
        self.threads = threads
        self.advance = advance
        self.tiles = Tiles(storage)

    def run(self, since: Checkpoint | None = None) -> Report:
        report = Report()
        kept = self._checkpoints(report, since)
        size = report.tree_size
        start = since.size if since else 0
        if since is not None:  # the objects logged since: the log first, to know which
            logged = self._log(report, kept, start, size, since)
            read = self._objects(report, only=set(logged))
        else:
            of_log = Report()
            with ThreadPoolExecutor(1) as side:
                logging = side.submit(self._log, of_log, kept, start, size, None)
                read = self._objects(report, only=None)
                logged = logging.result()
            report.leaves = of_log.leaves
            report.discrepancies[:0] = of_log.discrepancies  # the log's first, as found
        self._compare(report, logged, read, unsettled_keys(self.storage, size))
        if since is None:
            self._index(report, read.seals)
        return report

    # --- checkpoints and the tree ----------------------------------------------------------

    def _checkpoints(self, report: Report, since: Checkpoint | None) -> list[Checkpoint]:
        good: list[Checkpoint] = []
        kept = kept_checkpoints(self.storage, self.verifier)
        for found in kept:
            if found.checkpoint is None:
                report.add(found.key, f"checkpoint signature: {found.problem}")
            elif since is None or found.checkpoint.size >= since.size:
                good.append(found.checkpoint)
        report.checkpoints = len(kept)
        good.sort(key=lambda c: c.size)
        try:
            latest = self.storage.get(LATEST)
        except FileNotFoundError:
            latest = None
        if kept and latest != kept[-1].note and latest not in {k.note for k in kept}:
            report.add(LATEST, "is not one of the kept, signed checkpoints")
        report.tree_size = good[-1].size if good else (since.size if since else 0)
        return good

    def _log(
        self,
        report: Report,
        checkpoints: list[Checkpoint],
        start: int,
        size: int,
        since: Checkpoint | None,
    ) -> dict[str, str]:
        """Logged key → the SHA-256 its leaf states; every root checked against the tree."""
        logged: dict[str, str] = {}
        if since is not None:
            self._since(report, since, checkpoints)
        compact = merkle.CompactRange() if since is None else None
        by_size: dict[int, list[Checkpoint]] = {}
        for c in checkpoints:
            by_size.setdefault(c.size, []).append(c)
        tile_hashes: list[bytes] = []
        for index, data, sha, key in logged_entries(self.tiles, start, size):
            leaf = merkle.leaf_hash(data)
            if not sha:
                report.add(key, "a log entry that is not `<sha256>  <key>`")
            elif logged.setdefault(key, sha) != sha:
                report.add(key, f"logged twice with different hashes (leaf {index})")
            tile_hashes.append(leaf)
            if len(tile_hashes) == WIDTH or index == size - 1:
                self._tile(report, index, size, tile_hashes)
                tile_hashes = []
            if compact is not None:
                compact.append(leaf)
                for c in by_size.get(compact.size, []):
                    if compact.root() != c.root:
                        report.add(
                            f"log/checkpoints ({c.size} leaves)",
                            "root hash does not match the logged entries",
                        )
            report.leaves += 1
        if compact is not None and compact.size != size:
            report.add(
                "log/tile/entries", f"holds {compact.size} entries, the checkpoint says {size}"
            )
        for c in checkpoints:  # the tiles (what proofs are made from) lead to the signed roots
            try:
                root = self.tiles.root(c.size)
            except (FileNotFoundError, ValueError) as exc:
                report.add(f"log/tile ({c.size} leaves)", f"unreadable: {exc}")
                continue
            if root != c.root:
                report.add(
                    f"log/tile ({c.size} leaves)", "the tiles do not lead to the signed root"
                )
        return logged

    def _tile(self, report: Report, last: int, size: int, hashes: list[bytes]) -> None:
        tile = last // WIDTH
        try:
            stored = self.tiles.tile(0, tile, size)
        except (FileNotFoundError, ValueError) as exc:
            report.add(f"log/tile/0/{tile}", f"unreadable: {exc}")
            return
        first = tile * WIDTH
        if stored[last - first - len(hashes) + 1 : last - first + 1] != hashes:
            report.add(f"log/tile/0/{tile}", "leaf hashes do not match the entries")

    def _since(self, report: Report, since: Checkpoint, later: list[Checkpoint]) -> None:
        for c in later:
            try:
                proof = merkle.consistency_proof(since.size, c.size, self.tiles.subtree(c.size))
                merkle.verify_consistency(since.size, c.size, since.root, c.root, proof)
            except (merkle.ProofError, FileNotFoundError, ValueError) as exc:
                report.add(
                    f"log/checkpoints ({c.size} leaves)",
                    f"not consistent with the given checkpoint: {exc}",
                )

    # --- objects ---------------------------------------------------------------------------

    def _objects(self, report: Report, only: set[str] | None) -> _Read:
        """Read every vouched object: its SHA-256, its seal and its place in its chain."""
        read = _Read()
        chain = _Chain(report)
        keys = (
            k for root in ("authority/", "sites/") for k in self.storage.list(root) if vouched(k)
        )
        if only is not None:
            keys = (k for k in keys if k in only)
        with ThreadPoolExecutor(self.threads) as pool:
            for key, found in _read_in_order(pool, self.storage, keys):
                read.seen.add(key)
                report.objects += 1
                self.advance(1)
                if found is None:
                    report.add(key, "listed but unreadable")
                    continue
                read.hashes[key] = found.sha256
                if found.problem:
                    report.add(key, found.problem)
                document = found.document
                if document is None:
                    continue
                if "/versions/" in key or "/events/" in key:
                    read.seals[key] = str(document["sha256"])
                if key.startswith(CULLING_LOG) and document.get("record_id"):
                    read.culled.add(str(document["record_id"]))
                chain.add(key, document)
        chain.finish()
        return read

    def _compare(
        self, report: Report, logged: dict[str, str], read: _Read, unsettled: set[str]
    ) -> None:
        """Each stored object against its leaf, each leaf against storage."""
        for key, sha in read.hashes.items():
            if key in logged:
                if logged[key] != sha:
                    report.add(
                        key, f"its bytes hash to {sha[:16]}…, the log has {logged[key][:16]}…"
                    )
            elif key not in unsettled:
                report.add(key, "stored but not in the log (run `offentlig log sweep`)")
        culled_prefixes = tuple(_record_prefix(r) for r in read.culled)
        for key in logged:
            if key not in read.seen and not key.startswith(culled_prefixes or ("\0",)):
                report.add(key, "in the log but missing from storage")

    # --- the index -------------------------------------------------------------------------

    def _index(self, report: Report, seals: dict[str, str]) -> None:
        if self.engine is None:
            return
        indexed: set[str] = set()
        with self.engine.connect() as conn:
            for table in (t.record_versions, t.record_events):
                for key, sha in conn.execute(select(table.c.storage_key, table.c.sha256)):
                    indexed.add(key)
                    if key not in seals:
                        report.add(key, f"{table.name} has a row for an object storage lacks")
                    elif seals[key] != sha:
                        report.add(
                            key,
                            f"{table.name} has sha256 {sha[:16]}…, the object {seals[key][:16]}…",
                        )
        for key in seals.keys() - indexed:
            report.add(key, "stored but not in the index (run `offentlig reindex`)")


class _Chain:
    """Numbered revisions of one directory (a record's versions, a register entry): numbers
    from 1 without gaps, each naming its own number and its predecessor's hash."""

    def __init__(self, report: Report):
        self.report = report
        self.folder: str | None = None
        self.items: list[tuple[str, int, dict[str, Any]]] = []

    def add(self, key: str, document: dict[str, Any]) -> None:
        match = NUMBERED.match(key)
        if not match or "previous_sha256" not in document:
            return
        if match.group(1) != self.folder:
            self.finish()
            self.folder = match.group(1)
        self.items.append((key, int(match.group(2)), document))

    def finish(self) -> None:
        previous: dict[str, Any] | None = None
        for expected, (key, number, document) in enumerate(self.items, start=1):
            stated = document.get("version", document.get("revision"))
            if number != expected:
                self.report.add(key, f"number {number} follows {expected - 1}: a gap in the chain")
            if stated != number:
                self.report.add(key, f"holds number {stated}, stored as {number}")
            link = previous["sha256"] if previous else None
            if document.get("previous_sha256") != link:
                self.report.add(key, "previous_sha256 does not name the revision before it")
            previous = document
        self.items = []


@dataclass(frozen=True)
class _Examined:
    """One stored object, read and checked on its own (in the pool's threads)."""

    sha256: str  # of its exact bytes
    document: dict[str, Any] | None  # None: not a JSON object
    problem: str | None


def _examine(data: bytes) -> _Examined:
    sha = hashlib.sha256(data).hexdigest()
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _Examined(sha, None, "is not JSON")
    if not isinstance(document, dict):
        return _Examined(sha, None, None)
    if "sha256" in document and document["sha256"] != digest(document):
        return _Examined(sha, document, "its own sha256 does not match its content")
    return _Examined(sha, document, None)


def _read_in_order(
    pool: ThreadPoolExecutor, storage: ObjectStore, keys: Iterable[str]
) -> Iterator[tuple[str, _Examined | None]]:
    """(key, what it holds) in the keys' order, each object read and examined in the pool,
    `AHEAD` keys ahead of the one handed out: the pool never waits for a slow read to finish
    a chunk, and the one thread that takes them in order has little left to do."""

    def read(key: str) -> tuple[str, _Examined | None]:
        try:
            return key, _examine(storage.get(key))
        except (FileNotFoundError, OSError):
            return key, None

    iterator = iter(keys)
    reading = deque(pool.submit(read, key) for key in islice(iterator, AHEAD))
    while reading:
        done = reading.popleft().result()
        following = next(iterator, None)
        if following is not None:
            reading.append(pool.submit(read, following))
        yield done


def _record_prefix(record_id: str) -> str:
    from service.records import keys
    from service.records.model import parse_record_id

    return keys.record_prefix(*parse_record_id(record_id))
