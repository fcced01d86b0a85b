"""Extractive answers: analyse the question, pick the best sentence, then the shortest fitting span.

The answer is always a slice of a passage. Abstention is decided from what the question and the
passages share (its names, its weighted key terms), never from a raw BM25 score.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from retrieval.index import CorpusIndex
from retrieval.models import Answer, Citation, Passage
from retrieval.tokens import Token, iter_tokens

MAX_QUESTION_CHARS = 1000  # longer questions are answered from their first 1000 characters
TOP_PASSAGES = 8
ABSTAIN_COVERAGE = 0.4

# --- question analysis --------------------------------------------------------------------------

DATE, DURATION, NUMBER, AMOUNT, PERSON, PLACE, DEFINITION, SAY, REASON, MANNER, THING = (
    "date", "duration", "number", "amount", "person", "place", "definition", "say", "reason", "manner", "thing",
)

_SAY_VERBS = (
    "say|said|tell|told|respond|responded|reply|replied|answer|answered|state|stated|announce|announced|"
    "claim|claimed|write|wrote|describe|described|call|called|argue|argued|warn|warned|deny|denied|"
    "emphasize|emphasized|add|added|suggest|suggested|mention|mentioned|promise|promised|demand|demanded|"
    "ask|asked|propose|proposed|explain|explained|insist|insisted|think|thought|believe|believed"
)

# (pattern over the lower-cased question, expected type); the first match wins.
_QUESTION_TYPES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bhow long ago\b|\bsince when\b|\bby when\b"), DATE),
    (re.compile(r"\bhow long\b|\bhow much time\b|\bfor how many (?:years|months|days|hours|minutes|weeks)\b"), DURATION),
    (re.compile(r"\bhow (?:many|old)\b|\bwhat (?:number|percentage|proportion)\b"), NUMBER),
    (re.compile(r"\bhow much\b|\bwhat (?:amount|sum|price)\b"), AMOUNT),
    (re.compile(r"\bwhen\b|\b(?:what|which|in what|on what)\s+(?:year|date|day|month|time|decade|century|period)\b"), DATE),
    (re.compile(r"\bwhere\b|\b(?:what|which|in what|in which)\s+(?:country|city|town|place|region|state|capital|province|location|continent)\b"), PLACE),
    (re.compile(r"\bwho(?:m|se)?\b|\b(?:what|which)\s+(?:person|man|woman|official|leader|president|journalist|spokesman|company|organi[sz]ation|group|newspaper|agency)\b"), PERSON),
    (re.compile(r"\bwhy\b|\bfor what reason\b|\bwhat (?:was|is|were) the reason\b"), REASON),
    (re.compile(rf"\bwhat (?:did|does|do|has|have|had|will|would)\b.*\b(?:{_SAY_VERBS})\b"), SAY),
    (re.compile(r"\bhow\b"), MANNER),
]
_WH_PHRASE = re.compile(
    r"\b(?:how (?:long|many|much|old)(?: ago| time)?|since when|by when|(?:what|which|in what|on what|in which)\s+"
    r"(?:year|date|day|month|time|decade|century|period|country|city|town|place|region|state|capital|province|"
    r"location|continent|number|percentage|proportion|amount|sum|price|person|man|woman|reason))\b"
)
_DEFINITION = re.compile(r"^\s*(who|what)\s+(?:is|was|are|were)\s+(.+?)[\s?!.]*$", re.IGNORECASE)
_RECENCY = re.compile(r"\b(?:last|latest|most recent(?:ly)?|newest|most up-to-date)\b")


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


def analyze_question(text: str) -> Question:
    """The expected answer type, the key terms and the names of a question."""
    text = " ".join(text.split())[:MAX_QUESTION_CHARS]
    lower = text.lower()
    kind = THING
    for pattern, qtype in _QUESTION_TYPES:
        if pattern.search(text if qtype == DEFINITION else lower):
            kind = qtype
            break
    subject: list[str] = []
    definition = _DEFINITION.match(text)
    if definition and kind in (PERSON, THING):
        rest = iter_tokens(definition.group(2))
        named = definition.group(2)[:1].isupper() or (
            definition.group(1).lower() == "who" and not re.fullmatch(r"\w+(?:ed|ing)", definition.group(2))
        )
        if rest and len(rest) <= 4 and named and not any(t.stop for t in rest):
            kind, subject = DEFINITION, [t.term for t in rest]
    # The words that say what type is asked ("how long", "what year") are not key terms.
    excluded = [(m.start(), m.end()) for m in _WH_PHRASE.finditer(lower)]
    tokens = iter_tokens(text)
    terms: list[str] = []
    proper: set[str] = set()
    for i, tok in enumerate(tokens):
        if tok.stop or any(s <= tok.start < e for s, e in excluded):
            continue
        if kind == DURATION and tok.term == "last" and i == len(tokens) - 1:
            continue  # "How long did the call last?": the verb, not recency
        if tok.term not in terms:
            terms.append(tok.term)
        surface = text[tok.start : tok.end]
        if surface[:1].isupper() and i > 0 and not surface.isdigit():
            proper.add(tok.term)
    recency = bool(_RECENCY.search(lower)) and not (kind == DURATION and lower.rstrip(" ?!.").endswith("last"))
    focus_verbs: set[str] = set()
    if kind == SAY:
        m = re.search(rf"\b({_SAY_VERBS})\b", lower)
        if m:
            focus_verbs = {t.term for t in iter_tokens(m.group(1)) if not t.stop}
    return Question(text, kind, tokens, terms, proper, recency, focus_verbs, subject)


# --- sentences ----------------------------------------------------------------------------------

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st sr jr gen col lt sgt capt gov sen rep rev inc ltd co corp vs etc no nos fig "
    "jan feb mar apr jun jul aug sep sept oct nov dec e.g i.e u.s u.k u.n a.m p.m approx dept est".split()
)
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s+[\"'“‘«(\[]?[A-Z\u0400-\u042F\d])")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a paragraph, not splitting after abbreviations or initials ("Mr.", "J.")."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        before = text[start : m.start()].split()
        last_word = before[-1].lower().strip("(\"'“‘") if before else ""
        if m.group().startswith(".") and (last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word)):
            continue
        spans.append((start, m.end()))
        start = m.end()
        while start < len(text) and text[start].isspace():
            start += 1
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


# --- typed candidates ---------------------------------------------------------------------------

_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:1[0-9]\d\d|20\d\d)"
_DATE_PATTERNS = [
    re.compile(p)
    for p in (
        rf"(?:{_WEEKDAY},?\s+)?{_MONTH}\s+{_DAY},?\s+{_YEAR}",
        rf"(?:{_WEEKDAY},?\s+)?{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}",
        rf"(?:(?:early|mid|late)[- ])?{_MONTH},?\s+{_YEAR}",
        rf"(?:{_WEEKDAY},?\s+)?{_MONTH}\s+{_DAY}\b",
        rf"(?:{_WEEKDAY},?\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}",
        r"\b\d{4}-\d{2}-\d{2}\b",
        rf"\b(?:(?:early|mid|late)[- ])?{_YEAR}s?\b",
        rf"\b(?:{_YEAR})\s*(?:-|–|to)\s*(?:{_YEAR}|\d\d)\b",
        r"\b(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\s+century\b",
        rf"\b(?:this|last|next|early this|late last)\s+(?:week|month|year|summer|winter|spring|autumn|fall|weekend|{_WEEKDAY})\b",
        rf"\b(?:on\s+)?{_WEEKDAY}\b",
        r"\b(?:yesterday|today|tomorrow)\b",
    )
]
_NUMBER_WORD = (
    r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
    r"a few|several|half an?|a couple of|dozens of|hundreds of|thousands of|\d+(?:[.,]\d+)?)"
)
_DURATION_PATTERN = re.compile(
    rf"\b(?:(?:just\s+)?(?:over|more than|less than|under|about|around|nearly|almost|at least|at most|up to|some|roughly|approximately)\s+)?"
    rf"{_NUMBER_WORD}(?:[\s-]+(?:and a half|or so))?(?:\s*(?:-|–|to|or)\s*{_NUMBER_WORD})?[\s-]+"
    r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries|nights?)\b",
    re.IGNORECASE,
)
_SCALE = r"(?:\s?(?:%|percent|per cent|million|billion|trillion|thousand|hundred|bn|m)\b)?"
_NUMBER_PATTERNS = [
    re.compile(rf"(?:US\$|[$€£¥₽])\s?\d[\d,]*(?:\.\d+)?{_SCALE}"),
    re.compile(rf"\b\d[\d,]*(?:\.\d+)?{_SCALE}(?:\s+(?:dollars|euros|pounds|rubles|roubles|yuan|yen))?"),
    re.compile(
        r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
        r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
        r"hundred|dozens?|hundreds|thousands|millions)(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine|hundred|thousand|million|billion))*\b",
        re.IGNORECASE,
    ),
]
_CAP_WORD = r"(?:[A-Z\u0400-\u042F][\w’'.\-]*\w|[A-Z]\.)"
_NAME_SEQ = re.compile(rf"{_CAP_WORD}(?:\s+(?:(?:of|de|da|van|von|der|bin|al|la|le|del|du|the)\s+)?{_CAP_WORD})*")
_QUOTE = re.compile(r"“([^”]{3,}?)”|\"([^\"]{3,}?)\"|«([^»]{3,}?)»")
_MONTH_WORDS = set(re.findall(r"[A-Z][a-z]+", _MONTH)) | set(re.findall(r"[A-Z][a-z]+", _WEEKDAY))
_ROLE_WORDS = frozenset(
    "president presidential spokesman spokeswoman spokesperson minister secretary chairman chairwoman "
    "director king queen prince princess general senator governor mayor chancellor ambassador ceo chief "
    "head leader official editor journalist pope sir mr mrs ms dr prof lord lady captain colonel commander "
    "judge justice bishop premier deputy vice executive founder press foreign prime former veteran "
    "president-elect representative envoy adviser advisor aide".split()
)
_PLACE_PREPOSITIONS = frozenset("in at from to near of across outside inside into toward towards".split())
_REPORTED = re.compile(
    rf"\b(?:{_SAY_VERBS}|stating|saying|noting|adding|arguing|warning|claiming|insisting)\b(?:\s+\w+){{0,3}}?\s+that\s+|[:]\s+",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r",\s+(?:and|but|while|whereas|although|though|which)\b|;|\.\s|\.$|\s+[-–—]\s+")
_REASON = re.compile(r"\b(?:because(?: of)?|due to|owing to|as a result of|since|so that|in order to)\s+", re.IGNORECASE)


@dataclass
class Candidate:
    start: int  # offsets within the passage
    end: int
    kind: str
    prior: float


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim white space and edge punctuation that is not part of the answer."""
    while start < end and (text[start].isspace() or text[start] in ",;:“\"‘'«(-–—"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:.”\"’'»)-–—!?"):
        if text[end - 1] == "." and re.search(r"\b[A-Z]\.$|\b(?:Jr|Sr|Inc|Ltd|Co|St)\.$", text[start:end]):
            break
        end -= 1
    return start, end


