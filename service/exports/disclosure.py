"""Making a disclosure export (utlämnande av allmänna handlingar; asking for one is
`asking.py`): `build` reads every version as stored and writes one ZIP:

    index.html                        what the package holds, with a link to every page
    records/{record}/v{n}.html        one page per version, as published, with its register
                                      entry (and its status events, if asked for)
    records/{record}/v{n}.json        the version byte for byte as stored (see masking below)
    records/{record}/v{n}.proof.json  its inclusion proof: `offentlig verify-proof` checks it
    records/{record}/events/{id}.json the status events as stored (if asked for)
    disclosure.pdf                    every page in one PDF (WeasyPrint), a version per page
    records.csv                       one line per version: register entry, hashes, files
    log/checkpoint.txt, log/public-key.txt   the signed checkpoint every proof leads to, and
                                      the key it verifies with
    manifest.json                     the SHA-256 and size of every other file (sealed)

Masked (the default), no commenter's e-mail, IP or user agent is read, and identity numbers
and e-mail addresses are masked in everything shown; a version's or event's stored bytes go
in only if they hold neither (else the proof still shows the hash of what was withheld).
Unmasked, the commenters' personal data is shown and each read of it is audited.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.auth.actor import Actor
from service.auth.tokens import READ_SECRET
from service.capture.snapshot import iso
from service.errors import Conflict, IntegrityError
from service.exports import rendering
from service.exports.masking import holds_personal_data, mask_personal_data
from service.exports.package import Package
from service.exports.pdf import write_pdf
from service.exports.register import DISCLOSURE, file_key
from service.exports.selection import events_as_of, select, stored_request, versions_as_of
from service.integrity.note import Checkpoint
from service.records import keys
from service.records.canonical import sha256_hex, verify_stored
from service.records.register_entry import register_entry
from service.snapshots.settings import software_version
from service.spreadsheets import excel_csv

if TYPE_CHECKING:
    from service.services import Services

log = logging.getLogger("offentlig.exports")

ZIP_TYPE = "application/zip"
HTML_TYPE = "text/html; charset=utf-8"
JSON_TYPE = "application/json"
CSV_COLUMNS = (
    "record_id",
    "version",
    "kind",
    "origin",
    "status",
    "date",
    "date_kind",
    "occurred_at",
    "captured_at",
    "channel",
    "sender",
    "case_number",
    "subject",
    "sha256",
    "stored_sha256",
    "page",
    "stored_file",
    "proof",
)


# --- making it ------------------------------------------------------------------------------

Progress = Callable[[int, int | None, str | None], None]


def build(
    svc: Services,
    document: dict[str, Any],
    *,
    progress: Progress,
    stop_point: Callable[[], None],
    actor: Actor,
) -> dict[str, Any]:
    """Make the export `document` asks for; its result (the stored ZIP's key, size, SHA-256,
    the manifest's SHA-256 and the counts)."""
    request = document["request"]
    export_id = str(document["id"])
    as_of = datetime.fromisoformat(document["requested_at"])
    sees_secret = READ_SECRET in document["access"]["scopes"]
    chosen = select(
        svc.queries,
        stored_request(request, sees_secret, as_of, svc.exports.max_records),
    )
    plan = [(row, versions_as_of(svc.queries, row.id, as_of)) for row in chosen.records]
    total = sum(len(versions) for _, versions in plan)
    progress(0, total, "versions")
    checkpoint = _checkpoint(svc)
    maker = _Maker(svc, request, export_id, checkpoint, actor)
    with tempfile.TemporaryDirectory(prefix="offentlig-export-") as tmp:
        zip_path = Path(tmp, "export.zip")
        with zip_path.open("wb") as out:
            package = Package(out, as_of)
            for row, versions in plan:
                maker.record(package, row, versions, as_of)
                progress(maker.versions, total, "versions")
                stop_point()
            progress(maker.versions, total, "PDF")
            pages = maker.finish(package, Path(tmp), document, chosen.withheld_secret)
            counts = {
                "records": len(plan),
                "versions": maker.versions,
                "events": maker.events,
                "pdf_pages": pages,
                "withheld_secret": chosen.withheld_secret,
                "stored_files_withheld": maker.bytes_withheld,
                "unproven": maker.unproven,
            }
            manifest, manifest_data = package.finish(
                {
                    "export_id": export_id,
                    "kind": DISCLOSURE,
                    "requested_at": document["requested_at"],
                    "requested_by": document["requested_by"],
                    "request": request,
                    "software": {"name": "Offentlig", "version": software_version()},
                    "counts": counts,
                    "unavailable": chosen.unavailable,
                    "checkpoint": _checkpoint_summary(checkpoint),
                }
            )
        name = f"offentlig-{export_id}.zip"
        key = file_key(export_id, name)
        size, sha256 = zip_path.stat().st_size, _file_sha256(zip_path)
        with zip_path.open("rb") as stream:
            svc.storage.put_stream(key, stream, content_type=ZIP_TYPE, size=size)
    return {
        "file": {"key": key, "name": name, "size": size, "sha256": sha256},
        "manifest_sha256": sha256_hex(manifest_data),
        "counts": counts,
        "unavailable": chosen.unavailable,
        "checkpoint": _checkpoint_summary(checkpoint),
    }


def _checkpoint(svc: Services) -> tuple[Checkpoint, str] | None:
    """One signed checkpoint for every proof: first the log is brought up to date, so that
    what the request covers is in it (another sequencer at work: the latest will do)."""
    if svc.integrity is None:
        return None
    try:
        svc.integrity.queue.flush()
        svc.integrity.sequencer.run()
    except Conflict:
        log.info("another sequencer is at work; proofs lead to the latest checkpoint")
    latest = svc.integrity.sequencer.latest()
    return latest


def _checkpoint_summary(checkpoint: tuple[Checkpoint, str] | None) -> dict[str, Any] | None:
    if checkpoint is None:
        return None
    signed = checkpoint[0]
    moment = iso(signed.time) if signed.time else None
    return {"origin": signed.origin, "tree_size": signed.size, "time": moment}


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


class _Maker:
    """Writes one record's files at a time and remembers what the PDF, the CSV and the
    index need."""

    def __init__(
        self,
        svc: Services,
        request: dict[str, Any],
        export_id: str,
        checkpoint: tuple[Checkpoint, str] | None,
        actor: Actor,
    ):
        self.svc = svc
        self.export_id = export_id
        self.checkpoint = checkpoint
        self.actor = actor
        self.masked = bool(request["mask_personal_data"])
        self.with_events = bool(request["include_events"])
        self.lang = str(request["language"])
        self.redact = mask_personal_data if self.masked else None
        self.sections: list[Any] = []
        self.rows: list[list[Any]] = []
        self.pages: list[tuple[str, str]] = []  # (page, title) for the index
        self.versions = self.events = self.bytes_withheld = self.unproven = 0

    def _shown(self, text: str) -> str:
        return self.redact(text) if self.redact else text

    def _stored(self, package: Package, name: str, data: bytes) -> str:
        """The stored bytes, unless masking would have to change them."""
        if self.masked and holds_personal_data(data.decode("utf-8")):
            self.bytes_withheld += 1
            return ""
        package.add(name, data, JSON_TYPE)
        return name

    def record(self, package: Package, row: Any, versions: list[Any], as_of: datetime) -> None:
        folder = f"records/{row.id}"
        registration = self.svc.registrations.entry(row.id)
        events = None
        if self.with_events:
            events = []
            for event in events_as_of(self.svc.queries, row.id, as_of):
                data = self.svc.storage.get(event.storage_key)
                events.append(verify_stored(data, event.storage_key))
                self._stored(package, f"{folder}/events/{event.id}.json", data)
                self.events += 1
        entry = register_entry(row._mapping)  # the date and its kind, the sender
        for version in versions:
            data = self.svc.storage.get(version.storage_key)
            document = verify_stored(data, version.storage_key)
            base = f"{folder}/v{version.version}"
            stored = self._stored(package, f"{base}.json", data)
            context = rendering.VersionContext(
                stored_sha256=sha256_hex(data),
                case_number=registration["case_number"] if registration else None,
                case_title=registration["case_title"] if registration else None,
                version_count=len(versions),
                personal_data=self._personal_data(row, document),
                masked_note=self._masked_note(withheld=not stored),
            )
            section = rendering.render_section(
                document, events=events, context=context, redact=self.redact, lang=self.lang
            )
            title = self._shown(rendering.title_of(document, self.lang))
            heading = f"{title} – v{version.version}"
            page = rendering.render_document(heading, [section], lang=self.lang)
            package.add(f"{base}.html", page.encode("utf-8"), HTML_TYPE)
            proof = self._proof(package, f"{base}.proof.json", version.storage_key)
            self.sections.append(section)
            self.pages.append((f"{base}.html", f"{title} (v{version.version})"))
            self.rows.append(
                [
                    row.id,
                    version.version,
                    row.kind,
                    row.origin,
                    document.get("status"),
                    entry["date"],
                    entry["date_kind"],
                    document.get("occurred_at"),
                    document.get("captured_at"),
                    (document.get("site") or {}).get("name"),
                    self._shown(entry["sender"] or ""),
                    context.case_number,
                    title,
                    document.get("sha256"),
                    context.stored_sha256,
                    f"{base}.html",
                    stored,
                    proof,
                ]
            )
            self.versions += 1

    def _masked_note(self, *, withheld: bool) -> str | None:
        if not self.masked:
            return None
        words = rendering.WORDS[self.lang]
        note = words["masked_note"]
        return f"{note} {words['withheld_note']}" if withheld else note

    def _personal_data(self, row: Any, document: dict[str, Any]) -> dict[str, Any] | None:
        """Unmasked only, and audited first (DOMAIN rule 9)."""
        reference = (document.get("personal_data") or {}).get("sha256")
        if self.masked or not reference:
            return None
        self.svc.audit.record(
            "read-personal-data",
            row.id,
            actor=self.actor,
            details={"version": document["version"], "export_id": self.export_id},
        )
        try:
            data = self.svc.storage.get(keys.personal_key(row.site_id, reference))
        except FileNotFoundError:
            return None  # erased under a culling decision
        if sha256_hex(data) != reference:
            raise IntegrityError(f"personal data of {row.id} does not match its sha256")
        stored = json.loads(data)
        return {name: stored.get(name) for name in ("email", "ip", "user_agent")}

    def _proof(self, package: Package, name: str, key: str) -> str:
        if self.checkpoint is None or self.svc.integrity is None:
            self.unproven += 1
            return ""
        try:
            bundle = self.svc.integrity.proof(key, at=self.checkpoint)
        except Conflict:  # stored after the checkpoint: its own seal and chain protect it
            self.unproven += 1
            return ""
        package.add(name, json.dumps(bundle, indent=2).encode(), JSON_TYPE)
        return name

    def finish(
        self, package: Package, tmp: Path, document: dict[str, Any], withheld_secret: int
    ) -> int:
        """The PDF, the CSV, the checkpoint and key, and the index page; the PDF's pages."""
        words = rendering.WORDS[self.lang]
        heading = f"{words['disclosure']} {self.export_id}"
        cover = rendering.render_cover(
            heading,
            {
                words["requested_at"]: document["requested_at"],
                words["requested_by"]: document["requested_by"],
                words["versions_count"]: str(self.versions),
                words["masked"]: words["yes"] if self.masked else words["no"],
            },
            lang=self.lang,
        )
        pdf_path = tmp / "disclosure.pdf"
        pages = write_pdf(
            rendering.render_document(heading, [cover, *self.sections], lang=self.lang),
            pdf_path,
        )
        package.add_file("disclosure.pdf", pdf_path, "application/pdf")
        package.add("records.csv", excel_csv(CSV_COLUMNS, self.rows), "text/csv; charset=utf-8")
        if self.checkpoint is not None and self.svc.integrity is not None:
            package.add("log/checkpoint.txt", self.checkpoint[1].encode(), "text/plain")
            key = self.svc.integrity.public_key + "\n"
            package.add("log/public-key.txt", key.encode(), "text/plain")
        index = rendering.render_index(heading, cover, self.pages, lang=self.lang)
        package.add("index.html", index.encode("utf-8"), HTML_TYPE)
        return pages
