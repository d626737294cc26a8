"""The capture rules: which deliveries become versions, which become events, which nothing.

Storage is written first and decides every race (`put_new`); the index is told afterwards.
When the database is down, storage answers what the index would have (`storage_recall`) and
what the index could not be told waits in `repairs` until it answers again. A record's
versions are told to the index in order: after one failed, the later ones wait behind it, so
the index never shows version 3 without version 2.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from service import metrics
from service.capture import storage_recall
from service.capture.ports import CaptureIndex, Head, Outcome, Site
from service.capture.provenance import Provenance
from service.capture.repairs import IndexRepairs
from service.capture.snapshot import PersonalData, Snapshot, iso
from service.capture.storage_recall import head_of, occurred
from service.errors import IndexUnavailable, NotProjected, Unavailable
from service.records import keys
from service.records.canonical import canonical, seal, sha256_hex, verify

log = logging.getLogger(__name__)

VERSION_SCHEMA = "offentlig.record-version/1"
EVENT_SCHEMA = "offentlig.record-event/1"
PERSONAL_SCHEMA = "offentlig.personal-data/1"
MAX_RACE_ATTEMPTS = 20
REPLAY_IN_A_DELIVERY = 100  # index repairs one delivery makes before its own capture


class Recorder:
    def __init__(
        self,
        storage: Any,
        index: CaptureIndex,
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
        after_new_version: Callable[[dict[str, Any]], None] | None = None,
        *,
        repairs: IndexRepairs | None = None,
        nonce_key: bytes | None = None,
    ):
        self.storage = storage
        self.index = index
        self.clock = clock
        self.new_id = new_id
        # Told of each new version once it is stored and indexed (the secrecy screen).
        self.after_new_version = after_new_version
        self.repairs = repairs
        # Personal-data nonces derived from the delivery (None: random), so a retried
        # delivery rewrites the same object instead of leaving one behind per attempt.
        self.nonce_key = nonce_key

    def record(
        self, site: Site, provenance: Provenance, occurred_at: datetime, snap: Snapshot
    ) -> Outcome:
        """Capture one delivery: a new version, a status event, or nothing new."""
        delivery_id = provenance.delivery_id
        try:
            known, head = self.index.recall(site.id, delivery_id, snap.record_id)
        except IndexUnavailable:
            metrics.STORAGE_RECALLS.inc()
            log.warning("database unreachable: %s recalled from storage", snap.record_id)
            known, head = storage_recall.recall(self.storage, delivery_id, snap)
        else:
            if self.repairs is not None and self.repairs.pending():
                # The database answers again: a little catching up here, the rest in the
                # repair loop, so no one delivery waits for a long outage's backlog.
                self.repairs.replay(limit=REPLAY_IN_A_DELIVERY)
        if known is not None:
            return known

        head, new_version = self._ensure_version(site, provenance, occurred_at, snap, head)
        if snap.event_type.action.changes_content:
            outcome = Outcome(snap.record_id, head.version, None, created=new_version)
        else:
            outcome = self._record_event(site, provenance, occurred_at, snap, head)
        if not outcome.created:
            # Nothing new in storage carries this delivery's id: remember the answer for
            # redeliveries.
            self._tell_index("add_delivery", site.id, delivery_id, outcome)
        return outcome

    def _late_copy(self, snap: Snapshot, occurred_at: datetime, head: Head | None) -> Head | None:
        """The stored version this delivery repeats, if it is a late one (deliveries arrive
        in any order): not newer than the record's newest version, and a version with the
        same content from the same moment or later says all it says. A change back to
        earlier content is newer than every version: it is new."""
        if (
            head is None
            or head.newest_occurred_at is None
            or occurred_at > head.newest_occurred_at
            or not snap.event_type.action.changes_content
        ):
            return None
        for version in reversed(storage_recall.stored_versions(self.storage, snap)):
            if version["version"] > head.version or occurred(version) < occurred_at:
                continue  # one the index has not shown yet is caught up the usual way
            personal = (version.get("personal_data") or {}).get("sha256")
            if self._same_personal(snap, personal) and (
                snap.content_sha256(personal) == version["content_sha256"]
            ):
                return head_of(version)
        return None

    def _same_personal(self, snap: Snapshot, ref: str | None) -> bool:
        if not snap.personal or ref is None:
            return not snap.personal and ref is None
        try:
            stored = json.loads(self.storage.get(keys.personal_key(snap.site_id, ref)))
        except FileNotFoundError:
            return False
        return _personal_values(stored) == snap.personal.as_dict()

    def _ensure_version(
        self,
        site: Site,
        provenance: Provenance,
        occurred_at: datetime,
        snap: Snapshot,
        head: Head | None,
    ) -> tuple[Head, bool]:
        """The record's latest version, after writing a new one if the content changed."""
        behind = False  # an index write of this record failed: the later ones wait behind it
        for _ in range(MAX_RACE_ATTEMPTS):
            if head is not None and not snap.content_is_a_document:
                return head, False
            personal_ref = self._personal_ref(site, snap, head, provenance)
            content_sha256 = snap.content_sha256(personal_ref)
            if head is not None and head.content_sha256 == content_sha256:
                return head, False
            late = self._late_copy(snap, occurred_at, head)
            if late is not None:
                return late, False
            document = self._version_document(
                site, snap, head, provenance, occurred_at, personal_ref, content_sha256
            )
            sealed, data = seal(document)
            key = keys.version_key(site.id, snap.kind, snap.source_id, document["version"])
            try:
                self.storage.put_new(key, data)
            except FileExistsError:
                # Lost a race, or an earlier attempt stored this version and died before
                # indexing it: look again, and index whatever storage has beyond `head`.
                head, behind = self._catch_up(site.id, snap, head, behind)
                continue
            self._index_in_order("add_version", sealed, key, behind)
            self._screen(sealed)
            return Head(document["version"], sealed["sha256"], content_sha256, personal_ref), True
        raise Unavailable(
            f"{snap.record_id} is busy: no version slot after {MAX_RACE_ATTEMPTS} tries"
        )

    def _record_event(
        self, site: Site, provenance: Provenance, occurred_at: datetime, snap: Snapshot, head: Head
    ) -> Outcome:
        """A status change; keyed by its delivery id, so a concurrent twin finds it taken."""
        document = {
            "schema": EVENT_SCHEMA,
            "id": self.new_id(),
            "record_id": snap.record_id,
            "site_id": site.id,
            "kind": str(snap.kind),
            "source_id": snap.source_id,
            "event": {"id": provenance.delivery_id, "type": str(snap.event_type)},
            "provenance": provenance.as_dict(),
            "occurred_at": iso(occurred_at),
            "captured_at": iso(self.clock()),
            "status": snap.status,
            "previous_status": snap.previous_status,
            "version": head.version,
            "version_sha256": head.sha256,
        }
        sealed, data = seal(document)
        key = keys.event_key(site.id, snap.kind, snap.source_id, provenance.delivery_id)
        try:
            self.storage.put_new(key, data)
        except FileExistsError:
            existing = verify(self.storage.get(key))
            # Indexing is idempotent: this repairs an attempt that died after storing it.
            self._index_in_order("add_event", existing, key)
            return Outcome(
                snap.record_id, existing["version"], existing["id"], False, made_earlier=True
            )
        self._index_in_order("add_event", sealed, key)
        return Outcome(snap.record_id, head.version, sealed["id"], created=True)

    def _version_document(
        self,
        site: Site,
        snap: Snapshot,
        head: Head | None,
        provenance: Provenance,
        occurred_at: datetime,
        personal_ref: str | None,
        content_sha256: str,
    ) -> dict[str, Any]:
        return {
            "schema": VERSION_SCHEMA,
            "record_id": snap.record_id,
            "site": {"id": site.id, "name": site.name, "url": site.url},
            "kind": str(snap.kind),
            "source_id": snap.source_id,
            "version": head.version + 1 if head else 1,
            "origin": str(snap.kind.origin),
            "event": {"id": provenance.delivery_id, "type": str(snap.event_type)},
            "provenance": provenance.as_dict(),
            "occurred_at": iso(occurred_at),
            "captured_at": iso(self.clock()),
            "status": snap.status,
            **snap.content,
            "personal_data": (
                {"sha256": personal_ref, "fields": _present(snap.personal)}
                if personal_ref
                else None
            ),
            "content_sha256": content_sha256,
            "previous_sha256": head.sha256 if head else None,
        }

    def _personal_ref(
        self, site: Site, snap: Snapshot, head: Head | None, provenance: Provenance
    ) -> str | None:
        """Store the commenter's personal data apart; reuse the last object if unchanged.

        Each object carries a nonce no one can guess, so its hash cannot confirm a guessed
        e-mail; derived from the delivery, so its retries write the same object.
        """
        if not snap.personal:
            return None
        if head is not None and head.personal_sha256:
            try:
                previous = json.loads(
                    self.storage.get(keys.personal_key(site.id, head.personal_sha256))
                )
            except FileNotFoundError:
                previous = None
            if previous is not None and _personal_values(previous) == snap.personal.as_dict():
                return head.personal_sha256
        document = {
            "schema": PERSONAL_SCHEMA,
            "record_id": snap.record_id,
            "nonce": self._nonce(snap.record_id, provenance.delivery_id),
            **snap.personal.as_dict(),
        }
        data = canonical(document)
        ref = sha256_hex(data)
        self.storage.put(keys.personal_key(site.id, ref), data)
        return ref

    def _nonce(self, record_id: str, delivery_id: str) -> str:
        if self.nonce_key is None:
            return secrets.token_hex(16)
        message = f"{record_id}\n{delivery_id}".encode()
        return hmac.new(self.nonce_key, message, hashlib.sha256).hexdigest()[:32]

    def _catch_up(
        self, site_id: str, snap: Snapshot, known: Head | None, behind: bool
    ) -> tuple[Head | None, bool]:
        """The record's head as storage has it, after indexing every stored version newer
        than `known` (the head the index gave), in order. A version stored by a process that
        died before indexing it is then visible again, without waiting for `reindex`."""
        prefix = keys.versions_prefix(site_id, snap.kind, snap.source_id)
        newer = [
            key
            for key in self.storage.list(prefix)
            if known is None or keys.version_number(key) > known.version
        ]
        head = known
        for key in newer:
            document = verify(self.storage.get(key))
            behind = not self._index_in_order("add_version", document, key, behind)
            newest = occurred(document)
            if head is not None and head.newest_occurred_at is not None:
                newest = max(newest, head.newest_occurred_at)
            head = head_of(document, newest)
        return head, behind

    def _index_in_order(
        self, method: str, document: dict[str, Any], key: str, behind: bool = False
    ) -> bool:
        """Tell the index of a stored object; False if it was noted for repair instead
        (the index failed now, or an earlier object of the record waits already)."""
        if not behind and self._tell_index(method, document, key):
            return True
        if self.repairs is not None:
            self.repairs.note(key)
        return False

    def _tell_index(self, method: str, *args: Any) -> bool:
        """Storage already holds the truth; an index failure is logged (and the object
        noted for repair by the caller)."""
        try:
            getattr(self.index, method)(*args)
            if self.repairs is not None and method != "add_delivery":
                self.repairs.told(args[1])
        except IndexUnavailable as exc:
            metrics.INDEX_WRITE_FAILURES.inc()
            log.warning("index write %s failed (%s); noted for repair", method, exc.message)
            return False
        return True

    def _screen(self, version: dict[str, Any]) -> None:
        """Whatever the screen finds or however it fails, the version is kept as captured
        and the delivery answered as it would have been: a failure is logged and counted."""
        if self.after_new_version is None:
            return
        try:
            self.after_new_version(version)
        except NotProjected as exc:  # its finding is stored: the index hears of it later
            if self.repairs is not None:
                self.repairs.note(exc.key)
        except Exception:
            metrics.SECRECY_SCREEN_FAILURES.inc()
            log.exception("secrecy screen failed for %s", version["record_id"])


def _present(personal: PersonalData) -> list[str]:
    return [name for name, value in personal.as_dict().items() if value]


def _personal_values(document: dict[str, Any]) -> dict[str, Any]:
    return {name: document.get(name) for name in ("email", "ip", "user_agent")}
