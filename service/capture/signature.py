"""Standard Webhooks 1.0 verification, with every malformed header mapped to one error."""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from service.errors import InvalidInput, InvalidSignature

# Webhook ids become object keys, so they are held to a safe alphabet.
WEBHOOK_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


def verify(secret: str, body: bytes, headers: Mapping[str, str]) -> str:
    """Check the signature of `body`; return its `webhook-id`.

    The 5-minute timestamp tolerance and the constant-time comparison are the
    standardwebhooks package's.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    wanted = {
        name: lowered.get(name, "")
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(
            "The body is not UTF-8.", errors={"json": ["Body must be UTF-8 JSON."]}
        ) from None
    try:
        Webhook(secret).verify(text, wanted, json_parse=False)
    except (WebhookVerificationError, ValueError, binascii.Error) as exc:
        raise InvalidSignature(f"Webhook signature rejected: {exc}") from None
    webhook_id = wanted["webhook-id"]
    if not WEBHOOK_ID.match(webhook_id):
        raise InvalidInput(
            "Invalid webhook-id.",
            errors={"headers": {"webhook-id": ["Use 1-128 characters of A-Z a-z 0-9 _ . -"]}},
        )
    return webhook_id
