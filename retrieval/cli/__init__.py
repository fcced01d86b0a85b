"""`newsqa`: the command line, a thin adapter that validates, calls the engine and prints its answers.

    parser.py      the commands and their options (`build_parser`)
    commands.py    what each command does
    evaluation.py  `newsqa eval`: its options, run and report
    render.py      what is printed for people
    watch.py       `newsqa index --watch`, and the notices and progress bar on standard error
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from retrieval.cli.parser import build_parser, with_help
from retrieval.errors import NewsqaError, UsageError


def _tolerant_streams() -> None:
    """Bytes on standard input that are not UTF-8 become U+FFFD, and characters standard output
    can't encode become '?', instead of ending the command (also under PYTHONIOENCODING=...:strict).
    Input lines end at newlines only: a stray carriage return does not make two questions of one."""
    for stream, options in ((sys.stdin, {"newline": "\n"}), (sys.stdout, {}), (sys.stderr, {})):
        try:
            stream.reconfigure(errors="replace", **options)  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass  # not a text stream we can reconfigure (a test's capture, a closed stream)


def _log_to_stderr() -> None:
    """The engine's warnings (a reader that cannot be loaded, say) as `newsqa: ...` lines on standard error."""
    engine = logging.getLogger("retrieval")
    if not engine.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("newsqa: %(message)s"))
        engine.addHandler(handler)
        engine.setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `newsqa` command; the exit status is 0, 1 (an error) or 2 (a usage error)."""
    _tolerant_streams()
    _log_to_stderr()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"newsqa: error: {with_help(str(exc), f'newsqa {args.command}')}", file=sys.stderr)
        return exc.exit_code
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


__all__ = ["build_parser", "main", "with_help"]
