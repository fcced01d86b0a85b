"""The shipped int8 models compute the same integers on every x86 CPU: their weights fit in 7 bits
(bench/quantize.py says why; bench/cpu_independence.py measures it on an emulated AVX2-only CPU)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.quantize import WEIGHT_MAX, quantize, requantize, widest_weight
from retrieval import dense
from retrieval.reader import neural

# 255 (the largest uint8 activation) x w, two products summed into int16 by AVX2's vpmaddubsw.
SATURATION_FREE = 32767 // (2 * 255)


@pytest.mark.parametrize("model", [neural.MODEL_DIR / "reader.onnx", dense.MODEL_DIR / "embedder.onnx"], ids=["reader", "embedder"])
def test_the_shipped_models_weights_cannot_saturate_avx2s_int16_sums(model: Path) -> None:
    assert widest_weight(model) <= SATURATION_FREE == 64


def _tiny_model(path: Path) -> np.ndarray:
    """An fp32 ONNX model y = x @ W (W 64 x 16), saved to `path`; W."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = np.random.default_rng(7).normal(size=(64, 16)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"])], "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 16])],
        [numpy_helper.from_array(weights, "W")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return weights


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def test_requantising_8_bit_weights_to_7_bits_keeps_the_model(tmp_path: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    weights = _tiny_model(tmp_path / "fp32.onnx")
    quantize_dynamic(str(tmp_path / "fp32.onnx"), str(tmp_path / "int8.onnx"), weight_type=QuantType.QInt8, per_channel=True)
    assert widest_weight(tmp_path / "int8.onnx") == 127  # onnxruntime's default: 8-bit weights
    assert requantize(tmp_path / "int8.onnx", tmp_path / "int7.onnx") == 1
    assert widest_weight(tmp_path / "int7.onnx") == WEIGHT_MAX
    x = np.random.default_rng(8).normal(size=(32, 64)).astype(np.float32)
    exact = x @ weights
    error = np.abs(_run(tmp_path / "int7.onnx", x) - exact).max() / np.abs(exact).max()
    assert error < 0.05  # 7-bit weights and 8-bit activations: about 1% of the output's range


def test_the_export_path_quantises_to_7_bits(tmp_path: Path) -> None:
    _tiny_model(tmp_path / "fp32.onnx")
    quantize(tmp_path / "fp32.onnx", tmp_path / "int8.onnx")
    assert widest_weight(tmp_path / "int8.onnx") <= SATURATION_FREE
