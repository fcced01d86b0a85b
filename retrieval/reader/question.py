"""Question analysis: the expected answer type, the key terms, the head noun and the role of the wh-word.

English and Russian questions are read; the type comes from the question phrase wherever it stands
("In what year ...", "... in which city?"), not only from the first word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from retrieval.reader.lexicon import AUXILIARY_VERBS, COPULAS, PERSON_ROLES, QUESTION_PREPOSITIONS
from retrieval.synonyms import PARTS_OF_SPEECH, SENSES, synonyms, wordnet
from retrieval.tokens import _IRREGULAR_EN, Token, _word_term, iter_tokens

MAX_QUESTION_CHARS = 1000  # longer questions are answered from their first 1000 characters

DATE, DURATION, NUMBER, AMOUNT, PERSON, PLACE, DEFINITION, SAY, REASON, MANNER, THING, YESNO = (
    "date", "duration", "number", "amount", "person", "place", "definition", "say", "reason", "manner", "thing", "yes/no",
)

# Where the wh-word stands in its clause, which says where the answer sits in the sentence.
SUBJECT, OBJECT, COPULA = "subject", "object", "copula"

SAY_VERBS = (
    "say|said|tell|told|respond|responded|reply|replied|answer|answered|state|stated|announce|announced|"
    "claim|claimed|write|wrote|describe|described|call|called|argue|argued|warn|warned|deny|denied|"
    "emphasize|emphasized|add|added|suggest|suggested|mention|mentioned|promise|promised|demand|demanded|"
    "ask|asked|propose|proposed|explain|explained|insist|insisted|think|thought|believe|believed|"
    "allege|alleged|confirm|confirmed|admit|admitted|note|noted|declare|declared|"
    "reveal|revealed|predict|predicted|assert|asserted|stress|stressed"
)

# Russian reporting verbs, past tense, any gender or number: "заявил", "сообщила", "ответили".
SAY_VERBS_RU = r"(?:сказал|заявил|ответил|сообщил|отметил|подчеркнул|добавил|написал|пообещал|предупредил|объяснил)\w{0,2}"

# "How old / far / strong ...": a measure, answered by a number; the words are no key terms.
_MEASURES = "old|far|fast|tall|high|deep|wide|heavy|big|large|hot|cold|strong|powerful|loud|warm|thick"

_WH = r"(?:what|which)"
_PLACE_NOUNS = "country|city|town|place|region|state|capital|province|location|continent|village|island|county|area|nation"
# "which minister", "what judge": a person is asked for. Not the roles that are also adjectives ("what chief
# reason", "which head office", "what executive order").
_PERSON_NOUNS = "|".join(sorted(
    (PERSON_ROLES - {"chief", "head", "executive"})
    | set("person man woman politician quarterback author writer artist composer physicist mathematician actor "
          "actress singer musician poet painter philosopher engineer inventor architect explorer producer".split()),
    key=lambda w: (-len(w), w),  # longest first, so "president-elect" is tried before "president"
))
_ORG_NOUNS = "company|organi[sz]ation|group|newspaper|agency|team|party|body|institution|university|network|channel|firm"

# (pattern over the lower-cased question, expected type); the match that starts first wins, and at
# the same place the pattern listed first.
_QUESTION_TYPES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bhow long ago\b|\bsince when\b|\bby when\b|\bс каких пор\b"), DATE),
    (re.compile(r"\bhow long\b|\bhow soon\b|\bhow much time\b|\bfor how many (?:years|months|days|hours|minutes|weeks)\b|\bкак долго\b|\bсколько (?:времени|лет|минут|часов|дней)\b"), DURATION),
    (re.compile(rf"\bhow (?:many|{_MEASURES})\b|\b(?:what|which) (?:number|percentage|proportion|population)\b|\bсколько\b"), NUMBER),
    (re.compile(r"\bhow much\b|\b(?:what|which) (?:amount|sum|price|cost)\b"), AMOUNT),
    (re.compile(rf"\bwhen\b|\b(?:what|which) (?:is|was) the (?:date|year|time)\b|\b{_WH}\s+(?:years?|dates?|days?|months?|time|decades?|century|centuries|period)\b|\bкогда\b|\bв каком году\b|\bкакого числа\b"), DATE),
    (re.compile(rf"\bwhere\b|\b{_WH}\s+(?:{_PLACE_NOUNS})\b|\bгде\b|\bкуда\b|\bоткуда\b|\bв како(?:й|м) (?:стране|городе)\b"), PLACE),
    (re.compile(rf"\bwho(?:m|se)?\b|\b{_WH}\s+(?:{_PERSON_NOUNS}|{_ORG_NOUNS})\b|\bкто\b|\bкого\b|\bкому\b|\bкем\b"), PERSON),
    (re.compile(r"\bwhy\b|\bfor what reason\b|\bwhat (?:was|is|were) the reason\b|\bпочему\b|\bзачем\b"), REASON),
    (re.compile(rf"\bwhat (?:did|does|do|has|have|had|will|would)\b.*\b(?:{SAY_VERBS})\b|\bчто\s+(?:\w+\s+)?(?:{SAY_VERBS_RU})"), SAY),
    (re.compile(r"\bhow\b|\bкак\b"), MANNER),
]
# A plain what/which before a "when", "why" or "how" that opens a clause asks for a thing: "What did
# Putin send Trump when he was ill?" is not a when-question. After a time noun "when" is relative and
# the question still asks for a time ("What was the year when ...?"); "who", "where" and "how many"
# in a relative clause keep their type, which the noun before them shares ("the player who ...").
_PLAIN_WH = re.compile(rf"\b{_WH}\b|\bчто\b")
_CLAUSE_WH = re.compile(r"\b(?:when|why|how)\b|\bкогда\b|\bпочему\b|\bкак\b")
_TIME_NOUN = re.compile(r"\b(?:years?|days?|dates?|times?|months?|periods?|eras?|moments?|century|decades?|seasons?|age|hours?)\s+$")
# The words that say what type is asked; they are not key terms.
_WH_PHRASE = re.compile(
    rf"\b(?:how (?:long|soon|many|much|{_MEASURES})(?: ago| time)?|since when|by when|(?:what|which)\s+"
    r"(?:year|years|dates?|days?|months?|time|decades?|century|centuries|period|country|city|town|place|region|state|capital|province|"
    r"location|continent|number|percentage|proportion|amount|sum|price|person|man|woman|reason|kind|type|sort|form|"
    r"types|kinds|name))\b|\bв каком году\b|\bсколько\b"
)
_DEFINITION = re.compile(r"^\s*(who|what|кто|что)\s+(?:is|was|are|were|такой|такая|такое|такие)\s+(.+?)[\s?!.]*$", re.IGNORECASE)
# A question with no question word that opens with an auxiliary: yes or no is asked, which the
# articles answer with a sentence, not with a phrase of it.
_YESNO = re.compile(r"\s*(?:did|does|do|is|are|was|were|has|have|had|can|could|will|would|should|shall|may|might|must)\b")
_RECENCY = re.compile(r"\b(?:last|latest|most recent(?:ly)?|newest|most up-to-date)\b|последн")
_LAST_ADJECTIVE = re.compile(r"\b(?:the|its|his|her|their|our|this|that|these|those|a)\s+$|'s\s+$")
_HEAD_SKIP = frozenset(
    "kind kinds type types sort sorts form forms name names surname surnames part parts portion example examples term".split()
)
# "What is the name of the X ...", "What kind of X ...", "Which X ...": X is what the answer is.
_HEAD = re.compile(
    r"\b(?:what|which)\s+(?:(?:is|was|are|were)\s+(?:the|a|an)\s+)?((?:[a-z][\w-]*\s+of\s+(?:the\s+|a\s+)?)?[a-z][\w-]*)"
)
_NOT_HEAD = AUXILIARY_VERBS | COPULAS | frozenset("of the a an he she it they this that these those".split())


# "What is the name of the quarterback who ...": the name of a person or a place is a person or a place.
_NAME_OF = re.compile(r"\b(?:(last|first|family|given|sur)\s*)?names?\s+of\b")
_NAME_HEADS = {
    **{t.term: PERSON for t in iter_tokens(_PERSON_NOUNS.replace("|", " "))},
    **{t.term: PLACE for t in iter_tokens(_PLACE_NOUNS.replace("|", " "))},
}
# A question that ends on its preposition: the answer is what follows that preposition in the text.
_STRANDED = re.compile(r"\b(of|on|in|at|to|from|for|with|by|about|into|after|against|as|upon|over|under|through)\s*[?.!]*\s*$")
_EXPANSION = re.compile(r"\b(?:stands?|stood|standing)\s+for\b|\bshort\s+for\b|\b(?:acronym|abbreviation|initials)s?\b")
_HOW_MANY = re.compile(r"\bhow many\s+([\w'-]+)")
_NAME_PARTS = {"last": "last", "family": "last", "sur": "last", "first": "first", "given": "first"}

# Nouns that name a quantity: a what/which question about one is answered by a number or an amount.
_QUANTITY_HEADS = {
    **{t.term: NUMBER for t in iter_tokens("number percentage percent proportion population share rate ratio score")},
    **{t.term: AMOUNT for t in iter_tokens("cost price fee fees budget salary revenue income")},
}


_NAMED_WH = re.compile(r"(\b[A-Z][\w'-]*\s+)(Who|What|When|Where|Which|Why|How)\b")


@dataclass
class Question:
    """What a question asks for and which of its words matter."""

    text: str
    kind: str
    tokens: list[Token]
    terms: list[str]  # content terms, in order, without duplicates
    proper: set[str]  # terms written with a capital in the question (names)
    recency: bool
    focus_verbs: set[str] = field(default_factory=set)
    subject: list[str] = field(default_factory=list)  # "Who is X?": the terms of X
    head: str | None = None  # "What river ...": the term the answer is an instance of
    role: str = OBJECT  # where the wh-word stands: subject, object or copula
    plural: bool = False  # "What are ...", "Which countries ...": a list may be the answer
    name_part: str | None = None  # "What is the last name of ...": "last" (or "first"): one word of the name
    stranded: str | None = None  # "What was the plague blamed on?": the preposition the answer follows


_HEAD_STOP = AUXILIARY_VERBS | COPULAS | QUESTION_PREPOSITIONS | frozenset("that who which when where while as".split())
_ADJECTIVE = re.compile(r"\w+(?:ful|ous|ive|able|ible|al|ic|ly)")


def _looks_like_verb(words: list[str], i: int) -> bool:
    """A word ending like a verb and followed by what follows verbs: "occurs after", "helped fuel"."""
    w = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    verbish = bool(re.fullmatch(r"\w+(?:ed|s)", w)) or w in _IRREGULAR_EN
    return verbish and not w.endswith("ss") and (nxt in QUESTION_PREPOSITIONS or nxt in ("the", "a", "an", "its", "their", "his", "her", "") or i > 0)


def _head_noun(lower: str) -> tuple[str | None, bool]:
    """The noun that types a what/which answer ("Which famous Indian practiced ..." -> indian), and its number."""
    m = re.search(r"\b(?:what|which)\s+(?:(?:is|was|are|were)\s+(?:the|a|an)\s+)?((?:[\w'-]+\s*){1,6})", lower)
    if m is None:
        return None, False
    phrase: list[str] = []
    words = m.group(1).split()
    for i, w in enumerate(words):
        if w in _HEAD_STOP or (_looks_like_verb(words, i) and (i == 0 or phrase[-1] not in ("of", "the"))):
            break
        if phrase and re.fullmatch(r"\w+[^s']s", phrase[-1]) and w not in ("of", "the"):
            break  # "What factors contribute ...": a plural noun, then its verb
        if phrase and phrase[-1] != "of" and _ADJECTIVE.fullmatch(w):
            break  # "algorithm useful for ...": the noun came before
        phrase.append(w)
    while len(phrase) >= 3 and phrase[-2] in ("of", "the") or (len(phrase) >= 2 and phrase[-1] == "of"):
        phrase = phrase[:-1] if phrase[-1] == "of" else phrase
        if phrase[-2:-1] in (["of"], ["the"]):
            break
    if "of" in phrase:  # "kind of forest", "name of the storm", "part of the United States"
        i = phrase.index("of")
        before = phrase[:i]
        after = [w for w in phrase[i + 1 :] if w not in ("the", "a", "an", "one", "some", "another", "two")]
        word = after[-1] if after and before and before[-1].rstrip("s") in _HEAD_SKIP else (before[-1] if before else None)
    else:
        word = phrase[-1] if phrase else None
    if word is None or word in _NOT_HEAD or word in _HEAD_SKIP:
        return None, False
    toks = iter_tokens(word)
    if not toks or toks[0].stop:
        return None, False
    return toks[0].term, word.endswith("s") and not word.endswith("ss")


def _role(lower: str) -> str:
    """Subject ("What occurs after ..."), object ("What did Luther write?") or copula ("What is X?")."""
    m = re.search(r"\b(?:what|which|who|whom)\b((?:\s+[\w'-]+){0,4})", lower)
    if m is None:
        return OBJECT
    words = m.group(1).split()
    if m.group(0).startswith("who ") and words and (re.fullmatch(r"\w+(?:ed|es)", words[0]) or words[0] in _IRREGULAR_EN):
        return SUBJECT  # "Who suggested ...?", "Who led ...?": who is the subject
    for i, w in enumerate(words):
        if w in AUXILIARY_VERBS:
            return OBJECT
        if w in COPULAS:
            after = words[i + 1] if i + 1 < len(words) else ""
            if re.fullmatch(r"\w+(?:ed|en|wn)", after) or after in ("made", "built", "held", "found", "known", "called"):
                return SUBJECT  # "What was used by ...": a passive, the wh-word is its subject
            return COPULA
        if i == 0 and _looks_like_verb(words, i):
            return SUBJECT  # "What occurs after ..."
        if i == 0 or words[i - 1] in ("of", "kind", "type"):
            continue  # still inside "what kind of X"
        if re.fullmatch(r"\w+(?:s|ed)", w) and w not in ("is", "was", "has"):
            return SUBJECT
    return OBJECT


_SAY_VERB = re.compile(rf"\b({SAY_VERBS}|{SAY_VERBS_RU})\b")
_DETERMINER_BEFORE = re.compile(r"\b(?:the|a|an|their|his|her|its|our|your|my|this|that|these|those|first|last)\s+$")


def _say_verb(lower: str) -> re.Match[str] | None:
    """The first reporting verb of a question that is not a noun after a determiner ("their call", "the statement")."""
    for m in _SAY_VERB.finditer(lower):
        if not _DETERMINER_BEFORE.search(lower, 0, m.start()):
            return m
    return None


def analyze_question(text: str) -> Question:
    """The expected answer type, the key terms and the names of a question."""
    text = " ".join(text.split())[:MAX_QUESTION_CHARS]
    # "Doctor Who", "The Who": a capitalised wh-word after a capitalised word is part of a name.
    lower = _NAMED_WH.sub(lambda m: m.group(1) + "_" * len(m.group(2)), text).lower()
    # The question phrase that comes first decides ("Who was the leader when ...?" asks for a person);
    # at the same place the more specific pattern, listed first, wins ("how long ago" over "how long").
    kind, first = THING, len(lower) + 1
    for pattern, qtype in _QUESTION_TYPES:
        m = pattern.search(lower)
        if m is not None and m.start() < first:
            kind, first = qtype, m.start()
    if kind == SAY and _say_verb(lower) is None:
        kind = THING  # "What did they focus on in their call?": "call" is a noun there
    if kind in (DATE, REASON, MANNER) and _CLAUSE_WH.match(lower, first) and not _TIME_NOUN.search(lower[:first]):
        plain = _PLAIN_WH.search(lower, 0, first)
        if plain is not None:
            kind, first = THING, plain.start()
    if kind == THING and first > len(lower) and _YESNO.match(lower):
        kind = YESNO  # "Did Putin and Trump talk after the election?": no phrase of the text is the answer
    subject: list[str] = []
    definition = _DEFINITION.match(text)
    if definition and kind in (PERSON, THING):
        rest = iter_tokens(definition.group(2))
        named = definition.group(2)[:1].isupper() or (
            definition.group(1).lower() in ("who", "кто") and not re.fullmatch(r"\w+(?:ed|ing)", definition.group(2))
        )
        if rest and len(rest) <= 4 and named and not any(t.stop for t in rest):
            kind, subject = DEFINITION, [t.term for t in rest]
    excluded = [(m.start(), m.end()) for m in _WH_PHRASE.finditer(lower)]
    name_of = _NAME_OF.search(lower)
    if name_of:
        excluded.append(name_of.span())  # "the last name of": no article says "name" for a name
    # "What does SMHI stand for?": the text spells the name out, it does not say "stand for".
    excluded += [m.span() for m in _EXPANSION.finditer(lower)]
    tokens = iter_tokens(text)
    terms: list[str] = []
    proper: set[str] = set()
    for i, tok in enumerate(tokens):
        if tok.stop or any(s <= tok.start < e for s, e in excluded):
            continue
        if kind == DURATION and tok.term == "last" and not _LAST_ADJECTIVE.search(lower[: tok.start]):
            continue  # "How long did the call last (after ...)?": the verb, not recency
        if tok.term not in terms:
            terms.append(tok.term)
        surface = text[tok.start : tok.end]
        if surface[:1].isupper() and i > 0 and not surface.isdigit():
            proper.add(tok.term)
    recency = bool(_RECENCY.search(lower))
    if recency and kind == DURATION:
        # In a how-long question "last" is the verb unless it follows a determiner ("the last call").
        recency = any(
            m.group() != "last" or _LAST_ADJECTIVE.search(lower[: m.start()]) for m in _RECENCY.finditer(lower)
        )
    focus_verbs: set[str] = set()
    if kind == SAY:
        m = _say_verb(lower)
        if m:
            focus_verbs = {t.term for t in iter_tokens(m.group(1)) if not t.stop}
    head, plural = _head_noun(lower) if kind in (THING, PERSON, PLACE, NUMBER) else (None, False)
    counted = _HOW_MANY.search(lower) if kind == NUMBER and head is None else None
    if counted:
        toks = iter_tokens(counted.group(1))
        head = toks[0].term if toks and not toks[0].stop else None  # "How many cars ...": a number of cars
    if kind == THING and head in _QUANTITY_HEADS:
        kind = _QUANTITY_HEADS[head]  # "What was the estimated population of ...?" asks for a number
    name_part = None
    if name_of and kind in (THING, PERSON, PLACE):
        if kind == THING and head in _NAME_HEADS:
            kind = _NAME_HEADS[head]  # "What is the name of the Kremlin spokesman?" asks for a person
        if kind == PERSON and name_of.group(1):
            name_part = _NAME_PARTS[name_of.group(1)]  # "What was the last name of the player ...?"
    if re.search(r"\b(?:what|which)\s+(?:are|were)\b", lower):
        plural = True
    stranded = _STRANDED.search(lower)
    return Question(
        text, kind, tokens, terms, proper, recency, focus_verbs, subject, head, _role(lower), plural, name_part,
        stranded.group(1) if stranded else None,
    )


def question_synonyms(q: Question, exclude: Iterable[str] = ()) -> dict[str, str]:
    """Index term of a synonym -> the question term it stands for, for the question's key words that are not names.

    Terms the question has itself, and those in `exclude` (the corpus spellings already standing in
    for a question term), are left out; the first question word to claim a synonym keeps it.
    """
    out: dict[str, str] = {}
    if wordnet() is None:
        return out
    excluded = set(exclude)
    for tok in q.tokens:
        term = tok.term
        if tok.stop or term not in q.terms or term in q.proper or not term.isalpha():
            continue
        word = q.text[tok.start : tok.end].lower()
        for pos in PARTS_OF_SPEECH:
            for lemma in synonyms(word, pos, SENSES):
                syn, stop = _word_term(lemma)
                if not stop and syn not in q.terms and syn not in excluded:
                    out.setdefault(syn, term)
    return out
