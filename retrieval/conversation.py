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
The module is pure: no index, no reader, no I/O; the bot rebuilds turns from its own messages.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from retrieval.models import Answer, ChatAnswer
from retrieval.reader.question import (
    AMOUNT, DATE, DEFINITION, DURATION, NUMBER, PERSON, PLACE, THING, analyze_question,
)
from retrieval.reader.lexicon import AUXILIARY_VERBS, COPULAS, QUESTION_PREPOSITIONS
from retrieval.synonyms import wordnet
from retrieval.tokens import _IRREGULAR_EN, STOP_WORDS_EN

# Entity kinds. NAME is a capitalised name whose kind the question does not tell.
PERSON_E, PLACE_E, THING_E, TIME_E, QUANTITY_E, NAME_E = "person", "place", "thing", "time", "quantity", "name"

MAX_TURNS = 8  # a conversation keeps this many turns
LOOKBACK = 3  # pronouns look this many turns back for their antecedent
SHORT_ANSWER_WORDS = 6  # a longer answer is a statement, not an entity to refer back to

_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*(?:['’]s)?")
_WH_WORDS = frozenset("what which who whom whose when where why how".split())
_DETERMINERS = frozenset("the a an this that these those its his her their our your my each every".split())
_DEMONSTRATIVES = frozenset("this that these those".split())
_NAME_JOINERS = frozenset("of de del der van von la le bin al".split())
# Words of chat that name nothing, so never stand for a name or an entity: "gonna", "tho", "whats"
# (what's typed without its apostrophe), "diff question", "anything".
_CHAT_WORDS = frozenset(
    "gonna wanna gotta gimme tho though ok okay oh hey hi yeah yep yes nah no lol pls please sorry anyway btw "
    "diff different other thing topic question switching whats hows wheres whos whens whys thats theres its "
    "anything something nothing everything anyone someone anybody somebody everyone everybody mean".split()
)
_FUNCTION = (
    AUXILIARY_VERBS | COPULAS | QUESTION_PREPOSITIONS | _WH_WORDS | _DETERMINERS | _CHAT_WORDS
    | frozenset("and or but not also then there it he she they we you i so as if of".split())
)
# Words before a name that say it names a person: titles and the roles news copy puts before names.
_PERSON_TITLES = frozenset(
    "mr mrs ms dr sir president spokesman spokeswoman spokesperson minister governor judge coach captain striker "
    "executive chairman chairwoman director secretary senator mayor chancellor prime king queen prince princess "
    "journalist reporter leader official head chief ceo founder premier general player goalkeeper defender "
    "midfielder manager economist analyst professor scientist pope".split()
)
# A name ending in one of these names an organisation or a thing, not a person.
_THING_HEADS = frozenset(
    "post times institute institution organization organisation bank union court agency company group council "
    "party ministry government university college committee commission office service association federation "
    "fund league club corporation airlines news network house summit treaty act plan accord agreement deal "
    "storm hurricane typhoon cyclone bridge airport station stadium".split()
)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_TIME = re.compile(
    rf"\b(?:(?:on|in|at|since|until|by|during|from)\s+)?(?:(?:(?:{_MONTHS})\s+\d{{1,2}},?\s+\d{{4}})|(?:\d{{1,2}}\s+(?:{_MONTHS})\s+\d{{4}})"
    rf"|(?:(?:early|late|mid-)?\s*(?:{_MONTHS})(?:\s+\d{{4}})?)|(?:1[5-9]\d\d|20\d\d)s?"
    r"|(?:(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|\d+)\s+(?:years?|months?|weeks?|days?|decades?)\s+(?:ago|earlier|later|before))"
    r"|(?:(?:last|next|this|the\s+previous|the\s+following)\s+(?:year|month|week|season|summer|winter|spring|autumn|time)))\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\b\d[\d,.]*\b")

# Question phrases a bare follow-up may consist of: "Why?", "In which month?", "How much?".
_FRAGMENT_WH = re.compile(
    r"(?:(?P<prep>in|on|at|by|since|until|for|from|during|to)\s+)?"
    r"(?P<wh>since\s+when|how\s+come|how\s+(?:much|many)(?:\s+[a-z]+)?|how(?:\s+(?:long|often|old|far|soon|big|large))?"
    r"|(?:what|which)\s+[a-z][\w-]*|who\s+else|whom?|when|where|why)"
    r"(?:\s+(?:exactly|precisely|then|so|again|though))?",
    re.IGNORECASE,
)
_ELLIPSIS = re.compile(r"(?:and|but|also|so)?\s*(?:(?:what|how)\s+about\s+|and\s+)(?P<x>.+)", re.IGNORECASE)
_PRONOUN_ELLIPSIS = re.compile(
    r"(?:and|but|also|so)?\s*(?:(?:what|how)\s+about\s+|and\s+)(?:him|her|them|it|he|she|they|this|that|those)", re.IGNORECASE)
_ADVERBIAL_WH = frozenset("when where why how".split())
# Questions whose answer names something a follow-up can refer to; a statement ("what did she say")
# or a reason is not one.
_ENTITY_ANSWERS = frozenset({PERSON, PLACE, DATE, NUMBER, AMOUNT, DURATION, THING, DEFINITION})
_TIME_NOUNS = frozenset("year years month months day days date time decade century week weeks hour season".split())
_NP_DETERMINERS = frozenset("the a an its his her their this that these those each".split())
_CALENDAR = re.compile(rf"(?:{_MONTHS}|monday|tuesday|wednesday|thursday|friday|saturday|sunday)", re.IGNORECASE)
# "Which company ...", "What team ...": the answer is an organisation, "it" rather than "he".
_ORGANISATION_WH = re.compile(
    r"\s*(?:which|what)\s+(?:[a-z-]+\s+)?(?:company|companies|organi[sz]ation|group|newspaper|agency|team|party|"
    r"institution|university|network|channel|firm|club|bank|union|court|government|body)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Entity:
    """Something a question or an answer named, and its kind (person, place, thing, time, quantity, name)."""

    text: str
    kind: str
    plural: bool = False


@dataclass(frozen=True)
class Turn:
    """One question and answer of a conversation."""

    question: str
    resolved_question: str
    answer: str | None
    entities: tuple[Entity, ...] = field(default=())
    articles: tuple[str, ...] = field(default=())  # the story the conversation was about after this turn

    @classmethod
    def of(
        cls, question: str, resolved_question: str, answer: str | None, before: Sequence[Turn] = (), articles: Sequence[str] = ()
    ) -> Turn:
        """A turn with the entities its standalone question and its answer name (typed as the turns
        `before` it typed them)."""
        known = [e for turn in before[-LOOKBACK:] for e in turn.entities]
        return cls(question, resolved_question, answer, tuple(turn_entities(resolved_question, answer, known)), tuple(articles))


def topic_of(answer: Answer, before: Sequence[str] = ()) -> tuple[str, ...]:
    """The story a conversation is about after `answer`: the article its answer comes from; with no
    answer, the story it was about already, else the article of the closest passage shown."""
    if answer.citations:
        return (answer.citations[0].article_id,)
    if before:
        return tuple(before)
    return (answer.hints[0].article_id,) if answer.hints else ()


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


# --- entities ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Word:
    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def bare(self) -> str:
        """The word without a possessive 's."""
        return re.sub(r"['’]s$", "", self.text)


def _words(text: str) -> list[_Word]:
    return [_Word(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def _is_capitalised(word: _Word, i: int) -> bool:
    if not word.text[:1].isupper() or word.lower in ("i",):
        return False
    return i > 0 or word.lower not in _FUNCTION


def _names(text: str, words: list[_Word] | None = None) -> list[tuple[int, int, Entity]]:
    """Capitalised names in `text` (word index span and entity), typed where the words around tell."""
    words = _words(text) if words is None else words
    if not any(c.isupper() for c in text):
        return _lowercase_names(words)
    out: list[tuple[int, int, Entity]] = []
    i = 0
    while i < len(words):
        if not _is_capitalised(words[i], i) or words[i].text.isdigit() or _CALENDAR.fullmatch(words[i].bare):
            i += 1
            continue  # "on Tuesday", "in July": times, not names
        j = i + 1
        # A name runs over capitalised words separated by spaces; "Putin–Biden" is two names.
        while j < len(words) and not words[j - 1].text.endswith(("'s", "’s")) and not text[words[j - 1].end : words[j].start].strip():
            if _is_capitalised(words[j], j) and not words[j].text.isdigit():
                j += 1
            elif words[j].lower in _NAME_JOINERS and j + 1 < len(words) and _is_capitalised(words[j + 1], j + 1):
                j += 2
            else:
                break
        surface = text[words[i].start : words[j - 1].end]
        surface = re.sub(r"['’]s$", "", surface)
        before = words[i - 1].lower if i > 0 else ""
        kind = NAME_E
        joined = any(w.lower == "of" for w in words[i:j])  # "Bank of Russia"; "Niels de Groot" is a person
        thing_word = any(re.sub(r"['’]s$", "", w.lower) in _THING_HEADS for w in words[i:j])
        if before in _PERSON_TITLES:
            kind = PERSON_E
        elif thing_word or before == "the" or joined:
            kind = THING_E  # "the Aurora", "the Washington Post", "Bank of Russia", "Storm Elin"
        elif before in ("in", "at", "on", "near", "across") and j - i <= 2:
            kind = PLACE_E
        elif j - i in (2, 3):
            kind = PERSON_E  # "Maria Lindqvist": a first and a last name
        if before == "the" and kind != PERSON_E:
            surface = "the " + surface
        out.append((i, j, Entity(surface, kind)))
        i = j
    return out


def _lowercase_names(words: list[_Word]) -> list[tuple[int, int, Entity]]:
    """Names in a question typed all in lower case, as chat often is: the words no dictionary knows
    ("when did putin last speak to biden?" finds "biden"; WordNet knows "putin", so it is missed)."""
    net = wordnet()
    if net is None:
        return []
    out = []
    for i, w in enumerate(words):
        word = w.bare.lower()
        if len(word) < 3 or not word.isalpha() or word in _FUNCTION or word in STOP_WORDS_EN or word in _IRREGULAR_EN:
            continue
        if not any(net.base_forms(word, pos) for pos in "nvar"):
            out.append((i, i + 1, Entity(word, NAME_E)))
    return out


def _noun_phrases(text: str, words: list[_Word]) -> list[tuple[int, int, Entity]]:
    """Noun phrases after a determiner or a possessive ("the reports", "the Rotterdam dock strike",
    "Vattenfall's spokeswoman"): things, or people when a role heads them ("the Russian president")."""
    out = []
    for i, w in enumerate(words):
        possessive = w.text.endswith(("'s", "’s")) and w.lower not in ("it's", "that's", "what's", "who's", "there's")
        if w.lower not in _NP_DETERMINERS and not possessive:
            continue
        j = i + 1
        while j < len(words) and _is_capitalised(words[j], j) and j - i <= 2:
            j += 1  # names as modifiers: "the Kremlin spokesman"
        names_end = j
        while j < len(words) and j - i <= 4 and not _is_capitalised(words[j], j) and words[j].lower not in _FUNCTION \
                and not words[j].text[:1].isdigit():
            j += 1
            last = words[j - 1].bare.lower()
            if words[j - 1].text.endswith(("'s", "’s")) or (j - names_end > 1 and _is_plural(last)):
                break  # "the ferries enter": a plural noun, then its verb
        if j <= names_end:
            continue
        head = words[j - 1].bare.lower()
        if head.endswith(("ed", "ing")) and j - names_end > 1:  # "the order cut", "the ships cost": stop before a verb
            j -= 1
        elif j - i > 2 and _in_subject(words, i) and (j == len(words) or words[j].lower in QUESTION_PREPOSITIONS):
            j -= 1  # "How much will the ships cost?", "does the lander weigh at launch": the verb ends it
        head = words[j - 1].bare.lower()
        if j <= names_end or head in _TIME_NOUNS:
            continue  # "this season", "next year": a time, not a thing
        if possessive:
            phrase = text[w.start : words[j - 1].end]
        else:
            phrase = "the " + text[words[i + 1].start : words[j - 1].end]
        kind = PERSON_E if head in _PERSON_TITLES else THING_E
        out.append((i, j, Entity(phrase, kind, _is_plural(head))))
    return out


def _in_subject(words: list[_Word], i: int) -> bool:
    """Whether words[i] stands in the subject after the auxiliary: "did [Putin and] the leader speak"."""
    for k in range(i - 1, -1, -1):
        w = words[k]
        if w.lower in AUXILIARY_VERBS | COPULAS:
            return True
        if not (_is_capitalised(w, k) or w.lower in ("and", "the", "a", "an")):
            return False
    return False


def _is_plural(word: str) -> bool:
    return word.endswith("s") and not word.endswith(("ss", "us", "is", "'s", "’s")) and len(word) > 3


def turn_entities(question: str, answer: str | None, known: Iterable[Entity] = ()) -> list[Entity]:
    """What a turn names: the answer (typed by what the question asked), then the question's names,
    times and noun phrases in the order they stand. A name that `known` (earlier turns) typed keeps
    its kind: "Dmitry Peskov", a who-question's answer, is a person when a later question names him."""
    out: list[Entity] = []
    kinds = {e.text.lower(): e.kind for e in known if e.kind != NAME_E}
    # An acronym is no question word: "the WHO" must not make a which-question a who-question.
    q = analyze_question(re.sub(r"\b[A-Z]{2,}\b", "X", question))
    if answer and len(answer.split()) <= SHORT_ANSWER_WORDS and q.kind in _ENTITY_ANSWERS:
        answer = _as_phrase(answer)
        kind = {PERSON: PERSON_E, PLACE: PLACE_E, DATE: TIME_E, NUMBER: QUANTITY_E, AMOUNT: QUANTITY_E,
                DURATION: QUANTITY_E}.get(q.kind, THING_E)
        if kind == PERSON_E and (not answer[:1].isupper() or _names_a_thing(answer)):
            kind = THING_E  # "a Berlin court", "Serum Institute of India": an organisation, referred to as "it"
        if q.kind == DEFINITION or (kind == PERSON_E and _ORGANISATION_WH.match(question)):
            kind = THING_E
        if answer[:1].isdigit() and kind == THING_E:
            kind = QUANTITY_E  # "6% pay rise": an amount, not a thing to call "it"
        head = _head_of_count(question)
        if kind == QUANTITY_E and head and head not in answer.lower():
            out.append(Entity(f"the {answer} {head}", THING_E, plural=True))
        plural = " and " in answer or (kind == THING_E and answer.rstrip(".").endswith("s") and not answer.endswith("ss"))
        out.append(Entity(answer.strip(), kind, plural))
    words = _words(question)
    found = _names(question, words)
    if q.kind == DEFINITION and question.lower().startswith(("who ", "кто ")):
        found = [(i, j, Entity(e.text, PERSON_E)) for i, j, e in found]
    phrases = _noun_phrases(question, words)
    # A name that only modifies a noun phrase ("the Rotterdam dock strike") is part of that thing.
    found = [n for n in found if not any(i < n[0] and n[1] < j for i, j, _ in phrases)] + phrases
    for m in _TIME.finditer(question):
        at = sum(1 for w in words if w.start < m.start())
        found.append((at, at + 1, Entity(m.group(), TIME_E)))
    head = _head_of_count(question)
    if head:
        at = next((k for k, w in enumerate(words) if w.lower == head), 0)
        found.append((at, at + 1, Entity(f"the {head}", THING_E, head.endswith("s"))))
    seen: set[str] = {e.text.lower() for e in out}
    for _, _, entity in sorted(found, key=lambda f: (f[0], -f[1])):
        if entity.kind in (NAME_E, PERSON_E, THING_E) and entity.text.lower() in kinds:
            entity = Entity(entity.text, kinds[entity.text.lower()], entity.plural)
        if entity.text.lower() not in seen:
            seen.add(entity.text.lower())
            out.append(entity)
    return out


_LOWER_OPENERS = frozenset(
    "the a an one two three four five six seven eight nine ten eleven twelve dozens hundreds thousands several "
    "some most about around nearly almost over more less up".split()
)


def _as_phrase(answer: str) -> str:
    """An answer as it reads inside another question: 'Two' (a sentence's first word) -> 'two', no role before a name."""
    answer = _without_title(answer.strip())
    first = answer.split()[0] if answer.split() else ""
    if first.lower() in _LOWER_OPENERS and first[:1].isupper():
        answer = first.lower() + answer[len(first) :]
    return answer


def _without_title(name: str) -> str:
    """'Striker Jonas Eriksen' -> 'Jonas Eriksen': a role before a name is no part of it."""
    words = name.split()
    if len(words) >= 3 and words[0].lower() in _PERSON_TITLES and all(w[:1].isupper() for w in words[1:]):
        return " ".join(words[1:])
    return name


def _names_a_thing(name: str) -> bool:
    """'Serum Institute of India', 'Bank of Russia', 'Vattenfall AB'...: a name an organisation or a thing has."""
    words = [w.lower().rstrip("'s") for w in name.split()]
    return any(w in _THING_HEADS for w in words) or "of" in words[1:-1]


def _head_of_count(question: str) -> str | None:
    """'How many ferries ...' -> 'ferries'."""
    m = re.match(r"\s*how\s+many\s+([a-z][\w-]*)", question, re.IGNORECASE)
    if m and m.group(1).lower() not in AUXILIARY_VERBS | COPULAS:
        return m.group(1).lower()
    return None


# --- rewriting --------------------------------------------------------------------------------


_PERSONAL = frozenset("he she him his her hers they them their theirs".split())
_IMPERSONAL = frozenset("it its this that".split())


def unresolved_reference(question: str) -> str | None:
    """The pronoun a question leans on when nothing came before it ("what did he say about it" -> "he"),
    or None: a question that names nobody and says little besides the pronoun has nothing to stand on.
    ("is it raining in oslo" and "why did they cancel flights at heathrow" say enough to be asked as they are.)"""
    words = [w.lower.replace("’", "'") for w in _words(question)]
    words = [w.removesuffix("'s") for w in words]
    if any(_is_capitalised(w, i) for i, w in enumerate(_words(question))):
        return None
    content = [w for w in words if w not in _FUNCTION and w not in _PERSONAL and w not in _IMPERSONAL and w not in STOP_WORDS_EN]
    for limit, pronouns in ((3, _PERSONAL - {"they", "them", "their", "theirs"}), (2, _PERSONAL), (1, _IMPERSONAL)):
        found = next((w for w in words if w in pronouns), None)
        if found and len(content) <= limit:
            return found
    return None


def nothing_to_refer_to(pronoun: str) -> str:
    """The note for a question whose `pronoun` has nothing earlier to refer to."""
    whom = "who" if pronoun in _PERSONAL else "what"
    return (f'Nothing earlier in this conversation says {whom} "{pronoun}" is: ask again with the name '
            f'(or ask about the story first, then follow up).')


def rewrite_question(question: str, history: Sequence[Turn]) -> str:
    """The standalone question a follow-up stands for; `question` itself when it needs no context
    or when what it refers to cannot be found."""
    text = " ".join(question.split())
    if not history or not text:
        return question
    last = history[-1]
    if _PRONOUN_ELLIPSIS.fullmatch(text.rstrip(" ?!.")):
        return question  # "What about her?", "And him?": no other entity to put in the previous question
    rewritten = _rewrite_fragment(text, last) or _rewrite_ellipsis(text, last) or _resolve_references(text, history)
    return rewritten if rewritten and rewritten != text else question


def _question_mark(text: str) -> str:
    return text.rstrip(" ?.!") + "?"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


# "Why?", "In which month?", "How much?": the rest of the previous question --------------------


@dataclass(frozen=True)
class _Parsed:
    prep: str  # a preposition before the question phrase ("In which month ...")
    wh: str  # the question phrase: "how many", "when", "which company"
    noun: str | None  # the noun of "how many X", "which X", "what X"
    rest: list[_Word]  # the words after the question phrase
    text: str


def _parse(question: str) -> _Parsed | None:
    """The previous question split into its question phrase and the clause after it."""
    text = question.strip().rstrip("?!. ")
    words = _words(text)
    if not words:
        return None
    i = 0
    prep = ""
    if words[0].lower in QUESTION_PREPOSITIONS and len(words) > 1 and words[1].lower in _WH_WORDS:
        prep, i = words[0].lower, 1
    first = words[i].lower
    if first not in _WH_WORDS:
        if first in AUXILIARY_VERBS | COPULAS:  # a yes/no question: "Did Putin call Trump?"
            return _Parsed("", "", None, words, text)
        return None
    wh, noun = first, None
    j = i + 1
    if first == "how" and j < len(words) and words[j].lower in ("much", "many", "long", "often", "old", "far", "soon"):
        wh, j = f"how {words[j].lower}", j + 1
    if wh in ("what", "which", "how many", "how much", "whose") and j < len(words):
        k = j
        while k < len(words) and k - j < 3 and words[k].lower not in _FUNCTION and not _is_capitalised(words[k], k):
            k += 1
        if k > j and k < len(words) and words[k].lower in AUXILIARY_VERBS | COPULAS:
            noun, j = " ".join(w.lower for w in words[j:k]), k  # "How many affordable homes did ...", "What pay rise did ..."
        else:
            nxt = words[j]
            if nxt.lower not in AUXILIARY_VERBS | COPULAS and nxt.lower not in _FUNCTION and not _is_capitalised(nxt, j):
                if not (wh in ("what", "which") and nxt.lower.endswith("ed")):
                    noun, j = nxt.lower, j + 1
    if j >= len(words):
        return None
    return _Parsed(prep, wh, noun, words[j:], text)


def _last_word(text: str | None) -> str:
    words = (text or "").split()
    return words[-1] if words else ""


def _base_form(verb: str) -> str:
    """'won' -> 'win', 'ordered' -> 'order', 'carries' -> 'carry' (WordNet's morphology when shipped)."""
    word = verb.lower()
    if word in _IRREGULAR_EN:
        return _IRREGULAR_EN[word]
    net = wordnet()
    if net is not None:
        forms = net.base_forms(word, "v")
        if forms:
            return forms[0]
    if word.endswith("ied"):
        return word[:-3] + "y"
    if word.endswith("ed"):
        return word[:-2]
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("es") and word[-3:-2] in "sxzh":
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _rewrite_fragment(text: str, last: Turn) -> str | None:
    """'Why?', 'In which month?', 'How much?': a question phrase alone, completed by the previous question."""
    bare = text.rstrip(" ?!.")
    bare = re.sub(r"^(?:and|but|so|ok|okay)[,\s]+", "", bare, flags=re.IGNORECASE)
    m = _FRAGMENT_WH.fullmatch(bare)
    if m is None:
        return None
    wh = m.group("wh").lower()
    if wh == "how come":
        wh = "why"
    if wh.split()[0] in ("what", "which") and m.group("wh").split()[1].lower() in AUXILIARY_VERBS | COPULAS | _FUNCTION:
        return None  # "What is?", "Which one?" say too little
    if wh in ("who", "whom") and not m.group("prep"):
        return None  # "Who?" alone says too little; "From whom?" does not
    phrase = ((m.group("prep") + " ") if m.group("prep") else "") + m.group("wh")
    parsed = _parse(last.resolved_question)
    if parsed is None:
        return None
    rest = parsed.rest
    first = rest[0].lower
    words = wh.split()
    if not m.group("prep") and (words[-1] == "else" or (words[0] in ("what", "which") and words[1] not in _TIME_NOUNS)):
        # "What else?", "Who else?", "Which company?": another answer in the same slot.
        if not parsed.wh or parsed.wh in _ADVERBIAL_WH or parsed.prep:
            return None
        return _question_mark(_capitalise(" ".join(f"{phrase} {parsed.text[rest[0].start :]}".split())))
    answer = _as_phrase(last.answer) if last.answer and len(last.answer.split()) <= SHORT_ANSWER_WORDS else None
    # What stood where the previous question phrase stood: its answer, else its noun.
    filler: str | None = None
    adverbial = parsed.wh in _ADVERBIAL_WH or parsed.wh in ("how long", "how often", "how old", "how far", "how soon") \
        or bool(parsed.prep) or _last_word(parsed.noun) in _TIME_NOUNS
    if not adverbial:
        if answer:
            filler = answer
            if parsed.wh in ("how many", "how much") and parsed.noun and parsed.noun not in answer.lower():
                filler = f"{answer} {parsed.noun}"
        elif parsed.noun:
            filler = f"the {parsed.noun}"
    clause = parsed.text[rest[0].start :]
    if parsed.wh and not adverbial and first not in AUXILIARY_VERBS | COPULAS:
        # The question phrase was the subject: "Who won the final?" -> "When did Rovers win the final?"
        if filler is None:
            return None
        verb = rest[0].text
        if verb.lower() not in _IRREGULAR_EN and not re.fullmatch(r"\w+(?:ed|s)", verb.lower()):
            return None
        aux = "does" if verb.lower().endswith("s") and not verb.lower().endswith("ss") and verb.lower() not in _IRREGULAR_EN else "did"
        tail = parsed.text[rest[1].start :] if len(rest) > 1 else ""
        out = f"{phrase} {aux} {filler} {_base_form(verb)} {tail}"
        return _question_mark(_capitalise(" ".join(out.split())))
    if filler is not None and first in AUXILIARY_VERBS | COPULAS and len(rest) > 1:
        after = rest[1]
        subject_next = after.lower in _DETERMINERS or _is_capitalised(after, 1) or after.lower in (
            "he", "she", "it", "they", "we", "you", "i") or after.text[:1].isdigit()
        final = rest[-1].lower
        passive = first in COPULAS and (final in _IRREGULAR_EN or re.fullmatch(r"\w+(?:ed|en)", final) is not None)
        if (first in COPULAS and not passive) or not subject_next:
            # "Who is the spokesman?", "Who will lead the team?": the filler is the subject, after the verb.
            out = f"{phrase} {rest[0].text} {filler} {parsed.text[after.start:]}"
        else:
            return _question_mark(_capitalise(" ".join(_with_object_inside(phrase, parsed.text, rest, filler).split())))
        return _question_mark(_capitalise(" ".join(out.split())))
    if not adverbial and parsed.wh and (first in COPULAS or rest[-1].lower in QUESTION_PREPOSITIONS):
        return None  # "What is the weather like?" "Why?": no answer to fill the gap "what" left
    if not parsed.wh and rest[0].lower in AUXILIARY_VERBS | COPULAS:
        clause = rest[0].lower + clause[len(rest[0].text) :]  # "Did Putin call?" -> "When did Putin call?"
    out = f"{phrase} {clause}"
    return _question_mark(_capitalise(" ".join(out.split())))


def _with_object_inside(phrase: str, text: str, rest: list[_Word], filler: str) -> str:
    """The clause with the filler where the object stood: right after the verb when a preposition
    follows the verb ("When will Rovers face United in the final?"), else at the end ("Why was
    Datenwerk fined 12 million euros?", "Why did they focus on security?")."""
    if rest[-1].lower not in QUESTION_PREPOSITIONS:
        # rest[0] is the auxiliary, rest[1] starts the subject: the verb comes after it.
        for k in range(2, len(rest) - 1):
            verb, nxt = rest[k], rest[k + 1]
            if rest[k - 1].lower in _DETERMINERS or _is_capitalised(verb, k) or verb.lower in _FUNCTION:
                continue  # still inside the subject ("the ferries", "Jonas Eriksen")
            if nxt.lower in QUESTION_PREPOSITIONS and _base_form(verb.lower) == verb.lower:
                return f"{phrase} {text[rest[0].start : verb.end]} {filler} {text[nxt.start :]}"
            break
    return f"{phrase} {text[rest[0].start :]} {filler}"


# "And Trump?", "What about in 2019?": the previous question with one entity swapped ---------------


def _rewrite_ellipsis(text: str, last: Turn) -> str | None:
    bare = text.rstrip(" ?!.")
    m = _ELLIPSIS.fullmatch(bare)
    if m is None:
        return None
    x = m.group("x").strip(" ,")
    xwords = _words(x)
    if not xwords or len(xwords) > 6:
        return None
    # A clause of its own ("and when did he resign?") is a question, not a fragment.
    if any(w.lower in AUXILIARY_VERBS | COPULAS | _WH_WORDS for w in xwords):
        return None
    previous = last.resolved_question.strip()
    prep = ""
    if xwords[0].lower in QUESTION_PREPOSITIONS | {"of"} and len(xwords) > 1:
        prep = xwords[0].lower
    if _TIME.fullmatch(x):
        slots = list(_TIME.finditer(previous))
        if not slots:  # "What was the turnout?" "And four years ago?": the time goes at the end
            return previous.rstrip(" ?!.") + " " + x + "?"
        slot = slots[-1]
        replacement = x
        relative = re.search(r"\b(?:ago|earlier|later|before)$|^(?:last|next|this|the)\b", x, re.IGNORECASE)
        if not prep and not relative and re.match(r"(?:on|in|at|since|until|by|during|from)\s", slot.group(), re.IGNORECASE):
            replacement = slot.group().split()[0] + " " + x
        return previous[: slot.start()] + replacement + previous[slot.end() :]
    if re.fullmatch(r"[\d,.]+%?", x):
        slots = [s for s in _NUMBER.finditer(previous) if not _TIME.fullmatch(s.group())]
        if not slots:
            return None
        return previous[: slots[-1].start()] + x + previous[slots[-1].end() :]
    pwords = _words(previous)
    core = x[len(prep) :].strip() if prep else x
    if any(_is_capitalised(w, 1) for w in _words(core)):
        names = _names(previous, pwords)
        if not names:
            return None
        if prep:  # "And of Datenwerk?": the name after the same preposition
            same = [n for n in names if n[0] > 0 and pwords[n[0] - 1].lower == prep]
            if not same:
                same = [n for n in names if n[0] > 0 and pwords[n[0] - 1].lower in QUESTION_PREPOSITIONS | {"of"}]
            if same:
                i, j, _ = same[-1]
                return previous[: pwords[i - 1].start] + f"{prep} {core}" + previous[pwords[j - 1].end :]
        i, j, entity = names[-1]
        start, end = pwords[i].start, pwords[j - 1].end
        if pwords[j - 1].text.endswith(("'s", "’s")):
            end -= 2
            core += "'s" if not core.endswith("'s") else ""
        if i > 0 and pwords[i - 1].lower == "the" and core.lower().startswith("the "):
            core = core[4:]
        return previous[:start] + core + previous[end:]
    noun = re.sub(r"^(?:the|a|an)\s+", "", core, flags=re.IGNORECASE)
    parsed = _parse(previous)
    if parsed is not None and parsed.noun and parsed.wh in ("how many", "how much"):
        # "How many passengers ...?" "And cars?": the count of the other thing
        m2 = re.search(rf"\b{re.escape(parsed.noun)}\b", previous, re.IGNORECASE)
        if m2:
            return previous[: m2.start()] + noun + previous[m2.end() :]
    phrases = _noun_phrases(previous, pwords)
    if phrases:  # "Which company built the lander's drill?" "And the solar panels?": the last thing named
        i, j, _ = phrases[-1]
        k = i + 1
        while k < j and _is_capitalised(pwords[k], k):
            k += 1
        start = pwords[k].start if k < j else pwords[i + 1].start
        return previous[:start] + noun + previous[pwords[j - 1].end :]
    return None


# Pronouns and demonstratives ------------------------------------------------------------------

_PERSON_PRONOUNS = {"he": "subject", "she": "subject", "him": "object", "his": "possessive", "hers": "object"}
_THING_PRONOUNS = {"it": "subject", "its": "possessive"}
_PLURAL_PRONOUNS = {"they": "subject", "them": "object", "their": "possessive", "theirs": "object"}
_BE_AFTER_THERE = frozenset("is are was were be been 's has have will would could can".split())


def _candidates(history: Sequence[Turn]) -> Iterable[Entity]:
    for turn in reversed(history[-LOOKBACK:]):
        yield from turn.entities


def _find(history: Sequence[Turn], specs: Sequence[tuple[str, bool | None]], besides: Iterable[str] = ()) -> Entity | None:
    """The latest entity of the first (kind, plural) in `specs` that a turn has, the latest turn first;
    none of those named `besides`."""
    taken = set(besides)
    for turn in reversed(history[-LOOKBACK:]):
        for kind, plural in specs:
            for entity in turn.entities:
                if entity.kind == kind and (plural is None or entity.plural == plural) and entity.text not in taken:
                    return entity
    return None


def _group(history: Sequence[Turn]) -> str | None:
    """'Putin and Biden' for 'they': two or more people or names of the latest turn that has them."""
    for turn in reversed(history[-LOOKBACK:]):
        listed = [e.text for e in turn.entities if e.kind == PERSON_E and e.plural]
        if listed:
            return listed[0]  # an answer that lists people: "Jonas Eriksen and Marco Silva"
        named = [e.text for e in turn.entities if (e.kind in (PERSON_E, NAME_E, THING_E) and _is_name_text(e.text)
                 or e.kind == PERSON_E) and "'s " not in e.text and "’s " not in e.text]
        for a in named:  # named together: "the Washington Post and Reuters", "Putin and the US leader"
            for b in named:
                if a != b and f"{a} and {b}".lower() in turn.resolved_question.lower():
                    return f"{a} and {b}"
        people = [e.text for e in turn.entities if e.kind in (PERSON_E, NAME_E) and not e.plural]
        if len(people) >= 2:
            return " and ".join(people[:2]) if len(people) == 2 else ", ".join(people[:-1]) + " and " + people[-1]
        if people or any(e.kind == THING_E and e.plural for e in turn.entities):
            return None  # the latest turn names one person or a plural thing: 'they' is not a group of names
    return None


def _is_name_text(text: str) -> bool:
    return re.sub(r"^the\s+", "", text)[:1].isupper()


def _still_referred_to(last: Turn, family: dict[str, str]) -> str | None:
    """What the last question's pronoun of the same family stood for, when that question asked who did
    something to it: "Who developed it?" (R21, answered "University of Oxford") "How effective was it?"
    is still R21: the answer names who acted on the thing, not a new thing."""
    if not re.match(r"\s*who(?:m|se)?\b", last.question, re.IGNORECASE) or last.question == last.resolved_question:
        return None
    asked, read = _words(last.question), _words(last.resolved_question)
    matcher = difflib.SequenceMatcher(a=[w.lower for w in asked], b=[w.lower for w in read], autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "replace" and a1 - a0 == 1 and asked[a0].lower in family and b1 > b0:
            text = last.resolved_question[read[b0].start : read[b1 - 1].end]
            return re.sub(r"['’]s?$", "", text) if family[asked[a0].lower] == "possessive" else text
    return None


def _possessive(text: str) -> str:
    return text + ("'" if text.endswith("s") and text[:1].islower() else "'s")


def _resolve_references(text: str, history: Sequence[Turn]) -> str | None:
    words = _words(text)
    names_here = _names(text, words)
    phrases_here = _noun_phrases(text, words)
    out: list[tuple[int, int, str]] = []  # (start, end, replacement)
    bound = _wh_subject_end(words)
    people: dict[str, str] = {}  # "he" / "she" -> whom it was read as
    for i, w in enumerate(words):
        lower = w.lower
        if i >= bound and lower in _BOUND_POSSESSIVES:
            continue  # "how many lost their jobs", "who lost his seat": the asker's subject, not someone earlier
        # A pronoun whose antecedent stands earlier in the question itself is left alone:
        # "What did Peskov say when he ...", "When will the bank hold its next meeting?"
        prior = [n for n in names_here if n[0] < i] + [p for p in phrases_here if p[1] <= i]
        prior_people = [e for _, _, e in prior if e.kind in (PERSON_E, NAME_E)]
        prior_things = [e for _, _, e in prior if e.kind in (THING_E, NAME_E) and not e.plural]
        nxt = words[i + 1].lower if i + 1 < len(words) else ""
        entity_text: str | None = None
        role = "subject"
        if lower in _PERSON_PRONOUNS or lower == "her":
            if prior_people:
                continue  # "What did Peskov say when he ...": the pronoun refers inside the question
            role = _PERSON_PRONOUNS.get(lower) or ("possessive" if nxt and nxt not in _FUNCTION | _PARTICLES else "object")
            entity_text = _person(lower, history, people)
        elif lower in _THING_PRONOUNS:
            if prior_things:
                continue
            role = _THING_PRONOUNS[lower]
            entity_text = _still_referred_to(history[-1], _THING_PRONOUNS)
            if entity_text is None:
                entity = _find(history, ((THING_E, False), (NAME_E, False))) or _find(history, ((PLACE_E, None),))
                entity_text = entity.text if entity else None
        elif lower in _PLURAL_PRONOUNS:
            if len(prior_people) > 1 or any(
                _is_plural(v.lower) and v.lower not in _FUNCTION and words[k - 1].lower not in _WH_WORDS | {"many"}
                for k, v in enumerate(words[1:i], start=1)
            ):
                continue  # "... most customers would have their electricity back": their customers
            role = _PLURAL_PRONOUNS[lower]
            entity_text = _others(words, history)
        elif lower == "there":
            prev = words[i - 1].lower if i > 0 else ""
            if nxt in _BE_AFTER_THERE or prev in _BE_AFTER_THERE or prev in AUXILIARY_VERBS:
                continue  # "Is there ...", "there were": no place
            entity = _find(history, ((PLACE_E, None),))
            if entity is not None:
                entity_text, role = f"in {entity.text}", "adverb"
        elif lower == "then":
            if text[w.end : w.end + 1] == "-" or i < len(words) - 1 and nxt not in ("",):
                continue  # "then-US President", "then he said": not a time
            entity = _find(history, ((TIME_E, None),))
            if entity is not None:
                t = entity.text
                if not re.match(r"(?:on|in|at|since|until|by|during|from)\s", t, re.IGNORECASE):
                    t = ("on " if re.search(r"\d{1,2},", t) else "in ") + t
                entity_text, role = t, "adverb"
        elif lower in _DEMONSTRATIVES and i + 1 < len(words) and nxt not in _FUNCTION and not _is_capitalised(words[i + 1], i + 1):
            replacement = _demonstrative(words[i + 1], history)
            if replacement is not None:
                out.append((w.start, words[i + 1].end, replacement))
            continue
        else:
            continue
        if not entity_text:
            continue
        if role == "possessive":
            entity_text = _possessive(entity_text)
        if i == 0:
            entity_text = _capitalise(entity_text)
        elif entity_text.startswith("The "):
            entity_text = "t" + entity_text[1:]
        out.append((w.start, w.end, entity_text))
    if not out:
        return None
    for start, end, replacement in reversed(out):
        text = text[:start] + replacement + text[end:]
    return text


_BOUND_POSSESSIVES = frozenset("their his her its".split())
_PARTICLES = frozenset("up down out off over back away in on".split())  # "lock her up": "her" is no possessive


def _wh_subject_end(words: list[_Word]) -> int:
    """Where a question whose subject is its question phrase ("who lost ...", "how many (people) lost ...")
    has its verb: a possessive after it belongs to that subject. len(words) for any other question."""
    lowers = [w.lower for w in words]
    i = 0
    while i < len(lowers) and lowers[i] in _CHAT_WORDS | {"and", "so", "but"}:
        i += 1
    if i < len(lowers) and lowers[i] == "who":
        i += 1
    elif lowers[i : i + 2] == ["how", "many"]:
        i += 2
        if i < len(lowers) and lowers[i] not in _FUNCTION and _is_plural(lowers[i]):
            i += 1  # "how many people lost ..."
    else:
        return len(words)
    if i < len(lowers) and lowers[i] not in AUXILIARY_VERBS and lowers[i] not in COPULAS and lowers[i] not in _FUNCTION:
        return i + 1  # the verb follows the question phrase directly: it is the subject
    return len(words)


def _person(pronoun: str, history: Sequence[Turn], people: dict[str, str]) -> str | None:
    """Whom "he" or "she" stands for; `people` records each reading, so that "did he lock her up" reads
    two people, not one."""
    gender = "she" if pronoun in ("she", "her", "hers", "herself") else "he"
    entity = _find(history, ((PERSON_E, None), (NAME_E, False)), [v for g, v in people.items() if g != gender])
    if entity is None:
        return None
    people.setdefault(gender, entity.text)
    return entity.text


def _others(words: list[_Word], history: Sequence[Turn]) -> str | None:
    """What "they" stands for: the group named last, less the person a "he" or "him" of the same question
    means ("what did they pay for him"), else the latest plural thing or name."""
    group = _group(history)
    person = _find(history, ((PERSON_E, None), (NAME_E, False)))
    if group and person and any(x.lower in _PERSON_PRONOUNS or x.lower == "her" for x in words):
        group = " and ".join(g for g in re.split(r",\s*|\s+and\s+", group) if g and g != person.text) or None
    if group is None:
        entity = _find(history, ((THING_E, True), (NAME_E, None)))
        group = entity.text if entity else None
    return group


def _demonstrative(noun: _Word, history: Sequence[Turn]) -> str | None:
    """'that call' -> the latest phrase of the conversation about a call, or 'the Putin–Biden call'."""
    head = noun.bare.lower()
    if head in _TIME_NOUNS:
        return None  # "this season", "that day": a time the question names itself
    stem = head.rstrip("s")
    for entity in _candidates(history):
        if entity.kind == THING_E:
            last = entity.text.split()[-1].lower().rstrip("s") if entity.text.split() else ""
            if last == stem and entity.text.lower() != f"the {head}":
                return entity.text if entity.text.lower().startswith("the ") else f"the {entity.text}"
    for turn in reversed(history[-LOOKBACK:]):
        names = [e.text for e in turn.entities if e.kind in (PERSON_E, NAME_E, THING_E) and e.text[:1].isupper()]
        if names:
            return "the " + "–".join(names[:2]) + " " + noun.text
    return None
