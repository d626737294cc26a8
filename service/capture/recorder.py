"""The capture rules: which deliveries become versions, which become events, which nothing.

Storage is written first and decides every race (`put_new`); the index is told afterwards.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from service import metrics
from service.capture.ports import CaptureIndex, Head, Outcome, Site
from service.capture.provenance import Provenance
from service.capture.snapshot import PersonalData, Snapshot, iso
from service.errors import IndexUnavailable, Unavailable
from service.records import keys
from service.records.canonical import canonical, seal, sha256_hex, verify

log = logging.getLogger(__name__)

VERSION_SCHEMA = "offentlig.record-version/1"
EVENT_SCHEMA = "offentlig.record-event/1"
PERSONAL_SCHEMA = "offentlig.personal-data/1"
MAX_RACE_ATTEMPTS = 20


class Recorder:
    def __init__(
        self,
        storage: Any,
        index: CaptureIndex,
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
        after_new_version: Callable[[dict[str, Any]], None] | None = None,
    ):
        self.storage = storage
        self.index = index
        self.clock = clock
        self.new_id = new_id
        # Told of each new version once it is stored and indexed (the secrecy screen).
        self.after_new_version = after_new_version

    def record(
        self, site: Site, provenance: Provenance, occurred_at: datetime, snap: Snapshot
    ) -> Outcome:
        """Capture one delivery: a new version, a status event, or nothing new."""
        delivery_id = provenance.delivery_id
        known, head = self.index.recall(site.id, delivery_id, snap.record_id)
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

    def _ensure_version(
        self,
        site: Site,
        provenance: Provenance,
        occurred_at: datetime,
        snap: Snapshot,
        head: Head | None,
    ) -> tuple[Head, bool]:
        """The record's latest version, after writing a new one if the content changed."""
        for _ in range(MAX_RACE_ATTEMPTS):
            if head is not None and not snap.content_is_a_document:
                return head, False
            personal_ref = self._personal_ref(site, snap, head)
            content_sha256 = snap.content_sha256(personal_ref)
            if head is not None and head.content_sha256 == content_sha256:
                return head, False
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
                head = self._catch_up(site.id, snap, head)
                continue
            self._tell_index("add_version", sealed, key)
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
            self._tell_index("add_event", existing, key)
            return Outcome(snap.record_id, existing["version"], existing["id"], created=False)
        self._tell_index("add_event", sealed, key)
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

    def _personal_ref(self, site: Site, snap: Snapshot, head: Head | None) -> str | None:
        """Store the commenter's personal data apart; reuse the last object if unchanged.

        Each object carries a random nonce, so its hash cannot confirm a guessed e-mail.
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
            "nonce": secrets.token_hex(16),
            **snap.personal.as_dict(),
        }
        data = canonical(document)
        ref = sha256_hex(data)
        self.storage.put(keys.personal_key(site.id, ref), data)
        return ref

    def _catch_up(self, site_id: str, snap: Snapshot, known: Head | None) -> Head | None:
        """The record's head as storage has it, after indexing every stored version newer
        than `known` (the head the index gave). A version stored by a process that died
        before indexing it is then visible again, without waiting for `reindex`."""
        prefix = keys.versions_prefix(site_id, snap.kind, snap.source_id)
        newer = [
            key
            for key in self.storage.list(prefix)
            if known is None or keys.version_number(key) > known.version
        ]
        head = known
        for key in newer:
            document = verify(self.storage.get(key))
            self._tell_index("add_version", document, key)
            head = head_of(document)
        return head

    def _tell_index(self, method: str, *args: Any) -> None:
        """Storage already holds the truth; an index failure is logged and left to reindex."""
        try:
            getattr(self.index, method)(*args)
        except IndexUnavailable:
            metrics.INDEX_WRITE_FAILURES.inc()
            log.exception("index write %s failed; run `offentlig reindex` to repair", method)

    def _screen(self, version: dict[str, Any]) -> None:
        """Whatever the screen finds or however it fails, the version is kept as captured
        and the delivery answered as it would have been: a failure is logged and counted."""
        if self.after_new_version is None:
            return
        try:
            self.after_new_version(version)
        except Exception:
            metrics.SECRECY_SCREEN_FAILURES.inc()
            log.exception("secrecy screen failed for %s", version["record_id"])


def head_of(version: dict[str, Any]) -> Head:
    personal = version.get("personal_data") or {}
    return Head(
        version=int(version["version"]),
        sha256=str(version["sha256"]),
        content_sha256=str(version["content_sha256"]),
        personal_sha256=personal.get("sha256"),
    )


def _present(personal: PersonalData) -> list[str]:
    return [name for name, value in personal.as_dict().items() if value]


def _personal_values(document: dict[str, Any]) -> dict[str, Any]:
    return {name: document.get(name) for name in ("email", "ip", "user_agent")}
