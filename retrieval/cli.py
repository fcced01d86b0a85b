"""`newsqa`: the command line, a thin adapter that validates, calls the engine and prints its answers."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from retrieval.errors import NewsqaError, UsageError

if TYPE_CHECKING:
    from retrieval.engine import Engine
    from retrieval.evaluate import EvalReport, QuestionResult
    from retrieval.models import Answer, ArticleInfo, IndexReport

BUNDLED_CORPUS = Path(__file__).resolve().parent.parent / "corpus"


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (and exits 2) instead of the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"newsqa: error: {message} (try '{self.prog} --help')\n")


def _corpus_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--corpus",
        metavar="DIR",
        type=Path,
        default=None,
        help="folder of articles (.txt, .md, .html); default: $NEWSQA_CORPUS_DIR or the bundled corpus/",
    )


def _index_dir_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index-dir",
        metavar="DIR",
        type=Path,
        default=None,
        help="where the saved index lives; default: $NEWSQA_INDEX_DIR or a cache folder "
        "($XDG_CACHE_HOME/newsqa/<corpus>-<hash>)",
    )


def _corpus_dir(args: argparse.Namespace) -> Path:
    if args.corpus is not None:
        return args.corpus
    env = os.environ.get("NEWSQA_CORPUS_DIR")
    return Path(env) if env else BUNDLED_CORPUS


def _progress_bar(total: int):  # noqa: ANN202 - a tqdm bar
    from tqdm import tqdm

    return tqdm(total=total, desc="newsqa: indexing", unit="file", file=sys.stderr, leave=False)


def _notice(message: str) -> None:
    print(f"newsqa: {message}", file=sys.stderr, flush=True)


def _open_engine(
    args: argparse.Namespace, show_skipped: bool = True, quiet: bool = False, need_articles: bool = False
) -> Engine:
    """Open the saved index (updating it if the corpus changed), saying in one line what changed."""
    from retrieval.engine import Engine

    engine = Engine.open(
        _corpus_dir(args),
        getattr(args, "index_dir", None),
        lock_timeout=getattr(args, "wait", None) or 120.0,
        progress=_progress_bar if sys.stderr.isatty() else None,
        on_wait=_notice,
    )
    if quiet:
        return engine
    _print_update_notice(engine.last_report)
    if show_skipped:
        for skipped in engine.skipped:
            _notice(f"skipped {skipped.path}: {skipped.reason}")
    if need_articles and not engine.index.articles:
        raise UsageError(f"no readable articles in {engine.corpus_dir}: add .txt, .md or .html article files to it")
    return engine


def _print_update_notice(report: IndexReport | None) -> None:
    """One line when the index had to be updated (and any notice, such as a rebuild)."""
    if report is None:
        return
    for note in report.notes:
        _notice(note)
    if report.added and not (report.unchanged or report.updated or report.removed or report.renamed):
        _notice(f"indexed {len(report.added)} articles in {report.seconds:.2f} s")
    elif report.changed:
        parts = [f"{len(report.added)} added", f"{len(report.updated)} updated", f"{len(report.removed)} removed"]
        if report.renamed:
            parts.append(f"{len(report.renamed)} renamed")
        _notice(f"the corpus changed; index updated ({', '.join(parts)}) in {report.seconds:.2f} s")


# --- rendering ----------------------------------------------------------------------------------


def render_answer(answer: Answer) -> str:
    """A short, readable answer for a person: the answer, the quoted sentence, numbered sources."""
    lines: list[str] = []
    if answer.answer is None:
        lines.append(answer.note or "Not found in the articles.")
        if answer.hints:
            lines.append("Closest passages:")
            for i, hint in enumerate(answer.hints, start=1):
                lines.append(f"  [{i}] {_source_line(hint)}")
                lines.append(f"      {_shorten(hint.passage_text, 160)}")
        return "\n".join(lines)
    lines.append(answer.answer)
    if answer.sentence and answer.sentence != answer.answer:
        lines.append(f"  “{answer.sentence}”")
    for time_note in answer.time_notes:
        if time_note.lower() not in (answer.note or "").lower():
            lines.append(f"  ({time_note})")
    extra = f" · {answer.note}" if answer.note else ""
    if answer.as_of and (not answer.note or answer.as_of not in answer.note):
        extra += f" · as of {answer.as_of}"
    lines.append(f"  confidence {answer.confidence:.2f}{extra}")
    lines.append("Sources:")
    for i, citation in enumerate(answer.citations, start=1):
        lines.append(f"  [{i}] {_source_line(citation)}")
    return "\n".join(lines)


def _source_line(citation) -> str:  # noqa: ANN001 - a Citation
    date = citation.published or "undated"
    url = f" <{citation.url}>" if citation.url else ""
    return f"{citation.title} ({date}), paragraph {citation.paragraph}{url}"


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0]
    return cut + "…"


def render_sources(infos: Sequence[ArticleInfo]) -> str:
    if not infos:
        return "No articles indexed."
    width = max(len(i.id) for i in infos)
    lines = [f"{'id'.ljust(width)}  {'date'.ljust(10)}  passages  title"]
    for info in infos:
        lines.append(f"{info.id.ljust(width)}  {(info.published or '-').ljust(10)}  {info.passages:>8}  {info.title}")
    lines.append(f"{len(infos)} articles, {sum(i.passages for i in infos)} passages")
    return "\n".join(lines)


def describe_report(report: IndexReport) -> Iterable[str]:
    """The lines `newsqa index` prints for a report."""
    for label, ids in (("added", report.added), ("updated", report.updated), ("removed", report.removed)):
        for article_id in ids:
            yield f"{label}: {article_id}"
    for old, new in report.renamed.items():
        yield f"renamed: {old} -> {new}"
    for skipped in report.skipped:
        yield f"skipped: {skipped.path}: {skipped.reason}"
    yield (
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed, "
        f"{len(report.renamed)} renamed, {len(report.unchanged)} unchanged, {len(report.skipped)} skipped "
        f"({report.files_read} files read, {report.articles_tokenized} tokenized, {report.seconds:.2f} s)"
    )


# --- commands -----------------------------------------------------------------------------------


def cmd_ask(args: argparse.Namespace) -> int:
    if args.question == ["-"]:
        engine = _open_engine(args, need_articles=True)
        return _ask_stream(engine, sys.stdin, sys.stdout, as_json=args.json)
    question = " ".join(args.question).strip()
    if not question:
        raise UsageError("the question is empty: newsqa ask \"when was the last Putin–Biden call?\"")
    engine = _open_engine(args, need_articles=True)
    answer = engine.ask(question)
    print(answer.model_dump_json() if args.json else render_answer(answer))
    return 0


def _ask_stream(engine: Engine, stream: TextIO, out: TextIO, as_json: bool) -> int:
    """One question per input line, one answer per output line, in order."""
    from retrieval.models import Answer

    for line in stream:
        question = line.rstrip("\n")
        if question.strip():
            answer = engine.ask(question)
        else:
            answer = Answer(question=question, note="The question is empty.")
        out.write((answer.model_dump_json() if as_json else render_answer(answer) + "\n") + "\n")
        out.flush()
    return 0


CHAT_HELP = """Type a question and press Enter. Commands:
  :sources   list the indexed articles
  :json      toggle JSON output
  :help      show this help
  :quit      leave (Ctrl-D and Ctrl-C leave too)"""


def cmd_chat(args: argparse.Namespace) -> int:
    engine = _open_engine(args, need_articles=True)
    infos = engine.sources()
    print(f"newsqa: {len(infos)} articles, {sum(i.passages for i in infos)} passages. Ask a question, or :help.")
    as_json = False
    while True:
        try:
            line = input("newsqa> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        command = line.strip()
        if not command:
            continue
        if not command.startswith(":") or command == ":sources":
            _print_update_notice(engine.refresh())  # articles added while we chat are answerable
        if command in (":quit", ":q", ":exit"):
            return 0
        if command in (":help", ":h", "?"):
            print(CHAT_HELP)
        elif command == ":sources":
            print(render_sources(engine.sources()))
        elif command == ":json":
            as_json = not as_json
            print(f"JSON output {'on' if as_json else 'off'}.")
        elif command.startswith(":"):
            print(f"Unknown command {command}; :help lists the commands.")
        else:
            answer = engine.ask(command)
            print(answer.model_dump_json(indent=2) if as_json else render_answer(answer))


def cmd_sources(args: argparse.Namespace) -> int:
    engine = _open_engine(args)
    infos = engine.sources()
    if args.json:
        print(json.dumps([i.model_dump() for i in infos], ensure_ascii=False))
    else:
        print(render_sources(infos))
    return 0


# --- eval ---------------------------------------------------------------------------------------


def _num(value: float | None, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.1f}{suffix}"


def render_report(report: EvalReport) -> str:
    """The evaluation summary for a person: scores, retrieval, latency, types, calibration, misses."""
    lines = [
        f"{report.file} ({report.format}): {report.questions} questions against "
        + ("each one's own paragraph" if report.closed else report.corpus)
        + f" ({report.passages} passages in {report.articles} articles), {report.reader} reader",
        "",
        f"{'':<14}{'questions':>10}{'EM':>8}{'F1':>8}",
    ]
    for name, split in (("all", report.overall), ("answerable", report.answerable), ("unanswerable", report.unanswerable)):
        lines.append(f"{name:<14}{split.questions:>10}{_num(split.exact_match):>8}{_num(split.f1):>8}")
    lines += [
        "",
        f"abstention accuracy               {_num(report.abstention_accuracy, '%')}"
        f"  (answered {_num(report.answered_answerable, '%')} of answerable,"
        f" abstained on {_num(report.abstained_unanswerable, '%')} of unanswerable)",
        f"top passage contains the answer   {_num(report.top1, '%')} (BM25 alone {_num(report.bm25_top1, '%')})",
        f"top 5 passages contain the answer {_num(report.top5, '%')} (BM25 alone {_num(report.bm25_top5, '%')})",
        f"quoted sentence contains it       {_num(report.sentence_contains, '%')}"
        f" ({_num(report.sentence_contains_answered, '%')} of answered questions)",
        f"answer's passage contains it      {_num(report.answer_passage_contains, '%')} (of answered questions)",
        f"latency per question              median {report.latency.median_ms:.1f} ms, p95 {report.latency.p95_ms:.1f} ms"
        f" (index built in {report.index_seconds:.2f} s)",
        "",
        "By question type:",
        f"  {'type':<15}{'questions':>10}{'EM':>8}{'F1':>8}{'top 1':>8}{'sentence':>10}",
    ]
    for row in report.by_type:
        lines.append(
            f"  {row.type:<15}{row.questions:>10}{row.exact_match:>8.1f}{row.f1:>8.1f}"
            f"{_num(row.top1, '%'):>8}{_num(row.sentence, '%'):>10}"
        )
    lines += [
        "",
        "Calibration (answer only at confidence >= threshold):",
        f"  {'threshold':<11}{'answered':>10}{'accuracy':>10}{'F1':>8}",
    ]
    for c in report.calibration:
        lines.append(f"  {c.threshold:<11.1f}{_num(c.answered, '%'):>10}{_num(c.accuracy, '%'):>10}{c.f1:>8.1f}")
    if report.miss_kinds:
        lines += ["", "Not exactly right, by where it went wrong:"]
        width = max(len(str(m.count)) for m in report.miss_kinds)
        lines += [f"  {m.count:>{width}}  {m.kind}" for m in report.miss_kinds]
    return "\n".join(lines)


def render_miss(result: QuestionResult) -> str:
    """One question the engine got wrong: what was asked, expected, answered, and where it went wrong."""
    gold = " | ".join(result.answers) if result.answers else "(no answer: unanswerable)"
    lines = [
        f"- [{result.id}] ({result.type}) {result.question}",
        f"    expected: {gold}",
    ]
    if result.predicted is None:
        lines.append(f"    answered: (nothing) {result.note or ''}".rstrip())
    else:
        lines.append(f"    answered: {result.predicted}  (F1 {result.f1:.2f}, confidence {result.confidence:.2f})")
        if result.sentence and result.sentence != result.predicted:
            lines.append(f"    sentence: {_shorten(result.sentence, 300)}")
    where = f"    why: {result.miss}"
    if result.gold_passage_id is not None:
        rank = f"rank {result.gold_rank}" if result.gold_rank else "not in the top 5"
        where += f"; own paragraph {result.gold_passage_id}: {rank}; answered from {result.passage_id or '-'}"
    lines.append(where)
    return "\n".join(lines)


def cmd_eval(args: argparse.Namespace) -> int:
    from retrieval.evaluate import JSONL, load_eval_file, run_evaluation

    if args.limit is not None and args.limit < 1:
        raise UsageError(f"--limit must be at least 1, not {args.limit}")
    dataset = load_eval_file(args.file)
    if dataset.has_corpus and args.corpus is not None:
        raise UsageError(f"{args.file} is a SQuAD file and brings its own paragraphs: drop --corpus")
    if args.closed and dataset.format == JSONL:
        raise UsageError(f"--closed needs each question's own paragraph: {args.file} is JSONL; use a SQuAD file")
    report = run_evaluation(
        dataset, None if dataset.has_corpus else _corpus_dir(args), args.limit, reader=args.reader, closed=args.closed
    )
    for skipped in report.skipped:
        print(f"newsqa: skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    if args.json:
        data = report.model_dump(mode="json", exclude={"results"})
        if args.misses:
            data["misses"] = [m.model_dump(mode="json") for m in report.misses()]
        print(json.dumps(data, ensure_ascii=False))
        return 0
    print(render_report(report))
    if args.misses:
        misses = report.misses()
        print(f"\nMisses ({len(misses)} of {report.questions} not exactly right):")
        for result in misses:
            print(render_miss(result))
    return 0


EVAL_EPILOG = """Examples:
  newsqa eval ../shared/data/xquad/xquad.en.dev.json
  newsqa eval ../shared/qa/seed_dev.jsonl --corpus corpus --misses
  newsqa eval questions.jsonl --corpus ~/articles --json --limit 50
  newsqa eval ../shared/data/squadshifts/new_wiki.dev.json --closed --reader rules

