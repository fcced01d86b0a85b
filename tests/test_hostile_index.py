"""A saved index damaged in any way, checksums forged or not, is rebuilt with a one-line notice,
never an error on every command; a full disk answers from the previous generation with a warning."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from retrieval.cli import main
from retrieval.engine import Engine
from tests.helpers import write_article

FERRY = "Harbor ferry returns\n\nThe Harbor Line ferry carries 300 passengers between the two piers, the operator said.\n"
BRIDGE = "Bridge opens\n\nThe Elm Street bridge cost 42 million dollars, city officials said on Tuesday.\n"
# The right answers, as the readers may cut them (the neural reader says "42 million", the rules
# "42 million dollars"): these tests are about the index, not about where a span ends.
QUESTIONS = {
    "how many passengers does the Harbor Line ferry carry?": ("300",),
    "how much did the Elm Street bridge cost?": ("42 million dollars", "42 million"),
}
BRIDGE_ANSWER = tuple(QUESTIONS["how much did the Elm Street bridge cost?"])


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    write_article(folder, "ferry.txt", FERRY)
    write_article(folder, "bridge.md", "---\ntitle: Bridge opens\ndate: 2024-03-05\n---\n\n" + BRIDGE.split("\n\n", 1)[1])
    for p in folder.iterdir():  # written an hour ago: nothing racy to re-check
        st = p.stat()
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns - 3600 * 10**9))
    return folder


def generation(index_dir: Path) -> Path:
    return index_dir / json.loads((index_dir / "CURRENT").read_text())["generation"]


def forge(index_dir: Path, name: str, blob: bytes) -> None:
    """Replace a data file and make the checksums agree, as a hostile or buggy writer would."""
    gen = generation(index_dir)
    (gen / name).write_bytes(blob)
    manifest = json.loads((gen / "manifest.json").read_bytes())
    manifest["data"][name] = {"size": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
    forge_manifest(index_dir, json.dumps(manifest).encode())


def forge_manifest(index_dir: Path, raw: bytes) -> None:
    gen = generation(index_dir)
    (gen / "manifest.json").write_bytes(raw)
    current = {"generation": gen.name, "manifest_sha256": hashlib.sha256(raw).hexdigest()}
    (index_dir / "CURRENT").write_text(json.dumps(current))


def lines_of(index_dir: Path, name: str) -> list[bytes]:
    return (generation(index_dir) / name).read_bytes().splitlines()


def _replace_with_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "x").write_text("x")


def _article_line(index_dir: Path, change) -> bytes:  # noqa: ANN001
    lines = lines_of(index_dir, "articles.jsonl")
    record = json.loads(lines[0])
    change(record)
    lines[0] = json.dumps(record).encode()
    return b"\n".join(lines) + b"\n"


def _set(record: dict, key: str, value: object) -> None:
    record[key] = value


DAMAGE = {
    "CURRENT-is-a-folder": lambda d: _replace_with_folder(d / "CURRENT"),
    "manifest-is-a-folder": lambda d: _replace_with_folder(generation(d) / "manifest.json"),
    "texts-is-a-folder": lambda d: _replace_with_folder(generation(d) / "texts.bin"),
    "CURRENT-names-a-path": lambda d: (d / "CURRENT").write_text(json.dumps({"generation": "../x", "manifest_sha256": "0" * 64})),
    "CURRENT-is-a-list": lambda d: (d / "CURRENT").write_text("[]"),
    "manifest-is-a-list": lambda d: forge_manifest(d, b"[]"),
    "manifest-is-null": lambda d: forge_manifest(d, b"null"),
    "manifest-deep": lambda d: forge_manifest(d, b"[" * 100_000),
    "entries-without-size": lambda d: forge_manifest(d, json.dumps({
        **json.loads((generation(d) / "manifest.json").read_bytes()),
        "data": {k: {"sha256": v["sha256"]} for k, v in json.loads((generation(d) / "manifest.json").read_bytes())["data"].items()},
    }).encode()),
    "manifest-names-a-file-outside": lambda d: forge_manifest(d, json.dumps({
        **json.loads((generation(d) / "manifest.json").read_bytes()),
        "data": {**json.loads((generation(d) / "manifest.json").read_bytes())["data"], "../../../etc/hostname": {"size": 1, "sha256": "0" * 64}},
    }).encode()),
    "decreasing-offsets": lambda d: forge(d, "articles.jsonl", _article_line(d, lambda r: r["passages"][0].__setitem__(1, r["passages"][0][2] + 5))),
    "offset-past-the-text": lambda d: forge(d, "articles.jsonl", _article_line(d, lambda r: r["passages"][0].__setitem__(2, 10**6))),
    "offset-not-a-number": lambda d: forge(d, "articles.jsonl", _article_line(d, lambda r: r["passages"][0].__setitem__(1, "7"))),
    "record-without-id": lambda d: forge(d, "articles.jsonl", _article_line(d, lambda r: r.pop("id"))),
    "huge-offset": lambda d: forge(d, "articles.jsonl", _article_line(d, lambda r: r["passages"][0].__setitem__(2, 2**40))),
    "text-not-utf8": lambda d: forge(d, "texts.bin", b"\xff" + (generation(d) / "texts.bin").read_bytes()[1:]),
    "file-record-shape": lambda d: forge(d, "files.jsonl", b'{"name": "ferry.txt", "size": "12"}\n'),
    "vocab-unsorted": lambda d: forge(d, "vocab.json", json.dumps(sorted(json.loads((generation(d) / "vocab.json").read_bytes()), reverse=True)).encode()),
    "vocab-not-strings": lambda d: forge(d, "vocab.json", b"[1, 2, 3]"),
    "term-ptr-backwards": lambda d: forge(d, "term_ptr.npy", _npy_bytes(lambda a: a[::-1].copy(), d, "term_ptr.npy")),
    "term-ids-floats": lambda d: forge(d, "term_ids.npy", _npy_bytes(lambda a: a.astype("float64"), d, "term_ids.npy")),
    "postings-out-of-range": lambda d: forge(d, "bm25-doc_ids.npy", _npy_bytes(lambda a: a + 1000, d, "bm25-doc_ids.npy")),
    "indptr-2d": lambda d: forge(d, "bm25-indptr.npy", _npy_bytes(lambda a: a.reshape(1, -1), d, "bm25-indptr.npy")),
}


def _npy_bytes(change, index_dir: Path, name: str) -> bytes:  # noqa: ANN001
    import io

    import numpy as np

    a = np.load(generation(index_dir) / name, allow_pickle=False)
    out = io.BytesIO()
    np.save(out, change(a), allow_pickle=False)
    return out.getvalue()


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_damage_of_any_shape_is_rebuilt_with_a_one_line_notice(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    index_dir = tmp_path / "idx"
    Engine.open(corpus, index_dir)
    DAMAGE[damage](index_dir)
    for command in (["ask", "how much did the Elm Street bridge cost?"], ["sources"]):
        code = main([*command, "--corpus", str(corpus), "--index-dir", str(index_dir)])
        out, err = capsys.readouterr()
        assert code == 0, err
        if command[0] == "ask":
            assert out.startswith(tuple(a + "\n" for a in BRIDGE_ANSWER))
            notices = [line for line in err.splitlines() if "rebuilding it" in line]
            assert len(notices) == 1 and f"the saved index in {index_dir} is damaged (" in notices[0], err
        else:
            assert "2 articles" in out and err == ""  # rebuilt once, whole
    assert "Traceback" not in err


def _well_formed(engine: Engine) -> None:
    """Every answer's citations slice to the answer: an index served is a consistent one."""
    for question in QUESTIONS:
        answer = engine.ask(question)
        json.loads(answer.model_dump_json())
        if answer.answer is not None:
            first = answer.citations[0]
            assert first.passage_text[first.start : first.end] == answer.answer
    engine.sources()


