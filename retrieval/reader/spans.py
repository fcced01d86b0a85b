"""Sentences of a passage and the typed answer candidates in a sentence.

Every candidate is a (start, end) slice of the passage text with a kind and a prior; the answer
module scores them by closeness to the question's words and by where the question says the answer
stands (before the verb for "What occurs ...", after it for "What did X write?", beside the head
noun for "What river ...").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from dataclasses import dataclass

from retrieval.reader.lexicon import BE_AND_HAVE, CHUNK_PREPOSITIONS, MONTH_ABBREVIATIONS, MONTH_NAMES, NAME_TITLES, PERSON_ROLES, WEEKDAY_NAMES
from retrieval.reader.question import (
    AMOUNT, DATE, DEFINITION, DURATION, MANNER, NUMBER, PERSON, PLACE, REASON, SAY, SAY_VERBS, THING, Question,
)
from retrieval.tokens import _IRREGULAR_EN, Token, iter_tokens

# --- patterns -----------------------------------------------------------------------------------

_MONTH_EN = rf"(?:{'|'.join(MONTH_NAMES)}|{'|'.join(sorted(MONTH_ABBREVIATIONS, key=len, reverse=True))})\.?"
# Russian month names in the genitive ("12 февраля") and the nominative/prepositional ("в июле").
_MONTH_RU = r"(?:январ|феврал|март|апрел|ма[йя]|мае|июн|июл|август|сентябр|октябр|ноябр|декабр)[а-я]*"
_MONTH = rf"(?:{_MONTH_EN}|{_MONTH_RU})"
_WEEKDAY = rf"(?:{'|'.join(WEEKDAY_NAMES)})"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:1[0-9]\d\d|20\d\d)"
_YEAR_RU = r"(?:\s+(?:года|году|г\.))?"
DATE_PATTERNS = [
    re.compile(p, re.IGNORECASE if p.startswith("(?i)") else 0)
    for p in (
        rf"(?:{_WEEKDAY},?\s+)?{_MONTH}\s+{_DAY},?\s+{_YEAR}",
        rf"(?:{_WEEKDAY},?\s+)?{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}{_YEAR_RU}",
        rf"(?:(?:early|mid|late)[- ])?{_MONTH},?\s+{_YEAR}{_YEAR_RU}",
        rf"(?:{_WEEKDAY},?\s+)?{_MONTH_EN}\s+{_DAY}\b",
        rf"(?:{_WEEKDAY},?\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}",
        r"\b\d{4}-\d{2}-\d{2}\b",
        r"\b\d{1,2}:\d\d(?:\s?[ap]\.?m\.?)?",
        # Times of day: "3 p.m.", "10.30am", "noon", "Tuesday morning" ("night" alone is too often a noun).
        r"(?i)\b\d{1,2}(?:[.:]\d\d)?\s?[ap]\.?m\b\.?",
        r"(?i)\b(?:noon|midday|midnight|полдень|полночь)\b",
        rf"(?i)\b(?:(?:early|late)\s+)?(?:this|yesterday|tomorrow|{_WEEKDAY})\s+(?:morning|afternoon|evening|night)\b",
        rf"\b(?:{_YEAR})\s*(?:-|–|to|and)\s*(?:{_YEAR}|\d\d)\b",
        rf"\b(?:between|from)\s+{_YEAR}\s+(?:and|to)\s+{_YEAR}\b",
        rf"\b(?:(?:early|mid|late)[- ])?(?:the\s+)?{_YEAR}s?(?:\s+and\s+(?:the\s+)?{_YEAR}s)?{_YEAR_RU}",
        r"\b(?:the\s+)?(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
        r"eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|"
        r"twenty-first)\s+century\b",
        rf"(?i)\b(?:(?:early|late|earlier|later|mid-?)\s*)?(?:this|last|next)\s+(?:week|month|year|summer|winter|spring|autumn|fall|weekend|{_WEEKDAY})\b",
        rf"\b(?:on\s+)?{_WEEKDAY}\b",
        r"(?i)\b(?:в|во)\s+(?:понедельник|вторник|среду|четверг|пятницу|субботу|воскресенье)\b",
        r"\b(?:yesterday|today|tomorrow|вчера|сегодня|завтра)\b",
        r"(?i)(?:(?:этим|прошлым|следующим)\s+(?:летом|зимой|весной|осенью)|(?:на\s+)?(?:этой|прошлой|следующей)\s+неделе|"
        r"в\s+(?:этом|прошлом|следующем)\s+(?:году|месяце))",
    )
]
_NUMBER_WORD = (
    r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
    r"a few|several|half an?|a couple of|dozens of|hundreds of|thousands of|\d+(?:[.,]\d+)?)"
)
_QUALIFIER = (
    r"(?:(?:just\s+)?(?:over|more than|less than|fewer than|under|about|around|nearly|almost|at least|at most|up to|"
    r"some|roughly|approximately|an estimated|estimated|only|as many as|as much as|close to|upwards of|between)\s+)"
)
DURATION_PATTERN = re.compile(
    rf"\b{_QUALIFIER}?"
    rf"{_NUMBER_WORD}(?:[\s-]+(?:and a half|or so))?(?:\s*(?:-|–|to|or)\s*{_NUMBER_WORD})?[\s-]+"
    r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries|nights?)\b"
    r"|\b(?:более|почти|около|менее)?\s*(?:\d+|час|полчаса)\s*(?:час(?:а|ов)?|минут[ы]?|дн(?:я|ей)|лет|год(?:а)?|недел[иь])\b"
    # A clock's time still to run: "with 3:08 left", "4:51 remaining".
    r"|\b\d{1,2}:\d\d(?=\s+(?:left|remaining|to go|to play)\b)",
    re.IGNORECASE,
)
_SCALE = r"(?:\s?(?:%|percent|per cent|million|billion|trillion|thousand|hundred|bn|m|млн|млрд|тыс\.?)(?![\w-]))?"
_UNIT = (
    r"(?:\s+(?:basis points|percentage points|dollars|euros|pounds|rubles|roubles|yuan|yen|рублей|долларов|people|km|miles|metres|meters|feet|"
    r"kilometres|kilometers|square miles|km2|acres|tons|tonnes|points|yards|°[CF]?|degrees|mph|km/h|kph|nm|kg|mm|cm)"
    r"(?:\s+(?:per|an?)\s+(?:second|minute|hour|day|week|month|year|person|capita))?)?"
)
_NUM = r"\d[\d,]*(?:\.\d+)?"
# A number in words: "four", "twenty-one", "three hundred thousand", "dozens".
_WORD_NUMBER = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|dozens?|hundreds|thousands|millions)(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine|hundred|thousand|million|billion))*\b"
)
NUMBER_PATTERNS = [
    re.compile(rf"{_QUALIFIER}?(?:US\$|[$€£¥₽])\s?{_NUM}{_SCALE}(?:\s*(?:-|–|to)\s*(?:US\$|[$€£¥₽])?\s?{_NUM}{_SCALE})?", re.IGNORECASE),
    re.compile(rf"\b{_QUALIFIER}?{_NUM}(?:\s*(?:-|–|to|and)\s*{_NUM})?{_SCALE}{_UNIT}(?![\w-])", re.IGNORECASE),
    re.compile(
        rf"\b{_QUALIFIER}?{_WORD_NUMBER}(?:\s+(?:and|to|or)\s+{_WORD_NUMBER})?{_UNIT}\b",
        re.IGNORECASE,
    ),
    # How often: "twice", "on several occasions".
    re.compile(r"\b(?:once|twice|thrice|(?:several|a few|many|numerous|a number of|a dozen)\s+(?:times|occasions))\b", re.IGNORECASE),
    # Fractions: "a third", "two-thirds of its population", "half".
    re.compile(
        rf"\b{_QUALIFIER}?(?:(?:a|one|two|three|four|five|six|seven|nine)[\s-]+(?:half|halves|thirds?|quarters?|fifths?|sixths?|"
        r"eighths?|tenths?)|half)\b(?!\s+(?:an?\s+)?(?:hour|minute|day|week|month|year|century|time|way|mile)s?\b)",
        re.IGNORECASE,
    ),
]
_UPPER = "A-Z\u00C0-\u00D6\u00D8-\u00DE\u0110\u0141\u0152\u0160\u017D\u0400-\u042F"  # Latin, a few accented, Cyrillic
_CAP_WORD = rf"(?:[{_UPPER}][\w’'.\-–]*\w|[A-Z]\.|\d+[A-Z]?\b(?![%,.]\d|%))"
_NAME_SEQ = re.compile(
    rf"(?:[{_UPPER}][\w’'.\-–]*\w|[A-Z]\.)(?:\s+(?:(?:of|de|da|di|dos|van|von|der|bin|ibn|al|la|le|del|du|the|for|and)\s+)?{_CAP_WORD})*"
)
_QUOTE = re.compile(r"“([^”]{3,}?)”|\"([^\"]{3,}?)\"|«([^»]{3,}?)»")
_MONTH_WORDS = set(re.findall(r"[A-Z][a-z]+", _MONTH_EN)) | set(re.findall(r"[A-Z][a-z]+", _WEEKDAY))
_ROMAN = re.compile(r"^(?:[IVXLC]+)$")
# Words of a role before a name ("Kremlin spokesman Dmitry Peskov", "former US President Trump").
ROLE_WORDS = PERSON_ROLES | NAME_TITLES | frozenset("presidential press foreign prime former veteran deputy vice".split())
_LOCATIVE = frozenset("in at near inside outside within along across on throughout around from".split())
_PLACE_PREPOSITIONS = frozenset("in at from to near of across outside inside into toward towards в во из под".split())
_REPORTED = re.compile(
    rf"\b(?:{SAY_VERBS}|stating|saying|noting|adding|arguing|warning|claiming|insisting)\b(?:\s+\w+){{0,3}}?\s+that\s+|[:]\s+"
    # Reported speech without "that", as news writes it: "said it would appeal", "warned the talks could fail".
    r"|\b(?:said|says|told\s+\w+|warned|added|announced|stated|insisted|argued|claimed|predicted|confirmed|admitted|stressed|"
    r"emphasized|emphasised)\s+(?=(?:it|he|she|they|we|there|this|the|its|his|her|their|our)\s+\w)",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r",\s+(?:and|but|while|whereas|although|though|which)\b|;|\.\s|\.$|\s+[-–—]\s+")
_REASON = re.compile(
    r"\b(?:because(?: of)?|due to|owing to|as a result of|since|so that|in order to|потому что|из-за|так как|чтобы)\s+",
    re.IGNORECASE,
)
# "How did X do Y?": by doing something, through or with something.
_MANNER = re.compile(r"\b(?:by|through|via|using|by means of)\s+", re.IGNORECASE)
_SUBORDINATE_OPENERS = ("in order to", "to ", "if ", "when ", "once ", "after ", "before ", "although ", "while ", "as ")

# --- word classes for noun-phrase chunks --------------------------------------------------------

_BREAK_WORDS = CHUNK_PREPOSITIONS | frozenset(
    "and or but nor yet is was are were be been being am has have had having do does did will would can "
    "could shall should may might must he she it they we i you him them us his her its their our my your "
    "this that these those there here who whom whose which what where when why how not no never also only "
    "just even still very too then thus therefore however often usually generally typically mostly largely "
    "primarily mainly now already later both either neither each every all some any such more most less "
    "many much few one another other itself themselves himself herself together again alone instead several various "
    "numerous certain".split()
)
_DETERMINERS = frozenset("the a an".split())
# Words ending in -ly that are not adverbs and may stand inside a noun phrase.
_LY_NOUNS_AND_ADJECTIVES = frozenset(
    "family assembly supply monopoly anomaly ally rally italy july early elderly friendly daily weekly monthly "
    "yearly hourly quarterly costly deadly lively lonely lovely holy ugly likely unlikely orderly".split()
)
_VERB_STEMS = frozenset(
    t.term
    for t in iter_tokens(
        "provide include reflect occur prompt represent refer consist result serve describe lead begin locate "
        "consider design perform replace establish contain hold become launch produce cover allow require "
        "create develop remain receive build reach increase reduce cause involve suggest appear continue "
        "believe help show use make take give find keep bring win lose play run move live stand "
        "protect prevent support oppose defeat beat score intercept sign elect appoint name found publish "
        "introduce announce approve reject claim deny argue state report encourage"
    )
)
_IRREGULAR_FORMS = frozenset(_IRREGULAR_EN)
_WORD = re.compile(r"[^\W_](?:[\w'’\-–.,%/]*[\w%])?")
# A capitalised name is a candidate for a what/which answer too ("What proclamation ...?" -> "Edict of
# Fontainebleau"), a little below the name's own prior: most what-answers are common noun phrases.
# -0.3 was chosen on XQuAD half A (-0.5, -0.3, -0.1 tried) and confirmed on half B.
THING_NAME_SHIFT = -0.3
# "What are ...?" / "Which companies ...?": a list of phrases is the likely answer. 1.3 was chosen on
# XQuAD half A (0.5, 0.7, 0.9, 1.1, 1.3 tried) and confirmed on half B.
LIST_PRIOR = 1.3
# "was compiled by Nafzger": the agent of a passive is who did it. Chosen on half A (0, 0.3, 0.6, 1.0
# tried; 0.3 up to 1.0 tie there), confirmed on half B (0.3 best). A penalty for a name that modifies a
# noun ("Academy Award nominee") was tried and cost half A a sentence.
PERSON_AGENT = 0.3
# "developed by", "made by", "won by": a past participle (regular or irregular) then "by" before the name.
_PASSIVE_AGENT = re.compile(
    r"(?:\w(?:ed|en)|\b(?:made|built|held|led|won|run|set|sold|bought|taught|found|founded|told|paid|sent|kept|brought|"
    r"caught|fought|left|lost|meant|met|read|said|seen|shot|thought|understood|written|done|given|taken|known|shown|drawn|"
    r"grown|thrown|chosen|spoken|stolen|broken|driven|ridden|beaten|begun|struck|hit|cut|put|shut|spread))\b"
    r"(?:\s+[\w-]+){0,4}?\s+by\s+$",
    re.IGNORECASE,
)
# "in the altitude chamber": chosen on half A (0.6, 0.8, 1.0 tried), confirmed on half B.
PLACE_PHRASE_PRIOR = 0.6
PLACE_NAME_UNMARKED = 0.6  # XQuAD halves: EM +0.2 (A) and +0.4 (B) against 0; 1.0 loses where-F1 on A
# "destruction of the forest": the prior of a noun phrase joined to its of-phrase. Chosen on half A
# (0.3, 0.5, 0.7 tried; the larger part's prior +/- 0.1 did worse), confirmed on half B.
OF_PRIOR = 0.5
# Chosen on half A (0.2, 0.4, 0.6, 0.8, 1.0 tried), confirmed on half B.
WHOLE_PHRASE_PRIOR = 0.6
_HEDGE = re.compile(r"(?:about|around|roughly|approximately|nearly|almost|some|an estimated|estimated)\s+", re.IGNORECASE)
# What follows a naming verb, for a question about a name: chosen on half A (0.3, 0.6, 0.9, 1.2
# tried; 0.6 and up tie), confirmed on half B.
NAMED = 0.6
_ASKS_NAME = re.compile(r"\b(?:called|call|known|name|named|term|termed|referred|dubbed|nickname)\b", re.IGNORECASE)
_NAMING = re.compile(r"\b(?:called|known as|named|termed|referred to as|dubbed|nicknamed)\s+(?:the\s+|an?\s+)?", re.IGNORECASE)
# A name after in/at/near/into/from or a compass adjective is a place; as a person answer it loses
# 0.3 (chosen on half A from -0.3, -0.6, which tie; confirmed on half B).
PERSON_AFTER_LOCATIVE = -0.3
_BEFORE_PLACE = frozenset("in at near into from northern southern eastern western central".split())
MANNER_ADVERB_PRIOR = 0.8  # an -ly adverb beside a question word: "regulated separately"


@dataclass
class Candidate:
    start: int  # offsets within the passage
    end: int
    kind: str
    prior: float


def name_part(text: str, c: Candidate, part: str) -> Candidate:
    """The last (or first) word of a name, for "What is the last name of ...?": "Von Miller" -> "Miller"."""
    words = [m for m in re.finditer(r"[^\W\d_][\w'’.\-]*", text[c.start : c.end]) if m.group()[:1].isupper()]
    if len(words) < 2:
        return c
    w = words[-1] if part == "last" else words[0]
    start, end = strip_span(text, c.start + w.start(), c.start + w.end())
    if text[end - 2 : end] in ("'s", "’s"):
        end -= 2
    return Candidate(start, end, c.kind, c.prior)


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim white space and edge punctuation that is not part of the answer."""
    while start < end and (text[start].isspace() or text[start] in ",;:“\"‘'«(-–—"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:.”\"’'»)-–—!?"):
        if text[end - 1] == "." and re.search(r"\b[A-Z]\.$|\b[a-z]\.[a-z]\.$|\b(?:Jr|Sr|Inc|Ltd|Co|St)\.$", text[start:end]):
            break
        if text[end - 1] == ")" and text[start:end].count("(") == text[start:end].count(")"):
            break  # "American Medical Association (AMA)": the bracket is part of it
        end -= 1
    return start, end


