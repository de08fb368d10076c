"""Rendering catalogue answers: what a member reads, safe to show, within Discord's limits.

Plain dataclass values in, embeds and strings out: no store, no interaction.
"""

from __future__ import annotations

import dataclasses

import discord
import pytest

from bot.models.episode_views import HIGHLIGHT_END as END
from bot.models.episode_views import HIGHLIGHT_START as START
from bot.models.episode_views import (
    ChapterEntry,
    EpisodeDetail,
    EpisodeSummary,
    Moment,
    PersonCredit,
    PersonEpisodes,
    RelatedEpisode,
    SearchHit,
    Suggestion,
)
from bot.ui import render

AUDIO = "https://media.example.com/warm-restarts/ep12.mp3"
PUBLISHED = 1_735_732_800  # 2025-01-01 12:00 UTC


def summary(**changes) -> EpisodeSummary:
    base = EpisodeSummary(
        id=20,
        feed_id=1,
        feed_title="Warm Restarts",
        title="12: Zoë Harlan-Miyata on Infinitely Wide Neural Networks",
        number=12,
        number_label=None,
        season=None,
        published_at=PUBLISHED,
        duration=4722,
        episode_type="full",
        link="https://example.com/episodes/12",
        audio_url=AUDIO,
        image="https://example.com/art/12.jpg",
    )
    return dataclasses.replace(base, **changes)


def detail(**changes) -> EpisodeDetail:
    base = EpisodeDetail(
        episode=summary(),
        notes_text=(
            "This is the episode we've wanted to make since the show began. Zoë works on the "
            "theory of very wide networks.\n\nChapters:\n00:00 Intro\n01:02 Kernels"
        ),
        persons=[
            PersonCredit("Maren Achterberg", "host"),
            PersonCredit("Kwame Osei-Bonsu", "Host"),
            PersonCredit("Zoë Harlan-Miyata", "guest", href="https://example.com/people/zoe"),
        ],
        chapter_count=10,
        has_transcript=True,
    )
    return dataclasses.replace(base, **changes)


def assert_fits(embeds: list[discord.Embed], content: str | None = None) -> None:
    assert render.message_problems(content, embeds) == []


# ---------------------------------------------------------------- text shown literally


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("**bold**", r"\*\*bold\*\*"),
        ("_x_", r"\_x\_"),
        ("`code`", r"\`code\`"),
        ("@everyone listen", "@\u200beveryone listen"),
        ("@here", "@\u200bhere"),
        ("<@&123> ping", r"\<@&123> ping"),
        ("<@456>", r"\<@456>"),
        ("<#789>", r"\<#789>"),
        ("<t:1700000000:R>", r"\<t:1700000000:R>"),
        ("# Big heading", r"\# Big heading"),
        ("plain words", "plain words"),
    ],
)
def test_feed_text_is_shown_literally(text, shown):
    assert render.escape(text) == shown


def test_links_in_feed_text_keep_their_underscores():
    assert render.escape("see https://example.com/a_b_c") == "see https://example.com/a_b_c"


def test_literal_fits_the_limit_even_when_escaping_doubles_the_text():
    text = "*" * 300
    shown = render.literal(text, 256)
    assert len(shown) <= 256
    assert shown.endswith("…")


def test_literal_cuts_at_a_word_boundary_with_an_ellipsis():
    shown = render.literal("one two three four five six", 15)
    assert shown == "one two three…"


def test_highlighted_text_is_bold_and_the_rest_escaped():
    text = f"why the {START}learning rate{END} matters for **wide** nets"
    assert (
        render.highlighted(text, 200) == r"why the **learning rate** matters for \*\*wide\*\* nets"
    )


def test_a_highlight_cut_open_by_truncation_is_closed():
    text = f"short start {START}" + "word " * 100 + END
    shown = render.highlighted(text, 60)
    assert len(shown) <= 60
    assert shown.count("**") == 2


def test_a_late_match_in_long_text_is_brought_into_view():
    text = "filler " * 300 + f"{START}grokking{END} happens late"
    shown = render.highlighted(text, 200)
    assert "**grokking**" in shown
    assert shown.startswith("…")
    assert len(shown) <= 200


def test_highlight_spaces_stay_outside_the_bold():
    assert render.highlighted(f"a{START} b {END}c", 50) == "a **b** c"


