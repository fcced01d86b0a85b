"""Rendering answers for Discord: pure functions from the answer model to embeds, within every limit."""

from __future__ import annotations

import pytest

from bot import render
from bot.render import (
    CONTENT_LIMIT, DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT, EMBEDS_PER_MESSAGE, FIELD_COUNT_LIMIT, FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT, FOOTER_LIMIT, TITLE_LIMIT, answer_embed, fit, highlight, link, passage_embeds, report_text,
    shorten, shorten_left, sources_pages,
)
from retrieval import decide
from retrieval.models import Answer, ArticleInfo, Citation, IndexReport, SkippedFile


def citation(n: int = 1, *, title: str = "Kremlin denies call", text: str | None = None, url: str | None = None,
             start: int = 0, end: int = 5, published: str | None = "2024-11-11") -> Citation:
    text = text if text is not None else "Putin last held a phone call with the US leader on February 12, 2022."
    return Citation(article_id=f"a{n}", title=title, published=published, url=url, passage_id=f"a{n}#{n}",
                    paragraph=n, passage_text=text, start=start, end=end, score=1.0)


def assert_within_limits(embeds: list) -> None:
    assert 1 <= len(embeds) <= EMBEDS_PER_MESSAGE
    assert sum(len(e) for e in embeds) <= EMBED_TOTAL_LIMIT
    for e in embeds:
        assert len(e.title or "") <= TITLE_LIMIT
        assert len(e.description or "") <= DESCRIPTION_LIMIT
        assert len(e.fields) <= FIELD_COUNT_LIMIT
        for f in e.fields:
            assert 0 < len(f.name) <= FIELD_NAME_LIMIT and 0 < len(f.value) <= FIELD_VALUE_LIMIT
        assert len(e.footer.text or "") <= FOOTER_LIMIT


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Short enough.", 20, "Short enough."),
        ("One  line\nnot\n\nthree.", 40, "One line not three."),
        # a sentence boundary when it keeps at least half the room
        ("The call was in 2022. It lasted an hour and covered Ukraine.", 40, "The call was in 2022. …"),
        # else a word boundary, without trailing punctuation before the ellipsis
        ("The call, which lasted over an hour, covered security guarantees.", 30, "The call, which lasted over…"),
        # one enormous word is cut inside rather than dropped
        ("x" * 50, 10, "xxxxxxxxx…"),
        ("anything", 1, "…"),
    ],
)
def test_shorten_cuts_at_a_sentence_or_word_boundary(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (100, "First there was a call. Then a letter came. The answer is here."),
        (30, "… The answer is here."),  # starts at a sentence when that keeps half the room
        (40, "…a letter came. The answer is here."),  # else at a word
    ],
)
def test_shorten_left_keeps_the_end(limit: int, expected: str) -> None:
    assert shorten_left("First there was a call. Then a letter came. The answer is here.", limit) == expected
    assert len(expected) <= limit


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("*bold* and _italic_", "\\*bold\\* and \\_italic\\_"),
        ("`code` ~~gone~~ ||spoiler||", "\\`code\\` \\~\\~gone\\~\\~ \\|\\|spoiler\\|\\|"),
        ("> not a quote", "\\> not a quote"),
        ("# not a heading", "\\# not a heading"),
        ("[click me](https://evil.example)", "\\[click me](https://evil.example)"),
    ],
)
def test_article_text_is_escaped_for_discord_markdown(raw: str, escaped: str) -> None:
    assert fit(raw, 200) == escaped


def test_fit_counts_the_escapes_against_the_limit() -> None:
    text = "*" * 300
    out = fit(text, 100)
    assert len(out) <= 100
    assert out.endswith("…")
    assert not out.endswith("\\…")  # never cut between a backslash and what it escapes


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example/a", "[Title](https://news.example/a)"),
        ("https://news.example/a_(b)", "[Title](https://news.example/a_%28b%29)"),
        ("javascript:alert(1)", "Title"),
        ("https://news.example/has space", "Title"),
        (None, "Title"),
    ],
)
def test_links_only_for_usable_http_urls(url: str | None, expected: str) -> None:
    assert link("Title", url, 200) == expected