def date_candidates(text: str, lo: int, hi: int) -> list[Candidate]:
    found: list[tuple[int, int]] = []
    for pattern in DATE_PATTERNS:
        for m in pattern.finditer(text, lo, hi):
            s, e = m.start(), m.end()
            if not any(fs <= s and e <= fe for fs, fe in found):
                found = [(fs, fe) for fs, fe in found if not (s <= fs and fe <= e)]
                found.append((s, e))
    out = []
    for s, e in sorted(found):
        s2, e2 = strip_span(text, s, e)
        low = text[s2:e2].lower()
        if low.startswith(("on ", "between ", "from ")):
            s2 += low.index(" ") + 1
        out.append(Candidate(s2, e2, DATE, 1.0 + 0.1 * min(len(text[s2:e2].split()), 4)))
    return out


def pattern_candidates(text: str, lo: int, hi: int, patterns: Sequence[re.Pattern[str]], kind: str) -> list[Candidate]:
    out: list[Candidate] = []
    for pattern in patterns:
        for m in pattern.finditer(text, lo, hi):
            s, e = strip_span(text, m.start(), m.end())
            if e > s and not any(c.start <= s and e <= c.end for c in out):
                out.append(Candidate(s, e, kind, 1.0))
    return out


def number_candidates(text: str, lo: int, hi: int, kind: str, q: Question) -> list[Candidate]:
    """Numbers with their qualifier, range and scale, not those inside dates or compound modifiers.

    A unit the question already names is left out: "How many points ...?" is answered "308", not "308 points".
    """
    found = pattern_candidates(text, lo, hi, NUMBER_PATTERNS, kind)
    for c in found:
        unit = re.search(r"(?:\s+[A-Za-z°]+){1,2}$", text[c.start : c.end])
        if unit and all(t.term in q.terms for t in iter_tokens(unit.group()) if not t.stop):
            c.end = c.start + unit.start()
        hedge = _HEDGE.match(text, c.start, c.end)
        if hedge and hedge.end() < c.end:
            c.start = hedge.end()  # "about 340 miles" -> "340 miles": a hedge is not part of the figure
    dates = [d for d in date_candidates(text, lo, hi) if re.search(r"[A-Za-z\u0400-\u04FF]", text[d.start : d.end])]
    out = []
    for c in found:
        if any(d.start <= c.start and c.end <= d.end for d in dates):
            continue
        if text[c.end : c.end + 1] == "-" and not text[c.start : c.end].endswith(("%", "million", "billion")):
            c.prior -= 0.5  # "5-time pro bowler": a modifier, not a count
        if re.fullmatch(r"(?:1[5-9]|20)\d\d", text[c.start : c.end]):
            c.prior -= 0.4  # a bare year is rarely a count
        out.append(c)
    return out


