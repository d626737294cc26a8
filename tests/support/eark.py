"""eark-validator, offline: its four controlled vocabularies answered from local copies.

`eark_validator.ipxml.schematron` builds its vocabulary tests at import with
`urllib.request.urlopen`, which goes through urllib's global opener. An opener that knows
only those four addresses (tests/data/eark-vocabularies/, with a note of their origin) is
installed for the import and removed after it; any other address fails at once, so nothing
reaches the network.
"""

from __future__ import annotations

import email.message
import functools
import gc
import hashlib
import shutil
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.response import addinfourl

VOCABULARIES = Path(__file__).parent.parent / "data" / "eark-vocabularies"
BASE = "https://earkcsip.dilcis.eu/schema/"
NAMES = (
    "CSIPVocabularyContentCategory.xml",
    "CSIPVocabularyContentInformationType.xml",
    "CSIPVocabularyOAISPackageType.xml",
    "CSIPVocabularyStatus.xml",
)


class LocalVocabularies(urllib.request.BaseHandler):
    """Answers the DILCIS vocabulary addresses from files; refuses everything else."""

    def https_open(self, request: urllib.request.Request) -> addinfourl:
        url = request.full_url
        name = url.removeprefix(BASE)
        if not url.startswith(BASE) or name not in NAMES:
            raise urllib.error.URLError(f"offline: no local copy of {url}")
        headers = email.message.Message()
        headers["Content-Type"] = "application/xml"
        return addinfourl(VOCABULARIES.joinpath(name).open("rb"), headers, url, 200)

    http_open = https_open


@functools.cache
def validator() -> ModuleType:
    """`eark_validator.packages`, imported with the vocabularies served locally."""
    opener = urllib.request.OpenerDirector()
    opener.add_handler(LocalVocabularies())
    urllib.request.install_opener(opener)
    try:
        import eark_validator.packages as packages
    finally:
        urllib.request.install_opener(None)  # type: ignore[arg-type]
    return packages


def validate(path: Path) -> Any:
    """The validator's report on a package (a folder or a ZIP), CSIP/SIP 2.1.0. A ZIP is
    unpacked by the validator into the temporary folder under the ZIP's SHA-1; it is removed
    afterwards."""
    packages = validator()
    try:
        # It leaves METS files open (an `iterparse` it breaks out of): its leak, not ours.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            report = packages.PackageValidator(path).validation_report
            gc.collect()
        return report
    finally:
        if path.is_file():
            from eark_validator.infopacks.package_handler import PackageHandler

            sha1 = hashlib.sha1(path.read_bytes()).hexdigest().upper()  # noqa: S324 - its name
            shutil.rmtree(PackageHandler().unpack_root / sha1, ignore_errors=True)


def messages(report: Any, severity: str) -> list[str]:
    """The report's messages of one severity ("ERROR", "WARNING", "INFORMATION"), as
    `rule location: message`."""
    return [f"{r.rule_id} {r.location}: {r.message}" for r in results(report, severity)]


def results(report: Any, severity: str) -> list[Any]:
    found = list(report.structure.messages)
    if report.metadata is not None:
        found += report.metadata.schema_results.messages
        found += report.metadata.schematron_results.messages
    return [result for result in found if result.severity.name == severity]


# eark-validator 1.1.3 (its newest release, and its repository's main branch) contradicts
# itself for every SIP: CSIP 2.1 (CSIP10–16) wants the software that made the package as an
# agent with ROLE="CREATOR" whose one note is `csip:NOTETYPE="SOFTWARE VERSION"`, while its SIP
# rule SIP14 (context `metsHdr/agent[@ROLE='CREATOR']/note`, test `@NOTETYPE =
# 'IDENTIFICATIONCODE'`, no namespace) asks every note of every CREATOR agent for an
# unqualified NOTETYPE="IDENTIFICATIONCODE", an attribute the METS schema does not allow on a
# note. No package meets both (test_sip.py shows either way out failing); this is the one error
# it reports on a transfer, at the software agent's note, and nothing else is allowed.
SOFTWARE_AGENT_NOTE = (
    "/*[local-name()='mets' and namespace-uri()='http://www.loc.gov/METS/']"
    "/*[local-name()='metsHdr' and namespace-uri()='http://www.loc.gov/METS/']"
    "/*[local-name()='agent' and namespace-uri()='http://www.loc.gov/METS/'][1]"
    "/*[local-name()='note' and namespace-uri()='http://www.loc.gov/METS/']"
)


def contradiction_only(report: Any) -> bool:
    """Whether the report's only error is SIP14 at the software agent's note."""
    errors = results(report, "ERROR")
    return [r.rule_id for r in errors] == ["SIP14"] and errors[0].location.endswith(
        SOFTWARE_AGENT_NOTE
    )
