"""The real bot, end to end, against the local Discord double: what members and admins see."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import discord
import pytest
from bot_harness import log_text, run, running_bot
from discord_double import ADMINISTRATOR, DiscordDouble, EPHEMERAL, LIMITS, MANAGE_GUILD, MEMBER_PERMISSIONS, embed_length

from retrieval.answer import answer_question
from retrieval.engine import Engine, build_index
from tests.helpers import write_article

CALL_QUESTION = "when was the last Putin–Biden call?"

FERRY_ARTICLE = """Title: Harbour ferries change their winter timetable
URL: https://news.example/harbour-ferries-(winter)
Date: 2024-12-02

The Solmund harbour authority said the island ferry will run every 40 minutes from January.

Captains welcomed the change, which the authority announced on Monday.
"""
FERRY_QUESTION = "how often will the island ferry run?"


def _bot_mention(double) -> str:
    return f"<@{double.bot_user['id']}>"


def _text(sent) -> str:
    """All visible text of a message body: content, titles, descriptions, fields, footers."""
    parts = [sent.payload.get("content") or ""]
    for e in sent.embeds:
        parts += [e.get("title") or "", e.get("description") or "", (e.get("footer") or {}).get("text") or ""]
        parts += [f"{f['name']}\n{f['value']}" for f in e.get("fields") or []]
    return "\n".join(parts)


def test_login_ready_and_commands_synced_to_the_dev_guild(seed_corpus: Path) -> None:
    async def scenario() -> None:
        async with running_bot(seed_corpus) as r:
            d = r.double
            await d.wait_for(lambda: "logged in as newsqa" in log_text(r.logs), what="on_ready")
            [identify] = d.identifies
            assert identify["token_ok"]
            assert identify["intents"] == discord.Intents.default().value
            assert not discord.Intents._from_value(identify["intents"]).message_content  # no privileged intent
            # Synced once, to the dev guild only (global sync takes up to an hour to show).
            assert [guild for guild, _ in d.sync_calls] == [d.guild_id]
            commands = {c["name"]: c for c in d.sync_calls[0][1]}
            assert set(commands) == {"ask", "sources", "reindex", "add-article"}
            for admin_only in ("reindex", "add-article"):
                assert commands[admin_only]["default_member_permissions"] == MANAGE_GUILD
            assert commands["ask"]["default_member_permissions"] is None
            assert commands["ask"]["options"][0]["name"] == "question"
            assert commands["ask"]["options"][0]["required"] is True

    run(scenario)


def test_mention_gets_a_reply_that_cites_its_sources(seed_corpus: Path) -> None:
    async def scenario() -> None:
        async with running_bot(seed_corpus) as r:
            d = r.double
            alice = d.new_user("alice")
            message_id = await d.post_message(f"{_bot_mention(d)} {CALL_QUESTION}", alice)
            [reply] = await d.wait_for(lambda: d.replies_to_message(message_id), what="the reply")
            assert d.typing >= 1  # "newsqa is typing…" while it works
            [embed] = reply.embeds
            assert embed["title"] == CALL_QUESTION
            assert embed["description"].startswith("**February 12, 2022**")
            sources = embed["fields"][0]
            assert sources["name"] == "Sources"
            assert "`[1]` Kremlin spokesman denies media reports of phone call between Putin, Trump · 2024-11-11 · ¶11" in sources["value"]
            assert "`[2]` Peskov denies rumors of Putin-Trump phone call · undated · ¶6" in sources["value"]
            assert reply.payload["allowed_mentions"] == {"parse": [], "replied_user": False}

            # Anyone may press "Show passages" and gets the full passages, privately.
            bob = d.new_user("bob")
            click = await d.click(reply.message, "Show passages", bob)
            shown = await d.reply_to(click)
            assert shown.ephemeral
            assert [e["title"] for e in shown.embeds] == [
                "[1] Kremlin spokesman denies media reports of phone call between Putin, Trump",
                "[2] Peskov denies rumors of Putin-Trump phone call",
            ]
            assert shown.embeds[0]["description"].startswith(
                "Putin last held a phone call with the US leader on **February 12, 2022**. During that call"
            )

    run(scenario)


def test_a_mention_without_a_question_explains_how_to_ask(seed_corpus: Path) -> None:
    async def scenario() -> None:
        async with running_bot(seed_corpus) as r:
            d = r.double
            message_id = await d.post_message(_bot_mention(d), d.new_user("carol"))
            [reply] = await d.wait_for(lambda: d.replies_to_message(message_id), what="the reply")
            assert reply.payload["content"].startswith("Ask me about the articles after the mention")
            # A message that doesn't mention the bot gets nothing.
            other = await d.post_message("when was the last Putin–Biden call?", d.new_user("dan"), mention_bot=False)
            await asyncio.sleep(0.2)
            assert d.replies_to_message(other) == []

    run(scenario)


def test_ask_defers_at_once_then_follows_up_with_the_answer_embed(seed_corpus: Path) -> None:
    async def scenario() -> None:
        async with running_bot(seed_corpus) as r:
            d = r.double
            interaction = await d.invoke("ask", d.new_user("alice"), question=CALL_QUESTION)
            followup = await d.reply_to(interaction)
            record = d.interactions[interaction]
            assert record.initial == {"type": 5}  # deferred, public: "newsqa is thinking…"
            assert followup.route == "followup" and not followup.ephemeral
            [embed] = followup.embeds
            assert embed["description"].splitlines() == [
                "**February 12, 2022**",
                "> Putin last held a phone call with the US leader on February 12, 2022.",
                "*Reported by 2 articles.*",
            ]
            # The engine's own confidence, shown as a percentage (the bot does not make up its own).
            expected = answer_question(build_index(seed_corpus), CALL_QUESTION).confidence
            assert embed["footer"]["text"].startswith(f"Confidence {expected:.0%}")
            labels = [c["label"] for row in followup.payload["components"] for c in row["components"]]
            assert labels == ["Show passages"]

    run(scenario)


def test_unanswerable_ask_says_not_found_and_shows_the_closest_passages(seed_corpus: Path) -> None:
    async def scenario() -> None:
        async with running_bot(seed_corpus) as r:
            d = r.double
            interaction = await d.invoke("ask", d.new_user("alice"), question="what is the capital of Peru?")
            [embed] = (await d.reply_to(interaction)).embeds
            assert embed["title"] == "Not found in the articles"
            assert embed["description"].startswith("Not found in the articles: they never mention Peru.")
            [hints] = embed["fields"]
            assert hints["name"] == "Closest passages"
            assert "Helsinki hosted a Russia-US summit" in hints["value"]

    run(scenario)


def test_members_without_manage_server_are_refused_and_the_corpus_stays_as_it_was(seed_corpus: Path) -> None:
    async def scenario() -> None:
        engine = Engine.open(seed_corpus)
        write_article(seed_corpus, "ferry.txt", FERRY_ARTICLE)  # on disk, not yet indexed
        before = sorted(p.name for p in seed_corpus.iterdir())
        async with running_bot(seed_corpus, engine=engine) as r:
            d = r.double
            mallory = d.new_user("mallory")
            refusals = [
                await d.invoke("reindex", mallory),
                await d.invoke("add-article", mallory, attachment=("evil.txt", b"Breaking: the ferry is cancelled.\n")),
            ]
            for interaction in refusals:
                reply = await d.reply_to(interaction)
                assert reply.route == "callback" and reply.ephemeral
                assert reply.payload["content"] == (
                    "Only members with the Manage Server permission (or the bot's owners) can change the articles."
                )
                assert d.interactions[interaction].followups == []
            assert sorted(p.name for p in seed_corpus.iterdir()) == before
            [embed] = (await d.reply_to(await d.invoke("ask", mallory, question=FERRY_QUESTION))).embeds
            assert embed["title"] == "Not found in the articles"  # the refused re-index did not run

    run(scenario)


def test_admin_reindex_makes_a_new_article_answerable_right_after(seed_corpus: Path) -> None:
    async def scenario() -> None:
        async with running_bot(seed_corpus) as r:
            d = r.double
            admin = d.new_user("admin")
            write_article(seed_corpus, "ferry.txt", FERRY_ARTICLE)
            interaction = await d.invoke("reindex", admin, permissions=MEMBER_PERMISSIONS | MANAGE_GUILD)
            report = await d.reply_to(interaction)
            assert d.interactions[interaction].initial == {"type": 5, "data": {"flags": EPHEMERAL}}
            assert report.payload["content"].startswith("Re-indexed: 1 added, 0 updated, 0 removed, 2 unchanged")
            assert "Added: `ferry`" in report.payload["content"]

            [embed] = (await d.reply_to(await d.invoke("ask", admin, question=FERRY_QUESTION))).embeds
            assert "40 minutes" in embed["description"].splitlines()[0]
            assert "[Harbour ferries change their winter timetable](https://news.example/harbour-ferries-%28winter%29)" \
                in embed["fields"][0]["value"]

    run(scenario)


def test_admin_add_article_stores_a_safe_file_and_it_is_answerable_right_after(seed_corpus: Path) -> None:
    async def scenario() -> None:
        async with running_bot(seed_corpus) as r:
            d = r.double
            admin = d.new_user("admin")
            interaction = await d.invoke(
                "add-article", admin, permissions=MEMBER_PERMISSIONS | ADMINISTRATOR,
                attachment=("../../Harbour ferries.txt", FERRY_ARTICLE.encode()),
            )
            report = await d.reply_to(interaction)
            assert report.ephemeral
            assert report.payload["content"].startswith("Added `Harbour_ferries.txt`; it can be asked about now.")
            assert (seed_corpus / "Harbour_ferries.txt").read_text() == FERRY_ARTICLE
            assert not list(seed_corpus.parent.glob("*.txt"))  # nothing escaped the corpus folder
            [embed] = (await d.reply_to(await d.invoke("ask", admin, question=FERRY_QUESTION))).embeds
            assert "40 minutes" in embed["description"].splitlines()[0]
            assert "Harbour ferries change their winter timetable" in embed["fields"][0]["value"]

    run(scenario)


def test_owner_ids_may_change_the_corpus_without_manage_server(seed_corpus: Path) -> None:
    owner_id = 424242424242424242

    async def scenario() -> None:
        async with running_bot(seed_corpus, owner_ids=frozenset({owner_id})) as r:
            d = r.double
            owner = d._user(owner_id, "owner")  # no Manage Server in this guild
            refused = await d.invoke("reindex", d.new_user("stranger"))
            assert (await d.reply_to(refused)).payload["content"].startswith("Only members with the Manage Server")
            accepted = await d.invoke("add-article", owner, attachment=("ferry.md", FERRY_ARTICLE.encode()))
            assert (await d.reply_to(accepted)).payload["content"].startswith("Added `ferry.md`")

    run(scenario)


def test_a_bad_upload_is_refused_with_the_reason_and_nothing_is_stored(seed_corpus: Path) -> None:
    async def scenario() -> None:
        before = sorted(p.name for p in seed_corpus.iterdir())
        async with running_bot(seed_corpus, max_upload_bytes=1000) as r:
            d = r.double
            admin_perms = MEMBER_PERMISSIONS | MANAGE_GUILD
            cases = {
                ("report.pdf", b"%PDF-1.7"): "report.pdf is not an article file: attach a .txt, .md, .html, .htm file.",
                ("big.txt", b"x" * 1001): "big.txt is 1,001 bytes; the limit is 1,000 bytes.",
                ("latin1.txt", "caf\xe9 au lait".encode("latin-1")): "latin1.txt is not a usable article: not UTF-8 text",
            }
            for (name, body), expected in cases.items():
                interaction = await d.invoke("add-article", d.new_user("admin"), permissions=admin_perms, attachment=(name, body))
                reply = await d.reply_to(interaction)
                assert reply.ephemeral
                assert reply.payload["content"].replace("\\", "").startswith(expected.split(" (")[0])
        assert sorted(p.name for p in seed_corpus.iterdir()) == before

    run(scenario)


def test_a_very_long_answer_stays_within_discord_limits(tmp_path: Path, rules_reader: None) -> None:
    # The rule reader quotes a whole saying, however long; the neural reader's spans are short.
    corpus = tmp_path / "corpus"
    words = " ".join(f"word_{i}*" for i in range(900))
    title = "The *very* long_title " * 20
    write_article(corpus, "long.txt", f"Title: {title}\nURL: https://news.example/{'a' * 300}\n\n"
                  f"The harbour spokesman said that the ferry schedule for the whole winter season was {words} and nothing else.\n\n"
                  "Another paragraph about the ferry schedule.\n")
    engine = Engine.open(corpus)
    answer = engine.ask("what did the harbour spokesman say?")
    # The engine really returns a very long answer: as long as a passage may be (MAX_PASSAGE_CHARS),
    # longer than an embed's description once its markdown is escaped.
    assert answer.answer and len(answer.answer) > 3500 and len(answer.answer.replace("*", "\\*").replace("_", "\\_")) > LIMITS["description"]

    async def scenario() -> None:
        async with running_bot(corpus, engine=engine) as r:
            d = r.double
            user = d.new_user("alice")
            followup = await d.reply_to(await d.invoke("ask", user, question="what did the harbour spokesman say?"))
            [embed] = followup.embeds
            assert len(embed["title"]) <= LIMITS["title"] and len(embed["description"]) <= LIMITS["description"]
            assert embed_length(embed) <= LIMITS["total"]
            first_line = embed["description"].splitlines()[0]
            assert first_line.startswith("**the ferry schedule for the whole winter season was word\\_0\\* word\\_1\\*")
            assert first_line.endswith("…**")  # cut, and visibly so
            shown = await d.reply_to(await d.click(followup.message, "Show passages", user))
            assert sum(embed_length(e) for e in shown.embeds) <= LIMITS["total"]
            assert "**the ferry schedule" in shown.embeds[0]["description"]
            mention = await d.post_message(f"{_bot_mention(d)} what did the harbour spokesman say?", user)
            await d.wait_for(lambda: d.replies_to_message(mention), what="the reply")
            assert d.rejected == []

    run(scenario)


def test_a_quote_containing_everyone_pings_nobody(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_article(corpus, "ping.txt", "Title: Town hall notice\n\n"
                  "The mayor told @everyone and @here and <@123456789012345678> that the bridge reopens on Friday.\n")

    async def scenario() -> None:
        async with running_bot(corpus) as r:
            d = r.double
            user = d.new_user("alice")
            followup = await d.reply_to(await d.invoke("ask", user, question="what did the mayor tell everyone?"))
            mention = await d.post_message(f"{_bot_mention(d)} when does the bridge reopen?", user)
            [reply] = await d.wait_for(lambda: d.replies_to_message(mention), what="the reply")
            shown = await d.reply_to(await d.click(reply.message, "Show passages", user))
            for sent in (followup, reply, shown):
                assert "@everyone" in _text(sent)  # the quote is shown as written...
                assert sent.payload["allowed_mentions"]["parse"] == []  # ...and pings nobody
                assert not sent.payload["allowed_mentions"].get("replied_user")

    run(scenario)


class GatedEngine(Engine):
    """An engine whose re-index waits at a gate, so that a test can ask while a re-index is under way."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reindexing = threading.Event()
        self.gate = threading.Event()

    def reindex(self):
        self.reindexing.set()
        if not self.gate.wait(timeout=20):
            raise TimeoutError("the test never opened the gate")
        return super().reindex()


