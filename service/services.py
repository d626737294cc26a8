"""The collaborators, built once per process from the configuration and shared by the app
and the CLI (`app.extensions["offentlig"]`)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
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
from service.capture.repairs import IndexRepairs
from service.channels.register import ChannelRegister
from service.index.db import make_engine, migrate
from service.index.queries import RecordQueries
from service.index.writer import RecordIndex
from service.jobs.queue import JobQueue
from service.registration import Registrations
from service.secrecy.detect import Detector
from service.secrecy.review import Reviews
from service.secrecy.screen import SecrecyScreen
from service.sites.registry import SiteRegistry
from service.storage import ObjectStore, open_store


def utc_now() -> datetime:
    return datetime.now(UTC)


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
    audit: AuditLog
    reviews: Reviews
    registrations: Registrations
    jobs: JobQueue
    repairs: IndexRepairs
    clock: Callable[[], datetime]
    zone: ZoneInfo

    def close(self) -> None:
        self.repairs.stop()
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
    key = settings.secret_key(config)
    fernet = Fernet(key)
    audit = AuditLog(engine, clock)
    zone = ZoneInfo(config["TIMEZONE"])
    channels = ChannelRegister(engine, storage, audit, clock, id_factory, zone)
    reviews = Reviews(storage, engine, clock)
    screen = SecrecyScreen(Detector(settings.secrecy_terms(config)), reviews)
    index = RecordIndex(engine)
    repairs = IndexRepairs(storage, index, engine)
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
        ),
        tokens=TokenStore(engine, storage, clock, id_factory),
        channels=channels,
        queries=RecordQueries(engine),
        audit=audit,
        reviews=reviews,
        registrations=Registrations(storage, engine, clock),
        jobs=JobQueue(engine, clock, id_factory, config["JOB_LEASE_SECONDS"]),
        repairs=repairs,
        clock=clock,
        zone=zone,
    )
