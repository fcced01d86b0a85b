"""Conversations in Discord, end to end against the double: a Reply to the bot's answer is a follow-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from bot_harness import run, running_bot
from discord_double import DiscordDouble

import discord
from bot.render import answer_embed, exchange_of
from retrieval.models import Answer, ChatAnswer
from tests.helpers import write_article

# The rule reader answers, so that the answers (which the follow-ups lean on) are the same everywhere.
pytestmark = pytest.mark.usefixtures("rules_reader")

SPOKESMAN = "Who is the Kremlin spokesman?"
FOLLOW_UP = "What did he call the reports?"
READ_AS = "What did Dmitry Peskov call the reports?"


def _mention(double: DiscordDouble) -> str:
    return f"<@{double.bot_user['id']}>"


async def _reply(double: DiscordDouble, message_id: int):
    [reply] = await double.wait_for(lambda: double.replies_to_message(message_id), what="the bot's reply")
    return reply


def _description(sent) -> str:
    return sent.embeds[0]["description"]


def test_a_reply_to_the_answer_continues_the_conversation_and_a_new_mention_starts_over(seed_corpus: Path) -> None:
    async def scenario() -> None:
        async with running_bot(seed_corpus) as r:
            d = r.double
            alice = d.new_user("alice")
            first = await d.post_message(f"{_mention(d)} {SPOKESMAN}", alice)
            answer = await _reply(d, first)
            assert _description(answer).startswith("**Dmitry Peskov**")
            assert "read as" not in _description(answer)
            # Discord's Reply, mention on: no <@id> in the text, the bot among the parsed mentions.
            follow_up = await d.post_message(FOLLOW_UP, alice, reply_to=answer.message and int(answer.message["id"]))
            second = await _reply(d, follow_up)
            [embed] = second.embeds
            assert embed["title"] == FOLLOW_UP
            lines = embed["description"].split("\n")
            assert lines[0] == f"*read as: {READ_AS}*"
            assert lines[1].startswith("**the most remarkable example of the quality of the information")
            # A third turn, two answers back along the chain.
            third_q = await d.post_message("Who denied those allegations?", alice, reply_to=int(second.message["id"]))
            third = await _reply(d, third_q)
            assert _description(third).startswith("*read as: ")
            # A mention that is no reply starts a new conversation: "he" refers to no one.
            fresh = await d.post_message(f"{_mention(d)} {FOLLOW_UP}", alice)
            assert "read as" not in _description(await _reply(d, fresh))

    run(scenario)


def test_the_chain_survives_a_restart_of_the_bot(seed_corpus: Path) -> None:
    async def scenario() -> None:
        double = DiscordDouble()
        bob = double.new_user("bob")
        async with running_bot(seed_corpus, double=double) as r:
            first = await r.double.post_message(f"{_mention(double)} {SPOKESMAN}", bob)
            answer = await _reply(double, first)
        # A new bot process: nothing in memory, the chain is read back from Discord.
        async with running_bot(seed_corpus, double=double) as r:
            follow_up = await double.post_message(FOLLOW_UP, bob, reply_to=int(answer.message["id"]))
            second = await _reply(double, follow_up)
            assert _description(second).startswith(f"*read as: {READ_AS}*")
            again = await double.post_message("And when did he describe them so?", bob, reply_to=int(second.message["id"]))
            await _reply(double, again)
            # The member's earlier question was fetched to step from one answer to the one before it.
            assert follow_up in double.fetched

    run(scenario)


def test_a_follow_up_stays_on_the_story_even_after_a_restart(tmp_path: Path) -> None:
    """The story is read back from the answer's 'Show passages' button (its passage ids), not kept in memory."""
    from tests.test_topic import HEATERS, KETTLES

    corpus = tmp_path / "corpus"
    write_article(corpus, "heaters.md", HEATERS)
    write_article(corpus, "kettles.md", KETTLES)

    async def scenario() -> None:
        double = DiscordDouble()
        dana = double.new_user("dana")
        async with running_bot(corpus, double=double):
            first = await double.post_message(f"{_mention(double)} Which company is recalling space heaters?", dana)
            answer = await _reply(double, first)
            assert _description(answer).startswith("**Calder Appliances**")
            alone = await double.post_message(f"{_mention(double)} Who is the chief executive?", dana)
            assert _description(await _reply(double, alone)).startswith("**Tobias Wren**")  # asked on its own
        async with running_bot(corpus, double=double):
            follow_up = await double.post_message("Who is the chief executive?", dana, reply_to=int(answer.message["id"]))
            assert _description(await _reply(double, follow_up)).startswith("**Mara Quint**")

    run(scenario)


