"""The saved index: answers before and after adding, editing, renaming and deleting articles; damaged
and outdated indexes; what an update reads."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from tests.reference_bm25 import ReferenceBM25
from retrieval.cli import main
from retrieval.engine import Engine, build_index
from retrieval.index import CorpusIndex, passage_terms
from retrieval.store import FORMAT_VERSION, default_index_dir
from tests.helpers import write_article

BRIDGE = """Springfield opens the Elm Street bridge

The mayor of Springfield, Jane Holloway, opened the Elm Street bridge on March 5, 2024, after three years of construction.

The Elm Street bridge cost 42 million dollars, city officials said on Tuesday.
"""
FERRY = """Harbor ferry returns to service

The Harbor Line ferry returned to service on June 2, 2024, after repairs to its engines.

The ferry carries 300 passengers between the two piers, the operator said.
"""

WHEN_BRIDGE = "when did the Elm Street bridge open?"
BRIDGE_COST = "how much did the Elm Street bridge cost?"
FERRY_SEATS = "how many passengers does the Harbor Line ferry carry?"


def age(path: Path, seconds: float = 3600) -> None:
    """Make a file look written an hour ago, as files are when a user adds one the next day."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))


def age_all(folder: Path) -> None:
    for p in folder.iterdir():
        age(p)


@pytest.fixture
def corpus(seed_corpus: Path) -> Path:
    write_article(seed_corpus, "bridge.txt", BRIDGE)
    age_all(seed_corpus)
    return seed_corpus


def test_index_is_saved_and_reopened_without_reading_articles(corpus: Path, tmp_path: Path) -> None:
    first = Engine.open(corpus, tmp_path / "idx")
    assert first.last_report.files_read == 3 and sorted(first.last_report.added) == sorted(first.index.articles)
    again = Engine.open(corpus, tmp_path / "idx")
    assert again.last_report.files_read == 0
    assert again.last_report.articles_tokenized == 0
    assert again.ask(BRIDGE_COST).answer == "42 million dollars"
    assert [p.text for p in again.index.passages] == [p.text for p in first.index.passages]


def test_default_index_dir_is_a_cache_folder_outside_the_corpus(corpus: Path) -> None:
    engine = Engine.open(corpus)
    folder = default_index_dir(corpus)
    assert engine.store is not None and engine.store.index_dir == folder
    assert folder.is_relative_to(Path(os.environ["XDG_CACHE_HOME"]))
    assert (folder / "CURRENT").is_file()
    assert not any(p.name.startswith(("gen-", "CURRENT")) for p in corpus.iterdir())


