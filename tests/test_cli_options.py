"""The command line's options, messages and exit codes: --version, help, usage errors, quiet
indexing, skipped files, `newsqa cache`, and how answers show their confidence and sources."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval import __version__
from retrieval.cli import build_parser, main
from retrieval import decide
from retrieval.cli.render import confidence_text, render_answer
from retrieval.models import Answer, Citation
from tests.helpers import REPO, run_newsqa, write_article

COMMANDS = ["ask", "search", "chat", "sources", "index", "add", "remove", "cache", "eval", "discord"]
CORPUS_COMMANDS = [c for c in COMMANDS if c != "cache"]


def test_version() -> None:
    result = run_newsqa("--version")
    assert (result.returncode, result.stdout) == (0, f"newsqa {__version__}\n")


def test_every_command_is_listed_with_its_one_line_help() -> None:
    out = run_newsqa("--help").stdout
    for command in COMMANDS:
        assert re.search(rf"^    {command}\s+\S", out, re.MULTILINE), command


@pytest.mark.parametrize("command", COMMANDS)
def test_help_is_wrapped_to_the_terminal_and_keeps_its_examples(command: str) -> None:
    result = run_newsqa(command, "--help", columns=60)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    examples = lines[lines.index(next(ln for ln in lines if ln.startswith("Example"))) + 1 :]
    assert any(ln.startswith("  ") and f"newsqa {command}" in ln for ln in examples)
    too_long = [ln for ln in lines if len(ln) > 60 and not ln.startswith("  ") or len(ln) > 100]
    assert too_long == []


@pytest.mark.parametrize("command", CORPUS_COMMANDS)
def test_every_corpus_command_takes_corpus_and_index_dir(command: str) -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    options = {s for a in sub._actions for s in a.option_strings}
    assert {"--corpus", "--index-dir"} <= options
    if command not in ("chat", "discord"):
        assert "--json" in options


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask"], "newsqa: error: the following arguments are required: question; try 'newsqa ask --help'"),
        (["index", "--wait", "soon"], "newsqa: error: argument --wait: invalid float value: 'soon'; try 'newsqa index --help'"),
        (["remove"], "newsqa: error: the following arguments are required: ARTICLE_ID; try 'newsqa remove --help'"),
        (["ask", "   "], "newsqa: error: the question is empty: newsqa ask \"when was the last Putin–Biden call?\"; "
                        "try 'newsqa ask --help'"),
        (["eval", "nope.jsonl"], "newsqa: error: question file not found: nope.jsonl (give a SQuAD .json or a .jsonl file); try 'newsqa eval --help'"),
    ],
)
def test_usage_errors_exit_2_and_name_the_commands_help(args: list[str], message: str) -> None:
    code, out, err = run_newsqa(*args)
    assert (code, out, err) == (2, "", message + "\n")


def test_index_is_quiet_by_default_and_names_every_article_with_verbose(seed_corpus: Path, tmp_path: Path) -> None:
    for n in range(3):
        write_article(seed_corpus, f"ferry{n}.txt", f"Ferry {n}\n\nThe ferry number {n} carries {n + 100} passengers.\n")
    code, out, _ = run_newsqa("index", "--corpus", str(seed_corpus), "--index-dir", str(tmp_path / "a"))
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert lines[0].startswith("5 added, 0 updated, 0 removed, 0 renamed, 0 unchanged, 0 skipped (5 files read")
    code, out, _ = run_newsqa("index", "--verbose", "--corpus", str(seed_corpus), "--index-dir", str(tmp_path / "b"))
    assert out.splitlines()[:5] == [
        "added: 000_b25523e41b776a03", "added: 001_03d8b65938a66cc9", "added: ferry0", "added: ferry1", "added: ferry2",
    ]


def test_ask_mentions_skipped_files_once_and_index_says_why(seed_corpus: Path, tmp_path: Path) -> None:
    (seed_corpus / "notes.pdf").write_bytes(b"%PDF")
    (seed_corpus / "empty.txt").write_text("  \n", encoding="utf-8")
    args = ["--corpus", str(seed_corpus), "--index-dir", str(tmp_path / "idx")]
    run_newsqa("index", *args)
    for _ in range(2):
        code, out, err = run_newsqa("ask", "Who is Bob Woodward?", *args)
        assert code == 0 and err == "newsqa: 2 files skipped; 'newsqa index' says why\n"
    code, out, _ = run_newsqa("index", *args)
    assert "skipped: empty.txt: empty file" in out.splitlines()
    assert any(line.startswith("skipped: notes.pdf: unsupported file type .pdf") for line in out.splitlines())


def test_cache_lists_saved_indexes_and_prune_removes_those_of_gone_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code, out, _ = run_newsqa("cache")
    assert (code, out) == (0, f"No saved indexes in {tmp_path / 'cache' / 'newsqa'}.\n")
    kept, gone = tmp_path / "kept", tmp_path / "gone"
    for folder in (kept, gone):
        write_article(folder, "port.txt", "Port news\n\nThe new port opened on May 2, 2021 in Gdansk.\n")
        run_newsqa("sources", "--corpus", str(folder))
    for child in gone.iterdir():
        child.unlink()
    gone.rmdir()
    code, out, _ = run_newsqa("cache")
    lines = out.splitlines()
    assert code == 0 and lines[0] == f"Saved indexes in {tmp_path / 'cache' / 'newsqa'}:"
    assert len(lines) == 5
    assert lines[-1] == "1 of them index a folder that is gone: 'newsqa cache --prune' removes them."
    assert sum(line.endswith(f"  {gone} (gone)") for line in lines) == 1
    assert sum(line.endswith(f"  {kept}") for line in lines) == 1
    assert re.fullmatch(r"  +\d+\.\d KiB  \d{4}-\d\d-\d\d \d\d:\d\d  .+", lines[2])
    code, out, _ = run_newsqa("cache", "--prune", "--json")
    data = json.loads(out)
    assert code == 0 and len(data["pruned"]) == 1 and not Path(data["pruned"][0]).exists()
    code, out, _ = run_newsqa("cache", "--json")
    assert [e["corpus"] for e in json.loads(out)["indexes"]] == [str(kept)]


def test_eval_uses_the_saved_index_in_index_dir(tmp_path: Path) -> None:
    corpus = tmp_path / "articles"
    write_article(corpus, "port.txt", "Port news\n\nThe new port opened on May 2, 2021 in Gdansk.\n")
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "1", "question": "When did the new port open?", "answers": ["May 2, 2021"]}) + "\n")
    code, out, _ = run_newsqa("eval", str(questions), "--corpus", str(corpus), "--index-dir", str(tmp_path / "idx"), "--json")
    assert code == 0 and json.loads(out)["overall"]["exact_match"] == 100.0
    assert (tmp_path / "idx" / "CURRENT").is_file()


def test_discord_passes_corpus_and_index_dir_to_the_bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.app

    calls = []
    monkeypatch.setattr(bot.app, "run", lambda corpus, index_dir: calls.append((corpus, index_dir)) or 0)
    assert main(["discord", "--corpus", str(tmp_path), "--index-dir", str(tmp_path / "idx")]) == 0
    assert calls == [(tmp_path, tmp_path / "idx")]


# --- how an answer is printed --------------------------------------------------------------------


def _citation(article: str, paragraph: int, title: str) -> Citation:
    text = "The Harbor Line ferry carries 300 passengers."
    return Citation(article_id=article, title=title, published="2024-03-05", passage_id=f"{article}#{paragraph}",
                    paragraph=paragraph, passage_text=text, start=30, end=33, score=1.0)


def test_citations_of_one_article_are_one_source_line() -> None:
    answer = Answer(question="How many passengers?", answer="300", sentence="The Harbor Line ferry carries 300 passengers.",
                    confidence=0.82, citations=[_citation("ferry", 2, "Ferry news"), _citation("port", 4, "Port news"),
                                                _citation("ferry", 10, "Ferry news")])
    assert render_answer(answer).splitlines() == [
        "300",
        "  “The Harbor Line ferry carries 300 passengers.”",
        "  confidence 0.82",
        "Sources:",
        "  [1] Ferry news (2024-03-05), paragraphs 2, 10",
        "  [2] Port news (2024-03-05), paragraph 4",
    ]


@pytest.mark.parametrize(
    ("confidence", "plain", "painted"),
    [
        (0.93, "confidence 0.93", "\033[32mconfidence 0.93\033[0m"),
        (0.70, "confidence 0.70", "\033[32mconfidence 0.70\033[0m"),
        (0.55, "confidence 0.55", "\033[33mconfidence 0.55\033[0m"),
        (0.32, "low confidence 0.32", "\033[33mlow confidence 0.32\033[0m"),
    ],
)
def test_confidence_is_labelled_and_coloured_by_level(confidence: float, plain: str, painted: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decide, "levels", lambda: decide.Levels(confident=0.7, low=0.4))  # the shipped ones are fitted
    assert confidence_text(confidence) == plain
    assert confidence_text(confidence, colour=True) == painted


def test_no_colour_in_a_pipe() -> None:
    # A real process: the installed `newsqa` console script end to end, its standard output a real pipe.
    script = shutil.which("newsqa", path=str(Path(sys.executable).parent)) or shutil.which("newsqa")
    assert script, "the newsqa console script is not installed: pip install -e '.[test]'"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    result = subprocess.run([script, "ask", "when was the last Putin–Biden call?"], capture_output=True, text=True,
                            cwd=REPO, env=env, timeout=60)
    assert result.returncode == 0 and "\033[" not in result.stdout
