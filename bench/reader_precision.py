"""fp32 against int8: the exported reader before and after quantisation, on the validation questions.

    python -m bench.reader_precision [--work .train/reader]

Reads every new-Wikipedia validation question against its own paragraph with both reader folders that
`bench/train_reader.py --export` wrote into the work folder (`fp32/`, `int8/`), and `--previous` (a
reader folder such as retrieval/reader/model, or an ONNX file read with the shipped tokenizer), with
the same windows and span search as newsqa, and prints EM / F1 and the median milliseconds per
question for each, side by side in one run. Writes bench/results/reader_precision.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.train_reader import SHARED, VALIDATION_EVERY, VALIDATION_FROM
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default=".train/reader", help="bench/train_reader.py's work folder")
    ap.add_argument("--previous", type=Path, help="also read with this reader folder or ONNX file (say, the shipped model), in the same run")
    ap.add_argument("--results", type=Path, default=RESULTS, help="where to write the figures")
    args = ap.parse_args()
    files = {name: Path(args.work) / name for name in ("fp32", "int8")}
    if args.previous:
        files["previous"] = args.previous
    data = load_eval_file(SHARED / "squadshifts" / "new_wiki.dev.json")
    val = {a.id for i, a in enumerate(data.articles) if i % VALIDATION_EVERY == VALIDATION_FROM}
    passages = {p.id: p for p in data.passages}
    questions = [q for q in data.questions if q.passage_id.rpartition("#")[0] in val]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, onnx in files.items():
            reader = reader_for(onnx, Path(tmp) / name)
            em = f1 = 0.0
            times = []
            for q in questions:
                text = passages[q.passage_id].text
                t0 = time.perf_counter()
                r = reader.read(q.question, [text])[0]
                times.append(1000 * (time.perf_counter() - t0))
                e, f = score_answer(text[r.start : r.end] if r else None, q.answers, True)
                em += e
                f1 += f
            n = len(questions)
            model = onnx / "reader.onnx" if onnx.is_dir() else onnx
            out[name] = {"em": round(100 * em / n, 1), "f1": round(100 * f1 / n, 1), "median_ms": round(statistics.median(times), 2),
                         "bytes": model.stat().st_size, "sha256": file_sha256(model)}
            print(f"{name}: EM {out[name]['em']} F1 {out[name]['f1']} median {out[name]['median_ms']} ms, {out[name]['bytes'] / 1e6:.1f} MB")
    args.results.write_text(json.dumps({"questions": len(questions), "setting": "closed, span always given", **out}, indent=1) + "\n")


if __name__ == "__main__":
    main()