# ---------------------------------------------------------------- labels


@pytest.mark.parametrize(
    ("changes", "badge"),
    [
        ({}, "#12"),
        ({"season": 2}, "S2 · #12"),
        ({"number": None, "episode_type": "trailer"}, "Trailer"),
        ({"number": None, "episode_type": "bonus"}, "Bonus"),
        ({"episode_type": "bonus"}, "#12 · Bonus"),
        ({"number_label": "Ep. 12a"}, "Ep. 12a"),
        ({"number": None}, "Episode"),
    ],
)
def test_episode_badges(changes, badge):
    assert render.episode_badge(summary(**changes)) == badge


@pytest.mark.parametrize(
    ("title", "number", "short"),
    [
        ("12: Zoë on wide nets", 12, "Zoë on wide nets"),
        ("Episode 12 - Zoë on wide nets", 12, "Zoë on wide nets"),
        ("#12 | Zoë", 12, "Zoë"),
        ("12: Zoë", 13, "12: Zoë"),  # not this episode's number: keep it
        ("1.5 million tokens", 1, "1.5 million tokens"),
        ("12:", 12, "12:"),
    ],
)
def test_short_title_drops_only_the_episodes_own_number(title, number, short):
    assert render.short_title(summary(title=title, number=number)) == short


@pytest.mark.parametrize(
    ("title", "kind", "short"),
    [
        ("Bonus: Live in Lisbon", "bonus", "Live in Lisbon"),
        ("Trailer - Coming soon", "trailer", "Coming soon"),
        # No episodeType in the feed (read as "full"): the title says Bonus, so does the badge.
        ("Bonus: Live in Lisbon", "full", "Live in Lisbon"),
        ("Trailer: ", "trailer", "Trailer: "),
    ],
)
def test_short_title_drops_the_type_the_badge_shows(title, kind, short):
    assert render.short_title(summary(title=title, number=None, episode_type=kind)) == short


# ---------------------------------------------------------------- the card


def test_card_shows_title_link_number_date_length_guests_and_chapters():
    embed = render.episode_card(detail())
    assert embed.title == "Zoë Harlan-Miyata on Infinitely Wide Neural Networks"  # #12 below
    assert embed.url == "https://example.com/episodes/12"
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Episode"] == "#12"
    assert fields["Published"] == f"<t:{PUBLISHED}:D>"
    assert fields["Length"] == "1:18:42"
    assert fields["Guest"] == "[Zoë Harlan-Miyata](https://example.com/people/zoe)"
    assert "10 chapters" in fields["Chapters"]
    assert "/when" in fields["Chapters"]  # it has a transcript
    assert embed.thumbnail.url == "https://example.com/art/12.jpg"
    assert embed.footer.text == "Warm Restarts"
    assert_fits([embed])


def test_card_summary_stops_before_the_chapter_list():
    embed = render.episode_card(detail())
    assert embed.description.startswith("This is the episode")
    assert "00:00" not in embed.description and "Chapters:" not in embed.description


def test_card_summary_of_long_notes_is_cut_at_a_sentence():
    notes = " ".join(f"Sentence number {i} is about kernels." for i in range(200))
    embed = render.episode_card(detail(notes_text=notes))
    assert embed.description.endswith("kernels.")
    assert len(embed.description) <= render.SUMMARY_LIMIT


def test_card_of_hostile_episode_fits_and_shows_markup_literally():
    hostile = summary(
        title="**@everyone** <@&123> " + "very long title " * 20,
        image="javascript:alert(1)",
        link="not a url",
        feed_title="F" * 3000,
    )
    embed = render.episode_card(detail(episode=hostile, notes_text="x " * 2000, persons=[]))
    assert embed.title.startswith("\\*\\*@\u200beveryone\\*\\* \\<@&123>")
    assert embed.url == AUDIO  # the page link is no URL: the audio is linked instead
    assert not embed.thumbnail.url
    assert "Guest" not in {f.name for f in embed.fields}
    assert_fits([embed])


def test_card_without_chapters_or_date_says_so():
    embed = render.episode_card(
        detail(
            chapter_count=0,
            has_transcript=False,
            episode=summary(published_at=None, duration=None),
        )
    )
    fields = {f.name: f.value for f in embed.fields}
    assert "Published" not in fields and "Length" not in fields
    assert fields["Chapters"] == "No chapters in this episode's feed"