def name_candidates(text: str, lo: int, hi: int, q: Question, kind: str) -> list[Candidate]:
    """Capitalised word runs, cut where they repeat the question, role words stripped from the front."""
    out: list[Candidate] = []
    for m in _NAME_SEQ.finditer(text, lo, hi):
        words = list(re.finditer(r"\S+", m.group()))
        pieces: list[list[re.Match[str]]] = [[]]
        for w in words:
            terms = word_terms(w.group())[0]
            if terms and all(t in q.proper for t in terms):
                # A name the question uses splits the run ("Super Bowl XXXIII" -> "XXXIII"); a word the
                # question writes in lower case does not ("major world event" -> "World War II").
                pieces.append([])
            else:
                pieces[-1].append(w)
        for piece in pieces:
            roles = [i for i, w in enumerate(piece) if w.group().lower().strip(".,") in ROLE_WORDS]
            if roles and roles[-1] < len(piece) - 1 and kind in (PERSON, DEFINITION):
                piece = piece[roles[-1] + 1 :]  # "Finance Minister Maria Olsen" -> "Maria Olsen"
            while piece and (
                piece[0].group().lower().strip(".,") in (ROLE_WORDS if kind == PERSON else set()) | {"the", "of", "and", "for"}
                or piece[0].group().lower() in CHUNK_PREPOSITIONS
                or piece[0].group().lower() in ("however", "but", "and", "when", "then", "meanwhile", "thus", "later",
                                                "finally", "today")
            ):
                piece = piece[1:]
            while piece and (
                piece[-1].group().lower() in ("of", "the", "de", "van", "von", "al", "and", "for")
                or (kind in (PERSON, PLACE) and piece[-1].group().isdigit())
            ):
                piece = piece[:-1]
            if not piece:
                continue
            s = m.start() + piece[0].start()
            e = m.start() + piece[-1].end()
            if kind in (PERSON, PLACE) and text[e - 2 : e] in ("'s", "’s"):
                e -= 2  # "William Tyndale's English Bible": the name without its possessive
            s, e = strip_span(text, s, e)
            surface = text[s:e]
            if not surface or all(w in _MONTH_WORDS for w in surface.replace(".", "").split()):
                continue
            if re.fullmatch(r"[\d\s]+", surface):
                continue
            sentence_start = s == lo or text[lo:s].strip() in ("", "“", "\"", "«")
            n_words = len(surface.split())
            prior = 0.6 + 0.2 * min(n_words, 3)
            if sentence_start and n_words == 1:
                prior -= 0.6  # a capital that only starts the sentence
            if _ROMAN.match(surface) and kind == PERSON:
                prior -= 0.8  # "Super Bowl XXXIII": a numeral, not a person
            prev = text[max(lo, s - 12) : s].split()
            if kind == PLACE:
                if prev and prev[-1].lower() in _PLACE_PREPOSITIONS:
                    prior += 0.5
                else:
                    prior -= PLACE_NAME_UNMARKED  # "he and Joe Biden spoke": nothing says it is a place
                if re.search(r"(?:ian|ish|ese|ean)$", surface) and n_words == 1:
                    prior -= 0.5  # a nationality adjective, not a place
            if kind == PERSON and surface.endswith(("ian", "ish", "ese")) and n_words == 1:
                prior -= 0.5
            if kind == PERSON:
                if prev and prev[-1].lower() in _BEFORE_PLACE:
                    prior += PERSON_AFTER_LOCATIVE  # "in northern Syria": a place, not a person
                if _PASSIVE_AGENT.search(text, lo, s):
                    prior += PERSON_AGENT  # "was compiled by Nafzger": the agent of a passive
            out.append(Candidate(s, e, kind, prior))
    return out


