"""Whole-site snapshots (ögonblicksbilder): a same-origin crawl written as WARC 1.1, a pywb
CDXJ index and a sealed manifest, streamed to object storage. `take_snapshot` is the one
entry point; scheduling, jobs and the API live elsewhere."""

from service.snapshots.manifest import Manifest
from service.snapshots.settings import CrawlProgress, CrawlSettings
from service.snapshots.snapshot import take_snapshot

__all__ = ["CrawlProgress", "CrawlSettings", "Manifest", "take_snapshot"]
