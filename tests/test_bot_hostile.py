"""What admins are told when the engine can't do what they asked: the user's terms in Discord,
the paths, process ids and causes in the log."""

from __future__ import annotations

import json
from pathlib import Path

from bot_harness import log_text, run, running_bot
from discord_double import MANAGE_GUILD, MEMBER_PERMISSIONS

from bot.corpus import in_user_terms
from retrieval.engine import Engine
from retrieval.errors import NewsqaError, UsageError
from retrieval.store import IndexLocked
from tests.helpers import write_article


def test_engine_errors_are_said_in_the_users_terms() -> None:
    locked = IndexLocked("the index in /srv/newsqa/idx is being updated by another newsqa process (pid 4242): run ...")
    assert str(in_user_terms(locked, "re-index")) == "Another re-index is running right now; try again in a minute."
    other = in_user_terms(NewsqaError("cannot update the index in /srv/newsqa/idx (Permission denied)"), "upload")
    assert "/srv" not in str(other) and "details are in the bot's log" in str(other)
    refusal = UsageError("story.md is not a usable article: not UTF-8 text")
    assert in_user_terms(refusal, "upload") is refusal


def test_a_reindex_while_another_process_writes_names_no_path_or_pid(seed_corpus: Path, tmp_path: Path) -> None:
    from filelock import FileLock

    index_dir = tmp_path / "idx"
    engine = Engine.open(seed_corpus, index_dir, lock_timeout=0)

    async def scenario() -> None:
        async with running_bot(seed_corpus, engine=engine) as r:
            d = r.double
            (index_dir / "lock.owner").write_text(json.dumps({"pid": 4242, "since": 0}))
            with FileLock(str(index_dir / "lock")):
                interaction = await d.invoke("reindex", d.new_user("admin"), permissions=MEMBER_PERMISSIONS | MANAGE_GUILD)
                reply = await d.reply_to(interaction)
            content = reply.payload["content"]
            assert reply.ephemeral and "Another re-index is running right now" in content
            assert "4242" not in content and str(index_dir) not in content
            assert "pid 4242" in log_text(r.logs) and str(index_dir) in log_text(r.logs)

    run(scenario)


def test_escapes_and_invisible_characters_of_an_article_reach_no_discord_message(tmp_path: Path) -> None:
    """Issue #26, defect 2: a front-matter url with escape sequences went into links and an embed's url."""
    from test_hostile_files import FERRY_SEATS, HIDDEN, HOSTILE_FRONT_MATTER

    corpus = tmp_path / "corpus"
    write_article(corpus, "ferry.md", HOSTILE_FRONT_MATTER)

    async def scenario() -> None:
        async with running_bot(corpus) as r:
            d = r.double
            alice = d.new_user("alice")
            answer = await d.reply_to(await d.invoke("ask", alice, question=FERRY_SEATS))
            assert answer.embeds[0]["description"].startswith("**300**")
            message = d.messages[int(answer.message["id"])]
            shown = await d.reply_to(await d.click(message, "Show passages", alice))
            assert [(e["title"], e.get("url")) for e in shown.embeds] == [("[1] Harbor ferry news [2J", None)]
            await d.reply_to(await d.invoke("ask", alice, question="what is the capital of Peru?"))
            await d.reply_to(await d.invoke("sources", alice))
            assert len(d.sent) >= 4
            for sent in d.sent:
                assert not any(c in json.dumps(sent.payload, ensure_ascii=False) for c in HIDDEN), sent.payload

    run(scenario)


def test_an_uploaded_article_is_stored_with_the_mode_the_umask_allows(seed_corpus: Path) -> None:
    """Issue #26, defect 5: /add-article stored 0600 files, which a shared corpus's other users skip."""
    import os

    from discord_double import ADMINISTRATOR

    umask = os.umask(0o022)
    os.umask(umask)

    async def scenario() -> None:
        async with running_bot(seed_corpus) as r:
            d = r.double
            interaction = await d.invoke(
                "add-article", d.new_user("admin"), permissions=MEMBER_PERMISSIONS | ADMINISTRATOR,
                attachment=("ferry.txt", b"Ferry news\n\nThe Harbor Line ferry carries 300 passengers, the operator said.\n"),
            )
            assert (await d.reply_to(interaction)).payload["content"].startswith("Added `ferry.txt`")

    run(scenario)
    assert (seed_corpus / "ferry.txt").stat().st_mode & 0o777 == 0o666 & ~umask


def test_an_article_id_with_backticks_formats_nothing_in_sources_or_reports(tmp_path: Path) -> None:
    """Issue #26, defect 13: ids went inside backticks unescaped, so a file name could close the code
    span and inject formatting."""
    from discord_double import ADMINISTRATOR

    corpus = tmp_path / "corpus"
    name = "x`**big** [site](evil)`\u202ey"
    write_article(corpus, f"{name}.txt", "Ferry news\n\nThe Harbor Line ferry carries 300 passengers, the operator said.\n")
    shown = "`x\u02cb**big** [site](evil)\u02cb\\u202ey`"

    async def scenario() -> None:
        async with running_bot(corpus) as r:
            d = r.double
            [page] = (await d.reply_to(await d.invoke("sources", d.new_user("alice")))).embeds
            assert page["description"].endswith(f"· 1 passages · {shown}")
            (corpus / f"{name}.txt").unlink()
            reply = await d.reply_to(await d.invoke("reindex", d.new_user("admin"), permissions=MEMBER_PERMISSIONS | ADMINISTRATOR))
            assert shown in reply.payload["content"]
            assert reply.payload["content"].count("`") == 2

    run(scenario)
