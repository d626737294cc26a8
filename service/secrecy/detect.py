"""Find content that may be secret: Swedish identity numbers and words from a list.

A finding only puts a record in the review queue (DOMAIN rule 5), so the detector leans
towards flagging: a false alarm costs a reviewer a glance, a miss may publish what the law
protects. Give it plain text: HTML tags stripped and entities unescaped.

Identity numbers are personnummer and samordningsnummer (day of birth + 60), written as

    YYMMDD-NNNN   YYMMDD+NNNN   YYMMDDNNNN   YYMMDD NNNN
    YYYYMMDD-NNNN   YYYYMMDDNNNN   YYYYMMDD NNNN

where "-" may also be a dash a word processor put in its place (– ‑ −) and the space may be
a no-break space. The space forms are accepted because people type them; a number counts only
if its Luhn check passes and its date is real, which keeps dates and times such as
"20240315 1430" out nine times in ten. A four-digit year is 18xx, 19xx or 20xx, and takes no
"+": the "+" only says which century a ten-digit number means. Digits glued to a longer number
(more digits, or digits joined by "-" or "+") are never a match.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterable
from datetime import date

from service.secrecy.terms import DEFAULT_TERMS, TermList


class IdentityKind(enum.StrEnum):
    PERSONNUMMER = "personnummer"
    SAMORDNINGSNUMMER = "samordningsnummer"  # coordination number: day of birth + 60


class Reason(enum.StrEnum):
    PERSONNUMMER = "personnummer"
    SAMORDNINGSNUMMER = "samordningsnummer"
    TERM = "term"


class DocumentField(enum.StrEnum):
    TITLE = "title"
    TEXT = "text"


@dataclasses.dataclass(frozen=True, slots=True)
class IdentityNumberHit:
    """One identity number in a text; its repr leaves the number out, in case it is logged."""

    start: int
    end: int
    text: str = dataclasses.field(repr=False)
    normalised: str = dataclasses.field(repr=False)  # YYYYMMDDNNNN, century resolved
    kind: IdentityKind

    @property
    def masked(self) -> str:
        return _DIGIT.sub("X", self.text)


@dataclasses.dataclass(frozen=True, slots=True)
class Finding:
    """Why a document may be secret; stored in review documents, so never the number itself."""

    reason: Reason
    field: DocumentField
    match: str  # identity numbers masked ("XXXXXX-XXXX"); for terms, the words as written
    start: int
    end: int
    term: str | None = None


_DIGIT = re.compile(r"[0-9]")
_HYPHENS = r"\-\u2010\u2011\u2012\u2013\u2212"
_SPACES = r"\x20\u00a0"
# Starts with a plain digit class so that the engine can skip straight to the next digit;
# the boundary before the number is therefore checked just after its first digit.
_IDENTITY_NUMBER = re.compile(
    rf"""
    (?P<date>                                               # YYMMDD or CCYYMMDD
        [0-9] (?<!\w[0-9]) (?<![0-9][+{_HYPHENS}][0-9])
        [0-9]{{5}} (?:[0-9]{{2}})?
    )
    (?P<sep>[+{_HYPHENS}{_SPACES}])?
    (?P<serial>[0-9]{{4}})                                  # three digits and the check digit
    (?!\w) (?![+{_HYPHENS}][0-9])
    """,
    re.VERBOSE,
)
_CENTURIES = frozenset({"18", "19", "20"})
_COORDINATION_OFFSET = 60


def find_identity_numbers(text: str, *, today: date | None = None) -> list[IdentityNumberHit]:
    """Valid personnummer and samordningsnummer in `text`, in order.

    A ten-digit number belongs to someone at most 99 years old on `today` (default: the
    current date), or at least 100 if written with "+".
    """
    today = today or date.today()
    # A candidate that fails cannot hide one that passes: the boundaries leave no room for a
    # second candidate to start inside the first, so one pass is enough.
    return [hit for m in _IDENTITY_NUMBER.finditer(text) if (hit := _hit(m, today)) is not None]


def mask_identity_numbers(text: str, *, today: date | None = None) -> str:
    """`text` with every digit of each identity number replaced by "X", separators kept."""
    parts = []
    last = 0
    for hit in find_identity_numbers(text, today=today):
        parts += [text[last : hit.start], hit.masked]
        last = hit.end
    parts.append(text[last:])
    return "".join(parts)


class Detector:
    """Scans a document's title and text for identity numbers and for words from a list."""

    def __init__(self, terms: Iterable[str] = DEFAULT_TERMS) -> None:
        self._terms = TermList(terms)

    @property
    def terms(self) -> tuple[str, ...]:
        return self._terms.terms

    def scan(self, title: str, text: str, *, today: date | None = None) -> list[Finding]:
        """Findings in the title, then in the text, each in order of position."""
        today = today or date.today()
        return self._scan(DocumentField.TITLE, title, today) + self._scan(
            DocumentField.TEXT, text, today
        )

    def _scan(self, part: DocumentField, content: str, today: date) -> list[Finding]:
        findings = [
            Finding(Reason(hit.kind), part, hit.masked, hit.start, hit.end)
            for hit in find_identity_numbers(content, today=today)
        ]
        findings += [
            Finding(Reason.TERM, part, hit.text, hit.start, hit.end, hit.term)
            for hit in self._terms.find(content)
        ]
        return sorted(findings, key=lambda finding: finding.start)


def _hit(m: re.Match[str], today: date) -> IdentityNumberHit | None:
    written_date, separator = m["date"], m["sep"]
    ten_digits = written_date[-6:] + m["serial"]
    if not _luhn_valid(ten_digits):
        return None
    yy, month, day = int(ten_digits[0:2]), int(ten_digits[2:4]), int(ten_digits[4:6])
    kind = IdentityKind.PERSONNUMMER
    if day > _COORDINATION_OFFSET:
        kind = IdentityKind.SAMORDNINGSNUMMER
        day -= _COORDINATION_OFFSET
    if len(written_date) == 8:
        if written_date[:2] not in _CENTURIES or separator == "+":
            return None
        year = int(written_date[:4])
    else:
        year = today.year - (today.year - yy) % 100
        if (year, month, day) > (today.year, today.month, today.day):
            year -= 100
        if separator == "+":
            year -= 100
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    if born > today:
        return None
    return IdentityNumberHit(m.start(), m.end(), m.group(), f"{year // 100}{ten_digits}", kind)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, digit in enumerate(digits):
        product = int(digit) * (2 - index % 2)
        total += product - 9 if product > 9 else product
    return total % 10 == 0
