"""Sites live in the database (with their encrypted secret) and, for a reader of the
bucket, as `sites/{id}/site.json` in storage."""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import cachetools
from cryptography.fernet import Fernet
from sqlalchemy import Engine, bindparam, insert, select

from service.capture.ports import Site
from service.capture.snapshot import iso
from service.errors import NotFound
from service.index import tables as t
from service.index.db import unavailable_on_db_error, writing
from service.records import keys
from service.storage.port import ObjectStore

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


# Read on every webhook: built once.
_SITE_AND_SECRET = select(
    t.sites.c.id, t.sites.c.name, t.sites.c.url, t.sites.c.secret_encrypted
).where(t.sites.c.id == bindparam("site_id"))


def new_webhook_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class SiteRegistry:
    def __init__(
        self,
        engine: Engine,
        storage: ObjectStore,
        fernet: Fernet,
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
        cache_seconds: float = 30,
    ):
        self._recent: cachetools.TTLCache[str, tuple[Site, str]] = cachetools.TTLCache(
            maxsize=1024, ttl=cache_seconds
        )
        self._recent_lock = threading.Lock()
        self.engine = engine
        self.storage = storage
        self.fernet = fernet
        self.clock = clock
        self.new_id = new_id

    @unavailable_on_db_error
    def add(self, name: str, url: str) -> tuple[dict[str, Any], str]:
        """Register a site; the secret is returned once and stored only encrypted."""
        site = Site(self.new_id(), name, url)
        secret = new_webhook_secret()
        created_at = self.clock()
        description = {"id": site.id, "name": name, "url": url, "created_at": iso(created_at)}
        self.storage.put(keys.site_key(site.id), json.dumps(description, indent=2).encode())
        with writing(self.engine) as conn:
            conn.execute(
                insert(t.sites).values(
                    id=site.id,
                    name=name,
                    url=url,
                    secret_encrypted=self.fernet.encrypt(secret.encode()).decode(),
                    created_at=created_at,
                )
            )
        return {**description, "created_at": created_at}, secret

    @cachetools.cachedmethod(lambda self: self._recent, lock=lambda self: self._recent_lock)
    @unavailable_on_db_error
    def with_secret(self, site_id: str) -> tuple[Site, str]:
        """The site and its webhook secret in one read: what every webhook needs first.

        Kept for `cache_seconds` per process (a site's name, URL and secret do not change
        today; when secret rotation comes, this is how long an old secret is still taken).
        """
        with self.engine.connect() as conn:
            row = conn.execute(_SITE_AND_SECRET, {"site_id": site_id}).first()
        if row is None:
            raise NotFound(f"No site {site_id!r}.")
        secret = self.fernet.decrypt(row.secret_encrypted.encode()).decode()
        return Site(row.id, row.name, row.url), secret

    @unavailable_on_db_error
    def all(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.sites.c.id, t.sites.c.name, t.sites.c.url, t.sites.c.created_at).order_by(
                    t.sites.c.created_at, t.sites.c.id
                )
            )
            return [dict(row._mapping) for row in rows]
