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


# The largest integer JSON numbers (IEEE doubles) hold exactly; rfc8785 refuses larger.
_SAFE_INTEGER = 2**53 - 1
_BMP = "\uffff"


def canonical(document: Any) -> bytes:
    """The RFC 8785 form of `document`.

    For what the archive stores — objects with string keys, arrays, strings, safe integers,
    booleans and null — the standard library's C encoder writes the same bytes: members
    sorted by key (code points sort as UTF-16 code units do while no key holds a character
    beyond U+FFFF), no whitespace, UTF-8, only `"`, `\\` and control characters escaped
    (as \\b \\t \\n \\f \\r or lower-case \\u00xx). That is about ten times faster
    than the pure-Python `rfc8785`, which takes everything else (a float, say), and `verify`
    runs this for every object it reads."""
    if _plain(document):
        try:
            return json.dumps(
                document, ensure_ascii=False, sort_keys=True, separators=(",", ":")
            ).encode()
        except UnicodeEncodeError:  # a lone surrogate: rfc8785 says what is wrong
            pass
    return rfc8785.dumps(document)


def _plain(value: Any) -> bool:
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -_SAFE_INTEGER <= value <= _SAFE_INTEGER
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and (key.isascii() or max(key) <= _BMP) and _plain(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return all(_plain(item) for item in value)
    return False


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
