"""Bearer-token checks for API views: scope first, then the token's site limit."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from service.api.context import services
from service.auth.actor import Actor
from service.auth.tokens import READ_SECRET, Principal
from service.errors import Forbidden, NotFound, Unauthorized

F = TypeVar("F", bound=Callable[..., Any])


def principal() -> Principal:
    found: Principal = g.principal
    return found


def actor() -> Actor:
    """The caller, as register revisions and the audit trail name it."""
    found = principal()
    return Actor("token", found.name, found.token_id, request.remote_addr)


def require(*scopes: str) -> Callable[[F], F]:
    """The view needs a valid token that carries one of `scopes`; it is kept in `g.principal`.

    Put it above `@blp.arguments`: the token is checked before any input is parsed, so an
    unauthenticated caller gets 401, never a 422 that describes the arguments.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized()
            found = services().tokens.authenticate(token.strip())
            if found is None:
                raise Unauthorized("Unknown or revoked token.")
            if not found.scopes & set(scopes):
                raise Forbidden(f"This needs the {' or '.join(map(repr, scopes))} scope.")
            g.principal = found
            return view(*args, **kwargs)

        # flask-smorest reads `_apidoc`: the OpenAPI document names the scopes per operation
        # (a list of alternatives: any one of them will do).
        apidoc = dict(getattr(view, "_apidoc", {}))
        manual = dict(apidoc.get("manual_doc", {}))
        manual["security"] = [{"bearer": [scope]} for scope in scopes]
        apidoc["manual_doc"] = manual
        wrapper._apidoc = apidoc  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def sees_secret() -> bool:
    """Whether the caller may see records marked secret (DOMAIN rule 5); the queries hide
    them from everyone else."""
    return READ_SECRET in principal().scopes


def check_site(site_id: str) -> None:
    """A token limited to one site sees nothing of another: 404, not 403."""
    if not principal().may_see_site(site_id):
        raise NotFound()


def site_filter(requested: str | None) -> list[str] | None:
    """The sites a query may cover: the one asked for, within the token's limit."""
    allowed = principal().site_ids()
    if requested is None:
        return allowed
    if allowed is not None and requested not in allowed:
        return []
    return [requested]