def _random_json(rng: random.Random, depth: int = 0) -> object:
    kinds = ["null", "int", "str", "float", "bool"] + (["list", "dict"] if depth < 4 else [])
    kind = rng.choice(kinds)
    if kind == "list":
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if kind == "dict":
        keys = ["id", "file", "key", "title", "text_bytes", "passages", "name", "size", "mtime_ns", "status", "format", "data", "x"]
        return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}
    return {"null": None, "int": rng.choice([0, -1, 1, 2**31, 2**63, rng.randint(-5, 50)]), "float": rng.random() * 1e6,
            "bool": rng.random() < 0.5, "str": rng.choice(["", "ferry", "gen-000001", "\udcff", "a" * 50, "../x"])}[kind]


def _mutate(rng: random.Random, blob: bytes, name: str) -> bytes:
    how = rng.choice(["bytes", "flip", "truncate", "extend", "shape", "lines"])
    if how == "bytes":
        return rng.randbytes(rng.choice([len(blob), rng.randint(0, 200)]))
    if how == "flip" and blob:
        i = rng.randrange(len(blob))
        return blob[:i] + bytes([blob[i] ^ (1 << rng.randrange(8))]) + blob[i + 1 :]
    if how == "truncate":
        return blob[: rng.randint(0, len(blob))]
    if how == "extend":
        return blob + rng.randbytes(rng.randint(1, 50))
    if how == "lines" and name.endswith(".jsonl"):
        lines = blob.splitlines()
        op = rng.choice(["swap", "dup", "drop"])
        if op == "swap" and len(lines) > 1:
            i, j = rng.sample(range(len(lines)), 2)
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "dup" and lines:
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(lines))
        elif lines:
            lines.pop(rng.randrange(len(lines)))
        return b"\n".join(lines) + b"\n" if lines else b""
    value = _random_json(rng)
    if name.endswith(".jsonl") and blob:
        lines = blob.splitlines()
        lines[rng.randrange(len(lines))] = json.dumps(value).encode()
        return b"\n".join(lines) + b"\n"
    if name.endswith(".json") or name == "CURRENT":
        if isinstance(value, dict) and rng.random() < 0.5:
            try:
                original = json.loads(blob)
            except ValueError:
                original = None
            if isinstance(original, dict):
                return json.dumps({**original, **value}).encode()
        return json.dumps(value).encode()
    return rng.randbytes(len(blob))


