"""The rows the autocomplete index is built from, as the store reads them in one go."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class LookupRows:
    # (id, feed_id, number, season, title, published_at, episode_type)
    episodes: list[tuple[Any, ...]]
    # (episode_id, person_id, name, role)
    credits: list[tuple[Any, ...]]
    feed_titles: dict[int, str]
    # person id -> its `podcast:person` href, where one is known (aliases are merged on it)
    hrefs: dict[int, str] = field(default_factory=dict)