def quote_candidates(text: str, lo: int, hi: int, kind: str = SAY, prior: float = 1.2) -> list[Candidate]:
    out = []
    for m in _QUOTE.finditer(text, lo, hi):
        g = next(i for i in (1, 2, 3) if m.group(i) is not None)
        s, e = strip_span(text, m.start(g), m.end(g))
        if len(text[s:e].split()) >= (2 if kind == SAY else 1):
            out.append(Candidate(s, e, kind, prior))
    return out


def clause_after(text: str, lo: int, hi: int, pattern: re.Pattern[str], kind: str) -> list[Candidate]:
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
        s, e = strip_span(text, s, e)
        if len(text[s:e].split()) >= 2:
            out.append(Candidate(s, e, kind, 1.1))
    return out


_DEFINITION_JOINS = frozenset("and or but nor to with by for from at in on as than".split())


def definition_candidates(text: str, lo: int, hi: int, q: Question, tokens: list[Token]) -> list[Candidate]:
    """For "Who is X?": the apposition after X ("X, a member of ...,") or the words before it."""
    out: list[Candidate] = []
    matched = [t for t in tokens if lo <= t.start < hi and t.term in q.subject]
    if not matched:
        return out
    first, last = min(t.start for t in matched), max(t.end for t in matched)
    after = re.match(r",\s+((?:an?|the)\s+[^,;.]+|[a-z][^,;.]+)", text[last:hi])
    if after:
        s, e = strip_span(text, last + after.start(1), last + after.end(1))
        out.append(Candidate(s, e, DEFINITION, 1.4))
    copula = re.match(r"\s+(?:is|was|are|were)\s+((?:an?|the)\s+[^,;.]+|[a-z][^,;.]+)", text[last:hi])
    if copula:
        s, e = strip_span(text, last + copula.start(1), last + copula.end(1))
        out.append(Candidate(s, e, DEFINITION, 1.3))
    before = re.search(r"((?:[^\W\d_][\w-]*\s+){1,4})$", text[lo:first])
    if before:
        words = before.group(1).split()
        # "a merry Christmas to Trump and then-US President-elect Joe Biden": the words that describe
        # X start after the last joining word, not at another name coordinated with X.
        joins = [i for i, w in enumerate(words) if w.lower() in _DEFINITION_JOINS]
        if joins:
            words = words[joins[-1] + 1 :]
        while words and words[0].lower() in ("the", "a", "an", "however"):
            words = words[1:]
        if words:
            s = first - len(" ".join(words)) - 1
            s, e = strip_span(text, s, first)
            if text[s:e] and not re.search(r"[.;:]", text[s:e]):
                out.append(Candidate(s, e, DEFINITION, 1.1))
    return out


