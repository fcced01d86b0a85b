"""`newsqa search`: retrieval alone, tested like `ask` (the JSON contract, a batch on stdin, errors)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.cli import main
from tests.helpers import write_article

HIT_KEYS = {"article_id", "title", "published", "url", "passage_id", "paragraph", "passage_text", "score", "matches", "found_by"}


@pytest.fixture
def ferries(tmp_path: Path) -> list[str]:
    """Three near-identical articles: only one says 'ferry' twice, one says it once, one never."""
    folder = tmp_path / "articles"
    write_article(folder, "harbor.txt", "Harbor news\n\nThe Harbor Line ferry carries 300 passengers; the ferry runs hourly.\n")
    write_article(folder, "lake.txt", "Lake news\n\nThe Lake Line ferry carries 120 passengers between the two piers.\n")
    write_article(folder, "bus.txt", "Bus news\n\nThe Lake Line bus carries 120 passengers between the two stops.\n")
    return ["--corpus", str(folder), "--index-dir", str(tmp_path / "idx")]


def search(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["search", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_search_prints_ranked_passages_with_the_matching_words_marked(
    ferries: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    search(capsys, "ferry", *ferries)  # the first run builds the index and says so on stderr
    code, out, err = search(capsys, "ferry passengers", *ferries)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("[1] Harbor news (undated), paragraph 1 · harbor#1 · score ")
    assert lines[1] == "    The Harbor Line *ferry* carries 300 *passengers*; the *ferry* runs hourly."
    assert lines[2].startswith("[2] Lake news (undated), paragraph 1 · lake#1 · score ")
    assert lines[4].startswith("[3] Bus news")  # 'passengers' only
    assert len(lines) == 6


def test_search_json_contract_and_k(ferries: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = search(capsys, "--json", "-k", "2", "ferry", *ferries)
    assert code == 0
    obj = json.loads(out)
    assert obj["query"] == "ferry"
    assert [h["passage_id"] for h in obj["hits"]] == ["harbor#1", "lake#1"]  # the bus never says it
    first = obj["hits"][0]
    assert set(first) == HIT_KEYS
    assert [first["passage_text"][s:e] for s, e in first["matches"]] == ["ferry", "ferry"]
    assert obj["hits"][0]["score"] > obj["hits"][1]["score"] > 0


def test_search_json_stdin_one_object_per_line_in_order(ferries: list[str], capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("bus\n\nthe of\nferry\n"))
    code, out, _ = search(capsys, "--json", "--bm25", "-", *ferries)
    assert code == 0
    objects = [json.loads(line) for line in out.splitlines()]
    assert [o["query"] for o in objects] == ["bus", "", "the of", "ferry"]
    assert [len(o["hits"]) for o in objects] == [1, 0, 0, 2]  # an empty or stop-word query finds nothing
    assert objects[0]["hits"][0]["article_id"] == "bus"


def test_search_finds_nothing_in_one_line(ferries: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = search(capsys, "zeppelin", *ferries)
    assert (code, out) == (0, "No passage matches 'zeppelin'.\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["  "], "newsqa: error: the query is empty: newsqa search \"ferry passengers\"; try 'newsqa search --help'"),
        (["-k", "0", "ferry"], "newsqa: error: -k must be at least 1, not 0; try 'newsqa search --help'"),
        (["-k", "many", "ferry"], "newsqa: error: argument -k: invalid int value: 'many'; try 'newsqa search --help'"),
        ([], "newsqa: error: the following arguments are required: query; try 'newsqa search --help'"),
    ],
)
def test_search_usage_errors_exit_2_in_one_line(
    ferries: list[str], capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    try:
        code = main(["search", *args, *ferries])
    except SystemExit as exc:  # argparse's own errors exit from inside the parser
        code = exc.code
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", message + "\n")


def test_search_of_a_missing_corpus_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "--corpus", str(tmp_path / "nope"), "ferry"]) == 2
    assert capsys.readouterr().err.startswith(f"newsqa: error: corpus folder not found: {tmp_path / 'nope'}")



def test_hybrid_search_adds_a_passage_close_in_meaning_and_says_so(ferries: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = search(capsys, "--json", "ferry", *ferries)
    assert code == 0
    hits = json.loads(out)["hits"]
    by = {h["passage_id"]: h["found_by"] for h in hits}
    assert by["harbor#1"] == by["lake#1"] == "both"  # BM25 and the encoder agree on the ferries
    assert all(v == "dense" for k, v in by.items() if k not in ("harbor#1", "lake#1"))
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
