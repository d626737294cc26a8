"""The content of a SIP: three representations, copied from object storage.

- `records`: each record's stored objects, byte for byte as kept — its versions, status
  events, secrecy reviews and registrations (and, when asked, the commenter's personal data
  its versions refer to) — under `data/{posts|pages|comments}/{id}/`, the layout of the
  bucket. Every document is checked against its own seal as it is copied.
- `html`: each version rendered as a standalone HTML page (`service/exports/rendering.py`,
  shared with the disclosure export), `data/{folder}/{id}/{version}.html`.
- `snapshots`: each snapshot's WARC, CDXJ index and manifest, `data/{snapshot id}/`,
  streamed, each checked against the SHA-256 its manifest states.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from service.errors import IntegrityError
from service.exports.sip.context import Representation, Secret, Transfer
from service.exports.sip.selection import record_folder
from service.exports.sip.target import PackedFile, Spool, ZipTarget, write_file
from service.exports.sip.xml import timestamp
from service.records import keys
from service.records.canonical import sha256_hex, verify_stored
from service.records.model import Kind
from service.snapshots.snapshot import INDEX_NAME, MANIFEST_NAME, WARC_NAME
from service.storage.port import ObjectStore

JSON_TYPE = "application/json"
HTML_TYPE = "text/html"
# A record's objects by the folder they are in under the record's prefix.
ROLES = {"versions": "version", "events": "event"}
SNAPSHOT_FILES = (
    (WARC_NAME, "warc", "application/warc"),
    (INDEX_NAME, "cdxj", "text/plain"),
)

# (version, its record's status events, the SHA-256 of its stored bytes, the record's case
# number, how many versions the record has, its personal data or None) → an HTML page.
Page = Mapping[str, Any]
Render = Callable[[Page, Sequence[Page], str, str | None, int, Page | None], str]


def render_page(
    version: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
    stored_sha256: str,
    case_number: str | None,
    version_count: int,
    personal: Mapping[str, Any] | None,
) -> str:
    from service.exports.rendering import VersionContext, render_version

    context = VersionContext(
        stored_sha256=stored_sha256,
        case_number=case_number,
        version_count=version_count,
        personal_data=personal,
    )
    return render_version(version, events=events, context=context)


@dataclass
class Counts:
    records: int = 0
    versions: int = 0
    events: int = 0
    other: int = 0  # reviews, registrations, personal data
    snapshots: int = 0
    secret: int = 0
    files: int = 0
    bytes: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Content:
    """Copies into `target` what the transfer holds, one record or snapshot at a time."""

    storage: ObjectStore
    target: ZipTarget
    transfer: Transfer
    secret: dict[str, Secret]
    personal_data: bool = False
    render: Render = render_page
    counts: Counts = field(default_factory=Counts)
    personal_copied: set[str] = field(default_factory=set)  # package paths
    records: Representation = field(
        default_factory=lambda: Representation(
            "records",
            "Datasets",
            "The records as stored: every version, status event, review and registration "
            "(JSON, RFC 8785 canonical form, each sealed with its SHA-256)",
            Spool(),
        )
    )
    html: Representation = field(
        default_factory=lambda: Representation(
            "html",
            "Textual works – Digital",
            "Each record version as a standalone HTML page, as published, with its register entry",
            Spool(),
        )
    )
    snapshots: Representation = field(
        default_factory=lambda: Representation(
            "snapshots",
            "Websites",
            "The website's snapshots (WARC 1.1, a CDXJ index and the sealed manifest)",
            Spool(),
        )
    )

    def representations(self) -> list[Representation]:
        return [r for r in (self.records, self.html, self.snapshots) if r.files.count]

    def close(self) -> None:
        for representation in (self.records, self.html, self.snapshots):
            representation.files.close()

    # --- records -------------------------------------------------------------------------

    def add_record(self, row: Any) -> int:
        """Copy a record's objects and render its versions; how many versions it has."""
        site_id, kind, source_id = row.site_id, Kind(row.kind), row.source_id
        prefix = keys.record_prefix(site_id, kind, source_id)
        folder = record_folder(row)
        events: list[dict[str, Any]] = []
        versions = 0
        for key in self.storage.list(prefix):
            rest = key[len(prefix) :]
            section = rest.split("/", 1)[0]
            role = ROLES.get(section, section)
            data = self.storage.get(key)
            document = verify_stored(data, key)
            path = self.records.path("data", folder, rest)
            self._add(
                self.records,
                path,
                data,
                JSON_TYPE,
                role,
                created=_created(document, self.transfer.created),
                source=key,
                unit=row.id,
                label=_label(role, document),
            )
            if role == "event":
                events.append(document)
            if role == "version":
                versions += 1
                self._render(row, folder, path, data, document, events)
        self.counts.records += 1
        self.counts.versions += versions
        self.counts.events += len(events)
        self.counts.secret += row.id in self.secret
        return versions

    def _render(
        self,
        row: Any,
        folder: str,
        source_path: str,
        data: bytes,
        version: dict[str, Any],
        events: list[dict[str, Any]],
    ) -> None:
        personal = self._personal(row, folder, version) if self.personal_data else None
        page = self.render(
            version, events, sha256_hex(data), row.case_number, row.latest_version, personal
        )
        number = int(version["version"])
        self._add(
            self.html,
            self.html.path("data", folder, f"{number:0{keys.VERSION_DIGITS}d}.html"),
            page.encode("utf-8"),
            HTML_TYPE,
            "html",
            created=timestamp(self.transfer.created),
            unit=row.id,
            derived_from=source_path,
            label=f"{row.id} version {number}",
        )

    def _personal(self, row: Any, folder: str, version: dict[str, Any]) -> dict[str, Any] | None:
        """The commenter's personal data a version refers to, copied beside the record once
        (its key is its own SHA-256, which is checked)."""
        reference = (version.get("personal_data") or {}).get("sha256")
        if not reference:
            return None
        key = keys.personal_key(row.site_id, reference)
        data = self.storage.get(key)
        if sha256_hex(data) != reference:
            raise IntegrityError(f"{key} does not match its sha256")
        path = self.records.path("data", folder, "personal", f"{reference}.json")
        if path not in self.personal_copied:
            self.personal_copied.add(path)
            self._add(
                self.records,
                path,
                data,
                JSON_TYPE,
                "personal",
                created=_created(version, self.transfer.created),
                source=key,
                unit=row.id,
                label="personal data (e-mail, IP address, user agent)",
            )
        document: dict[str, Any] = json.loads(data)
        return document

    # --- snapshots -----------------------------------------------------------------------

    def add_snapshot(self, row: Any) -> None:
        """Copy a snapshot's WARC and index (streamed, checked against its manifest) and the
        manifest itself."""
        manifest_data = self.storage.get(row.manifest_key)
        manifest = verify_stored(manifest_data, row.manifest_key)
        stated = {item["role"]: item for item in manifest["files"]}
        unit = f"snapshot/{row.id}"
        ended = str(manifest["ended_at"])
        for name, role, mimetype in SNAPSHOT_FILES:
            item = stated[role]
            with self.storage.open(item["key"]) as stream:
                packed = self._add(
                    self.snapshots,
                    self.snapshots.path("data", row.id, name),
                    stream,
                    mimetype,
                    role,
                    created=_xs(ended),
                    source=item["key"],
                    unit=unit,
                    label=f"snapshot {row.id} of {manifest['site']}",
                )
            if packed.sha256 != item["sha256"] or packed.size != item["size"]:
                raise IntegrityError(f"{item['key']} does not match its manifest")
        self._add(
            self.snapshots,
            self.snapshots.path("data", row.id, MANIFEST_NAME),
            manifest_data,
            JSON_TYPE,
            "manifest",
            created=_xs(ended),
            source=row.manifest_key,
            unit=unit,
            label=f"manifest of snapshot {row.id}",
        )
        self.counts.snapshots += 1

    # --- writing -------------------------------------------------------------------------

    def _add(
        self,
        representation: Representation,
        path: str,
        body: Any,
        mimetype: str,
        role: str,
        *,
        created: str,
        **about: str | None,
    ) -> PackedFile:
        packed = write_file(
            self.target,
            path,
            self.transfer.created,
            body,
            mimetype=mimetype,
            role=role,
            created=created,
            **about,
        )
        representation.files.add(packed)
        self.counts.files += 1
        self.counts.bytes += packed.size
        return packed


def _created(document: Mapping[str, Any], fallback: datetime) -> str:
    """When a document came to be: captured (versions, events) or recorded (registers)."""
    for name in ("captured_at", "recorded_at"):
        value = document.get(name)
        if isinstance(value, str) and value:
            return _xs(value)
    return timestamp(fallback)


def _xs(value: str) -> str:
    return timestamp(datetime.fromisoformat(value))


def _label(role: str, document: Mapping[str, Any]) -> str:
    event = document.get("event") or {}
    if role in ("version", "event") and event.get("type"):
        return f"{event['type']} ({event.get('id', '')})"
    if role == "review":
        return f"secrecy review: {document.get('state')}"
    if role == "registration":
        return f"registration: {document.get('case_number')}"
    return role
