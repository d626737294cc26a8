"""Canonical form, sealing and verification: the integrity every version carries."""

from __future__ import annotations

import hashlib
import json
import random

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


# --- the fast path writes exactly what rfc8785 writes --------------------------------------

TRICKY_STRINGS = [
    "",
    "Snöröjning på Storgatan",
    'citat " och \\ snedstreck',
    "".join(chr(c) for c in range(0x20)),  # every control character
    "\x7f\u0080\u00ad\u2028\u2029\ufeff",
    "😀 𝄞 emoji and astral",
    "\ue000\uffff private use and the last of the BMP",
    "</script>&<>'",
]
TRICKY_KEYS = ["a", "B", "å", "ä", "ö", "é", "\ue000", "\uffff", "key with space", "10", "2", ""]


def _random_document(rng: random.Random, depth: int = 0) -> object:
    choice = rng.randrange(9 if depth < 4 else 6)
    if choice == 0:
        planes = [0, 0x20, 0x800, 0xE000, 0x1F600]  # control, Latin…, BMP, private use, astral
        return rng.choice(TRICKY_STRINGS) + "".join(
            chr(rng.choice(planes) + rng.randrange(0x20)) for _ in range(rng.randrange(6))
        )
    if choice == 1:
        return rng.choice([0, 1, -1, 2**53 - 1, -(2**53 - 1), rng.randrange(-(10**12), 10**12)])
    if choice == 2:
        return rng.choice([True, False, None])
    if choice in (3, 4, 5):
        return rng.choice(TRICKY_STRINGS)
    if choice in (6, 7):
        return {
            rng.choice(TRICKY_KEYS) + rng.choice(["", "x", "Å"]): _random_document(rng, depth + 1)
            for _ in range(rng.randrange(6))
        }
    return [_random_document(rng, depth + 1) for _ in range(rng.randrange(5))]


def test_the_fast_path_writes_what_rfc8785_writes() -> None:
    rng = random.Random(8785)
    documents = [_random_document(rng) for _ in range(2000)]
    documents += [{"k": s} for s in TRICKY_STRINGS] + [{k: k for k in TRICKY_KEYS}]

    for document in documents:
        assert canonical(document) == rfc8785.dumps(document), document


@pytest.mark.parametrize(
    "document",
    [
        {"float": 1.5},
        {"big": 2**53},
        {"negative big": -(2**53)},
        {"astral key 😀": 1, "\uffff": 2},  # UTF-16 order differs from code point order
        {"tuple": (1, 2)},
        {1: "non-string key"},
    ],
)
def test_what_the_fast_path_cannot_write_goes_to_rfc8785(document: object) -> None:
    try:
        expected = rfc8785.dumps(document)
    except Exception as exc:  # noqa: BLE001 - whatever rfc8785 refuses, canonical refuses
        with pytest.raises(type(exc)):
            canonical(document)
        return
    assert canonical(document) == expected


def test_a_lone_surrogate_is_refused_as_rfc8785_refuses_it() -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical({"text": "\ud800"})


def test_plain_documents_do_not_reach_rfc8785(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(document: object) -> bytes:
        raise AssertionError("the slow path")

    monkeypatch.setattr(rfc8785, "dumps", refuse)
    assert canonical({"b": [1, "två", None], "a": {"c": True}}) == (
        '{"a":{"c":true},"b":[1,"två",null]}'.encode()
    )
