"""Why a record matched: a short passage of its text (or title, or author) with the words
that matched in `<mark>`, everything else HTML-escaped, so a page can show it as it is.

Found by the same words and stems as the search itself (service/search/words.py), so it
marks what either database matched, and reads the row's own text: no second query."""

from __future__ import annotations

import html
from dataclasses import dataclass

from service.search import words
from service.search.syntax import SearchQuery

LENGTH = 200  # characters of text around the matches
_MAX_SCANNED = 200_000  # characters of a long text looked through for matches


@dataclass(frozen=True)
class Snippet:
    field: str  # title | text | author
    html: str


def _matches(text: str, stems: frozenset[str], prefixes: tuple[str, ...]) -> list[tuple[int, int]]:
    found = []
    for match in words.words(text[:_MAX_SCANNED]):
        word = match.group()
        lowered = word.lower()
        if words.stem(word) in stems or any(lowered.startswith(p) for p in prefixes):
            found.append(match.span())
    return found


def _window(text: str, spans: list[tuple[int, int]], length: int) -> tuple[int, int]:
    """The `length` characters that hold the most matches, starting a little before the
    first of them, widened to whole words."""
    best_start, best_count = spans[0][0], 0
    for start, _ in spans[:50]:
        count = sum(1 for s, e in spans if start <= s and e <= start + length)
        if count > best_count:
            best_start, best_count = start, count
    begin = max(0, best_start - length // 4)
    end = min(len(text), begin + length)
    if begin > 0:
        space = text.find(" ", begin, best_start)
        begin = space + 1 if space != -1 else begin
    if end < len(text):
        space = text.rfind(" ", max(begin, end - 30), end)
        end = space if space != -1 else end
    return begin, end


def _render(text: str, spans: list[tuple[int, int]], begin: int, end: int) -> str:
    parts = ["…" if begin > 0 else ""]
    at = begin
    for start, stop in spans:
        if start < begin or stop > end:
            continue
        parts += [html.escape(text[at:start]), "<mark>", html.escape(text[start:stop]), "</mark>"]
        at = stop
    parts += [html.escape(text[at:end]), "…" if end < len(text) else ""]
    return "".join(parts)


def snippet(
    title: str, text: str, author: str, query: SearchQuery, length: int = LENGTH
) -> Snippet | None:
    """From the text if a word of the query is in it, else the title, else the author."""
    stems, prefixes = query.highlight()
    for field, value in (("text", text), ("title", title), ("author", author)):
        value = words.normalize(value or "")
        spans = _matches(value, stems, prefixes)
        if spans:
            begin, end = _window(value, spans, length)
            return Snippet(field, _render(value, spans, begin, end))
    return None
