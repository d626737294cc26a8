"""The transfer's archival description, `metadata/descriptive/ead.xml` (EAD3).

One series — the records a website published in the period — with one item per record:
its register entry (OSL 5:2: date, case number or identifier, sender of a received
document, what it concerns), its kind and origin, how many versions it has, and where its
files are. A record decided secret is kept and marked: the item is `audience="internal"`
and carries an access restriction naming the decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any
from zoneinfo import ZoneInfo

from lxml import etree

from service.exports.sip.context import SOFTWARE, Secret, Transfer
from service.exports.sip.selection import record_folder
from service.exports.sip.xml import EAD, XSI, Maker, qname, schema_location, timestamp, xml_document
from service.records.register_entry import register_entry

NSMAP: dict[str | None, str] = {None: EAD, "xsi": XSI}
E = Maker(EAD, NSMAP)
ORIGINS = {"drawn_up": "Upprättad handling (drawn up)", "received": "Inkommen handling (received)"}


@dataclass(frozen=True)
class RecordEntry:
    """A record as the description shows it (from its index row, a projection of storage)."""

    record_id: str
    kind: str
    origin: str
    folder: str  # where its files are in a representation's data/, e.g. "posts/1"
    date: str  # YYYY-MM-DD, local: the day it was drawn up (published) or received
    subject: str
    sender: str | None
    case_number: str | None
    versions: int
    status: str
    secret: Secret | None


def entry_of(row: Any, versions: int, secret: Secret | None, zone: ZoneInfo) -> RecordEntry:
    """A record's entry, from its index row and what the package holds of it."""
    entry = register_entry(row._mapping)
    return RecordEntry(
        record_id=row.id,
        kind=row.kind,
        origin=row.origin,
        folder=record_folder(row),
        date=entry["date"].astimezone(zone).date().isoformat(),
        subject=entry["subject"],
        sender=entry["sender"],
        case_number=row.case_number,
        versions=versions,
        status=row.status,
        secret=secret,
    )


def _item(entry: RecordEntry) -> etree._Element:
    unitids = [E("unitid", {"localtype": "record-id"}, text=entry.record_id)]
    if entry.case_number:
        unitids.insert(0, E("unitid", {"localtype": "case-number"}, text=entry.case_number))
    did = E(
        "did",
        None,
        *unitids,
        E("unittitle", text=entry.subject or entry.record_id),
        E(
            "unitdatestructured",
            None,
            E("datesingle", {"standarddate": entry.date}, text=entry.date),
        ),
        E(
            "origination",
            None,
            E("persname", None, E("part", text=entry.sender)),
        )
        if entry.sender
        else None,
        E(
            "didnote",
            None,
            text=f"{ORIGINS.get(entry.origin, entry.origin)}; {entry.kind}; status "
            f"{entry.status}; {entry.versions} version(s); files: representations/records/"
            f"data/{entry.folder}/ and representations/html/data/{entry.folder}/",
        ),
    )
    item = E("c", {"level": "item", "id": _xml_id(entry.record_id)}, did)
    if entry.secret is not None:
        item.set("audience", "internal")
        decision = entry.secret
        text = (
            f"Sekretess (secret): decided {decision.decided_at} by {decision.decided_by}"
            + (f": {decision.note.rstrip('.')}." if decision.note else ".")
            + " Offentlighets- och sekretesslagen (2009:400). Not to be disclosed without a "
            "new secrecy review."
        )
        item.append(E("accessrestrict", None, E("head", text="Sekretess"), E("p", text=text)))
    return item


def _xml_id(record_id: str) -> str:
    """An xs:ID (NCName): record ids start with a digit and may hold no other character EAD
    refuses (letters, digits, dots)."""
    return f"record-{record_id}"


def write_ead(
    out: IO[bytes], transfer: Transfer, records: Iterable[RecordEntry], counts: dict[str, int]
) -> None:
    made = timestamp(transfer.created)
    control = E(
        "control",
        None,
        E("recordid", text=transfer.objid),
        E("filedesc", None, E("titlestmt", None, E("titleproper", text=transfer.label))),
        E("maintenancestatus", {"value": "new"}),
        E("maintenanceagency", None, E("agencyname", text=transfer.authority)),
        E(
            "maintenancehistory",
            None,
            E(
                "maintenanceevent",
                None,
                E("eventtype", {"value": "created"}),
                E("eventdatetime", {"standarddatetime": made}, text=made),
                E("agenttype", {"value": "machine"}),
                E("agent", text=f"{SOFTWARE} {transfer.software_version}"),
            ),
        ),
    )
    first, last = transfer.first_day.isoformat(), transfer.last_day.isoformat()
    did = E(
        "did",
        None,
        E("unitid", text=transfer.objid),
        E("unittitle", text=transfer.label),
        E(
            "unitdatestructured",
            None,
            E(
                "daterange",
                None,
                E("fromdate", {"standarddate": first}, text=first),
                E("todate", {"standarddate": last}, text=last),
            ),
        ),
        E("origination", None, E("corpname", None, E("part", text=transfer.authority))),
        E(
            "physdescstructured",
            {"coverage": "whole", "physdescstructuredtype": "materialtype"},
            E("quantity", text=str(counts.get("records", 0))),
            E("unittype", text="records"),
        ),
    )
    scope = E(
        "scopecontent",
        None,
        E(
            "p",
            text=f"Posts, pages and comments published on {transfer.site_url} "
            f"(drawn up or received from {first} to {last}), every version and status event "
            f"as captured, their HTML renderings, and the website's snapshots (WARC) of the "
            f"period: {counts.get('records', 0)} records, {counts.get('versions', 0)} "
            f"versions, {counts.get('snapshots', 0)} snapshots.",
        ),
    )
    secret = counts.get("secret", 0)
    access = E(
        "accessrestrict",
        None,
        E(
            "p",
            text=(
                f"{secret} record(s) are secret (sekretess) and marked so below."
                if secret
                else "No record in this transfer is marked secret."
            ),
        ),
    )
    location = {qname(XSI, "schemaLocation"): schema_location([EAD], "../../schemas/")}
    with (
        xml_document(out) as writer,
        writer.element(qname(EAD, "ead"), location, nsmap=NSMAP),
    ):
        writer.write(control)
        with writer.element(qname(EAD, "archdesc"), {"level": "series"}):
            writer.write(did)
            writer.write(scope)
            writer.write(access)
            with writer.element(qname(EAD, "dsc")):
                for entry in records:
                    writer.write(_item(entry))