# --- noun-phrase chunks -------------------------------------------------------------------------


@dataclass
class Word:
    start: int
    end: int
    surface: str
    lower: str
    in_question: bool
    breaks: bool  # a function word or a verb: no noun phrase goes through it


def verb_like(w: Word) -> bool:
    """A lower-case word that breaks noun phrases without being a function word: the chunker's verbs."""
    return w.breaks and w.surface.islower() and w.lower not in _BREAK_WORDS


@lru_cache(maxsize=100_000)
def word_terms(surface: str) -> tuple[tuple[str, ...], str]:
    """The content terms of one word and its first term (cached: words repeat across questions)."""
    toks = iter_tokens(surface)
    return tuple(t.term for t in toks if not t.stop), (toks[0].term if toks else "")


def sentence_words(text: str, lo: int, hi: int, q: Question) -> list[Word]:
    """The words of a sentence, each marked as a question word and/or a noun-phrase break."""
    words: list[Word] = []
    for m in _WORD.finditer(text, lo, hi):
        surface = m.group()
        lower = surface.lower()
        content, _ = word_terms(surface)
        in_q = bool(content) and all(t in q.terms for t in content)
        words.append(Word(m.start(), m.end(), surface, lower, in_q, lower in _BREAK_WORDS))
    for i, w in enumerate(words):
        if w.breaks or not w.surface[:1].islower():
            continue
        nxt = words[i + 1] if i + 1 < len(words) else None
        next_is_function = nxt is None or nxt.lower in _BREAK_WORDS or nxt.lower in _DETERMINERS or bool(
            re.search(r"[,;:()]", text[w.end : nxt.start])
        )
        prev = words[i - 1] if i > 0 else None
        after_aux = prev is not None and prev.lower in BE_AND_HAVE
        if w.lower in _IRREGULAR_FORMS and w.lower not in ("found", "left", "bound", "man", "men", "women", "children"):
            w.breaks = True
        elif w.lower.endswith("ly") and len(w.lower) > 4 and w.lower not in _LY_NOUNS_AND_ADJECTIVES:
            w.breaks = True  # "quickly", "originally": adverbs stand between phrases, not in them
        elif w.lower.endswith(("ed", "en")) and len(w.lower) > 3 and (after_aux or (nxt is not None and nxt.surface[:1].isupper())):
            w.breaks = True  # "are called independent schools", "a play titled Doctor Who"
        elif w.lower.endswith(("ed", "ing")) and len(w.lower) > 4 and next_is_function:
            w.breaks = True  # "reflected various": a verb, where "increased oxygen" is a modifier
        elif w.lower.endswith(("s", "ed", "ing")) and len(w.lower) > 4:
            term = word_terms(w.surface)[1]
            if term in _VERB_STEMS and (w.lower.endswith(("ed", "ing")) or next_is_function):
                w.breaks = True
    return words


