import json
import re
import string
from pathlib import Path

import pytest

from retrieval.answer import analyze_question
from retrieval.sentences import split_sentences
from retrieval.engine import Engine
from tests.helpers import REPO, SEEDS, write_article

# These test the rule reader; tests/test_reader.py tests the neural one.
pytestmark = pytest.mark.usefixtures("rules_reader")

SEED_DEV = REPO / "tests" / "data" / "seed_dev.jsonl"


def squad_normalize(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


@pytest.fixture(scope="module")
def seeds() -> Engine:
    return Engine.open(SEEDS)


# Answers the span rules gave and the neural reader, now preferred by the fitted decision, does not.
REGRESSED = "the neural reader answers where the span rules did (issue 24: the decision fitted on validation questions prefers the model); a known regression, listed in the issue note"
_SEED_DEV_REGRESSED = {"d05", "d09"}
# Close calls between the model's span and the rules' (or no answer), which the 7-bit requantised reader
# (stop 31: bench/quantize.py, so that every x86 CPU computes the same answers) and its refitted decision
# decide the other way: d07 gets "Veteran" and d08 the call's date (the rules were surer by about 0.2;
# `rules_lead` is 0.3). Before, they passed on CPUs with AVX-512 VNNI and failed on AVX2 ones (stop 30's
# note). Not strict: the emulated-AVX2 check (bench/cpu_independence.py) still moves logits by up to 0.9.
CLOSE_CALL = "a close call that the 7-bit reader decides the other way (see the comment above)"
_SEED_DEV_CLOSE_CALLS = {"d07", "d08"}


def _marks(case_id: str) -> list:
    if case_id in _SEED_DEV_REGRESSED:
        return [pytest.mark.xfail(strict=True, reason=REGRESSED)]
    if case_id in _SEED_DEV_CLOSE_CALLS:
        return [pytest.mark.xfail(strict=False, reason=CLOSE_CALL)]
    return []


def _seed_dev() -> list:
    cases = [json.loads(line) for line in SEED_DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [pytest.param(c, id=c["id"], marks=_marks(c["id"])) for c in cases]


@pytest.mark.parametrize("case", _seed_dev())
def test_seed_dev(seeds: Engine, case: dict) -> None:
    answer = seeds.ask(case["question"])
    if case["answerable"]:
        assert answer.answer is not None, answer.note
        assert squad_normalize(answer.answer) in {squad_normalize(g) for g in case["answers"]}
    else:
        assert answer.answer is None
        assert answer.citations == []


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("when was the last Putin–Biden call?", "February 12, 2022"),
        ("When did Putin and Biden last speak?", "February 12, 2022"),
        ("Who is the Kremlin spokesman?", "Dmitry Peskov"),
        ("Where was the 2018 Russia-US summit held?", "Helsinki"),
        ("When did the last reported Putin-Trump phone call take place?", "July 2020"),
        ("How long did Putin and Biden talk in February 2022?", "more than an hour"),
        pytest.param("who is bob woodward?", "a member of the editorial board of the Washington Post newspaper", marks=pytest.mark.xfail(strict=True, reason=REGRESSED)),
        # "... to Trump and then-US President-elect Joe Biden": not the other name coordinated with him.
        pytest.param("Who is Joe Biden?", "then-US President-elect", marks=pytest.mark.xfail(strict=False, reason=CLOSE_CALL)),  # "Trump" at 0.45
        # An object pronoun between the question's verb and the answer: "wishing him a speedy recovery".
        pytest.param("What did Putin wish Trump?", "speedy recovery", marks=pytest.mark.xfail(strict=True, reason=REGRESSED)),
        ("Who suggested Trump and Putin communicated after his term?", "Bob Woodward"),
        # "He described the Washington Post and Reuters reports ...": the describer, not the described.
        pytest.param("Who described the reports as an example of the quality of information?", "Dmitry Peskov", marks=pytest.mark.xfail(strict=True, reason=REGRESSED)),
        # A "when" clause inside a what-question does not make it a when-question.
        pytest.param("What did Putin send Trump when he had coronavirus?", "message", marks=pytest.mark.xfail(strict=True, reason=REGRESSED)),
        # The subject before its verb, past the auxiliary: "Biden had sent him a letter regarding Ukraine".
        ("Who sent Putin a letter?", "Biden"),
        ("What did the US media allege?", "Putin and Trump had discussed the situation in Ukraine and peace on the European continent"),
        # The name of a person is a person; the last or first name is one word of it.
        ("What is the name of the Kremlin spokesman?", "Dmitry Peskov"),
        pytest.param("What is the last name of the Kremlin spokesman?", "Peskov", marks=pytest.mark.xfail(strict=True, reason=REGRESSED)),
        pytest.param("What is the first name of the Kremlin spokesman?", "Dmitry", marks=pytest.mark.xfail(strict=True, reason=REGRESSED)),
        pytest.param("What is the surname of the Russian president?", "Putin", marks=pytest.mark.xfail(strict=True, reason=REGRESSED)),
        # A question ending on its preposition: the answer follows that preposition in the text.
        ("What did Putin wish Trump a speedy recovery from?", "coronavirus|COVID"),  # one article says each
        # "Who is <a description>?": the name the description stands beside, as an apposition.
        ("Who is a member of the editorial board of the Washington Post?", "Bob Woodward"),
        # A date does not repeat the year the question gives.
        pytest.param("In which month of 2018 was the Helsinki summit?", "July", marks=pytest.mark.xfail(strict=True, reason=REGRESSED)),
    ],
)
def test_other_phrasings(seeds: Engine, question: str, expected: str) -> None:
    answer = seeds.ask(question)
    assert answer.answer is not None and squad_normalize(answer.answer) in {squad_normalize(e) for e in expected.split("|")}


