"""WordNet synonyms of a question's words, read straight from WordNet 3.0's dictionary files.

The files are the plain-text `index.<pos>`, `data.<pos>` and `<pos>.exc` of WordNet 3.0. newsqa
ships them in `retrieval/wordnet/`, gzip-compressed and with the glosses blanked out (their
licence and how they were made are beside them: scripts/ship_wordnet.py). `NEWSQA_WORDNET_DIR`
points elsewhere, for example at Debian's `wordnet-base` in /usr/share/wordnet; a folder may hold
each file plain or as `<name>.gz`. A file is read into memory the first time it is needed (in use:
the verb files, 3.5 MB); a word is looked up by binary search in the sorted index and its synsets
are read at their byte offsets in the data. When the files are absent every lookup answers "no
synonyms", never an error.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import threading
from functools import lru_cache
from importlib.resources import files
from pathlib import Path




def default_dir() -> Path | None:
    """The WordNet 3.0 files shipped with newsqa (package data: `retrieval/wordnet/`)."""
    folder = Path(str(files("retrieval") / "wordnet"))
    return folder if folder.is_dir() else None


def _read(path: Path) -> bytes | None:
    """A dictionary file's bytes, from `path` or its gzip-compressed `path.gz`; None when neither is there."""
    if path.is_file():
        return path.read_bytes()
    packed = path.with_name(path.name + ".gz")
    if packed.is_file():
        return gzip.decompress(packed.read_bytes())
    return None


def _exists(path: Path) -> bool:
    return path.is_file() or path.with_name(path.name + ".gz").is_file()


