"""The word lists and patterns the conversation's rules read questions with."""

from __future__ import annotations

import re

from retrieval.reader.lexicon import AUXILIARY_VERBS, COPULAS, MONTH_NAMES, NAME_TITLES, PERSON_ROLES, QUESTION_PREPOSITIONS, WEEKDAY_NAMES
from retrieval.reader.question import AMOUNT, DATE, DEFINITION, DURATION, NUMBER, PERSON, PLACE, THING

# Entity kinds. NAME is a capitalised name whose kind the question does not tell.
PERSON_E, PLACE_E, THING_E, TIME_E, QUANTITY_E, NAME_E = "person", "place", "thing", "time", "quantity", "name"

MAX_TURNS = 8  # a conversation keeps this many turns
LOOKBACK = 3  # pronouns look this many turns back for their antecedent
SHORT_ANSWER_WORDS = 6  # a longer answer is a statement, not an entity to refer back to

WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*(?:['’]s)?")
WH_WORDS = frozenset("what which who whom whose when where why how".split())
DETERMINERS = frozenset("the a an this that these those its his her their our your my each every".split())
DEMONSTRATIVES = frozenset("this that these those".split())
NAME_JOINERS = frozenset("of de del der van von la le bin al".split())
# Words of chat that name nothing, so never stand for a name or an entity: "gonna", "tho", "whats"
# (what's typed without its apostrophe), "diff question", "anything".
CHAT_WORDS = frozenset(
    "gonna wanna gotta gimme tho though ok okay oh hey hi yeah yep yes nah no lol pls please sorry anyway btw "
    "diff different other thing topic question switching whats hows wheres whos whens whys thats theres its "
    "anything something nothing everything anyone someone anybody somebody everyone everybody mean".split()
)
FUNCTION_WORDS = (
    AUXILIARY_VERBS | COPULAS | QUESTION_PREPOSITIONS | WH_WORDS | DETERMINERS | CHAT_WORDS
    | frozenset("and or but not also then there it he she they we you i so as if of".split())
)
# Words before a name that say it names a person: titles and the roles news copy puts before names.
PERSON_TITLES = PERSON_ROLES | NAME_TITLES | frozenset(["prime"])
# A name ending in one of these names an organisation or a thing, not a person.
THING_HEADS = frozenset(
    "post times institute institution organization organisation bank union court agency company group council "
    "party ministry government university college committee commission office service association federation "
    "fund league club corporation airlines news network house summit treaty act plan accord agreement deal "
    "storm hurricane typhoon cyclone bridge airport station stadium".split()
)
MONTHS = "|".join(m.lower() for m in MONTH_NAMES)
TIME_RE = re.compile(
    rf"\b(?:(?:on|in|at|since|until|by|during|from)\s+)?(?:(?:(?:{MONTHS})\s+\d{{1,2}},?\s+\d{{4}})|(?:\d{{1,2}}\s+(?:{MONTHS})\s+\d{{4}})"
    rf"|(?:(?:early|late|mid-)?\s*(?:{MONTHS})(?:\s+\d{{4}})?)|(?:1[5-9]\d\d|20\d\d)s?"
    r"|(?:(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|\d+)\s+(?:years?|months?|weeks?|days?|decades?)\s+(?:ago|earlier|later|before))"
    r"|(?:(?:last|next|this|the\s+previous|the\s+following)\s+(?:year|month|week|season|summer|winter|spring|autumn|time)))\b",
    re.IGNORECASE,
)
NUMBER_RE = re.compile(r"\b\d[\d,.]*\b")

# Question phrases a bare follow-up may consist of: "Why?", "In which month?", "How much?".
FRAGMENT_WH = re.compile(
    r"(?:(?P<prep>in|on|at|by|since|until|for|from|during|to)\s+)?"
    r"(?P<wh>since\s+when|how\s+come|how\s+(?:much|many)(?:\s+[a-z]+)?|how(?:\s+(?:long|often|old|far|soon|big|large))?"
    r"|(?:what|which)\s+[a-z][\w-]*|who\s+else|whom?|when|where|why)"
    r"(?:\s+(?:exactly|precisely|then|so|again|though))?",
    re.IGNORECASE,
)
ELLIPSIS = re.compile(r"(?:and|but|also|so)?\s*(?:(?:what|how)\s+about\s+|and\s+)(?P<x>.+)", re.IGNORECASE)
PRONOUN_ELLIPSIS = re.compile(
    r"(?:and|but|also|so)?\s*(?:(?:what|how)\s+about\s+|and\s+)(?:him|her|them|it|he|she|they|this|that|those)", re.IGNORECASE)
ADVERBIAL_WH = frozenset("when where why how".split())
# Questions whose answer names something a follow-up can refer to; a statement ("what did she say")
# or a reason is not one.
ENTITY_ANSWERS = frozenset({PERSON, PLACE, DATE, NUMBER, AMOUNT, DURATION, THING, DEFINITION})
TIME_NOUNS = frozenset("year years month months day days date time decade century week weeks hour season".split())
NP_DETERMINERS = frozenset("the a an its his her their this that these those each".split())
CALENDAR = re.compile(rf"(?:{MONTHS}|{'|'.join(d.lower() for d in WEEKDAY_NAMES)})", re.IGNORECASE)
# "Which company ...", "What team ...": the answer is an organisation, "it" rather than "he".
ORGANISATION_WH = re.compile(
    r"\s*(?:which|what)\s+(?:[a-z-]+\s+)?(?:company|companies|organi[sz]ation|group|newspaper|agency|team|party|"
    r"institution|university|network|channel|firm|club|bank|union|court|government|body)\b", re.IGNORECASE)