@pytest.mark.parametrize(
    "question",
    [
        "When did Putin and Xi Jinping last talk?",  # Putin is everywhere, Xi Jinping nowhere
        "What is the exchange rate of the Belarusian ruble?",  # only the dropped ticker lines had it
        "What is the population of Moscow?",
        "When did Putin last talk to Macron?",
        # Answered just over `abstain` (0.286 against 0.275), with a low confidence.
        pytest.param("Who won the 2024 election?", marks=pytest.mark.xfail(strict=False, reason=CLOSE_CALL)),
    ],
)
def test_abstains_when_the_articles_do_not_say(seeds: Engine, question: str) -> None:
    answer = seeds.ask(question)
    assert answer.answer is None
    assert answer.confidence == 0
    assert answer.note and answer.note.startswith("Not found in the articles")


@pytest.mark.parametrize("question", ["", "   ", "?!?", "🙂🙂🙂", "the of and", "x" * 10_000, "when " * 2000])
def test_odd_questions_get_an_answer_or_not_found(seeds: Engine, question: str) -> None:
    answer = seeds.ask(question)
    assert answer.question == question
    assert answer.answer is None or answer.citations


def test_citations_are_verifiable_and_corroborated(seeds: Engine) -> None:
    answer = seeds.ask("When was the last phone call between Putin and Biden?")
    first = answer.citations[0]
    assert first.passage_text[first.start : first.end] == answer.answer
    assert answer.sentence in first.passage_text
    assert first.published == "2024-11-11" and first.paragraph == 11
    # the second article reports the same call and is cited too
    assert {c.article_id for c in answer.citations} == {"000_b25523e41b776a03", "001_03d8b65938a66cc9"}
    for c in answer.citations:
        assert squad_normalize(c.passage_text[c.start : c.end]) == squad_normalize(answer.answer)
    assert answer.note == "Reported by 2 articles."


def test_a_passage_that_only_names_the_answer_does_not_corroborate_it(seeds: Engine) -> None:
    """Only passages whose answer sentence bears on the question are cited: "congratulated Trump and
    Biden" names Biden but says nothing about who sent Putin a letter."""
    answer = seeds.ask("Who sent Putin a letter?")
    assert answer.answer == "Biden"
    assert len(answer.citations) == 2 and answer.note and answer.note.startswith("Reported by 2 articles.")
    for c in answer.citations:
        assert "letter" in c.passage_text
        assert "congratulated" not in c.passage_text


def test_one_article_corpus_ranks_by_the_word_that_differs(tmp_path: Path) -> None:
    write_article(
        tmp_path,
        "council.txt",
        "Council votes\n\n"
        "The council approved the harbour plan on Monday.\n\n"
        "The council approved the airport plan on Friday.\n\n"
        "The council approved the railway plan on Sunday.\n",
    )
    engine = Engine.open(tmp_path)
    assert engine.ask("When was the airport plan approved?").answer == "Friday"
    assert engine.ask("When was the harbour plan approved?").answer == "Monday"


