"""int8 weights whose answers do not depend on the CPU.

    python -m bench.quantize retrieval/reader/model     # requantise an int8 model folder's weights to 7 bits, in place

onnxruntime's dynamic int8 (`MatMulInteger`, uint8 activations times int8 weights) runs on AVX2 and on
AVX-512 without VNNI with `vpmaddubsw`, which adds two uint8 x int8 products into a saturating int16:
255 x 127 x 2 = 64,770 overflows 32,767, so those CPUs compute other logits than a VNNI CPU, whose
`vpdpbusd` adds into int32 (up to 1.07 logits apart on the seed passages; close calls between answers then
differ by machine). Weights of at most 7 bits (|w| <= 64: 255 x 64 x 2 = 32,640) cannot saturate, so
every x86 kernel computes the same integers. That is onnxruntime's `reduce_range`. `quantize` is the export
path from fp32; `requantize` rewrites an int8 model already quantised with 8-bit weights (the shipped
reader, whose fp32 weights were not kept), refitting each column's scale to its largest weight.
`bench/cpu_independence.py` measures the result on an emulated AVX2-only CPU.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

PRECISION = "int8, 7-bit weights"  # what MANIFEST.json says of such a model
WEIGHT_MAX = 63  # |w| <= 63: 7 bits, as onnxruntime's reduce_range (whose |w| <= 64 is also safe)


def quantize(fp32: Path, int8: Path) -> None:
    """Dynamic int8 quantisation with per-channel scales (per-tensor lost 5 F1, docs/training.md) and 7-bit weights."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)


def requantize(src: Path, dst: Path) -> int:
    """Rewrite every `MatMulInteger` weight of `src` (int8, symmetric, per-column scales) in 7 bits into `dst`;
    the number of weights rewritten."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(src))
    inits = {i.name: i for i in model.graph.initializer}
    done: set[str] = set()
    for node in model.graph.node:
        if node.op_type != "MatMulInteger" or node.input[1] in done:
            continue
        name = node.input[1]
        base = name.removesuffix("_quantized")
        weights = numpy_helper.to_array(inits[name]).astype(np.float64)
        scale = numpy_helper.to_array(inits[base + "_scale"]).astype(np.float64)
        if numpy_helper.to_array(inits[base + "_zero_point"]).any():
            sys.exit(f"{src}: {name} has a non-zero zero point; only symmetric int8 weights are rewritten")
        real = weights * scale  # scales are per column (the last axis)
        largest = np.abs(real).max(axis=0)
        scale7 = np.where(largest > 0, largest / WEIGHT_MAX, scale)
        weights7 = np.clip(np.round(real / scale7), -WEIGHT_MAX, WEIGHT_MAX).astype(np.int8)
        inits[name].CopyFrom(numpy_helper.from_array(weights7, name))
        inits[base + "_scale"].CopyFrom(numpy_helper.from_array(scale7.astype(np.float32), base + "_scale"))
        done.add(name)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))
    return len(done)


def widest_weight(onnx_path: Path) -> int:
    """The largest |w| over the model's `MatMulInteger` weights (at most `WEIGHT_MAX` once requantised)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(onnx_path))
    inits = {i.name: i for i in model.graph.initializer}
    weights = {n.input[1] for n in model.graph.node if n.op_type == "MatMulInteger"}
    return max(int(np.abs(numpy_helper.to_array(inits[w]).astype(np.int16)).max()) for w in weights)


def main() -> None:
    from retrieval.reader.neural import file_sha256

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path, help="a model folder (MANIFEST.json and its int8 ONNX model), rewritten in place")
    args = ap.parse_args()
    manifest_path = args.folder / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    model = args.folder / manifest["model"]
    if file_sha256(model) != manifest["model_sha256"]:
        sys.exit(f"{model} does not match its MANIFEST.json; not rewritten")
    n = requantize(model, model)
    manifest["model_sha256"] = file_sha256(model)
    manifest["precision"] = PRECISION
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{model}: {n} weights requantised to 7 bits (largest |w| {widest_weight(model)})")


if __name__ == "__main__":
    main()
