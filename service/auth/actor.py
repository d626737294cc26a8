"""Who did something: an API token (by name), an operator at the CLI, or the service itself.

Every register revision and audit entry names its actor, as records law asks (who, when)."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    kind: str  # "token" | "cli" | "service" | "site" (a webhook)
    name: str  # the token's or site's name, the operator's login, or the service's part
    id: str | None = None  # the token's or site's id
    address: str | None = None  # the caller's IP address, for API calls

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "id": self.id, "address": self.address}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Actor:
        return cls(data["kind"], data["name"], data.get("id"), data.get("address"))


def operator() -> Actor:
    """The person running a CLI command on this machine."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        login = "unknown"
    return Actor("cli", login)


SERVICE = Actor("service", "offentlig")
