"""PREMIS 3.0 preservation metadata of a SIP.

- The package's `metadata/preservation/premis.xml`: the package as an intellectual entity,
  its representations, the agents (Offentlig, the authority, who asked, the website) and
  the event that made the package.
- `metadata/preservation/rights.xml`: the rights statements — public access under the
  Freedom of the Press Act for all, and for every record decided secret a statement under
  the Public Access to Information and Secrecy Act that forbids disseminating its files.
- Each representation's `metadata/preservation/premis.xml`: every file with its SHA-256
  (fixity), size and format, the storage key it came from, what it was rendered from; each
  record version's and event's capture; the fixity check made while the files were copied.

Identifiers are `local` and readable: a file's is its path in the package.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from lxml import etree

from service.auth.actor import Actor
from service.exports.sip.context import SOFTWARE, Representation, Transfer
from service.exports.sip.target import PackedFile
from service.exports.sip.xml import (
    PREMIS,
    XSI,
    Maker,
    qname,
    schema_location,
    timestamp,
    xml_document,
)

NSMAP: dict[str | None, str] = {"premis": PREMIS, "xsi": XSI}
P = Maker(PREMIS, NSMAP)
LOCAL = "local"

SOFTWARE_AGENT = "agent/offentlig"
AUTHORITY_AGENT = "agent/authority"
REQUESTER_AGENT = "agent/requester"
PACKAGE_EVENT = "event/package-creation"
PUBLIC_ACCESS = "rights/public-access"

# What each kind of file is, by the end of its name: (format name, version).
FORMATS = (
    (".warc.gz", "WARC", "1.1"),
    (".cdxj", "CDXJ", None),
    (".json", "JSON", None),
    (".html", "HTML", "5"),
    (".xsd", "XML Schema", "1.0"),
    (".xml", "XML", "1.0"),
    (".txt", "Plain text", None),
)
# Roles of files copied from a record's objects, each a capture of what WordPress reported.
CAPTURED = ("version", "event")


@dataclass(frozen=True)
class Secret:
    """A record decided secret: what the rights statement says about it."""

    record_id: str
    decided_at: str  # xs:dateTime
    decided_by: str
    note: str | None


def site_agent(site_id: str) -> str:
    return f"agent/site/{site_id}"


def secret_statement(record_id: str) -> str:
    return f"rights/secret/{record_id}"


def _identifier(kind: str, value: str, role: str | None = None) -> etree._Element:
    """`{kind}Identifier` with its type and value (and `{kind}Role` for links)."""
    return P(
        f"{kind}Identifier",
        None,
        P(f"{kind}IdentifierType", text=LOCAL),
        P(f"{kind}IdentifierValue", text=value),
        P(f"{kind}Role", text=role) if role else None,
    )


def _premis(writer: Any, schemas: str) -> Any:
    location = {qname(XSI, "schemaLocation"): schema_location([PREMIS], schemas)}
    return writer.element(qname(PREMIS, "premis"), {"version": "3.0", **location}, nsmap=NSMAP)


def _format(path: str) -> etree._Element:
    name, version = next(((n, v) for end, n, v in FORMATS if path.endswith(end)), ("", None))
    designation = P(
        "formatDesignation",
        None,
        P("formatName", text=name or "unknown"),
        P("formatVersion", text=version) if version else None,
    )
    return P("format", None, designation)


def _typed(kind: str) -> dict[str, str]:
    return {qname(XSI, "type"): f"premis:{kind}"}


def file_object(file: PackedFile, events: list[str], rights: str | None) -> etree._Element:
    characteristics = P(
        "objectCharacteristics",
        None,
        P("compositionLevel", text="0"),
        P(
            "fixity",
            None,
            P("messageDigestAlgorithm", text="SHA-256"),
            P("messageDigest", text=file.sha256),
            P("messageDigestOriginator", text=SOFTWARE),
        ),
        P("size", text=str(file.size)),
        _format(file.path),
    )
    relationship = None
    if file.derived_from:
        relationship = P(
            "relationship",
            None,
            P("relationshipType", text="derivation"),
            P("relationshipSubType", text="has source"),
            P(
                "relatedObjectIdentifier",
                None,
                P("relatedObjectIdentifierType", text=LOCAL),
                P("relatedObjectIdentifierValue", text=file.derived_from),
            ),
        )
    element = P(
        "object",
        _typed("file"),
        _identifier("object", file.path),
        characteristics,
        P("originalName", text=file.source) if file.source else None,
        relationship,
    )
    for event in events:
        element.append(_identifier("linkingEvent", event))
    if rights:
        element.append(_identifier("linkingRightsStatement", rights))
    return element


def _event(
    identifier: str,
    kind: str,
    moment: str,
    detail: str,
    agents: Iterable[tuple[str, str]],
    objects: Iterable[str],
    outcome: str = "success",
) -> etree._Element:
    element = P(
        "event",
        None,
        _identifier("event", identifier),
        P("eventType", text=kind),
        P("eventDateTime", text=moment),
        P("eventDetailInformation", None, P("eventDetail", text=detail)),
        P("eventOutcomeInformation", None, P("eventOutcome", text=outcome)),
    )
    for agent, role in agents:
        element.append(_identifier("linkingAgent", agent, role))
    for value in objects:
        element.append(_identifier("linkingObject", value))
    return element


def capture_event(file: PackedFile, site_id: str) -> etree._Element:
    """A record version or event as Offentlig captured it (its `created` is `captured_at`)."""
    return _event(
        capture_event_id(file),
        "capture",
        file.created,
        f"Captured from the website: {file.label or file.role}; stored at {file.source}.",
        [(SOFTWARE_AGENT, "executing program"), (site_agent(site_id), "contributor")],
        [file.path],
    )


def capture_event_id(file: PackedFile) -> str:
    return f"event/capture/{file.path}"


def fixity_event_id(representation: Representation) -> str:
    return f"event/fixity-check/{representation.name}"


def write_representation_premis(
    out: IO[bytes],
    representation: Representation,
    transfer: Transfer,
    secret: dict[str, Secret],
) -> None:
    """The representation's files, their captures, and the fixity check of the copy."""
    checked = fixity_event_id(representation)
    with xml_document(out) as writer, _premis(writer, "../../../../schemas/"):
        for file in representation.files:
            events = [checked]
            if file.role in CAPTURED:
                events.insert(0, capture_event_id(file))
            rights = secret_statement(file.unit) if file.unit in secret else None
            writer.write(file_object(file, events, rights))
        writer.write(
            _event(
                checked,
                "fixity check",
                timestamp(transfer.created),
                "Each file's SHA-256 was computed while it was copied from object storage; "
                "each sealed JSON document was checked against its own sha256, each snapshot "
                "file against its manifest.",
                [(SOFTWARE_AGENT, "executing program")],
                [],
            )
        )
        for file in representation.files:
            if file.role in CAPTURED:
                writer.write(capture_event(file, transfer.site_id))


