"""The shared signing vectors agree with the reference Standard Webhooks implementation.

The same file is checked by the plugin's PHPUnit tests (wp-plugin/tests/SignerTest.php), so a
signature the plugin computes is one the service accepts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import webhooks
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

VECTORS_FILE = Path(__file__).resolve().parents[1] / "vectors" / "signing.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))["vectors"]


def _frozen_at(monkeypatch: pytest.MonkeyPatch, timestamp: int) -> None:
    """Freeze the library's clock at the vector's time, so its 5-minute tolerance check passes."""

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> FrozenDatetime:  # type: ignore[override]
            return cls.fromtimestamp(timestamp, tz=tz or UTC)

    monkeypatch.setattr(webhooks, "datetime", FrozenDatetime)


def _headers(vector: dict[str, Any], signature: str) -> dict[str, str]:
    return {
        "webhook-id": vector["id"],
        "webhook-timestamp": str(vector["timestamp"]),
        "webhook-signature": signature,
    }


def test_vector_file_has_the_cases_both_sides_rely_on() -> None:
    names = [vector["name"] for vector in VECTORS]
    assert len(names) == len(set(names)) >= 5
    assert any(not vector["body"].isascii() for vector in VECTORS), "a multibyte UTF-8 body"
    assert any(not vector["secret"].endswith("=") for vector in VECTORS), "an unpadded secret"


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_sign_matches_vector(vector: dict[str, Any]) -> None:
    signed_at = datetime.fromtimestamp(vector["timestamp"], tz=UTC)
    signature = Webhook(vector["secret"]).sign(vector["id"], signed_at, vector["body"])
    assert signature == vector["signature"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_verify_accepts_vector_among_rotated_signatures(
    vector: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _frozen_at(monkeypatch, vector["timestamp"])
    rotated = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " + vector["signature"]
    parsed = Webhook(vector["secret"]).verify(vector["body"].encode(), _headers(vector, rotated))
    assert parsed == json.loads(vector["body"])


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_verify_rejects_a_changed_body(
    vector: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _frozen_at(monkeypatch, vector["timestamp"])
    with pytest.raises(WebhookVerificationError):
        Webhook(vector["secret"]).verify(
            vector["body"] + " ", _headers(vector, vector["signature"])
        )
