"""Words and their Swedish stems: the one tokenizer both databases index and query with.

A word is a run of letters and digits (Unicode, after NFC: å, ä and ö are letters of their
own, never accents to strip). Its stem is Snowball Swedish (PyStemmer) of its lower case,
so "beslutet", "besluten" and "beslut" are one term. The databases get these terms ready-made,
as space-separated text (SQLite FTS5) or a tsvector literal (PostgreSQL), and split no
further: that is why they find the same records.

Changing the stemmer (or its version: PyStemmer is pinned) changes the terms, so it needs
`offentlig reindex`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator

import Stemmer

# Letters and digits; `_` is a separator, as it is for FTS5's unicode61 and PostgreSQL.
_WORD = re.compile(r"[^\W_]+")
# Longer runs are not words (base64, hashes): PostgreSQL would refuse them (2047 bytes).
MAX_WORD = 100

_STEMMER = Stemmer.Stemmer("swedish")


def words(text: str) -> Iterator[re.Match[str]]:
    """The words of `text` (NFC) as matches, so callers also know where each one is."""
    for match in _WORD.finditer(text):
        if len(match.group()) <= MAX_WORD:
            yield match


def normalize(text: str) -> str:
    """NFC: a decomposed å (a + ring) becomes the letter å."""
    return unicodedata.normalize("NFC", text)


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The term a word is indexed and searched under."""
    return str(_STEMMER.stemWord(word.lower()))


def terms(text: str) -> list[str]:
    """Every word of `text` as its term, in order."""
    found = _WORD.findall(normalize(text))
    return list(map(stem, (word for word in found if len(word) <= MAX_WORD)))


@functools.lru_cache(maxsize=32)
def term_text(text: str | None) -> str:
    """`text`'s terms separated by spaces: what FTS5 indexes (its tokenizer just splits it).

    Kept for the last few texts: the SQLite writer works them out before it takes the write
    lock (`service.index.writer`), and the FTS5 triggers, under the lock, find them here."""
    return " ".join(terms(text or ""))


def prefix(word: str) -> str:
    """A prefix is matched against terms as typed (lower case), not stemmed."""
    return normalize(word).lower()
