"""The site register: every WordPress site that sends webhooks, with its webhook secret
encrypted at rest, kept in storage (`authority/sites/{id}/…`) and shown in the `sites` table."""

from __future__ import annotations

import base64
import logging
import secrets
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import cachetools
from cryptography.fernet import Fernet
from sqlalchemy import Engine, bindparam, select

from service.auth.actor import Actor
from service.capture.ports import Site
from service.capture.snapshot import iso
from service.errors import IndexUnavailable, NotFound, Unavailable
from service.index import tables as t
from service.index.db import unavailable_on_db_error
from service.registers.family import Family
from service.registers.projection import latest_row
from service.registers.register import ENVELOPE, Register
from service.sites.account import WordPressAccount
from service.storage.port import ObjectStore

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from service.audit.trail import AuditTrail

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
# Told of every new site, after it is stored (the channel register lists every site).
SiteAdded = Callable[[dict[str, Any], Actor], object]


# Read on every webhook: built once.
_SITE_AND_SECRET = select(
    t.sites.c.id, t.sites.c.name, t.sites.c.url, t.sites.c.secret_encrypted
).where(t.sites.c.id == bindparam("site_id"))


def _row(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": document["name"],
        "url": document["url"],
        "secret_encrypted": document["secret_encrypted"],
        "created_at": datetime.fromisoformat(document["created_at"]),
        # Absent until first set: the default schedules (service/jobs/site_schedules.py).
        "snapshot_every": document.get("snapshot_every"),
        "reconcile_every": document.get("reconcile_every"),
        "wordpress_username": (document.get("wordpress_account") or {}).get("username"),
    }


SITES = Family("sites", "offentlig.site/1", latest_row(t.sites, _row), tables=(t.sites,))


def site_view(document: dict[str, Any]) -> dict[str, Any]:
    """A site as admins see it: never its secret."""
    return {
        "id": document["id"],
        "name": document["name"],
        "url": document["url"],
        "created_at": datetime.fromisoformat(document["created_at"]),
    }


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
        on_added: SiteAdded | None = None,
        *,
        audit: AuditTrail,
    ):
        self._recent: cachetools.TTLCache[str, tuple[Site, str]] = cachetools.TTLCache(
            maxsize=1024, ttl=cache_seconds
        )
        self._recent_lock = threading.Lock()
        self.engine = engine
        self.register = Register(SITES, storage, engine, clock)
        self.fernet = fernet
        self.clock = clock
        self.new_id = new_id
        self.on_added = on_added
        self.audit = audit

    def add(self, name: str, url: str, *, actor: Actor) -> tuple[dict[str, Any], str]:
        """Register a site; the secret is returned once and stored only encrypted."""
        secret = new_webhook_secret()
        body = {
            "name": name,
            "url": url,
            "secret_encrypted": self.fernet.encrypt(secret.encode()).decode(),
            "created_at": iso(self.clock()),
        }
        document = self.register.write(self.new_id(), body, actor=actor)
        self.audit.record(
            "site-added",
            document["id"],
            actor=actor,
            details={"name": name, "url": url},
            decision=True,
        )
        site = site_view(document)
        if self.on_added is not None:
            try:
                self.on_added(site, actor)
            except Unavailable:
                # The site is stored and its secret must reach the caller once; what follows
                # it can be caught up (`offentlig channels add-missing-sites`).
                log.exception("site %s added, but not what follows it", site["id"])
        return site, secret

    def set_account(
        self, site_id: str, account: WordPressAccount, *, actor: Actor
    ) -> dict[str, Any]:
        """A new revision of the site carrying the WordPress account it is read with; the
        application password only encrypted, like the webhook secret."""
        previous = self.register.latest(site_id)
        body = {name: value for name, value in previous.items() if name not in ENVELOPE}
        body["wordpress_account"] = {
            "username": account.username,
            "app_password_encrypted": self.fernet.encrypt(account.app_password.encode()).decode(),
            "personal_data": list(account.personal_data),
        }
        return site_view(self.register.write(site_id, body, actor=actor, previous=previous))

    def account(self, site_id: str) -> tuple[Site, WordPressAccount | None]:
        """The site and the account it is read with (None if none was set), from storage."""
        document = self.register.latest(site_id)
        site = Site(document["id"], document["name"], document["url"])
        stored = document.get("wordpress_account")
        if stored is None:
            return site, None
        password = self.fernet.decrypt(stored["app_password_encrypted"].encode()).decode()
        return site, WordPressAccount(stored["username"], password, tuple(stored["personal_data"]))

    @cachetools.cachedmethod(lambda self: self._recent, lock=lambda self: self._recent_lock)
    def with_secret(self, site_id: str) -> tuple[Site, str]:
        """The site and its webhook secret in one read: what every webhook needs first.
        From storage when the database is down, so webhooks are still taken.

        Kept for `cache_seconds` per process (a site's name, URL and secret do not change
        today; when secret rotation comes, this is how long an old secret is still taken).
        """
        try:
            site, encrypted = self._indexed(site_id)
        except IndexUnavailable:
            log.warning("database unreachable: site %s read from storage", site_id)
            site, encrypted = self._stored(site_id)
        return site, self.fernet.decrypt(encrypted.encode()).decode()

    @unavailable_on_db_error
    def _indexed(self, site_id: str) -> tuple[Site, str]:
        with self.engine.connect() as conn:
            row = conn.execute(_SITE_AND_SECRET, {"site_id": site_id}).first()
        if row is None:
            raise NotFound(f"No site {site_id!r}.")
        return Site(row.id, row.name, row.url), row.secret_encrypted

    def _stored(self, site_id: str) -> tuple[Site, str]:
        if not site_id.isalnum():  # not an id: never a storage key
            raise NotFound(f"No site {site_id!r}.")
        document = self.register.latest(site_id)
        return Site(document["id"], document["name"], document["url"]), document["secret_encrypted"]

    @unavailable_on_db_error
    def all(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.sites.c.id, t.sites.c.name, t.sites.c.url, t.sites.c.created_at).order_by(
                    t.sites.c.created_at, t.sites.c.id
                )
            )
            return [dict(row._mapping) for row in rows]
