"""METS documents of a SIP (E-ARK CSIP 2.1 / SIP 2.1, the profile FGS Paketstruktur 2.0
takes over): the package's `METS.xml` and one `METS.xml` per representation.

Every file and metadata file is named with its size, creation time, MIME type and SHA-256.
A few choices answer eark-validator 1.1.3's reading of the rules, which the README lists:
every file group names a content information type (`OTHER`, with our own named), the
software is the only agent with ROLE="CREATOR" (the authority is ARCHIVIST, and the
submitter OTHER/SUBMITTER), and the structural map's "Representations" division points to
the representations' file groups as well as holding one division per representation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from lxml import etree

from service.exports.sip.context import (
    CONTENT_INFORMATION_TYPE,
    PROFILE,
    SOFTWARE,
    Representation,
    Transfer,
)
from service.exports.sip.target import PackedFile
from service.exports.sip.xml import (
    CSIP,
    METS,
    SIP,
    XLINK,
    XSI,
    Maker,
    qname,
    schema_location,
    timestamp,
    xml_document,
)

NSMAP: dict[str | None, str] = {"mets": METS, "xlink": XLINK, "xsi": XSI, "csip": CSIP, "sip": SIP}
M = Maker(METS, NSMAP)
CURRENT = "CURRENT"


def _content_type() -> dict[str, str]:
    return {
        qname(CSIP, "CONTENTINFORMATIONTYPE"): "OTHER",
        qname(CSIP, "OTHERCONTENTINFORMATIONTYPE"): CONTENT_INFORMATION_TYPE,
    }


def _root(writer: Any, objid: str, label: str, category: str, schemas: str) -> Any:
    attributes = {
        "OBJID": objid,
        "LABEL": label,
        "TYPE": category,
        **_content_type(),
        "PROFILE": PROFILE,
        qname(XSI, "schemaLocation"): schema_location([METS, XLINK, CSIP, SIP], schemas),
    }
    return writer.element(qname(METS, "mets"), attributes, nsmap=NSMAP)


def _agent(role: str, kind: str, name: str, note: tuple[str, str] | None, **other: str) -> Any:
    element = M("agent", {"ROLE": role, "TYPE": kind, **other}, M("name", text=name))
    if note is not None:
        note_type, text = note
        element.append(M("note", {qname(CSIP, "NOTETYPE"): note_type}, text=text))
    return element


def header(transfer: Transfer, *, agents: bool) -> etree._Element:
    """metsHdr: when, that it is a SIP, and who — the software always; with `agents`, the
    archival creator and the submitter too, and the submission agreement and reference code."""
    made = timestamp(transfer.created)
    element = M(
        "metsHdr",
        {
            "CREATEDATE": made,
            "LASTMODDATE": made,
            "RECORDSTATUS": "NEW",
            qname(CSIP, "OAISPACKAGETYPE"): "SIP",
        },
        _agent(
            "CREATOR",
            "OTHER",
            SOFTWARE,
            ("SOFTWARE VERSION", transfer.software_version),
            OTHERTYPE="SOFTWARE",
        ),
    )
    if not agents:
        return element
    identification = (
        ("IDENTIFICATIONCODE", transfer.authority_id) if transfer.authority_id else None
    )
    element.append(_agent("ARCHIVIST", "ORGANIZATION", transfer.authority, identification))
    element.append(
        _agent(
            "OTHER",
            "ORGANIZATION",
            transfer.authority,
            identification,
            OTHERROLE="SUBMITTER",
        )
    )
    for kind, value in (
        ("SUBMISSIONAGREEMENT", transfer.submission_agreement),
        ("REFERENCECODE", transfer.reference_code),
    ):
        if value:
            element.append(M("altRecordID", {"TYPE": kind}, text=value))
    return element


def _checked(file: PackedFile) -> dict[str, str]:
    return {
        "MIMETYPE": file.mimetype,
        "SIZE": str(file.size),
        "CREATED": file.created,
        "CHECKSUM": file.sha256,
        "CHECKSUMTYPE": "SHA-256",
    }


def _link(href: str) -> dict[str, str]:
    return {"LOCTYPE": "URL", qname(XLINK, "type"): "simple", qname(XLINK, "href"): href}


def md_ref(file: PackedFile, href: str, mdtype: str) -> etree._Element:
    return M("mdRef", {**_link(href), "MDTYPE": mdtype, **_checked(file)})


def _file(identifier: str, file: PackedFile, href: str) -> etree._Element:
    return M("file", {"ID": identifier, **_checked(file)}, M("FLocat", _link(href)))


def _group(identifier: str, use: str) -> dict[str, str]:
    return {"ID": identifier, "USE": use, **_content_type()}


def _file_id(representation: Representation, number: int) -> str:
    return f"file-{representation.name}-{number}"


def write_representation_mets(
    out: IO[bytes], representation: Representation, premis: PackedFile, transfer: Transfer
) -> None:
    """The representation's METS: its PREMIS, its data files, and a division per record (or
    snapshot) in the structural map."""
    name = representation.name
    digiprov = f"digiprov-{name}"
    with (
        xml_document(out) as writer,
        _root(writer, name, representation.description, representation.category, "../../schemas/"),
    ):
        writer.write(header(transfer, agents=False))
        writer.write(
            M(
                "amdSec",
                {"ID": f"amd-{name}"},
                M(
                    "digiprovMD",
                    {"ID": digiprov, "CREATED": premis.created, "STATUS": CURRENT},
                    md_ref(premis, premis.within(representation.folder), "PREMIS"),
                ),
            )
        )
        with (
            writer.element(qname(METS, "fileSec"), {"ID": f"filesec-{name}"}),
            writer.element(qname(METS, "fileGrp"), _group(f"grp-{name}-data", "Data")),
        ):
            for number, file in enumerate(representation.files, start=1):
                href = file.within(representation.folder)
                writer.write(_file(_file_id(representation, number), file, href))
        structure = {"ID": f"structmap-{name}", "TYPE": "PHYSICAL", "LABEL": "CSIP"}
        with (
            writer.element(qname(METS, "structMap"), structure),
            writer.element(qname(METS, "div"), {"ID": f"div-{name}", "LABEL": name}),
        ):
            writer.write(
                M("div", {"ID": f"div-{name}-metadata", "LABEL": "Metadata", "ADMID": digiprov})
            )
            with writer.element(qname(METS, "div"), {"ID": f"div-{name}-data", "LABEL": "Data"}):
                for unit in _units(representation):
                    writer.write(unit)


def _units(representation: Representation) -> Iterator[etree._Element]:
    """One division per record (or snapshot): its files in the order they were written."""
    division: etree._Element | None = None
    current: str | None = None
    for number, file in enumerate(representation.files, start=1):
        unit = file.unit or file.path
        if division is None or unit != current:
            if division is not None:
                yield division
            current = unit
            division = M("div", {"ID": f"div-{representation.name}-{number}", "LABEL": unit})
        division.append(M("fptr", {"FILEID": _file_id(representation, number)}))
    if division is not None:
        yield division


@dataclass(frozen=True)
class PackageFiles:
    """What the package's METS names besides the representations' data."""

    descriptive: PackedFile  # metadata/descriptive/ead.xml
    preservation: PackedFile  # metadata/preservation/premis.xml
    rights: PackedFile  # metadata/preservation/rights.xml
    documentation: list[PackedFile]
    schemas: list[PackedFile]
    representations: list[tuple[Representation, PackedFile]]  # each with its METS.xml


def write_package_mets(out: IO[bytes], transfer: Transfer, files: PackageFiles) -> None:
    """The package's METS: descriptive and preservation metadata, documentation, schemas, and
    a pointer to each representation's METS."""
    made = timestamp(transfer.created)
    with (
        xml_document(out) as writer,
        _root(writer, transfer.objid, transfer.label, "Mixed", "schemas/"),
    ):
        writer.write(header(transfer, agents=True))
        writer.write(
            M(
                "dmdSec",
                {"ID": "dmd-ead", "CREATED": made, "STATUS": CURRENT},
                md_ref(files.descriptive, files.descriptive.path, "EAD"),
            )
        )
        writer.write(
            M(
                "amdSec",
                {"ID": "amd"},
                M(
                    "rightsMD",
                    {"ID": "rights-premis", "CREATED": made, "STATUS": CURRENT},
                    md_ref(files.rights, files.rights.path, "PREMIS:RIGHTS"),
                ),
                M(
                    "digiprovMD",
                    {"ID": "digiprov-premis", "CREATED": made, "STATUS": CURRENT},
                    md_ref(files.preservation, files.preservation.path, "PREMIS"),
                ),
            )
        )
        writer.write(_file_section(files))
        writer.write(_structure(transfer, files))


