"""Questions are answered in the bot's own few threads, so that a burst of them cannot crowd the
event loop off the GIL (bench/RESULTS.md, "The bot stays responsive")."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.client import ANSWER_THREADS, NewsqaBot
from bot.settings import BotSettings
from retrieval.engine import Engine

QUESTION = "when was the last Putin–Biden call?"


class HeldEngine(Engine):
    """An engine whose answers wait at a gate, counting how many are being worked on at once."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.asking = 0
        self.most_at_once = 0

    def ask(self, question: str, focus: Sequence[str] = ()):
        with self.lock:
            self.asking += 1
            self.most_at_once = max(self.most_at_once, self.asking)
        try:
            if not self.gate.wait(timeout=20):
                raise TimeoutError("the test never opened the gate")
            return super().ask(question, focus)
        finally:
            with self.lock:
                self.asking -= 1


@pytest.mark.slow
def test_a_burst_of_questions_is_answered_a_few_at_a_time_and_all_of_them(seed_corpus: Path) -> None:
    engine = HeldEngine.open(seed_corpus)
    settings = BotSettings(_env_file=None, corpus_dir=seed_corpus, reindex_interval_seconds=0)

    async def scenario() -> list:
        bot = NewsqaBot(settings, engine)
        try:
            burst = asyncio.gather(*(bot.answer(QUESTION) for _ in range(12)))
            for _ in range(2000):  # 20 s at most: a failing ask must fail the test, not hang it
                if engine.asking >= ANSWER_THREADS:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)  # time enough for any further thread to start asking
            assert engine.asking == ANSWER_THREADS  # asyncio.to_thread's pool would have 6 on 2 CPUs
            engine.gate.set()
            return await burst
        finally:
            engine.gate.set()
            await bot.close()

    answers = asyncio.run(scenario())
    assert len(answers) == 12 and all(a.answer == answers[0].answer and a.found for a in answers)
    assert engine.most_at_once == ANSWER_THREADS == 2