FILE is a SQuAD v1.1/v2.0 JSON file (its paragraphs become the corpus, one article per title, and
every question is asked against all of them; with --closed, each only against its own paragraph)
or a JSONL file with one
{"id", "question", "answers": [...], "answerable": true|false} per line, asked against --corpus.
Scores follow the SQuAD v1.1 rules; an unanswerable question scores 1 when newsqa abstains."""


def _add_eval_parser(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser(
        "eval",
        help="measure answer quality on a question set (SQuAD JSON or JSONL)",
        description="Ask every question of a question set and report exact match, F1, retrieval hit rates, "
        "latency, a breakdown by question type and a confidence calibration table.",
        epilog=EVAL_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ev.add_argument("file", metavar="FILE", type=Path, help="SQuAD .json or .jsonl question file")
    ev.add_argument("--json", action="store_true", help="print the report as one JSON object")
    ev.add_argument("--misses", action="store_true", help="also list the questions not answered exactly right")
    ev.add_argument("--limit", metavar="N", type=int, default=None, help="ask only the first N questions")
    ev.add_argument("--reader", choices=("neural", "rules"), default="neural", help="the span reader (default: neural)")
    ev.add_argument("--closed", action="store_true", help="read each question against its own paragraph only (SQuAD files)")
    _corpus_arg(ev)
    ev.set_defaults(func=cmd_eval)
def cmd_index(args: argparse.Namespace) -> int:
    engine = _open_engine(args, quiet=True)  # the report below says it all
    report = engine.last_report
    for note in report.notes:
        _notice(note)
    if args.json:
        print(report.model_dump_json(), flush=True)
    else:
        for line in describe_report(report):
            print(line, flush=True)
        print(f"index: {engine.store.index_dir}" if engine.store else "index: in memory", flush=True)
    if args.watch:
        return _watch(engine, args)
    return 0


WATCH_QUIET_MS = 500  # a batch of changes ends after this much quiet...
WATCH_MAX_MS = 10_000  # ...or after this long, so a long copy still shows progress
WATCH_READY_MS = 500  # the watcher wakes this often when nothing changes (its first wake says it is running)


def _watch(engine: Engine, args: argparse.Namespace) -> int:
    """Re-index whenever the corpus folder changes: one re-index per burst of changes."""
    from watchfiles import watch

    def relevant(_change: object, path: str) -> bool:
        return not Path(path).name.startswith(".")  # our own temporary files, editors' swap files

    started = False
    for changes in watch(
        engine.corpus_dir, watch_filter=relevant, step=WATCH_QUIET_MS, debounce=WATCH_MAX_MS,
        raise_interrupt=False, recursive=False, rust_timeout=WATCH_READY_MS, yield_on_timeout=True,
    ):
        if not started:
            # The watcher is running now (its first yield comes from it). A file that arrived between
            # the first index and this moment raised no event, so look once more before saying so.
            started = True
            _reindex_and_report(engine, args, quiet_if_unchanged=True)
            print(f"watching {engine.corpus_dir} for changes (Ctrl-C stops)", flush=True)
        elif changes:
            _reindex_and_report(engine, args)
    return 0


def _reindex_and_report(engine: Engine, args: argparse.Namespace, quiet_if_unchanged: bool = False) -> None:
    """One re-index for `index --watch`, printed as `index` prints it; an error is shown, not raised."""
    try:
        report = engine.reindex(progress=_progress_bar if sys.stderr.isatty() else None, on_wait=_notice)
    except NewsqaError as exc:  # e.g. another indexer held the lock too long: keep watching
        _notice(f"error: {exc}")
        return
    for note in report.notes:
        _notice(note)
    if args.json and not (quiet_if_unchanged and not report.changed):
        print(report.model_dump_json(), flush=True)
    elif not args.json and (report.changed or report.files_read):
        for line in describe_report(report):
            print(line, flush=True)


def cmd_add(args: argparse.Namespace) -> int:
    from retrieval.fetch import fetch_article, is_url
    from retrieval.ingest import MAX_ARTICLE_BYTES, safe_file_name

    engine = _open_engine(args, show_skipped=False)
    failed = 0
    for source in args.sources:
        try:
            if is_url(source):
                name, data = fetch_article(source, timeout=args.timeout)
            else:
                name, data = _read_local(Path(source), MAX_ARTICLE_BYTES)
            target = engine.store_article(name, data)
        except NewsqaError as exc:
            print(f"newsqa: error: {exc}", file=sys.stderr)
            failed += 1
            continue
        shown = source if is_url(source) else safe_file_name(source)
        print(f"added {shown} as {target.name}", flush=True)
    if failed < len(args.sources):
        report = engine.reindex(on_wait=_notice)
        for note in report.notes:
            _notice(note)
        print(
            f"index updated: {len(report.added)} added, {len(report.updated)} updated, "
            f"{len(report.skipped)} skipped ({report.seconds:.2f} s)"
        )
    return 1 if failed else 0


def _read_local(path: Path, max_bytes: int) -> tuple[str, bytes]:
    """A local article file's name and bytes; refuses a huge file before reading it."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise UsageError(f"{path} is not a file: give article files (.txt, .md, .html) or http(s) addresses")
        if size > max_bytes:
            raise UsageError(
                f"{path.name} is too large ({size / 1_048_576:.1f} MiB): "
                f"the limit for an article is {max_bytes // 1_048_576} MiB"
            )
        return path.name, path.read_bytes()
    except FileNotFoundError as exc:
        raise UsageError(f"no such file: {path}") from exc
    except OSError as exc:
        raise NewsqaError(f"cannot read {path}: {exc.strerror or exc}") from exc