def _agent(identifier: str, name: str, kind: str, version: str | None = None) -> etree._Element:
    return P(
        "agent",
        None,
        _identifier("agent", identifier),
        P("agentName", text=name),
        P("agentType", text=kind),
        P("agentVersion", text=version) if version else None,
    )


def _actor_agent(actor: Actor) -> etree._Element:
    """Who asked for the transfer: an operator at the command line, or an API client."""
    kind = "person" if actor.kind == "cli" else "software"
    name = f"{actor.name} ({actor.kind}{', ' + actor.id if actor.id else ''})"
    return _agent(REQUESTER_AGENT, name, kind)


def write_package_premis(
    out: IO[bytes], transfer: Transfer, representations: list[Representation]
) -> None:
    """The package as an intellectual entity, its representations, agents and its making."""
    package = _package_object(transfer)
    package.append(P("originalName", text=transfer.label))
    for representation in representations:
        package.append(_structural("includes", representation.folder))
    package.append(_identifier("linkingEvent", PACKAGE_EVENT))
    package.append(_identifier("linkingRightsStatement", PUBLIC_ACCESS))
    made = timestamp(transfer.created)
    with xml_document(out) as writer, _premis(writer, "../../schemas/"):
        writer.write(package)
        for representation in representations:
            writer.write(
                P(
                    "object",
                    _typed("representation"),
                    _identifier("object", representation.folder),
                    P("originalName", text=representation.description),
                    _structural("is part of", transfer.objid, "OBJID"),
                    _identifier("linkingEvent", PACKAGE_EVENT),
                )
            )
        writer.write(
            _event(
                PACKAGE_EVENT,
                "information package creation",
                made,
                f"Submission information package made for transfer to the e-archive: "
                f"{transfer.label}.",
                [
                    (SOFTWARE_AGENT, "executing program"),
                    (REQUESTER_AGENT, "authorizer"),
                    (AUTHORITY_AGENT, "creator"),
                ],
                [transfer.objid, *(r.folder for r in representations)],
            )
        )
        writer.write(_agent(SOFTWARE_AGENT, SOFTWARE, "software", transfer.software_version))
        writer.write(_agent(AUTHORITY_AGENT, transfer.authority, "organization"))
        writer.write(_actor_agent(transfer.requested_by))
        writer.write(
            _agent(
                site_agent(transfer.site_id),
                f"{transfer.site_name} ({transfer.site_url}), WordPress",
                "software",
            )
        )