def test_two_article_corpus_term_in_half_the_passages_still_counts(tmp_path: Path) -> None:
    # "budget" is in exactly half of the passages: rank_bm25's own idf would make it worth 0.
    write_article(tmp_path, "a.txt", "Budget news\n\nThe budget was approved on March 3, 2023.\n")
    write_article(tmp_path, "b.txt", "Weather news\n\nHeavy snow closed the roads on January 9, 2023.\n")
    engine = Engine.open(tmp_path)
    answer = engine.ask("When was the budget approved?")
    assert answer.answer == "March 3, 2023"
    assert engine.ask("When did snow close the roads?").answer == "January 9, 2023"


@pytest.mark.parametrize(
    ("sentence", "question", "expected"),
    [
        ("The treaty was signed on 4 July 1998 in the capital.", "When was the treaty signed?", "4 July 1998"),
        ("The treaty was signed in March 1998 in the capital.", "When was the treaty signed?", "March 1998"),
        ("The ferry to Tallinn leaves at noon every day.", "When does the ferry to Tallinn leave?", "noon"),
        ("The last bus left at 11.30pm on the day of the storm.", "When did the last bus leave?", "11.30pm"),
        ("Talks resumed on Tuesday morning in Geneva.", "When did talks resume in Geneva?", "Tuesday morning"),
        ("The negotiations lasted almost three weeks before a deal.", "How long did the negotiations last?", "almost three weeks"),
        ("Denver took a 24–10 lead with 3:08 left in the game.", "How much time was left in the game?", "3:08"),
        ("The flood displaced 4,500 residents of the valley.", "How many residents did the flood displace?", "4,500"),
        # A rate is a percentage; a change of it keeps its unit; a possessive is not the head noun.
        ("The bank raised its key rate by 200 basis points to 21% on Friday.", "What is the new key rate?", "21%"),
        ("The bank raised its key rate by 200 basis points to 21% on Friday.", "By how much did the bank raise its key rate?", "200 basis points"),
        ("Inflation was running well above the bank's 4% target.", "What is the bank's inflation target?", "4%"),
        ("The two leaders met twice before the summit.", "How many times did the two leaders meet?", "twice"),
        # A range in words, with its unit and "between".
        ("Each dose costs between two and four dollars, about half the price.", "How much does each dose cost?", "between two and four dollars"),
        ("Rovers beat City 2-1 in Saturday's semi-final in front of 41,000 fans.", "What was the score of the semi-final?", "2-1"),
        # The number of the noun counted, not the nearest number.
        ("Each ferry will carry up to 1,200 passengers and 400 cars.", "How many cars can each ferry carry?", "400"),
        ("Each ferry will carry up to 1,200 passengers and 400 cars.", "How many passengers can each ferry carry?", "up to 1,200"),
        ("The bridge cost $12.5 million to build.", "How much did the bridge cost?", "$12.5 million"),
        # Fractions are numbers; a rate keeps its "per"; "how strong" asks for a measure.
        ("The new ferries will cut the company's emissions by a third.", "By how much will the ferries cut emissions?", "a third"),
        ("The plague killed two-thirds of the city's population.", "How much of the population did the plague kill?", "two-thirds"),
        ("Wind gusts reached 38 metres per second on the coast.", "How strong were the wind gusts?", "38 metres per second"),
        ("The plan was drafted by Finance Minister Maria Olsen last spring.", "Who drafted the plan?", "Maria Olsen"),
        ("The delegates met in Geneva to discuss the plan.", "Where did the delegates meet?", "Geneva"),
        # Reported speech without "that", as news writes it.
        ("The company, based in Leipzig, said it would appeal the ruling.", "What did the company say it would do?", "it would appeal the ruling"),
        ("Shokhin warned the high borrowing costs would hurt investment.", "What did Shokhin warn?", "the high borrowing costs would hurt investment"),
        # What an acronym stands for: "stand for" is no key term, the long form is the answer.
        ("Gusts reached 38 metres per second, the Swedish Meteorological and Hydrological Institute (SMHI) said.",
         "What does SMHI stand for?", "Swedish Meteorological and Hydrological Institute"),
        # The agent of the question's own verb in a passive: "made by", not "developed by".
        ("The vaccine, developed by the University of Oxford and made by the Serum Institute of India, was approved.",
         "Who makes the vaccine?", "Serum Institute of India"),
        ("The vaccine, developed by the University of Oxford and made by the Serum Institute of India, was approved.",
         "Who developed the vaccine?", "University of Oxford"),
        ("Deliveries to other countries are expected to begin early next year.", "When are deliveries expected to begin?", "early next year"),
        # A number is never where, even after "in".
        ("The old ferry was built in 1991 and sails from the port of Turku.", "Where was the old ferry built?", "Turku"),
        # "Who is <a description>?": the name the description stands beside as an apposition.
        ("The talks stalled, and Anna Berg, the chief negotiator of the union, left the room.", "Who is the chief negotiator of the union?", "Anna Berg"),
        # A where-answer is a name marked as a place (after in/at/near...), not the people beside the verb.
        ("During the visit, President Jean-Paul Moreau and Chancellor Karl Heinz Weber signed the treaty in Bonn.", "Where was the treaty signed?", "Bonn"),
        ("The orchestra, led by Maria Elena Garcia Lopez, performed the symphony in Vienna.", "Where did the orchestra perform the symphony?", "Vienna"),
        ("Marco Ruiz, the head of the port authority, resigned.", "Who is Marco Ruiz?", "the head of the port authority"),
        ("“We will not give up,” the mayor said after the vote.", "What did the mayor say?", "We will not give up"),
    ],
)
def test_span_types(tmp_path: Path, sentence: str, question: str, expected: str) -> None:
    write_article(tmp_path, "a.txt", f"Local news\n\n{sentence}\n\nThe weather was mild and dry all week long.\n")
    answer = Engine.open(tmp_path).ask(question)
    assert answer.answer == expected
    assert answer.sentence == sentence


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When did it happen?", "date"),
        ("What year was it founded?", "date"),
        ("How long did the call last?", "duration"),
        ("How many people came?", "number"),
        ("How much did it cost?", "amount"),
        ("Who signed the deal?", "person"),
        ("Who is Bob Woodward?", "definition"),
        ("Where did they meet?", "place"),
        ("Why did the talks fail?", "reason"),
        ("What did Peskov say about the call?", "say"),
        ("What was discussed?", "thing"),
        ("What was the estimated population of the town?", "number"),
        ("What percentage of voters stayed home?", "number"),
        ("What was the annual fee for the channels?", "amount"),
        ("How far is the town from the coast?", "number"),
        ("How did the council fund the bridge?", "manner"),
        ("What enemy of Doctor Who is also a Time Lord?", "thing"),
        ("When did The Who tour Japan?", "date"),
        ("In what decades was the composer most active?", "date"),
        ("Who was the leader when the army entered the valley?", "person"),
        ("What did the mayor say when the vote failed?", "say"),
        ("Did Putin and Trump talk after the election?", "yes/no"),
        ("Was the summit held in Helsinki?", "yes/no"),
        ("Is it true that the talks failed, and why?", "reason"),
        # A what/which first, then a clause opened by when/why/how: a thing is asked.
        ("What did Putin send Trump when he was ill?", "thing"),
        ("What happens to the norm when a number is doubled?", "thing"),
        ("Which law was passed when the war ended, and why?", "thing"),
        # ... but after a time noun "when" is relative, and a relative who keeps its person.
        ("What was the year when the bridge opened?", "date"),
        ("What is the name of the player who scored?", "person"),
        ("What is the name of the Kremlin spokesman?", "person"),
        ("What was the name of the city that hosted the summit?", "place"),
        ("What was the name of the Norman castle?", "thing"),
        ("What is the estimate of how many doctors left?", "number"),
        ("How soon would the conflict end?", "duration"),
        ("How strong were the gusts?", "number"),
        ("What did the US media allege?", "say"),
        ("What did the ministry confirm about the talks?", "say"),
        # A reporting verb after a determiner is a noun: "their call", "the statement".
        ("What did Putin and Biden focus on in their call?", "thing"),
        ("What did Peskov call the reports?", "say"),
    ],
)
def test_question_types(question: str, kind: str) -> None:
    assert analyze_question(question).kind == kind