def _date_candidates(text: str, lo: int, hi: int) -> list[Candidate]:
    found: list[tuple[int, int]] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text, lo, hi):
            s, e = m.start(), m.end()
            if not any(fs <= s and e <= fe for fs, fe in found):
                found = [(fs, fe) for fs, fe in found if not (s <= fs and fe <= e)]
                found.append((s, e))
    out = []
    for s, e in found:
        s2, e2 = _strip_span(text, s, e)
        if text[s2:e2].lower().startswith("on "):
            s2 += 3
        out.append(Candidate(s2, e2, DATE, 1.0 + 0.1 * min(len(text[s2:e2].split()), 4)))
    return out


def _pattern_candidates(text: str, lo: int, hi: int, patterns: Sequence[re.Pattern[str]], kind: str) -> list[Candidate]:
    out: list[Candidate] = []
    for pattern in patterns:
        for m in pattern.finditer(text, lo, hi):
            s, e = _strip_span(text, m.start(), m.end())
            if e > s and not any(c.start <= s and e <= c.end for c in out):
                out.append(Candidate(s, e, kind, 1.0))
    return out


def _name_candidates(text: str, lo: int, hi: int, q: Question, kind: str) -> list[Candidate]:
    """Capitalised word runs, cut where they repeat the question, role words stripped from the front."""
    out: list[Candidate] = []
    for m in _NAME_SEQ.finditer(text, lo, hi):
        words = [w for w in re.finditer(r"\S+", m.group())]
        pieces: list[list[re.Match[str]]] = [[]]
        for w in words:
            terms = [t.term for t in iter_tokens(w.group()) if not t.stop]
            if terms and all(t in q.terms for t in terms):
                pieces.append([])  # a question word splits the run
            else:
                pieces[-1].append(w)
        for piece in pieces:
            roles = [i for i, w in enumerate(piece) if w.group().lower().strip(".,") in _ROLE_WORDS]
            if roles and roles[-1] < len(piece) - 1:
                piece = piece[roles[-1] + 1 :]  # "Finance Minister Maria Olsen" -> "Maria Olsen"
            while piece and (piece[0].group().lower().strip(".,") in _ROLE_WORDS | {"the", "of"}
                             or piece[0].group().lower() in ("in", "on", "at", "however", "but", "and")):
                piece = piece[1:]
            while piece and piece[-1].group().lower() in ("of", "the", "de", "van", "von", "al"):
                piece = piece[:-1]
            if not piece:
                continue
            s = m.start() + piece[0].start()
            e = m.start() + piece[-1].end()
            s, e = _strip_span(text, s, e)
            surface = text[s:e]
            if not surface or all(w in _MONTH_WORDS for w in surface.replace(".", "").split()):
                continue
            sentence_start = s == lo or text[lo:s].strip() == ""
            n_words = len(surface.split())
            prior = 0.6 + 0.2 * min(n_words, 3)
            if sentence_start and n_words == 1:
                prior -= 0.6  # a capital that only starts the sentence
            prev = text[max(lo, s - 12) : s].split()
            if kind == PLACE:
                if prev and prev[-1].lower() in _PLACE_PREPOSITIONS:
                    prior += 0.5
                if re.search(r"(?:ian|ish|ese|ean)$", surface) and n_words == 1:
                    prior -= 0.5  # a nationality adjective, not a place
            if kind == PERSON and surface.endswith(("ian", "ish", "ese")) and n_words == 1:
                prior -= 0.5
            out.append(Candidate(s, e, kind, prior))
    return out


