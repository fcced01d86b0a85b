"""Hostile article files: bad front matter, links out of the corpus, pipes and folders under article
names, long and odd names, planted temporary files. Each is refused or skipped with a reason that
names the file; nothing hangs, nothing outside the corpus is read or written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval.engine import Engine
from retrieval.admission import MAX_NAME_BYTES, safe_file_name
from retrieval.ingest import MAX_TITLE_CHARS, parse_article_bytes
from tests.helpers import REPO, run_newsqa, write_article

GOOD = "Ferry news\n\nThe Harbor Line ferry carries 300 passengers between the two piers, the operator said.\n"
FERRY_SEATS = "how many passengers does the Harbor Line ferry carry?"
BODY = "\n\nThe Elm Street bridge cost 42 million dollars, city officials said on Tuesday.\n"
BILLION_LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    + "title: *i\n"
)


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real command in a child process, only where the time limit is the point: a hang (a read that
    blocks on a pipe, a pattern that backtracks) fails the test instead of stalling the suite."""
    return subprocess.run(
        [sys.executable, "-m", "retrieval.cli", *args], capture_output=True, text=True, timeout=timeout, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


@pytest.mark.parametrize(
    "front, reason",
    [
        ("date: 2024-13-45\ntitle: Bridge", None),  # an impossible date is just no date
        ("title: " + "[" * 20_000, "nests deeper than"),
        ("title: " + "[" * 30 + "]" * 30, "nests deeper than"),
        (BILLION_LAUGHS, "uses an alias"),
        ("base: &b {title: x}\n<<: *b", "uses an alias"),
        ("title: [unclosed", "is invalid"),
        ("title: !!python/object:os.system x", "is invalid"),
        ("n: " + "9" * 5000 + "\ntitle: Bridge", None),  # beyond int()'s digit limit: a string is kept
        ("title: x\n" + "y: " + "z" * 70_000, "is over 64 KiB"),
    ],
    ids=["bad-date", "20000-deep", "30-deep", "billion-laughs", "merge-alias", "invalid", "python-tag", "huge-int", "huge"],
)
def test_front_matter_that_yaml_cannot_build_is_refused_or_ignored_with_a_reason(front: str, reason: str | None) -> None:
    data = f"---\n{front}\n---\n{BODY}".encode()
    if reason is None:
        article, passages = parse_article_bytes(data, "bridge.md")
        assert article.published is None and passages[0].text.startswith("The Elm Street bridge")
    else:
        with pytest.raises(Exception, match=reason) as caught:
            parse_article_bytes(data, "bridge.md")
        assert caught.type.__name__ == "UnreadableArticle" and "\n" not in str(caught.value)


def test_one_bad_article_never_stops_a_command(seed_corpus: Path, tmp_path: Path) -> None:
    """A bad .md in the folder is skipped by ask, sources and index; `add bad.md good.txt` adds good.txt."""
    write_article(seed_corpus, "bad.md", "---\ndate: 2024-13-45\ntitle: [[[[\n---\n" + BODY)
    write_article(seed_corpus, "deep.md", "---\ntitle: " + "[" * 20_000 + "\n---\n" + BODY)
    args = ["--corpus", str(seed_corpus), "--index-dir", str(tmp_path / "idx")]
    code, out, err = run_newsqa("index", *args)
    assert code == 0
    assert "skipped: bad.md: its YAML front matter is invalid (ParserError): fix or remove it" in out
    assert "skipped: deep.md: its YAML front matter nests deeper than 20 levels" in out
    code, out, err = run_newsqa("sources", *args)
    assert code == 0 and "2 articles" in out
    outside = write_article(tmp_path / "in", "bad2.md", "---\ntitle: " + "[" * 20_000 + "\n---\n" + BODY)
    good = write_article(tmp_path / "in", "ferry.txt", GOOD)
    code, out, err = run_newsqa("add", str(outside), str(good), *args)
    assert code == 1
    assert err.splitlines() == ["newsqa: error: bad2.md is not a usable article: its YAML front matter nests deeper than 20 levels: keep it to title, date, source and url"]
    assert "added ferry.txt as ferry.txt" in out
    assert Engine.open(seed_corpus, tmp_path / "idx").ask(FERRY_SEATS).answer == "300"


def test_a_billion_laughs_upload_is_refused_at_once(seed_corpus: Path, tmp_path: Path) -> None:
    engine = Engine.open(seed_corpus, tmp_path / "idx")
    with pytest.raises(Exception, match="bomb.md is not a usable article: its YAML front matter uses an alias"):
        engine.add_article("bomb.md", f"---\n{BILLION_LAUGHS}---\n{BODY}".encode())
    assert not (seed_corpus / "bomb.md").exists()


def test_metadata_is_capped_and_kept_on_one_line() -> None:
    front = f"title: \"{'Headline words ' * 2000}\"\nsource: \"a\\nb\"\nurl: \"javascript:alert(1)\""
    article, _ = parse_article_bytes(f"---\n{front}\n---\n{BODY}".encode(), "x.md")
    assert len(article.title) <= MAX_TITLE_CHARS and article.title.endswith("…")
    assert article.source == "a b" and article.url is None
    first_line = "Word " * 100_000
    article, _ = parse_article_bytes(f"{first_line}\n{BODY}".encode(), "y.txt")
    assert len(article.title) <= MAX_TITLE_CHARS


def test_links_out_of_the_corpus_are_skipped_and_never_quoted(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_article(corpus, "ferry.txt", GOOD)
    (tmp_path / ".env").write_text("Bot settings\n\nThe bot token is SECRET-TOKEN-123 for the server.\n")
    (corpus / "notes.txt").symlink_to("../.env")
    (corpus / "host.txt").symlink_to("/etc/hostname")
    (corpus / "status.txt").symlink_to("/proc/self/status")
    (corpus / "hidden.txt").symlink_to(".secret.txt")
    (corpus / ".secret.txt").write_text("Secret\n\nThe hidden token is HIDDEN-456 for the server.\n")
    (corpus / "zcopy.txt").symlink_to("ferry.txt")  # inside: followed, and the same text is indexed once
    sub = corpus / "archive"
    sub.mkdir()
    write_article(sub, "old.txt", "Old news\n\nThe old pier closed in 1990 after a storm, the city said.\n")
    (corpus / "old.txt").symlink_to("archive/old.txt")
    code, out, err = run_newsqa("index", "--verbose", "--corpus", str(corpus), "--index-dir", str(tmp_path / "idx"))
    assert code == 0
    outside = "a link to a file outside the corpus folder: copy the article into the folder instead"
    for name in ("host.txt", "notes.txt", "status.txt"):
        assert f"skipped: {name}: {outside}" in out
    assert "skipped: hidden.txt: a link to a hidden file: copy the article into the folder instead" in out
    assert "skipped: zcopy.txt: same text as ferry.txt (indexed once)" in out
    assert "added: old" in out
    engine = Engine.open(corpus, tmp_path / "idx")
    for question in ("what is the bot token?", "what is the hidden token?"):
        answer = engine.ask(question)
        assert "SECRET" not in answer.model_dump_json() and "HIDDEN" not in answer.model_dump_json()
    assert engine.ask("when did the old pier close?").answer == "1990"


def test_a_link_swapped_in_after_the_scan_is_not_followed(tmp_path: Path) -> None:
    """The file is opened with O_NOFOLLOW: a link put in its place between look and read is refused."""
    import retrieval.admission as admission
    from retrieval.admission import UnreadableArticle, read_article_file

    corpus = tmp_path / "corpus"
    write_article(corpus, "ferry.txt", GOOD)
    (tmp_path / "secret.txt").write_text("SECRET")
    real = admission.admit_article_file

    def swap_after_look(folder: Path, name: str):  # noqa: ANN202
        found = real(folder, name)
        (folder / name).unlink()
        (folder / name).symlink_to(tmp_path / "secret.txt")
        return found

    admission.admit_article_file = swap_after_look
    try:
        with pytest.raises(UnreadableArticle, match="cannot read it"):
            read_article_file(corpus, "ferry.txt")
    finally:
        admission.admit_article_file = real


def test_pipes_folders_and_dangling_links_named_as_articles_are_skipped_with_the_reason(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_article(corpus, "ferry.txt", GOOD)
    os.mkfifo(corpus / "pipe.txt")
    (corpus / "folder.md").mkdir()
    (corpus / "gone.txt").symlink_to("nowhere.txt")
    (corpus / "images").mkdir()  # a plain sub-folder is no article and not listed
    # A child process with a time limit: a regression that opens the pipe would wait for a writer for ever.
    result = run_cli("index", "--verbose", "--corpus", str(corpus), "--index-dir", str(tmp_path / "idx"))
    assert result.returncode == 0, result.stderr
    assert "skipped: pipe.txt: a named pipe (FIFO), not an article file" in result.stdout
    assert "skipped: folder.md: a folder, not an article file" in result.stdout
    assert "skipped: gone.txt: a link to nothing (its target is missing)" in result.stdout
    assert "images" not in result.stdout and "added: ferry" in result.stdout
    # The in-memory build (no saved index) applies the same rule.
    from retrieval.engine import build_index

    assert {s.path for s in build_index(corpus).skipped} == {"pipe.txt", "folder.md", "gone.txt"}


def test_add_never_opens_a_pipe_or_folder_that_holds_the_name(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_article(corpus, "ferry.txt", GOOD)
    os.mkfifo(corpus / "story.txt")
    (corpus / "story-2.txt").mkdir()
    source = write_article(tmp_path / "in", "story.txt", "Bridge news" + BODY)
    # A child process with a time limit: a regression that opens the pipe would wait for a writer for ever.
    result = run_cli("add", str(source), "--corpus", str(corpus), "--index-dir", str(tmp_path / "idx"))
    assert result.returncode == 0, result.stderr
    assert "added story.txt as story-3.txt" in result.stdout
    assert (corpus / "story-3.txt").read_text() == source.read_text()
    fifo = tmp_path / "in" / "pipe.txt"
    os.mkfifo(fifo)
    result = run_cli("add", str(fifo), "--corpus", str(corpus), "--index-dir", str(tmp_path / "idx"))
    assert result.returncode == 1
    assert result.stderr.strip() == "newsqa: error: pipe.txt is not a usable article: a named pipe (FIFO), not an article file"


def test_a_planted_temporary_name_is_never_followed(seed_corpus: Path, tmp_path: Path) -> None:
    outside = tmp_path / "victim.txt"
    outside.write_text("keep me")
    planted = {".story.txt.tmp", ".newsqa-story.tmp", "story.txt.tmp"}
    for name in planted:
        (seed_corpus / name).symlink_to(outside)
    (seed_corpus / "story.txt").symlink_to(outside)  # the name itself taken by a link: another is used
    engine = Engine.open(seed_corpus, tmp_path / "idx")
    target = engine.store_article("story.txt", ("Bridge news" + BODY).encode())
    assert target.name == "story-2.txt" and not target.is_symlink()
    assert outside.read_text() == "keep me"
    assert not [p for p in seed_corpus.iterdir() if p.name.startswith(".newsqa-") and p.name not in planted]


@pytest.mark.parametrize(
    "name",
    ["\U00020000" * 80 + ".txt", "新闻" * 45 + ".md", "é" * 254 + ".txt", "a" * 300, "x." + "y" * 300],
    ids=["supplementary", "cjk-90", "accents", "ascii-300", "long-suffix"],
)
def test_long_non_ascii_names_fit_the_file_system(seed_corpus: Path, tmp_path: Path, name: str) -> None:
    stored = safe_file_name(name)
    assert len(stored.encode()) <= MAX_NAME_BYTES
    if not stored.endswith((".txt", ".md")):
        return
    engine = Engine.open(seed_corpus, tmp_path / "idx")
    report = engine.add_article(name, GOOD.encode())
    assert report.added and engine.ask(FERRY_SEATS).answer == "300"
    second = engine.store_article(name, b"Other news\n\nSomething else entirely happened on the pier today.\n")
    assert second.name.startswith(Path(stored).stem[:10]) and len(second.name.encode()) <= 255


def test_names_with_newlines_or_bad_bytes_are_skipped_and_shown_escaped(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_article(corpus, "ferry.txt", GOOD)
    write_article(corpus, "two\nlines.txt", GOOD.replace("300", "301"))
    os.close(os.open(os.fsencode(corpus) + b"/bad\xff.txt", os.O_CREAT | os.O_WRONLY))
    result = run_newsqa("index", "--verbose", "--corpus", str(corpus), "--index-dir", str(tmp_path / "idx"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    reason = "its name holds a newline, control character or bytes that are not UTF-8: rename it"
    assert f"skipped: two\\nlines.txt: {reason}" in lines
    assert f"skipped: bad\\udcff.txt: {reason}" in lines
    json_run = run_newsqa("index", "--json", "--corpus", str(corpus), "--index-dir", str(tmp_path / "idx"))
    assert json_run.returncode == 0 and json_run.stdout.startswith("{"), json_run.stderr
    sources = run_newsqa("sources", "--corpus", str(corpus), "--index-dir", str(tmp_path / "idx"))
    assert sources.returncode == 0 and sources.stdout.splitlines()[1].startswith("ferry ")


def test_terminal_escapes_in_an_article_never_reach_the_output() -> None:
    data = b"Title \x1b[31mred\x07\n\nThe body \x1b]0;pwned\x07 of the article is long enough to be a paragraph.\x0c\n"
    article, passages = parse_article_bytes(data, "x.txt")
    assert "\x1b" not in article.title and "\x1b" not in article.text and "\x07" not in article.text
    assert all(article.text[p.start : p.end] == p.text for p in passages)


# Issue #26, defect 2: YAML decodes "\e" and "\a" after the text's clean-up, and `url` was never
# cleaned; a title may carry a right-to-left override and zero-width characters.
HOSTILE_FRONT_MATTER = (
    '---\ntitle: "Harbor\\u202e ferry\\u200b news\\e[2J"\n'
    'url: "https://example.com/a\\e]0;PWNED\\a\\e[2J\\e[31mRED"\nsource: "Port\\u2066 daily"\n---\n\n'
    "The Harbor Line ferry carries 300 passengers between the two piers, the operator said.&#x202E;\u2028"
    "The ferry line opened in\u2029 1990.\n"
)
HIDDEN = ("\x1b", "\x07", "\u202e", "\u2066", "\u200b", "\u2028", "\u2029")


def test_escapes_in_front_matter_and_invisible_characters_reach_no_terminal(tmp_path: Path) -> None:
    import json

    corpus = tmp_path / "corpus"
    write_article(corpus, "ferry.md", HOSTILE_FRONT_MATTER)
    args = ["--corpus", str(corpus), "--index-dir", str(tmp_path / "idx")]
    outputs = [
        run_newsqa("ask", FERRY_SEATS, *args),
        run_newsqa("ask", "what is the capital of Peru?", *args),  # "Closest passages"
        run_newsqa("search", "ferry passengers", *args),
        run_newsqa("sources", *args),
    ]
    for result in outputs:
        assert result.returncode == 0, result.stderr
        assert not any(c in result.stdout + result.stderr for c in HIDDEN), repr(result.stdout)
    assert outputs[0].stdout.startswith("300")
    assert "Harbor ferry news" in outputs[0].stdout and "example.com" not in outputs[0].stdout
    as_json = run_newsqa("ask", "--json", FERRY_SEATS, *args)
    [line] = as_json.stdout.splitlines()
    answer = json.loads(line)
    assert answer["answer"] == "300"
    assert [(c["title"], c["url"]) for c in answer["citations"]] == [("Harbor ferry news [2J", None)]
    assert not any(c in json.dumps(answer, ensure_ascii=False) for c in HIDDEN)


@pytest.mark.parametrize("url, kept", [
    ("https://example.com/a", "https://example.com/a"),
    ("HTTPS://Example.com/K\u00f6ln", "https://Example.com/K\u00f6ln"),
    ("https://example.com/a\u202egpj.exe", None),
    ("https://example.com/a\u200b", None),
    ("https:///etc/passwd", None),
])
def test_only_printable_web_addresses_are_kept_for_citations(tmp_path: Path, url: str, kept: str | None) -> None:
    import json

    corpus = tmp_path / "corpus"
    write_article(corpus, "ferry.md", f"---\nurl: {json.dumps(url)}\n---\n\n{GOOD}")
    result = run_newsqa("ask", "--json", FERRY_SEATS, "--corpus", str(corpus), "--index-dir", str(tmp_path / "idx"))
    assert json.loads(result.stdout)["citations"][0]["url"] == kept


def test_json_lines_stay_one_line_whatever_the_question_holds(seed_corpus: Path) -> None:
    result = run_newsqa(
        "ask", "--json", "-", "--corpus", str(seed_corpus), stdin="who denied\u2028the call?\x85\nwhen was the\u2029 last call?\n",
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2


def test_random_bytes_as_any_article_type_parse_or_are_refused_with_a_reason() -> None:
    """A seeded property test: whatever the bytes, parsing gives an article whose passages slice its
    text, or `UnreadableArticle` with a one-line reason; never another exception."""
    import random

    from retrieval.admission import UnreadableArticle

    rng = random.Random(14)
    pieces = [b"---\n", b"\n---\n", b"title: ", b"date: ", b"&a ", b"*a ", b"[", b"{", b"]", b"<h1>", b"<p>", b"\n\n",
              b"The ferry carries 300 passengers.", b"\xff", b"\xc3", b"\x00", b"\x1b[2J", b"!!python/object ", b"- "]
    for trial in range(300):
        blob = b"".join(rng.choice(pieces) if rng.random() < 0.7 else rng.randbytes(rng.randint(1, 20)) for _ in range(rng.randint(0, 40)))
        if rng.random() < 0.5:
            blob = b"---\n" + blob
        name = rng.choice(["a.txt", "a.md", "a.html"])
        try:
            article, passages = parse_article_bytes(blob, name)
        except UnreadableArticle as exc:
            assert str(exc) and "\n" not in str(exc), (trial, blob)
            continue
        assert passages and all(article.text[p.start : p.end] == p.text for p in passages), (trial, blob)
        assert "\n" not in article.title and len(article.title) <= MAX_TITLE_CHARS


@pytest.mark.parametrize(
    "name, text",
    [
        ("ticker.txt", "Title\n\n1" + " " * 200_000 + "x\n\nThe ferry carries 300 passengers, the operator said.\n"),
        ("heading.md", "# " + " " * 200_000 + "#" * 200_000 + "x\n\nThe ferry carries 300 passengers, the operator said.\n"),
    ],
)
def test_lines_built_to_make_a_regex_backtrack_are_read_in_linear_time(tmp_path: Path, name: str, text: str) -> None:
    """In a child process with a time limit: a quadratic pattern (5 s for 20,000 spaces) fails the test."""
    corpus = tmp_path / "corpus"
    write_article(corpus, name, text)
    result = run_cli("index", "--corpus", str(corpus), "--index-dir", str(tmp_path / "idx"), timeout=60)
    assert result.returncode == 0 and "1 added" in result.stdout, result.stderr


@pytest.mark.slow
def test_a_paragraph_of_a_megabyte_is_answered_without_stalling(tmp_path: Path) -> None:
    """One huge paragraph is cut into passages of at most MAX_PASSAGE_CHARS: the answer step took
    minutes over it whole. In a child process with a time limit, so a regression fails, not stalls."""
    import random

    from retrieval.ingest import MAX_PASSAGE_CHARS

    rng = random.Random(14)
    words = "the ferry carries passengers between piers operator said city council bridge cost mayor opened".split()
    sentences = ". ".join(" ".join(rng.choice(words) for _ in range(12)) for _ in range(8000))
    corpus = tmp_path / "corpus"
    write_article(corpus, "big.txt", "Big article\n\n" + sentences + ". The mayor Jane Holloway opened the bridge.\n")
    article, passages = parse_article_bytes((corpus / "big.txt").read_bytes(), "big.txt")
    assert len(passages) > 10 and all(len(p.text) <= MAX_PASSAGE_CHARS for p in passages)
    assert all(article.text[p.start : p.end] == p.text for p in passages)
    result = run_cli("ask", "who opened the bridge?", "--corpus", str(corpus), "--index-dir", str(tmp_path / "idx"), timeout=120)
    assert result.returncode == 0, result.stderr


def test_files_newsqa_creates_have_the_mode_the_umask_allows(tmp_path: Path) -> None:
    """Issue #26, defect 5: CURRENT and every stored article were 0600 whatever the umask, so another
    user of a shared index was told "cannot update the index (Permission denied)"."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "idx"
    write_article(corpus, "bridge.txt", "Bridge opens" + BODY)
    source = write_article(tmp_path / "in", "ferry.txt", GOOD)
    umask = os.umask(0o002)
    try:
        result = run_newsqa("add", str(source), "--corpus", str(corpus), "--index-dir", str(index_dir))
    finally:
        os.umask(umask)
    assert result.returncode == 0, result.stderr
    modes = {p.relative_to(tmp_path).as_posix(): oct(p.stat().st_mode & 0o777)
             for p in [corpus / "ferry.txt", index_dir / "CURRENT", index_dir / "NEWSQA-INDEX", *index_dir.glob("gen-*/*")]}
    assert set(modes.values()) == {oct(0o664)}, modes


def test_an_article_of_a_million_short_lines_is_skipped_with_the_reason(tmp_path: Path) -> None:
    """Issue #26, defect 4: every short line became a passage, 1.6 GB for a 2 MB file."""
    corpus = tmp_path / "corpus"
    write_article(corpus, "ferry.txt", GOOD)
    write_article(corpus, "lines.txt", "Lines\n\n" + "a\n" * 1_000_000)
    result = run_newsqa("index", "--verbose", "--corpus", str(corpus), "--index-dir", str(tmp_path / "idx"), "--json")
    assert result.returncode == 0, result.stderr
    report = __import__("json").loads(result.stdout)
    assert report["added"] == ["ferry"]
    assert report["skipped"] == [{"path": "lines.txt", "reason": (
        "it would make over 10,000 passages (each short line is one): join its lines into paragraphs or split it into several articles"
    )}]


def test_the_worker_that_reads_hostile_pages_talks_json_and_runs_only_its_jobs(tmp_path: Path) -> None:
    """What the parsing worker sends back can't run code here: no pickle anywhere in the engine, replies
    are JSON rebuilt into validated models, and a call names one of its few jobs."""
    import re

    from retrieval import bounded
    from retrieval.ingest import SMALL_ARTICLE_BYTES, _parse_here, parse_article_bytes

    sources = (Path(bounded.__file__).parent).rglob("*.py")
    assert not [p.name for p in sources if re.search(r"^\s*(import pickle|from pickle)", p.read_text(encoding="utf-8"), re.M)]
    with pytest.raises(ValueError, match="no such job"):
        bounded.call_bounded("os.system", "true", seconds=5)
    text = "---\ntitle: Big one\npublished: 2025-03-01\n---\n" + "\n\n".join(f"Paragraph {i} says the ferry left at {i} p.m." for i in range(2000))
    data = text.encode()
    assert len(data) > SMALL_ARTICLE_BYTES  # read by the worker
    assert parse_article_bytes(data, "big.md") == _parse_here(data, "big.md")
