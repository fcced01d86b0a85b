"""Conversations: follow-up questions read against the questions and answers before them.

A `Conversation` keeps its turns (question, the standalone question it was read as, the answer
text and the entities they name) and `rewrite_question` turns a follow-up into a standalone
question, which any reader then answers as it would a first question:

    Who is the Kremlin spokesman?        -> (unchanged)            Dmitry Peskov
    What did he call the reports?        -> What did Dmitry Peskov call the reports?
    When did Putin last speak to Biden?  -> (unchanged)            February 12, 2022
    In which month?                      -> In which month did Putin last speak to Biden?
    And Trump?                           -> When did Putin last speak to Trump?

Three kinds of follow-up are rewritten, each by a rule that reads only the shape of English
questions (no word list names a topic):

- pronouns and demonstratives ("he", "its", "they", "there", "then", "that call") are replaced by
  the latest entity of a matching kind: a person for "he/she", a thing for "it", a place for
  "there", a time for "then"; the last answer's entity first, then the last question's, in order;
- a bare question phrase ("Why?", "In which month?", "How much?") takes the rest of the previous
  question, with the previous answer put where the previous question phrase stood;
- "And X?" / "What about X?" puts X in the previous question in place of its entity of X's kind.

A question with nothing to resolve, or whose reference finds no antecedent, is returned as it is.
The package is pure: no index, no reader, no I/O; the bot rebuilds turns from its own messages.
"""

from __future__ import annotations

from retrieval.conversation.entities import Entity, Turn, turn_entities
from retrieval.conversation.rewrite import nothing_to_refer_to, rewrite_question, unresolved_reference
from retrieval.conversation.session import Conversation, chat_answer, topic_after, topic_of
from retrieval.conversation.words import LOOKBACK, MAX_TURNS

__all__ = [
    "LOOKBACK", "MAX_TURNS", "Conversation", "Entity", "Turn", "chat_answer", "nothing_to_refer_to", "rewrite_question",
    "topic_after", "topic_of", "turn_entities", "unresolved_reference",
]