@pytest.mark.parametrize(
    ("question", "stranded"),
    [
        ("What was the plague blamed on?", "on"),
        ("Who was the report written for ?", "for"),
        ("What did Putin wish Trump a speedy recovery from?", "from"),
        ("What did Putin wish Trump?", None),
        ("Where did Putin and Trump meet in July 2018?", None),
    ],
)
def test_a_question_ending_on_its_preposition_says_which(question: str, stranded: str | None) -> None:
    assert analyze_question(question).stranded == stranded


def test_recency_is_noticed_but_not_the_verb_last() -> None:
    assert analyze_question("When was the latest call?").recency
    assert not analyze_question("How long did the call last?").recency
    assert "last" not in analyze_question("How long did the call last?").terms
    # The verb in the middle of the question too; "the last call" is still recency.
    assert not analyze_question("How long would the strike last after the vote?").recency
    assert "last" not in analyze_question("How long would the strike last after the vote?").terms
    assert analyze_question("How long was the last call?").recency
    assert analyze_question("How long did Putin's last call take?").recency


@pytest.mark.xfail(strict=True, reason=REGRESSED)
def test_a_reporting_verb_is_not_read_into_a_noun(seeds: Engine) -> None:
    """"their call" is a noun; "call the reports" is the verb, answered from "described ... as"."""
    answer = seeds.ask("What did Peskov call the reports?")
    assert answer.sentence is not None and "described" in answer.sentence
    assert answer.answer is not None and answer.answer.startswith("the most remarkable example")