# ---------------------------------------------------------------- chapters


def test_chapter_lines_have_times_and_jump_links():
    chapters = [ChapterEntry(0, "Intro", "json"), ChapterEntry(4595.5, "Wrap-up", "json")]
    (page,) = render.chapter_pages(summary(), chapters)
    assert page.description.split("\n") == [
        f"`0:00` [Intro]({AUDIO}#t=0)",
        f"`1:16:35` [Wrap-up]({AUDIO}#t=4595)",
    ]
    assert "2 chapters" in page.footer.text
    assert "Page" not in page.footer.text


def test_youtube_episodes_jump_with_t():
    episode = summary(link="https://www.youtube.com/watch?v=abc", audio_url=None)
    (page,) = render.chapter_pages(episode, [ChapterEntry(75, "Start", "notes")])
    assert "[Start](https://www.youtube.com/watch?v=abc&t=75)" in page.description


def test_chapters_without_any_link_are_plain_lines():
    episode = summary(link=None, audio_url=None)
    (page,) = render.chapter_pages(episode, [ChapterEntry(75, "[Start]", "notes")])
    assert page.description == "`1:15` [Start]"


def test_two_hundred_long_chapters_are_paged_within_limits_and_in_order():
    chapters = [
        ChapterEntry(i * 30.0, f"Chapter {i} " + "about scaling laws " * 16, "notes")
        for i in range(200)
    ]
    pages = render.chapter_pages(summary(title="T" * 300), chapters)
    assert len(pages) > 1
    for index, page in enumerate(pages):
        assert_fits([page])
        assert page.footer.text.startswith(f"Page {index + 1}/{len(pages)}")
    lines = [line for page in pages for line in page.description.split("\n")]
    assert len(lines) == 200
    assert lines[0].startswith("`0:00`") and lines[-1].startswith("`1:39:30`")


def test_a_chapter_with_a_parenthesis_in_its_url_still_links():
    line = render.chapter_line(
        summary(audio_url="https://example.com/a(b).mp3"), ChapterEntry(1, "x", "json")
    )
    assert line == "`0:01` [x](https://example.com/a%28b%29.mp3#t=1)"


def test_no_chapters_message_suggests_when_if_there_is_a_transcript():
    message = render.no_chapters_message(detail(chapter_count=0))
    assert "has no chapters" in message and "/when" in message and "episode:12" in message
    assert "/when" not in render.no_chapters_message(detail(chapter_count=0, has_transcript=False))


# ---------------------------------------------------------------- moments and search


def moment(**changes) -> Moment:
    base = Moment(
        episode=summary(),
        start=4722.0,
        kind="chapter",
        text=f"Why {START}learning rate{END} warmup works",
        score=1.0,
    )
    return dataclasses.replace(base, **changes)


def test_a_moment_shows_episode_time_bold_match_and_jump_link():
    name, value = render.moment_field(moment())
    assert name == "#12 · Zoë Harlan-Miyata on Infinitely Wide Neural Networks"
    assert value.split("\n") == [
        "`1:18:42` · chapter",
        "Why **learning rate** warmup works",
        f"[▶ Play from 1:18:42]({AUDIO}#t=4722)",
    ]


def test_an_episode_level_moment_says_it_has_no_time():
    _, value = render.moment_field(moment(start=None, kind="episode"))
    assert "no time" in value
    assert "#t=" not in value
    assert "[Open the episode](https://example.com/episodes/12)" in value


def test_a_transcript_moment_names_the_speaker():
    _, value = render.moment_field(moment(kind="transcript", speaker="Zoë Harlan-Miyata"))
    assert "Zoë Harlan-Miyata: “Why **learning rate** warmup works”" in value


def test_moments_are_paged_five_at_a_time_and_fit():
    moments = [moment(text=f"{START}{'x' * 2000}{END}", start=i * 60.0) for i in range(23)]
    pages = render.moment_pages("learning rates", moments)
    assert [len(p.fields) for p in pages] == [5, 5, 5, 5, 3]
    assert pages[0].title == "When did they talk about “learning rates”?"
    assert "23 moments" in pages[0].description
    for page in pages:
        assert_fits([page])


