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


# How front ends show an answer's confidence (the colour of the Discord embed, the terminal's label).
# From the held-out calibration in bench/QUALITY.md ("Confidence"): answers at 0.8 or more were right
# 81% of the time, at 0.6-0.8 66%, at 0.2-0.4 33%. At 0.7 an answer is more often right than not by
# a margin worth showing in green; under 0.4 it is wrong more often than right, and says so.
CONFIDENT = 0.7
LOW_CONFIDENCE = 0.4


def confidence_level(confidence: float) -> str:
    """'high' (0.7 or more), 'medium' or 'low' (under 0.4): what front ends colour and label."""
    if confidence >= CONFIDENT:
        return "high"
    return "medium" if confidence >= LOW_CONFIDENCE else "low"
