"""Issuing, checking and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select

from service.auth.actor import Actor
from service.capture.snapshot import iso
from service.errors import InvalidInput, NotFound
from service.index import tables as t
from service.index.db import unavailable_on_db_error
from service.registers.family import Family
from service.registers.projection import latest_row
from service.registers.register import Register
from service.storage.port import ObjectStore

if TYPE_CHECKING:
    from service.audit.trail import AuditTrail

TOKEN_PREFIX = "oft_"  # noqa: S105 - a prefix, not a secret

READ = "records:read"
READ_PERSONAL = "records:read-personal"
READ_SECRET = "records:read-secret"  # noqa: S105 - a scope: records marked secret
REVIEW = "records:review"  # the secrecy review queue and its decisions
REGISTRY_WRITE = "registry:write"  # the registry system writes case numbers back
SNAPSHOTS_REQUEST = "snapshots:request"  # ask for a snapshot now (the plugin's button)
ADMIN = "admin"
SCOPES = (READ, READ_PERSONAL, READ_SECRET, REVIEW, REGISTRY_WRITE, SNAPSHOTS_REQUEST, ADMIN)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's id, scopes and (if limited) its one site."""

    token_id: str
    name: str
    scopes: frozenset[str]
    site_id: str | None

    def site_ids(self) -> list[str] | None:
        return [self.site_id] if self.site_id else None

    def may_see_site(self, site_id: str) -> bool:
        return self.site_id is None or self.site_id == site_id


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _row(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": document["name"],
        "token_sha256": document["token_sha256"],
        "scopes": " ".join(document["scopes"]),
        "site_id": document["site_id"],
        "created_at": _moment(document["created_at"]),
        "revoked_at": _moment(document["revoked_at"]),
    }


# Only the token's SHA-256 is kept, in storage as in the database.
TOKENS = Family(
    "tokens", "offentlig.api-token/1", latest_row(t.api_tokens, _row), tables=(t.api_tokens,)
)


class TokenStore:
    def __init__(
        self,
        engine: Engine,
        storage: ObjectStore,
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
        *,
        audit: AuditTrail,
    ):
        self.engine = engine
        self.audit = audit
        self.register = Register(TOKENS, storage, engine, clock)
        self.clock = clock
        self.new_id = new_id

    def create(
        self, name: str, scopes: list[str], site_id: str | None = None, *, actor: Actor
    ) -> tuple[dict[str, Any], str]:
        """A new token; the clear text is returned once and stored only as its hash."""
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown or not scopes:
            raise InvalidInput(
                "Unknown or missing scopes.",
                errors={"scopes": [f"Choose from {', '.join(SCOPES)}; unknown: {unknown}"]},
            )
        if site_id is not None and not self._site_exists(site_id):
            raise InvalidInput("Unknown site.", errors={"site_id": [f"No site {site_id!r}."]})
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        body = {
            "name": name,
            "token_sha256": _hash(token),
            "scopes": sorted(set(scopes)),
            "site_id": site_id,
            "created_at": iso(self.clock()),
            "revoked_at": None,
        }
        document = self.register.write(self.new_id(), body, actor=actor)
        details = {"name": name, "scopes": body["scopes"], "site_id": site_id}
        self.audit.record(
            "token-created", document["id"], actor=actor, details=details, decision=True
        )
        return public({"id": document["id"], **_row(document)}), token

    @unavailable_on_db_error
    def _site_exists(self, site_id: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(select(t.sites.c.id).where(t.sites.c.id == site_id)).first()
        return found is not None

    @unavailable_on_db_error
    def authenticate(self, token: str) -> Principal | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.api_tokens).where(
                    t.api_tokens.c.token_sha256 == _hash(token),
                    t.api_tokens.c.revoked_at.is_(None),
                )
            ).first()
        if row is None:
            return None
        return Principal(row.id, row.name, frozenset(row.scopes.split()), row.site_id)

    @unavailable_on_db_error
    def all(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.api_tokens).order_by(t.api_tokens.c.created_at))
            return [public(dict(row._mapping)) for row in rows]

    def revoke(self, token_id: str, *, actor: Actor) -> None:
        try:
            current = self.register.latest(token_id)
        except NotFound:
            current = None
        if current is None or current["revoked_at"] is not None:
            raise NotFound(f"No active token {token_id!r}.")
        body = {name: current[name] for name in _BODY}
        self.register.write(
            token_id, {**body, "revoked_at": iso(self.clock())}, actor=actor, previous=current
        )
        details = {"name": current["name"]}
        self.audit.record("token-revoked", token_id, actor=actor, details=details, decision=True)


_BODY = ("name", "token_sha256", "scopes", "site_id", "created_at")


def public(row: dict[str, Any]) -> dict[str, Any]:
    """A token as shown to admins: never its hash."""
    return {
        "id": row["id"],
        "name": row["name"],
        "scopes": row["scopes"].split(),
        "site_id": row["site_id"],
        "created_at": row["created_at"],
        "revoked_at": row["revoked_at"],
    }
