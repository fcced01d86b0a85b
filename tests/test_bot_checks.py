"""Who may change the corpus, the per-user cooldown, upload checks and reading questions from mentions."""

from __future__ import annotations

import discord
import pytest

from bot.checks import AskCooldown, Cooldown, may_manage_corpus
from bot.corpus import check_upload
from bot.questions import question_from_mention
from retrieval.errors import UsageError

OWNER = 111
MEMBER = 222


@pytest.mark.parametrize(
    ("user_id", "permissions", "allowed"),
    [
        (MEMBER, discord.Permissions(manage_guild=True), True),
        (MEMBER, discord.Permissions(administrator=True), True),
        (MEMBER, discord.Permissions(send_messages=True, manage_messages=True, manage_channels=True), False),
        (MEMBER, discord.Permissions.none(), False),
        (MEMBER, None, False),  # no guild permissions at all (a DM)
        (OWNER, discord.Permissions.none(), True),  # the owner ids from the settings
        (OWNER, None, True),
    ],
)
def test_only_managers_and_owners_may_manage_the_corpus(user_id, permissions, allowed) -> None:
    assert may_manage_corpus(user_id, permissions, frozenset({OWNER})) is allowed


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cooldown_is_per_user_and_ends() -> None:
    clock = Clock()
    cooldown = Cooldown(10, clock=clock)
    assert cooldown.hit(1) == 0
    clock.now += 4
    assert cooldown.hit(1) == pytest.approx(6)
    assert cooldown.hit(2) == 0  # someone else is not slowed down
    clock.now += 6
    assert cooldown.hit(1) == 0


def test_refused_questions_do_not_extend_the_cooldown() -> None:
    clock = Clock()
    cooldown = Cooldown(10, clock=clock)
    cooldown.hit(1)
    for _ in range(5):
        clock.now += 1.9
        cooldown.hit(1)
    clock.now += 0.6  # 10.1 s after the first, accepted, question
    assert cooldown.hit(1) == 0


def test_cooldown_message_rounds_up_and_zero_disables() -> None:
    clock = Clock()
    cooldown = Cooldown(5, clock=clock)
    cooldown.check(7)
    clock.now += 0.5
    with pytest.raises(AskCooldown, match=r"you can ask again in 5 s\.$"):
        cooldown.check(7)
    off = Cooldown(0, clock=clock)
    assert [off.hit(7) for _ in range(3)] == [0, 0, 0]


def test_cooldown_memory_stays_bounded() -> None:
    clock = Clock()
    cooldown = Cooldown(1, clock=clock)
    for user in range(20_000):
        clock.now += 0.01
        cooldown.hit(user)
    assert len(cooldown._last) <= 10_001


@pytest.mark.parametrize(
    ("filename", "size", "message"),
    [
        ("report.pdf", 10, "report.pdf is not an article file: attach a .txt, .md, .html, .htm file."),
        ("noext", 10, "noext is not an article file"),
        ("big.txt", 2_000, "big.txt is 2,000 bytes; the limit is 1,000 bytes."),
    ],
)
def test_uploads_are_checked_before_download(filename: str, size: int, message: str) -> None:
    with pytest.raises(UsageError) as exc:
        check_upload(filename, size, max_bytes=1_000)
    assert str(exc.value).startswith(message)


@pytest.mark.parametrize("filename", ["ferry.txt", "Ferry.MD", "../x.txt"])
def test_article_uploads_within_the_limit_pass(filename: str) -> None:
    check_upload(filename, 1_000, max_bytes=1_000)


@pytest.mark.parametrize(
    ("content", "question"),
    [
        ("<@42> when was the call?", "when was the call?"),
        ("<@!42>   when was\nthe call?", "when was the call?"),
        ("when was the call, <@42>?", "when was the call, ?"),
        ("<@42>", ""),
        ("<@43> <@42> who is Peskov?", "<@43> who is Peskov?"),
    ],
)
def test_the_question_is_the_message_without_the_bot_mention(content: str, question: str) -> None:
    assert question_from_mention(content, 42) == question
