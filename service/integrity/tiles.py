"""The log's Merkle tree in object storage, as C2SP tlog-tiles lays it out
(https://c2sp.org/tlog-tiles), under `log/`:

    log/tile/<L>/<N>[.p/<W>]        256 hashes (8,192 bytes) per full tile; level 0: leaf hashes
    log/tile/entries/<N>[.p/<W>]    the entries themselves, uint16 big-endian length-prefixed

`<N>` is written in 3-digit groups, all but the last with an `x` (1234067 → x001/x234/067).
Tiles are a pure function of the entries and the tree size, so writing one again writes the
same bytes: a sequencer that died half-way is finished by the next one without harm.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from collections.abc import Iterator, Sequence

from service.integrity import merkle
from service.storage.port import ObjectStore

PREFIX = "log/"
HEIGHT = 8
WIDTH = 1 << HEIGHT
BINARY = "application/octet-stream"
ENTRIES = "entries"


def encode_index(n: int) -> str:
    groups = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        groups.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(groups))


def tile_key(level: int | str, index: int, width: int = WIDTH) -> str:
    suffix = "" if width == WIDTH else f".p/{width}"
    return f"{PREFIX}tile/{level}/{encode_index(index)}{suffix}"


def width_at(level: int, index: int, size: int) -> int:
    """How wide tile `index` at `level` is in a tree of `size` leaves (0: not there yet)."""
    count: int = size // WIDTH**level  # hashes at this level
    return max(0, min(WIDTH, count - index * WIDTH))


def bundle(entries: Sequence[bytes]) -> bytes:
    return b"".join(struct.pack(">H", len(e)) + e for e in entries)


def unbundle(data: bytes) -> list[bytes]:
    entries, at = [], 0
    while at < len(data):
        if at + 2 > len(data):
            raise ValueError("truncated entry bundle")
        (length,) = struct.unpack_from(">H", data, at)
        entries.append(data[at + 2 : at + 2 + length])
        at += 2 + length
    if at != len(data):
        raise ValueError("truncated entry bundle")
    return entries


class Tiles:
    """Reads and writes the tree of one log; full tiles never change and are cached."""

    def __init__(self, storage: ObjectStore, cache_tiles: int = 512):
        self.storage = storage
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_tiles = cache_tiles

    # --- reading -----------------------------------------------------------------------------

    def _get(self, key: str, full: bool) -> bytes:
        if key in self._cache:
            return self._cache[key]
        data = self.storage.get(key)
        if full:
            self._cache[key] = data
            if len(self._cache) > self._cache_tiles:
                self._cache.popitem(last=False)
        return data

    def tile(self, level: int, index: int, size: int) -> list[bytes]:
        width = width_at(level, index, size)
        if width == 0:
            return []
        try:
            data = self._get(tile_key(level, index, width), width == WIDTH)
        except FileNotFoundError:
            if width == WIDTH:
                raise
            # A partial tile may be gone once the tile filled up: the full one starts alike.
            data = self._get(tile_key(level, index), True)[: width * merkle.HASH_SIZE]
        if len(data) != width * merkle.HASH_SIZE:
            raise ValueError(f"{tile_key(level, index, width)} is not {width} hashes long")
        return [data[i : i + 32] for i in range(0, len(data), 32)]

    def entries(self, index: int, size: int) -> list[bytes]:
        width = width_at(0, index, size)
        if width == 0:
            return []
        try:
            found = unbundle(self._get(tile_key(ENTRIES, index, width), width == WIDTH))
        except FileNotFoundError:
            if width == WIDTH:
                raise
            found = unbundle(self._get(tile_key(ENTRIES, index), True))[:width]
        if len(found) != width:
            raise ValueError(f"{tile_key(ENTRIES, index, width)} does not hold {width} entries")
        return found

    def iter_entries(self, start: int, size: int) -> Iterator[tuple[int, bytes]]:
        """(leaf index, entry) from `start` to the end of a tree of `size`."""
        for tile in range(start // WIDTH, (size + WIDTH - 1) // WIDTH):
            for offset, entry in enumerate(self.entries(tile, size)):
                index = tile * WIDTH + offset
                if index >= start:
                    yield index, entry

    def hashes(self, level: int, start: int, end: int, size: int) -> list[bytes]:
        """The level-`level` hashes [start, end) of a tree of `size`."""
        found: list[bytes] = []
        for tile in range(start // WIDTH, (end - 1) // WIDTH + 1):
            row = self.tile(level, tile, size)
            lo = max(start - tile * WIDTH, 0)
            found.extend(row[lo : min(end - tile * WIDTH, len(row))])
        if len(found) != end - start:
            raise ValueError(f"level {level} lacks hashes {start}..{end} at size {size}")
        return found

    def subtree(self, size: int) -> merkle.Subtree:
        """MTH(D[start:end]) read from the tiles of a tree of `size` leaves."""

        def mth(start: int, end: int) -> bytes:
            n = end - start
            if n == 0:
                return merkle.EMPTY_ROOT
            if n & (n - 1) == 0 and start % n == 0:  # a perfect, aligned subtree
                level = (n.bit_length() - 1) // HEIGHT
                unit = WIDTH**level
                return merkle.root_of(self.hashes(level, start // unit, end // unit, size))
            k = merkle.split(n)
            return merkle.node_hash(mth(start, start + k), mth(start + k, end))

        return mth

    def root(self, size: int) -> bytes:
        return self.subtree(size)(0, size)

    # --- writing -----------------------------------------------------------------------------

    def extend(self, old_size: int, new_entries: Sequence[bytes]) -> int:
        """Write the tiles and entry bundles of the tree grown by `new_entries`; return its size."""
        new_size = old_size + len(new_entries)
        self._append_row(ENTRIES, old_size, list(new_entries))
        row = [merkle.leaf_hash(e) for e in new_entries]
        level, old_count, new_count = 0, old_size, new_size
        while row:
            completed = self._append_row(level, old_count, row)
            # Each tile filled up now becomes one hash in the level above.
            row = [merkle.root_of(self.tile(level, t, new_size)) for t in completed]
            level, old_count, new_count = level + 1, old_count // WIDTH, new_count // WIDTH
        return new_size

    def _append_row(self, level: int | str, old_count: int, items: list[bytes]) -> list[int]:
        """Append `items` after the first `old_count` of a row; return the tiles filled."""
        completed = []
        at, position = 0, old_count
        while at < len(items):
            tile, offset = divmod(position, WIDTH)
            take = min(WIDTH - offset, len(items) - at)
            previous = self._existing(level, tile, offset)
            row = previous + items[at : at + take]
            width = offset + take
            data = bundle(row) if level == ENTRIES else b"".join(row)
            key = tile_key(level, tile, width)
            self.storage.put(key, data, content_type=BINARY)
            if width == WIDTH:
                completed.append(tile)
            at, position = at + take, position + take
        return completed

    def _existing(self, level: int | str, tile: int, width: int) -> list[bytes]:
        if width == 0:
            return []
        data = self.storage.get(tile_key(level, tile, width))
        if level == ENTRIES:
            return unbundle(data)
        return [data[i : i + 32] for i in range(0, len(data), 32)]