def chunk_candidates(text: str, lo: int, hi: int, words: list[Word], kind: str = THING, through_question: bool = False) -> list[Candidate]:
    """Noun-phrase-like runs: no function word, verb, question word (unless `through_question`) or punctuation inside."""
    out: list[Candidate] = []
    run: list[Word] = []

    def flush() -> None:
        while run and (run[0].lower in _DETERMINERS or run[0].lower in ("'s", "’s")):
            run.pop(0)
        while run and run[-1].lower in _DETERMINERS:
            run.pop()
        if run:
            s, e = strip_span(text, run[0].start, run[-1].end)
            if e > s:
                n = len(run)
                caps = sum(1 for w in run if w.surface[:1].isupper() and w.start != lo)
                prior = 0.5 + 0.15 * (caps > 0) - 0.08 * max(0, n - 4)
                out.append(Candidate(s, e, kind, prior))
        run.clear()

    prev_end: int | None = None
    for i, w in enumerate(words):
        gap = text[prev_end : w.start] if prev_end is not None else ""
        if run and re.search(r"[,;:()“”\"«»]|\s[-–—]\s|[.!?]\s", gap):
            flush()
        if w.lower == "of" and run and run[-1].surface[:1].isupper() and i + 1 < len(words) and words[i + 1].surface[:1].isupper():
            run.append(w)  # "University of Chicago"
        elif (w.in_question and not through_question) or w.breaks:
            flush()
        elif w.lower in _DETERMINERS and run:
            flush()
            run.append(w)
        else:
            run.append(w)
        prev_end = w.end
    flush()
    return out


