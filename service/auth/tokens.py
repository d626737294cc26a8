"""Issuing, checking and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from service.errors import InvalidInput, NotFound
from service.index import tables as t
from service.index.db import unavailable_on_db_error, writing

TOKEN_PREFIX = "oft_"  # noqa: S105 - a prefix, not a secret

READ = "records:read"
READ_PERSONAL = "records:read-personal"
ADMIN = "admin"
SCOPES = (READ, READ_PERSONAL, ADMIN)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's id, scopes and (if limited) its one site."""

    token_id: str
    scopes: frozenset[str]
    site_id: str | None

    def site_ids(self) -> list[str] | None:
        return [self.site_id] if self.site_id else None

    def may_see_site(self, site_id: str) -> bool:
        return self.site_id is None or self.site_id == site_id


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, engine: Engine, clock: Callable[[], datetime], new_id: Callable[[], str]):
        self.engine = engine
        self.clock = clock
        self.new_id = new_id

    @unavailable_on_db_error
    def create(
        self, name: str, scopes: list[str], site_id: str | None = None
    ) -> tuple[dict[str, Any], str]:
        """A new token; the clear text is returned once and stored only as its hash."""
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown or not scopes:
            raise InvalidInput(
                "Unknown or missing scopes.",
                errors={"scopes": [f"Choose from {', '.join(SCOPES)}; unknown: {unknown}"]},
            )
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = {
            "id": self.new_id(),
            "name": name,
            "token_sha256": _hash(token),
            "scopes": " ".join(sorted(set(scopes))),
            "site_id": site_id,
            "created_at": self.clock(),
            "revoked_at": None,
        }
        with writing(self.engine) as conn:
            if (
                site_id is not None
                and conn.execute(select(t.sites.c.id).where(t.sites.c.id == site_id)).first()
                is None
            ):
                raise InvalidInput("Unknown site.", errors={"site_id": [f"No site {site_id!r}."]})
            conn.execute(insert(t.api_tokens).values(**row))
        return public(row), token

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
        return Principal(row.id, frozenset(row.scopes.split()), row.site_id)

    @unavailable_on_db_error
    def all(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.api_tokens).order_by(t.api_tokens.c.created_at))
            return [public(dict(row._mapping)) for row in rows]

    @unavailable_on_db_error
    def revoke(self, token_id: str) -> None:
        with writing(self.engine) as conn:
            result = conn.execute(
                update(t.api_tokens)
                .where(t.api_tokens.c.id == token_id, t.api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            )
        if not result.rowcount:
            raise NotFound(f"No active token {token_id!r}.")


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
