"""The package's documentation (`documentation/README.txt`) and its XML schemas (`schemas/`).

The README says, in Swedish and English, what the package holds and how anyone can check
it with common tools; the schemas are the copies shipped in `service/exports/sip/schemas/`
(their origin is in the README there), so every XML file can be validated offline.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources

from service.exports.sip.context import Transfer
from service.exports.sip.xml import SCHEMA_FILES

README = "documentation/README.txt"


def schema_files() -> Iterator[tuple[str, bytes]]:
    """(package path, bytes) of every schema the package's XML files name."""
    folder = resources.files("service.exports.sip").joinpath("schemas")
    for name in sorted(set(SCHEMA_FILES.values())):
        yield f"schemas/{name}", folder.joinpath(name).read_bytes()


def readme(transfer: Transfer, counts: dict[str, int]) -> str:
    period = f"{transfer.first_day.isoformat()} – {transfer.last_day.isoformat()}"
    return f"""\
{transfer.objid}
{"=" * len(transfer.objid)}

SVENSKA

Leveranspaket (SIP) enligt FGS Paketstruktur 2.0 (E-ARK CSIP 2.1 och SIP 2.1) från
Offentlig {transfer.software_version}.

Arkivbildare: {transfer.authority}
Webbplats:    {transfer.site_name} ({transfer.site_url})
Period:       {period} (handlingar upprättade eller inkomna dessa dagar, {transfer.zone.key})
Innehåll:     {counts.get("records", 0)} handlingar, {counts.get("versions", 0)} versioner, \
{counts.get("events", 0)} händelser, {counts.get("snapshots", 0)} ögonblicksbilder

METS.xml                          paketets struktur; varje fil med storlek och SHA-256
metadata/descriptive/ead.xml      arkivbeskrivning (EAD3), en post per handling
metadata/preservation/premis.xml  bevarandemetadata (PREMIS 3): paketet, agenter, händelser
metadata/preservation/rights.xml  rättigheter: offentlighet, och sekretess för enskilda handlingar
representations/records/          handlingarna som de lagrats (JSON): versioner, händelser,
                                  sekretessprövningar och registreringar
representations/html/             varje version som en fristående HTML-sida
representations/snapshots/        webbplatsens ögonblicksbilder (WARC 1.1, CDXJ, manifest)
schemas/                          XML-scheman för filerna ovan

Handlingar som beslutats vara sekretessbelagda finns med men är markerade: i ead.xml
(audience="internal" och <accessrestrict>) och i rights.xml (spridning ej tillåten).

Kontroll: SHA-256 för varje fil står i METS.xml (CHECKSUM) och i PREMIS (fixity), t.ex.
  sha256sum representations/records/data/posts/1/versions/0000000001.json
Varje JSON-dokument bär också sin egen sha256 (RFC 8785), som Offentligs
tamper-evident log och `offentlig verify-proof` kan styrka.

ENGLISH

Submission information package (SIP) following FGS Paketstruktur 2.0 (E-ARK CSIP 2.1 and
SIP 2.1), made by Offentlig {transfer.software_version} for {transfer.authority}: the records
the website {transfer.site_url} published or received from {period}, every version and
status event as captured, their HTML renderings, and the website's snapshots of the period.
Records decided secret are included and marked (ead.xml: audience="internal" with an
access restriction; rights.xml: dissemination disallowed). Every file's SHA-256 is in
METS.xml and in PREMIS; check any file with `sha256sum`.
"""
