"""Seconds per training step, fp32 against bfloat16 autocast, side by side in one run.

    python -m bench.train_step_speed [--work .train/reader] [--repeats 3]

One batch of 32 windows of 256 tokens (the training script's longest), forward and backward through
the reader `bench/train_reader.py` fine-tunes, alternating fp32 and bf16 so that both see the same
machine load. Prints the median seconds a step of each and their ratio; writes
bench/results/train_step_speed.json. Needs the `[train]` extra and the base weights in the work folder.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).with_name("results") / "train_step_speed.json"


def main() -> None:
    import torch

    from bench.train_reader import BASES, base_files, cpu_lacks_bf16, forward, make_model

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default=".train/reader")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(13)
    base = BASES["minilm"]
    model = make_model(base_files(Path(args.work), base), base)
    model.train()
    ids = torch.randint(1000, 20000, (32, 256))
    mask, types = torch.ones_like(ids), torch.zeros_like(ids)
    seconds: dict[str, list[float]] = {"fp32": [], "bf16": []}
    for _ in range(args.repeats):
        for name in seconds:
            started = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=name == "bf16"):
                starts, ends = forward(model, base, ids, mask, types)
            (starts.float().sum() + ends.float().sum()).backward()
            model.zero_grad()
            seconds[name].append(time.perf_counter() - started)
    med = {name: statistics.median(s) for name, s in seconds.items()}
    result = {
        "command": "python -m bench.train_step_speed",
        "machine": f"{platform.machine()}, {args.threads} threads, torch {torch.__version__}",
        "cpu": cpu_model(),
        "bf16_in_hardware": not cpu_lacks_bf16(),
        "batch": "32 x 256 tokens, forward and backward",
        "median_seconds": {k: round(v, 2) for k, v in med.items()},
        "runs": {k: [round(x, 2) for x in v] for k, v in seconds.items()},
        "fp32_over_bf16": round(med["fp32"] / med["bf16"], 2),
    }
    print(json.dumps(result, indent=1))
    # One entry per CPU model: the figures of other machines stay beside this one's.
    earlier = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    kept = [r for r in earlier if r.get("cpu") != result["cpu"]]
    RESULTS.write_text(json.dumps([*kept, result], indent=1) + "\n")


def cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "unknown"
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown")


if __name__ == "__main__":
    main()
