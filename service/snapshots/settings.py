"""What a crawl may do (settings), and what it has done so far (progress)."""

from __future__ import annotations

import importlib.metadata
from dataclasses import asdict, dataclass
from typing import Any

_MiB = 1024 * 1024


def software_version() -> str:
    """The installed package's version; a source checkout without metadata says so."""
    try:
        return importlib.metadata.version("offentlig")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True)
class CrawlSettings:
    """Limits end a crawl cleanly: what was fetched is kept, the limit is in the manifest."""

    connections: int = 8  # concurrent keep-alive connections, one worker thread each
    delay: float = 0.0  # seconds each connection waits after a request (politeness)
    max_pages: int | None = 100_000  # documents reached as links; their requisites still come
    max_bytes: int | None = 20 * 1024 * _MiB  # raw response bytes received
    max_seconds: float | None = 6 * 3600.0  # wall time of the crawl
    max_redirects: int = 5  # same-origin hops followed from one URL
    timeout: float = 30.0  # socket timeout per connect and per read
    parse_limit: int = 5 * _MiB  # bytes of one HTML/CSS/XML document read for its links

    def __post_init__(self) -> None:
        if self.connections < 1 or self.connections > 64:
            raise ValueError("connections must be between 1 and 64")
        if self.delay < 0 or self.timeout <= 0 or self.max_redirects < 0:
            raise ValueError("delay, timeout and max_redirects must not be negative")
        for name in ("max_pages", "max_bytes", "max_seconds"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def user_agent(site_url: str) -> str:
    """Polite and honest: who we are, and why we are fetching every page of the site."""
    return f"Offentlig/{software_version()} (+archiving for {site_url}; public records)"


@dataclass(frozen=True)
class CrawlProgress:
    """Handed to the caller's progress callback (at most a few times a second, and at the end)."""

    fetched: int  # responses written to the WARC
    queued: int  # URLs found and not yet fetched
    pages: int
    requisites: int
    bytes: int  # raw response bytes received
    errors: int
    refusals: int
    elapsed: float  # seconds
