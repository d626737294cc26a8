"""Rights in a SIP, `metadata/preservation/rights.xml` (PREMIS 3.0 rights statements).

Public access under the Freedom of the Press Act (Tryckfrihetsförordningen 2 kap.) for the
whole package; for every record decided secret a statement under the Public Access to
Information and Secrecy Act (Offentlighets- och sekretesslagen) that disallows disseminating
it, linked to each of its files. The package's METS names the file in its `rightsMD`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from lxml import etree

from service.exports.sip.context import PUBLIC_ACCESS, Secret, Transfer, secret_statement
from service.exports.sip.premis import P, identifier, package_object, premis_document
from service.exports.sip.target import PackedFile
from service.exports.sip.xml import xml_document


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
            identifier("rightsStatement", PUBLIC_ACCESS),
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
            identifier("linkingObject", transfer.objid),
        ),
    )
    by_record: dict[str, list[str]] = {record_id: [] for record_id in secret}
    for file in files:
        if file.unit in by_record:
            by_record[file.unit].append(file.path)
    with xml_document(out) as writer, premis_document(writer, "../../schemas/"):
        writer.write(package_object(transfer))
        writer.write(general)
        for record_id, decision in sorted(secret.items()):
            statement = P(
                "rightsStatement",
                None,
                identifier("rightsStatement", secret_statement(record_id)),
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
                statement.append(identifier("linkingObject", path))
            writer.write(P("rights", None, statement))