# Which synonyms stand in for a question word (chosen on XQuAD half A, confirmed on half B; nouns and
# adjectives too, hypernyms and derivationally related forms each lost on half A): the lemmas of the
# word's 3 most frequent verb senses.
PARTS_OF_SPEECH = "v"
SENSES = 3
_POS = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
# Morphy's detachment rules (WordNet's morph.c): inflected ending -> base ending, by part of speech.
_SUFFIXES = {
    "n": [("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y")],
    "v": [("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", "")],
    "a": [("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
    "r": [],
}


class WordNet:
    """A read-only view of one WordNet dictionary directory."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._files: dict[str, io.BytesIO] = {}
        self._exc: dict[str, dict[str, list[str]]] = {}

    def available(self) -> bool:
        return all(_exists(self.root / f"{kind}.{name}") for name in _POS.values() for kind in ("index", "data"))

    def _file(self, name: str):
        f = self._files.get(name)
        if f is None:
            # Read whole into memory (data.verb is 3 MB), with Windows line ends made plain: some copies
            # have CRLF ends, and WordNet's byte offsets count one byte per line end.
            data = _read(self.root / name)
            if data is None:
                raise FileNotFoundError(self.root / name)
            f = self._files[name] = io.BytesIO(data.replace(b"\r\n", b"\n"))
        return f

    def _index_line(self, pos: str, lemma: str) -> list[str] | None:
        """The fields of `lemma`'s line in index.<pos>, found by binary search over the sorted file."""
        key = lemma.encode() + b" "
        with self._lock:
            f = self._file(f"index.{_POS[pos]}")
            f.seek(0, os.SEEK_END)
            lo, hi = 0, f.tell()
            while lo < hi:  # the first line starting at or after `mid` is compared with the key
                mid = (lo + hi) // 2
                f.seek(mid)
                if mid:
                    f.readline()
                line = f.readline()
                if not line or line[:1] != b" " and line >= key:
                    hi = mid
                else:
                    lo = mid + 1
            f.seek(lo)
            if lo:
                f.readline()
            for _ in range(2):
                line = f.readline()
                if line.startswith(key):
                    return line.decode().split()
                if line and line[:1] != b" ":
                    break
        return None

    def _data_line(self, pos: str, offset: int) -> list[str]:
        with self._lock:
            f = self._file(f"data.{_POS[pos]}")
            f.seek(offset)
            line = f.readline().decode()
        return line.split(" | ", 1)[0].split()

    def _exceptions(self, pos: str) -> dict[str, list[str]]:
        exc = self._exc.get(pos)
        if exc is None:
            exc = {}
            data = _read(self.root / f"{_POS[pos]}.exc")
            if data is not None:
                for line in data.decode("utf-8").splitlines():
                    parts = line.split()
                    if len(parts) >= 2:
                        exc[parts[0]] = parts[1:]
            self._exc[pos] = exc
        return exc

    def base_forms(self, word: str, pos: str) -> list[str]:
        """WordNet's lemmas for an inflected word (its "morphy"): the word itself, an exception, or a stripped ending."""
        word = word.lower()
        forms = [word] + self._exceptions(pos).get(word, [])
        forms += [word[: len(word) - len(old)] + new for old, new in _SUFFIXES[pos] if word.endswith(old) and len(word) > len(old) + 1]
        out: list[str] = []
        for form in forms:
            if form not in out and self._index_line(pos, form) is not None:
                out.append(form)
        return out

    def synsets(self, lemma: str, pos: str) -> list[int]:
        """Offsets of the lemma's synsets in data.<pos>, most frequent sense first."""
        line = self._index_line(pos, lemma)
        if line is None:
            return []
        n_synsets, n_pointers = int(line[2]), int(line[3])
        return [int(x) for x in line[4 + n_pointers + 2 :][:n_synsets]]

    def pertainyms(self, adjective: str) -> list[int]:
        """Offsets in data.noun of the nouns an adjective pertains to ("Finnish" -> Finland), its most frequent sense first."""
        out: list[int] = []
        for offset in self.synsets(adjective, "a")[:1]:
            fields = self._data_line("a", offset)
            n_words = int(fields[3], 16)
            at = 4 + 2 * n_words
            for _ in range(int(fields[at])):
                symbol, target, pos = fields[at + 1], fields[at + 2], fields[at + 3]
                if symbol == "\\" and pos == "n":
                    out.append(int(target))
                at += 4
        return out

    def pertaining(self) -> dict[int, list[str]]:
        """data.noun offset -> the adjectives that pertain to that noun (Finland -> "finnish"): one pass over data.adj."""
        with self._lock:
            cached = getattr(self, "_pertaining", None)
            if cached is not None:
                return cached
            data = self._file("data.adj").getvalue().decode("utf-8", "replace")
        out: dict[int, list[str]] = {}
        for line in data.splitlines():
            if line.startswith(" ") or "\\ " not in line:
                continue
            fields = line.split(" | ", 1)[0].split()
            n_words = int(fields[3], 16)
            lemmas = [re.sub(r"\(\w+\)$", "", fields[4 + 2 * i]).lower() for i in range(n_words)]
            at = 4 + 2 * n_words
            for _ in range(int(fields[at])):
                if fields[at + 1] == "\\" and fields[at + 3] == "n":
                    out.setdefault(int(fields[at + 2]), []).extend(lemmas)
                at += 4
        with self._lock:
            self._pertaining = out
        return out

    def synset(self, pos: str, offset: int) -> list[str]:
        """The lemmas of one synset, lower-cased, without their adjective markers ("(a)")."""
        f = self._data_line(pos, offset)
        return [re.sub(r"\(\w+\)$", "", f[4 + 2 * i]).lower() for i in range(int(f[3], 16))]

_lock = threading.Lock()
_wordnet: WordNet | None = None
_checked = False


def wordnet() -> WordNet | None:
    """The WordNet at `NEWSQA_WORDNET_DIR` (default: the files shipped with newsqa), or None when it is not there."""
    global _wordnet, _checked
    with _lock:
        if not _checked:
            root = os.environ.get("NEWSQA_WORDNET_DIR") or default_dir()
            wn = WordNet(root) if root else None
            _wordnet = wn if wn is not None and wn.available() else None
            _checked = True
        return _wordnet


def reset() -> None:
    """Forget the loaded WordNet and the cached lookups (tests change `NEWSQA_WORDNET_DIR`)."""
    global _wordnet, _checked
    with _lock:
        _wordnet, _checked = None, False
    synonyms.cache_clear()
    pertainyms.cache_clear()


@lru_cache(maxsize=20_000)
def synonyms(word: str, pos: str = "v", senses: int = 3) -> tuple[str, ...]:
    """Single-word lemmas sharing one of the word's `senses` most frequent synsets of part of speech `pos`.

    Multi-word lemmas ("take_part") are left out: the engine matches single terms. (Hypernyms and
    derivationally related forms were tried and lost: bench/EXPERIMENTS.md; the reader for them is
    in commit 90960ad.)
    """
    wn = wordnet()
    if wn is None or not word.isalpha():
        return ()
    out: list[str] = []
    try:
        for lemma in wn.base_forms(word, pos):
            for offset in wn.synsets(lemma, pos)[:senses]:
                out += wn.synset(pos, offset)
    except (OSError, ValueError, IndexError):
        return ()
    return tuple(dict.fromkeys(w for w in out if w.isalpha() and w != word))


@lru_cache(maxsize=20_000)
def pertainyms(word: str) -> tuple[str, ...]:
    """A country or place and its adjective, either way round: "Finland" <-> "Finnish", "France" <-> "French".

    WordNet's pertainym pointers run from an adjective to its noun ("of or relating to Finland");
    the way back is their reverse, built on first use from one pass over data.adj (about 0.1 s).
    Single words only, lower-cased; the word itself is left out.
    """
    wn = wordnet()
    if wn is None or not word.isalpha():
        return ()
    word = word.lower()
    out: list[str] = []
    try:
        for offset in wn.pertainyms(word)[:1]:  # the most frequent sense only: "Chinese" is not Taiwan
            out += wn.synset("n", offset)
        pertaining = None
        for lemma in wn.base_forms(word, "n"):
            for offset in wn.synsets(lemma, "n")[:1]:
                pertaining = pertaining if pertaining is not None else wn.pertaining()
                out += pertaining.get(offset, [])
    except (OSError, ValueError, IndexError):
        return ()
    return tuple(dict.fromkeys(w for w in out if w.isalpha() and w != word))