def list_candidates(text: str, chunks: list[Candidate]) -> list[Candidate]:
    """Chunks joined by commas and a final "and"/"or": "Omnicare, Kindred Healthcare and PharMerica"."""
    out = []
    i = 0
    while i < len(chunks):
        j = i
        while j + 1 < len(chunks) and re.fullmatch(
            r"\s*(?:,\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+)(?:the\s+)?", text[chunks[j].end : chunks[j + 1].start]
        ):
            j += 1
        # A list ends in "and" or "or": "Meanwhile, Denver's offense" is two phrases, not a list.
        while j > i and not re.search(r"\b(?:and|or)\b", text[chunks[j - 1].end : chunks[j].start]):
            j -= 1
        if j > i:
            out.append(Candidate(chunks[i].start, chunks[j].end, chunks[i].kind, LIST_PRIOR))
        i = j + 1
    return out


def head_candidates(text: str, words: list[Word], q: Question) -> list[Candidate]:
    """Beside the head noun of "What river ...": "the St. Johns River", "the Astra 2A satellite", "the hymn "X"."""
    if q.head is None:
        return []
    out = []
    for i, w in enumerate(words):
        content, _ = word_terms(w.surface)
        if not content or content[-1] != q.head:
            continue
        # Modifiers before the head, back to a break or punctuation.
        j = i
        while j > 0:
            prev = words[j - 1]
            if prev.breaks or prev.lower in _DETERMINERS or re.search(r"[,;:()“”\"]", text[prev.end : words[j].start]):
                break
            if prev.in_question and not prev.surface[:1].isupper():
                break
            j -= 1
        mods_end = -1
        if j < i:
            mods = words[j:i]
            mods_end = mods[-1].end
            mods_named = all(m.surface[:1].isupper() or m.surface[:1].isdigit() for m in mods)
            if w.surface[:1].isupper() or not mods_named:
                out.append(Candidate(words[j].start, w.end, THING, 1.0))  # "St. Johns River", "kinescope recordings"
                out.append(Candidate(words[j].start, mods[-1].end, THING, 0.8))
            else:
                out.append(Candidate(words[j].start, mods[-1].end, THING, 1.0))  # "Astra 2A"
        # A name or a quotation right after the head: "the hymn "Ein neues Lied"", "Hurricane Dora".
        rest = text[w.end : w.end + 200]
        quoted = re.match(r"\s*,?\s*[\"“«]([^\"”»]{2,}?)[\"”»]", rest)
        named = re.match(rf"\s+({_CAP_WORD}(?:\s+{_CAP_WORD})*)", rest)
        if quoted:
            out.append(Candidate(w.end + quoted.start(1), w.end + quoted.end(1), THING, 1.1))
        elif named and w.surface[:1].isupper():
            s = words[j].start if j < i and words[j].surface[:1].isupper() else w.start
            out.append(Candidate(s, w.end + named.end(1), THING, 1.1))  # "Tropical Storm Beryl"
        elif named:
            out.append(Candidate(w.end + named.start(1), w.end + named.end(1), THING, 1.1))  # "chemist James Dewar"
        else:
            continue
        for c in out:
            if c.end == mods_end:
                c.prior -= 0.3  # a name right after the head is the better answer than what stands before it
    return out