def _quote_candidates(text: str, lo: int, hi: int) -> list[Candidate]:
    out = []
    for m in _QUOTE.finditer(text, lo, hi):
        g = next(i for i in (1, 2, 3) if m.group(i) is not None)
        s, e = _strip_span(text, m.start(g), m.end(g))
        if len(text[s:e].split()) >= 2:
            out.append(Candidate(s, e, SAY, 1.2))
    return out


_SUBORDINATE_OPENERS = ("in order to", "to ", "if ", "when ", "once ", "after ", "before ", "although ", "while ", "as ")


def _clause_after(text: str, lo: int, hi: int, pattern: re.Pattern[str], kind: str) -> list[Candidate]:
    """The clause that follows a cue ("stating that ...", "because ..."), up to where it ends."""
    out = []
    for m in pattern.finditer(text, lo, hi):
        s = m.end()
        end_m = _CLAUSE_END.search(text, s, hi)
        if end_m is not None and text[s:hi].lower().startswith(_SUBORDINATE_OPENERS):
            # "in order to end X, Washington needed to ...": the main clause comes after the comma.
            comma = text.find(",", s, hi)
            if comma != -1:
                end_m = _CLAUSE_END.search(text, comma + 1, hi)
        e = end_m.start() if end_m else hi
        s, e = _strip_span(text, s, e)
        if len(text[s:e].split()) >= 2:
            out.append(Candidate(s, e, kind, 1.1))
    return out


