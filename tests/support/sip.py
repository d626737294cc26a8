"""Reading a SIP back, independently of the code that wrote it: its METS files, what they
name, and the XML schemas it ships."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

NS = {
    "mets": "http://www.loc.gov/METS/",
    "xlink": "http://www.w3.org/1999/xlink",
    "premis": "http://www.loc.gov/premis/v3",
    "ead": "http://ead3.archivists.org/schema/",
    "csip": "https://DILCIS.eu/XML/METS/CSIPExtensionMETS",
}
HREF = "{http://www.w3.org/1999/xlink}href"
SCHEMAS = {"mets": "mets1_12.xsd", "premis": "premis-v3-0.xsd", "ead": "ead3.xsd"}


@dataclass(frozen=True)
class Named:
    """A file a METS document names: where, and the size and SHA-256 it states."""

    path: Path
    size: int
    sha256: str
    mimetype: str


def named_files(mets: Path) -> list[Named]:
    """Every file and metadata file `mets` names (`file/FLocat` and `mdRef`), relative to it."""
    tree = etree.parse(str(mets))
    found = []
    for element in tree.iterfind(".//mets:file", NS):
        [location] = element.findall("mets:FLocat", NS)
        found.append(_named(mets, element, location.get(HREF)))
    for element in tree.iterfind(".//mets:mdRef", NS):
        found.append(_named(mets, element, element.get(HREF)))
    return found


def _named(mets: Path, element: Any, href: str) -> Named:
    assert element.get("CHECKSUMTYPE") == "SHA-256"
    return Named(
        mets.parent / href,
        int(element.get("SIZE")),
        element.get("CHECKSUM"),
        element.get("MIMETYPE"),
    )


def every_named_file(root: Path) -> dict[Path, Named]:
    """The package's METS and every representation METS it points to, followed down."""
    found: dict[Path, Named] = {}
    pending = [root / "METS.xml"]
    while pending:
        mets = pending.pop()
        for named in named_files(mets):
            found[named.path.resolve()] = named
            if named.path.name == "METS.xml":
                pending.append(named.path)
    return found


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def schema_errors(root: Path) -> dict[str, list[str]]:
    """Every XML file in the package checked against the schema the package ships for it."""
    schemas = {
        name: etree.XMLSchema(etree.parse(str(root / "schemas" / file)))
        for name, file in SCHEMAS.items()
    }
    errors = {}
    for path in sorted(root.rglob("*.xml")):
        document = etree.parse(str(path))
        schema = schemas[etree.QName(document.getroot()).localname]
        if not schema.validate(document):
            errors[str(path.relative_to(root))] = [str(e) for e in schema.error_log]
    return errors