def _file_section(files: PackageFiles) -> etree._Element:
    groups = [
        ("grp-documentation", "Documentation", files.documentation),
        ("grp-schemas", "Schemas", files.schemas),
    ]
    for representation, mets in files.representations:
        use = f"Representations/{representation.name}"
        groups.append((f"grp-{representation.name}", use, [mets]))
    section = M("fileSec", {"ID": "filesec"})
    for identifier, use, members in groups:
        group = M("fileGrp", _group(identifier, use))
        for number, file in enumerate(members, start=1):
            group.append(_file(f"{identifier}-{number}", file, file.path))
        section.append(group)
    return section


def _pointing(identifier: str, label: str, group: str) -> etree._Element:
    return M("div", {"ID": identifier, "LABEL": label}, M("fptr", {"FILEID": group}))


def _structure(transfer: Transfer, files: PackageFiles) -> etree._Element:
    representations = M("div", {"ID": "div-representations", "LABEL": "Representations"})
    for representation, _mets in files.representations:
        representations.append(M("fptr", {"FILEID": f"grp-{representation.name}"}))
    for representation, mets in files.representations:
        name = representation.name
        pointer = {**_link(mets.path), qname(XLINK, "title"): f"grp-{name}"}
        division = {"ID": f"div-representation-{name}", "LABEL": f"Representations/{name}"}
        representations.append(M("div", division, M("mptr", pointer)))
    metadata = {
        "ID": "div-metadata",
        "LABEL": "Metadata",
        "ADMID": "rights-premis digiprov-premis",
        "DMDID": "dmd-ead",
    }
    package = M(
        "div",
        {"ID": "div-package", "LABEL": transfer.objid},
        M("div", metadata),
        _pointing("div-documentation", "Documentation", "grp-documentation"),
        _pointing("div-schemas", "Schemas", "grp-schemas"),
        representations,
    )
    return M("structMap", {"ID": "structmap", "TYPE": "PHYSICAL", "LABEL": "CSIP"}, package)