def test_index_dir_setting(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSQA_INDEX_DIR", str(tmp_path / "from-env"))
    Engine.open(corpus)
    assert (tmp_path / "from-env" / "CURRENT").is_file()


def test_added_article_becomes_answerable_and_only_it_is_read(corpus: Path, tmp_path: Path) -> None:
    engine = Engine.open(corpus, tmp_path / "idx")
    assert not engine.ask(FERRY_SEATS).found
    write_article(corpus, "ferry.txt", FERRY)
    assert engine.is_stale()
    report = engine.refresh()
    assert report is not None and report.added == ["ferry"]
    assert report.files_read == 1 and report.articles_tokenized == 1
    answer = engine.ask(FERRY_SEATS)
    assert answer.answer == "300"
    assert answer.citations[0].article_id == "ferry"
    assert engine.refresh() is None  # nothing changed since


def test_deleted_article_stops_being_answered(corpus: Path, tmp_path: Path) -> None:
    engine = Engine.open(corpus, tmp_path / "idx")
    assert engine.ask(BRIDGE_COST).answer == "42 million dollars"
    (corpus / "bridge.txt").unlink()
    report = engine.reindex()
    assert report.removed == ["bridge"] and report.files_read == 0
    assert not engine.ask(BRIDGE_COST).found
    assert "bridge" not in {i.id for i in Engine.open(corpus, tmp_path / "idx").sources()}


def test_edited_date_is_answered_with_the_new_value(corpus: Path, tmp_path: Path) -> None:
    engine = Engine.open(corpus, tmp_path / "idx")
    assert engine.ask(WHEN_BRIDGE).answer == "March 5, 2024"
    path = corpus / "bridge.txt"
    path.write_text(BRIDGE.replace("March 5, 2024", "March 9, 2024"), encoding="utf-8")  # same size
    report = engine.reindex()
    assert report.updated == ["bridge"] and report.files_read == 1
    assert engine.ask(WHEN_BRIDGE).answer == "March 9, 2024"
    assert Engine.open(corpus, tmp_path / "idx").ask(WHEN_BRIDGE).answer == "March 9, 2024"


def test_edit_within_the_same_second_is_still_seen(corpus: Path, tmp_path: Path) -> None:
    """On a file system with whole-second times, an edit right after indexing keeps size and time."""
    import time

    path = corpus / "bridge.txt"
    second = time.time_ns() // 10**9 * 10**9
    os.utime(path, ns=(second, second))
    engine = Engine.open(corpus, tmp_path / "idx")
    assert engine.ask(WHEN_BRIDGE).answer == "March 5, 2024"
    path.write_text(BRIDGE.replace("March 5, 2024", "March 7, 2024"), encoding="utf-8")
    os.utime(path, ns=(second, second))  # same size, same time: the cheap check alone would miss it
    assert engine.reindex().updated == ["bridge"]
    assert engine.ask(WHEN_BRIDGE).answer == "March 7, 2024"


def test_a_racy_file_found_unchanged_writes_no_new_generation(corpus: Path, tmp_path: Path) -> None:
    """Re-checking a file indexed within its mtime tick costs a read, not a rewrite of the whole index."""
    import time

    path = corpus / "bridge.txt"
    now = time.time_ns() | 1  # "now", in sub-second time: the 100 ms racy window
    os.utime(path, ns=(now, now))  # modified "just now": racy when indexed
    Engine.open(corpus, tmp_path / "idx")
    time.sleep(0.2)  # no longer racy when read again
    generation = (tmp_path / "idx" / "CURRENT").read_text()
    for _ in range(2):
        engine = Engine.open(corpus, tmp_path / "idx")
        assert engine.last_report.files_read == 1 and engine.last_report.articles_tokenized == 0
        assert (tmp_path / "idx" / "CURRENT").read_text() == generation
        assert engine.ask(WHEN_BRIDGE).answer == "March 5, 2024"
    # An edit that keeps size and time is still seen, however many times the file was re-checked.
    path.write_text(BRIDGE.replace("March 5, 2024", "March 7, 2024"), encoding="utf-8")
    os.utime(path, ns=(now, now))
    assert Engine.open(corpus, tmp_path / "idx").ask(WHEN_BRIDGE).answer == "March 7, 2024"


def test_updates_from_the_kept_generation_write_each_file_its_own_line(corpus: Path, tmp_path: Path) -> None:
    """A new file that sorts first, then another update from the generation kept in memory: every line
    of files.jsonl is still its own file's, so a new process finds nothing to read again."""
    age_all(corpus)
    engine = Engine.open(corpus, tmp_path / "idx")
    age(write_article(corpus, "0-aardvark.txt", AARDVARK))
    assert engine.reindex().added == ["0-aardvark"]
    (corpus / "0-aardvark.txt").unlink()
    assert engine.reindex().removed == ["0-aardvark"]
    age(write_article(corpus, "zebra.txt", ZEBRA))
    assert engine.reindex().added == ["zebra"]
    current = json.loads((tmp_path / "idx" / "CURRENT").read_text())["generation"]
    lines = [json.loads(x) for x in (tmp_path / "idx" / current / "files.jsonl").read_text().splitlines()]
    assert [x["name"] for x in lines] == sorted(p.name for p in corpus.iterdir())
    for x in lines:
        assert x["size"] == (corpus / x["name"]).stat().st_size
    report = Engine.open(corpus, tmp_path / "idx").last_report
    assert report.files_read == 0 and not report.changed


def test_renamed_article_is_not_tokenized_again(corpus: Path, tmp_path: Path) -> None:
    engine = Engine.open(corpus, tmp_path / "idx")
    (corpus / "bridge.txt").rename(corpus / "elm-street.txt")
    report = engine.reindex()
    assert report.renamed == {"bridge": "elm-street"}
    assert report.added == [] and report.removed == []
    assert report.files_read == 1 and report.articles_tokenized == 0
    answer = engine.ask(BRIDGE_COST)
    assert answer.answer == "42 million dollars"
    assert answer.citations[0].article_id == "elm-street"
    assert answer.citations[0].passage_id == "elm-street#2"
    reopened = Engine.open(corpus, tmp_path / "idx")
    assert reopened.index.articles["elm-street"].path == "elm-street.txt"
    assert "bridge" not in reopened.index.articles


def test_same_text_under_two_names_is_indexed_once(corpus: Path, tmp_path: Path) -> None:
    engine = Engine.open(corpus, tmp_path / "idx")
    write_article(corpus, "bridge-copy.txt", BRIDGE)
    report = engine.reindex()
    assert report.added == [] and report.articles_tokenized == 0
    assert [(s.path, s.reason) for s in report.skipped] == [("bridge-copy.txt", "same text as bridge.txt (indexed once)")]
    assert sum(1 for p in engine.index.passages if "42 million" in p.text) == 1
    # The original goes; the copy takes over without being tokenized.
    (corpus / "bridge.txt").unlink()
    report = engine.reindex()
    assert report.renamed == {"bridge": "bridge-copy"} and report.articles_tokenized == 0
    assert engine.ask(BRIDGE_COST).citations[0].article_id == "bridge-copy"


def test_two_files_with_one_article_id(corpus: Path, tmp_path: Path) -> None:
    engine = Engine.open(corpus, tmp_path / "idx")
    write_article(corpus, "bridge.md", "# Ferry\n\n" + FERRY)
    engine.reindex()  # the file indexed first keeps the id
    reasons = {s.path: s.reason for s in engine.skipped}
    assert "same article id 'bridge'" in reasons["bridge.md"]
    (corpus / "bridge.txt").unlink()
    engine.reindex()
    assert engine.ask(FERRY_SEATS).answer == "300"  # the .md took the id over


def test_touched_file_is_read_but_not_tokenized(corpus: Path, tmp_path: Path) -> None:
    engine = Engine.open(corpus, tmp_path / "idx")
    age(corpus / "bridge.txt", 60)  # saved again with the same text: a new time
    report = engine.reindex()
    assert report.files_read == 1 and report.articles_tokenized == 0 and not report.changed
    assert Engine.open(corpus, tmp_path / "idx").last_report.files_read == 0  # the new time was saved


def test_unreadable_files_are_skipped_with_reasons_and_not_read_again(corpus: Path, tmp_path: Path) -> None:
    (corpus / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    (corpus / "notes.pdf").write_bytes(b"%PDF-1.4")
    age_all(corpus)
    engine = Engine.open(corpus, tmp_path / "idx")
    reasons = {s.path: s.reason for s in engine.skipped}
    assert reasons["photo.txt"].startswith("binary data, not text")
    assert reasons["notes.pdf"] == "unsupported file type .pdf: use .txt, .md or .html"
    again = Engine.open(corpus, tmp_path / "idx")
    assert again.last_report.files_read == 0
    assert {s.path for s in again.skipped} == {"photo.txt", "notes.pdf"}


def test_an_empty_file_does_not_make_the_saved_index_look_damaged(corpus: Path, tmp_path: Path) -> None:
    (corpus / "empty.txt").write_bytes(b"")
    age(corpus / "empty.txt")
    Engine.open(corpus, tmp_path / "idx")
    again = Engine.open(corpus, tmp_path / "idx")
    assert again.last_report.notes == [] and again.last_report.files_read == 0
    assert [s.path for s in again.skipped] == ["empty.txt"]


def test_html_file_in_the_corpus_is_indexed_with_its_metadata(corpus: Path, tmp_path: Path) -> None:
    (corpus / "ferry.html").write_text(
        "<html><head><title>Ferry | Harbor News</title>"
        '<meta property="og:title" content="Harbor ferry returns to service">'
        '<meta property="article:published_time" content="2024-06-02">'
        '<link rel="canonical" href="https://harbor.example/ferry"></head><body>'
        "<nav>Home | Sports | Weather</nav><article><h1>Harbor ferry returns to service</h1>"
        "<p>The Harbor Line ferry returned to service on June 2, 2024, after repairs to its engines.</p>"
        "<p>The ferry carries 300 passengers between the two piers, the operator said.</p>"
        "</article><footer>Subscribe now</footer></body></html>",
        encoding="utf-8",
    )
    engine = Engine.open(corpus, tmp_path / "idx")
    answer = engine.ask(FERRY_SEATS)
    assert answer.answer == "300"
    citation = answer.citations[0]
    assert (citation.title, citation.published, citation.url) == (
        "Harbor ferry returns to service", "2024-06-02", "https://harbor.example/ferry",
    )
    assert not any("Subscribe" in p.text or "Sports" in p.text for p in engine.index.passages)


def test_remove_article(corpus: Path, tmp_path: Path) -> None:
    engine = Engine.open(corpus, tmp_path / "idx")
    report = engine.remove_article("bridge")
    assert report.removed == ["bridge"]
    assert not (corpus / "bridge.txt").exists()
    assert not engine.ask(BRIDGE_COST).found
    from retrieval.errors import UsageError

    with pytest.raises(UsageError, match="no article with id 'bridge': 'newsqa sources' lists the ids"):
        engine.remove_article("bridge")
    with pytest.raises(UsageError):
        engine.remove_article("../corpus")


@pytest.mark.slow
def test_questions_during_a_reindex_are_answered_from_a_whole_index(corpus: Path, tmp_path: Path) -> None:
    engine = Engine.open(corpus, tmp_path / "idx")
    for i in range(40):
        write_article(corpus, f"extra-{i:02d}.txt", FERRY.replace("300", str(1000 + i)).replace("Harbor", f"Harbor{i}"))
    answers: list[str | None] = []
    worker = threading.Thread(target=engine.reindex)
    worker.start()
    while worker.is_alive():
        answers.append(engine.ask(BRIDGE_COST).answer)
    worker.join()
    answers.append(engine.ask(BRIDGE_COST).answer)
    assert set(answers) == {"42 million dollars"}
    assert len(engine.index.articles) == 43


# --- an update gives what a full rebuild gives ---------------------------------------------------

AARDVARK = """Aardvark count at Abbeyfield

Volunteers counted 17 aardvarks at the Abbeyfield reserve on May 3, 2024, the warden said.
"""
ZEBRA = """Zebra crossing for Zyzzyva Lane

The council painted a zebra crossing on Zyzzyva Lane on April 9, 2024, after complaints from parents.
"""


def _saved_articles(index_dir: Path) -> dict[str, bytes]:
    """The current generation's files that depend on the articles alone (files.jsonl also holds the
    corpus files' times, manifest.json the time of writing)."""
    gen = current_generation(index_dir)
    return {p.name: p.read_bytes() for p in sorted(gen.iterdir()) if p.name not in ("files.jsonl", "manifest.json")}


def _passages(index: CorpusIndex) -> list[tuple]:
    return [(p.id, p.article_id, p.number, p.start, p.end, p.heading, p.text) for p in index.passages]


def _assert_same_index(index: CorpusIndex, full: CorpusIndex) -> None:
    assert _passages(index) == _passages(full)
    assert {a.id: a.model_dump() for a in index.articles.values()} == {a.id: a.model_dump() for a in full.articles.values()}
    assert index.sorted_vocab == full.sorted_vocab == sorted(index.bm25.vocab)
    assert index.bm25.vocab == full.bm25.vocab == {t: i for i, t in enumerate(full.sorted_vocab)}
    # The scores of every term, and of questions, are the definition's (rank-bm25 with Lucene's idf),
    # and those of an index built in memory from the texts alone, to the last bit.
    reference = ReferenceBM25([passage_terms(p) for p in index.passages])
    from_texts = CorpusIndex.build(list(index.articles.values()), index.passages).bm25
    queries = [[t] for t in index.sorted_vocab] + [
        ["bridg", "cost"], ["zebra", "cross", "zyzzyva"], ["aardvark", "abbeyfield", "bridg", "aardvark"]
    ]
    for query in queries:
        scores = index.bm25.get_scores(query)
        assert np.array_equal(scores, reference.get_scores(query)), query
        assert np.array_equal(scores, from_texts.get_scores(query)), query
        assert np.array_equal(scores, full.bm25.get_scores(query)), query


@pytest.mark.parametrize("in_memory", [True, False], ids=["reindex-with-index-in-memory", "open-after-changes"])
@pytest.mark.slow
def test_every_update_saves_and_serves_what_a_full_rebuild_does(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_memory: bool
) -> None:
    """Added terms sorted in first and last, an edit, a rename, a deletion whose terms must go:
    after each, the updated index equals one built from scratch, on disk byte for byte."""
    import retrieval.bm25
    from retrieval.store import layout

    # Vocabularies and lines are written, and terms numbered, a chunk at a time: make these tiny
    # corpora take many.
    monkeypatch.setattr(layout, "JSON_CHUNK", 7)
    monkeypatch.setattr(layout, "LINES_PER_WRITE", 2)
    monkeypatch.setattr(layout, "LINES_PER_PARSE", 3)
    monkeypatch.setattr(retrieval.bm25, "_VOCAB_CHUNK", 5)
    monkeypatch.setattr(retrieval.bm25, "_MERGE_CHUNK", 3)
    engine = Engine.open(corpus, tmp_path / "idx")
    # Which way each update makes BM25: additions merge postings into the stored ones, the rest rebuild.
    ways: list[str] = []
    for method, way in (("build_from_ids", "rebuilt"), ("insert_passages", "merged")):
        original = getattr(retrieval.bm25.BM25Index, method).__func__
        monkeypatch.setattr(
            retrieval.bm25.BM25Index, method,
            classmethod(lambda cls, *a, _f=original, _w=way, **k: ways.append(_w) or _f(cls, *a, **k)),
        )
    steps = [
        # Files aged, so that opening the index to check it finds nothing racy to write again.
        lambda: age(write_article(corpus, "aardvark.txt", AARDVARK)),
        lambda: age(write_article(corpus, "zebra.txt", ZEBRA)),
        lambda: age(write_article(corpus, "bridge.txt", BRIDGE.replace("42 million", "44 million"))),
        lambda: (corpus / "aardvark.txt").rename(corpus / "aardvark-count.txt"),
        lambda: (corpus / "zebra.txt").unlink(),
    ]
    for n, step in enumerate(steps):
        before = engine.index
        step()
        ways.clear()
        if in_memory:
            report = engine.reindex()
            kept = [i for i in report.unchanged if i in before.articles]
            # Unchanged articles are neither read nor tokenized again (their objects are made on
            # access from the saved generation, retrieval/lazy.py), and come out the same.
            assert kept and report.articles_tokenized <= 1 and report.files_read <= 1
            assert all(engine.index.articles[i] == before.articles[i] for i in kept)
        else:
            engine = Engine.open(corpus, tmp_path / "idx")
        assert ways == [["merged"], ["merged"], ["rebuilt"], ["merged"], ["rebuilt"]][n]
        full = Engine.open(corpus, tmp_path / f"full-{n}")
        assert full.last_report.files_read == len(list(corpus.iterdir()))  # really built from scratch
        assert _saved_articles(tmp_path / "idx") == _saved_articles(tmp_path / f"full-{n}")
        _assert_same_index(engine.index, full.index)
        _assert_same_index(Engine.open(corpus, tmp_path / "idx").index, full.index)  # as loaded from disk
    assert "zyzzyva" not in engine.index.bm25.vocab and "aardvark" in engine.index.bm25.vocab
    assert engine.ask(BRIDGE_COST).answer == "44 million dollars"
    assert engine.index.passages == build_index(corpus).passages


# --- damaged and outdated indexes ----------------------------------------------------------------


def current_generation(index_dir: Path) -> Path:
    return index_dir / json.loads((index_dir / "CURRENT").read_text())["generation"]


def ask_cli(corpus: Path, index_dir: Path, question: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["ask", "--corpus", str(corpus), "--index-dir", str(index_dir), question])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "damage, problem",
    [
        (lambda g: _truncate(g / "texts.bin"), "texts.bin is truncated or damaged"),
        (lambda g: _truncate(g / "bm25-doc_ids.npy"), "bm25-doc_ids.npy is truncated or damaged"),
        (lambda g: _flip_byte(g / "articles.jsonl"), "articles.jsonl is corrupted (its checksum does not match)"),
        (lambda g: _flip_byte(g / "texts.bin"), "texts.bin is corrupted (its checksum does not match)"),
        (lambda g: _flip_byte(g / "term_ids.npy"), "term_ids.npy is corrupted (its checksum does not match)"),
        (lambda g: _truncate(g / "manifest.json"), "manifest.json does not match its checksum"),
        (lambda g: (g / "vocab.json").unlink(), "a file of the current generation is missing (vocab.json)"),
        (lambda g: (g.parent / "CURRENT").write_text("{"), "CURRENT is unreadable"),
    ],
    ids=["truncated-texts", "truncated-array", "corrupt-lines", "corrupt-texts", "corrupt-array", "truncated-manifest", "missing-file", "bad-current"],
)
def test_damaged_index_is_rebuilt_with_a_warning(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], damage, problem: str  # noqa: ANN001
) -> None:
    index_dir = tmp_path / "idx"
    assert ask_cli(corpus, index_dir, BRIDGE_COST, capsys)[0] == 0
    damage(current_generation(index_dir))
    code, out, err = ask_cli(corpus, index_dir, BRIDGE_COST, capsys)
    assert code == 0
    assert out.startswith("42 million dollars\n")
    warning = [line for line in err.splitlines() if "damaged" in line]
    assert len(warning) == 1
    assert warning[0].startswith(f"newsqa: warning: the saved index in {index_dir} is damaged ({problem}")
    assert warning[0].endswith("; rebuilding it")
    assert ask_cli(corpus, index_dir, BRIDGE_COST, capsys)[2] == ""  # rebuilt: quiet again


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) - 3] ^= 0x55
    path.write_bytes(bytes(data))