def test_a_number_is_never_who(seeds: Engine) -> None:
    # "... wished a happy New Year 2021 and a merry Christmas to Trump and ... Joe Biden"
    answer = seeds.ask("Who did Putin congratulate on the New Year?")
    assert answer.answer is not None and re.search(r"[A-Za-z]", answer.answer)


@pytest.mark.xfail(strict=True, reason=REGRESSED)
def test_a_yes_no_question_is_answered_with_the_sentence(seeds: Engine) -> None:
    answer = seeds.ask("Did Putin and Trump talk after the election?")
    assert answer.answer is not None and answer.answer == answer.sentence
    assert answer.confidence <= 0.5


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Mr. Smith arrived. He left at 5 p.m. on Monday.", ["Mr. Smith arrived.", "He left at 5 p.m. on Monday."]),
        ("“There was no conversation,” he said. “This is untrue.”", ["“There was no conversation,” he said.", "“This is untrue.”"]),
        ("J. K. Rowling wrote it. It sold well.", ["J. K. Rowling wrote it.", "It sold well."]),
        ("The U.S. and Russia talked. Then they stopped.", ["The U.S. and Russia talked.", "Then they stopped."]),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert [text[a:b] for a, b in split_sentences(text)] == sentences


@pytest.mark.parametrize(
    ("question", "kind", "head", "role"),
    [
        ("In what year did the war end?", "date", None, "object"),
        ("What river runs alongside the city?", "thing", "river", "subject"),
        ("What type of atmosphere fuelled the fire?", "thing", "atmospher", "subject"),
        ("What was the name of the storm that hit the city?", "thing", "storm", "copula"),
        ("What did the council approve?", "thing", None, "object"),
        ("What occurs after a dive?", "thing", None, "subject"),
        ("Who suggested Trump and Putin talked?", "person", None, "subject"),
        ("Когда прошла встреча?", "date", None, "object"),
        ("Сколько делегаций приехало?", "number", None, "object"),
        ("Где прошла встреча?", "place", None, "object"),
        ("Кто подписал соглашение?", "person", None, "object"),
    ],
)
def test_question_head_and_role(question: str, kind: str, head: str | None, role: str) -> None:
    q = analyze_question(question)
    assert (q.kind, q.head, q.role) == (kind, head, role)


