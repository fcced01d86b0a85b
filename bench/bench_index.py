"""Benchmark the saved index: full build vs. one-article updates on synthetic corpora.

    python bench/bench_index.py                 # 1,000 and 10,000 articles
    python bench/bench_index.py --sizes 2000

Reads and tokenization are counted independently of the index's own report: every `open()` of a
corpus file and every call of the passage tokenizer is counted by wrappers installed here, so the
"one-article update reads 1 file" claim does not rest on the code being measured.
Files are given modification times an hour in the past, as articles in a real corpus have (a file
modified within the last 0.1 s is re-checked by content on the next update: see retrieval/store/scan.py, "racy").
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import retrieval.admission as admission_module  # noqa: E402
import retrieval.store.scan as store_module  # noqa: E402
from retrieval.answer import answer_question  # noqa: E402
from retrieval.store import IndexStore  # noqa: E402
from synthetic_articles import article_text, write_corpus  # noqa: E402


class Counters:
    def __init__(self, corpus: Path):
        self.corpus = str(corpus.resolve())
        self.opens = 0
        self.passages_tokenized = 0
        self._open = os.open
        self._terms = store_module.passage_terms

    def install(self) -> None:
        counters = self

        def counting_open(file, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            if os.path.abspath(file).startswith(counters.corpus + os.sep):
                counters.opens += 1
            return counters._open(file, *args, **kwargs)

        def counting_terms(passage):  # noqa: ANN001, ANN202
            counters.passages_tokenized += 1
            return counters._terms(passage)

        admission_module.os.open = counting_open  # article files are opened by read_article_file, with os.open
        store_module.passage_terms = counting_terms

    def reset(self) -> tuple[int, int]:
        out = (self.opens, self.passages_tokenized)
        self.opens = self.passages_tokenized = 0
        return out


def age(path: Path, seconds: float = 3600) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))


def du(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run(n: int, work: Path) -> list[tuple[str, float, int, int, str]]:
    corpus, index_dir = work / f"corpus-{n}", work / f"index-{n}"
    write_corpus(corpus, n)
    for p in corpus.iterdir():
        age(p)
    counters = Counters(corpus)
    counters.install()
    rows = []

    def step(label: str, fn, note=lambda r: "") -> object:  # noqa: ANN001
        counters.reset()
        started = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - started
        opens, tokenized = counters.reset()
        rows.append((label, seconds, opens, tokenized, note(result)))
        return result

    store = IndexStore(index_dir, corpus)
    _, report, _ = step("full build", store.update, lambda r: f"{len(r[1].added)} articles, {len(r[0].passages)} passages")
    step("open, nothing changed", store.open, lambda r: f"{r[1].files_read} read")

    new = corpus / f"article-{n:05d}.txt"
    new.write_text(article_text(n), encoding="utf-8")
    age(new)
    index, report, _ = step("add 1 article", store.update, lambda r: f"added {r[1].added}")
    code = f"{article_text(n).split()[0]}{n}"
    answer = answer_question(index, f"how much did the {code} {article_text(n).split()[1]} cost?")
    assert answer.found, "the new article must be answerable"

    edited = corpus / "article-00007.txt"
    edited.write_text(article_text(7).replace("council", "city council", 1), encoding="utf-8")
    age(edited)
    step("edit 1 article", store.update, lambda r: f"updated {r[1].updated}")

    edited.rename(corpus / "renamed-00007.txt")
    step("rename 1 article", store.update, lambda r: f"renamed {r[1].renamed}")

    (corpus / "article-00008.txt").unlink()
    step("delete 1 article", store.update, lambda r: f"removed {r[1].removed}")

    rows.append(("index size on disk", 0.0, 0, 0, f"{du(index_dir) / 1_048_576:.1f} MiB (corpus {du(corpus) / 1_048_576:.1f} MiB)"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newsqa-bench-"))
    try:
        print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")
        for n in args.sizes:
            print(f"\n### {n:,} articles\n")
            print("| step | seconds | corpus files opened | passages tokenized | result |")
            print("| --- | ---: | ---: | ---: | --- |")
            for label, seconds, opens, tokenized, note in run(n, work):
                print(f"| {label} | {seconds:.3f} | {opens} | {tokenized} | {note} |")
            sys.stdout.flush()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
