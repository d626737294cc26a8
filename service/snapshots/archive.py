"""The snapshot collaborators the API, the CLI and the job share, built once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from service.errors import NotFound
from service.index import tables as t
from service.index.db import unavailable_on_db_error
from service.snapshots.index import SnapshotIndex
from service.snapshots.replay.access import ReplayAccess
from service.snapshots.replay.cache import LocalCopies
from service.snapshots.settings import CrawlSettings
from service.storage.port import ObjectStore


def crawl_settings(config: dict[str, Any]) -> CrawlSettings:
    """`OFFENTLIG_SNAPSHOT_*`: null (or empty) for no limit."""

    def limit(name: str) -> Any:
        value = config.get(name)
        return None if value in (None, "") else value

    pages = limit("SNAPSHOT_MAX_PAGES")
    size = limit("SNAPSHOT_MAX_BYTES")
    seconds = limit("SNAPSHOT_MAX_SECONDS")
    return CrawlSettings(
        connections=int(config["SNAPSHOT_CONNECTIONS"]),
        delay=float(config["SNAPSHOT_DELAY_SECONDS"]),
        max_pages=None if pages is None else int(pages),
        max_bytes=None if size is None else int(size),
        max_seconds=None if seconds is None else float(seconds),
    )


@dataclass
class SnapshotArchive:
    storage: ObjectStore
    engine: Engine
    clock: Callable[[], datetime]
    zone: ZoneInfo
    crawl: CrawlSettings
    index: SnapshotIndex
    access: ReplayAccess
    copies: LocalCopies

    @classmethod
    def build(
        cls,
        config: dict[str, Any],
        storage: ObjectStore,
        engine: Engine,
        clock: Callable[[], datetime],
        zone: ZoneInfo,
        secret_key: bytes,
    ) -> SnapshotArchive:
        return cls(
            storage=storage,
            engine=engine,
            clock=clock,
            zone=zone,
            crawl=crawl_settings(config),
            index=SnapshotIndex(engine),
            access=ReplayAccess(secret_key, clock, int(config["SNAPSHOT_REPLAY_SECONDS"])),
            copies=LocalCopies(storage, Path(config["SNAPSHOT_CACHE_DIR"])),
        )

    @unavailable_on_db_error
    def site(self, site_id: str) -> Any:
        """The site as snapshots need it (name, URL, schedule); 404 if there is none."""
        columns = (t.sites.c.id, t.sites.c.name, t.sites.c.url, t.sites.c.snapshot_every)
        with self.engine.connect() as conn:
            row = conn.execute(select(*columns).where(t.sites.c.id == site_id)).one_or_none()
        if row is None:
            raise NotFound(f"No site {site_id!r}.")
        return row
