"""The tree in storage as C2SP tlog-tiles lays it out, and proofs read from it."""

from __future__ import annotations

import random
from pathlib import Path

from service.integrity import merkle
from service.integrity.tiles import Tiles, encode_index, tile_key, unbundle
from service.storage.filesystem import FileStore


def test_tile_paths_follow_the_spec() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(5) == "005"
    assert tile_key(0, 5, 17) == "log/tile/0/005.p/17"
    assert tile_key("entries", 1000) == "log/tile/entries/x001/000"


def test_a_tree_of_70000_is_the_spec_example(tmp_path: Path) -> None:
    """273 full level-0 tiles and one of width 112; one full level-1 tile and one of width 17;
    one level-2 tile of width 1 (c2sp.org/tlog-tiles, Partial Tiles)."""
    store = FileStore.from_url((tmp_path / "objects").as_uri())
    tiles = Tiles(store)
    entries = [
        f"{i:064x}  sites/s/posts/{i}/versions/0000000001.json\n".encode() for i in range(70_000)
    ]
    rng, size, sizes = random.Random(7), 0, []
    while size < len(entries):
        size = tiles.extend(size, entries[size : size + rng.choice([1, 5, 255, 256, 999, 4000])])
        sizes.append(size)
    keys = set(store.list("log/tile/"))
    assert sum(1 for k in keys if k.startswith("log/tile/0/") and ".p/" not in k) == 273
    assert "log/tile/0/273.p/112" in keys
    assert "log/tile/1/000" in keys and "log/tile/1/001.p/17" in keys
    assert "log/tile/2/000.p/1" in keys
    assert len(unbundle(store.get("log/tile/entries/273.p/112"))) == 112

    hashes = [merkle.leaf_hash(e) for e in entries]
    for checked in [sizes[0], sizes[len(sizes) // 2], 70_000]:
        root = merkle.root_of(hashes[:checked])
        assert tiles.root(checked) == root
        for index in rng.sample(range(checked), 5):
            proof = merkle.inclusion_proof(index, checked, tiles.subtree(checked))
            merkle.verify_inclusion(index, checked, hashes[index], proof, root)
    old = sizes[len(sizes) // 3]
    proof = merkle.consistency_proof(old, 70_000, tiles.subtree(70_000))
    merkle.verify_consistency(
        old, 70_000, merkle.root_of(hashes[:old]), merkle.root_of(hashes), proof
    )