@pytest.mark.parametrize(
    ("sentence", "question", "expected"),
    [
        ("The city lies on the banks of the St. Johns River, south of the state line.", "What river does the city lie on?", "St. Johns River"),
        ("In 1891 Scottish chemist James Dewar produced liquid oxygen.", "What chemist produced liquid oxygen?", "James Dewar"),
        ("The band played at 4:51 in the afternoon.", "What was the time when the band played?", "4:51"),
        ("The Broncos scored 11 points in the final minutes.", "How many points did the Broncos score in the final minutes?", "11"),
        ("The line carries over 37 million passengers a year.", "How many passengers does the line carry a year?", "over 37 million"),
        ("Roughly 500,000 settlers had fled the country by 1700.", "How many settlers fled the country by 1700?", "500,000"),
        ("Decompression sickness occurs in divers who surface too quickly.", "What occurs in divers who surface too quickly?", "Decompression sickness"),
        ("The population of the old fort at this period was estimated at 2,000.", "What was the estimated population of the old fort?", "2,000"),
        ("Some remote sensing scientists have proposed measuring the radiance of leaves.", "What style of sensing do scientists use to measure radiance?", "remote"),
        ("The old canal originally carried coal to the harbour.", "What did the old canal carry to the harbour?", "coal"),
        ("Many pharmacists now work for large companies (mainly Omnicare, Kindred Healthcare and PharMerica).", "What are some large pharmacy companies?", "Omnicare, Kindred Healthcare and PharMerica"),
        ("Louis XIV later issued the Edict of Fontainebleau, which abolished legal recognition of Protestantism.", "What proclamation abolished legal recognition of Protestantism?", "Edict of Fontainebleau"),
        ("Although several players dove into the pile to recover it, Newton did not.", "Which player did not dive into the pile to recover it?", "Newton"),
        ("Then Anderson scored on a 2-yard touchdown run.", "Who scored a 2-yard touchdown run?", "Anderson"),
        ("Hobson argued that reforms could cure imperialism by removing its economic foundation.", "How did Hobson argue reforms could cure imperialism?", "removing its economic foundation"),
        ("In most jurisdictions, pharmacists are regulated separately from physicians.", "How are pharmacists regulated in most jurisdictions?", "separately"),
        ("The eye crossed the coast with winds of 110 mph.", "How fast were the winds when the eye crossed the coast?", "110 mph"),
        ("The Grainger Market, like most in Grainger Town, was listed grade I in 1954 by English Heritage.", "Who listed the Grainger Market as grade I in 1954?", "English Heritage"),
        ("The Luther Bible influenced other translations, such as William Tyndale's English Bible.", "Whose English translation of the Bible did the Luther Bible influence?", "William Tyndale"),
        ("Muhammad ibn Zakariya Razi acted to promote the medical uses of chemical compounds.", "Who promoted the medical uses of chemical compounds?", "Muhammad ibn Zakariya Razi"),
        ("Later the crew tested the capsule in the altitude chamber at the Cape.", "Where did the crew test the capsule at the Cape?", "altitude chamber"),
        ("Most consultant pharmacists work in nursing homes, but some branch out.", "Where do most consultant pharmacists work?", "nursing homes"),
        ("The destruction of the forest was caused by cattle ranching.", "What was caused by cattle ranching?", "destruction of the forest"),
        ("The Mongols were crushed at the Battle of Bạch Đằng in 1288.", "In what battle were the Mongols crushed?", "Battle of Bạch Đằng"),
        ("The most prominent county in the region is Duval County, home to the port.", "In which county is the port?", "Duval County"),
        ("Non-revolutionary civil disobedience is a simple disobedience of laws judged wrong by a conscience.", "What is a simple form of civil disobedience?", "Non-revolutionary civil disobedience"),
        ("A Norman named Oursel led a force into the upper Euphrates valley in northern Syria.", "Who was the leader when the Norman force went into the upper Euphrates valley?", "Oursel"),
        ("In Ruritania, private schools are called academies by most people.", "What are private schools in Ruritania called?", "academies"),
        # A name that modifies the noun after it is not the name asked for.
        ("Nobel Prize winner Maria Lopez opened the new library on Monday.", "Who opened the new library?", "Maria Lopez"),
        # A name and its bracketed acronym are one thing: neither answers a question that names it.
        ("Tom Reyes provided the Baltic Shipping Index (BSI) figures for the report.", "Who provided the BSI figures?", "Tom Reyes"),
        ("Tom Reyes provided the Baltic Shipping Index (BSI) figures for the report.", "What person provided the shipping index figures?", "Tom Reyes"),
        # The word after the question's verb is its object, not the subject asked for.
        ("Omar Haddad praised the Reuters reports as balanced on Friday.", "Who praised the reports?", "Omar Haddad"),
    ],
)
def test_structural_span_rules(tmp_path: Path, sentence: str, question: str, expected: str) -> None:
    write_article(tmp_path, "a.txt", f"Local news\n\n{sentence}\n\nThe weather was mild and dry all week long.\n")
    assert Engine.open(tmp_path).ask(question).answer == expected


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("They shared these stories.Political geographers disagreed.", ["They shared these stories.", "Political geographers disagreed."]),
        ("Catholics such as Jacques Lefevre (c. 1455–1536). The Gallicans won.", ["Catholics such as Jacques Lefevre (c. 1455–1536).", "The Gallicans won."]),
    ],
)
def test_split_sentences_glued_and_bracketed(text: str, sentences: list[str]) -> None:
    assert [text[a:b] for a, b in split_sentences(text)] == sentences


