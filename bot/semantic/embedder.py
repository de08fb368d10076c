"""Text to vectors: a model2vec static model (token vectors averaged: no neural network
runs, so a 1-hour transcript embeds in well under a second on one core).

The model is named by EMBEDDING_MODEL: a local folder (as `StaticModel.save_pretrained`
writes it) or a Hugging Face hub name, which model2vec downloads on first use and keeps
in its cache. model2vec and numpy are the `semantic` extra: this module is imported only
when the setting is set.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]

_WORD = re.compile(r"\w+")
_WORD_CACHE = 50_000  # words whose vectors are kept (a topic's and its candidates')

# Transcript passages are a sentence or two: the neighbours' words say what the talk is
# about. They count this much of the passage's own (bench/bench_relevance.py --semantic).
CONTEXT_WEIGHT = 1.0


class EmbedderUnavailable(Exception):
    """The model could not be loaded; the message says why (for one log line)."""


class Embedder:
    """A loaded model: `embed` turns texts into unit vectors (float32 rows)."""

    def __init__(self, model: Any, name: str):
        self._model = model
        self.name = name
        self.dims = int(model.dim)
        self._words: dict[str, tuple[Vectors, float]] = {}

    @classmethod
    def load(cls, name: str) -> Embedder:
        """Load the model `name` (a folder, else a hub name); EmbedderUnavailable when the
        extra is missing or the model cannot be had."""
        try:
            from model2vec import StaticModel
        except ImportError:
            raise EmbedderUnavailable(
                "model2vec is not installed (pip install 'episode-bot[semantic]')"
            ) from None
        try:
            if Path(name).expanduser().is_dir():
                model = StaticModel.from_pretrained(Path(name).expanduser(), normalize=True)
            else:
                # From the cache when it is there: no network at every start.
                model = StaticModel.from_pretrained(name, normalize=True, force_download=False)
        except Exception as exc:  # a missing folder, no network, a damaged file: all one
            raise EmbedderUnavailable(f"cannot load {name!r}: {exc}") from None
        return cls(model, name)

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Unit vectors of `texts` (a zero vector for a text with no known word)."""
        if not texts:
            return np.zeros((0, self.dims), np.float32)
        vectors = np.asarray(
            self._model.encode(list(texts), use_multiprocessing=False, normalize=False),
            dtype=np.float32,
        )
        return unit(vectors)

    def embed_in_context(
        self, texts: Sequence[str], before: Sequence[str], after: Sequence[str]
    ) -> Vectors:
        """Unit vectors of `texts`, each nudged towards its neighbours' (CONTEXT_WEIGHT).
        Each distinct text is embedded once: a passage's neighbours are mostly passages
        of the same batch."""
        distinct = list(dict.fromkeys([*texts, *before, *after]))
        row = {text: index for index, text in enumerate(distinct)}
        vectors = self.embed(distinct)
        vectors[[row[t] for t in distinct if not t.strip()]] = 0.0
        own = vectors[[row[t] for t in texts]]
        around = vectors[[row[t] for t in before]] + vectors[[row[t] for t in after]]
        return unit(own + CONTEXT_WEIGHT * unit(around))

    def coverage(self, topic: str, texts: Sequence[str]) -> list[float]:
        """How much of the topic each text covers, 0 to 1: each word of the topic counts
        by its weight in the model (its vector's length: common words weigh little) times
        its best cosine to a word of the text. One shared word of a long topic ("kubernetes"
        of "open source maintainers burning out on kubernetes") covers little of it, however
        near the two texts are as wholes."""
        topic_words = _words(topic)
        if not topic_words:
            return [0.0 for _ in texts]
        own, weights = self._word_vectors(topic_words)
        total = float(weights.sum()) or 1.0
        per_text = [_words(text) for text in texts]
        vocabulary = list(dict.fromkeys(w for words in per_text for w in words))
        if not vocabulary:
            return [0.0 for _ in texts]
        # One product for every word of every text; then each text's best per topic word.
        column = {word: index for index, word in enumerate(vocabulary)}
        similar = np.clip(own @ self._word_vectors(vocabulary)[0].T, 0.0, 1.0)
        found = []
        for words in per_text:
            if not words:
                found.append(0.0)
                continue
            best = similar[:, [column[w] for w in words]].max(axis=1)
            found.append(float(weights @ best) / total)
        return found

    def _word_vectors(self, words: list[str]) -> tuple[Vectors, npt.NDArray[np.float32]]:
        """Unit vectors of single words and their weights, from a bounded cache."""
        missing = [w for w in words if w not in self._words]
        if missing:
            if len(self._words) + len(missing) > _WORD_CACHE:
                self._words.clear()
            raw = np.asarray(
                self._model.encode(missing, use_multiprocessing=False, normalize=False),
                dtype=np.float32,
            )
            norms = np.linalg.norm(raw, axis=1)
            for word, vector, norm in zip(missing, unit(raw), norms, strict=True):
                self._words[word] = (vector, float(norm))
        pairs = [self._words[w] for w in words]
        return np.stack([v for v, _ in pairs]), np.array([n for _, n in pairs], np.float32)


def _words(text: str) -> list[str]:
    return list(dict.fromkeys(w.lower() for w in _WORD.findall(text)))


def unit(vectors: Vectors) -> Vectors:
    """Rows scaled to length 1 (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    scaled: Vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    return scaled


def to_bytes(vectors: Vectors) -> list[bytes]:
    """Each row as signed bytes, scaled so its largest component is ±127 (the direction
    is all cosine needs): 1 byte a dimension in the store."""
    peak = np.abs(vectors).max(axis=1, keepdims=True)
    scaled = np.divide(127.0 * vectors, peak, out=np.zeros_like(vectors), where=peak > 0)
    quantized = np.rint(scaled).astype(np.int8)
    return [row.tobytes() for row in quantized]


def from_bytes(blobs: Sequence[bytes], dims: int) -> Vectors:
    """Stored rows back as unit float32 vectors."""
    if not blobs:
        return np.zeros((0, dims), np.float32)
    raw = np.frombuffer(b"".join(blobs), dtype=np.int8).reshape(len(blobs), -1)
    return unit(raw.astype(np.float32))