@pytest.mark.slow
def test_random_bytes_and_shapes_in_any_index_file_give_a_right_answer_or_a_rebuild(corpus: Path, tmp_path: Path) -> None:
    """A seeded property test: whatever is written into whichever file, checksums forged or not,
    opening the index either serves a consistent index or rebuilds it with a notice."""
    template = tmp_path / "template"
    Engine.open(corpus, template)
    names = ["CURRENT", "manifest.json"] + sorted(p.name for p in generation(template).iterdir() if p.name != "manifest.json")
    rng = random.Random(int(os.environ.get("NEWSQA_PROPERTY_SEED", "14")))
    rebuilt = served = 0
    for trial in range(int(os.environ.get("NEWSQA_PROPERTY_TRIALS", "30"))):
        index_dir = tmp_path / f"idx-{trial}"
        shutil.copytree(template, index_dir)
        name = rng.choice(names)
        path = index_dir / name if name == "CURRENT" else generation(index_dir) / name
        before = path.read_bytes()
        after = _mutate(rng, before, name)
        forged = rng.random() < 0.6 and name != "CURRENT"
        if forged and name == "manifest.json":
            forge_manifest(index_dir, after)
        elif forged:
            forge(index_dir, name, after)
        else:
            path.write_bytes(after)
        engine = Engine.open(corpus, index_dir)  # never raises
        notices = [n for n in engine.last_report.notes if "rebuilding it" in n]
        if notices:
            rebuilt += 1
            assert len(notices) == 1 and "\n" not in notices[0]
            for question, expected in QUESTIONS.items():
                assert engine.ask(question).answer in expected, (trial, name)
        else:
            served += 1
            assert after == before or forged, (trial, name, "a change the checksums should have caught")
            _well_formed(engine)
        _well_formed(Engine.open(corpus, index_dir))
        shutil.rmtree(index_dir)
    assert rebuilt >= 10  # the loop exercised damage, not only harmless changes


# --- a full disk ---------------------------------------------------------------------------------


def _small_file_system(path: Path) -> bool:
    """Mount a 1 MiB tmpfs at `path` where this machine allows it (root, Linux)."""
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("mount"):
        return False
    path.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(path)], capture_output=True)
    return result.returncode == 0


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