def candidates(q: Question, text: str, lo: int, hi: int, tokens: list[Token], words: list[Word]) -> list[Candidate]:
    """Every typed candidate of a sentence for the question's expected type."""
    kind = q.kind
    if kind == DATE:
        return date_candidates(text, lo, hi)
    if kind == DURATION:
        return pattern_candidates(text, lo, hi, [DURATION_PATTERN], DURATION)
    if kind in (NUMBER, AMOUNT):
        return number_candidates(text, lo, hi, kind, q)
    if kind == PERSON:
        names = name_candidates(text, lo, hi, q, kind)
        # A number is never who: "New Year [2021]" for "Who did Putin congratulate on the New Year?".
        chunks = [c for c in chunk_candidates(text, lo, hi, words, PERSON) if re.search(r"[^\W\d_]", text[c.start : c.end])]
        for c in chunks:
            c.prior -= 0.4 if text[c.start].isupper() else 0.7
        people = names + chunks + [c for c in head_candidates(text, words, q)]
        return [name_part(text, c, q.name_part) for c in people] if q.name_part else people
    if kind == PLACE:
        names = name_candidates(text, lo, hi, q, kind)
        # "in the altitude chamber", "in nursing homes": a common noun phrase after a place preposition.
        places = []
        for c in chunk_candidates(text, lo, hi, words, PLACE):
            before = text[lo : c.start].split()[-2:]
            # The preposition, maybe before an article; a phrase that runs into a name is part of that name.
            prep = before[0] if len(before) == 2 and before[-1].lower() in _DETERMINERS else (before[-1] if before else "")
            if prep.lower() in _LOCATIVE and not re.match(r"\s+[A-Z]", text[c.end : hi]):
                if not any(n.start <= c.start and c.end <= n.end for n in names):
                    c.prior = PLACE_PHRASE_PRIOR
                    places.append(c)
        # A number is never where: "built in [1991]" for "Where will the ferries be built?".
        return [c for c in names + places if re.search(r"[^\W\d_]", text[c.start : c.end])]
    if kind == DEFINITION:
        return definition_candidates(text, lo, hi, q, tokens)
    if kind == SAY:
        return quote_candidates(text, lo, hi) + clause_after(text, lo, hi, _REPORTED, SAY)
    if kind == REASON:
        return clause_after(text, lo, hi, _REASON, REASON)
    if kind == MANNER:
        out = clause_after(text, lo, hi, _MANNER, MANNER)
        for i, w in enumerate(words):
            beside = words[max(0, i - 1) : i] + words[i + 1 : i + 2]
            if (
                w.lower.endswith("ly") and len(w.lower) > 4 and w.lower not in _LY_NOUNS_AND_ADJECTIVES
                and any(b.in_question for b in beside)
            ):
                out.append(Candidate(w.start, w.end, MANNER, MANNER_ADVERB_PRIOR))  # "regulated separately"
        return out
    if kind == THING:
        chunks = chunk_candidates(text, lo, hi, words)
        names = [c for c in name_candidates(text, lo, hi, q, THING) if not any(c.start == k.start and c.end == k.end for k in chunks)]
        for c in names:
            c.prior += THING_NAME_SHIFT
        out = chunks + names + head_candidates(text, words, q) + quote_candidates(text, lo, hi, THING, 0.6)
        # "Decompression sickness" for "What occurs after a diver decompresses ...?": the whole noun
        # phrase, question words and all, as long as it says more than the question.
        for c in chunk_candidates(text, lo, hi, words, THING, through_question=True):
            inner = [w for w in words if c.start <= w.start < c.end]
            if any(w.in_question for w in inner) and not all(w.in_question for w in inner) and not any(
                k.start == c.start and k.end == c.end for k in out
            ):
                c.prior = WHOLE_PHRASE_PRIOR
                out.append(c)
        # "What is X called?" -> "X is called Y": what follows a naming verb.
        if _ASKS_NAME.search(q.text):
            for m in _NAMING.finditer(text, lo, hi):
                after = [c for c in out if c.start >= m.end() and not text[m.end() : c.start].strip(" \"“'‘«")]
                for c in after:
                    out.append(Candidate(c.start, c.end, THING, c.prior + NAMED))
        # "destruction of the forest", "theorem of arithmetic": a noun phrase with its of-phrase.
        for a, b in zip(chunks, chunks[1:]):
            if re.fullmatch(r"\s+of\s+(?:(?:the|a|an)\s+)?", text[a.end : b.start]):
                out.append(Candidate(a.start, b.end, THING, OF_PRIOR))
        if q.plural:
            out += list_candidates(text, chunks) + list_candidates(text, names)
        return out
    return []