@pytest.mark.slow
def test_questions_arriving_during_a_reindex_are_all_answered(seed_corpus: Path) -> None:
    engine = GatedEngine.open(seed_corpus)
    write_article(seed_corpus, "ferry.txt", FERRY_ARTICLE)

    async def scenario() -> None:
        async with running_bot(seed_corpus, engine=engine) as r:
            d = r.double
            try:
                reindex = await d.invoke("reindex", d.owner, permissions=MEMBER_PERMISSIONS | MANAGE_GUILD)
                await d.wait_for(engine.reindexing.is_set, what="the re-index to start")
                asks = [await d.invoke("ask", d.new_user(f"user{i}"), question=CALL_QUESTION) for i in range(8)]
                mentions = [await d.post_message(f"{_bot_mention(d)} {CALL_QUESTION}", d.new_user(f"m{i}")) for i in range(4)]
                answers = [await d.reply_to(a) for a in asks]
                replies = [(await d.wait_for(lambda m=m: d.replies_to_message(m), what="a reply"))[0] for m in mentions]
                # All answered while the re-index is still running: nothing waited for it.
                assert d.interactions[reindex].followups == []
                for sent in answers + replies:
                    assert sent.embeds[0]["description"].startswith("**February 12, 2022**")
            finally:
                engine.gate.set()
            report = await d.reply_to(reindex)
            assert report.payload["content"].startswith("Re-indexed: 1 added")

    run(scenario)


