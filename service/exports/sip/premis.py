"""PREMIS 3.0 preservation metadata of a SIP.

- The package's `metadata/preservation/premis.xml`: the package as an intellectual entity,
  its representations, the agents (Offentlig, the authority, who asked, the website) and
  the event that made the package.
- `metadata/preservation/rights.xml` (`rights.py`): the rights statements.
- Each representation's `metadata/preservation/premis.xml`: every file with its SHA-256
  (fixity), size and format, the storage key it came from, what it was rendered from; each
  record version's and event's capture; the fixity check made while the files were copied.

Identifiers are `local` and readable: a file's is its path in the package.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from lxml import etree

from service.auth.actor import Actor
from service.exports.sip.context import (
    PUBLIC_ACCESS,
    SOFTWARE,
    Representation,
    Secret,
    Transfer,
    secret_statement,
)
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


def site_agent(site_id: str) -> str:
    return f"agent/site/{site_id}"


def identifier(kind: str, value: str, role: str | None = None) -> etree._Element:
    """`{kind}Identifier` with its type and value (and `{kind}Role` for links)."""
    return P(
        f"{kind}Identifier",
        None,
        P(f"{kind}IdentifierType", text=LOCAL),
        P(f"{kind}IdentifierValue", text=value),
        P(f"{kind}Role", text=role) if role else None,
    )


def premis_document(writer: Any, schemas: str) -> Any:
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


def typed(kind: str) -> dict[str, str]:
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
        typed("file"),
        identifier("object", file.path),
        characteristics,
        P("originalName", text=file.source) if file.source else None,
        relationship,
    )
    for event in events:
        element.append(identifier("linkingEvent", event))
    if rights:
        element.append(identifier("linkingRightsStatement", rights))
    return element


def _event(
    event_id: str,
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
        identifier("event", event_id),
        P("eventType", text=kind),
        P("eventDateTime", text=moment),
        P("eventDetailInformation", None, P("eventDetail", text=detail)),
        P("eventOutcomeInformation", None, P("eventOutcome", text=outcome)),
    )
    for agent, role in agents:
        element.append(identifier("linkingAgent", agent, role))
    for value in objects:
        element.append(identifier("linkingObject", value))
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
    with xml_document(out) as writer, premis_document(writer, "../../../../schemas/"):
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


def _agent(agent_id: str, name: str, kind: str, version: str | None = None) -> etree._Element:
    return P(
        "agent",
        None,
        identifier("agent", agent_id),
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
    package = package_object(transfer)
    package.append(P("originalName", text=transfer.label))
    for representation in representations:
        package.append(_structural("includes", representation.folder))
    package.append(identifier("linkingEvent", PACKAGE_EVENT))
    package.append(identifier("linkingRightsStatement", PUBLIC_ACCESS))
    made = timestamp(transfer.created)
    with xml_document(out) as writer, premis_document(writer, "../../schemas/"):
        writer.write(package)
        for representation in representations:
            writer.write(
                P(
                    "object",
                    typed("representation"),
                    identifier("object", representation.folder),
                    P("originalName", text=representation.description),
                    _structural("is part of", transfer.objid, "OBJID"),
                    identifier("linkingEvent", PACKAGE_EVENT),
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


def package_object(transfer: Transfer) -> etree._Element:
    """The package the statements are about (a PREMIS document holds at least one object)."""
    return P(
        "object",
        typed("intellectualEntity"),
        P(
            "objectIdentifier",
            None,
            P("objectIdentifierType", text="OBJID"),
            P("objectIdentifierValue", text=transfer.objid),
        ),
    )
