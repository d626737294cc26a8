"""Where each object sits in the log (`log_leaves`): a projection of the entry bundles,
caught up from storage whenever it lags behind the tree, so it survives a lost database."""

from __future__ import annotations

from sqlalchemy import Engine, delete, func, insert, select

from service.index import tables as t
from service.index.db import unavailable_on_db_error, writing
from service.integrity.leaves import parse_entry
from service.integrity.tiles import Tiles

BATCH = 2000


class LeafPositions:
    def __init__(self, engine: Engine, tiles: Tiles):
        self.engine = engine
        self.tiles = tiles

    @unavailable_on_db_error
    def known(self) -> int:
        """How many leaves the table shows (it is always a prefix of the log)."""
        with self.engine.connect() as conn:
            top = conn.execute(select(func.max(t.log_leaves.c.leaf_index))).scalar()
        return 0 if top is None else int(top) + 1

    @unavailable_on_db_error
    def catch_up(self, size: int) -> int:
        """Show every leaf of the tree of `size`; return how many were added."""
        start = self.known()
        if start >= size:
            return 0
        rows: list[dict[str, object]] = []
        with writing(self.engine, durable=False) as conn:
            conn.execute(delete(t.log_leaves).where(t.log_leaves.c.leaf_index >= start))
            for index, data in self.tiles.iter_entries(start, size):
                sha, key = parse_entry(data)
                rows.append({"leaf_index": index, "object_key": key, "sha256": sha})
                if len(rows) >= BATCH:
                    conn.execute(insert(t.log_leaves), rows)
                    rows = []
            if rows:
                conn.execute(insert(t.log_leaves), rows)
        return size - start

    @unavailable_on_db_error
    def find(self, key: str) -> tuple[int, str] | None:
        """The first leaf that logged `key`, with the hash it logged."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.log_leaves.c.leaf_index, t.log_leaves.c.sha256)
                .where(t.log_leaves.c.object_key == key)
                .order_by(t.log_leaves.c.leaf_index)
                .limit(1)
            ).first()
        return None if row is None else (int(row.leaf_index), str(row.sha256))
