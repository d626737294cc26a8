"""WordPress-shaped webhook payloads and a signing sender, as the plugin would send them."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

from service.auth.actor import Actor

_ids = itertools.count(1)
TEST_ACTOR = Actor("cli", "test")


def post_data(post_id: int = 1, **overrides: Any) -> dict[str, Any]:
    data = {
        "id": post_id,
        "guid": f"https://www.example.se/?p={post_id}",
        "title": "Vinterns snöröjning",
        "content": "<p>Kommunen plogar gator och cykelvägar från klockan fem.</p>",
        "content_raw": "<!-- wp:paragraph --><p>Kommunen plogar gator och cykelvägar "
        "från klockan fem.</p><!-- /wp:paragraph -->",
        "excerpt": "Kommunen plogar gator.",
        "permalink": f"https://www.example.se/2026/11/snorojning-{post_id}/",
        "status": "publish",
        "author": {"id": 3, "name": "Anna Andersson"},
        "published_at": "2026-11-28T08:00:00Z",
        "modified_at": "2026-11-28T08:00:00Z",
        "terms": {"category": ["Trafik"], "post_tag": ["vinter"]},
        "featured_image": None,
    }
    data.update(overrides)
    return data


def comment_data(comment_id: int = 10, post_id: int = 1, **overrides: Any) -> dict[str, Any]:
    data = {
        "id": comment_id,
        "post_id": post_id,
        "post_type": "post",
        "post_title": "Vinterns snöröjning",
        "parent": 0,
        "content": "Min gata har inte plogats på två dagar.",
        "status": "hold",
        "author": {"name": "Bertil Bengtsson", "url": "", "user_id": 0},
        "author_email": "bertil@example.se",
        "date": "2026-11-28T09:00:00Z",
        "permalink": f"https://www.example.se/2026/11/snorojning-{post_id}/#comment-{comment_id}",
    }
    data.update(overrides)
    return data


def event(
    event_type: str, data: dict[str, Any], timestamp: str = "2026-11-28T09:30:00Z"
) -> dict[str, Any]:
    return {"type": event_type, "timestamp": timestamp, "data": data}


def signed_headers(
    secret: str, body: bytes, webhook_id: str, when: datetime | None = None
) -> dict[str, str]:
    when = when or datetime.now(UTC)
    signature = Webhook(secret).sign(webhook_id, when, body.decode())
    return {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }


@dataclass
class Sender:
    """Sends signed events to one site through a Flask test client."""

    client: Any
    site_id: str
    secret: str

    def send(
        self,
        event_type: str,
        data: dict[str, Any],
        *,
        webhook_id: str | None = None,
        timestamp: str = "2026-11-28T09:30:00Z",
    ) -> Any:
        body = json.dumps(event(event_type, data, timestamp)).encode()
        return self.send_raw(body, webhook_id=webhook_id)

    def send_raw(
        self, body: bytes, *, webhook_id: str | None = None, **header_overrides: str
    ) -> Any:
        webhook_id = webhook_id or f"msg_{next(_ids):06d}"
        headers = signed_headers(self.secret, body, webhook_id)
        headers.update(header_overrides)
        return self.client.post(f"/v1/sites/{self.site_id}/events", data=body, headers=headers)