def test_a_pronoun_with_nothing_before_it_asks_who_is_meant(seed_corpus: Path) -> None:
    async def scenario() -> None:
        async with running_bot(seed_corpus) as r:
            d = r.double
            erin = d.new_user("erin")
            asked = await d.post_message(f"{_mention(d)} what did he say about it", erin)
            reply = await _reply(d, asked)
            assert 'says who "he" is' in _description(reply)
            assert not reply.embeds[0].get("fields")  # no closest passages from an unrelated article

    run(scenario)


def test_threads_work_the_same_way(seed_corpus: Path) -> None:
    async def scenario() -> None:
        async with running_bot(seed_corpus) as r:
            d = r.double
            carol = d.new_user("carol")
            first = await d.post_message(f"{_mention(d)} {SPOKESMAN}", carol, channel_id=d.thread_id)
            answer = await _reply(d, first)
            assert answer.message["channel_id"] == str(d.thread_id)  # answered in the thread
            follow_up = await d.post_message(FOLLOW_UP, carol, reply_to=int(answer.message["id"]), channel_id=d.thread_id)
            second = await _reply(d, follow_up)
            assert second.message["channel_id"] == str(d.thread_id)
            assert _description(second).startswith(f"*read as: {READ_AS}*")

    run(scenario)


def test_a_reply_to_someone_else_or_without_the_mention_is_no_follow_up(seed_corpus: Path) -> None:
    async def scenario() -> None:
        async with running_bot(seed_corpus) as r:
            d = r.double
            dan, erin = d.new_user("dan"), d.new_user("erin")
            first = await d.post_message(f"{_mention(d)} {SPOKESMAN}", dan)
            answer = await _reply(d, first)
            # Replying to another member's message while mentioning the bot: a new conversation.
            chat = await d.post_message("Peskov again, I think", erin, mention_bot=False)
            other = await d.post_message(f"{_mention(d)} {FOLLOW_UP}", dan, reply_to=chat)
            assert "read as" not in _description(await _reply(d, other))
            # A Reply with the mention switched off does not mention the bot: it gets no answer.
            quiet = await d.post_message(FOLLOW_UP, dan, mention_bot=False, reply_to=int(answer.message["id"]))
            late = await d.post_message(f"{_mention(d)} {SPOKESMAN}", dan)
            await _reply(d, late)  # answered in order, so the quiet reply had its chance
            assert d.replies_to_message(quiet) == []

    run(scenario)


@pytest.mark.parametrize(
    "answer",
    [
        ChatAnswer(question="What did he *call* the_reports?", resolved_question="What did Peskov *call* the_reports?",
                   answer="“pure fiction” — said `twice` ~~no~~", confidence=0.8),
        ChatAnswer(question="Who is the spokesman?", resolved_question="Who is the spokesman?", answer="Dmitry Peskov",
                   confidence=0.3),
        ChatAnswer(question="And Xi?", resolved_question="When did Putin last speak to Xi?", answer=None,
                   note="Not found in the articles: they never mention Xi."),
        Answer(question="Who is Bob Woodward?", answer="a journalist", confidence=0.9),
    ],
)
def test_an_answer_embed_reads_back_as_the_exchange_it_shows(answer: Answer) -> None:
    resolved = getattr(answer, "resolved_question", answer.question)
    assert exchange_of(answer_embed(answer)) == (answer.question, resolved, answer.answer)


def test_other_embeds_are_no_exchange() -> None:
    assert exchange_of(discord.Embed(title="Indexed articles: 2", description="**1.** Kremlin")) is None
    assert exchange_of(discord.Embed(title="Not found in the articles", description="nothing")) is None
    assert exchange_of(discord.Embed()) is None


@pytest.mark.parametrize("found", [True, False])
def test_a_long_read_as_stays_within_discord_limits(found: bool) -> None:
    from discord_double import validate_message

    long = "What did " + "the spokesman of the ministry of " * 200 + "say?"
    answer = ChatAnswer(question=long, resolved_question=long + " (resolved)", answer="x" * 5000 if found else None,
                        sentence="y" * 5000 if found else None, note="z" * 5000, confidence=0.5)
    embed = answer_embed(answer)
    assert validate_message({"embeds": [embed.to_dict()]}) is None
    assert "read as: " in (embed.description or "")