def test_a_title_cannot_break_out_of_its_link() -> None:
    assert link("Evil] (https://x.example) [", "https://news.example/a", 200) == \
        "[Evil\\] (https://x.example) \\[](https://news.example/a)"


def test_answer_embed_shows_bold_answer_quote_numbered_sources_and_confidence() -> None:
    answer = Answer(
        question="when was the last Putin–Biden call?", answer="February 12, 2022",
        sentence="Putin last held a phone call with the US leader on February 12, 2022.", confidence=0.934,
        citations=[citation(1, url="https://tass.example/1", start=51, end=68),
                   citation(2, title="Peskov denies rumors", published=None)],
        note="Reported by 2 articles.",
    )
    embed = answer_embed(answer)
    assert embed.title == "when was the last Putin–Biden call?"
    assert embed.description == (
        "**February 12, 2022**\n> Putin last held a phone call with the US leader on February 12, 2022.\n"
        "*Reported by 2 articles.*"
    )
    assert embed.fields[0].name == "Sources"
    assert embed.fields[0].value == (
        "`[1]` [Kremlin denies call](https://tass.example/1) · 2024-11-11 · ¶1\n"
        "`[2]` Peskov denies rumors · undated · ¶2"
    )
    assert embed.footer.text.startswith("Confidence 93%")


def test_the_quote_is_left_out_when_it_is_the_answer_itself() -> None:
    answer = Answer(question="q", answer="There was no conversation.", sentence="There was no conversation.",
                    confidence=0.5, citations=[citation()])
    assert answer_embed(answer).description == "**There was no conversation.**"


def test_not_found_embed_says_so_and_lists_the_closest_passages() -> None:
    answer = Answer(question="what is the capital of Peru?", note="Not found in the articles: they never mention Peru.",
                    hints=[citation(9, text="Helsinki hosted a Russia-US summit in July 2018.")])
    embed = answer_embed(answer)
    assert embed.title == "Not found in the articles"
    assert embed.description == "Not found in the articles: they never mention Peru.\nYou asked: *what is the capital of Peru?*"
    assert embed.fields[0].name == "Closest passages"
    assert embed.fields[0].value == (
        "`[1]` Kremlin denies call · 2024-11-11 · ¶9\n> Helsinki hosted a Russia-US summit in July 2018."
    )


def huge_answer() -> Answer:
    """Everything as long as it can get, and full of characters that need escaping."""
    long = "*word_* " * 2000
    cites = [citation(i, title="_T*" * 200, text=long + "ANSWER " + long, url="https://news.example/" + "p" * 400,
                      start=len(long), end=len(long) + 6) for i in range(1, 31)]
    return Answer(question="q_*" * 3000, answer=long, sentence=long + "!", confidence=1.0, citations=cites,
                  hints=cites, note="n*" * 2000)


def test_a_huge_answer_fits_every_discord_limit() -> None:
    answer = huge_answer()
    assert_within_limits([answer_embed(answer)])
    assert answer_embed(answer).fields[0].value.endswith("…and 25 more")
    assert_within_limits([answer_embed(answer.model_copy(update={"answer": None}))])


def test_the_passages_of_a_huge_answer_fit_one_message_and_keep_the_answer_in_bold() -> None:
    embeds = passage_embeds(huge_answer())
    assert_within_limits(embeds)
    assert len(embeds) == render.MAX_SOURCES
    for embed in embeds:
        assert "**ANSWER**" in embed.description
        assert embed.description.startswith("…") and embed.description.endswith("…")


@pytest.mark.parametrize(
    ("text", "start", "end", "limit", "expected"),
    [
        ("on February 12, 2022.", 3, 20, 100, "on **February 12, 2022**."),
        ("Answer first, then more.", 0, 6, 100, "**Answer** first, then more."),
        ("Out of range.", 5, 99, 100, "Out of range."),  # bad offsets: no bold, no crash
        ("a_b c*d", 0, 3, 100, "**a\\_b** c\\*d"),
    ],
)
def test_highlight_bolds_the_answer_span(text: str, start: int, end: int, limit: int, expected: str) -> None:
    assert highlight(text, start, end, limit) == expected


