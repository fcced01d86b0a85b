"""The neural reader with the shipped model: hashes, windows, offsets, abstention and the fallback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from retrieval import answer as answer_module
from retrieval.answer import answer_question, choose_reader
from retrieval.engine import Engine, build_index
from retrieval.reader.neural import MODEL_DIR, NeuralReader, ReaderUnavailable, _whole_words, shipped_reader
from tests.helpers import SEEDS, run_newsqa, write_article


@pytest.fixture(scope="module")
def reader() -> NeuralReader:
    return shipped_reader()


@pytest.fixture(scope="module")
def seeds() -> Engine:
    return Engine.open(SEEDS)


def test_the_shipped_model_matches_its_manifest() -> None:
    manifest = json.loads((MODEL_DIR / "MANIFEST.json").read_text(encoding="utf-8"))
    assert manifest["base_sha256"] == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    assert (MODEL_DIR / manifest["model"]).stat().st_size < 32 * 1024 * 1024  # the package's size budget
    NeuralReader(MODEL_DIR)  # verifies both hashes


@pytest.mark.parametrize("damaged", ["reader.onnx", "tokenizer.json"])
def test_a_model_file_that_does_not_match_its_hash_is_refused(tmp_path: Path, damaged: str) -> None:
    copy = tmp_path / "model"
    shutil.copytree(MODEL_DIR, copy)
    data = bytearray((copy / damaged).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / damaged).write_bytes(bytes(data))
    with pytest.raises(ReaderUnavailable, match="SHA-256"):
        NeuralReader(copy)


def test_a_missing_manifest_is_refused_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ReaderUnavailable, match="reinstall newsqa"):
        NeuralReader(tmp_path)


def test_spans_are_character_offsets_into_each_passage(reader: NeuralReader) -> None:
    passages = [
        "The ferry Nordlys leaves Tromsø at 11 p.m. every night.",
        "Construction of the bridge cost 42 million dollars, the city said on Monday.",
        "",
    ]
    readings = reader.read("How much did the bridge cost?", passages)
    assert readings[2] is None
    bridge = readings[1]
    assert bridge is not None and bridge.passage == 1
    assert passages[1][bridge.start : bridge.end] == "42 million dollars"
    assert bridge.margin > readings[0].margin  # the ferry passage does not say what the bridge cost


def test_a_long_passage_is_read_in_overlapping_windows(reader: NeuralReader) -> None:
    filler = " ".join(f"The council met on day {n} and discussed the budget of the harbour." for n in range(60))
    text = filler + " The new harbour master is Ingrid Solberg, the council announced."
    reading = reader.read("Who is the new harbour master?", [text])[0]
    assert reading is not None
    assert len(reader.tokenizer.encode(text).ids) > 3 * reader.max_len  # several windows
    assert text[reading.start : reading.end] == "Ingrid Solberg"


@pytest.mark.parametrize(
    "text, lo, hi, expected",
    [("the unbelievable story", 7, 10, "unbelievable"), ("pay 42 dollars", 4, 6, "42"), ("a b", 0, 1, "a")],
)
def test_spans_are_widened_to_whole_words(text: str, lo: int, hi: int, expected: str) -> None:
    start, end = _whole_words(text, lo, hi)
    assert text[start:end] == expected


def test_seed_answers_keep_the_contract(seeds: Engine) -> None:
    answer = answer_question(seeds.index, "When was the last phone call between Putin and Biden?", "neural")
    assert answer.answer == "February 12, 2022"
    first = answer.citations[0]
    assert first.passage_text[first.start : first.end] == answer.answer
    assert answer.sentence in first.passage_text
    assert len({c.article_id for c in answer.citations}) == 2 and answer.note.startswith("Reported by 2 articles.")
    assert answer.as_of == "2024-11-11"
    assert 0.5 < answer.confidence <= 1.0


@pytest.mark.parametrize("reader", ["neural", "both"])
@pytest.mark.parametrize(
    "question",
    # France is named in one seed article, Helsinki as "the Finnish capital" in it: the rules alone
    # answer "Finnish" at confidence 0.32, under what `both` asks of them when the model abstains.
    ["What is the capital of France?", "What is the population of Moscow?", "When did Putin last talk to Macron?", "Who won the 2018 World Cup?"],
)
def test_questions_the_seeds_do_not_answer_get_no_answer(seeds: Engine, question: str, reader: str) -> None:
    answer = answer_question(seeds.index, question, reader)
    assert answer.answer is None, answer.answer
    assert answer.note.startswith("Not found in the articles")
    assert answer.hints


def test_a_passage_nothing_in_the_question_is_about_is_not_quoted(tmp_path: Path) -> None:
    write_article(tmp_path, "ferry.txt", "Ferry timetable changes\n\nThe night ferry to Tallinn now leaves at 11 p.m.")
    index = build_index(tmp_path)
    answer = answer_question(index, "When does the night ferry to Tallinn leave?", "neural")
    assert answer.answer == "11 p.m."
    assert answer_question(index, "Who won the chess championship in Tallinn?", "neural").answer is None


def test_russian_questions_are_read_by_the_rules() -> None:
    assert choose_reader(None, "Когда Путин говорил с Байденом?") is None
    assert choose_reader("rules", "When did Putin call Biden?") is None
    assert isinstance(choose_reader("neural", "When did Putin call Biden?"), NeuralReader)
    assert isinstance(choose_reader("both", "When did Putin call Biden?"), NeuralReader)
    assert isinstance(choose_reader(None, "When did Putin call Biden?"), NeuralReader)  # the default: both
    with pytest.raises(ValueError, match="unknown reader"):
        choose_reader("magic", "When?")


def test_without_a_usable_model_the_rules_answer_and_say_so_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, seeds: Engine
) -> None:
    def broken(folder: str = "") -> NeuralReader:
        raise ReaderUnavailable("reader.onnx does not match its SHA-256 in MANIFEST.json; reinstall newsqa")

    monkeypatch.setattr(answer_module, "shipped_reader", broken)
    monkeypatch.setattr(answer_module, "_unavailable", [])
    with caplog.at_level("WARNING", logger="retrieval.answer"):
        first = answer_question(seeds.index, "Who is the Russian presidential spokesman?", "neural")
        second = answer_question(seeds.index, "Where did Putin and Trump meet in July 2018?", "neural")
    assert first.answer is not None and second.answer is not None
    said = [r.getMessage() for r in caplog.records if "the neural reader is unavailable, answering with the rules" in r.getMessage()]
    assert len(said) == 1 and "reinstall newsqa" in said[0]


def test_a_huge_or_empty_passage_is_read_in_bounded_work(reader: NeuralReader) -> None:
    from retrieval.reader import neural

    huge = "The ferry leaves at noon. " * 50_000  # 1.3 MB in one paragraph
    readings = reader.read("When does the ferry leave?", ["", "   ", huge])
    assert readings[0] is None and readings[1] is None
    assert readings[2] is not None and readings[2].end <= neural.MAX_PASSAGE_CHARS
    span = huge[readings[2].start : readings[2].end]
    # A span of the text read, at most MAX_ANSWER_TOKENS long, not the whole window. Where it starts
    # among the identical sentences is a near-tie that thread timing may settle either way.
    assert span.endswith("noon") and len(reader.tokenizer.encode(span, add_special_tokens=False).ids) <= neural.MAX_ANSWER_TOKENS


def test_a_number_question_whose_best_span_is_not_its_best_passage_still_answers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The passage whose span wins may have a weaker "not here" margin than another passage: conflicts
    # and recency must still start from the winning span (this crashed once).
    from retrieval.reader.neural import Reading

    write_article(tmp_path, "a.txt", "Dam report\n\nThe new dam cost $40 million to build, the council said last week.")
    write_article(tmp_path, "b.txt", "Dam audit\n\nAuditors found the new dam cost $55 million to build.")
    index = build_index(tmp_path)

    def fake_read(self: NeuralReader, question: str, passages: list[str]) -> list[Reading]:
        out = []
        for n, text in enumerate(passages):
            at = text.index("$")
            end = text.index(" million") + len(" million")
            out.append(Reading(n, at, end, score=10.0 - n, null=12.0 - 4 * n, probability=0.5))
        return out

    monkeypatch.setattr(NeuralReader, "read", fake_read)
    for question in ("How much did the new dam cost to build?", "What did the new dam last cost to build?"):
        answer = answer_question(index, question, "neural")
        assert answer.answer in ("$40 million", "$55 million")


def test_text_coverage_is_the_weighted_share_of_key_terms_a_text_says(tmp_path: Path) -> None:
    from retrieval.reader.coverage import passage_coverage, text_coverage
    from retrieval.reader.question import analyze_question

    write_article(tmp_path, "ferry.txt", "Ferry timetable\n\nThe night ferry to Tallinn now leaves at 11 p.m.\n\nThe harbour is closed on Sundays.")
    index = build_index(tmp_path)
    q = analyze_question("When does the night ferry to Tallinn leave?")
    assert text_coverage(index, q, "The night ferry to Tallinn now leaves at 11 p.m.", {}) == 1.0
    assert text_coverage(index, q, "The harbour is closed on Sundays.", {}) == 0.0
    assert 0.0 < text_coverage(index, q, "The ferry leaves.", {}) < 1.0
    passage = next(p for p in index.passages if "harbour" in p.text)
    assert passage_coverage(index, q, passage, {}) > 0.0  # the title says "Ferry": the passage's share counts it


def test_an_answer_the_confidence_model_doubts_is_withheld(monkeypatch: pytest.MonkeyPatch, seeds: Engine) -> None:
    from dataclasses import replace

    from retrieval.decide import fitted, shown

    question = "When was the last phone call between Putin and Biden?"
    trace = answer_module.run(seeds.index, question, "neural", decision=replace(fitted(), abstain=0.0))
    sure = trace.answer
    assert sure.answer == "February 12, 2022" and trace.neural is not None and trace.neural.confidence is not None
    assert sure.confidence == round(shown().of(trace.neural.confidence), 3)  # shown recalibrated; the trace keeps the model's
    doubted = answer_module.run(seeds.index, question, "neural", decision=replace(fitted(), abstain=trace.neural.confidence + 0.001)).answer
    assert doubted.answer is None and doubted.note.startswith(answer_module.UNSURE)
    assert doubted.hints  # the passages it looked at are still offered


@pytest.mark.slow
def test_newsqa_reader_model_names_the_reader_folder_in_use(tmp_path: Path) -> None:
    # A reader folder of one's own (what bench/train_reader.py --export writes) answers instead of the
    # packaged model, with its hashes checked the same way: a damaged one is refused and the rules answer.
    good, bad = tmp_path / "good", tmp_path / "bad"
    shutil.copytree(MODEL_DIR, good)
    shutil.copytree(MODEL_DIR, bad)
    (bad / "tokenizer.json").write_text("{}", encoding="utf-8")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    ask = ["ask", "--corpus", str(SEEDS), "--json", "Who is Bob Woodward?"]
    runs = {}
    for name, folder in (("good", good), ("bad", bad)):
        runs[name] = run_newsqa(*ask, env=env | {"NEWSQA_READER_MODEL": str(folder), "NEWSQA_READER": "neural"})
        assert runs[name].returncode == 0, runs[name].stderr
    assert json.loads(runs["good"].stdout)["answer"] is not None and "unavailable" not in runs["good"].stderr
    assert f"the neural reader is unavailable, answering with the rules: {bad / 'tokenizer.json'} does not match" in runs["bad"].stderr


@pytest.mark.parametrize("layout", ["mpnet", "gpt"])
def test_a_manifest_whose_layout_does_not_fit_its_tokenizer_is_refused(tmp_path: Path, layout: str) -> None:
    # "mpnet" wants <s> and </s>, which the shipped WordPiece vocabulary lacks; "gpt" is no layout at all.
    copy = tmp_path / "model"
    shutil.copytree(MODEL_DIR, copy)
    manifest = json.loads((copy / "MANIFEST.json").read_text(encoding="utf-8"))
    (copy / "MANIFEST.json").write_text(json.dumps(manifest | {"layout": layout}), encoding="utf-8")
    with pytest.raises(ReaderUnavailable, match="reinstall newsqa"):
        NeuralReader(copy)
