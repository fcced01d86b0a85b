"""What each `newsqa` command does: validate its arguments, call the engine, print the result."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from retrieval.cli.render import (
    describe_report,
    json_text,
    render_answer,
    render_chat_answer,
    render_history,
    render_search,
    render_sources,
    skipped_notice,
    update_notice,
    use_colour,
)
from retrieval.admission import printable
from retrieval.cli.watch import notice, terminal_progress, watch
from retrieval.config import default_corpus_dir
from retrieval.errors import NewsqaError, UsageError

if TYPE_CHECKING:
    from retrieval.engine import Engine
    from retrieval.models import SearchResult
    from retrieval.models import IndexReport

CHAT_COMMANDS = """Commands:
  :new       start a new conversation (follow-ups no longer refer to earlier questions)
  :history   show this conversation's questions, how each was read, and the answers
  :sources   list the indexed articles
  :json      toggle JSON output
  :help      show this help
  :quit      leave (Ctrl-D leaves too; Ctrl-C clears the line)"""
CHAT_HELP = (
    "Type a question and press Enter. Follow-ups may lean on the conversation (\"What did he say?\", "
    "\"And Trump?\", \"Why?\"); the answer says how such a question was read.\n\n" + CHAT_COMMANDS
)


def corpus_dir(args: argparse.Namespace) -> Path:
    """--corpus, else `$NEWSQA_CORPUS_DIR`, else the bundled corpus."""
    return args.corpus if args.corpus is not None else default_corpus_dir()


def open_engine(args: argparse.Namespace, need_articles: bool = False, mention_skipped: bool = True) -> Engine:
    """Open the saved index (updating it if the corpus changed), saying in one line what changed."""
    from retrieval.engine import Engine

    engine = Engine.open(
        corpus_dir(args),
        args.index_dir,
        lock_timeout=120.0 if getattr(args, "wait", None) is None else args.wait,
        progress=terminal_progress(),
        on_wait=notice,
    )
    print_update_notice(engine.last_report)
    if need_articles and not engine.index.articles:
        for skipped in engine.skipped:  # nothing else to go on: every reason, now
            notice(f"skipped {printable(skipped.path)}: {skipped.reason}")
        raise UsageError(f"no readable articles in {engine.corpus_dir}: add .txt, .md or .html article files to it")
    if mention_skipped and (line := skipped_notice(len(engine.skipped))):
        notice(line)
    return engine


def print_update_notice(report: IndexReport | None) -> None:
    """One line when the index had to be updated (and any notice, such as a rebuild)."""
    if report is None:
        return
    for note in report.notes:
        notice(note)
    if line := update_notice(report):
        notice(line)


# --- asking and searching -----------------------------------------------------------------------


def ask(args: argparse.Namespace) -> int:
    """`newsqa ask QUESTION` (or `-`: one question per line of standard input)."""
    if args.question == ["-"]:
        engine = open_engine(args, need_articles=True)
        return _ask_stream(engine, sys.stdin, sys.stdout, as_json=args.json)
    question = " ".join(args.question).strip()
    if not question:
        raise UsageError('the question is empty: newsqa ask "when was the last Putin–Biden call?"')
    engine = open_engine(args, need_articles=True)
    answer = engine.ask(question)
    print(json_text(answer) if args.json else render_answer(answer, use_colour(sys.stdout)))
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
        out.write((json_text(answer) if as_json else render_answer(answer) + "\n") + "\n")
        out.flush()
    return 0


def search(args: argparse.Namespace) -> int:
    """`newsqa search QUERY` (or `-`: one query per line of standard input): passages alone, hybrid or
    (`--bm25`) BM25 alone."""
    from retrieval.answer import question_vector
    from retrieval.search import search as search_index

    if args.k < 1:
        raise UsageError(f"-k must be at least 1, not {args.k}")

    def find(engine: Engine, query: str) -> SearchResult:
        vector = None if args.bm25 else question_vector(engine.index, query)
        return search_index(engine.index, query, args.k, vector)

    if args.query == ["-"]:
        engine = open_engine(args, need_articles=True)
        for line in sys.stdin:
            result = find(engine, line.rstrip("\n"))
            sys.stdout.write((json_text(result) if args.json else render_search(result) + "\n") + "\n")
            sys.stdout.flush()
        return 0
    query = " ".join(args.query).strip()
    if not query:
        raise UsageError('the query is empty: newsqa search "ferry passengers"')
    engine = open_engine(args, need_articles=True)
    result = find(engine, query)
    print(json_text(result) if args.json else render_search(result, use_colour(sys.stdout)))
    return 0


def chat(args: argparse.Namespace) -> int:
    """`newsqa chat`: a conversation, questions one after another until :quit or Ctrl-D.

    With --json: one question per line of standard input, one JSON answer per question.
    """
    from retrieval.conversation import Conversation

    engine = open_engine(args, need_articles=True)
    if args.json:
        return _chat_stream(engine, sys.stdin, sys.stdout)
    _line_editing()
    infos = engine.sources()
    print(f"newsqa: {len(infos)} articles, {sum(i.passages for i in infos)} passages. Ask a question, or :help.")
    conversation = Conversation()
    as_json = False
    colour = use_colour(sys.stdout)
    while True:
        try:
            line = input("newsqa> ")
        except EOFError:
            print()
            return 0
        except KeyboardInterrupt:  # Ctrl-C clears the line, as in a shell; Ctrl-D leaves
            print()
            continue
        command = line.strip()
        if not command:
            continue
        if not command.startswith(":") or command == ":sources":
            print_update_notice(engine.refresh())  # articles added while we chat are answerable
        if command in (":quit", ":q", ":exit"):
            return 0
        if command in (":help", ":h", "?"):
            print(CHAT_HELP)
        elif command == ":new":
            conversation.clear()
            print("New conversation.")
        elif command == ":history":
            print(render_history(conversation.turns))
        elif command == ":sources":
            print(render_sources(engine.sources()))
        elif command == ":json":
            as_json = not as_json
            print(f"JSON output {'on' if as_json else 'off'}.")
        elif command.startswith(":"):
            print(f"Unknown command {command}; :help lists the commands.")
        else:
            answer = conversation.ask(engine.ask, command)
            print(json_text(answer, indent=2) if as_json else render_chat_answer(answer, colour))


def _chat_stream(engine: Engine, stream: TextIO, out: TextIO) -> int:
    """`chat --json`: one JSON answer per input line, in order, keeping the conversation; `:new`
    starts a new one and prints nothing, `:quit` stops."""
    from retrieval.conversation import Conversation
    from retrieval.models import ChatAnswer

    conversation = Conversation()
    for line in stream:
        question = line.rstrip("\n")
        command = question.strip()
        if command == ":new":
            conversation.clear()
            continue
        if command in (":quit", ":q", ":exit"):
            break
        if command:
            answer = conversation.ask(engine.ask, question)
        else:
            answer = ChatAnswer(question=question, resolved_question=question, note="The question is empty.")
        out.write(json_text(answer) + "\n")
        out.flush()
    return 0


def _line_editing() -> None:
    """Line editing and history for `input()` on a terminal (readline, where Python has it)."""
    if not sys.stdin.isatty():
        return
    try:
        import readline  # noqa: F401 - importing it is what turns line editing on
    except ImportError:  # Windows' Python has no readline: plain input still works
        pass


def sources(args: argparse.Namespace) -> int:
    """`newsqa sources`: the indexed articles."""
    engine = open_engine(args)
    infos = engine.sources()
    if args.json:
        print(json_text([i.model_dump() for i in infos]))
    else:
        print(render_sources(infos))
    return 0


# --- the index and the corpus -------------------------------------------------------------------


def index(args: argparse.Namespace) -> int:
    """`newsqa index`: update the saved index and report; `--watch` keeps doing it."""
    from retrieval.engine import Engine

    engine = Engine.open(
        corpus_dir(args), args.index_dir, lock_timeout=args.wait, progress=terminal_progress(), on_wait=notice
    )
    report = engine.last_report
    for note in report.notes:
        notice(note)
    if args.json:
        print(json_text(report), flush=True)
    else:
        for line in describe_report(report, verbose=args.verbose):
            print(line, flush=True)
        print(f"index: {engine.store.index_dir}" if engine.store else "index: in memory", flush=True)
    if args.watch:
        return watch(engine, args)
    return 0


def add(args: argparse.Namespace) -> int:
    """`newsqa add PATH_OR_URL...`: store each article in the corpus, then update the index once."""
    from retrieval.fetch import fetch_article, is_url, timeout_message
    from retrieval.ingest import MAX_ARTICLE_BYTES, safe_file_name

    for source in args.sources:  # a mistyped path is a usage error: say so before changing anything
        if not is_url(source) and not Path(source).exists():
            raise UsageError(f"no such file: {source} (give article files (.txt, .md, .html) or http(s) addresses)")
    engine = open_engine(args, mention_skipped=False)
    allow_private = args.allow_private_addresses or engine.settings.allow_private_addresses
    added, failed = [], []
    for source in _articles_of(args.sources):
        started = time.monotonic()  # --timeout covers each source's download, reading and checking
        checking = False
        try:
            if is_url(source):
                name, data = fetch_article(source, timeout=args.timeout, allow_private_addresses=allow_private)
            else:
                name, data = _read_local(Path(source), MAX_ARTICLE_BYTES)
            left = args.timeout - (time.monotonic() - started)
            checking = True
            before = set(os.listdir(engine.corpus_dir))
            target = engine.store_article(name, data, seconds=max(left, 0.001) if is_url(source) else None)
        except Exception as exc:  # noqa: BLE001 - one bad source is one line; the others go on
            if not isinstance(exc, NewsqaError) and os.environ.get("NEWSQA_DEBUG"):
                raise
            error = str(exc) if isinstance(exc, NewsqaError) else f"{printable(source)}: unexpected {exc.__class__.__name__}: {exc}"
            if checking and is_url(source) and isinstance(exc, UsageError) and time.monotonic() - started >= args.timeout:
                error = timeout_message(source, args.timeout)  # the check of the page's article ran out of time
            failed.append({"source": source, "error": error})
            if not args.json:
                print(f"newsqa: error: {error}", file=sys.stderr)
            continue
        shown = source if is_url(source) else safe_file_name(source)
        if target.name in before:  # store_article never replaces a file: the same text was there already
            if not args.json:
                print(f"{shown} is in the corpus already, as {target.name}: nothing added", flush=True)
            continue
        added.append({"source": source, "file": target.name})
        if not args.json:
            print(f"added {shown} as {target.name}", flush=True)
    report = engine.reindex(on_wait=notice) if added else None
    if report is not None:
        for note in report.notes:
            notice(note)
    if args.json:
        result = {"added": added, "failed": failed, "index": report.model_dump(mode="json") if report else None}
        print(json_text(result))
    elif report is not None:
        print(
            f"index updated: {len(report.added)} added, {len(report.updated)} updated, "
            f"{len(report.skipped)} skipped ({report.seconds:.2f} s)"
        )
    return 1 if failed else 0


def _articles_of(sources: list[str]) -> list[str]:
    """The sources with each folder replaced by the article files in it (not its subfolders), by name."""
    from retrieval.admission import SUPPORTED_SUFFIXES
    from retrieval.fetch import is_url

    out = []
    for source in sources:
        path = Path(source)
        if not is_url(source) and path.is_dir():
            found = sorted(str(f) for f in path.iterdir() if not f.name.startswith(".") and f.suffix.lower() in SUPPORTED_SUFFIXES and f.is_file())
            out.extend(found or [source])  # an empty folder: its own line says why
        else:
            out.append(source)
    return out


def _read_local(path: Path, max_bytes: int) -> tuple[str, bytes]:
    """A local article file's name and bytes, by the engine's rule: a pipe or a huge file is refused unread."""
    from retrieval.engine import read_local_article

    return read_local_article(path)


def remove(args: argparse.Namespace) -> int:
    """`newsqa remove ARTICLE_ID`: delete the article's file and update the index."""
    engine = open_engine(args, mention_skipped=False)
    removed = engine.index.articles.get(args.article_id)
    path = removed.path if removed else engine.duplicate_file(args.article_id)
    report = engine.remove_article(args.article_id)
    left = len(engine.index.articles)
    # An identical copy takes the removed article's place: its text is still answerable.
    still = report.renamed.get(args.article_id)
    if args.json:
        data = {
            "removed": args.article_id, "file": path, "articles_left": left, "still_indexed_as": still,
            "index": report.model_dump(mode="json"),
        }
        print(json_text(data))
    else:
        shown = printable(args.article_id)
        print(f"removed {shown} ({printable(path or '?')}); {left} article{'' if left == 1 else 's'} left")
        if still is not None:
            print(
                f"its text is still indexed: {printable(still)} is an identical copy; "
                f"'newsqa remove {printable(still)}' removes that too"
            )
    return 0


def cache(args: argparse.Namespace) -> int:
    """`newsqa cache [--prune]`: the saved indexes in the cache folder."""
    from retrieval.cache import prune, saved_indexes
    from retrieval.cli.render import render_cache

    entries = saved_indexes()
    pruned = prune(entries) if args.prune else []
    if args.json:
        data = {"indexes": [e.model_dump(mode="json") for e in entries], "pruned": [str(e.path) for e in pruned]}
        print(json_text(data))
    else:
        print(render_cache(entries, pruned, prune_asked=args.prune))
    return 0


def discord(args: argparse.Namespace) -> int:
    """`newsqa discord`: run the bot."""
    from bot.app import run  # the engine never imports discord; only this command does

    return run(args.corpus, args.index_dir)
