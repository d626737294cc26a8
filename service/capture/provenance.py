"""How a capture arrived. Every path runs the same capture rules and is idempotent on its
own key: a webhook on its webhook-id, a backfill or reconciliation on its run and record."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Via(enum.StrEnum):
    WEBHOOK = "webhook"  # the plugin's signed delivery
    BACKFILL = "backfill"  # read from the site: what was published before live capture
    RECONCILE = "reconcile"  # read from the site: what no webhook reported


@dataclass(frozen=True)
class Provenance:
    via: Via
    key: str  # the path's own idempotency key (a webhook-id; a run's "{run}.{record}")

    @property
    def delivery_id(self) -> str:
        """The id the index and event keys remember a capture by. A webhook's is its
        webhook-id, as it always was (webhook-ids never contain a colon); another path's is
        `{via}:{key}`, so no path can take another's id."""
        return self.key if self.via is Via.WEBHOOK else f"{self.via}:{self.key}"

    def as_dict(self) -> dict[str, Any]:
        return {"via": str(self.via), "key": self.key}

    @classmethod
    def webhook(cls, webhook_id: str) -> Provenance:
        return cls(Via.WEBHOOK, webhook_id)
