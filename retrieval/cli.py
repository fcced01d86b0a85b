"""`newsqa`: the command line, a thin adapter that validates, calls the engine and prints its answers."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from retrieval.errors import NewsqaError, UsageError

if TYPE_CHECKING:
    from retrieval.engine import Engine
    from retrieval.models import Answer, ArticleInfo

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
        help="folder of articles (.txt, .md); default: $NEWSQA_CORPUS_DIR or the bundled corpus/",
    )


def _corpus_dir(args: argparse.Namespace) -> Path:
    if args.corpus is not None:
        return args.corpus
    env = os.environ.get("NEWSQA_CORPUS_DIR")
    return Path(env) if env else BUNDLED_CORPUS


def _open_engine(args: argparse.Namespace) -> Engine:
    from retrieval.engine import Engine

    engine = Engine.open(_corpus_dir(args))
    for skipped in engine.skipped:
        print(f"newsqa: skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    return engine


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
    extra = f" · {answer.note}" if answer.note else ""
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


# --- commands -----------------------------------------------------------------------------------


def cmd_ask(args: argparse.Namespace) -> int:
    questions: Iterable[str]
    if args.question == ["-"]:
        engine = _open_engine(args)
        return _ask_stream(engine, sys.stdin, sys.stdout, as_json=args.json)
    question = " ".join(args.question).strip()
    if not question:
        raise UsageError("the question is empty: newsqa ask \"when was the last Putin–Biden call?\"")
    engine = _open_engine(args)
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
    engine = _open_engine(args)
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
    ask.set_defaults(func=cmd_ask)

    chat = sub.add_parser(
        "chat",
        help="ask questions one after another in the terminal",
        description="A chat-style session: type questions, get answers. " + CHAT_HELP.split("\n", 1)[0],
        epilog="Example:\n  newsqa chat --corpus ~/articles\n\n" + CHAT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _corpus_arg(chat)
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
    sources.set_defaults(func=cmd_sources)

    discord_cmd = sub.add_parser(
        "discord",
        help="run the Discord bot (needs DISCORD_TOKEN)",
        description="Run the Discord bot: /ask, mentions, /sources, /reindex, /add-article. "
        "Settings come from the environment and .env (see .env.example and bot/README.md).",
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
