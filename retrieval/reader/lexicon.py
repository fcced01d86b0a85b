"""The word lists the rule reader's question analysis and span rules share, defined once, by role."""

from __future__ import annotations

# Nouns that name a person by the role news copy gives them ("chief executive Dagny Ferrow", "the judge",
# "which minister"), written once: the question analysis (who is asked for), the span rules (a role before
# a name is not part of it) and the conversation's entities (a role heads a person) all read these.
PERSON_ROLES = frozenset(
    "president president-elect spokesman spokeswoman spokesperson minister secretary chairman chairwoman "
    "director king queen prince princess duke emperor ruler pope bishop general colonel commander captain "
    "senator governor mayor chancellor premier ambassador envoy representative adviser advisor aide official "
    "leader chief head ceo executive founder editor journalist reporter judge justice prosecutor lawyer "
    "attorney professor historian economist analyst scientist coach manager player striker goalkeeper "
    "defender midfielder".split()
)
# Titles written before a name.
NAME_TITLES = frozenset("mr mrs ms dr prof sir lord lady".split())

# The calendar's words, written once: the date patterns of the rules, the answer-type check, the
# conversation's time entities, the dateline test of ingestion and the time-aware notes all read these.
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")
MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Qualifiers of a quantity that say the same: "more than an hour" and "over an hour" are one answer, not a
# disagreement between articles (`assemble.add_conflicts`). Each group is read as its first word.
SAME_QUALIFIERS = (
    ("over", ("more than", "upwards of", "in excess of", "just over")),
    ("about", ("around", "roughly", "approximately", "some", "an estimated", "estimated", "circa")),
    ("under", ("less than", "fewer than", "just under")),
)

# Auxiliaries that stand before a question's subject: "When DID Putin call?", "What HAS he said?".
AUXILIARY_VERBS = frozenset("did does do will would can could should shall might must may has have had".split())
# Forms of "be" that make a question a copula question: "Who IS Bob Woodward?".
COPULAS = frozenset("is was are were be been".split())
# The finite forms of "be" beside a candidate that make it the subject or complement of a copula.
FINITE_COPULAS = frozenset("is was are were".split())
# Forms of "be" and "have" before a participle: "was built", "has been named".
BE_AND_HAVE = frozenset("is was are were be been being am has have had having".split())
# What may stand between a subject and its verb and is not the verb: auxiliaries, modals, a few adverbs.
# Not the forms of "be": "X was listed by Y" makes X the object of "listed".
VERB_LEAD_INS = frozenset("had has have did does do will would could can should may might must also then reportedly".split())
# Prepositions a question's head noun phrase ends before ("What river IN ...").
QUESTION_PREPOSITIONS = frozenset(
    "in on at by for from to with into about than after before during since under over between among against "
    "through across along around near within without upon toward towards behind beyond".split()
)
# Words that end a noun-phrase chunk in a passage: prepositions and subordinating conjunctions.
CHUNK_PREPOSITIONS = frozenset(
    "of in on at by for with from to into onto upon over under about against between among amongst through "
    "during before after above below across along around behind beyond near since until within without via "
    "per toward towards throughout despite like unlike including except than whereas while because although "
    "though if unless whether as so".split()
)
# Currencies written as a word after an amount ("42 million dollars", "25 pounds"): part of the amount.
CURRENCY_WORDS = frozenset(
    "dollars dollar euros euro pounds pound sterling yen yuan renminbi rubles roubles ruble rouble francs franc "
    "kronor krona kroner krone crowns rupees rupee pesos peso cents pence".split()
)