def test_search_pages_highlight_snippets_and_fit():
    hits = [
        SearchHit(summary(id=i), f"…the {START}diffusion{END} model… " * 40, 1.0) for i in range(12)
    ]
    pages = render.search_pages("diffusion", hits)
    assert len(pages) == 3
    assert "**diffusion**" in pages[0].fields[0].value
    assert "12 episodes" in pages[0].description
    for page in pages:
        assert_fits([page])


def test_member_text_in_titles_is_escaped():
    pages = render.search_pages("**loud** @everyone", [SearchHit(summary(), "x", 1.0)])
    assert pages[0].title == "Search: “\\*\\*loud\\*\\* @\u200beveryone”"


# ---------------------------------------------------------------- related, latest, guest


def test_related_says_why():
    related = [
        RelatedEpisode(summary(id=2, number=21, title="21: Grokking"), 0.9, ("Zoë",), ()),
        RelatedEpisode(summary(id=3, number=29, title="29: Mean field"), 0.5, (), ("kernel",)),
        RelatedEpisode(summary(id=4, number=5, title="5: Scaling"), 0.1),
    ]
    embed = render.related_embed(summary(), related)
    assert [f.name for f in embed.fields] == ["#21 · Grokking", "#29 · Mean field", "#5 · Scaling"]
    assert embed.fields[0].value.startswith("Shared guest: Zoë")
    assert embed.fields[1].value.startswith("Shared topics: kernel")
    assert embed.fields[2].value.startswith("Similar show notes")
    assert_fits([embed])


def test_latest_marks_trailers_and_bonus_episodes():
    episodes = [
        summary(id=1, number=None, episode_type="bonus", title="Bonus: Live"),
        summary(id=2, number=30, title="30: Last one"),
        summary(id=3, number=None, episode_type="trailer", title="Introducing"),
    ]
    embed = render.latest_embed(episodes)
    lines = embed.description.split("\n")
    assert lines[0].startswith("`Bonus` [Live](https://example.com/episodes/12)")
    assert lines[1].startswith("`#30` [Last one]")
    assert lines[2].startswith("`Trailer` [Introducing]")
    assert f"<t:{PUBLISHED}:D> · 1:18:42" in lines[1]
    assert embed.title == "Latest 3 episodes"


def test_latest_with_huge_titles_and_urls_still_fits():
    episodes = [
        summary(id=i, title="W" * 300, link="https://example.com/" + "p" * 480) for i in range(10)
    ]
    assert_fits([render.latest_embed(episodes)])


def test_guest_pages_list_episodes_ten_a_page():
    person = PersonEpisodes(
        "Zoë Harlan-Miyata", [summary(id=i, number=i) for i in range(23)], ("guest",)
    )
    pages = render.guest_pages(person)
    assert len(pages) == 3
    assert pages[0].title == "Episodes with Zoë Harlan-Miyata"
    assert "23 episodes" in pages[0].footer.text and "guest" in pages[0].footer.text


# ---------------------------------------------------------------- when nothing matched


def test_not_found_lists_the_closest_episodes():
    message = render.not_found_message("aror", [summary(), summary(number=21, title="21: Gr")])
    assert "“aror”" in message
    assert "• #12 · Zoë Harlan-Miyata" in message and "• #21 · Gr" in message


def test_not_found_with_hostile_text_fits_a_message():
    message = render.not_found_message("@everyone " * 100, [summary(title="x" * 300)] * 5)
    assert len(message) <= render.CONTENT_LIMIT
    assert "@everyone" not in message


# ---------------------------------------------------------------- autocomplete and limits


def test_choices_are_at_most_25_and_within_100_characters():
    suggestions = [Suggestion(f"#{i} · " + "long title " * 20, str(i)) for i in range(40)]
    suggestions.insert(0, Suggestion("too long a value", "v" * 101))
    choices = render.choices(suggestions)
    assert len(choices) == 25
    assert all(len(c.name) <= 100 and 1 <= len(c.value) <= 100 for c in choices)
    assert choices[0].value == "0"  # the over-long value was dropped, not cut


def test_fit_embed_repairs_an_overfull_embed():
    embed = discord.Embed(title="t" * 400, description="line\n" * 2000)
    for _ in range(30):
        embed.add_field(name="n" * 300, value="v" * 2000)
    embed.set_footer(text="f" * 3000)
    assert render.message_problems(None, [embed])
    assert render.message_problems(None, [render.fit_embed(embed)]) == []