def test_the_cooldown_slows_down_one_asker_and_no_one_else(seed_corpus: Path) -> None:
    async def scenario() -> None:
        async with running_bot(seed_corpus, ask_cooldown_seconds=60) as r:
            d = r.double
            alice, bob = d.new_user("alice"), d.new_user("bob")
            first = await d.reply_to(await d.invoke("ask", alice, question=CALL_QUESTION))
            assert first.embeds
            again = await d.reply_to(await d.invoke("ask", alice, question=CALL_QUESTION))
            assert again.route == "callback" and again.ephemeral
            assert again.payload["content"] in {f"One question at a time, please: you can ask again in {s} s." for s in (59, 60)}
            mention = await d.post_message(f"{_bot_mention(d)} {CALL_QUESTION}", alice)
            [reply] = await d.wait_for(lambda: d.replies_to_message(mention), what="the reply")
            assert reply.payload["content"].startswith("One question at a time, please")
            assert (await d.reply_to(await d.invoke("ask", bob, question=CALL_QUESTION))).embeds

    run(scenario)


class BrokenEngine(Engine):
    """An engine that fails in a way nobody planned for, to exercise the one error handler."""

    def ask(self, question: str, focus: object = ()):
        raise RuntimeError("index file vanished")


def test_an_unexpected_error_is_a_short_private_message_with_the_traceback_in_the_log(seed_corpus: Path) -> None:
    engine = BrokenEngine.open(seed_corpus)

    async def scenario() -> None:
        async with running_bot(seed_corpus, engine=engine) as r:
            d = r.double
            interaction = await d.invoke("ask", d.new_user("alice"), question=CALL_QUESTION)
            reply = await d.reply_to(interaction)
            assert reply.ephemeral
            assert reply.payload["content"] == "Something went wrong on my side; the details are in the bot's log."
            assert d.interactions[interaction].original_deleted  # the public "thinking…" message is gone
            log = log_text(r.logs)
            assert "RuntimeError: index file vanished" in log and "Traceback" in log
            assert "index file vanished" not in reply.payload["content"]

    run(scenario)