def cmd_remove(args: argparse.Namespace) -> int:
    engine = _open_engine(args, show_skipped=False)
    removed = engine.index.articles.get(args.article_id)
    report = engine.remove_article(args.article_id)
    left = len(engine.index.articles)
    print(f"removed {args.article_id} ({removed.path if removed else '?'}); {left} article{'' if left == 1 else 's'} left")
    return 0


def cmd_discord(args: argparse.Namespace) -> int:
    from bot.app import run  # the engine never imports discord; only this command does

    return run(args.corpus)


# --- parser -------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="newsqa",
        description="Answer questions from a folder of news articles, with the sentence and sources.",
        epilog='Example: newsqa ask "when was the last Putin–Biden call?"',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    ask = sub.add_parser(
        "ask",
        help="answer one question (or one per line from standard input)",
        description="Answer a question from the articles: the short answer, its sentence and sources.",
        epilog=(
            "Examples:\n"
            '  newsqa ask "when was the last Putin–Biden call?"\n'
            '  newsqa ask --json "who is the Kremlin spokesman?"\n'
            "  printf 'who is Bob Woodward?\\nwhere did Putin and Trump meet?\\n' | newsqa ask --json -"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ask.add_argument("question", nargs="+", help="the question, or - to read one question per line from stdin")
    ask.add_argument("--json", action="store_true", help="print one JSON object per answer")
    _corpus_arg(ask)
    _index_dir_arg(ask)
    ask.set_defaults(func=cmd_ask)

    chat = sub.add_parser(
        "chat",
        help="ask questions one after another in the terminal",
        description="A chat-style session: type questions, get answers. " + CHAT_HELP.split("\n", 1)[0],
        epilog="Example:\n  newsqa chat --corpus ~/articles\n\n" + CHAT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _corpus_arg(chat)
    _index_dir_arg(chat)
    chat.set_defaults(func=cmd_chat)

    sources = sub.add_parser(
        "sources",
        help="list the indexed articles",
        description="List the indexed articles: id, date, number of passages, title.",
        epilog="Example:\n  newsqa sources --corpus ~/articles",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sources.add_argument("--json", action="store_true", help="print a JSON list")
    _corpus_arg(sources)
    _index_dir_arg(sources)
    sources.set_defaults(func=cmd_sources)

    index = sub.add_parser(
        "index",
        help="build or update the saved index, and say what changed",
        description=(
            "Build or update the saved index of the corpus: only new and changed files are read. Prints the "
            "articles added, updated, removed and renamed, and every skipped file with the reason."
        ),
        epilog=(
            "Examples:\n"
            "  newsqa index --corpus ~/articles\n"
            "  newsqa index --corpus ~/articles --index-dir ~/articles-index --watch"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    index.add_argument("--watch", action="store_true", help="keep running and re-index when the folder changes")
    index.add_argument("--json", action="store_true", help="print the report as JSON")
    index.add_argument(
        "--wait", metavar="SECONDS", type=float, default=120.0,
        help="how long to wait for another indexer to finish (default: 120)",
    )
    _corpus_arg(index)
    _index_dir_arg(index)
    index.set_defaults(func=cmd_index)

    add = sub.add_parser(
        "add",
        help="add article files or web pages to the corpus and index them",
        description=(
            "Copy article files (.txt, .md, .html) into the corpus under safe names, or download web pages and "
            "store their article text as .md with its title, date and address, then update the index. "
            "Articles over 10 MiB are refused."
        ),
        epilog=(
            "Examples:\n"
            "  newsqa add ~/Downloads/story.html notes.txt\n"
            "  newsqa add https://example.com/news/2024/bridge-opens --corpus ~/articles"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add.add_argument("sources", nargs="+", metavar="PATH_OR_URL", help="article files or http(s) addresses")
    add.add_argument(
        "--timeout", metavar="SECONDS", type=float, default=20.0, help="give up on a download after this long (default: 20)"
    )
    _corpus_arg(add)
    _index_dir_arg(add)
    add.set_defaults(func=cmd_add)

    remove = sub.add_parser(
        "remove",
        help="delete an article from the corpus and the index",
        description="Delete an article's file from the corpus folder and update the index. 'newsqa sources' lists the ids.",
        epilog="Example:\n  newsqa remove 000_b25523e41b776a03 --corpus ~/articles",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    remove.add_argument("article_id", metavar="ARTICLE_ID", help="the article's id (its file name without extension)")
    _corpus_arg(remove)
    _index_dir_arg(remove)
    remove.set_defaults(func=cmd_remove)

    _add_eval_parser(sub)


    discord_cmd = sub.add_parser(
        "discord",
        help="run the Discord bot (needs DISCORD_TOKEN)",
        description="Run the Discord bot: /ask, mentions, /sources, /reindex, /add-article. "
        "Settings come from the environment and .env (see .env.example and the README).",
        epilog="Example:\n  DISCORD_TOKEN=... NEWSQA_DEV_GUILD_ID=123 newsqa discord --corpus ~/articles",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _corpus_arg(discord_cmd)
    discord_cmd.set_defaults(func=cmd_discord)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except NewsqaError as exc:
        print(f"newsqa: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last resort: one line for the user, details on request
        if os.environ.get("NEWSQA_DEBUG"):
            raise
        print(f"newsqa: error: unexpected {exc.__class__.__name__}: {exc} (set NEWSQA_DEBUG=1 for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