def test_message_problems_catch_component_limits():
    rows = [{"components": [{"type": 2, "label": "x" * 81, "custom_id": "a"}] * 6}]
    problems = render.message_problems("hi", [], rows)
    assert any("label" in p for p in problems)
    assert any("limit 5" in p for p in problems)
    assert any("custom_id" in p for p in problems)


def test_an_ambiguous_episode_asks_which_one_naming_the_feeds():
    other = summary(id=99, feed_title="Other Show")
    message = render.not_found_message("12", [summary(), other], ambiguous=True)
    assert message.startswith("“12” fits more than one episode. Which one?")
    assert "(Warm Restarts)" in message and "(Other Show)" in message
    assert "couldn't find" not in message


def test_loose_matches_are_said_to_be_loose():
    loose = [moment(match="any")]
    assert "some of them" in render.moment_pages("wide kernels", loose)[0].description
    assert "some of them" not in render.moment_pages("wide kernels", [moment()])[0].description
    hits = [SearchHit(summary(), "x", 1.0, match="any")]
    assert "some of them" in render.search_pages("wide kernels", hits)[0].description


def test_moments_found_by_meaning_say_so():
    near = [moment(match="related", text="the bridge swayed as people walked")]
    page = render.moment_pages("wobbly footbridge", near)[0]
    assert "closest in meaning" in page.description
    assert "≈ closest in meaning" in page.fields[0].value
    sure = [moment(match="meaning"), moment(match="all", start=600.0)]
    page = render.moment_pages("wobbly footbridge", sure)[0]
    assert "closest" not in page.description  # a confident answer
    assert "≈ said in other words" in page.fields[0].value
    assert "≈" not in page.fields[1].value
    mixed = [moment(match="any"), moment(match="related", start=600.0)]
    assert "come closest." in render.moment_pages("x y", mixed)[0].description


def test_a_guests_detail_shows_beside_the_name_on_the_card():
    people = [
        PersonCredit("Maren Achterberg", "host", detail="Dr."),
        PersonCredit("Ann Lee", "guest", detail="Quarry Labs"),
        PersonCredit("Ivo Brandt", "guest"),
    ]
    card = render.episode_card(detail(persons=people))
    guests = next(f.value for f in card.fields if f.name == "Guests")
    assert guests == "Ann Lee (Quarry Labs), Ivo Brandt"


def test_a_search_hit_on_a_chapter_title_links_to_where_it_starts():
    hit = SearchHit(summary(), f"{START}Kernels{END} at last", 1.0, start=1021.25)
    _, value = render.search_field(hit)
    snippet, details = value.split("\n")
    assert snippet == "**Kernels** at last"
    assert details.startswith(f"chapter at [17:01]({AUDIO}#t=1021) · <t:{PUBLISHED}:D>")


def test_a_page_of_long_fields_holds_fewer_rather_than_losing_one():
    # Five fields of the longest names and values would pass 6000 characters together.
    long = summary(title="T" * 300, audio_url="https://example.com/" + "a" * 480 + ".mp3")
    moments = [moment(episode=long, text=f"{START}{'x ' * 400}{END}") for _ in range(12)]
    pages = render.moment_pages("x", moments)
    assert sum(len(page.fields) for page in pages) == 12
    assert max(len(page.fields) for page in pages) < 5
    assert pages[-1].footer.text == f"Page {len(pages)}/{len(pages)}"
    for page in pages:
        assert_fits([page])


def test_an_episode_whose_page_link_is_no_url_links_its_audio():
    episode = summary(link="not a url")
    assert f"[Zoë Harlan-Miyata on Infinitely Wide Neural Networks]({AUDIO})" in (
        render.latest_embed([episode]).description
    )
    _, value = render.moment_field(moment(episode=episode, start=None, kind="episode"))
    assert f"[Open the episode]({AUDIO})" in value


def test_an_episode_level_moment_without_any_link_offers_no_dead_link():
    episode = summary(link=None, audio_url=None)
    _, value = render.moment_field(moment(episode=episode, start=None, kind="episode"))
    assert value.split("\n")[0] == "whole episode (no time for this one)"
    assert "Open the episode" not in value


