"""A small website to snapshot, and a finished snapshot of it, for the API tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from service.snapshots import CrawlSettings, take_snapshot
from service.snapshots.index import snapshot_prefix
from tests.support.website import Response, Website, html, wordpress_like


@contextmanager
def small_site() -> Iterator[Website]:
    """A WordPress-like site on a loopback port (with a second one it links to, never to be
    contacted), plus a post with a UTF-8 title and an image of known bytes."""
    with Website() as other, Website() as site:
        site.routes = wordpress_like(site.url, other.url, pages=2)
        site.routes["/2026/12/hej-varlden/"] = Response(
            body=html("<h1>Hej världen</h1><img src='/img/a.png' alt='a'>", "")
        )
        start = site.routes["/"]
        assert isinstance(start.body, bytes)
        link = b"<a href='/2026/12/hej-varlden/'>Hej</a></body>"
        start.body = start.body.replace(b"</body>", link)
        yield site


def stored_snapshot(svc: Any, site_id: str, url: str, snapshot_id: str) -> dict[str, Any]:
    """Crawl `url` into site_id's snapshot `snapshot_id` and show it in the index."""
    manifest = take_snapshot(
        url, svc.storage, snapshot_prefix(site_id, snapshot_id), CrawlSettings(connections=2)
    )
    return svc.snapshots.index.show(manifest.key, manifest.document)  # type: ignore[no-any-return]
