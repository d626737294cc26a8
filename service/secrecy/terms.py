"""Word lists: words in a document that suggest it may be secret.

Terms match case-insensitively and as whole words, and å, ä and ö are letters like any other:
`år` never matches inside "bår", and `ar` never matches "år". A trailing `*` makes a term a
prefix (`diagnos*` matches "diagnosen" but not "prediagnos"); a term of several words matches
them separated by any run of whitespace, line breaks included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

DEFAULT_TERMS: tuple[str, ...] = (
    "diagnos*",
    "sjukdom*",
    "sjukskriv*",
    "psykiatri*",
    "missbruk*",
    "socialtjänst*",
    "försörjningsstöd*",
    "ekonomiskt bistånd*",
    "orosanmäl*",
    "omhänderta*",
    "LSS",
    "LVU",
    "LVM",
    # Not `journal*`, which would flag every "journalist".
    "patientjournal*",
    "journalanteckning*",
    "skyddad identitet",
    "skyddade personuppgifter",
    "sekretessmarkering*",
)
"""A short starting point, mostly from health care and social services (OSL 25 and 26 kap.).

Deliberately short: every term costs reviewers time on false alarms, and what signals secrecy
differs between a municipality, a region and a state agency, so each authority configures its
own list and uses this one only until it has.
"""


@dataclass(frozen=True, slots=True)
class TermHit:
    start: int
    end: int
    text: str
    term: str


@dataclass(frozen=True, slots=True)
class _Term:
    text: str  # as configured
    anchor: str  # its first word in lower case: every match starts with it
    pattern: re.Pattern[str]  # the whole term, matched against lower-cased text


class TermList:
    """Terms ready to be found fast.

    One regular expression for all terms would try every position of the text, which takes
    milliseconds per 100 KB; instead `str.find` looks for each term's first word, and the
    term's own expression is tried only where that word starts.
    """

    def __init__(self, terms: Iterable[str]) -> None:
        unique: dict[str, str] = {}
        for term in terms:
            unique.setdefault(" ".join(term.split()).casefold(), term.strip())
        # Longest first, so that where two terms match at one position the more specific wins.
        self.terms: tuple[str, ...] = tuple(sorted(unique.values(), key=len, reverse=True))
        self._compiled = tuple(_compile(term) for term in self.terms)

    def find(self, text: str) -> Iterator[TermHit]:
        """Hits in order of position, none overlapping another."""
        lowered = _lower_in_place(text)
        candidates = []
        for rank, term in enumerate(self._compiled):
            start = lowered.find(term.anchor)
            while start >= 0:
                if m := term.pattern.match(lowered, start):
                    candidates.append((start, rank, m.end()))
                start = lowered.find(term.anchor, start + 1)
        taken_until = 0
        for start, rank, end in sorted(candidates):
            if start >= taken_until:
                yield TermHit(start, end, text[start:end], self._compiled[rank].text)
                taken_until = end


def _compile(term: str) -> _Term:
    prefix = term.endswith("*")
    words = (term[:-1] if prefix else term).lower().split()
    if not words or any("*" in word for word in words):
        raise ValueError(f"not a term (a `*` may only end one): {term!r}")
    expression = r"\s+".join(map(re.escape, words)) + (r"\w*" if prefix else "")
    return _Term(term, words[0], re.compile(rf"(?<!\w){expression}(?!\w)"))


def _lower_in_place(text: str) -> str:
    """`text` in lower case, each character where it was, so positions carry over."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # Some character lowers to two (such as "İ"); leave those as they are.
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)