def test_sources_are_paginated_for_the_member_who_asked(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for i in range(23):
        write_article(corpus, f"a{i:02d}.txt", f"Title: Article number {i}\n\nParagraph {i} says something about topic {i}.\n")

    async def scenario() -> None:
        async with running_bot(corpus) as r:
            d = r.double
            alice = d.new_user("alice")
            first = await d.reply_to(await d.invoke("sources", alice))
            assert first.ephemeral
            [page1] = first.embeds
            assert page1["title"] == "Indexed articles: 23"
            assert page1["footer"]["text"] == "Page 1 of 3 · 23 passages in all"
            assert page1["description"].startswith("**1.** Article number 0\n")
            message = d.messages[int(first.message["id"])]
            nxt = await d.reply_to(await d.click(message, "Next", alice))
            assert d.interactions[nxt.interaction_id].initial["type"] == 7  # the same message, edited
            assert nxt.embeds[0]["footer"]["text"].startswith("Page 2 of 3")
            assert "**11.** Article number 10" in nxt.embeds[0]["description"]
            stranger = await d.reply_to(await d.click(message, "Next", d.new_user("bob")))
            assert stranger.ephemeral and stranger.payload["content"].startswith("These pages belong to someone else")

    run(scenario)


def test_a_sharded_bot_connects_as_its_shard_and_answers(seed_corpus: Path) -> None:
    double = DiscordDouble()
    shard = (double.guild_id >> 22) % 2  # the shard Discord would route this guild to

    async def scenario() -> None:
        async with running_bot(seed_corpus, double=double, shard_count=2, shard_ids=(shard,)) as r:
            d = r.double
            assert [i["shard"] for i in d.identifies] == [[shard, 2]]
            [embed] = (await d.reply_to(await d.invoke("ask", d.new_user("alice"), question=CALL_QUESTION))).embeds
            assert embed["description"].startswith("**February 12, 2022**")

    run(scenario)


def test_new_files_are_picked_up_by_the_periodic_reindex(seed_corpus: Path) -> None:
    async def scenario() -> None:
        async with running_bot(seed_corpus, reindex_interval_seconds=0.2) as r:
            d = r.double
            write_article(seed_corpus, "ferry.txt", FERRY_ARTICLE)
            await d.wait_for(lambda: "ferry" in {i.id for i in r.engine.sources()}, what="the periodic re-index")
            [embed] = (await d.reply_to(await d.invoke("ask", d.new_user("alice"), question=FERRY_QUESTION))).embeds
            assert "40 minutes" in embed["description"].splitlines()[0]
            assert "re-indexed: 1 added, 0 updated, 0 removed" in log_text(r.logs)

    run(scenario)


def test_page_buttons_are_taken_away_when_they_expire(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for i in range(12):
        write_article(corpus, f"a{i:02d}.txt", f"Title: Article number {i}\n\nParagraph {i} says something.\n")

    async def scenario() -> None:
        async with running_bot(corpus, button_timeout_seconds=1) as r:
            d = r.double
            first = await d.reply_to(await d.invoke("sources", d.new_user("alice")))
            message_id = int(first.message["id"])
            assert d.messages[message_id]["components"]
            await d.wait_for(lambda: d.messages[message_id]["components"] == [], timeout=5, what="the expired buttons to go")
            assert d.messages[message_id]["embeds"] == first.embeds  # the page itself stays

    run(scenario)


@pytest.mark.slow
def test_show_passages_outlives_the_bot_and_follows_the_corpus(seed_corpus: Path) -> None:
    double = DiscordDouble()

    async def scenario() -> None:
        async with running_bot(seed_corpus, double=double, button_timeout_seconds=1) as r:
            followup = await r.double.reply_to(await r.double.invoke("ask", r.double.new_user("alice"), question=CALL_QUESTION))
        message = double.messages[int(followup.message["id"])]
        # Another run of the bot (a restart, a deploy), long after the old one's timeouts.
        async with running_bot(seed_corpus, double=double, button_timeout_seconds=1) as r:
            await asyncio.sleep(1.2)
            shown = await double.reply_to(await double.click(message, "Show passages", double.new_user("bob")))
            assert shown.ephemeral
            assert [e["title"] for e in shown.embeds] == [
                "[1] Kremlin spokesman denies media reports of phone call between Putin, Trump",
                "[2] Peskov denies rumors of Putin-Trump phone call",
            ]
            assert "on **February 12, 2022**." in shown.embeds[0]["description"]
            # One cited article is removed: the button shows what is left, and says so when nothing is.
            (seed_corpus / "001_03d8b65938a66cc9.txt").unlink()
            await asyncio.to_thread(r.engine.reindex)
            shown = await double.reply_to(await double.click(message, "Show passages", double.new_user("carol")))
            assert [e["title"] for e in shown.embeds] == [
                "[1] Kremlin spokesman denies media reports of phone call between Putin, Trump",
            ]
            for path in seed_corpus.iterdir():
                path.unlink()
            await asyncio.to_thread(r.engine.reindex)
            shown = await double.reply_to(await double.click(message, "Show passages", double.new_user("dan")))
            assert shown.embeds[0]["description"].startswith("These passages have changed or were removed")

    run(scenario)
