"""newsqa's BM25 against rank-bm25 (as its README uses it) and bm25s, side by side, at 10k to 1M passages.

Run from the repository root (1M takes several minutes and a few GB of memory):

    python -m bench.bench_scale                      # 10k and 100k passages, plus the responsiveness check
    python -m bench.bench_scale --sizes 1000000      # 1M passages
    python -m bench.bench_scale --worker newsqa responsive 100000 /tmp/newsqa-bench 50   # responsiveness alone
        # (append "to_thread" to send questions and the re-index through asyncio.to_thread, not the bot's methods)

For each size the parent makes the synthetic corpus (bench/synthetic.py, fixed seed) and saves it;
then every engine is measured in fresh subprocesses, so that memory figures don't mix: one builds
the index from the same token lists and saves it, one loads the saved index and answers the
questions. Retrieval latency is the top 10 from already-tokenized question terms (tokenizing a
question costs the same for every engine); a full answer is `answer_question` over a `CorpusIndex`
whose retriever is the engine under test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ENGINES = ("newsqa", "rank-bm25", "bm25s")
K = 10


# --- helpers ----------------------------------------------------------------------------------------


def rss_mib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def summary(seconds: list[float]) -> dict:
    ms = np.array(seconds) * 1000
    return {"n": len(ms), "median_ms": float(np.median(ms)), "p95_ms": float(np.percentile(ms, 95)), "max_ms": float(ms.max())}


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def corpus_dir(workdir: Path, size: int) -> Path:
    return workdir / f"corpus-{size}"


def load_cached(workdir: Path, size: int):
    folder = corpus_dir(workdir, size)
    terms = json.loads((folder / "terms.json").read_text())
    token_ids = np.load(folder / "token_ids.npy")
    doc_lens = np.load(folder / "doc_lens.npy")
    questions = json.loads((folder / "questions.json").read_text())
    return terms, token_ids, doc_lens, questions


def load_passages(workdir: Path, size: int):
    """The synthetic articles and passages, from JSON (nothing this project loads is a pickle)."""
    from retrieval.models import Article, Passage

    data = json.loads((corpus_dir(workdir, size) / "articles.json").read_text())
    return [Article(**a) for a in data["articles"]], [Passage(**p) for p in data["passages"]]


def token_lists(terms: list[str], token_ids: np.ndarray, doc_lens: np.ndarray) -> list[list[str]]:
    flat = np.array(terms, dtype=object)[token_ids].tolist()
    bounds = np.concatenate(([0], np.cumsum(doc_lens))).tolist()
    return [flat[bounds[i] : bounds[i + 1]] for i in range(len(doc_lens))]


# --- the engines, behind one small interface ----------------------------------------------------------


def save_newsqa(index, folder: Path) -> None:
    terms, arrays = index.to_arrays()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "terms.json").write_text(json.dumps(terms, ensure_ascii=False))
    for name, array in arrays.items():
        np.save(folder / f"{name}.npy", array, allow_pickle=False)


def load_newsqa(folder: Path):
    """As the saved index store does: arrays memory-mapped, read only."""
    from retrieval.bm25 import BM25Index

    terms = json.loads((folder / "terms.json").read_text())
    arrays = {p.stem: np.load(p, mmap_mode="r", allow_pickle=False) for p in folder.glob("*.npy")}
    return BM25Index.from_arrays(terms, arrays)


def build_engine(engine: str, lists: list[list[str]]):
    if engine == "newsqa":
        from retrieval.bm25 import BM25Index

        return BM25Index.build(lists)
    if engine == "rank-bm25":
        from rank_bm25 import BM25Okapi

        index = BM25Okapi(lists)
        index.corpus_tokens = lists  # BM25Okapi keeps no copy; save_engine writes them as JSON
        return index
    import bm25s

    retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    retriever.index(lists, show_progress=False)
    return retriever


def save_engine(engine: str, index, folder: Path) -> None:
    if engine == "newsqa":
        save_newsqa(index, folder)
    elif engine == "rank-bm25":
        # rank-bm25 has no file format; its users pickle it, which this project never loads. Save the
        # token lists as JSON instead: "loading" it is rebuilding BM25Okapi from them.
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "corpus.json").write_text(json.dumps(index.corpus_tokens))
    else:
        index.save(str(folder))


def load_engine(engine: str, folder: Path):
    if engine == "newsqa":
        return load_newsqa(folder)
    if engine == "rank-bm25":
        from rank_bm25 import BM25Okapi

        index = BM25Okapi(json.loads((folder / "corpus.json").read_text()))
        index.corpus_tokens = None  # only save_engine needs them
        return index
    import bm25s

    return bm25s.BM25.load(str(folder), mmap=True, show_progress=False)


def top_k_function(engine: str, index):
    """(terms, k) -> (passage numbers, scores) of passages sharing a term, best first."""
    if engine == "newsqa":
        return index.top_k
    if engine == "rank-bm25":

        def rank_bm25_top_k(terms, k):  # its README: get_scores, then sort
            scores = index.get_scores(terms)
            best = np.argsort(scores)[::-1][:k]
            best = best[scores[best] > 0]
            return best, scores[best]

        return rank_bm25_top_k

    vocab = index.vocab_dict

    def bm25s_top_k(terms, k):
        known = [t for t in terms if t in vocab]
        if not known:
            return np.zeros(0, np.int64), np.zeros(0)
        docs, scores = index.retrieve([known], k=k, show_progress=False, n_threads=0)
        keep = scores[0] > 0
        return docs[0][keep], scores[0][keep]

    return bm25s_top_k


class Retriever:
    """What `CorpusIndex` and `answer_question` use of a BM25 index, with another engine's top k.

    Vocabulary and idf (used to weigh question words) come from newsqa's index, so that only the
    retrieval differs between engines.
    """

    def __init__(self, lexicon, top_k):
        self.vocab, self.idf, self.n_docs, self.doc_freq = lexicon.vocab, lexicon.idf, lexicon.n_docs, lexicon.doc_freq
        self.passages_with = lexicon.passages_with
        self.top_k = top_k


# --- workers (each in a fresh process) ---------------------------------------------------------------


def worker_build(engine: str, size: int, workdir: Path) -> dict:
    terms, token_ids, doc_lens, _ = load_cached(workdir, size)
    lists = token_lists(terms, token_ids, doc_lens)
    del token_ids
    rss0 = rss_mib()
    started = time.perf_counter()
    index = build_engine(engine, lists)
    build_s = time.perf_counter() - started
    rss_built = rss_mib()
    folder = workdir / f"index-{engine}-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    save_engine(engine, index, folder)
    return {
        "build_s": build_s,
        "save_s": time.perf_counter() - started,
        "disk_mib": dir_bytes(folder) / 2**20,
        "built_rss_delta_mib": rss_built - rss0,
    }


def worker_serve(engine: str, size: int, workdir: Path, max_queries: int) -> dict:
    from retrieval.answer import answer_question
    from retrieval.index import CorpusIndex
    from retrieval.tokens import tokenize

    if engine == "rank-bm25":
        import rank_bm25  # noqa: F401 - imported before the baseline, as numpy is
    elif engine == "bm25s":
        import bm25s  # noqa: F401
    questions = json.loads((corpus_dir(workdir, size) / "questions.json").read_text())[:max_queries]
    queries = [tokenize(q) for q in questions]
    rss_base = rss_mib()
    started = time.perf_counter()
    index = load_engine(engine, workdir / f"index-{engine}-{size}")
    load_s = time.perf_counter() - started
    rss_loaded = rss_mib()
    top_k = top_k_function(engine, index)
    top_k(queries[0], K)  # first call: lazy set-up is part of loading, not of a query
    retrieval, tops = [], []
    for terms in queries:
        t = time.perf_counter()
        ids, _ = top_k(terms, K)
        retrieval.append(time.perf_counter() - t)
        tops.append([int(i) for i in ids])
    rss_queried = rss_mib()

    articles, passages = load_passages(workdir, size)
    lexicon = index if engine == "newsqa" else load_newsqa(workdir / f"index-newsqa-{size}")
    retriever = index if engine == "newsqa" else Retriever(lexicon, top_k)
    corpus = CorpusIndex(articles={a.id: a for a in articles}, passages=passages, bm25=retriever)
    answer_question(corpus, questions[0])
    answers, found = [], 0
    for q in questions:
        t = time.perf_counter()
        a = answer_question(corpus, q)
        answers.append(time.perf_counter() - t)
        found += a.found
    out = {
        "load_s": load_s,
        "rss_base_mib": rss_base,
        "rss_loaded_delta_mib": rss_loaded - rss_base,
        "rss_after_queries_delta_mib": rss_queried - rss_base,
        "retrieval": summary(retrieval),
        "answer": summary(answers),
        "answered": found,
        "tops": tops,
    }
    if engine == "newsqa":
        out["postings_per_query"] = [int(sum(index.doc_freq(t) for t in terms)) for terms in queries]
        out["add_article"] = add_one_article(workdir, size, articles, passages)
    return out


def add_one_article(workdir: Path, size: int, articles, passages) -> dict:
    """Add one article to a loaded corpus and answer a question about it: tokenize the new article,
    rebuild BM25 from the stored term ids (no re-tokenizing of the rest), swap in a new CorpusIndex."""
    from retrieval.answer import answer_question
    from retrieval.bm25 import BM25Index
    from retrieval.index import CorpusIndex, passage_terms
    from retrieval.models import Article, Passage

    terms, token_ids, doc_lens, _ = load_cached(workdir, size)
    paras = [
        "The harbour authority of Quillmore said on Tuesday that the new ferry terminal would open in March 2031.",
        "Officials expect 40,000 passengers a year once the terminal opens.",
    ]
    text = "\n\n".join(paras)
    article = Article(id="added-article", path="added-article.txt", title="Quillmore ferry terminal", text=text)
    new_passages, start = [], 0
    for n, para in enumerate(paras, start=1):
        new_passages.append(Passage(id=f"added-article#{n}", article_id=article.id, number=n, start=start, end=start + len(para), text=para))
        start += len(para) + 2
    started = time.perf_counter()
    term_id = {t: i for i, t in enumerate(terms)}
    new_ids, new_lens = [], []
    for p in new_passages:
        toks = passage_terms(p)
        new_ids += [term_id.setdefault(t, len(term_id)) for t in toks]
        new_lens.append(len(toks))
    all_terms = list(term_id)
    bm25 = BM25Index.build_from_ids(
        np.concatenate([token_ids, np.array(new_ids, dtype=np.int32)]), np.concatenate([doc_lens, new_lens]), all_terms
    )
    built = time.perf_counter() - started
    corpus = CorpusIndex(articles={a.id: a for a in [*articles, article]}, passages=[*passages, *new_passages], bm25=bm25)
    answer = answer_question(corpus, "When will the Quillmore ferry terminal open?")
    return {"seconds": time.perf_counter() - started, "bm25_rebuild_s": built, "answer": answer.answer}


def worker_responsive(size: int, workdir: Path, n_questions: int, path: str = "bot") -> dict:
    """The bot's path: questions through `NewsqaBot.answer` while `NewsqaBot.refresh_index` runs (the
    bot made offline, never logged in). `path="to_thread"`: both through `asyncio.to_thread`, as the
    bot did before it had its own answering threads."""
    from bot.client import NewsqaBot
    from bot.settings import BotSettings
    from retrieval.engine import Engine

    articles, _ = load_passages(workdir, size)
    questions = json.loads((corpus_dir(workdir, size) / "questions.json").read_text())[:n_questions]
    folder = workdir / f"articles-{size}"
    if not folder.is_dir():
        tmp = Path(tempfile.mkdtemp(dir=workdir))
        for a in articles:
            (tmp / f"{a.id}.txt").write_text(f"{a.title}\n\n{a.text}\n", encoding="utf-8")
        os.replace(tmp, folder)
    started = time.perf_counter()
    engine = Engine.open(folder)
    open_s = time.perf_counter() - started

    async def run() -> dict:
        loop = asyncio.get_running_loop()
        bot = NewsqaBot(BotSettings(_env_file=None, corpus_dir=folder, reindex_interval_seconds=0), engine)
        if path == "to_thread":
            answer, refresh = (lambda q: asyncio.to_thread(engine.ask, q)), (lambda: asyncio.to_thread(engine.reindex))
        else:
            answer, refresh = bot.answer, bot.refresh_index
        lags: list[tuple[float, float]] = []  # (when, how late)
        stop = asyncio.Event()

        async def ticker() -> None:
            last = loop.time()
            while not stop.is_set():
                await asyncio.sleep(0.010)
                now = loop.time()
                lags.append((now, now - last - 0.010))
                last = now

        async def ask(q: str):
            t = time.perf_counter()
            return await answer(q), time.perf_counter() - t

        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0.2)
        # A new article arrives, as in a newsroom channel: the re-index has real work to do.
        arrival = folder / f"arrival-{time.time_ns()}.txt"
        arrival.write_text("Harbour ferry resumes\n\nThe harbour ferry resumed service on Monday after repairs.\n", encoding="utf-8")
        t_reindex = loop.time()
        reindex = asyncio.create_task(refresh())
        await asyncio.sleep(0.3)  # the re-index is under way
        t_ask = loop.time()
        results = await asyncio.gather(*(ask(q) for q in questions))
        t_answered = loop.time()
        overlapped = not reindex.done()
        report = await reindex
        t_done = loop.time()
        arrival.unlink()
        stop.set()
        await tick
        await bot.close()
        during_q = [lag for when, lag in lags if t_ask <= when <= t_answered]
        during_r = [lag for when, lag in lags if t_reindex <= when <= t_done]
        return {
            "answer_path": path,
            "passages": len(engine.index.passages),
            "questions": len(questions),
            "answered": sum(1 for a, _ in results if a is not None),
            "found": sum(1 for a, _ in results if a.found),
            "question_latency": summary([s for _, s in results]),
            "all_questions_s": t_answered - t_ask,
            "reindex_s": t_done - t_reindex,
            "reindex_report_s": report.seconds,
            "reindex_added": len(report.added),
            "reindex_still_running_when_all_answered": overlapped,
            "max_lag_ms_during_questions": 1000 * max(during_q),
            "max_lag_ms_during_reindex": 1000 * max(during_r),
            "p99_lag_ms_during_reindex": 1000 * float(np.percentile(during_r, 99)),
            "ticks": len(during_r),
        }

    out = asyncio.run(run())
    out["open_s"] = open_s
    return out


def run_worker(args: list[str]) -> dict:
    cmd = [sys.executable, "-m", "bench.bench_scale", "--worker", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- the parent ---------------------------------------------------------------------------------------


def prepare(size: int, workdir: Path, n_questions: int) -> dict:
    from bench.synthetic import check_tokens, make_corpus
    from retrieval.tokens import tokenize

    started = time.perf_counter()
    corpus = make_corpus(size, n_questions=n_questions)
    made_s = time.perf_counter() - started
    check_tokens(corpus)
    folder = corpus_dir(workdir, size)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "terms.json").write_text(json.dumps(corpus.terms))
    np.save(folder / "token_ids.npy", corpus.token_ids)
    np.save(folder / "doc_lens.npy", corpus.doc_lens)
    (folder / "questions.json").write_text(json.dumps(corpus.questions))
    (folder / "articles.json").write_text(
        json.dumps({"articles": [a.model_dump() for a in corpus.articles], "passages": [p.model_dump() for p in corpus.passages]})
    )
    # newsqa's tokenizer over every passage: the part of a full build that precedes indexing.
    started = time.perf_counter()
    for p in corpus.passages:
        tokenize(p.text)
    tokenize_s = time.perf_counter() - started
    return {
        "passages": size,
        "articles": len(corpus.articles),
        "terms": int(len(np.unique(corpus.token_ids))),
        "tokens": int(corpus.doc_lens.sum()),
        "mean_terms_per_passage": float(corpus.doc_lens.mean()),
        "generate_s": made_s,
        "tokenize_s": tokenize_s,
        "questions": len(corpus.questions),
    }


def check_exactness(size: int, workdir: Path, n: int) -> dict:
    """newsqa's saved, memory-mapped index against ReferenceBM25 (rank-bm25 with Lucene's idf)."""
    from tests.reference_bm25 import ReferenceBM25
    from retrieval.tokens import tokenize

    terms, token_ids, doc_lens, questions = load_cached(workdir, size)
    ref = ReferenceBM25(token_lists(terms, token_ids, doc_lens))
    index = load_newsqa(workdir / f"index-newsqa-{size}")
    worst, same_order, ties = 0.0, 0, 0
    for q in questions[:n]:
        terms_q = tokenize(q)
        expected = ref.get_scores(terms_q)
        worst = max(worst, float(np.abs(index.get_scores(terms_q) - expected).max()))
        matched = np.flatnonzero(expected > 0)
        want = matched[np.lexsort((matched, -expected[matched]))][:K]
        ids, scores = index.top_k(terms_q, K)
        same_order += ids.tolist() == want.tolist()
        ties += len(scores) - len(np.unique(scores))
    return {"queries": n, "max_abs_score_diff": worst, "identical_top10": same_order, "ties_in_top10": ties}


def overlap(a: list[list[int]], b: list[list[int]]) -> float:
    shared = [len(set(x) & set(y)) / max(len(x), 1) for x, y in zip(a, b) if x]
    return float(np.mean(shared)) if shared else float("nan")


def machine() -> dict:
    import psutil

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor())
    import bm25s
    import rank_bm25  # noqa: F401

    from importlib.metadata import version

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "rank_bm25": version("rank-bm25"),
        "bm25s": bm25s.__version__,
    }


def bench_size(size: int, workdir: Path, args) -> dict:
    print(f"\n## {size:,} passages", flush=True)
    result = {"corpus": prepare(size, workdir, args.questions)}
    print(json.dumps(result["corpus"]), flush=True)
    slow = args.questions if size <= 100_000 else args.slow_queries
    for engine in ENGINES:
        n = args.questions if engine != "rank-bm25" else slow
        result[engine] = run_worker([engine, "build", str(size), str(workdir)])
        result[engine] |= run_worker([engine, "serve", str(size), str(workdir), str(n)])
        print(engine, json.dumps({k: v for k, v in result[engine].items() if k not in ("tops", "postings_per_query")}), flush=True)
    if size <= args.exact_up_to:
        result["exactness"] = check_exactness(size, workdir, args.questions if size <= 10_000 else 40)
        print("exactness", json.dumps(result["exactness"]), flush=True)
    post = result["newsqa"].pop("postings_per_query")
    result["corpus"]["postings_per_query"] = {"median": float(np.median(post)), "p95": float(np.percentile(post, 95))}
    for engine in ("rank-bm25", "bm25s"):
        result[engine]["top10_overlap_with_newsqa"] = overlap(result["newsqa"]["tops"], result[engine]["tops"])
    for engine in ENGINES:
        result[engine].pop("tops")
    print(table(size, result), flush=True)
    return result


def table(size: int, r: dict) -> str:
    n, rb, bs = r["newsqa"], r["rank-bm25"], r["bm25s"]
    c = r["corpus"]

    def row(label: str, get, unit: str, fmt: str = "{:.1f}", lower_better: bool = True) -> str:
        vals = [get(x) for x in (n, rb, bs)]
        cells = [fmt.format(v) + unit for v in vals]
        ratios = [f"{v / vals[0]:.1f}×" if vals[0] else "–" for v in vals[1:]]
        return f"| {label} | {' | '.join(cells)} | {' | '.join(ratios)} |"

    lines = [
        f"### {size:,} passages ({c['articles']:,} articles, {c['terms']:,} terms, {c['tokens']:,} tokens; "
        f"{c['questions']} questions, median {c['postings_per_query']['median']:.0f} postings each)",
        "",
        "| measure | newsqa | rank-bm25 | bm25s | rank-bm25 / newsqa | bm25s / newsqa |",
        "|---|---|---|---|---|---|",
        row("build from token lists", lambda x: x["build_s"], " s", "{:.2f}"),
        row("index size on disk", lambda x: x["disk_mib"], " MiB"),
        row("load saved index", lambda x: x["load_s"], " s", "{:.3f}"),
        row("resident memory after load", lambda x: x["rss_loaded_delta_mib"], " MiB"),
        row("resident memory after the questions", lambda x: x["rss_after_queries_delta_mib"], " MiB"),
        row("retrieval, median", lambda x: x["retrieval"]["median_ms"], " ms", "{:.2f}"),
        row("retrieval, p95", lambda x: x["retrieval"]["p95_ms"], " ms", "{:.2f}"),
        row("full answer, median", lambda x: x["answer"]["median_ms"], " ms", "{:.2f}"),
        row("full answer, p95", lambda x: x["answer"]["p95_ms"], " ms", "{:.2f}"),
        "",
        f"Questions timed: newsqa {n['retrieval']['n']}, rank-bm25 {rb['retrieval']['n']}, bm25s {bs['retrieval']['n']}. "
        f"Top-10 overlap with newsqa: rank-bm25 {rb['top10_overlap_with_newsqa']:.3f} (its own idf), "
        f"bm25s {bs['top10_overlap_with_newsqa']:.3f}. newsqa tokenizer over all passages: {c['tokenize_s']:.1f} s. "
        f"Add one article and answer about it: {n['add_article']['seconds']:.2f} s "
        f"(BM25 rebuild {n['add_article']['bm25_rebuild_s']:.2f} s; answer {n['add_article']['answer']!r}).",
    ]
    if "exactness" in r:
        e = r["exactness"]
        lines.append(
            f"Exactness against ReferenceBM25 over {e['queries']} questions: max |score difference| {e['max_abs_score_diff']:.3g}, "
            f"identical top 10 for {e['identical_top10']}/{e['queries']} ({e['ties_in_top10']} tied scores inside top 10s)."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        engine, phase, *rest = argv[1:]
        if phase == "build":
            out = worker_build(engine, int(rest[0]), Path(rest[1]))
        elif phase == "serve":
            out = worker_serve(engine, int(rest[0]), Path(rest[1]), int(rest[2]))
        else:
            out = worker_responsive(int(rest[0]), Path(rest[1]), int(rest[2]), *rest[3:])
        print(json.dumps(out))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="passage counts (1000000 for 1M)")
    parser.add_argument("--questions", type=int, default=240, help="questions per size (at least 200)")
    parser.add_argument("--slow-queries", type=int, default=30, help="questions for rank-bm25 above 100k passages (1.7 s each at 1M)")
    parser.add_argument("--exact-up-to", type=int, default=100_000, help="check exactness against ReferenceBM25 up to this size")
    parser.add_argument("--responsive-size", type=int, default=100_000, help="passages for the responsiveness check (0: skip)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "newsqa-bench")
    parser.add_argument("--json", type=Path, help="also write all figures here")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = {"machine": machine(), "command": "python -m bench.bench_scale " + " ".join(argv), "sizes": {}}
    print(json.dumps(results["machine"]), flush=True)
    for size in args.sizes:
        results["sizes"][size] = bench_size(size, args.workdir, args)
    if args.responsive_size:
        if not corpus_dir(args.workdir, args.responsive_size).is_dir():
            prepare(args.responsive_size, args.workdir, args.questions)
        r = run_worker(["newsqa", "responsive", str(args.responsive_size), str(args.workdir), "50"])
        results["responsive"] = r
        print("\n## The bot stays responsive\n" + json.dumps(r), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