def _definition_candidates(text: str, lo: int, hi: int, q: Question, tokens: list[Token]) -> list[Candidate]:
    """For "Who is X?": the apposition after X ("X, a member of ...,") or the words before it."""
    out = []
    matched = [t for t in tokens if lo <= t.start < hi and t.term in q.subject]
    if not matched:
        return out
    first, last = min(t.start for t in matched), max(t.end for t in matched)
    after = re.match(r",\s+((?:an?|the)\s+[^,;.]+|[a-z][^,;.]+)", text[last:hi])
    if after:
        s, e = _strip_span(text, last + after.start(1), last + after.end(1))
        out.append(Candidate(s, e, DEFINITION, 1.4))
    before = re.search(r"((?:[A-Za-z][\w-]*\s+){1,4})$", text[lo:first])
    if before:
        words = before.group(1).split()
        while words and words[0].lower() in ("the", "a", "an", "and", "but", "however", "in", "on", "as"):
            words = words[1:]
        if words:
            s = first - len(" ".join(words)) - 1
            s, e = _strip_span(text, s, first)
            if text[s:e] and not re.search(r"[.;:]", text[s:e]):
                out.append(Candidate(s, e, DEFINITION, 1.1))
    return out


_TRAILING_ADVERBS = frozenset("together also already still again alone too even just later earlier instead however".split())


