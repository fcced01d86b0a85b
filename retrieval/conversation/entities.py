"""What a conversation's turns name: people, places, things, times and quantities, found by the shape
of the question and the answer (capitalised names, noun phrases, dates, numbers), and the `Turn` that keeps them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from retrieval.reader.lexicon import AUXILIARY_VERBS, COPULAS, QUESTION_PREPOSITIONS
from retrieval.reader.question import AMOUNT, DATE, DEFINITION, DURATION, NUMBER, PERSON, PLACE, analyze_question
from retrieval.synonyms import wordnet
from retrieval.tokens import _IRREGULAR_EN, STOP_WORDS_EN
from retrieval.conversation.words import (
    LOOKBACK, NAME_E, PERSON_E, PLACE_E, QUANTITY_E, SHORT_ANSWER_WORDS, THING_E, TIME_E, WORD, CALENDAR, ENTITY_ANSWERS, FUNCTION_WORDS, NAME_JOINERS, NP_DETERMINERS, ORGANISATION_WH, PERSON_TITLES, THING_HEADS, TIME_RE, TIME_NOUNS,
)



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



@dataclass(frozen=True)
class Word:
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


def split_words(text: str) -> list[Word]:
    return [Word(m.group(), m.start(), m.end()) for m in WORD.finditer(text)]


def is_capitalised(word: Word, i: int) -> bool:
    if not word.text[:1].isupper() or word.lower in ("i",):
        return False
    return i > 0 or word.lower not in FUNCTION_WORDS


def names_in(text: str, words: list[Word] | None = None) -> list[tuple[int, int, Entity]]:
    """Capitalised names in `text` (word index span and entity), typed where the words around tell."""
    words = split_words(text) if words is None else words
    if not any(c.isupper() for c in text):
        return _lowercase_names(words)
    out: list[tuple[int, int, Entity]] = []
    i = 0
    while i < len(words):
        if not is_capitalised(words[i], i) or words[i].text.isdigit() or CALENDAR.fullmatch(words[i].bare):
            i += 1
            continue  # "on Tuesday", "in July": times, not names
        j = i + 1
        # A name runs over capitalised words separated by spaces; "Putin–Biden" is two names.
        while j < len(words) and not words[j - 1].text.endswith(("'s", "’s")) and not text[words[j - 1].end : words[j].start].strip():
            if is_capitalised(words[j], j) and not words[j].text.isdigit():
                j += 1
            elif words[j].lower in NAME_JOINERS and j + 1 < len(words) and is_capitalised(words[j + 1], j + 1):
                j += 2
            else:
                break
        surface = text[words[i].start : words[j - 1].end]
        surface = re.sub(r"['’]s$", "", surface)
        before = words[i - 1].lower if i > 0 else ""
        kind = NAME_E
        joined = any(w.lower == "of" for w in words[i:j])  # "Bank of Russia"; "Niels de Groot" is a person
        thing_word = any(re.sub(r"['’]s$", "", w.lower) in THING_HEADS for w in words[i:j])
        if before in PERSON_TITLES:
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


def _lowercase_names(words: list[Word]) -> list[tuple[int, int, Entity]]:
    """Names in a question typed all in lower case, as chat often is: the words no dictionary knows
    ("when did putin last speak to biden?" finds "biden"; WordNet knows "putin", so it is missed)."""
    net = wordnet()
    if net is None:
        return []
    out = []
    for i, w in enumerate(words):
        word = w.bare.lower()
        if len(word) < 3 or not word.isalpha() or word in FUNCTION_WORDS or word in STOP_WORDS_EN or word in _IRREGULAR_EN:
            continue
        if not any(net.base_forms(word, pos) for pos in "nvar"):
            out.append((i, i + 1, Entity(word, NAME_E)))
    return out


def noun_phrases(text: str, words: list[Word]) -> list[tuple[int, int, Entity]]:
    """Noun phrases after a determiner or a possessive ("the reports", "the Rotterdam dock strike",
    "Vattenfall's spokeswoman"): things, or people when a role heads them ("the Russian president")."""
    out = []
    for i, w in enumerate(words):
        possessive = w.text.endswith(("'s", "’s")) and w.lower not in ("it's", "that's", "what's", "who's", "there's")
        if w.lower not in NP_DETERMINERS and not possessive:
            continue
        j = i + 1
        while j < len(words) and is_capitalised(words[j], j) and j - i <= 2:
            j += 1  # names as modifiers: "the Kremlin spokesman"
        names_end = j
        while j < len(words) and j - i <= 4 and not is_capitalised(words[j], j) and words[j].lower not in FUNCTION_WORDS \
                and not words[j].text[:1].isdigit():
            j += 1
            last = words[j - 1].bare.lower()
            if words[j - 1].text.endswith(("'s", "’s")) or (j - names_end > 1 and is_plural(last)):
                break  # "the ferries enter": a plural noun, then its verb
        if j <= names_end:
            continue
        head = words[j - 1].bare.lower()
        if head.endswith(("ed", "ing")) and j - names_end > 1:  # "the order cut", "the ships cost": stop before a verb
            j -= 1
        elif j - i > 2 and _in_subject(words, i) and (j == len(words) or words[j].lower in QUESTION_PREPOSITIONS):
            j -= 1  # "How much will the ships cost?", "does the lander weigh at launch": the verb ends it
        head = words[j - 1].bare.lower()
        if j <= names_end or head in TIME_NOUNS:
            continue  # "this season", "next year": a time, not a thing
        if possessive:
            phrase = text[w.start : words[j - 1].end]
        else:
            phrase = "the " + text[words[i + 1].start : words[j - 1].end]
        kind = PERSON_E if head in PERSON_TITLES else THING_E
        out.append((i, j, Entity(phrase, kind, is_plural(head))))
    return out


def _in_subject(words: list[Word], i: int) -> bool:
    """Whether words[i] stands in the subject after the auxiliary: "did [Putin and] the leader speak"."""
    for k in range(i - 1, -1, -1):
        w = words[k]
        if w.lower in AUXILIARY_VERBS | COPULAS:
            return True
        if not (is_capitalised(w, k) or w.lower in ("and", "the", "a", "an")):
            return False
    return False


def is_plural(word: str) -> bool:
    return word.endswith("s") and not word.endswith(("ss", "us", "is", "'s", "’s")) and len(word) > 3


def turn_entities(question: str, answer: str | None, known: Iterable[Entity] = ()) -> list[Entity]:
    """What a turn names: the answer (typed by what the question asked), then the question's names,
    times and noun phrases in the order they stand. A name that `known` (earlier turns) typed keeps
    its kind: "Dmitry Peskov", a who-question's answer, is a person when a later question names him."""
    out: list[Entity] = []
    kinds = {e.text.lower(): e.kind for e in known if e.kind != NAME_E}
    # An acronym is no question word: "the WHO" must not make a which-question a who-question.
    q = analyze_question(re.sub(r"\b[A-Z]{2,}\b", "X", question))
    if answer and len(answer.split()) <= SHORT_ANSWER_WORDS and q.kind in ENTITY_ANSWERS:
        answer = as_phrase(answer)
        kind = {PERSON: PERSON_E, PLACE: PLACE_E, DATE: TIME_E, NUMBER: QUANTITY_E, AMOUNT: QUANTITY_E,
                DURATION: QUANTITY_E}.get(q.kind, THING_E)
        if kind == PERSON_E and (not answer[:1].isupper() or _names_a_thing(answer)):
            kind = THING_E  # "a Berlin court", "Serum Institute of India": an organisation, referred to as "it"
        if q.kind == DEFINITION or (kind == PERSON_E and ORGANISATION_WH.match(question)):
            kind = THING_E
        if answer[:1].isdigit() and kind == THING_E:
            kind = QUANTITY_E  # "6% pay rise": an amount, not a thing to call "it"
        head = _head_of_count(question)
        if kind == QUANTITY_E and head and head not in answer.lower():
            out.append(Entity(f"the {answer} {head}", THING_E, plural=True))
        plural = " and " in answer or (kind == THING_E and answer.rstrip(".").endswith("s") and not answer.endswith("ss"))
        out.append(Entity(answer.strip(), kind, plural))
    words = split_words(question)
    found = names_in(question, words)
    if q.kind == DEFINITION and question.lower().startswith(("who ", "кто ")):
        found = [(i, j, Entity(e.text, PERSON_E)) for i, j, e in found]
    phrases = noun_phrases(question, words)
    # A name that only modifies a noun phrase ("the Rotterdam dock strike") is part of that thing.
    found = [n for n in found if not any(i < n[0] and n[1] < j for i, j, _ in phrases)] + phrases
    for m in TIME_RE.finditer(question):
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