def test_chapter_pages_say_titles_play_only_when_they_do():
    chapters = [ChapterEntry(0, "Intro", "json")]
    (playable,) = render.chapter_pages(summary(), chapters)
    (silent,) = render.chapter_pages(summary(link=None, audio_url=None), chapters)
    assert "plays from its time" in playable.footer.text
    assert silent.footer.text == "1 chapter"


# ---------------------------------------------------------------- labels a fan would read


@pytest.mark.parametrize(
    ("title", "number", "short"),
    [
        ("#172 Lanterns and lighthouses", 172, "Lanterns and lighthouses"),
        ("Ep 9 The tidal mill", 9, "The tidal mill"),
        ("Folge 31: Brotbacken im Winter", 31, "Brotbacken im Winter"),
        ("#3 3D printed bridges", 3, "#3 3D printed bridges"),  # the digit starts the title
        ("12 Angry Ferrets", 12, "12 Angry Ferrets"),  # a number without "#" is the title's
    ],
)
def test_a_leading_number_the_badge_shows_is_not_repeated(title, number, short):
    episode = summary(title=title, number=number)
    assert render.short_title(episode) == short
    if short != title:
        assert render.episode_heading(episode) == f"#{number} · {short}"


def test_a_label_that_only_repeats_the_title_is_dropped():
    episode = summary(title="Compost Heaps", number=None, number_label="Compost heaps", season=1)
    assert render.episode_badge(episode) == "S1"
    assert render.episode_heading(episode) == "S1 · Compost Heaps"


def test_a_label_the_title_starts_with_is_shown_once():
    episode = summary(title="E7: Roots and shoots", number=None, number_label="E7")
    assert render.episode_heading(episode) == "E7 · Roots and shoots"


@pytest.mark.parametrize(
    ("title", "number", "shown"),
    [
        ("12: Moths at night", 12, "Moths at night"),
        ("#12 Moths at night", 12, "Moths at night"),
        ("Ep. 12 – Moths at night", 12, "Moths at night"),
        ("Episode 12 - Moths at night", 12, "Moths at night"),
        ("Folge 12: Nachtfalter", 12, "Nachtfalter"),
        ("13: Moths at night", 12, "13: Moths at night"),  # another number: the feed's words
        ("1984: the year of the moth", None, "1984: the year of the moth"),
        ("12 Monkeys, reviewed", 12, "12 Monkeys, reviewed"),  # a number that is the title
    ],
)
def test_the_card_title_does_not_repeat_the_number_its_episode_field_shows(title, number, shown):
    embed = render.episode_card(detail(episode=summary(title=title, number=number)))
    assert embed.title == shown
    fields = {f.name: f.value for f in embed.fields}
    assert fields.get("Episode") == (f"#{number}" if number is not None else None)


def test_an_unnumbered_episode_card_has_no_episode_episode_field():
    embed = render.episode_card(detail(episode=summary(number=None, title="Rainwater")))
    assert "Episode" not in {f.name for f in embed.fields}


@pytest.mark.parametrize(
    ("title", "badge", "short"),
    [
        ("Trailer: Season two of Lantern Talk", "Trailer", "Season two of Lantern Talk"),
        ("Teaser: Episode 40 - Moths at night", "Teaser", "Episode 40 - Moths at night"),
        ("BONUS: The mailbag", "Bonus", "The mailbag"),
        ("Bonus episode: a walk on the dunes", "Bonus", "Bonus episode: a walk on the dunes"),
        ("[Trailer] The Kiln Diaries", "Trailer", "[Trailer] The Kiln Diaries"),
        ("The Kiln Diaries (Teaser)", "Teaser", "The Kiln Diaries (Teaser)"),
        ("Der Trailer ist da!", "Trailer", "Der Trailer ist da!"),
        ("Bonusfolge: Fragen aus dem Publikum", "Bonus", "Bonusfolge: Fragen aus dem Publikum"),
        ("Trailer parks of the Midwest", "Episode", "Trailer parks of the Midwest"),
        ("A bonus round of quiz questions", "Episode", "A bonus round of quiz questions"),
    ],
)
def test_trailers_teasers_and_bonus_episodes_are_read_from_their_titles(title, badge, short):
    episode = summary(title=title, number=None, episode_type="full")
    assert render.episode_badge(episode) == badge
    assert render.short_title(episode) == short