def _phrase_candidates(text: str, lo: int, hi: int, q: Question, tokens: list[Token]) -> list[Candidate]:
    """Noun-phrase-like runs of content words that do not repeat the question."""
    out = []
    run: list[Token] = []

    def flush() -> None:
        while run and run[-1].term in _TRAILING_ADVERBS:
            run.pop()
        if run:
            s, e = _strip_span(text, run[0].start, run[-1].end)
            if e > s:
                caps = sum(1 for t in run if text[t.start].isupper())
                out.append(Candidate(s, e, THING, 0.5 + 0.3 * (caps > 0) - 0.1 * max(0, len(run) - 3)))
            run.clear()

    prev_end = lo
    for t in tokens:
        if not (lo <= t.start < hi):
            continue
        gap = text[prev_end : t.start]
        if run and re.search(r"[,;:()“”\"]|\s[-–—]\s", gap):
            flush()
        if t.stop or t.term in q.terms:
            flush()
        else:
            run.append(t)
        prev_end = t.end
    flush()
    return out


def _candidates(q: Question, text: str, lo: int, hi: int, tokens: list[Token]) -> list[Candidate]:
    kind = q.kind
    if kind == DATE:
        return _date_candidates(text, lo, hi)
    if kind == DURATION:
        return _pattern_candidates(text, lo, hi, [_DURATION_PATTERN], DURATION)
    if kind in (NUMBER, AMOUNT):
        found = _pattern_candidates(text, lo, hi, _NUMBER_PATTERNS, kind)
        dates = _date_candidates(text, lo, hi)
        return [c for c in found if not any(d.start <= c.start and c.end <= d.end for d in dates)]
    if kind in (PERSON, PLACE):
        return _name_candidates(text, lo, hi, q, kind)
    if kind == DEFINITION:
        return _definition_candidates(text, lo, hi, q, tokens)
    if kind == SAY:
        return _quote_candidates(text, lo, hi) + _clause_after(text, lo, hi, _REPORTED, SAY)
    if kind == REASON:
        return _clause_after(text, lo, hi, _REASON, REASON)
    if kind == THING:
        names = [Candidate(c.start, c.end, c.kind, c.prior + 0.1) for c in _name_candidates(text, lo, hi, q, THING)]
        return names + _phrase_candidates(text, lo, hi, q, tokens)
    return []


# --- choosing -----------------------------------------------------------------------------------


@dataclass
class _Choice:
    passage: Passage
    passage_score: float
    sent: tuple[int, int]
    span: tuple[int, int] | None
    score: float
    coverage: float
    typed: bool