def _structural(kind: str, value: str, identifier_type: str = LOCAL) -> etree._Element:
    return P(
        "relationship",
        None,
        P("relationshipType", text="structural"),
        P("relationshipSubType", text=kind),
        P(
            "relatedObjectIdentifier",
            None,
            P("relatedObjectIdentifierType", text=identifier_type),
            P("relatedObjectIdentifierValue", text=value),
        ),
    )


def _statute(citation: str, note: str, determined: str | None = None) -> etree._Element:
    return P(
        "statuteInformation",
        None,
        P("statuteJurisdiction", text="SE"),
        P("statuteCitation", text=citation),
        P("statuteInformationDeterminationDate", text=determined) if determined else None,
        P("statuteNote", text=note),
    )


def write_rights(
    out: IO[bytes],
    transfer: Transfer,
    secret: dict[str, Secret],
    files: Iterable[PackedFile],
) -> None:
    """Public access for the package; for each secret record, dissemination disallowed."""
    general = P(
        "rights",
        None,
        P(
            "rightsStatement",
            None,
            _identifier("rightsStatement", PUBLIC_ACCESS),
            P("rightsBasis", text="statute"),
            _statute(
                "Tryckfrihetsförordningen (1949:105) 2 kap.",
                "Allmänna handlingar: public records, open to anyone unless secrecy applies "
                "(see the statements on single records).",
            ),
            P(
                "rightsGranted",
                None,
                P("act", text="disseminate"),
                P("restriction", text="Allowed unless a record is secret"),
            ),
            _identifier("linkingObject", transfer.objid),
        ),
    )
    by_record: dict[str, list[str]] = {record_id: [] for record_id in secret}
    for file in files:
        if file.unit in by_record:
            by_record[file.unit].append(file.path)
    with xml_document(out) as writer, _premis(writer, "../../schemas/"):
        writer.write(_package_object(transfer))
        writer.write(general)
        for record_id, decision in sorted(secret.items()):
            statement = P(
                "rightsStatement",
                None,
                _identifier("rightsStatement", secret_statement(record_id)),
                P("rightsBasis", text="statute"),
                _statute(
                    "Offentlighets- och sekretesslagen (2009:400)",
                    f"Record {record_id} was decided secret by {decision.decided_by}"
                    + (f": {decision.note}" if decision.note else "."),
                    decision.decided_at[:10],
                ),
                P(
                    "rightsGranted",
                    None,
                    P("act", text="disseminate"),
                    P("restriction", text="Disallowed"),
                    P(
                        "rightsGrantedNote",
                        text="Secret (sekretess): not to be disclosed without a new secrecy "
                        "review.",
                    ),
                ),
            )
            for path in by_record[record_id]:
                statement.append(_identifier("linkingObject", path))
            writer.write(P("rights", None, statement))


def _package_object(transfer: Transfer) -> etree._Element:
    """The package the statements are about (a PREMIS document holds at least one object)."""
    return P(
        "object",
        _typed("intellectualEntity"),
        P(
            "objectIdentifier",
            None,
            P("objectIdentifierType", text="OBJID"),
            P("objectIdentifierValue", text=transfer.objid),
        ),
    )
