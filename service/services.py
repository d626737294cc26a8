"""The collaborators, built once per process from the configuration and shared by the app
and the CLI (`app.extensions["offentlig"]`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet
from sqlalchemy import Engine
from ulid import ULID

from service import config as settings
from service.auth.audit import AuditLog
from service.auth.tokens import TokenStore
from service.capture.recorder import Recorder
from service.index.db import make_engine, migrate
from service.index.queries import RecordQueries
from service.index.writer import RecordIndex
from service.sites.account import WordPressFactory
from service.sites.registry import SiteRegistry
from service.storage import ObjectStore, open_store
from service.wordpress.port import WordPressSite


def utc_now() -> datetime:
    return datetime.now(UTC)


def read_wordpress(url: str, username: str, app_password: str) -> WordPressSite:
    from service.wordpress.xmlrpc import XmlRpcSite

    return XmlRpcSite(url, username, app_password)


def new_id() -> str:
    """Lower-case ULIDs: sortable by time, safe in URLs and object keys."""
    return str(ULID()).lower()


@dataclass
class Services:
    storage: ObjectStore
    engine: Engine
    recorder: Recorder
    sites: SiteRegistry
    tokens: TokenStore
    queries: RecordQueries
    audit: AuditLog
    clock: Callable[[], datetime]
    zone: ZoneInfo
    # Opens a WordPress site to read (backfill, reconciliation); tests put a fake site here.
    wordpress: WordPressFactory = field(default_factory=lambda: read_wordpress)

    def close(self) -> None:
        self.engine.dispose()


def build(
    config: dict[str, Any],
    clock: Callable[[], datetime] = utc_now,
    id_factory: Callable[[], str] = new_id,
) -> Services:
    storage = open_store(config)
    engine = make_engine(config["DATABASE_URL"])
    if config.get("AUTO_MIGRATE", True):
        migrate(engine)
    fernet = Fernet(settings.secret_key(config))
    return Services(
        storage=storage,
        engine=engine,
        recorder=Recorder(storage, RecordIndex(engine), clock, id_factory),
        sites=SiteRegistry(
            engine, storage, fernet, clock, id_factory, config["SITE_CACHE_SECONDS"]
        ),
        tokens=TokenStore(engine, storage, clock, id_factory),
        queries=RecordQueries(engine),
        audit=AuditLog(engine, clock),
        clock=clock,
        zone=ZoneInfo(config["TIMEZONE"]),
    )
