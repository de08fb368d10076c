"""A tiny model2vec model the tests build themselves, and a store with a show to search.

The model knows a few dozen words. Words of one meaning share a direction (a footbridge
is a bridge, swaying is wobbly, London is the city), so a topic can find a passage that
shares no word with it; common words are short vectors that weigh little, as in a real
model. The show is one episode with a transcript about a footbridge and a reef, and a
chapter list."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.models.transcript_passage import Passage
from bot.store import Store
from tests.support.catalogues import Item, import_feeds, write_feed

pytest.importorskip("model2vec", reason="the semantic extra is not installed")

# Each meaning's words, in the direction of one dimension.
MEANINGS = (
    ("bridge", "footbridge", "span", "crossing"),
    ("wobbly", "swaying", "sway", "shaking", "wobble"),
    ("london", "city", "thames"),
    ("coral", "corals", "reef", "reefs"),
    ("white", "bleaching", "bleached", "pale"),
    ("hot", "warm", "heat", "temperature"),
    ("learning", "rate", "optimiser", "step"),
    ("pizza", "cheese", "dough"),
    ("guitar", "chord", "song"),
    ("engineers", "engineer", "builders"),
)
COMMON = ("the", "a", "in", "of", "and", "was", "it", "over", "why", "kept", "to", "by")
DIMS = 16


def tiny_model(folder: Path, *, shift: float = 0.0) -> Path:
    """Save the tiny model into `folder` (a model2vec folder, as `EMBEDDING_MODEL` names
    one). `shift` makes a different model of the same words."""
    from model2vec import StaticModel
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    words = ["[UNK]", "[PAD]"] + [w for group in MEANINGS for w in group] + list(COMMON)
    vocab = {word: index for index, word in enumerate(words)}
    vectors = np.zeros((len(words), DIMS), np.float32)
    rng = np.random.default_rng(7)
    for dimension, group in enumerate(MEANINGS):
        for word in group:
            vectors[vocab[word], dimension] = 1.0
            vectors[vocab[word]] += 0.05 * rng.standard_normal(DIMS).astype(np.float32)
    for word in COMMON:
        vectors[vocab[word], len(MEANINGS) :] = 0.05 * rng.random(DIMS - len(MEANINGS))
    vectors[:, -1] += shift
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    StaticModel(vectors=vectors, tokenizer=tokenizer, normalize=True).save_pretrained(str(folder))
    return folder


@pytest.fixture
def model(tmp_path) -> Path:
    return tiny_model(tmp_path / "tiny-model")


TRANSCRIPT = (
    Passage("Welcome to the show, it was a long week.", 0.0, 10.0, "Ann"),
    Passage("The footbridge kept swaying over the Thames.", 120.0, 130.0, "Ann"),
    Passage("Engineers added dampers to stop it.", 130.0, 140.0, "Bo"),
    Passage("Now to the reef: the corals went pale when the sea got warm.", 900.0, 910.0, "Bo"),
    Passage("This show is brought to you by a pizza shop: fresh dough.", 1500.0, 1510.0, "Ann"),
    Passage("Thanks for listening.", 1800.0, 1810.0, "Ann"),
)


async def add_transcript(store: Store, episode_id: int, passages=TRANSCRIPT, url="t.vtt") -> None:
    await store.save_transcript(
        episode_id,
        f"https://example.com/{url}",
        format="vtt",
        passages=list(passages),
        segment_count=len(passages),
        etag=None,
        last_modified=None,
        content_hash=url,
        parser_version="1",
    )


@pytest.fixture
async def show(tmp_path) -> Path:
    """A store file with one episode (chapters in its notes) and its transcript."""
    notes = "00:00 Hello\n02:00 Structures that move\n15:00 Life under the sea"
    feed = write_feed(
        tmp_path, "show.xml", "Small Show", [Item("Episode one", "ep-1", notes=notes, number=1)]
    )
    path = tmp_path / "show.db"
    await import_feeds(path, feed)
    async with await Store.open(path) as store:
        rows = await store.fetchall("SELECT id FROM episodes")
        await add_transcript(store, rows[0]["id"])
    return path
