"""The one tokenizer for passages and questions: Unicode words, case-folded, stop words out, Snowball stems.

English and Russian are stemmed with PyStemmer's Snowball stemmers, chosen per word by its script, so
an article or a question may mix both. A saved index records `TOKENIZER_ID` and is rebuilt under
another one.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

import Stemmer

TOKENIZER_NAME = "newsqa-snowball"
TOKENIZER_VERSION = "1"
TOKENIZER_ID = f"{TOKENIZER_NAME}/{TOKENIZER_VERSION}/pystemmer-{Stemmer.version()}"

# Letters and digits; everything else (punctuation, en and em dashes, apostrophes) separates words.
_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")

# Snowball's English stop list (snowballstem.org/algorithms/english/stop.txt), plus the pieces that
# contractions leave once the apostrophe splits them ("isn't" gives "isn" and "t").
STOP_WORDS_EN = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her
    hers herself it its itself they them their theirs themselves what which who whom this that these
    those am is are was were be been being have has had having do does did doing would should could
    ought a an the and but if or because as until while of at by for with about against between into
    through during before after above below to from up down in out on off over under again further
    then once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very cannot
    s t d ll m re ve isn aren wasn weren hasn haven hadn doesn don didn wouldn shan shouldn can
    couldn mustn let
    """.split()
)

# Snowball's Russian stop list (snowballstem.org/algorithms/russian/stop.txt).
STOP_WORDS_RU = frozenset(
    """
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было
    вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас
    нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их
    чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому этого какой
    совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда зачем всех никогда можно при
    наконец два об другой хоть после над больше тот через эти нас про всего них какая много разве три
    эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно
    всю между
    """.split()
)

# Snowball stems regular inflections only; irregular English verb forms are mapped to their base
# form first so that "said" meets "say" and "held" meets "hold".
_IRREGULAR_EN = {
    form: base
    for base, forms in {
        "arise": "arose arisen", "awake": "awoke awoken", "bear": "bore borne", "beat": "beaten",
        "become": "became", "begin": "began begun", "bend": "bent", "bind": "bound", "bite": "bit bitten",
        "bleed": "bled", "blow": "blew blown", "break": "broke broken", "breed": "bred", "bring": "brought",
        "build": "built", "buy": "bought", "catch": "caught", "choose": "chose chosen", "cling": "clung",
        "come": "came", "creep": "crept", "deal": "dealt", "dig": "dug", "draw": "drew drawn",
        "drink": "drank drunk", "drive": "drove driven", "eat": "ate eaten", "fall": "fell fallen",
        "feed": "fed", "feel": "felt", "fight": "fought", "find": "found", "flee": "fled", "fly": "flew flown",
        "forbid": "forbade forbidden", "forget": "forgot forgotten", "forgive": "forgave forgiven",
        "freeze": "froze frozen", "get": "got gotten", "give": "gave given", "go": "went gone",
        "grow": "grew grown", "hang": "hung", "hear": "heard", "hide": "hid hidden", "hold": "held",
        "keep": "kept", "know": "knew known", "lead": "led", "leave": "left", "lend": "lent",
        "lose": "lost", "make": "made", "mean": "meant", "meet": "met", "mislead": "misled",
        "overcome": "overcame", "pay": "paid", "ride": "rode ridden", "ring": "rang rung",
        "rise": "rose risen", "run": "ran", "say": "said", "see": "saw seen", "seek": "sought",
        "sell": "sold", "send": "sent", "shake": "shook shaken", "shoot": "shot", "shrink": "shrank shrunk",
        "sing": "sang sung", "sink": "sank sunk", "sit": "sat", "sleep": "slept", "slide": "slid",
        "speak": "spoke spoken", "speed": "sped", "spend": "spent", "spin": "spun", "stand": "stood",
        "steal": "stole stolen", "stick": "stuck", "sting": "stung", "strike": "struck",
        "strive": "strove striven", "swear": "swore sworn", "sweep": "swept", "swim": "swam swum",
        "swing": "swung", "take": "took taken", "teach": "taught", "tear": "tore torn", "tell": "told",
        "think": "thought", "throw": "threw thrown", "understand": "understood", "undertake": "undertook undertaken",
        "wake": "woke woken", "wear": "wore worn", "weep": "wept", "win": "won", "withdraw": "withdrew withdrawn",
        "write": "wrote written", "man": "men", "woman": "women", "child": "children",
    }.items()
    for form in forms.split()
}

_STEMMERS = {"en": Stemmer.Stemmer("english"), "ru": Stemmer.Stemmer("russian")}


class Token(NamedTuple):
    """A word of a text: its index term, where it is, and whether it is a stop word."""

    term: str
    start: int
    end: int
    stop: bool


@lru_cache(maxsize=200_000)
def _term(word: str) -> tuple[str, bool]:
    """Index term of one already-normalised word, and whether it is a stop word."""
    if _CYRILLIC.search(word):
        return _STEMMERS["ru"].stemWord(word), word in STOP_WORDS_RU
    if word in STOP_WORDS_EN or (len(word) == 1 and not word.isdigit()):
        return word, True
    return _STEMMERS["en"].stemWord(_IRREGULAR_EN.get(word, word)), False


def normalize_word(word: str) -> str:
    """Unicode-normalise (NFKC) and case-fold one word."""
    return unicodedata.normalize("NFKC", word).casefold()


@lru_cache(maxsize=200_000)
def _word_term(raw: str) -> tuple[str, bool]:
    """Index term of one word as written, and whether it is a stop word (cached: words repeat)."""
    term, stop = _term(normalize_word(raw))
    if stop and raw.isupper() and len(raw) > 1 and not _CYRILLIC.search(raw):
        # "US" is a country, "IT" an industry: an all-capitals word is kept even if its
        # lower-case form is a stop word.
        term, stop = _STEMMERS["en"].stemWord(normalize_word(raw)), False
    return term, stop


def iter_tokens(text: str) -> list[Token]:
    """Every word of `text` with its character span; stop words are marked, not removed."""
    return [Token(term, m.start(), m.end(), stop) for m in _WORD.finditer(text) for term, stop in (_word_term(m.group()),)]


def tokenize(text: str) -> list[str]:
    """Index terms of `text`, stop words removed: the same function for passages and questions."""
    return [term for term, stop in map(_word_term, _WORD.findall(text)) if not stop]
