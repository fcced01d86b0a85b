"""The `newsqa` argument parser: every sub-command, its options, and help text wrapped to the terminal."""

from __future__ import annotations

import argparse
import re
import textwrap
from pathlib import Path
from typing import NoReturn

from retrieval import __version__
from retrieval.cli import commands, evaluation
from retrieval.cli.commands import CHAT_HELP
from retrieval.config import SEARCH_K



class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line naming the command's --help, and exits 2."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - argparse's own arguments
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"newsqa: error: {with_help(message, self.prog)}\n")


def with_help(message: str, prog: str) -> str:
    """A usage error's message, pointing at the command's --help."""
    return f"{message}; try '{prog} --help'"


class HelpFormatter(argparse.HelpFormatter):
    """Descriptions and epilogs wrapped to the terminal, paragraph by paragraph; indented lines
    (examples, lists) are kept as they are, so they can be copied."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out: list[str] = []
        for block in re.split(r"\n\s*\n", text.strip("\n")):
            lines = block.split("\n")
            prose: list[str] = []
            for line in lines:
                if line.startswith(" ") or line.endswith(":"):
                    if prose:
                        out.append(textwrap.fill(" ".join(prose), width, initial_indent=indent, subsequent_indent=indent))
                        prose = []
                    out.append(indent + line)
                else:
                    prose.append(line.strip())
            if prose:
                out.append(textwrap.fill(" ".join(prose), width, initial_indent=indent, subsequent_indent=indent))
            out.append("")
        return "\n".join(out).rstrip("\n")


def _common_options() -> tuple[Parser, Parser]:
    """--corpus and --index-dir, shared by every command that works on a corpus."""
    corpus = Parser(add_help=False)
    corpus.add_argument(
        "--corpus", metavar="DIR", type=Path, default=None,
        help="folder of articles (.txt, .md, .html); default: $NEWSQA_CORPUS_DIR or the bundled corpus",
    )
    index_dir = Parser(add_help=False)
    index_dir.add_argument(
        "--index-dir", metavar="DIR", type=Path, default=None,
        help="where the saved index lives; default: $NEWSQA_INDEX_DIR or a cache folder "
        "($XDG_CACHE_HOME/newsqa/<corpus>-<hash>; 'newsqa cache' lists them)",
    )
    return corpus, index_dir


def _json_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--json", action="store_true", help=f"print {what} as JSON")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every `newsqa` command; each sets `func`, the function that runs it."""
    parser = Parser(
        prog="newsqa",
        description="Answer questions from a folder of news articles, with the sentence and sources.",
        epilog='Example:\n  newsqa ask "when was the last Putin–Biden call?"\n\n'
        "'newsqa COMMAND --help' describes each command.",
    )
    parser.add_argument("--version", action="version", version=f"newsqa {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    common = list(_common_options())

    ask = sub.add_parser(
        "ask", parents=common,
        help="answer one question (or one per line from standard input)",
        description="Answer a question from the articles: the short answer, its sentence, its confidence and "
        "the sources.",
        epilog="Examples:\n"
        '  newsqa ask "when was the last Putin–Biden call?"\n'
        '  newsqa ask --json "who is the Kremlin spokesman?"\n'
        "  printf 'who is the Kremlin spokesman?\\nwhen did Putin last call Biden?\\n' | newsqa ask --json -",
    )
    ask.add_argument("question", nargs="+", help="the question, or - to read one question per line from stdin")
    ask.add_argument("--json", action="store_true", help="print one JSON object per answer")
    ask.set_defaults(func=commands.ask)

    search = sub.add_parser(
        "search", parents=common,
        help="list the passages that match a query best (no answer)",
        description="Retrieval alone: the passages ranked best for the query (BM25 and the dense encoder together, or "
        "BM25 alone with --bm25), with their article, paragraph, score and the ranker that found them, and the matching "
        "words marked (bold on a terminal, *like this* elsewhere).",
        epilog="Examples:\n"
        '  newsqa search "ferry passengers"\n'
        '  newsqa search --bm25 -k 3 --json "Peskov phone call"\n'
        "  printf 'ferry\\nbridge opening\\n' | newsqa search --json -",
    )
    search.add_argument("query", nargs="+", help="the words to look for, or - to read one query per line from stdin")
    search.add_argument(
        "-k", metavar="N", type=int, default=SEARCH_K, help=f"how many passages to show (default: {SEARCH_K})"
    )
    search.add_argument("--json", action="store_true", help="print one JSON object per query")
    search.add_argument("--bm25", action="store_true", help="BM25 alone (exact BM25 scores), without the dense encoder")
    search.set_defaults(func=commands.search)

    chat = sub.add_parser(
        "chat", parents=common,
        help="ask questions one after another in the terminal",
        description="A chat-style session: type questions, get answers. A follow-up is read against the "
        "conversation so far (pronouns such as 'he' or 'it', 'And Trump?', 'Why?') and the answer says how "
        "it was read. With --json, one question per line of standard input and one JSON object per question "
        "(ask --json's, plus resolved_question); a line ':new' starts a new conversation and prints nothing.",
        epilog="Examples:\n  newsqa chat --corpus ~/articles\n"
        "  printf 'who is the Kremlin spokesman?\\nwhat did he call the reports?\\n' | newsqa chat --json\n\n" + CHAT_HELP,
    )
    chat.add_argument("--json", action="store_true", help="read questions from stdin, print one JSON object per question")
    chat.set_defaults(func=commands.chat)

    sources = sub.add_parser(
        "sources", parents=common,
        help="list the indexed articles",
        description="List the indexed articles: id, date, number of passages, title.",
        epilog="Example:\n  newsqa sources --corpus ~/articles",
    )
    _json_option(sources, "a list")
    sources.set_defaults(func=commands.sources)

    index = sub.add_parser(
        "index", parents=common,
        help="build or update the saved index, and say what changed",
        description="Build or update the saved index of the corpus: only new and changed files are read. "
        "Prints a summary and the files it skipped, with the reason; --verbose also names every article "
        "added, updated, removed and renamed.",
        epilog="Examples:\n"
        "  newsqa index --corpus ~/articles --verbose\n"
        "  newsqa index --corpus ~/articles --index-dir ~/articles-index --watch",
    )
    index.add_argument("--watch", action="store_true", help="keep running and re-index when the folder changes")
    index.add_argument("--verbose", "-v", action="store_true", help="one line per article added, updated, removed or renamed")
    _json_option(index, "the report")
    index.add_argument(
        "--wait", metavar="SECONDS", type=float, default=120.0,
        help="how long to wait for another indexer to finish (default: 120)",
    )
    index.set_defaults(func=commands.index)

    add = sub.add_parser(
        "add", parents=common,
        help="add article files or web pages to the corpus and index them",
        description="Copy article files (.txt, .md, .html), or those of a folder, into the corpus under safe names, or "
        "download web pages and store their article text as .md with its title, date and address, then update the "
        "index. A file whose text is in the corpus already is not added again. Articles over 10 MiB are refused.",
        epilog="Examples:\n"
        "  newsqa add ~/Downloads/story.html notes.txt\n"
        "  newsqa add ~/Downloads/wire-stories/\n"
        "  newsqa add https://example.com/news/2024/bridge-opens --corpus ~/articles",
    )
    add.add_argument("sources", nargs="+", metavar="PATH_OR_URL", help="article files, folders of them, or http(s) addresses")
    add.add_argument(
        "--timeout", metavar="SECONDS", type=float, default=20.0,
        help="give up on an address after this long: its download and reading the page (default: 20)",
    )
    add.add_argument(
        "--allow-private-addresses", action="store_true", default=None,
        help="also download from loopback, link-local and private addresses (your own intranet); "
        "default: $NEWSQA_ALLOW_PRIVATE_ADDRESSES or refused",
    )
    _json_option(add, "what was added and the index update")
    add.set_defaults(func=commands.add)

    remove = sub.add_parser(
        "remove", parents=common,
        help="delete an article from the corpus and the index",
        description="Delete an article's file from the corpus folder and update the index. 'newsqa sources' "
        "lists the ids.",
        epilog="Example:\n  newsqa remove 000_b25523e41b776a03 --corpus ~/articles",
    )
    remove.add_argument("article_id", metavar="ARTICLE_ID", help="the article's id (its file name without extension)")
    _json_option(remove, "what was removed and the index update")
    remove.set_defaults(func=commands.remove)

    cache = sub.add_parser(
        "cache",
        help="list the saved indexes in the cache folder (--prune removes stale ones)",
        description="List the saved indexes in the cache folder ($XDG_CACHE_HOME/newsqa, else ~/.cache/newsqa): "
        "the corpus folder each one indexes, its size on disk and when it was last used. --prune deletes "
        "those whose corpus folder is gone; deleting any of them is safe, the next command rebuilds it.",
        epilog="Examples:\n  newsqa cache\n  newsqa cache --prune",
    )
    cache.add_argument("--prune", action="store_true", help="delete the indexes whose corpus folder no longer exists")
    _json_option(cache, "the list")
    cache.set_defaults(func=commands.cache)

    evaluation.add_parser(sub, common)

    discord_cmd = sub.add_parser(
        "discord", parents=common,
        help="run the Discord bot (needs DISCORD_TOKEN)",
        description="Run the Discord bot: /ask, mentions, /sources, /reindex, /add-article. Settings come from "
        "the environment and .env (see .env.example and docs/configuration.md); --corpus and --index-dir override "
        "NEWSQA_CORPUS_DIR and NEWSQA_INDEX_DIR.",
        epilog="Example:\n  DISCORD_TOKEN=... NEWSQA_DEV_GUILD_ID=123 newsqa discord --corpus ~/articles",
    )
    discord_cmd.set_defaults(func=commands.discord)
    return parser
