"""Follow-ups rewritten as standalone questions, by rules that read only the shape of English questions:
fragments ("Why?", "In which month?"), ellipsis ("And Trump?"), then pronouns and demonstratives."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from retrieval.reader.lexicon import AUXILIARY_VERBS, COPULAS, QUESTION_PREPOSITIONS
from retrieval.synonyms import wordnet
from retrieval.tokens import _IRREGULAR_EN, STOP_WORDS_EN
from retrieval.conversation.entities import (
    Entity, Turn, Word, as_phrase, is_capitalised, is_plural, names_in, noun_phrases, split_words,
)
from retrieval.conversation.words import (
    LOOKBACK, NAME_E, PERSON_E, PLACE_E, SHORT_ANSWER_WORDS, THING_E, TIME_E, ADVERBIAL_WH, CHAT_WORDS, DEMONSTRATIVES, DETERMINERS, ELLIPSIS, FRAGMENT_WH, FUNCTION_WORDS, NUMBER_RE, PRONOUN_ELLIPSIS, TIME_RE, TIME_NOUNS, WH_WORDS,
)



_PERSONAL = frozenset("he she him his her hers they them their theirs".split())
_IMPERSONAL = frozenset("it its this that".split())


def unresolved_reference(question: str) -> str | None:
    """The pronoun a question leans on when nothing came before it ("what did he say about it" -> "he"),
    or None: a question that names nobody and says little besides the pronoun has nothing to stand on.
    ("is it raining in oslo" and "why did they cancel flights at heathrow" say enough to be asked as they are.)"""
    words = [w.lower.replace("’", "'") for w in split_words(question)]
    words = [w.removesuffix("'s") for w in words]
    if any(is_capitalised(w, i) for i, w in enumerate(split_words(question))):
        return None
    content = [w for w in words if w not in FUNCTION_WORDS and w not in _PERSONAL and w not in _IMPERSONAL and w not in STOP_WORDS_EN]
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
    if PRONOUN_ELLIPSIS.fullmatch(text.rstrip(" ?!.")):
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
    rest: list[Word]  # the words after the question phrase
    text: str


def _parse(question: str) -> _Parsed | None:
    """The previous question split into its question phrase and the clause after it."""
    text = question.strip().rstrip("?!. ")
    words = split_words(text)
    if not words:
        return None
    i = 0
    prep = ""
    if words[0].lower in QUESTION_PREPOSITIONS and len(words) > 1 and words[1].lower in WH_WORDS:
        prep, i = words[0].lower, 1
    first = words[i].lower
    if first not in WH_WORDS:
        if first in AUXILIARY_VERBS | COPULAS:  # a yes/no question: "Did Putin call Trump?"
            return _Parsed("", "", None, words, text)
        return None
    wh, noun = first, None
    j = i + 1
    if first == "how" and j < len(words) and words[j].lower in ("much", "many", "long", "often", "old", "far", "soon"):
        wh, j = f"how {words[j].lower}", j + 1
    if wh in ("what", "which", "how many", "how much", "whose") and j < len(words):
        k = j
        while k < len(words) and k - j < 3 and words[k].lower not in FUNCTION_WORDS and not is_capitalised(words[k], k):
            k += 1
        if k > j and k < len(words) and words[k].lower in AUXILIARY_VERBS | COPULAS:
            noun, j = " ".join(w.lower for w in words[j:k]), k  # "How many affordable homes did ...", "What pay rise did ..."
        else:
            nxt = words[j]
            if nxt.lower not in AUXILIARY_VERBS | COPULAS and nxt.lower not in FUNCTION_WORDS and not is_capitalised(nxt, j):
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
    m = FRAGMENT_WH.fullmatch(bare)
    if m is None:
        return None
    wh = m.group("wh").lower()
    if wh == "how come":
        wh = "why"
    if wh.split()[0] in ("what", "which") and m.group("wh").split()[1].lower() in AUXILIARY_VERBS | COPULAS | FUNCTION_WORDS:
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
    if not m.group("prep") and (words[-1] == "else" or (words[0] in ("what", "which") and words[1] not in TIME_NOUNS)):
        # "What else?", "Who else?", "Which company?": another answer in the same slot.
        if not parsed.wh or parsed.wh in ADVERBIAL_WH or parsed.prep:
            return None
        return _question_mark(_capitalise(" ".join(f"{phrase} {parsed.text[rest[0].start :]}".split())))
    answer = as_phrase(last.answer) if last.answer and len(last.answer.split()) <= SHORT_ANSWER_WORDS else None
    # What stood where the previous question phrase stood: its answer, else its noun.
    filler: str | None = None
    adverbial = parsed.wh in ADVERBIAL_WH or parsed.wh in ("how long", "how often", "how old", "how far", "how soon") \
        or bool(parsed.prep) or _last_word(parsed.noun) in TIME_NOUNS
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
        subject_next = after.lower in DETERMINERS or is_capitalised(after, 1) or after.lower in (
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


def _with_object_inside(phrase: str, text: str, rest: list[Word], filler: str) -> str:
    """The clause with the filler where the object stood: right after the verb when a preposition
    follows the verb ("When will Rovers face United in the final?"), else at the end ("Why was
    Datenwerk fined 12 million euros?", "Why did they focus on security?")."""
    if rest[-1].lower not in QUESTION_PREPOSITIONS:
        # rest[0] is the auxiliary, rest[1] starts the subject: the verb comes after it.
        for k in range(2, len(rest) - 1):
            verb, nxt = rest[k], rest[k + 1]
            if rest[k - 1].lower in DETERMINERS or is_capitalised(verb, k) or verb.lower in FUNCTION_WORDS:
                continue  # still inside the subject ("the ferries", "Jonas Eriksen")
            if nxt.lower in QUESTION_PREPOSITIONS and _base_form(verb.lower) == verb.lower:
                return f"{phrase} {text[rest[0].start : verb.end]} {filler} {text[nxt.start :]}"
            break
    return f"{phrase} {text[rest[0].start :]} {filler}"


# "And Trump?", "What about in 2019?": the previous question with one entity swapped ---------------


def _rewrite_ellipsis(text: str, last: Turn) -> str | None:
    bare = text.rstrip(" ?!.")
    m = ELLIPSIS.fullmatch(bare)
    if m is None:
        return None
    x = m.group("x").strip(" ,")
    xwords = split_words(x)
    if not xwords or len(xwords) > 6:
        return None
    # A clause of its own ("and when did he resign?") is a question, not a fragment.
    if any(w.lower in AUXILIARY_VERBS | COPULAS | WH_WORDS for w in xwords):
        return None
    previous = last.resolved_question.strip()
    prep = ""
    if xwords[0].lower in QUESTION_PREPOSITIONS | {"of"} and len(xwords) > 1:
        prep = xwords[0].lower
    if TIME_RE.fullmatch(x):
        slots = list(TIME_RE.finditer(previous))
        if not slots:  # "What was the turnout?" "And four years ago?": the time goes at the end
            return previous.rstrip(" ?!.") + " " + x + "?"
        slot = slots[-1]
        replacement = x
        relative = re.search(r"\b(?:ago|earlier|later|before)$|^(?:last|next|this|the)\b", x, re.IGNORECASE)
        if not prep and not relative and re.match(r"(?:on|in|at|since|until|by|during|from)\s", slot.group(), re.IGNORECASE):
            replacement = slot.group().split()[0] + " " + x
        return previous[: slot.start()] + replacement + previous[slot.end() :]
    if re.fullmatch(r"[\d,.]+%?", x):
        slots = [s for s in NUMBER_RE.finditer(previous) if not TIME_RE.fullmatch(s.group())]
        if not slots:
            return None
        return previous[: slots[-1].start()] + x + previous[slots[-1].end() :]
    pwords = split_words(previous)
    core = x[len(prep) :].strip() if prep else x
    if any(is_capitalised(w, 1) for w in split_words(core)):
        names = names_in(previous, pwords)
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
    phrases = noun_phrases(previous, pwords)
    if phrases:  # "Which company built the lander's drill?" "And the solar panels?": the last thing named
        i, j, _ = phrases[-1]
        k = i + 1
        while k < j and is_capitalised(pwords[k], k):
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
    asked, read = split_words(last.question), split_words(last.resolved_question)
    matcher = difflib.SequenceMatcher(a=[w.lower for w in asked], b=[w.lower for w in read], autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "replace" and a1 - a0 == 1 and asked[a0].lower in family and b1 > b0:
            text = last.resolved_question[read[b0].start : read[b1 - 1].end]
            return re.sub(r"['’]s?$", "", text) if family[asked[a0].lower] == "possessive" else text
    return None


def _possessive(text: str) -> str:
    return text + ("'" if text.endswith("s") and text[:1].islower() else "'s")


def _resolve_references(text: str, history: Sequence[Turn]) -> str | None:
    words = split_words(text)
    names_here = names_in(text, words)
    phrases_here = noun_phrases(text, words)
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
            role = _PERSON_PRONOUNS.get(lower) or ("possessive" if nxt and nxt not in FUNCTION_WORDS | _PARTICLES else "object")
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
                is_plural(v.lower) and v.lower not in FUNCTION_WORDS and words[k - 1].lower not in WH_WORDS | {"many"}
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
        elif lower in DEMONSTRATIVES and i + 1 < len(words) and nxt not in FUNCTION_WORDS and not is_capitalised(words[i + 1], i + 1):
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


def _wh_subject_end(words: list[Word]) -> int:
    """Where a question whose subject is its question phrase ("who lost ...", "how many (people) lost ...")
    has its verb: a possessive after it belongs to that subject. len(words) for any other question."""
    lowers = [w.lower for w in words]
    i = 0
    while i < len(lowers) and lowers[i] in CHAT_WORDS | {"and", "so", "but"}:
        i += 1
    if i < len(lowers) and lowers[i] == "who":
        i += 1
    elif lowers[i : i + 2] == ["how", "many"]:
        i += 2
        if i < len(lowers) and lowers[i] not in FUNCTION_WORDS and is_plural(lowers[i]):
            i += 1  # "how many people lost ..."
    else:
        return len(words)
    if i < len(lowers) and lowers[i] not in AUXILIARY_VERBS and lowers[i] not in COPULAS and lowers[i] not in FUNCTION_WORDS:
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


def _others(words: list[Word], history: Sequence[Turn]) -> str | None:
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


def _demonstrative(noun: Word, history: Sequence[Turn]) -> str | None:
    """'that call' -> the latest phrase of the conversation about a call, or 'the Putin–Biden call'."""
    head = noun.bare.lower()
    if head in TIME_NOUNS:
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

