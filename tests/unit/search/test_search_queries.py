"""Member text to FTS5 queries, timed passages of notes, and what autocomplete parses:
pure functions, plain data."""

from __future__ import annotations

import sqlite3

import pytest

from bot.ingest.passages import timed_passages
from bot.models.parsed_feed import Chapter
from bot.search.fts_query import QueryPlan, SearchText, is_phrase_match, is_stopword, topic_terms
from bot.search.lookup import parse_episode_value, parse_number


def matches(expression: str, *texts: str) -> list[int]:
    """Which of `texts` an FTS5 index with the catalogue's tokenizer matches."""
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE t USING fts5(text, tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    db.executemany("INSERT INTO t (rowid, text) VALUES (?, ?)", enumerate(texts))
    return [row[0] for row in db.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,))]


def expressions(typed: str) -> list[str]:
    """The FTS5 expressions a search for `typed` may run."""
    plan = SearchText.parse(typed).plan()
    return [] if plan is None else [e for e in (plan.all, plan.any) if e is not None]


def test_words_become_all_words_with_the_phrase_first_then_any_word():
    assert SearchText.parse("Learning rates").plan() == QueryPlan(
        all='"learning" "rates"',
        phrase=("learning", "rates"),
        any='"learning" OR "rates"',
        terms=('"learning"', '"rates"'),
    )


def test_one_word_is_just_that_word():
    assert SearchText.parse("Warmup").plan() == QueryPlan('"warmup"', None, None, ('"warmup"',))


def test_a_word_with_forms_is_one_group_of_them():
    plan = SearchText.parse("Tastaturen bauen").plan({"tastaturen": ["tastatur"]})
    assert plan is not None
    assert plan.all == '("tastaturen" OR "tastatur") AND "bauen"'
    assert plan.any == '("tastaturen" OR "tastatur") OR "bauen"'
    assert plan.terms == ('("tastaturen" OR "tastatur")', '"bauen"')


def test_stopwords_are_dropped_but_kept_inside_a_phrase():
    text = SearchText.parse("the state of the art")
    assert text.words == ("state", "art")
    assert text.phrase == ("state", "of", "the", "art")


def test_a_query_of_stopwords_only_is_searched_as_typed():
    text = SearchText.parse("To be or not to be")
    assert text.phrase == ("to", "be", "or", "not", "to", "be")
    plan = text.plan()
    assert plan is not None and plan.phrase == text.phrase
    assert plan.any is None  # never "any" of them


@pytest.mark.parametrize(
    ("highlighted", "phrase", "expected"),
    [
        ("the \x02learning\x03 \x02rate\x03 schedule", ("learning", "rates"), True),
        ("a \x02rate\x03 for \x02learning\x03", ("learning", "rates"), False),
        ("\x02learning\x03, then a \x02rate\x03", ("learning", "rates"), False),
        ("\x02state\x03 of the \x02art\x03", ("state", "of", "the", "art"), True),
        ("\x02state\x03 and the \x02art\x03", ("state", "of", "the", "art"), False),
    ],
)
def test_a_phrase_match_is_read_from_the_highlights(highlighted, phrase, expected):
    assert is_phrase_match(highlighted, phrase) is expected


@pytest.mark.parametrize(
    "typed",
    ['"', "AND(", "NEAR(a b)", "*", "^", ":", "title:", "{title}:", "😀", "", "  ", "-", "OR"],
)
def test_fts_syntax_and_junk_give_no_query_or_a_valid_one(typed):
    for expression in expressions(typed):
        matches(expression, "a test document")  # no sqlite3.OperationalError


def test_operators_and_column_filters_are_plain_words():
    expression = expressions("title: warmup AND(adam)")[0]
    assert matches(expression, "title warmup and adam", "warmup adam") == [0]


def test_porter_stemming_matches_other_forms():
    assert matches(expressions("learning rates")[0], "the learning rate schedule") == [0]


def test_diacritics_and_case_are_folded_like_the_index():
    assert matches(expressions("ZOE")[0], "Zoë Harlan-Miyata") == [0]
    assert matches(expressions("Zoë")[0], "zoe") == [0]


def test_long_input_is_capped():
    text = SearchText.parse("word " * 500 + "x" * 500)
    assert len(text.words) <= 8 and all(len(w) <= 40 for w in text.words)


# ---------------------------------------------------------------------- timed passages


def test_a_timestamp_in_prose_is_a_moment():
    notes = "She explains a lot. At 12:30 in, she explains the stickers. Then more."
    (passage,) = timed_passages(notes)
    assert passage.start == 750.0
    assert passage.text == "At 12:30 in, she explains the stickers."


@pytest.mark.parametrize(
    "notes",
    [
        "We recorded at 2:00 pm on a Sunday.",
        "Shot in 16:9 this time.",
        "As John 3:16 says, nothing.",
        "A 1:1 mix of clean and attacked images, then 3:1.",
        "We met at 9:30 am her time.",
        "9 October: a talk at the library (17:00)",
    ],
)
def test_clock_times_ratios_and_references_are_not_moments(notes):
    assert timed_passages(notes) == []


def test_chapter_list_lines_are_chapters_not_passages():
    notes = "Chapters\n0:00 Intro\n12:00 Warmup\n20:00 Outro\nAround 15:10 we disagree."
    listed = [
        Chapter(0, "Intro", "notes"),
        Chapter(720, "Warmup", "notes"),
        Chapter(1200, "Outro", "notes"),
    ]
    assert [(p.start, p.text) for p in timed_passages(notes, listed)] == [
        (910.0, "Around 15:10 we disagree.")
    ]


def test_bracketed_times_label_the_words_before_them():
    passages = timed_passages("We cover warmup (12:30), weight decay (25:00) and more.")
    assert [(p.start, p.text) for p in passages] == [
        (750.0, "We cover warmup (12:30)"),
        (1500.0, "weight decay (25:00)"),
    ]


def test_times_past_the_duration_are_dropped():
    assert timed_passages("At 1:30:00 we stop.", duration=3600) == []


# ---------------------------------------------------------------------- typed numbers


@pytest.mark.parametrize(
    ("typed", "number", "season"),
    [
        ("99", 99, None),
        ("#99", 99, None),
        ("ep 99", 99, None),
        ("Ep. 99", 99, None),
        ("Episode 99", 99, None),
        ("episode #99", 99, None),
        ("S2E5", 5, 2),
        ("s2 e5", 5, 2),
        ("s02e05", 5, 2),
        ("Season 2 Episode 5", 5, 2),
        ("2x05", 5, 2),
    ],
)
def test_episode_numbers_as_people_type_them(typed, number, season):
    parsed = parse_number(typed)
    assert parsed is not None and (parsed.number, parsed.season) == (number, season)


@pytest.mark.parametrize("typed", ["99 problems", "ep", "#", "the 99", "id:12"])
def test_other_text_is_not_a_number(typed):
    assert parse_number(typed) is None


def test_autocomplete_values_are_unambiguous():
    assert parse_episode_value("id:123") == 123
    assert parse_episode_value("123") is None
    assert parse_episode_value("id:12 and more") is None


@pytest.mark.parametrize("word", ["für", "Für", "är", "på", "för", "the", "und"])
def test_stopwords_listed_with_accents_are_stopwords_as_typed(word):
    assert is_stopword(word)


def test_a_topic_drops_accented_stopwords_and_keeps_the_words_that_matter():
    assert topic_terms("Tipps für Tastaturen") == ["tipps", "tastaturen"]