def _weights(q: Question, index: CorpusIndex) -> dict[str, float]:
    w = {t: index.idf(t) for t in q.terms}
    for t in q.focus_verbs:
        if t in w:
            w[t] *= 1.5
    return w


def _expansions(q: Question, index: CorpusIndex) -> dict[str, str]:
    """Indexed term -> question term it stands for, for question words the corpus spells otherwise."""
    out: dict[str, str] = {}
    for t in q.terms:
        for e in index.expand(t):
            out.setdefault(e, t)
    return out


def _matched(terms: set[str], q: Question, expansions: dict[str, str]) -> set[str]:
    return {t for t in q.terms if t in terms} | {expansions[t] for t in terms if t in expansions}


def answer_question(index: CorpusIndex, question: str) -> Answer:
    """Answer one question from the index: a span of a passage with citations, or a reasoned None."""
    q = analyze_question(question)
    if not q.terms:
        return Answer(question=question, note="The question has no words to look up; ask about something the articles cover.")
    if not index.passages:
        return Answer(question=question, note="There are no articles to search.")
    expansions = _expansions(q, index)
    missing_names = [t for t in q.proper if index.bm25.doc_freq(t) == 0 and t not in expansions.values()]
    query = q.terms + list(expansions)
    hits = index.search(query, TOP_PASSAGES)
    if not hits:
        return Answer(question=question, note="Not found in the articles: none of them mentions these words.")
    weights = _weights(q, index)
    total = sum(weights.values())
    best_bm25 = hits[0][1]
    choices: list[_Choice] = []
    for rank, (passage, bm25_score) in enumerate(hits):
        ptokens = iter_tokens(passage.text)
        heading_terms = {t.term for t in iter_tokens(passage.heading)} if passage.heading else set()
        p_matched = _matched({t.term for t in ptokens} | heading_terms, q, expansions)
        for lo, hi in split_sentences(passage.text):
            stoks = [t for t in ptokens if lo <= t.start < hi]
            s_matched = _matched({t.term for t in stoks}, q, expansions)
            s_weight = sum(weights[t] for t in s_matched)
            context = sum(weights[t] for t in p_matched - s_matched)
            coverage = (s_weight + 0.5 * context) / total if total else 0.0
            score = s_weight + 0.35 * context + 0.3 * total * bm25_score / best_bm25
            if q.recency and re.search(r"\b(?:last|latest|most recent(?:ly)?)\b", passage.text[lo:hi], re.IGNORECASE):
                score += 0.2 * total
            cands = _candidates(q, passage.text, lo, hi, stoks)
            cands = [c for c in cands if not _repeats_question(passage.text[c.start : c.end], q)]
            if cands:
                fit = {id(c): c.prior + 1.5 * _proximity(c, stoks, s_matched, weights) for c in cands}
                best = max(cands, key=lambda c: fit[id(c)])
                bonus = 0.25 * total * fit[id(best)]
                choices.append(_Choice(passage, bm25_score, (lo, hi), (best.start, best.end), score + bonus, coverage, True))
            else:
                choices.append(_Choice(passage, bm25_score, (lo, hi), None, score, coverage, False))
    if missing_names:
        names = ", ".join(sorted(_surface(q, t) for t in missing_names))
        return _not_found(question, hits, index, f"Not found in the articles: they never mention {names}.")
    covering = sorted((c for c in choices if c.coverage >= ABSTAIN_COVERAGE), key=lambda c: -c.score)
    if not covering:
        return _not_found(question, hits, index, "Not found in the articles: no passage covers the question's key terms.")
    top = covering[0]
    # Near-ties between articles go to the dated one, the latest first: its answer can be placed in time.
    close = [c for c in covering if c.score >= 0.97 * top.score and c.typed == top.typed]
    top = max(close, key=lambda c: (index.articles[c.passage.article_id].published or "", c.score))
    # Prefer a sentence that has an answer of the asked type when one scores close to the best.
    if not top.typed:
        typed = [c for c in covering if c.typed]
        if typed and typed[0].score >= 0.6 * top.score:
            top = typed[0]
    return _build_answer(question, q, index, top, choices, hits)


