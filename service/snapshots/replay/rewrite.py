"""Rewriting archived documents so that every link and requisite resolves to the archive.

A snapshot holds one origin, so replay maps it onto one path: the archived
`https://www.example.se/a/b?c` is replayed at `{root}a/b?c`, where `root` is the signed
replay link's path. HTML attributes that hold URLs (the same ones the crawler follows, plus
forms and `<base>`), `srcset`, inline and linked CSS (`url()`, `@import`) and the site's
origin spelled out in scripts (also JSON-escaped, as WordPress writes it) are rewritten;
links to other origins stay as they are (the crawl refused them; replay's Content Security
Policy keeps a page from loading anything from them). A banner says what the page is.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborHTMLParser, LexborNode

from service.snapshots.discovery import (
    CSS_IMPORT,
    CSS_URL,
    REQUISITE_ATTRS,
    SRCSET_ATTRS,
    srcset_candidates,
)
from service.snapshots.urls import netloc, normalise, origin

NOT_REWRITTEN = ("data:", "javascript:", "mailto:", "tel:", "#", "about:", "blob:")
URL_ATTRS: dict[str, tuple[str, ...]] = {
    **REQUISITE_ATTRS,
    "a": ("href",),
    "area": ("href",),
    "link": ("href",),
    "base": ("href",),
    "form": ("action",),
}
SELECTOR = ", ".join([*URL_ATTRS, "[srcset]", "[data-srcset]", "[style]", "meta[http-equiv]"])
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_REFRESH = re.compile(r"(url\s*=\s*['\"]?)([^'\"\s;]+)", re.IGNORECASE)


class UrlMap:
    """Archived URLs of one origin ↔ replay paths under `root` (ends with `/`)."""

    def __init__(self, site_url: str, root: str):
        self.site = origin(site_url)
        self.root = root
        self.origin_text = f"{self.site[0]}://{netloc(self.site)}"

    def archived(self, path: str, query: str) -> str:
        """The archived URL a replay path stands for, normalised as the crawler did."""
        return normalise(f"{self.origin_text}/{path}" + (f"?{query}" if query else ""))

    def replayed(self, link: str, base: str) -> str:
        """`link` (found in a document at `base`) as a replay path, if it is the site's."""
        stripped = link.strip()
        if not stripped or stripped.lower().startswith(NOT_REWRITTEN):
            return link
        absolute = urljoin(base, stripped)
        try:
            if origin(absolute) != self.site:
                return link
        except ValueError:
            return link
        parts = urlsplit(absolute)
        query = f"?{parts.query}" if parts.query else ""
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        return f"{self.root}{parts.path.lstrip('/')}{query}{fragment}"

    def in_script(self, text: str) -> str:
        """The site's origin written out in a script or JSON, plain or with `\\/` escapes."""
        root = self.root.rstrip("/")
        escaped = self.origin_text.replace("/", "\\/")
        return text.replace(self.origin_text, root).replace(escaped, root.replace("/", "\\/"))


def rewrite_css(css: str, base: str, urls: UrlMap) -> str:
    def in_url(match: re.Match[str]) -> str:
        quote = match.group(1)
        return f"url({quote}{urls.replayed(match.group(2), base)}{quote})"

    def in_import(match: re.Match[str]) -> str:
        quote = match.group(1)
        return f"@import {quote}{urls.replayed(match.group(2), base)}{quote}"

    return CSS_IMPORT.sub(in_import, CSS_URL.sub(in_url, css))


def rewrite_srcset(value: str, base: str, urls: UrlMap) -> str:
    return ", ".join(
        f"{urls.replayed(url, base)} {descriptors}".strip()
        for url, descriptors in srcset_candidates(value)
    )


def rewrite_html(text: str, url: str, urls: UrlMap, banner: str) -> str:
    tree = LexborHTMLParser(text)
    base_node = tree.css_first("base[href]")
    base = urljoin(url, str(base_node.attributes["href"])) if base_node is not None else url
    done: set[int] = set()
    for node in tree.css(SELECTOR):  # a node matching several selectors comes once each
        if node.mem_id not in done:
            done.add(node.mem_id)
            _rewrite_attributes(node, base, urls)
    for node in tree.css("style"):
        node.inner_html = rewrite_css(node.text(deep=True), base, urls)
    for node in tree.css("script"):
        source = node.text(deep=True)
        if source and not node.attributes.get("src"):
            node.inner_html = urls.in_script(source)
    page = str(tree.html or "")
    opening = _BODY.search(page)
    at = opening.end() if opening else 0
    return page[:at] + banner + page[at:]


def _rewrite_attributes(node: LexborNode, base: str, urls: UrlMap) -> None:
    attrs = node.attrs
    values = node.attributes
    tag = node.tag or ""
    for name in URL_ATTRS.get(tag, ()):
        if values.get(name):
            attrs[name] = urls.replayed(str(values[name]), base)
    for name in SRCSET_ATTRS:
        if values.get(name):
            attrs[name] = rewrite_srcset(str(values[name]), base, urls)
    if values.get("style"):
        attrs["style"] = rewrite_css(str(values["style"]), base, urls)
    if tag == "meta" and str(values.get("http-equiv") or "").lower() == "refresh":
        content = str(values.get("content") or "")
        attrs["content"] = _REFRESH.sub(
            lambda m: m.group(1) + urls.replayed(m.group(2), base), content
        )


def banner(site_name: str, site_url: str, taken: datetime, zone: ZoneInfo, start: str) -> str:
    """The bar at the top of every replayed page: what this is, of which site, from when."""
    when = taken.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    name, url = html.escape(site_name), html.escape(site_url)
    style = (
        "all:initial;display:block;position:sticky;top:0;z-index:2147483647;"
        "background:#1d3557;color:#fff;font:14px/1.5 system-ui,sans-serif;padding:6px 12px"
    )
    link = "all:initial;color:#fff;font:inherit;text-decoration:underline;cursor:pointer"
    return (
        f'<div id="offentlig-replay-banner" role="note" lang="sv" style="{style}">'
        f"Arkiverad ögonblicksbild av <strong>{name}</strong> ({url}), tagen {when}. "
        f'<span lang="en">Archived snapshot of {name}, taken {when} ({zone.key}).</span> '
        f'<a style="{link}" href="{html.escape(start)}">Startsida / Start page</a></div>'
    )
