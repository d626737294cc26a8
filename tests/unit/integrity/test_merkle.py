"""The Merkle tree against RFC 6962's own definitions and against independent vectors.

`reference_*` below is written from the RFC text (6962 §2.1 for hashes and proofs, 9162
§2.1.3.2 and §2.1.4.2 for checking them), apart from service.integrity.merkle."""

from __future__ import annotations

import hashlib
import json
import random
from functools import cache
from pathlib import Path

import pytest

from service.integrity import merkle

VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "rfc6962.json").read_text())
SIZES = range(1, 301)


def h(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


def entries(n: int) -> list[bytes]:
    return [f"leaf {i}".encode() for i in range(n)]


class Reference:
    """RFC 6962 §2.1, literally: MTH, PATH and PROOF by their recursive definitions."""

    def __init__(self, data: list[bytes]):
        self.data = data

    @cache  # noqa: B019 - one small object per test
    def mth(self, start: int, end: int) -> bytes:
        n = end - start
        if n == 0:
            return h(b"")
        if n == 1:
            return h(b"\x00", self.data[start])
        k = 1
        while k * 2 < n:
            k *= 2
        return h(b"\x01", self.mth(start, start + k), self.mth(start + k, end))

    def path(self, m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = 1
        while k * 2 < n:
            k *= 2
        if m < k:
            return [*self.path(m, start, start + k), self.mth(start + k, end)]
        return [*self.path(m - k, start + k, end), self.mth(start, start + k)]

    def subproof(self, m: int, start: int, end: int, b: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if b else [self.mth(start, end)]
        k = 1
        while k * 2 < n:
            k *= 2
        if m <= k:
            return [*self.subproof(m, start, start + k, b), self.mth(start + k, end)]
        return [*self.subproof(m - k, start + k, end, False), self.mth(start, start + k)]


def reference_verify_inclusion(
    index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2, step by step."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = h(b"\x01", p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = h(b"\x01", r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def reference_verify_consistency(
    m: int, n: int, first: bytes, second: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2, step by step (for 0 < m < n)."""
    if not proof:
        return False
    if m & (m - 1) == 0:
        proof = [first, *proof]
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = h(b"\x01", c, fr), h(b"\x01", c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = h(b"\x01", sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first and sr == second and sn == 0


@pytest.mark.parametrize("size", SIZES)
def test_inclusion_proofs_for_every_leaf_match_rfc6962(size: int) -> None:
    data = entries(size)
    ref = Reference(data)
    hashes = [merkle.leaf_hash(e) for e in data]
    subtree = ref.mth  # where the hashes come from; the proof's shape is merkle's
    root = ref.mth(0, size)
    assert merkle.root_of(hashes) == root
    for index in range(size):
        proof = merkle.inclusion_proof(index, size, subtree)
        assert proof == ref.path(index, 0, size)
        assert reference_verify_inclusion(index, size, hashes[index], proof, root)
        merkle.verify_inclusion(index, size, hashes[index], proof, root)


@pytest.mark.parametrize("size", SIZES)
def test_consistency_proofs_match_rfc6962(size: int) -> None:
    data = entries(size)
    ref = Reference(data)
    subtree = ref.mth
    # Every pair up to 64 leaves; above, every old size up to 64 and a stride beyond.
    olds = range(1, size + 1) if size <= 64 else [*range(1, 65), *range(65, size + 1, 7), size]
    for old in olds:
        proof = merkle.consistency_proof(old, size, subtree)
        assert proof == ([] if old == size else ref.subproof(old, 0, size, True))
        old_root, new_root = ref.mth(0, old), ref.mth(0, size)
        if old < size:
            assert reference_verify_consistency(old, size, old_root, new_root, proof)
        merkle.verify_consistency(old, size, old_root, new_root, proof)


def test_compact_range_gives_every_intermediate_root() -> None:
    data = entries(300)
    ref = Reference(data)
    compact = merkle.CompactRange()
    for i, entry in enumerate(data):
        compact.append(merkle.leaf_hash(entry))
        assert compact.root() == ref.mth(0, i + 1)


def test_vectors_from_an_independent_implementation() -> None:
    leaves = [merkle.leaf_hash(bytes.fromhex(x)) for x in VECTORS["leaves"]]
    for size, root in enumerate(VECTORS["roots"]):
        assert merkle.root_of(leaves[:size]).hex() == root
    subtree = merkle.memory_subtree(leaves)
    for case in VECTORS["inclusion"]:
        proof = merkle.inclusion_proof(case["index"], case["size"], subtree)
        assert [p.hex() for p in proof] == case["proof"]
        root = bytes.fromhex(VECTORS["roots"][case["size"]])
        merkle.verify_inclusion(case["index"], case["size"], leaves[case["index"]], proof, root)
    for case in VECTORS["consistency"]:
        proof = merkle.consistency_proof(case["old"], case["new"], subtree)
        assert [p.hex() for p in proof] == case["proof"]
        merkle.verify_consistency(
            case["old"],
            case["new"],
            bytes.fromhex(VECTORS["roots"][case["old"]]),
            bytes.fromhex(VECTORS["roots"][case["new"]]),
            proof,
        )


def _corruptions(proof: list[bytes]) -> list[list[bytes]]:
    bad = [[*proof, proof[0] if proof else b"\x00" * 32], [b"\x11" * 32, *proof]]
    for i in range(len(proof)):
        flipped = bytearray(proof[i])
        flipped[0] ^= 8
        bad.append([*proof[:i], bytes(flipped), *proof[i + 1 :]])
    if proof:
        bad.append(proof[:-1])
    return bad


def test_corrupted_inclusion_proofs_are_rejected() -> None:
    rng = random.Random(6962)
    for size in rng.sample(list(SIZES), 40):
        hashes = [merkle.leaf_hash(e) for e in entries(size)]
        subtree = merkle.memory_subtree(hashes)
        root = merkle.root_of(hashes)
        index = rng.randrange(size)
        proof = merkle.inclusion_proof(index, size, subtree)
        for bad in _corruptions(proof):
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(index, size, hashes[index], bad, root)
        wrong = [(index ^ 1, size), (index, size * 2 + 1), (index, size + 1)]
        for other_index, other_size in wrong:
            if other_index < other_size and (other_index, other_size) != (index, size):
                ok = reference_verify_inclusion(other_index, other_size, hashes[index], proof, root)
                if not ok:
                    with pytest.raises(merkle.ProofError):
                        merkle.verify_inclusion(other_index, other_size, hashes[index], proof, root)
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(index, size, merkle.leaf_hash(b"other"), proof, root)


def test_corrupted_consistency_proofs_are_rejected() -> None:
    rng = random.Random(9162)
    for _ in range(60):
        new = rng.randrange(2, 301)
        old = rng.randrange(1, new)
        hashes = [merkle.leaf_hash(e) for e in entries(new)]
        subtree = merkle.memory_subtree(hashes)
        old_root, new_root = merkle.root_of(hashes[:old]), merkle.root_of(hashes)
        proof = merkle.consistency_proof(old, new, subtree)
        for bad in _corruptions(proof):
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(old, new, old_root, new_root, bad)
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(old, new, new_root, old_root, proof)
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(old, new, old_root, old_root, proof)