def _surface(q: Question, term: str) -> str:
    for tok in q.tokens:
        if tok.term == term:
            return q.text[tok.start : tok.end]
    return term


_NEGATIONS = frozenset({"no", "not", "nor", "never", "none", "nobody", "nothing"})


def _repeats_question(span: str, q: Question) -> bool:
    """True when every content word of the span is already in the question."""
    terms = [t.term for t in iter_tokens(span) if not t.stop or t.term in _NEGATIONS]
    return not terms or all(t in q.terms for t in terms)


def _proximity(c: Candidate, stoks: list[Token], matched: set[str], weights: dict[str, float]) -> float:
    """How close a candidate sits to the question's words in its sentence (0..1)."""
    total = sum(weights[t] for t in matched)
    if not total:
        return 0.0
    got = 0.0
    for t in matched:
        dists = []
        for i, tok in enumerate(stoks):
            if tok.term != t:
                continue
            if tok.end <= c.start:
                dists.append(sum(1 for x in stoks if tok.end <= x.start < c.start))
            elif tok.start >= c.end:
                dists.append(sum(1 for x in stoks if c.end <= x.start < tok.start))
        if dists:
            got += weights[t] / (1 + min(dists))
    return got / total


def _citation(index: CorpusIndex, passage: Passage, start: int, end: int, score: float) -> Citation:
    article = index.articles[passage.article_id]
    return Citation(
        article_id=article.id,
        title=article.title,
        published=article.published,
        url=article.url,
        passage_id=passage.id,
        paragraph=passage.number,
        passage_text=passage.text,
        start=start,
        end=end,
        score=round(score, 4),
    )


def _normalize(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _build_answer(
    question: str, q: Question, index: CorpusIndex, top: _Choice, choices: list[_Choice], hits: list[tuple[Passage, float]]
) -> Answer:
    passage = top.passage
    lo, hi = top.sent
    sentence = passage.text[lo:hi]
    start, end = top.span if top.span is not None else (lo, hi)
    answer = passage.text[start:end]
    citations = [_citation(index, passage, start, end, top.passage_score)]
    # Other passages that state the same answer: other articles first.
    wanted = _normalize(answer)
    seen = {passage.id}
    support: list[Citation] = []
    for other, score in hits:
        if other.id in seen or not wanted:
            continue
        pos = _find_normalized(other.text, answer)
        if pos is not None:
            seen.add(other.id)
            support.append(_citation(index, other, pos[0], pos[1], score))
    support.sort(key=lambda c: (c.article_id == passage.article_id, -c.score))
    citations.extend(support[:4])
    articles = {c.article_id for c in citations}
    confidence = min(1.0, 0.2 + 0.5 * top.coverage + (0.2 if top.typed else 0.0) + 0.1 * min(len(articles) - 1, 1))
    note = f"Reported by {len(articles)} articles." if len(articles) > 1 else None
    if top.span is None:
        confidence = min(confidence, 0.5)
    return Answer(
        question=question,
        answer=answer,
        sentence=sentence,
        confidence=round(confidence, 3),
        citations=citations,
        note=note,
    )


def _find_normalized(text: str, answer: str) -> tuple[int, int] | None:
    """Where `answer` occurs in `text`, ignoring case, punctuation and spacing differences."""
    words = re.findall(r"\w+", answer)
    if not words:
        return None
    pattern = r"\b" + r"\W+".join(re.escape(w) for w in words) + r"\b"
    m = re.search(pattern, text, re.IGNORECASE)
    return (m.start(), m.end()) if m else None


def _not_found(question: str, hits: list[tuple[Passage, float]], index: CorpusIndex, note: str) -> Answer:
    """No answer, with the closest passages as hints (their whole text cited, not an answer span)."""
    hints = [_citation(index, p, 0, len(p.text), s) for p, s in hits[:3]]
    return Answer(question=question, answer=None, sentence=None, confidence=0.0, hints=hints, note=note)