@pytest.mark.parametrize("kind", ["real", "simulated"])
def test_a_full_disk_answers_from_the_previous_index_and_leaves_nothing_behind(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    small = tmp_path / "small"
    if kind == "real" and not _small_file_system(small):
        pytest.skip("cannot mount a small file system here; the simulated full disk covers this")
    try:
        index_dir = small / "idx" if kind == "real" else tmp_path / "idx"
        args = ["--corpus", str(corpus), "--index-dir", str(index_dir)]
        assert main(["index", *args]) == 0
        capsys.readouterr()
        if kind == "real":
            filler = _fill(small)
        else:
            import retrieval.store.write as write

            def no_room(self, blob) -> None:  # noqa: ANN001
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            monkeypatch.setattr(write.DataFile, "write", no_room)
        write_article(corpus, "pier.txt", "Pier news\n\nThe old pier closed in 1990 after a storm, the city said.\n")
        for command in (["ask", "how much did the Elm Street bridge cost?"], ["sources"]):
            code = main([*command, *args])
            out, err = capsys.readouterr()
            assert code == 0, err
            assert err.splitlines() == [
                f"newsqa: warning: cannot save the updated index in {index_dir} (No space left on device); "
                "answering from the previous index: free some space and run the command again"
            ]
            assert out.startswith(BRIDGE_ANSWER) if command[0] == "ask" else "2 articles" in out
        source = write_article(tmp_path / "in", "quay.txt", "Quay news\n\nThe quay reopened in May after repairs, the port said.\n")
        assert main(["add", str(source), *args]) == 0
        out, err = capsys.readouterr()
        assert "added quay.txt as quay.txt" in out and "answering from the previous index" in err
        leftovers = [p.name for p in index_dir.iterdir() if p.name.startswith(("tmp-", ".")) or p.name.endswith(".tmp")]
        assert leftovers == [] and len(list(index_dir.glob("gen-*"))) == 1
        if kind == "real":
            filler.unlink()
        else:
            monkeypatch.undo()
        code = main(["ask", "when did the old pier close?", *args])
        out, err = capsys.readouterr()
        assert code == 0 and out.startswith("1990") and "warning" not in err
    finally:
        if kind == "real":
            subprocess.run(["umount", str(small)], capture_output=True)


def test_a_full_disk_before_any_index_answers_from_one_in_memory(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import retrieval.store.write as write

    def no_room(self, blob) -> None:  # noqa: ANN001
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(write.DataFile, "write", no_room)
    index_dir = tmp_path / "idx"
    code = main(["ask", "how much did the Elm Street bridge cost?", "--corpus", str(corpus), "--index-dir", str(index_dir)])
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith(BRIDGE_ANSWER)
    assert err.splitlines()[0] == (
        f"newsqa: warning: cannot save the index in {index_dir} (No space left on device) and there is no previous one: "
        "free some space or pass --index-dir DIR; answering from an index in memory for now"
    )
    assert err.splitlines()[1].startswith("newsqa: indexed 2 articles")
    assert [p.name for p in index_dir.iterdir() if p.name not in ("lock", "lock.owner", "NEWSQA-INDEX")] == []


@pytest.mark.parametrize("name", ["CURRENT", "manifest.json", "files.jsonl", "texts.bin", "lock.owner"])
def test_a_pipe_in_place_of_an_index_file_is_never_waited_on(corpus: Path, tmp_path: Path, name: str) -> None:
    """Run as a child process with a time limit: a read that blocks fails the test instead of stalling it."""
    import sys

    from tests.helpers import REPO
    from filelock import FileLock

    index_dir = tmp_path / "idx"
    Engine.open(corpus, index_dir)
    path = index_dir / name if name in ("CURRENT", "lock.owner") else generation(index_dir) / name
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    args = [sys.executable, "-m", "retrieval.cli", "index", "--corpus", str(corpus), "--index-dir", str(index_dir)]
    if name == "lock.owner":  # read only to name the holder of a held lock, when an update must wait
        write_article(corpus, "pier.txt", "Pier news\n\nThe old pier closed in 1990 after a storm, the city said.\n")
        with FileLock(str(index_dir / "lock")):
            result = subprocess.run([*args, "--wait", "0"], capture_output=True, text=True, timeout=60, cwd=REPO)
        assert result.returncode == 1 and "being updated by another newsqa process:" in result.stderr
        return
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "is damaged (" in result.stderr and "rebuilding it" in result.stderr
    assert "Traceback" not in result.stderr


def _plant_look_alikes(folder: Path) -> None:
    """Names that look like newsqa's leftovers but are someone's work (issue #26, defect 1)."""
    (folder / "gen-ealogy").mkdir(parents=True)
    (folder / "gen-ealogy" / "tree.txt").write_text("x")
    (folder / "tmp-thesis").mkdir()
    (folder / "tmp-thesis" / "chapter1.txt").write_text("y")
    (folder / ".draft.tmp").write_text("z")


def test_an_index_dir_holding_other_files_is_refused_and_nothing_there_is_touched(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "h"
    _plant_look_alikes(home)
    (home / "lock").write_text("my combination")  # filelock truncates the file it locks
    before = sorted((p.relative_to(home), p.read_bytes() if p.is_file() else None) for p in home.rglob("*"))
    code = main(["index", "--corpus", str(corpus), "--index-dir", str(home)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert err == (
        f"newsqa: error: {home} is not an index folder of newsqa (it holds '.draft.tmp' and 2 more), and newsqa "
        "writes and deletes files in its index folder: pass --index-dir with a new or empty folder\n"
    )
    assert sorted((p.relative_to(home), p.read_bytes() if p.is_file() else None) for p in home.rglob("*")) == before


def test_in_its_own_index_dir_newsqa_deletes_only_the_exact_names_it_made(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    assert main(["index", "--corpus", str(corpus), "--index-dir", str(index_dir)]) == 0
    assert (index_dir / "NEWSQA-INDEX").is_file()
    _plant_look_alikes(index_dir)
    (index_dir / "gen-000000001.txt").write_text("w")
    crashed = index_dir / ("tmp-" + "0" * 32)  # what a writer killed mid-way leaves: removed
    crashed.mkdir()
    old_temporary = index_dir / ".CURRENT.ab_c1234.tmp"
    old_temporary.write_text("{")
    write_article(corpus, "pier.txt", "Pier news\n\nThe old pier closed in 1990 after a storm, the city said.\n")
    assert main(["index", "--corpus", str(corpus), "--index-dir", str(index_dir)]) == 0
    assert (index_dir / "gen-ealogy" / "tree.txt").read_text() == "x"
    assert (index_dir / "tmp-thesis" / "chapter1.txt").read_text() == "y"
    assert (index_dir / ".draft.tmp").read_text() == "z"
    assert (index_dir / "gen-000000001.txt").read_text() == "w"
    assert not crashed.exists() and not old_temporary.exists()


def test_an_index_of_an_older_newsqa_without_the_marker_is_adopted(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index_dir = tmp_path / "idx"
    Engine.open(corpus, index_dir)
    (index_dir / "NEWSQA-INDEX").unlink()
    write_article(corpus, "pier.txt", "Pier news\n\nThe old pier closed in 1990 after a storm, the city said.\n")
    code = main(["ask", "when did the old pier close?", "--corpus", str(corpus), "--index-dir", str(index_dir)])
    assert code == 0 and capsys.readouterr().out.startswith("1990")
    assert (index_dir / "NEWSQA-INDEX").is_file()


def test_cache_prune_deletes_only_what_newsqa_made_in_an_index_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    gone = tmp_path / "gone"
    write_article(gone, "port.txt", "Port news\n\nThe new port opened on May 2, 2021 in Gdansk.\n")
    assert main(["sources", "--corpus", str(gone)]) == 0
    (index_dir,) = (tmp_path / "cache" / "newsqa").iterdir()
    _plant_look_alikes(index_dir)
    shutil.rmtree(gone)
    capsys.readouterr()
    assert main(["cache", "--prune", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pruned"] == []  # not removed: someone's files are in it
    assert sorted(p.name for p in index_dir.iterdir()) == [".draft.tmp", "gen-ealogy", "tmp-thesis"]
    assert (index_dir / "gen-ealogy" / "tree.txt").read_text() == "x"
