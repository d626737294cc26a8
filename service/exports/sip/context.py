"""What every part of a SIP needs to know about the transfer it belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo

from service.auth.actor import Actor
from service.exports.sip.target import Spool

PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
SOFTWARE = "Offentlig"
# CSIP's content information types (ERMS, SIARD, …) do not cover web records: OTHER, named.
CONTENT_INFORMATION_TYPE = "Offentlig records (offentlig.record-version/1)"
# The rights statement every file is under (PREMIS, rights.xml), and each secret record's.
PUBLIC_ACCESS = "rights/public-access"


def secret_statement(record_id: str) -> str:
    return f"rights/secret/{record_id}"


@dataclass(frozen=True)
class Secret:
    """A record decided secret: what the description and the rights statement say of it."""

    record_id: str
    decided_at: str  # xs:dateTime
    decided_by: str
    note: str | None


@dataclass(frozen=True)
class Transfer:
    """The transfer a package holds: whose, what, when, by whom."""

    objid: str  # the package's id and its root folder's name
    created: datetime
    software_version: str
    authority: str  # the archival creator (arkivbildare)
    authority_id: str | None  # its identification code (organisationsnummer)
    site_id: str
    site_name: str
    site_url: str
    first_day: date
    last_day: date
    requested_by: Actor
    zone: ZoneInfo  # local days: the period's and each record's date
    submission_agreement: str | None = None
    reference_code: str | None = None

    @property
    def label(self) -> str:
        return (
            f"{self.site_name} ({self.site_url}): records of "
            f"{self.first_day.isoformat()} – {self.last_day.isoformat()}"
        )


@dataclass
class Representation:
    """One representation of the content: its folder, its CSIP content category, and the
    files written into its `data/` folder so far."""

    name: str  # "records" | "html" | "snapshots": the folder under representations/
    category: str  # CSIP ContentCategory: Datasets, Textual works – Digital, Websites
    description: str
    files: Spool

    @property
    def folder(self) -> str:
        return f"representations/{self.name}"

    def path(self, *parts: str) -> str:
        return str(PurePosixPath(self.folder, *parts))
