"""`take_snapshot`: crawl a site into a WARC, index it, and store WARC, CDXJ and manifest.

Memory stays flat as the site grows: responses stream through spool files into a local
WARC file, which is hashed as it is written and streamed to storage (multipart on S3); the
index is sorted in bounded runs. The manifest is written last, and only if nothing is at
its key yet: a manifest in storage means the files it lists are complete.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import socket
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

from service.snapshots.cdxj import CdxjIndex
from service.snapshots.crawler import Crawl
from service.snapshots.manifest import Manifest, StoredFile, build, timestamp
from service.snapshots.policy import Resolver, SitePolicy
from service.snapshots.settings import (
    CrawlProgress,
    CrawlSettings,
    software_version,
    user_agent,
)
from service.snapshots.urls import normalise
from service.snapshots.warc import WarcFile
from service.storage.port import ObjectStore

WARCIO_VERSION = importlib.metadata.version("warcio")
WARC_NAME = "snapshot.warc.gz"
INDEX_NAME = "index.cdxj"
MANIFEST_NAME = "manifest.json"
WARC_TYPE = "application/warc"
INDEX_TYPE = "text/plain; charset=utf-8"
# WordPress core's sitemap index and feeds; robots.txt may name more sitemaps.
SEEDS = ("/robots.txt", "wp-sitemap.xml", "feed/", "comments/feed/")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def take_snapshot(
    site_url: str,
    storage: ObjectStore,
    prefix: str,
    settings: CrawlSettings | None = None,
    progress: Callable[[CrawlProgress], None] | None = None,
    clock: Callable[[], datetime] = _utc_now,
    resolver: Resolver = socket.getaddrinfo,
    stop: Callable[[], bool] | None = None,
) -> Manifest:
    """Crawl `site_url` (its origin only) and store `{prefix}snapshot.warc.gz`,
    `{prefix}index.cdxj` and, last, `{prefix}manifest.json`; return the manifest.

    `prefix` is empty or ends with `/`. Fetch failures and refusals do not fail the snapshot:
    they are listed in the manifest. Storage errors propagate (and leave no manifest).
    `FileExistsError` if a manifest is already stored at the prefix. `stop()`, asked a few
    times a second, ends the crawl unfinished with `CrawlStopped`: nothing is uploaded.
    """
    settings = settings or CrawlSettings()
    if prefix and not prefix.endswith("/"):
        raise ValueError(f"a snapshot prefix must end with '/': {prefix!r}")
    site = normalise(site_url)
    policy = SitePolicy(site, resolver)
    agent = user_agent(site)
    started = clock()
    index = CdxjIndex()
    try:
        with tempfile.TemporaryDirectory(prefix="offentlig-snapshot-") as tmp:
            warc_path, index_path = Path(tmp, WARC_NAME), Path(tmp, INDEX_NAME)
            with warc_path.open("wb") as out:
                warc = WarcFile(out, WARC_NAME)
                warc.write_warcinfo(started, _warcinfo(site, agent, settings))
                crawl = Crawl(policy, settings, warc, index, agent, clock)
                crawl.run(seeds(site), progress, stop)
            warc_file = _upload(
                storage, f"{prefix}{WARC_NAME}", "warc", warc_path, WARC_TYPE,
                warc.members.sha256.hexdigest(),
            )  # fmt: skip
            index_sha256 = _write_index(index, index_path)
            index_file = _upload(
                storage, f"{prefix}{INDEX_NAME}", "cdxj", index_path, INDEX_TYPE, index_sha256
            )
    finally:
        index.close()
    document, data = build(
        {
            "site": site,
            "software": {"name": "Offentlig", "version": software_version()},
            "user_agent": agent,
            "address": crawl.address,
            "started_at": timestamp(started),
            "ended_at": timestamp(clock()),
            "settings": settings.as_dict(),
            "counts": {
                "responses": crawl.fetched,
                "pages": crawl.pages,
                "requisites": crawl.requisites,
                "by_status": dict(sorted(crawl.status.items())),
                "bytes": crawl.bytes,
                "errors": crawl.error_count,
                "refusals": crawl.frontier.refusal_count,
            },
            "limits_hit": crawl.limits,
            "errors": crawl.errors,
            "refusals": crawl.frontier.refusals,
        },
        [warc_file, index_file],
    )
    key = f"{prefix}{MANIFEST_NAME}"
    storage.put_new(key, data)
    return Manifest(key=key, document=document, data=data)


def seeds(site: str) -> list[str]:
    """The start page first, then what WordPress always has."""
    return [site, *(normalise(urljoin(site, path)) for path in SEEDS)]


def _warcinfo(site: str, agent: str, settings: CrawlSettings) -> dict[str, str]:
    return {
        "software": f"Offentlig/{software_version()} (warcio/{WARCIO_VERSION})",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "isPartOf": site,
        "description": "Snapshot (ögonblicksbild) of a public authority's website",
        "http-header-user-agent": agent,
        "robots": "ignore (robots.txt is read for its sitemaps only)",
        "crawl-settings": json.dumps(settings.as_dict(), sort_keys=True),
    }


def _write_index(index: CdxjIndex, path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for line in index.sorted_lines():
            data = line.encode("utf-8")
            digest.update(data)
            out.write(data)
    return digest.hexdigest()


def _upload(
    storage: ObjectStore, key: str, role: str, path: Path, content_type: str, sha256: str
) -> StoredFile:
    size = path.stat().st_size
    with path.open("rb") as stream:
        storage.put_stream(key, stream, content_type=content_type, size=size)
    return StoredFile(key=key, role=role, content_type=content_type, size=size, sha256=sha256)