def as_phrase(answer: str) -> str:
    """An answer as it reads inside another question: 'Two' (a sentence's first word) -> 'two', no role before a name."""
    answer = _without_title(answer.strip())
    first = answer.split()[0] if answer.split() else ""
    if first.lower() in _LOWER_OPENERS and first[:1].isupper():
        answer = first.lower() + answer[len(first) :]
    return answer


def _without_title(name: str) -> str:
    """'Striker Jonas Eriksen' -> 'Jonas Eriksen': a role before a name is no part of it."""
    words = name.split()
    if len(words) >= 3 and words[0].lower() in PERSON_TITLES and all(w[:1].isupper() for w in words[1:]):
        return " ".join(words[1:])
    return name


def _names_a_thing(name: str) -> bool:
    """'Serum Institute of India', 'Bank of Russia', 'Vattenfall AB'...: a name an organisation or a thing has."""
    words = [w.lower().rstrip("'s") for w in name.split()]
    return any(w in THING_HEADS for w in words) or "of" in words[1:-1]


def _head_of_count(question: str) -> str | None:
    """'How many ferries ...' -> 'ferries'."""
    m = re.match(r"\s*how\s+many\s+([a-z][\w-]*)", question, re.IGNORECASE)
    if m and m.group(1).lower() not in AUXILIARY_VERBS | COPULAS:
        return m.group(1).lower()
    return None
