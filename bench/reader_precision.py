"""Readers side by side with the gold paragraph given: an exported reader's fp32 and int8, and others.

    python -m bench.reader_precision [--work .train/reader] [--previous retrieval/reader/model] [--only int8]

Reads every new-Wikipedia validation question and every XQuAD question against its own paragraph
with the reader folders that `bench/train_reader.py --export` wrote into the work folder (`fp32/`,
`int8/`), and `--previous` (a reader folder such as retrieval/reader/model, or an ONNX file read with
the shipped tokenizer), with the same windows and span search as newsqa, a span always given (the
SQuAD leaderboards' setting), and prints EM / F1 and the median milliseconds per question for each,
side by side in one run. Writes bench/results/reader_precision.json (or `--results`).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.train_reader import SHARED, VALIDATION_EVERY, VALIDATION_FROM
from bench.train_step_speed import cpu_model
from retrieval.evaluate import load_eval_file, score_answer
from retrieval.reader.neural import MODEL_DIR, NeuralReader, file_sha256

RESULTS = Path(__file__).with_name("results") / "reader_precision.json"


def reader_for(onnx: Path, folder: Path) -> NeuralReader:
    """A reader over `onnx` (an ONNX file with the shipped tokenizer and window settings, or a reader folder)."""
    if onnx.is_dir():
        return NeuralReader(onnx)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((MODEL_DIR / "MANIFEST.json").read_text(encoding="utf-8"))
    shutil.copy(onnx, folder / "reader.onnx")
    shutil.copy(MODEL_DIR / "tokenizer.json", folder / "tokenizer.json")
    manifest["model_sha256"] = file_sha256(folder / "reader.onnx")
    (folder / "MANIFEST.json").write_text(json.dumps(manifest))
    return NeuralReader(folder)


def question_sets() -> dict[str, list[tuple[str, str, list[str]]]]:
    """(question, gold paragraph, answers) of the validation articles and of XQuAD."""
    wiki = load_eval_file(SHARED / "squadshifts" / "new_wiki.dev.json")
    val = {a.id for i, a in enumerate(wiki.articles) if i % VALIDATION_EVERY == VALIDATION_FROM}
    xquad = load_eval_file(SHARED / "xquad" / "xquad.en.dev.json")
    sets = {}
    for name, data, keep in (("new_wiki_validation", wiki, val), ("xquad", xquad, None)):
        passages = {p.id: p.text for p in data.passages}
        sets[name] = [(q.question, passages[q.passage_id], q.answers) for q in data.questions
                      if keep is None or q.passage_id.rpartition("#")[0] in keep]
    return sets


def measure(reader: NeuralReader, questions: list[tuple[str, str, list[str]]]) -> dict:
    em = f1 = 0.0
    times = []
    for question, text, answers in questions:
        t0 = time.perf_counter()
        r = reader.read(question, [text])[0]
        times.append(1000 * (time.perf_counter() - t0))
        e, f = score_answer(text[r.start : r.end] if r else None, answers, True)
        em += e
        f1 += f
    n = len(questions)
    return {"questions": n, "em": round(100 * em / n, 1), "f1": round(100 * f1 / n, 1), "median_ms": round(statistics.median(times), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default=".train/reader", help="bench/train_reader.py's work folder")
    ap.add_argument("--previous", type=Path, help="also read with this reader folder or ONNX file (say, the shipped model), in the same run")
    ap.add_argument("--only", choices=("fp32", "int8"), help="read with this one of the work folder's two only")
    ap.add_argument("--results", type=Path, default=RESULTS, help="where to write the figures")
    ap.add_argument("--limit", type=int, help="the first N questions of each set only (a smoke run)")
    args = ap.parse_args()
    files = {name: Path(args.work) / name for name in ("fp32", "int8") if args.only in (None, name)}
    if args.previous:
        files["previous"] = args.previous
    sets = question_sets()
    out = {"setting": "closed (the gold paragraph), a span always given",
           "machine": f"{platform.machine()}, {cpu_model()}, onnxruntime on 2 threads",
           "command": "python -m bench.reader_precision " + " ".join(sys.argv[1:])}
    with tempfile.TemporaryDirectory() as tmp:
        for name, onnx in files.items():
            reader = reader_for(onnx, Path(tmp) / name)
            model = onnx / "reader.onnx" if onnx.is_dir() else onnx
            out[name] = {"path": str(onnx), "bytes": model.stat().st_size, "sha256": file_sha256(model)}
            for set_name, questions in sets.items():
                out[name][set_name] = row = measure(reader, questions[: args.limit])
                print(f"{name} on {set_name}: EM {row['em']} F1 {row['f1']} median {row['median_ms']} ms, {model.stat().st_size / 1e6:.1f} MB",
                      flush=True)
    args.results.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
