"""URL normalisation and origins: the crawler's notion of "the same URL" and "this site"."""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left as they are: reserved ones keep their meaning, `%` keeps existing escapes.
_SAFE_PATH = "/%:@!$&'()*+,;=-._~"
_SAFE_QUERY = _SAFE_PATH + "?"

Origin = tuple[str, str, int]  # scheme, host (lower case, IPv6 without brackets), port


def origin(url: str) -> Origin:
    """`ValueError` for anything that is not an absolute http(s) URL with a host."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    port = parts.port  # raises ValueError for a bad port
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def netloc(site: Origin) -> str:
    scheme, host, port = site
    shown = f"[{host}]" if ":" in host else host
    return shown if DEFAULT_PORTS[scheme] == port else f"{shown}:{port}"


def normalise(url: str, base: str | None = None) -> str:
    """Absolute, fragment-free, lower-case scheme and host, no default port, unsafe characters
    escaped: two spellings of one resource become one key, so each is fetched once."""
    url = url.strip()
    absolute = urljoin(base, url) if base else url
    scheme, host, port = origin(absolute)
    parts = urlsplit(absolute)
    path = quote(_without_dot_segments(parts.path) or "/", safe=_SAFE_PATH)
    query = quote(parts.query, safe=_SAFE_QUERY)
    return urlunsplit((scheme, netloc((scheme, host, port)), path, query, ""))


def _without_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, for absolute URLs that were not joined to a base."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for number, segment in enumerate(segments):
        last = number == len(segments) - 1
        if segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        elif segment == ".":
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/".join(output)


def request_target(url: str) -> str:
    """The path and query sent on the request line."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
