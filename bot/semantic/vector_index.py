"""An in-memory prefilter over every stored vector, in two steps:

1. Sign codes, one bit a dimension: Hamming distance between codes tracks the angle
   between vectors, so the `SHORTLIST` codes nearest the topic's hold most of its nearest
   vectors. A scan of 2M codes takes ~10 ms (bench/bench_semantic.py), in blocks that stay
   in the CPU cache.
2. A sketch, each vector's first `SKETCH` components as stored (signed bytes; the model's
   dimensions come by variance, PCA, so these carry most of the direction): the shortlist
   is ranked by cosine on them, and the best `count` go on to be scored exactly from the
   store (bot/semantic/semantic_search.py).

32 + 64 bytes a passage at 256 dimensions, plus 12 of id and feed: 2M passages take
~220 MB.

The codes are kept word-major (`_codes[w]` is word w of every row) so that a block is a
contiguous slice of each word. Rows are only appended; a vector deleted from the store
stays here until `reset` (the exact scoring finds it gone and skips it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

_BLOCK = 32768  # rows scored at a time: the block's temporaries stay in cache
SHORTLIST = 2000  # nearest sign codes ranked on their sketch
SKETCH = 64  # leading components kept in memory
# Leading components whose signs make the codes: 128 would halve the scan, but over 2.15M
# vectors it kept 76% of the 25 nearest among the candidates, where 256 keeps 89%.
CODE_DIMS = 256
# numpy < 2 has no bitwise_count: bits counted a byte at a time from a table (slower).
_BYTE_BITS = np.array([bin(b).count("1") for b in range(256)], np.uint8)
_GROWTH = 1.5

IntArray = npt.NDArray[np.int64]


def sign_codes(vectors: npt.NDArray[np.floating] | npt.NDArray[np.int8]) -> npt.NDArray[np.uint64]:
    """Each row's sign bits, packed into 64-bit words (padded with zero bits), word-major:
    shape (words, rows)."""
    rows, dims = vectors.shape
    words = max(1, -(-dims // 64))
    bits = np.zeros((rows, words * 64), dtype=bool)
    bits[:, :dims] = vectors > 0
    packed = np.packbits(bits, axis=1).view(np.uint64)  # (rows, words)
    return np.ascontiguousarray(packed.T)


class VectorIndex:
    """Sign codes of the stored vectors, with their ids and feeds."""

    def __init__(self, dims: int):
        self.dims = dims
        self.code_dims = min(CODE_DIMS, dims)
        self.words = max(1, -(-self.code_dims // 64))
        self.sketch = min(SKETCH, dims)
        self.reset()

    def reset(self) -> None:
        """Forget every row (the stored vectors were dropped: another model)."""
        self.size = 0
        self.loaded_upto = 0  # the newest stored vector id held
        self._ids: IntArray = np.zeros(0, np.int64)
        self._feeds: npt.NDArray[np.int32] = np.zeros(0, np.int32)
        self._codes: npt.NDArray[np.uint64] = np.zeros((self.words, 0), np.uint64)
        self._sketch: npt.NDArray[np.int8] = np.zeros((0, self.sketch), np.int8)

    def add(self, rows: Sequence[tuple[int, int, int, bytes]]) -> None:
        """Append stored rows (id, episode_id, feed_id, vector bytes), oldest first."""
        if not rows:
            return
        count = len(rows)
        raw = np.frombuffer(b"".join(row[3] for row in rows), dtype=np.int8)
        vectors = raw.reshape(count, -1)[:, : self.dims]
        self._reserve(self.size + count)
        end = self.size + count
        self._ids[self.size : end] = [row[0] for row in rows]
        self._feeds[self.size : end] = [row[2] for row in rows]
        self._codes[:, self.size : end] = sign_codes(vectors[:, : self.code_dims])
        self._sketch[self.size : end] = vectors[:, : self.sketch]
        self.size = end
        self.loaded_upto = max(self.loaded_upto, int(rows[-1][0]))

    def _reserve(self, needed: int) -> None:
        capacity = len(self._ids)
        if needed <= capacity:
            return
        capacity = max(needed, int(capacity * _GROWTH), 1024)
        ids = np.zeros(capacity, np.int64)
        ids[: self.size] = self._ids[: self.size]
        self._ids = ids
        feeds = np.zeros(capacity, np.int32)
        feeds[: self.size] = self._feeds[: self.size]
        self._feeds = feeds
        codes = np.zeros((self.words, capacity), np.uint64)
        codes[:, : self.size] = self._codes[:, : self.size]
        self._codes = codes
        sketch = np.zeros((capacity, self.sketch), np.int8)
        sketch[: self.size] = self._sketch[: self.size]
        self._sketch = sketch

    def nearest(
        self,
        query: npt.NDArray[np.float32],
        count: int,
        *,
        feeds: frozenset[int] | None = None,
        shortlist: int = SHORTLIST,
    ) -> list[int]:
        """Ids of the `count` rows nearest the query by their sketch, of the `shortlist`
        (or so: ties at the cut) whose codes are nearest, among the rows of `feeds`
        (None: all)."""
        size = self.size
        if size == 0 or count <= 0:
            return []
        code = sign_codes(query[: self.code_dims].reshape(1, -1))[:, 0]
        distances = self._distances(code, size)
        if feeds is not None:
            allowed = np.zeros(int(self._feeds[:size].max(initial=0)) + 1, dtype=bool)
            visible = [f for f in feeds if f < len(allowed)]
            allowed[visible] = True
            distances[~allowed[self._feeds[:size]]] = np.iinfo(np.uint16).max
        wanted = max(count, shortlist)
        rows = np.flatnonzero(distances <= self._cut(distances, wanted))
        if len(rows) < wanted and len(rows) < size:  # the sample misled: count them all
            rows = np.flatnonzero(distances <= self._cut(distances, wanted, sample=False))
        if len(rows) > 2 * wanted:  # many ties at the cut: the first of them
            rows = rows[np.argsort(distances[rows], kind="stable")[: 2 * wanted]]
        if len(rows) > count:
            sketch = self._sketch[rows].astype(np.float32)
            norms = np.linalg.norm(sketch, axis=1)
            near = (sketch @ query[: self.sketch]) / np.maximum(norms, 1e-6)
            rows = rows[np.argsort(-near, kind="stable")[:count]]
        return [int(i) for i in self._ids[rows]]

    def _cut(self, distances: npt.NDArray[np.uint16], wanted: int, *, sample: bool = True) -> int:
        """A distance at or under which about `wanted` rows lie (rather more than fewer):
        from every 1 in `step` rows when there are many (a partial sort of millions, or
        even a histogram of them, costs more than the scan), else from all of them."""
        limit = self.words * 64
        size = len(distances)
        if sample and size > 64 * wanted:
            step = size // (32 * wanted)
            picked = distances[::step]
            at = min(len(picked) - 1, int(1.5 * wanted / step))
            return min(int(np.partition(picked, at)[at]), limit)
        histogram = np.bincount(distances, minlength=limit + 1)
        return min(int(np.searchsorted(np.cumsum(histogram), wanted)), limit)

    def _distances(self, code: npt.NDArray[np.uint64], size: int) -> npt.NDArray[np.uint16]:
        distances = np.empty(size, np.uint16)
        scratch = np.empty(min(size, _BLOCK), np.uint64)
        counts = np.empty(min(size, _BLOCK), np.uint8)
        for start in range(0, size, _BLOCK):
            end = min(size, start + _BLOCK)
            n = end - start
            into = distances[start:end]
            into[:] = 0
            for word in range(self.words):
                np.bitwise_xor(self._codes[word, start:end], code[word], out=scratch[:n])
                if hasattr(np, "bitwise_count"):
                    np.bitwise_count(scratch[:n], out=counts[:n])
                    np.add(into, counts[:n], out=into)
                else:
                    bits = _BYTE_BITS[scratch[:n].view(np.uint8)].reshape(n, 8)
                    np.add(into, bits.sum(axis=1, dtype=np.uint16), out=into)
        return distances
