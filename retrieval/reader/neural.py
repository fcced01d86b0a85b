"""The neural reader: a fine-tuned MiniLM that scores answer spans in passages, run with onnxruntime.

The model (`model/reader.onnx`, int8) and its WordPiece tokenizer (`model/tokenizer.json`) ship with
the package; `model/MANIFEST.json` holds their SHA-256, checked before either is loaded, and the
window settings the model was trained with. `bench/train_reader.py` trains and exports it. No torch
here: onnxruntime and the `tokenizers` fast tokenizer only.

A passage longer than one window is read in windows of `max_len` tokens that overlap by `stride`;
the answer is the best span of any window. Spans are found as token positions and returned as
character offsets into the passage text, taken from the tokenizer's offsets.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_DIR = Path(__file__).with_name("model")
MAX_QUESTION_TOKENS = 64
MAX_ANSWER_TOKENS = 30  # longer spans are sentences, which the rules quote better
TOP_STARTS = 20  # start and end positions tried per window (the n-best of transformers' run_qa.py)
WINDOWS_PER_PASSAGE = 24  # about 5,000 tokens: a paragraph longer than that is read in its first part only
MAX_PASSAGE_CHARS = 30_000  # what WINDOWS_PER_PASSAGE can hold, with room to spare: no need to tokenize more
WINDOWS_PER_RUN = 16  # windows per onnxruntime call: memory stays small whatever the passages' length


# MANIFEST.json's "layout": the special tokens (first, separator, padding) around the question and the passage,
# and how many separators stand between them. "bert" (the default) is the shipped MiniLM's; "mpnet" the MPNet encoder's.
LAYOUTS = {"bert": ("[CLS]", "[SEP]", "[PAD]", 1), "mpnet": ("<s>", "</s>", "<pad>", 2)}


class ReaderUnavailable(RuntimeError):
    """The shipped model is missing or damaged: its files do not match their recorded hashes."""


@dataclass(frozen=True)
class Reading:
    """The best span the reader found in one passage, and what it thought of the passage.

    `score` is the span's start + end logit; `null` the same for [CLS], the "not in this passage"
    output; `probability` the span's share of its window's softmax over starts times ends.
    """

    passage: int
    start: int
    end: int
    score: float
    null: float
    probability: float

    @property
    def margin(self) -> float:
        """How far the span beats "not here": positive when the reader thinks the passage answers."""
        return self.score - self.null


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def open_model_folder(model_dir: Path, what: str, threads: int | None = None) -> tuple[dict, Any, Any]:
    """(MANIFEST.json, tokenizer, onnxruntime session) of a model folder (the reader's, the dense
    encoder's), both files checked against their SHA-256 in the manifest before they are loaded;
    `ReaderUnavailable` naming `what` otherwise."""
    import onnxruntime
    from tokenizers import Tokenizer

    try:
        manifest = json.loads((model_dir / "MANIFEST.json").read_text(encoding="utf-8"))
        model_path = model_dir / manifest["model"]
        tokenizer_path = model_dir / manifest["tokenizer"]
        for path, digest in ((model_path, manifest["model_sha256"]), (tokenizer_path, manifest["tokenizer_sha256"])):
            if file_sha256(path) != digest:
                raise ReaderUnavailable(f"{path} does not match its SHA-256 in MANIFEST.json; reinstall newsqa")
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
    except ReaderUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - unreadable JSON, a missing key or file, a tokenizer that won't load
        raise ReaderUnavailable(f"{what} in {model_dir} is missing or unreadable ({exc}); reinstall newsqa") from exc
    tokenizer.no_padding()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    return manifest, tokenizer, session


class NeuralReader:
    """Reads passages for one question at a time; safe to share between threads."""

    def __init__(self, model_dir: Path = MODEL_DIR, threads: int | None = None):
        manifest, self.tokenizer, self.session = open_model_folder(model_dir, "the reader model", threads)
        try:
            self.max_len = int(manifest["max_len"])
            self.stride = int(manifest["stride"])
            layout = manifest.get("layout", "bert")
            *specials, self.pair_seps = LAYOUTS[layout]
        except (ValueError, KeyError, TypeError) as exc:
            raise ReaderUnavailable(f"the reader model in {model_dir} is missing or unreadable ({exc}); reinstall newsqa") from exc
        self.tokenizer.no_truncation()
        cls, sep, pad = (self.tokenizer.token_to_id(t) for t in specials)
        if cls is None or sep is None or pad is None:
            raise ReaderUnavailable(f"{model_dir} lacks the {layout!r} layout's special tokens named in MANIFEST.json; reinstall newsqa")
        self.cls, self.sep, self.pad = cls, sep, pad
        self.segments = "token_type_ids" in {i.name for i in self.session.get_inputs()}

    def read(self, question: str, passages: Sequence[str]) -> list[Reading | None]:
        """The best span in each passage (None for a passage with no text), the windows read in batches."""
        q_ids = self.tokenizer.encode(question, add_special_tokens=False).ids[:MAX_QUESTION_TOKENS]
        first = 1 + len(q_ids) + self.pair_seps  # where the passage's tokens begin in every window
        room = self.max_len - first - 1
        windows: list[tuple[int, list[int], list[tuple[int, int]]]] = []
        for n, text in enumerate(passages):
            enc = self.tokenizer.encode(text[:MAX_PASSAGE_CHARS], add_special_tokens=False)
            ids, offsets = enc.ids, enc.offsets
            if not ids:
                continue
            step = max(1, room - self.stride)
            lo = 0
            for _ in range(WINDOWS_PER_PASSAGE):
                windows.append((n, ids[lo : lo + room], offsets[lo : lo + room]))
                if lo + room >= len(ids):
                    break
                lo += step
        best: list[Reading | None] = [None] * len(passages)
        for lo in range(0, len(windows), WINDOWS_PER_RUN):
            batch = windows[lo : lo + WINDOWS_PER_RUN]
            starts, ends = self._logits(q_ids, [ids for _, ids, _ in batch])
            for r, (n, ids, offsets) in enumerate(batch):
                reading = _best_span(n, starts[r], ends[r], first, len(ids), offsets, passages[n])
                held = best[n]
                if held is None or reading.score > held.score:
                    best[n] = reading
        return best

    def _logits(self, q_ids: list[int], windows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Start and end logits of `[CLS] question [SEP] window [SEP]` (BERT) or `<s> question </s></s> window </s>`
        (MPNet) for each window, padded to the longest."""
        head = [self.cls, *q_ids] + [self.sep] * self.pair_seps
        width = max(len(w) for w in windows) + len(head) + 1
        input_ids = np.full((len(windows), width), self.pad, dtype=np.int64)
        mask = np.zeros_like(input_ids)
        types = np.zeros_like(input_ids)
        for r, ids in enumerate(windows):
            seq = [*head, *ids, self.sep]
            input_ids[r, : len(seq)] = seq
            mask[r, : len(seq)] = 1
            types[r, len(head) : len(seq)] = 1
        feed = {"input_ids": input_ids, "attention_mask": mask}
        if self.segments:
            feed["token_type_ids"] = types
        starts, ends = self.session.run(None, feed)
        return starts, ends


def _best_span(n: int, start: np.ndarray, end: np.ndarray, first: int, length: int, offsets: list[tuple[int, int]], text: str) -> Reading:
    """The highest-scoring span of at most MAX_ANSWER_TOKENS tokens inside the passage part of one window."""
    s = start[first : first + length]
    e = end[first : first + length]
    null = float(start[0] + end[0])
    k = min(TOP_STARTS, length)
    top_s = np.argpartition(-s, k - 1)[:k]
    top_e = np.argpartition(-e, k - 1)[:k]
    grid = s[top_s][:, None] + e[top_e][None, :]
    span = top_e[None, :] - top_s[:, None]
    grid = np.where((span >= 0) & (span < MAX_ANSWER_TOKENS), grid, -np.inf)
    i, j = np.unravel_index(int(np.argmax(grid)), grid.shape)
    a, b = int(top_s[i]), int(top_e[j])
    score = float(grid[i, j])
    # The span's probability under the window's own start and end softmaxes, [CLS] included.
    ls = np.concatenate(([start[0]], s))
    le = np.concatenate(([end[0]], e))
    log_z = _logsumexp(ls) + _logsumexp(le)
    probability = float(np.exp(score - log_z))
    lo, hi = _whole_words(text, offsets[a][0], offsets[b][1])
    return Reading(passage=n, start=lo, end=hi, score=score, null=null, probability=probability)


def _logsumexp(x: np.ndarray) -> float:
    m = float(np.max(x))
    return m + float(np.log(np.sum(np.exp(x - m))))


def _whole_words(text: str, lo: int, hi: int) -> tuple[int, int]:
    """Widen a span that starts or ends inside a word to the whole word ('##ing' pieces), a word joined
    to letters by a hyphen included ("Okafor-Lind", "seven-year-old"; not "2010-2012")."""
    while lo > 0:
        if text[lo - 1].isalnum() and text[lo].isalnum():
            lo -= 1
        elif lo > 1 and text[lo - 1] == "-" and text[lo - 2].isalpha() and text[lo].isalpha():
            lo -= 2
        else:
            break
    while hi < len(text):
        if text[hi].isalnum() and text[hi - 1].isalnum():
            hi += 1
        elif hi + 1 < len(text) and text[hi] == "-" and text[hi + 1].isalpha() and text[hi - 1].isalpha():
            hi += 2
        else:
            break
    return lo, hi


@lru_cache(maxsize=2)
def shipped_reader(folder: str = "") -> NeuralReader:
    """The reader in use, loaded once per process (about 0.2 s): the packaged model, or the reader folder
    `folder` (`NEWSQA_READER_MODEL`; `bench/train_reader.py --export` writes them), to measure a newly
    trained reader through the whole answer path before shipping it."""
    return NeuralReader(Path(folder).expanduser() if folder else MODEL_DIR)
