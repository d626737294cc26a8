"""Canonical form, sealing and verification: the integrity every version carries."""

from __future__ import annotations

import hashlib
import json

import pytest
import rfc8785

from service.records.canonical import canonical, digest, seal, verify

DOCUMENT = {
    "title": "Vinterns snöröjning",
    "version": 2,
    "terms": {"post_tag": ["vinter"], "category": ["Trafik"]},
    "previous_sha256": None,
    "ratio": 0.5,
}


def test_canonical_is_rfc8785_sorted_compact_utf8() -> None:
    data = canonical({"b": 1, "a": "å", "c": [3, 1]})

    assert data == '{"a":"å","b":1,"c":[3,1]}'.encode()
    assert data == rfc8785.dumps({"c": [3, 1], "a": "å", "b": 1})


def test_canonical_does_not_depend_on_key_order() -> None:
    reordered = dict(reversed(list(DOCUMENT.items())))

    assert canonical(reordered) == canonical(DOCUMENT)
    assert digest(reordered) == digest(DOCUMENT)


def test_seal_adds_the_sha256_of_the_canonical_form_without_it() -> None:
    sealed, data = seal(DOCUMENT)

    assert sealed["sha256"] == hashlib.sha256(rfc8785.dumps(DOCUMENT)).hexdigest()
    assert data == rfc8785.dumps(sealed)
    assert json.loads(data) == sealed
    assert "sha256" not in DOCUMENT  # the input is left alone


def test_sealing_twice_gives_the_same_bytes() -> None:
    sealed, data = seal(DOCUMENT)
    resealed, again = seal(sealed)

    assert resealed == sealed
    assert again == data


def test_verify_returns_the_document() -> None:
    _, data = seal(DOCUMENT)

    assert verify(data) == {**DOCUMENT, "sha256": digest(DOCUMENT)}


def test_verify_accepts_any_whitespace_or_key_order() -> None:
    sealed, _ = seal(DOCUMENT)
    pretty = json.dumps(dict(reversed(list(sealed.items()))), indent=2).encode()

    assert verify(pretty) == sealed


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d.update(title="Vinterns snöröjning!"),
        lambda d: d.update(version=3),
        lambda d: d["terms"]["post_tag"].append("sommar"),
        lambda d: d.update(previous_sha256="0" * 64),
        lambda d: d.update(extra="smuggled"),
        lambda d: d.pop("ratio"),
        lambda d: d.update(sha256="0" * 64),
        lambda d: d.pop("sha256"),
    ],
    ids=["title", "version", "nested", "chain", "added", "removed", "hash", "no-hash"],
)
def test_verify_detects_tampering(tamper) -> None:  # type: ignore[no-untyped-def]
    sealed, _ = seal(DOCUMENT)
    tampered = json.loads(json.dumps(sealed))
    tamper(tampered)

    with pytest.raises(ValueError, match="does not match"):
        verify(json.dumps(tampered).encode())


def test_verify_detects_a_flipped_byte() -> None:
    _, data = seal(DOCUMENT)
    flipped = data.replace("snöröjning".encode(), "snöröjnimg".encode())

    assert flipped != data
    with pytest.raises(ValueError):
        verify(flipped)


@pytest.mark.parametrize("data", [b"[1, 2]", b'"text"', b"null", b"42"])
def test_verify_refuses_what_is_not_an_object(data: bytes) -> None:
    with pytest.raises(ValueError):
        verify(data)


def test_verify_refuses_what_is_not_json() -> None:
    with pytest.raises(ValueError):  # json.JSONDecodeError is a ValueError
        verify(b"{not json")
