"""A conversation: its turns, the story it is about (`topic`), and asking a question in it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from retrieval.conversation.entities import Turn
from retrieval.conversation.rewrite import nothing_to_refer_to, rewrite_question, unresolved_reference
from retrieval.conversation.words import MAX_TURNS
from retrieval.models import Answer, ChatAnswer


def topic_of(answer: Answer, before: Sequence[str] = ()) -> tuple[str, ...]:
    """The story a conversation is about after `answer` (see `topic_after`)."""
    return topic_after(answer.citations[0].article_id if answer.citations else None,
                       answer.hints[0].article_id if answer.hints else None, before)


def topic_after(answered_from: str | None, closest: str | None, before: Sequence[str] = ()) -> tuple[str, ...]:
    """The story a conversation is about after a turn: the article its answer came from; with no answer,
    the story it was about already, else the article of the closest passage shown."""
    if answered_from:
        return (answered_from,)
    if before:
        return tuple(before)
    return (closest,) if closest else ()


class Conversation:
    """The turns so far; `ask` reads a question against them, answers it and records the turn."""

    def __init__(self, turns: Iterable[Turn] = (), max_turns: int = MAX_TURNS) -> None:
        self.max_turns = max_turns
        self.turns: list[Turn] = list(turns)[-max_turns:]

    @property
    def topic(self) -> tuple[str, ...]:
        """The articles of the story being discussed (empty before the first answer)."""
        return self.turns[-1].articles if self.turns else ()

    def resolve(self, question: str) -> str:
        """The standalone question `question` stands for in this conversation."""
        return rewrite_question(question, self.turns)

    def record(self, question: str, resolved_question: str, answer: str | None, articles: Sequence[str] = ()) -> Turn:
        turn = Turn.of(question, resolved_question, answer, self.turns, articles)
        self.turns = (self.turns + [turn])[-self.max_turns :]
        return turn

    def ask(self, answer: Callable[[str, Sequence[str]], Answer], question: str) -> ChatAnswer:
        """Resolve `question`, answer the standalone question with `answer(question, topic)`, and
        remember the turn. A question that refers to someone or something when nothing came before
        is not answered: it asks who or what is meant."""
        if (chat := self.unfounded(question)) is not None:
            self.record(question, question, None)
            return chat
        resolved = self.resolve(question)
        given = answer(resolved, self.topic)
        chat = chat_answer(given, question, resolved)
        self.record(question, resolved, chat.answer, topic_of(given, self.topic))
        return chat

    def unfounded(self, question: str) -> ChatAnswer | None:
        """The reply to a question that leans on someone or something when nothing came before it
        ("what did he say about it" to open a conversation): no answer, and a note that asks who is
        meant. None for any other question."""
        if self.turns or (pronoun := unresolved_reference(question)) is None:
            return None
        return ChatAnswer(question=question, resolved_question=question, note=nothing_to_refer_to(pronoun))

    def clear(self) -> None:
        self.turns = []


def chat_answer(answer: Answer, question: str, resolved_question: str) -> ChatAnswer:
    """The engine's answer to `resolved_question`, as the answer to `question` in a conversation."""
    return ChatAnswer(**(answer.model_dump() | {"question": question}), resolved_question=resolved_question)