def test_the_feeds_own_episode_type_wins_over_the_title():
    assert render.episode_badge(summary(title="Bonus: x", number=None, episode_type="trailer")) == (
        "Trailer"
    )


@pytest.mark.parametrize(
    "bad",
    [
        "\u202e",
        "\u202a",
        "\u202d",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
        "\x00",
        "\x07",
        "\x1b",
        "\x85",
        "\x9b",
    ],
)
def test_control_and_bidi_override_characters_never_reach_a_member(bad):
    title = f"Night{bad} walks"
    episode = summary(title=title, feed_title=f"Owl{bad} Hour")
    card = render.episode_card(detail(episode=episode, notes_text=f"Bats{bad} and owls."))
    assert card.title == "Night walks"
    assert card.description == "Bats and owls."
    assert card.footer.text == "Owl Hour"
    assert bad not in render.episode_line(episode)
    assert bad not in render.literal(title, 100)
    choice = render.choices([Suggestion(f"#12 · {title}", "12")])[0]
    assert choice.name == "#12 · Night walks"
    other = summary(id=21, feed_id=2, feed_title=f"Bat{bad} Radio")
    listed = render.latest_embed([episode, other])
    assert bad not in (listed.description or "") and bad not in (listed.footer.text or "")


def test_line_breaks_and_highlights_survive_the_cleaning():
    assert render.visible("a\nb\tc") == "a\nb\tc"
    assert render.highlighted(f"the {START}owl{END} hoots", 100) == "the **owl** hoots"


def test_not_found_does_not_read_as_if_the_episode_were_number_12():
    message = render.not_found_message("zzz", [])
    assert "(`12`)" not in message
    assert "episode's number" in message


def test_a_list_that_spans_shows_names_the_show_on_every_line():
    a = summary(id=1, feed_id=1, feed_title="Lantern Talk", title="1: Wicks", number=1)
    b = summary(id=2, feed_id=2, feed_title="Kiln Diaries", title="1: Clay", number=1)
    lines = (render.latest_embed([a, b]).description or "").split("\n")
    assert "*Lantern Talk*" in lines[0] and "*Kiln Diaries*" in lines[1]
    # One show: the footer names it, the lines do not repeat it.
    single = render.latest_embed([a, dataclasses.replace(a, id=3)]).description or ""
    assert "Lantern Talk" not in single
    pages = render.guest_pages(PersonEpisodes("Ada Brook", [a, b]))
    assert "*Kiln Diaries*" in (pages[0].description or "")
    hits = [SearchHit(a, "wicks", 1.0), SearchHit(b, "clay", 0.5)]
    fields = render.search_pages("x", hits)[0].fields
    assert "*Lantern Talk*" in fields[0].value and "*Kiln Diaries*" in fields[1].value


def test_a_related_episode_from_another_show_says_which():
    a = summary(id=1, feed_id=1, feed_title="Lantern Talk")
    b = summary(id=2, feed_id=2, feed_title="Kiln Diaries")
    c = summary(id=3, feed_id=1, feed_title="Lantern Talk")
    embed = render.related_embed(a, [RelatedEpisode(b, 1.0), RelatedEpisode(c, 0.5)])
    assert "from *Kiln Diaries*" in (embed.fields[0].value or "")
    assert "Lantern Talk" not in (embed.fields[1].value or "")


def test_a_capped_list_is_not_shown_as_a_total():
    hits = [SearchHit(summary(id=i), "x", 1.0) for i in range(25)]
    capped = render.search_pages("owls", hits, capped=True)[0].description or ""
    assert capped.startswith("Top 25 episodes")
    assert not (render.search_pages("owls", hits)[0].description or "").startswith("Top")


def test_a_respelled_topic_is_said_first_and_shown_literally():
    pages = render.moment_pages("polysemant", [moment()], searched="polysemantic")
    first = pages[0].description.split("\n")[0]
    assert first == "Showing results for *polysemantic* (no match for “polysemant”)"
    hostile = render.respelled_line("<@&1> **x** @everyone", "a_b*c")
    assert hostile == (
        "Showing results for *a\\_b\\*c* (no match for “\\<@&1> \\*\\*x\\*\\* @\u200beveryone”)"
    )
    assert "Showing results" not in render.moment_pages("x", [moment()])[0].description
