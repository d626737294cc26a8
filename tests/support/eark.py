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
import urllib.error
import urllib.request
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
    """The validator's report on a package (a folder or a ZIP), CSIP/SIP 2.1.0."""
    return validator().PackageValidator(path).validation_report


def messages(report: Any, severity: str) -> list[str]:
    """The report's messages of one severity ("ERROR", "WARNING", "INFORMATION"), as
    `rule location: message`."""
    found = list(report.structure.messages)
    if report.metadata is not None:
        found += report.metadata.schema_results.messages
        found += report.metadata.schematron_results.messages
    return [
        f"{result.rule_id} {result.location}: {result.message}"
        for result in found
        if result.severity.name == severity
    ]
