"""The collaborators, built once per process from the configuration and shared by the app
and the CLI (`app.extensions["offentlig"]`)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet
from sqlalchemy import Engine
from ulid import ULID

from service import config as settings
from service.audit.trail import AuditTrail
from service.auth.tokens import TokenStore
from service.capture.recorder import Recorder
from service.capture.repairs import IndexRepairs
from service.channels.register import ChannelRegister
from service.exports.register import Exports
from service.index.db import make_engine, migrate
from service.index.queries import RecordQueries
from service.index.writer import RecordIndex
from service.integrity import archive as integrity_log
from service.jobs.queue import JobQueue
from service.registration import Registrations
from service.retention.retention import Retention
from service.secrecy.detect import Detector
from service.secrecy.review import Reviews
from service.secrecy.screen import SecrecyScreen
from service.sites.account import WordPressFactory
from service.sites.registry import SiteRegistry
from service.snapshots.archive import SnapshotArchive
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
    channels: ChannelRegister
    queries: RecordQueries
    audit: AuditTrail
    reviews: Reviews
    registrations: Registrations
    jobs: JobQueue
    retention: Retention
    snapshots: SnapshotArchive
    repairs: IndexRepairs
    exports: Exports
    clock: Callable[[], datetime]
    zone: ZoneInfo
    integrity: integrity_log.IntegrityLog | None = None
    # Opens a WordPress site to read (backfill, reconciliation); tests put a fake site here.
    wordpress: WordPressFactory = field(default_factory=lambda: read_wordpress)

    def close(self) -> None:
        """Write the audit entries still buffered, then let the connections go."""
        self.audit.close()
        if self.integrity is not None:
            self.integrity.close()
        self.repairs.stop()
        self.engine.dispose()


def build(
    config: dict[str, Any],
    clock: Callable[[], datetime] = utc_now,
    id_factory: Callable[[], str] = new_id,
) -> Services:
    engine = make_engine(config["DATABASE_URL"])
    if config.get("AUTO_MIGRATE", True):
        migrate(engine)
    # Every writer gets the storage that logs what it creates (service/integrity/).
    storage, integrity = integrity_log.build(config, open_store(config), engine, clock, id_factory)
    key = settings.secret_key(config)
    fernet = Fernet(key)
    audit = AuditTrail(storage, engine, clock, float(config["AUDIT_FLUSH_SECONDS"]))
    zone = ZoneInfo(config["TIMEZONE"])
    channels = ChannelRegister(engine, storage, audit, clock, id_factory, zone)
    reviews = Reviews(storage, engine, clock)
    screen = SecrecyScreen(Detector(settings.secrecy_terms(config)), reviews)
    index = RecordIndex(engine)
    repairs = IndexRepairs(storage, index, engine)
    jobs = JobQueue(engine, clock, id_factory, config["JOB_LEASE_SECONDS"])
    return Services(
        storage=storage,
        engine=engine,
        recorder=Recorder(
            storage,
            index,
            clock,
            id_factory,
            screen,
            repairs=repairs,
            nonce_key=hashlib.sha256(b"personal-data nonce\n" + key).digest(),
        ),
        sites=SiteRegistry(
            engine,
            storage,
            fernet,
            clock,
            id_factory,
            config["SITE_CACHE_SECONDS"],
            on_added=channels.for_site,
            audit=audit,
        ),
        tokens=TokenStore(engine, storage, clock, id_factory, audit=audit),
        channels=channels,
        queries=RecordQueries(engine, zone),
        audit=audit,
        reviews=reviews,
        registrations=Registrations(storage, engine, clock),
        jobs=jobs,
        retention=Retention.build(
            engine,
            storage,
            clock,
            id_factory,
            audit,
            bypass_governance=bool(config.get("CULLING_BYPASS_GOVERNANCE", False)),
        ),
        snapshots=SnapshotArchive.build(config, storage, engine, clock, zone, key),
        repairs=repairs,
        exports=Exports(
            storage, engine, clock, id_factory, audit, jobs, int(config["EXPORT_MAX_RECORDS"])
        ),
        clock=clock,
        zone=zone,
        integrity=integrity,
    )