def _rewrite_manifest(index_dir: Path, change) -> None:  # noqa: ANN001
    """Edit the manifest and fix its checksum, as another newsqa version would have written it."""
    import hashlib

    gen = current_generation(index_dir)
    manifest = json.loads((gen / "manifest.json").read_text())
    change(manifest)
    raw = json.dumps(manifest).encode()
    (gen / "manifest.json").write_bytes(raw)
    (index_dir / "CURRENT").write_text(json.dumps({"generation": gen.name, "manifest_sha256": hashlib.sha256(raw).hexdigest()}))


@pytest.mark.parametrize(
    "change, notice",
    [
        (lambda m: m.update(format=FORMAT_VERSION - 1), f"it has index format {FORMAT_VERSION - 1}, this newsqa uses format {FORMAT_VERSION}"),
        (lambda m: m.update(tokenizer="newsqa-snowball/0/pystemmer-1.0"), "it was made with tokenizer newsqa-snowball/0/pystemmer-1.0"),
    ],
    ids=["older-format", "other-tokenizer"],
)
def test_outdated_index_is_rebuilt_with_a_notice(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], change, notice: str  # noqa: ANN001
) -> None:
    index_dir = tmp_path / "idx"
    ask_cli(corpus, index_dir, BRIDGE_COST, capsys)
    _rewrite_manifest(index_dir, change)
    code, out, err = ask_cli(corpus, index_dir, BRIDGE_COST, capsys)
    assert code == 0 and out.startswith("42 million dollars\n")
    lines = err.splitlines()
    assert lines[0].startswith(f"newsqa: the saved index in {index_dir} is out of date ({notice}")
    assert lines[0].endswith("; rebuilding it")
    assert ask_cli(corpus, index_dir, BRIDGE_COST, capsys)[2] == ""


