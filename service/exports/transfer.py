"""The e-archive transfer (leverans till e-arkiv): asking for one, and making it.

A transfer is a SIP (FGS Paketstruktur 2.0 = E-ARK CSIP 2.1 + SIP 2.1, `service/exports/
sip/`) of one site's records drawn up or received in a period — every version and status
event as stored, their HTML renderings, the site's snapshots of the period — with METS,
PREMIS and EAD3. It is an export like a disclosure: its document is in the exports register
(`authority/exports/{id}/`, rebuilt by `reindex`), its job makes the ZIP, both are audited.

An archive keeps everything: records decided secret are **included and marked** (EAD
`audience="internal"` with an access restriction, a PREMIS rights statement that disallows
dissemination), never silently dropped. So asking for a transfer needs the `admin` scope and
the scopes to read everything it holds: `records:read` and `records:read-secret`, and
`records:read-personal` when the commenters' personal data is to go along.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from datetime import date
from typing import IO, TYPE_CHECKING, Any

from service.auth.actor import Actor
from service.auth.tokens import ADMIN, READ, READ_PERSONAL, READ_SECRET
from service.errors import Forbidden, InvalidInput, NotFound
from service.exports.asking import Requester
from service.exports.disclosure import Progress
from service.exports.register import SIP, file_key
from service.exports.sip.context import Transfer
from service.exports.sip.package import build_sip
from service.exports.sip.selection import Period, Selection
from service.exports.sip.target import ZipTarget
from service.jobs.model import Job
from service.snapshots.settings import software_version

if TYPE_CHECKING:
    from collections.abc import Callable

    from service.services import Services

ZIP_TYPE = "application/zip"


@dataclass(frozen=True)
class Authority:
    """The archival creator (arkivbildare) the transfer names: `OFFENTLIG_AUTHORITY_NAME`
    (else the site's name) and `OFFENTLIG_AUTHORITY_ID`, its organisation number."""

    name: str
    identification_code: str | None

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Authority:
        return cls(str(config.get("AUTHORITY_NAME") or ""), config.get("AUTHORITY_ID") or None)


def request_transfer(
    svc: Services,
    requester: Requester,
    options: dict[str, Any],
    authority: Authority,
    request_id: str | None = None,
) -> tuple[dict[str, Any], Job]:
    """Check a transfer request (`SipRequestSchema`, loaded) and queue it; nothing is written
    unless all of it holds."""
    personal = bool(options.get("personal_data"))
    needed = [ADMIN, READ, READ_SECRET] + ([READ_PERSONAL] if personal else [])
    missing = [scope for scope in needed if scope not in requester.scopes]
    if missing:
        field = "personal_data" if missing == [READ_PERSONAL] else "scopes"
        raise Forbidden(
            "An e-archive transfer holds every record of the period, secret ones too: it "
            f"needs the scopes {', '.join(map(repr, needed))}.",
            errors={field: [f"Missing: {', '.join(missing)}."]},
        )
    site_id = str(options["site"])
    site = _site(svc, requester, site_id)
    first, last = options["first_day"], options["last_day"]
    if last < first:
        raise InvalidInput(errors={"to": ["Must not be before `from`."]})
    selection = Selection(svc.engine, site_id, Period(first, last), svc.zone)
    if not selection.count() and not selection.snapshots():
        nothing = f"Site {site_id} has no records or snapshots from {first} to {last}."
        raise InvalidInput(errors={"from": [nothing], "to": [nothing]})
    request = {
        "site_id": site_id,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "personal_data": personal,
        "submission_agreement": options.get("submission_agreement"),
        "reference_code": options.get("reference_code"),
        "authority": {
            "name": authority.name or site.name,
            "identification_code": authority.identification_code,
        },
    }
    access = {"site_id": site_id, "scopes": sorted(needed)}
    return svc.exports.request(SIP, request, access, actor=requester.actor, request_id=request_id)


def _site(svc: Services, requester: Requester, site_id: str) -> Any:
    """The site, for a caller who may see it; else a 422 naming `site`."""
    try:
        if requester.site_id not in (None, site_id):
            raise NotFound()
        return svc.snapshots.site(site_id)
    except NotFound:
        raise InvalidInput(errors={"site": [f"No site {site_id!r}."]}) from None


def objid(export_id: str) -> str:
    """The package's id: its METS OBJID, the name of its root folder and of its ZIP."""
    return f"offentlig-sip-{export_id}"


def build(
    svc: Services,
    document: dict[str, Any],
    *,
    progress: Progress,
    stop_point: Callable[[], None],
    actor: Actor,
) -> dict[str, Any]:
    """Make the transfer `document` asks for, into a local temporary file, then store it;
    its result (the stored ZIP's key, size and SHA-256, the METS.xml's SHA-256, counts)."""
    request = document["request"]
    export_id = str(document["id"])
    site = svc.snapshots.site(request["site_id"])
    period = Period(date.fromisoformat(request["from"]), date.fromisoformat(request["to"]))
    transfer = Transfer(
        objid=objid(export_id),
        created=svc.clock(),
        software_version=software_version(),
        authority=request["authority"]["name"],
        authority_id=request["authority"]["identification_code"],
        site_id=site.id,
        site_name=site.name,
        site_url=site.url,
        first_day=period.first_day,
        last_day=period.last_day,
        requested_by=Actor.from_dict(document["recorded_by"]),
        zone=svc.zone,
        submission_agreement=request.get("submission_agreement"),
        reference_code=request.get("reference_code"),
    )
    selection = Selection(svc.engine, site.id, period, svc.zone)
    name = f"{transfer.objid}.zip"
    key = file_key(export_id, name)
    with tempfile.TemporaryFile(prefix="offentlig-sip-") as spool:
        built = build_sip(
            svc.storage,
            selection,
            transfer,
            ZipTarget(spool, transfer.objid),
            personal_data=bool(request["personal_data"]),
            progress=progress,
            stop=stop_point,
        )
        size = spool.tell()
        spool.seek(0)
        hashing = _Hashing(spool)
        svc.storage.put_stream(key, hashing, content_type=ZIP_TYPE, size=size)  # type: ignore[arg-type]
    if request["personal_data"]:
        svc.audit.record(
            "read-personal-data",
            export_id,
            actor=actor,
            details={"export": SIP, "records": built.counts["records"]},
        )
    return {
        "file": {"key": key, "name": name, "size": size, "sha256": hashing.hexdigest()},
        "objid": transfer.objid,
        "mets_sha256": built.mets_sha256,
        "counts": built.counts,
    }


class _Hashing:
    """Reads through to `stream`, hashing what passes: the ZIP is read once, to upload it."""

    def __init__(self, stream: IO[bytes]):
        self.stream = stream
        self.digest = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.stream.read(n)
        self.digest.update(data)
        return data

    def hexdigest(self) -> str:
        return self.digest.hexdigest()
