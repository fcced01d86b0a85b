"""Follow-up questions read against the conversation: the pure rewrite, turn by turn."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from retrieval.conversation import Conversation, Turn, rewrite_question, topic_after, turn_entities, unresolved_reference
from retrieval.models import Answer, Citation


def history(*pairs: tuple[str, str | None]) -> list[Turn]:
    """Turns as a conversation records them: each question read against the ones before it."""
    conversation = Conversation()
    for question, answer in pairs:
        conversation.record(question, conversation.resolve(question), answer)
    return conversation.turns


KREMLIN = ("Who is the Kremlin spokesman?", "Dmitry Peskov")
CALL = ("When did Putin last speak to Biden?", "February 12, 2022")
FERRIES = ("How many ferries did Nordlinja order?", "two")
AURORA = ("When was the Aurora built?", "1991")
MAYOR = ("Who was re-elected mayor of Porto?", "Rita Sousa")
FINAL = ("Who will Rovers face in the final?", "United")
FINE = ("How much was Datenwerk fined?", "12 million euros")
MEETING = ("Where did Putin and Trump meet in July 2018?", "Helsinki")


@pytest.mark.parametrize(
    ("before", "question", "read_as"),
    [
        # he / she / his / her / him: the person the last answer named, else the question's
        ([KREMLIN], "What did he call the reports?", "What did Dmitry Peskov call the reports?"),
        ([MAYOR], "What share of the vote did she win?", "What share of the vote did Rita Sousa win?"),
        ([MAYOR], "Who was her closest rival?", "Who was Rita Sousa's closest rival?"),
        ([MAYOR], "What did voters give her?", "What did voters give Rita Sousa?"),
        ([KREMLIN], "When did his briefing take place?", "When did Dmitry Peskov's briefing take place?"),
        ([("Who is Bob Woodward?", "a veteran journalist")], "What did he suggest?", "What did Bob Woodward suggest?"),
        ([("How did the Russian president respond?", "in writing")], "What did he want?",
         "What did the Russian president want?"),
        # they / their: two people named together, else a plural thing
        ([CALL], "What did they focus on?", "What did Putin and Biden focus on?"),
        ([FERRIES], "How much will they cost?", "How much will the two ferries cost?"),
        ([("How much will the ships cost?", "240 million euros")], "When will they enter service?",
         "When will the ships enter service?"),
        # it / its: a thing; a company named in the question, not a person
        ([AURORA], "How many passengers does it carry?", "How many passengers does the Aurora carry?"),
        ([("Which vaccine did the agency approve?", "R21")], "Who developed it?", "Who developed R21?"),
        ([FERRIES, ("How much will they cost?", "240 million euros")], "Who is its chief executive?",
         "Who is Nordlinja's chief executive?"),
        ([("Which company said power would be back by Tuesday?", "Vattenfall")], "What did its spokeswoman say?",
         "What did Vattenfall's spokeswoman say?"),
        ([("How many containers did the Rotterdam dock strike strand?", "40,000")], "When did it end?",
         "When did the Rotterdam dock strike end?"),
        # there / then: a place, a time
        ([MEETING], "What kind of meeting was held there?", "What kind of meeting was held in Helsinki?"),
        ([("When did the port last see a longer strike?", "1979")], "How long did the dockers stay out then?",
         "How long did the dockers stay out in 1979?"),
        ([CALL], "What did Putin say then?", "What did Putin say on February 12, 2022?"),
        ([("When did Trump's first term end?", "2021")], "Who won the election then?", "Who won the election in 2021?"),
        ([("Where is the Serum Institute based?", "India")], "What else happened there?", "What else happened in India?"),
        ([("How much does the lander weigh at launch?", "8.5 tonnes")], "How long is it designed to work?",
         "How long is the lander designed to work?"),
        ([("Who makes the R21 vaccine?", "Serum Institute of India")], "How many doses can it produce a year?",
         "How many doses can Serum Institute of India produce a year?"),  # an institute is an "it"
        ([("Which vaccine did the agency approve?", "R21"), ("Who developed it?", "University of Oxford")],
         "How effective was it?", "How effective was R21?"),  # still the thing the last question was about
        ([("Which outlets reported the call?", "the Washington Post and Reuters"),
          ("How did Peskov describe their reports?", "as remarkable")], "What had they said?",
         "What had the Washington Post and Reuters said?"),  # named together
        ([("Who is its leader?", "Niels de Groot")], "What did he call the agreement?",
         "What did Niels de Groot call the agreement?"),
        # typed all in lower case, as chat often is: a word no dictionary knows is a name
        ([("how many ferries did nordlinja order?", "two")], "who is its chief executive?",
         "who is nordlinja's chief executive?"),
        ([("who is the kremlin spokesman?", "Dmitry Peskov")], "what did he call the reports?",
         "what did Dmitry Peskov call the reports?"),
        ([("Which players scored?", "Jonas Eriksen and Marco Silva")], "Which teams do they play for?",
         "Which teams do Jonas Eriksen and Marco Silva play for?"),
        # that / those + noun: the phrase it refers to, else the names it was about
        ([("Who reported the phone call between Putin and Trump?", "the Washington Post")],
         "When did that call take place?", "When did the phone call take place?"),
        ([("What did Bob Woodward suggest?", None)], "Who denied those allegations?",
         "Who denied the Bob Woodward allegations?"),
    ],
)
def test_pronouns_and_demonstratives_are_replaced_by_what_they_refer_to(
    before: list[tuple[str, str | None]], question: str, read_as: str
) -> None:
    assert rewrite_question(question, history(*before)) == read_as


@pytest.mark.parametrize(
    ("before", "question", "read_as"),
    [
        # a bare question phrase takes the rest of the previous question
        ([CALL], "In which month?", "In which month did Putin last speak to Biden?"),
        ([CALL], "Why?", "Why did Putin last speak to Biden?"),
        ([CALL], "And where?", "Where did Putin last speak to Biden?"),
        ([("Where will the ferries be built?", "Turku")], "When?", "When will the ferries be built?"),
        ([("To what level did the bank raise its key rate?", "21%")], "By how much?",
         "By how much did the bank raise its key rate?"),
        ([("Did Putin call Trump?", None)], "When?", "When did Putin call Trump?"),
        ([("Did Eriksen score?", None)], "How many times?", "How many times did Eriksen score?"),
        ([("How many affordable homes did Sousa promise?", "5,000")], "By when?",
         "By when did Sousa promise 5,000 affordable homes?"),
        ([("What was the turnout in the election?", "58%")], "And four years ago?",
         "What was the turnout in the election four years ago?"),
        ([("What was the turnout in 2021?", "49%")], "And last year?", "What was the turnout last year?"),
        ([("What did Peskov say about the reports?", "pure fiction")], "What else?",
         "What else did Peskov say about the reports?"),
        ([("Who scored the winner?", "Jonas Eriksen")], "Who else?", "Who else scored the winner?"),
        ([("What did Nordlinja order?", "two ferries")], "From whom?", "From whom did Nordlinja order two ferries?"),
        ([("Which company built the drill?", "Leonardo")], "What year?", "What year did Leonardo build the drill?"),
        ([("How many people were injured?", "Two")], "Where?", "Where were two people injured?"),
        # ... with the previous answer where the previous question phrase stood
        ([FINE], "Why?", "Why was Datenwerk fined 12 million euros?"),
        ([FINAL], "When?", "When will Rovers face United in the final?"),
        ([FERRIES], "Why?", "Why did Nordlinja order two ferries?"),
        ([("Who won the semi-final?", "Rovers")], "When?", "When did Rovers win the semi-final?"),
        ([("Who scored the winner?", "Striker Jonas Eriksen")], "In which minute?",
         "In which minute did Jonas Eriksen score the winner?"),
        ([KREMLIN], "Since when?", "Since when is Dmitry Peskov the Kremlin spokesman?"),
        ([("What did Peskov call the reports?", "the most remarkable example of the quality of the information")],
         "Why?", "Why did Peskov call the reports?"),
        # "And X?": the previous question with its entity of X's kind swapped
        ([CALL], "And Trump?", "When did Putin last speak to Trump?"),
        ([CALL], "What about Trump?", "When did Putin last speak to Trump?"),
        ([MEETING], "And in July 2020?", "Where did Putin and Trump meet in July 2020?"),
        ([MEETING], "And 2019?", "Where did Putin and Trump meet in 2019?"),
        ([("Who is the chief executive of Nordlinja?", "Maria Lindqvist")], "And of Datenwerk?",
         "Who is the chief executive of Datenwerk?"),
        ([("How many passengers can each ferry carry?", "1,200")], "And cars?", "How many cars can each ferry carry?"),
        ([("Which company built the lander's drill?", "Leonardo")], "And the solar panels?",
         "Which company built the lander's solar panels?"),
        ([("What share of the vote did Sousa win?", "54%")], "And Almeida?", "What share of the vote did Almeida win?"),
    ],
)
def test_elliptical_follow_ups_take_the_missing_parts_from_the_previous_question(
    before: list[tuple[str, str | None]], question: str, read_as: str
) -> None:
    assert rewrite_question(question, history(*before)) == read_as


@pytest.mark.parametrize(
    ("before", "question"),
    [
        ([], "What did he call the reports?"),  # nothing to refer to: asked as it stands
        ([KREMLIN], "When did Putin last speak to Biden?"),  # needs no context
        ([KREMLIN], "How many ferries did Nordlinja order?"),
        ([CALL], "What did Peskov say when he was asked about the call?"),  # "he" is Peskov, in the question
        ([FERRIES], "When will the bank hold its next meeting?"),  # "its" is the bank's
        ([FERRIES], "Which company said most customers would have their power back?"),  # their customers
        ([CALL], "Is there a record of the call?"),  # "there" is no place
        ([MEETING], "Were there talks between the delegations?"),
        ([("Who is the then-US President?", None)], "Who was the then-US leader?"),
        ([CALL], "How many goals has Eriksen scored this season?"),  # "this season" is a time of its own
        ([CALL], "What?"),  # a question phrase that says too little
        ([CALL], "Who?"),
        ([KREMLIN], "What about her?"),  # no other entity to put in the previous question
        ([KREMLIN], "And him?"),
        ([CALL], "What else?"),  # "when" leaves no slot for another answer
        ([("What is the weather like?", None)], "Why?"),  # nothing to complete "why" with
        ([CALL], "And how many passengers will each ferry carry?"),  # a whole question after "and"
        ([("Who is the Kremlin spokesman?", None)], "What did she say?"),  # no answer, no person to refer to
        ([], "Where?"),
    ],
)
def test_questions_without_a_resolvable_reference_are_asked_as_they_stand(
    before: list[tuple[str, str | None]], question: str
) -> None:
    assert rewrite_question(question, history(*before)) == question


def test_the_nearest_turn_wins_and_old_turns_are_forgotten() -> None:
    turns = history(KREMLIN, MAYOR)
    assert rewrite_question("What did she say?", turns) == "What did Rita Sousa say?"
    assert rewrite_question("What did he say?", turns) == "What did Rita Sousa say?"  # no gender is guessed
    far = history(KREMLIN, AURORA, FERRIES, ("How much will they cost?", "240 million euros"), FINE)
    assert rewrite_question("Who is the Kremlin spokesman's deputy?", far) == "Who is the Kremlin spokesman's deputy?"
    assert "Peskov" not in rewrite_question("What did he say?", far)


@pytest.mark.parametrize(
    "question",
    ["", "   ", "?", "???", "🙂", "and", "And?", "what about", "x" * 5000, "He he he he?", "<@123> what did he say?",
     "Что он сказал?", "its", "'s", "And the?", "In which?"],
)
def test_odd_input_never_raises_and_comes_back_unchanged_or_rewritten(question: str) -> None:
    out = rewrite_question(question, history(KREMLIN, CALL))
    assert isinstance(out, str)
    assert out == question or out.strip()


def test_turn_entities_type_the_answer_by_what_the_question_asked() -> None:
    kinds = {e.text: e.kind for e in turn_entities("Who is the Kremlin spokesman?", "Dmitry Peskov")}
    assert kinds["Dmitry Peskov"] == "person"
    kinds = {e.text: e.kind for e in turn_entities("Where did Putin and Trump meet in July 2018?", "Helsinki")}
    assert kinds["Helsinki"] == "place" and kinds["in July 2018"] == "time"
    kinds = {e.text: e.kind for e in turn_entities("Which company said power would be back?", "Vattenfall")}
    assert kinds["Vattenfall"] == "thing"
    # A statement is no entity to refer back to.
    assert not any(e.text.startswith("Our crews") for e in turn_entities("What did she say?", "Our crews are working"))


def test_conversation_ask_answers_the_rewrite_and_keeps_the_question_as_asked() -> None:
    asked: list[str] = []

    def answer(question: str, focus: Sequence[str] = ()) -> Answer:
        asked.append(question)
        return Answer(question=question, answer={"Who is the Kremlin spokesman?": "Dmitry Peskov"}.get(question))

    conversation = Conversation()
    first = conversation.ask(answer, "Who is the Kremlin spokesman?")
    assert (first.question, first.resolved_question, first.answer) == ("Who is the Kremlin spokesman?",) * 2 + ("Dmitry Peskov",)
    assert not first.rewritten
    second = conversation.ask(answer, "What did he call the reports?")
    assert asked == ["Who is the Kremlin spokesman?", "What did Dmitry Peskov call the reports?"]
    assert second.question == "What did he call the reports?"
    assert second.resolved_question == "What did Dmitry Peskov call the reports?" and second.rewritten
    assert [t.question for t in conversation.turns] == ["Who is the Kremlin spokesman?", "What did he call the reports?"]
    conversation.clear()
    fresh = conversation.ask(answer, "What did he call the reports?")
    assert fresh.resolved_question == "What did he call the reports?" and fresh.answer is None  # "he" is no one now
    assert len(asked) == 2  # and nothing was looked up for it


def test_a_conversation_keeps_its_last_turns_only() -> None:
    conversation = Conversation(max_turns=2)
    for question, answer in (KREMLIN, CALL, FERRIES):
        conversation.record(question, question, answer)
    assert [t.question for t in conversation.turns] == [CALL[0], FERRIES[0]]


def test_every_shipped_conversation_is_well_formed_and_its_answers_are_in_its_articles() -> None:
    """bench/conversations: 3 to 5 turns each, a known corpus, and gold answers the articles say word for word."""
    import json

    from tests.helpers import REPO

    corpora = {"seeds": REPO / "corpus", "news": REPO / "bench" / "news" / "corpus",
               "mine": REPO / "bench" / "conversations" / "corpus"}
    texts = {name: " ".join(" ".join(p.read_text(encoding="utf-8").split()) for p in sorted(folder.iterdir()))
             for name, folder in corpora.items()}

    def plain(text: str) -> str:
        return text.lower().replace("’", "'").replace("“", '"').replace("”", '"')

    path = REPO / "bench" / "conversations" / "conversations.jsonl"
    problems = []
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for line in lines:
        conv = json.loads(line)
        if conv.get("corpus") not in corpora or not 3 <= len(conv.get("turns", [])) <= 5:
            problems.append(f"{conv.get('id')}: corpus or number of turns")
            continue
        for n, turn in enumerate(conv["turns"], start=1):
            golds = turn.get("answers") or []
            if not turn.get("question") or not any(plain(g) in plain(texts[conv["corpus"]]) for g in golds):
                problems.append(f"{conv['id']}.{n}: no gold answer found in the {conv['corpus']} articles: {golds}")
            if n == 1 and "standalone" in turn:
                problems.append(f"{conv['id']}.1: a first turn needs no standalone question")
    assert len(lines) >= 15
    assert problems == []


def test_no_question_after_any_conversation_prefix_makes_the_rewrite_fail() -> None:
    """Every question of the shipped conversations and of these tests, after every conversation so far."""
    import json

    from tests.helpers import REPO

    folder = REPO / "bench" / "conversations"
    conversations = [json.loads(line) for name in ("conversations.jsonl", "later.jsonl")
                     for line in (folder / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = {t["question"] for c in conversations for t in c["turns"]}
    questions |= {q.lower() for q in questions} | {"", "?", "And?", "Why", "what about", "In which?", "And the?", "Who else"}
    prefixes = [history(*[(t["question"], t["answers"][0]) for t in c["turns"][:n]])
                for c in conversations for n in range(1, len(c["turns"]) + 1)]
    for turns in prefixes:
        for question in sorted(questions):
            assert isinstance(rewrite_question(question, turns), str)


@pytest.mark.parametrize(("question", "pronoun"), [
    ("what did he say about it", "he"),
    ("how much did she take", "she"),
    ("What did they decide?", "they"),
    ("who stole it", "it"),
    ("was that unanimous?", "that"),
    ("when's she sentenced", "she"),
])
def test_a_pronoun_with_nothing_before_it_is_unresolved(question: str, pronoun: str) -> None:
    assert unresolved_reference(question) == pronoun


@pytest.mark.parametrize("question", [
    "Who is the Kremlin spokesman?",
    "What did Putin say about it?",  # a name: asked as it stands
    "is it raining in oslo today",  # "it" with enough around it
    "why did they cancel the flights at heathrow",
    "how long did the talks last",
])
def test_a_question_that_says_enough_is_asked_as_it_stands(question: str) -> None:
    assert unresolved_reference(question) is None


def test_the_topic_follows_the_answers_and_survives_a_turn_without_one() -> None:
    def answer(article: str | None):
        def ask(question: str, focus: Sequence[str] = ()) -> Answer:
            if article is None:
                return Answer(question=question)
            ref = dict(article_id=article, title=article, passage_id=f"{article}#1", paragraph=1, passage_text="x")
            return Answer(question=question, answer="x", citations=[Citation(**ref, start=0, end=1, score=1.0)])
        return ask

    conversation = Conversation()
    assert conversation.topic == ()
    conversation.ask(answer("heaters"), "Which company is recalling heaters?")
    assert conversation.topic == ("heaters",)
    conversation.ask(answer(None), "who designed them")
    assert conversation.topic == ("heaters",)  # no answer: still the same story
    conversation.ask(answer("kettles"), "and the kettles?")
    assert conversation.topic == ("kettles",)


def _turn(question: str, answer: str | None, before: Sequence[Turn] = ()) -> Turn:
    return Turn.of(question, question, answer, before)


def test_a_possessive_of_the_question_s_own_subject_is_left_alone() -> None:
    history = [_turn("which plant closed in 2019", "the old Solvane plant")]
    assert rewrite_question("how many lost their jobs", history) == "how many lost their jobs"
    assert rewrite_question("who lost their jobs?", history) == "who lost their jobs?"


def test_he_and_her_in_one_question_are_two_people() -> None:
    akers = _turn("who was convicted in the Penhallow fraud", "Rosalind Akers")
    judge = _turn("who sentenced the case", "Harold Benbow", [akers])
    read = rewrite_question("did he lock her up", [akers, judge])
    assert read.startswith("did Harold Benbow lock ") and "Harold Benbow" not in read[len("did Harold Benbow"):]


def test_they_and_him_in_one_question_are_not_the_same_one() -> None:
    history = [_turn("who got two goals for harrowgate rovers", "Tomasz Vell")]
    assert rewrite_question("what did they pay for him", history) == "what did harrowgate pay for Tomasz Vell"


@pytest.mark.parametrize("question", ["so how did he end up with it, gonna ask", "whats her side of the story"])
def test_chat_words_are_never_taken_for_names(question: str) -> None:
    entities = turn_entities(question, None)
    assert not {e.text.lower() for e in entities} & {"gonna", "whats"}


@pytest.mark.parametrize(("answered_from", "closest", "before", "story"), [
    ("heaters", None, ("kettles",), ("heaters",)),  # an answer: its article
    (None, "kettles", ("heaters",), ("heaters",)),  # no answer: the story as it was, not the closest passage's
    (None, "kettles", (), ("kettles",)),  # no answer and no story yet: the closest passage's
    (None, None, (), ()),
])
def test_the_story_after_a_turn(answered_from: str | None, closest: str | None, before: tuple, story: tuple) -> None:
    assert topic_after(answered_from, closest, before) == story
