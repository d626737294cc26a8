"""The reference pipeline: the least a webhook receiver must do.

Verify the Standard Webhooks signature (the `standardwebhooks` package, as the service does)
and store the body with one S3 PUT (boto3, the same client settings as the service's
S3Store). No framework, no database, no parsing. `make bench` runs it under the same gunicorn
settings as `offentlig serve` and divides the service's throughput by this one's.

Environment: BENCH_REF_SECRET (whsec_…), BENCH_REF_BUCKET, BENCH_REF_ENDPOINT_URL.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Any

import boto3
from botocore.config import Config
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

_webhook = Webhook(os.environ.get("BENCH_REF_SECRET", "whsec_" + "A" * 44))
_bucket = os.environ.get("BENCH_REF_BUCKET", "bench-reference")
_client = boto3.client(
    "s3",
    endpoint_url=os.environ.get("BENCH_REF_ENDPOINT_URL"),
    config=Config(
        connect_timeout=3,
        read_timeout=20,
        retries={"max_attempts": 3, "mode": "standard"},
        max_pool_connections=64,
        s3={"addressing_style": "path"},
    ),
)
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")

Respond = Callable[[str, list[tuple[str, str]]], Any]


def _answer(respond: Respond, status: str, body: bytes) -> Iterable[bytes]:
    respond(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def app(environ: dict[str, Any], respond: Respond) -> Iterable[bytes]:
    if environ["REQUEST_METHOD"] == "GET":
        return _answer(respond, "200 OK", b'{"status":"ok"}')
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    headers = {
        "webhook-id": environ.get("HTTP_WEBHOOK_ID", ""),
        "webhook-timestamp": environ.get("HTTP_WEBHOOK_TIMESTAMP", ""),
        "webhook-signature": environ.get("HTTP_WEBHOOK_SIGNATURE", ""),
    }
    try:
        _webhook.verify(body.decode("utf-8"), headers, json_parse=False)
    except (WebhookVerificationError, ValueError):
        return _answer(respond, "401 Unauthorized", b'{"error":"signature"}')
    if not _SAFE_ID.match(headers["webhook-id"]):
        return _answer(respond, "422 Unprocessable Entity", b'{"error":"webhook-id"}')
    _client.put_object(
        Bucket=_bucket,
        Key=f"reference/{headers['webhook-id']}.json",
        Body=body,
        ContentType="application/json",
    )
    return _answer(respond, "201 Created", b'{"stored":true}')
