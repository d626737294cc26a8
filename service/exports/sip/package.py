"""`build_sip`: one transfer written into a package target, in the order each part needs —
the data first (hashed as it is copied), then each representation's PREMIS and METS, the
description, the package's PREMIS and rights, documentation and schemas, and last the
package's METS.xml, which names them all with their SHA-256.

The ZIP is written to a local file the caller owns: a failure or a stop (`stop()` raises)
leaves nothing in storage, and the caller drops the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from service.exports.sip.content import Content, Counts, Render, render_page
from service.exports.sip.context import Representation, Transfer
from service.exports.sip.documentation import README, readme, schema_files
from service.exports.sip.ead import entry_of, write_ead
from service.exports.sip.mets import PackageFiles, write_package_mets, write_representation_mets
from service.exports.sip.premis import write_package_premis, write_representation_premis
from service.exports.sip.rights import write_rights
from service.exports.sip.selection import Selection
from service.exports.sip.target import PackedFile, ZipTarget, counted, write_file
from service.exports.sip.xml import timestamp
from service.storage.port import ObjectStore

XML_TYPE = "text/xml"
METS_NAME = "METS.xml"
# (done, total, note) as the work advances; a stop check that raises to end the run.
Progress = Callable[[int, int | None, str], None]


class NothingToTransfer(ValueError):
    """The site has no records and no snapshots in the period."""


@dataclass(frozen=True)
class Built:
    objid: str
    mets_sha256: str  # the package's METS.xml, which names every other file's SHA-256
    counts: dict[str, int]


def build_sip(
    storage: ObjectStore,
    selection: Selection,
    transfer: Transfer,
    target: ZipTarget,
    *,
    personal_data: bool = False,
    render: Render = render_page,
    progress: Progress = lambda done, total, note: None,
    stop: Callable[[], None] = lambda: None,
) -> Built:
    secret = selection.secret()
    snapshots = selection.snapshots()
    total = selection.count() + len(snapshots)
    content = Content(storage, target, transfer, secret, personal_data, render)
    try:
        copied: dict[str, int] = {}
        for row in selection.records():
            stop()
            copied[row.id] = content.add_record(row)
            progress(len(copied), total, f"records {len(copied)}")
        for number, row in enumerate(snapshots, start=1):
            stop()
            content.add_snapshot(row)
            progress(len(copied) + number, total, f"snapshots {number}")
        representations = content.representations()
        if not representations:
            raise NothingToTransfer(
                f"Site {transfer.site_id} has no records or snapshots from "
                f"{transfer.first_day} to {transfer.last_day}."
            )
        stop()
        progress(total, total, "metadata")
        built = _metadata(target, transfer, selection, content, copied, representations)
    finally:
        content.close()
        target.close()
    return built


def _metadata(
    target: ZipTarget,
    transfer: Transfer,
    selection: Selection,
    content: Content,
    copied: dict[str, int],
    representations: list[Representation],
) -> Built:
    counts = content.counts.as_dict()
    written = _Writer(target, transfer)
    mets_files = []
    for representation in representations:
        premis, mets = _representation_metadata(written, transfer, representation, content)
        mets_files.append((representation, mets))
    entries = (
        entry_of(row, copied[row.id], content.secret.get(row.id), transfer.zone)
        for row in selection.records()
        if row.id in copied
    )
    descriptive = written.xml(
        "metadata/descriptive/ead.xml", "ead", lambda out: write_ead(out, transfer, entries, counts)
    )
    preservation = written.xml(
        "metadata/preservation/premis.xml",
        "premis",
        lambda out: write_package_premis(out, transfer, representations),
    )
    all_files = (file for r in representations for file in r.files)
    rights = written.xml(
        "metadata/preservation/rights.xml",
        "rights",
        lambda out: write_rights(out, transfer, content.secret, all_files),
    )
    documentation = [
        written.data(
            README, readme(transfer, counts).encode("utf-8"), "text/plain", "documentation"
        )
    ]
    schemas = [written.data(path, data, XML_TYPE, "schema") for path, data in schema_files()]
    files = PackageFiles(descriptive, preservation, rights, documentation, schemas, mets_files)
    root = written.xml(METS_NAME, "mets", lambda out: write_package_mets(out, transfer, files))
    counts = _totals(content.counts, written.files)
    return Built(transfer.objid, root.sha256, counts)


def _representation_metadata(
    written: _Writer, transfer: Transfer, representation: Representation, content: Content
) -> tuple[PackedFile, PackedFile]:
    """A representation's PREMIS, then its METS (which names the PREMIS file's hash)."""
    premis = written.xml(
        representation.path("metadata", "preservation", "premis.xml"),
        "premis",
        lambda out: write_representation_premis(out, representation, transfer, content.secret),
    )
    mets = written.xml(
        representation.path(METS_NAME),
        "mets",
        lambda out: write_representation_mets(out, representation, premis, transfer),
    )
    return premis, mets


def _totals(counts: Counts, metadata: list[PackedFile]) -> dict[str, int]:
    totals = counts.as_dict()
    totals["files"] += len(metadata)
    totals["bytes"] += sum(file.size for file in metadata)
    return totals


class _Writer:
    """Writes the package's metadata files, remembering each as a `PackedFile`."""

    def __init__(self, target: ZipTarget, transfer: Transfer):
        self.target = target
        self.transfer = transfer
        self.created = timestamp(transfer.created)
        self.files: list[PackedFile] = []

    def xml(self, path: str, role: str, write: Callable[[IO[bytes]], Any]) -> PackedFile:
        with counted(self.target, path, self.transfer.created) as out:
            write(out)  # type: ignore[arg-type]
        file = PackedFile(path, out.size, out.digest.hexdigest(), XML_TYPE, self.created, role)
        self.files.append(file)
        return file

    def data(self, path: str, data: bytes, mimetype: str, role: str) -> PackedFile:
        file = write_file(
            self.target,
            path,
            self.transfer.created,
            data,
            mimetype=mimetype,
            role=role,
            created=self.created,
        )
        self.files.append(file)
        return file