def test_index_of_another_corpus_is_rebuilt(corpus: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    write_article(other, "ferry.txt", FERRY)
    Engine.open(other, tmp_path / "shared-idx")
    engine = Engine.open(corpus, tmp_path / "shared-idx")
    assert any("it was made for the corpus" in n for n in engine.last_report.notes)
    assert engine.ask(BRIDGE_COST).answer == "42 million dollars"
    assert not engine.ask(FERRY_SEATS).found


class _Payload:
    """Unpickling this would create a file: proof that loading ran code."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204
        return (Path.touch, (Path(self.marker),))


def test_a_pickled_array_is_refused_not_run(corpus: Path, tmp_path: Path) -> None:
    """Even with matching checksums (someone with write access to the cache), loading runs no code."""
    import hashlib

    index_dir = tmp_path / "idx"
    Engine.open(corpus, index_dir)
    gen = current_generation(index_dir)
    marker = tmp_path / "pwned"
    evil = np.array([_Payload(str(marker))], dtype=object)
    with open(gen / "term_ptr.npy", "wb") as fh:
        np.save(fh, evil, allow_pickle=True)
    blob = (gen / "term_ptr.npy").read_bytes()

    def fix(m: dict) -> None:
        m["data"]["term_ptr.npy"] = {"size": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}

    _rewrite_manifest(index_dir, fix)
    engine = Engine.open(corpus, index_dir)
    assert not marker.exists()
    assert any("term_ptr.npy is not a plain NumPy array file" in n for n in engine.last_report.notes)
    assert engine.ask(BRIDGE_COST).answer == "42 million dollars"


def test_old_generations_and_leftovers_are_cleaned_up(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    engine = Engine.open(corpus, index_dir)
    crashed = "tmp-" + "5" * 32  # the exact name a writer gives a generation it writes (owned.py)
    (index_dir / crashed).mkdir()
    (index_dir / crashed / "texts.bin").write_bytes(b"half")
    for i in range(4):
        write_article(corpus, f"n{i}.txt", FERRY.replace("300", str(i + 10)))
        engine.reindex()
    names = sorted(p.name for p in index_dir.iterdir())
    assert names == ["CURRENT", "NEWSQA-INDEX", "dense-vectors", "gen-000004", "gen-000005", "lock", "lock.owner"]


def test_two_threads_reindexing_at_once(corpus: Path, tmp_path: Path) -> None:
    """The bot may start a re-index while another is running: both finish, nothing is lost."""
    engine = Engine.open(corpus, tmp_path / "idx")
    for i in range(30):
        write_article(corpus, f"t{i:02d}.txt", FERRY.replace("300", str(500 + i)).replace("Harbor", f"Harbor{i}"))
    reports = []
    threads = [threading.Thread(target=lambda: reports.append(engine.reindex())) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(r.added) for r in reports) == [0, 30]
    assert len(engine.index.articles) == 33
    assert Engine.open(corpus, tmp_path / "idx").last_report.added == []


def test_reindex_with_nothing_changed_keeps_the_index_in_memory(corpus: Path, tmp_path: Path) -> None:
    engine = Engine.open(corpus, tmp_path / "idx")
    before = engine.index
    report = engine.reindex()
    assert not report.changed and report.files_read == 0
    assert engine.index is before


def test_reindex_takes_the_generation_it_wrote_from_memory(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot's next update reads none of the index it wrote itself; one another process wrote is
    read and verified."""
    engine = Engine.open(corpus, tmp_path / "idx")
    read: list[str] = []
    from retrieval.store import layout as layout_module

    real_read = layout_module.read_regular
    monkeypatch.setattr(layout_module, "read_regular", lambda path, *a: read.append(Path(path).name) or real_read(path, *a))
    # Files served memory-mapped are checksummed through their map: a map of a generation other than
    # the one being written is a read.
    from retrieval.store import index_store, layout, write

    real_map, real_write = layout.map_file, index_store.write_generation
    writing: list[bool] = []

    def tracked_write(*args, **kwargs):
        writing.append(True)
        try:
            return real_write(*args, **kwargs)
        finally:
            writing.clear()

    def tracked_map(path):
        if not writing:
            read.append(Path(path).name)
        return real_map(path)

    monkeypatch.setattr(index_store, "write_generation", tracked_write)
    monkeypatch.setattr(layout, "map_file", tracked_map)
    monkeypatch.setattr(write, "map_file", tracked_map)
    age(write_article(corpus, "zebra.txt", ZEBRA))
    engine.reindex()
    read.clear()
    age(write_article(corpus, "aardvark.txt", AARDVARK))
    assert engine.reindex().added == ["aardvark"]
    assert read == ["CURRENT"]  # nothing of the generation itself: it was written by this engine
    other = Engine.open(corpus, tmp_path / "idx")  # another process's store: verifies what it loads
    assert {"manifest.json", "texts.bin", "articles.jsonl"} <= set(read)
    (corpus / "zebra.txt").unlink()
    other.reindex()  # writes a new generation
    read.clear()
    assert engine.reindex().removed == ["zebra"]  # its kept generation is no longer current: loaded
    assert {"manifest.json", "texts.bin", "articles.jsonl"} <= set(read)
    assert "zebra" not in engine.index.articles and engine.ask(BRIDGE_COST).answer == "42 million dollars"


def test_a_generation_damaged_after_it_was_written_is_not_taken_from_memory(corpus: Path, tmp_path: Path) -> None:
    engine = Engine.open(corpus, tmp_path / "idx")
    age(write_article(corpus, "zebra.txt", ZEBRA))
    engine.reindex()
    _truncate(current_generation(tmp_path / "idx") / "texts.bin")
    age(write_article(corpus, "aardvark.txt", AARDVARK))
    report = engine.reindex()
    assert any("is damaged (texts.bin is truncated" in note for note in report.notes)
    assert Engine.open(corpus, tmp_path / "idx").last_report.notes == []  # rebuilt whole
    assert engine.ask(WHEN_BRIDGE).answer is not None


@pytest.mark.parametrize("name", ["a.txt", "A.HTML", "x.htm", "a.b.md", "noext", "a.", "..txt", ".a.txt", "a..txt", "...", "a.tar.gz", "ä.TXT"])
def test_file_name_shortcuts_agree_with_os_path_and_pathlib(name: str) -> None:
    """The update's quick parser kind and article id of a file name are the library rules' answers."""
    from retrieval.ingest import HTML_SUFFIXES, article_id_for
    from retrieval.store.plan import article_id, parser_kind

    suffix = os.path.splitext(name)[1].lower()
    assert parser_kind(name) == ("html" if suffix in HTML_SUFFIXES else suffix.lstrip("."))
    assert article_id(name) == article_id_for(Path(name))


@pytest.mark.slow
def test_a_loaded_index_makes_the_articles_and_passages_of_one_built_in_memory(corpus: Path, tmp_path: Path) -> None:
    """A saved index keeps passages as rows and texts mapped (retrieval/lazy.py): the objects it makes
    are those an in-memory build holds, offsets in characters of non-ASCII text and headings included."""
    from retrieval.lazy import StoredArticles, StoredPassages

    write_article(
        corpus, "cafe.md",
        "# Café news\n\n## Über den Fluss\n\nDie Brücke über den Fluss kostete 5 Millionen Euro, sagte der Bürgermeister.\n\n"
        "## Zweiter Teil\n\nNaïve façade: the café opened on 3 May 2024 — at last.\n",
    )
    age_all(corpus)
    engine = Engine.open(corpus, tmp_path / "idx")
    for _step in range(2):
        loaded, built = engine.index, build_index(corpus)
        assert isinstance(loaded.passages, StoredPassages) and isinstance(loaded.articles, StoredArticles)
        assert sorted(_passages(loaded)) == sorted(_passages(built)) and any(p.heading for p in loaded.passages)
        assert {a.id: a.model_dump() for a in loaded.articles.values()} == {a.id: a.model_dump() for a in built.articles.values()}
        assert sorted(loaded.articles) == sorted(built.articles) and len(loaded.articles) == len(built.articles)
        assert sorted(loaded.article_infos(), key=lambda i: i.id) == sorted(built.article_infos(), key=lambda i: i.id)
        for p in built.passages:
            assert loaded.passage(p.id) == p and loaded.articles[p.article_id].text[p.start : p.end] == p.text
        for missing in ("cafe#0", "cafe#99", "nope#1", "cafe", "cafe#x"):
            assert loaded.passage(missing) is None and built.passage(missing) is None
        assert loaded.passages[-1] == loaded.passages[len(loaded.passages) - 1]
        with pytest.raises(IndexError):
            loaded.passages[len(loaded.passages)]
        assert engine.ask("When did the café open?").answer == "3 May 2024"
        write_article(corpus, "ferry.txt", FERRY)  # the next round: after an update in memory
        engine.reindex()