def test_a_list_ends_in_and_or_or() -> None:
    from retrieval.reader.spans import Candidate, list_candidates

    text = "Meanwhile, Denver's offense stalled; Omnicare, Kindred and PharMerica grew."
    spans = [("Meanwhile", 0), ("Denver's offense", 0), ("Omnicare", 0), ("Kindred", 0), ("PharMerica", 0)]
    chunks = [Candidate(text.index(s), text.index(s) + len(s), "thing", 0.5) for s, _ in spans]
    assert [text[c.start : c.end] for c in list_candidates(text, chunks)] == ["Omnicare, Kindred and PharMerica"]


def test_a_modifier_cut_off_from_a_question_noun_is_a_weak_answer() -> None:
    from retrieval.reader import rules, spans
    from retrieval.tokens import iter_tokens

    text = "Regulation based on the Montreal Protocol has been successful; on climate change, the Kyoto Protocol failed."
    q = analyze_question("What did the Kyoto Protocol try to address?")
    words = spans.sentence_words(text, 0, len(text), q)
    tokens = iter_tokens(text)
    weights = {t: 1.0 for t in q.terms}
    matched = {t.term for t in tokens} & set(q.terms)

    def fit(span: str) -> float:
        c = spans.Candidate(text.index(span), text.index(span) + len(span), "thing", 0.5)
        return rules._fit(c, q, words, tokens, matched, weights)

    assert fit("climate change") > fit("Montreal")


def test_a_pronoun_that_opens_the_sentence_is_answered_with_the_name_before_it(tmp_path: Path) -> None:
    first = "Peyton Manning became the first quarterback to lead two different teams to the final."
    second = "He is also the oldest quarterback ever to play in the final, at age 39."
    write_article(tmp_path, "a.txt", f"Sports\n\n{first} {second}\n\nThe weather was mild and dry all week long.\n")
    answer = Engine.open(tmp_path).ask("Who is the oldest quarterback to play in the final?")
    assert answer.answer == "Peyton Manning"
    assert answer.sentence == f"{first} {second}"
    citation = answer.citations[0]
    assert citation.passage_text[citation.start : citation.end] == "Peyton Manning"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("at 11 p.m.", "at 11 p.m."),  # the abbreviation's period is the answer's, even at the sentence end
        ("in the U.S.", "in the U.S."),
        ("Martin Luther King Jr.", "Martin Luther King Jr."),
        ("in 1999.", "in 1999"),  # a full stop is not
        ("“the national anthem,”", "the national anthem"),
        ("(AMA)", "AMA"),
    ],
)
def test_a_span_loses_edge_punctuation_but_not_an_abbreviation(text: str, kept: str) -> None:
    from retrieval.reader.spans import strip_span

    start, end = strip_span(text, 0, len(text))
    assert text[start:end] == kept


def test_a_question_word_only_the_title_says_counts_as_context(tmp_path: Path) -> None:
    write_article(
        tmp_path, "vaccine.md",
        "---\ntitle: Health agency approves new malaria vaccine for children\n---\n"
        "The World Health Organization on Tuesday approved a second malaria vaccine, R21, for use in children.\n\n"
        "Each dose costs between two and four dollars.\n",
    )
    # "new" is only in the title: without it the question's words were not covered and it was abstained on.
    assert Engine.open(tmp_path).ask("What is the name of the new malaria vaccine?").answer == "R21"


def test_a_dateline_is_no_sentence_to_quote(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(REPO / "bench" / "news" / "corpus", tmp_path / "news")
    engine = Engine.open(tmp_path / "news")
    # "STOCKHOLM, January 20." names the city and says nothing about its population.
    assert engine.ask("What is the population of Stockholm?").answer is None
    assert engine.ask("When did Storm Elin sweep across southern Sweden?").answer == "Sunday night"