def test_highlight_keeps_the_span_when_the_passage_is_cut() -> None:
    text = "Before. " * 100 + "The call was on February 12, 2022, for an hour. " + "After. " * 100
    start = text.index("February")
    out = highlight(text, start, start + len("February 12, 2022"), 120)
    assert len(out) <= 120
    assert "**February 12, 2022**" in out
    assert out.startswith("…") and out.endswith("…")


def test_sources_are_split_into_pages_of_ten() -> None:
    infos = [ArticleInfo(id=f"a{i}", title=f"Article {i}", passages=2) for i in range(23)]
    pages = sources_pages(infos)
    assert [p.footer.text for p in pages] == [f"Page {n} of 3 · 46 passages in all" for n in (1, 2, 3)]
    assert pages[2].description.startswith("**21.** Article 20\nundated · 2 passages · `a20`")
    assert_within_limits(pages[:1])
    assert sources_pages([])[0].title == "No articles indexed"


def test_a_sources_page_of_enormous_titles_still_fits() -> None:
    infos = [ArticleInfo(id="x" * 200, title="T_" * 3000, url="https://n.example/" + "u" * 1000, passages=1)] * 10
    for page in sources_pages(infos):
        assert_within_limits([page])


def test_report_text_fits_a_message_however_many_files_were_skipped() -> None:
    report = IndexReport(added=["ferry"], unchanged=["a", "b"], seconds=0.25,
                         skipped=[SkippedFile(path=f"bad{i}.txt", reason="not UTF-8 " * 50) for i in range(1000)])
    text = report_text(report, "Re-indexed:")
    assert text.startswith("Re-indexed: 1 added, 0 updated, 0 removed, 2 unchanged (0.25 s).\nAdded: `ferry`")
    assert text.endswith("…and 995 more skipped files.")
    assert len(text) <= CONTENT_LIMIT


@pytest.mark.parametrize(
    ("confidence", "colour", "footer"),
    [
        (0.93, render.CONFIDENT_COLOUR, "Confidence 93%"),
        (0.70, render.CONFIDENT_COLOUR, "Confidence 70%"),
        (0.55, render.UNSURE_COLOUR, "Confidence 55%"),
        (0.32, render.UNSURE_COLOUR, "Low confidence 32%"),  # "Finnish" for the capital of France
    ],
)
def test_the_embed_colour_and_footer_follow_the_confidence(confidence: float, colour: object, footer: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decide, "levels", lambda: decide.Levels(confident=0.7, low=0.4))  # the shipped ones are fitted
    answer = Answer(question="What is the capital of France?", answer="Finnish", sentence="The Finnish capital, Helsinki.",
                    confidence=confidence, citations=[citation()])
    embed = answer_embed(answer)
    assert embed.colour == colour
    assert embed.footer.text == footer  # the confidence alone: no instructions beside it


def test_citations_of_one_article_are_grouped_on_one_line() -> None:
    same = [citation(2), citation(10), citation(4, title="Peskov denies rumors", published=None)]
    same[1] = same[1].model_copy(update={"article_id": "a2", "passage_id": "a2#10"})
    answer = Answer(question="q", answer="February 12, 2022", confidence=0.8, citations=same)
    assert answer_embed(answer).fields[0].value == (
        "`[1]` Kremlin denies call · 2024-11-11 · ¶2, ¶10\n"
        "`[2]` Peskov denies rumors · undated · ¶4"
    )


def test_an_article_cited_hundreds_of_times_still_fits_its_line() -> None:
    many = [citation(2).model_copy(update={"paragraph": n, "passage_id": f"a2#{n}"}) for n in range(1, 400)]
    value = answer_embed(Answer(question="q", answer="x", confidence=0.8, citations=many)).fields[0].value
    assert value == "`[1]` Kremlin denies call · 2024-11-11 · 399 paragraphs"
