import json
from pathlib import Path

import pytest

from retrieval.cli import build_parser, main
from tests.helpers import run_newsqa, write_article

CONTRACT_KEYS = {"question", "answer", "sentence", "confidence", "citations"}
CITATION_KEYS = {"article_id", "title", "published", "url", "passage_id", "passage_text", "start", "end", "score"}


@pytest.mark.slow
def test_ask_prints_answer_sentence_and_both_sources() -> None:
    result = run_newsqa("ask", "when was the last Putin–Biden call?")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "February 12, 2022"
    assert "Putin last held a phone call with the US leader on February 12, 2022." in lines[1]
    assert "[1] Kremlin spokesman denies media reports of phone call between Putin, Trump (2024-11-11), paragraph 11" in result.stdout
    assert "[2] Peskov denies rumors of Putin-Trump phone call (undated), paragraph 6" in result.stdout


def test_ask_json_contract() -> None:
    result = run_newsqa("ask", "--json", "Who is the Russian presidential spokesman?")
    assert result.returncode == 0
    obj = json.loads(result.stdout)
    assert CONTRACT_KEYS <= set(obj)
    assert obj["answer"] == "Dmitry Peskov"
    assert 0 <= obj["confidence"] <= 1
    first = obj["citations"][0]
    assert CITATION_KEYS <= set(first)
    assert first["passage_text"][first["start"] : first["end"]] == obj["answer"]
    assert obj["sentence"] in first["passage_text"]


@pytest.mark.slow
def test_ask_json_stdin_one_object_per_line_in_order() -> None:
    questions = ["Who is Bob Woodward?", "", "What is the population of Moscow?", "Where did Putin and Trump meet in July 2018?"]
    result = run_newsqa("ask", "--json", "-", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["question"] for o in objects] == questions
    assert objects[1]["answer"] is None and objects[2]["answer"] is None
    assert objects[3]["answer"] == "Helsinki"


def test_ask_other_corpus_builds_without_writing_inside(tmp_path: Path) -> None:
    corpus = tmp_path / "articles"
    write_article(corpus, "port.txt", "Port news\n\nThe new port opened on May 2, 2021 in Gdansk.\n")
    before = sorted(p.name for p in corpus.iterdir())
    result = run_newsqa("ask", "--json", "--corpus", str(corpus), "When did the new port open?")
    assert json.loads(result.stdout)["answer"] == "May 2, 2021"
    assert sorted(p.name for p in corpus.iterdir()) == before


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("ask", ""), 2, "the question is empty"),
        (("ask", "--corpus", "/no/such/folder", "who?"), 2, "corpus folder not found: /no/such/folder"),
        (("ask",), 2, "required: question"),
        (("frobnicate",), 2, "invalid choice"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(args: tuple[str, ...], code: int, message: str) -> None:
    result = run_newsqa(*args)
    assert result.returncode == code
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_empty_corpus_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    result = run_newsqa("ask", "--corpus", str(tmp_path), "who?")
    assert result.returncode == 2
    assert "skipped notes.pdf: unsupported file type .pdf" in result.stderr
    assert "no readable articles" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("question", ["x" * 10_000, "?!?...", "🙂 🎉 🙂"])
def test_odd_questions_exit_0_with_not_found(question: str) -> None:
    result = run_newsqa("ask", "--json", question)
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    assert obj["answer"] is None and obj["question"] == question


def test_sources_lists_both_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources"]) == 0
    out = capsys.readouterr().out
    assert "000_b25523e41b776a03  2024-11-11        12  Kremlin spokesman denies" in out
    assert "001_03d8b65938a66cc9  -                  7  Peskov denies rumors" in out
    assert out.strip().endswith("2 articles, 19 passages")


def test_chat_session_answers_and_leaves_on_eof() -> None:
    result = run_newsqa("chat", stdin=":help\nWho is Bob Woodward?\n:sources\n:bogus\n")
    assert result.returncode == 0
    assert ":quit" in result.stdout  # the help text
    assert "a member of the editorial board of the Washington Post newspaper" in result.stdout
    assert "2 articles, 19 passages" in result.stdout
    assert "Unknown command :bogus" in result.stdout


def test_chat_quit_command() -> None:
    result = run_newsqa("chat", stdin=":quit\nWho is Bob Woodward?\n")
    assert result.returncode == 0
    assert "Washington Post" not in result.stdout


def test_every_command_has_help_with_an_example() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command").choices
    assert subparsers
    for name, sub in subparsers.items():
        text = sub.format_help()
        assert "Example" in text and f"newsqa {name}" in text, name
