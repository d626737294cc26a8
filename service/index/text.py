"""Plain text of published HTML, for search and register summaries."""

from __future__ import annotations

from html.parser import HTMLParser

_BLOCKS = {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"}


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def plain_text(html: str) -> str:
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return " ".join("".join(collector.parts).split())


def shorten(text: str, length: int) -> str:
    """`text`, cut at `length` characters with an ellipsis if longer."""
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def summary(html: str, length: int = 200) -> str:
    return shorten(plain_text(html), length)
