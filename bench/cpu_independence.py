"""Do the shipped models compute the same numbers on every x86 CPU? This one against an emulated AVX2-only CPU.

    apt-get install qemu-user      # Debian's user-mode emulator: qemu-x86_64
    python -m bench.cpu_independence [--previous COMMIT]

Runs the reader (start and end logits) and the dense encoder (passage vectors) over the seed articles'
passages with a few questions, here and under `qemu-x86_64 -cpu EPYC-Rome` (AVX2, no AVX-512, so
onnxruntime takes its AVX2 kernels), and prints the largest difference between the two runs for each
model; with `--previous`, also for the models as they were at that commit, side by side in one run.
Writes bench/results/cpu_independence.json. Why the numbers can differ: bench/quantize.py.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).with_name("results") / "cpu_independence.json"
FOLDERS = {"reader": "retrieval/reader/model", "embedder": "retrieval/dense_model"}
EMULATED = "EPYC-Rome"
QUESTIONS = ("How long did the February 2022 call last?", "who is bob woodward", "what did trump call the reports",
             "when was the last putin biden call")


def outputs(kind: str, folder: Path) -> np.ndarray:
    """Every number the model computes over the seed passages, flattened."""
    from retrieval.config import bundled_corpus
    from retrieval.engine import build_index

    texts = [p.text for p in build_index(bundled_corpus()).passages]
    if kind == "embedder":
        from retrieval.dense import Embedder

        return Embedder(folder, threads=1).embed(texts).ravel()
    from retrieval.reader.neural import NeuralReader

    reader = NeuralReader(folder, threads=1)
    windows = [reader.tokenizer.encode(t, add_special_tokens=False).ids[:200] for t in texts]
    parts = []
    for q in QUESTIONS:
        starts, ends = reader._logits(reader.tokenizer.encode(q, add_special_tokens=False).ids, windows)
        parts += [starts.ravel(), ends.ravel()]
    return np.concatenate(parts)


def worker(out: Path, models: list[str]) -> None:
    """Child process: `models` are KIND=FOLDER; their outputs go to `out` (.npz)."""
    arrays = {}
    for spec in models:
        kind, _, folder = spec.partition("=")
        arrays[spec] = outputs(kind, Path(folder))
    np.savez(out, **arrays)


def run(models: list[str], out: Path, emulate: bool) -> dict[str, np.ndarray]:
    prefix = ["qemu-x86_64", "-cpu", EMULATED] if emulate else []
    cmd = [*prefix, sys.executable, "-m", "bench.cpu_independence", "--worker", str(out), *models]
    subprocess.run(cmd, cwd=ROOT, check=True, stderr=subprocess.DEVNULL if emulate else None)
    with np.load(out) as data:
        return {k: data[k] for k in data.files}


def checkout(commit: str, work: Path) -> dict[str, Path]:
    """The model folders as they were at `commit`, written under `work`."""
    folders = {}
    for kind, folder in FOLDERS.items():
        dest = work / kind
        dest.mkdir(parents=True)
        names = subprocess.run(["git", "ls-tree", "--name-only", f"{commit}:{folder}"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.split()
        for name in names:
            blob = subprocess.run(["git", "show", f"{commit}:{folder}/{name}"], cwd=ROOT, check=True, capture_output=True).stdout
            (dest / name).write_bytes(blob)
        folders[kind] = dest
    return folders


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--previous", help="also measure the models of this commit")
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args, rest = ap.parse_known_args()
    if args.worker:
        worker(args.worker, rest)
        return
    if shutil.which("qemu-x86_64") is None:
        sys.exit("needs qemu-x86_64 (Debian: apt-get install qemu-user)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sets = {"now": {k: ROOT / f for k, f in FOLDERS.items()}}
        if args.previous:
            sets[args.previous] = checkout(args.previous, work / "previous")
        models = [f"{kind}={folder}" for folders in sets.values() for kind, folder in folders.items()]
        native = run(models, work / "native.npz", emulate=False)
        emulated = run(models, work / "emulated.npz", emulate=True)
    figures = {}
    for name, folders in sets.items():
        for kind, folder in folders.items():
            spec = f"{kind}={folder}"
            diff = np.abs(native[spec] - emulated[spec])
            figures[f"{kind} ({name})"] = {"max_abs_diff": float(diff.max()), "median_abs_diff": float(np.median(diff)),
                                           "largest_value": float(np.abs(native[spec]).max()), "numbers": int(diff.size)}
            print(f"{kind:9} ({name}): largest difference {diff.max():.6f} over {diff.size} numbers "
                  f"(largest value {np.abs(native[spec]).max():.2f})")
    result = {"command": "python -m bench.cpu_independence" + (f" --previous {args.previous}" if args.previous else ""),
              "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}; emulated: qemu-x86_64 -cpu {EMULATED}",
              "figures": figures}
    args.results.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
