"""Settings and paths shared by the engine and its front ends (the command line and the Discord bot)."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path


def bundled_corpus() -> Path:
    """The seed articles that ship with newsqa.

    Installed from a wheel they are package data, `retrieval/corpus/`; in a source checkout (and an
    editable install) they are the repository's top-level `corpus/` folder.
    """
    packaged = Path(str(files("retrieval") / "corpus"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "corpus"


BUNDLED_CORPUS = bundled_corpus()


def default_corpus_dir() -> Path:
    """`$NEWSQA_CORPUS_DIR`, else the bundled corpus."""
    env = os.environ.get("NEWSQA_CORPUS_DIR")
    return Path(env).expanduser() if env else BUNDLED_CORPUS


def cache_root() -> Path:
    """Where saved indexes go unless told otherwise: `$XDG_CACHE_HOME/newsqa` (`~/.cache/newsqa`)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsqa"


SEARCH_K = 10  # passages `newsqa search` shows unless -k says otherwise
