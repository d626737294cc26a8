"""Canonical form and hashing (RFC 8785, JSON Canonicalization Scheme).

A version's `sha256` is the SHA-256 of the canonical form of the version without its
`sha256` member; anyone can check it with any JCS implementation.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785

from service.errors import IntegrityError

HASH_FIELD = "sha256"


def canonical(document: Any) -> bytes:
    return rfc8785.dumps(document)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest(document: dict[str, Any]) -> str:
    """SHA-256 of the canonical form of `document` without its own hash member."""
    return sha256_hex(canonical({k: v for k, v in document.items() if k != HASH_FIELD}))


def seal(document: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """Add the document's own hash and return it with its stored (canonical) bytes."""
    sealed = {**document, HASH_FIELD: digest(document)}
    return sealed, canonical(sealed)


def verify(data: bytes) -> dict[str, Any]:
    """Parse stored bytes and check the hash they carry; `ValueError` if it does not match."""
    document = json.loads(data)
    if not isinstance(document, dict) or document.get(HASH_FIELD) != digest(document):
        raise ValueError("stored object does not match its sha256")
    return document


def verify_stored(data: bytes, key: str) -> dict[str, Any]:
    """`verify` for an object read from storage at `key`: `IntegrityError` naming it."""
    try:
        return verify(data)
    except (ValueError, json.JSONDecodeError):
        raise IntegrityError(f"{key} does not match its sha256") from None
