"""The XML vocabularies of a SIP, and writing XML documents element by element.

Documents are written with lxml's incremental writer (`etree.xmlfile`): the element that
holds thousands of files or objects is opened, each child is built as a small tree and
written at once, so memory stays flat however many records a package holds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, Any

from lxml import etree

METS = "http://www.loc.gov/METS/"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CSIP = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
PREMIS = "http://www.loc.gov/premis/v3"
EAD = "http://ead3.archivists.org/schema/"

# Where each vocabulary's schema is in the package's `schemas/` folder.
SCHEMA_FILES = {
    METS: "mets1_12.xsd",
    XLINK: "xlink.xsd",
    CSIP: "DILCISExtensionMETS.xsd",
    SIP: "DILCISExtensionSIPMETS.xsd",
    PREMIS: "premis-v3-0.xsd",
    EAD: "ead3.xsd",
}


def qname(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def timestamp(moment: datetime) -> str:
    """xs:dateTime in UTC, to the second: what METS, PREMIS and EAD all accept."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def schema_location(namespaces: list[str], schemas: str) -> str:
    """`xsi:schemaLocation` naming the copies in the package (`schemas` is the relative path
    from the document to the package's `schemas/` folder)."""
    return " ".join(f"{ns} {schemas}{SCHEMA_FILES[ns]}" for ns in namespaces)


class Maker:
    """Builds elements of one namespace: `m("file", {"ID": "f1"}, child, text="…")`.

    Each element carries the document's prefixes (`nsmap`), so a subtree written on its own
    by the incremental writer declares `mets:`, `premis:`, … and not `ns0:`."""

    def __init__(self, namespace: str, nsmap: dict[str | None, str]):
        self.namespace = namespace
        self.nsmap = nsmap

    def __call__(
        self,
        name: str,
        attributes: Mapping[str, str | None] | None = None,
        *children: etree._Element | None,
        text: str | None = None,
    ) -> etree._Element:
        element = etree.Element(qname(self.namespace, name), nsmap=self.nsmap)
        for key, value in (attributes or {}).items():
            if value is not None:
                element.set(key, value)
        if text is not None:
            element.text = text
        for child in children:
            if child is not None:
                element.append(child)
        return element


@contextmanager
def xml_document(stream: IO[bytes]) -> Iterator[Any]:
    """An incremental writer on `stream`, with the XML declaration written."""
    with etree.xmlfile(stream, encoding="utf-8") as writer:
        writer.write_declaration()
        yield writer
