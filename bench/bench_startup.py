"""How long `newsqa ask` takes from a cold process to a printed answer over the bundled corpus.

Usage: python bench/bench_startup.py [--runs 15]
Prints the median and 95th percentile wall time of the whole command (interpreter start-up,
imports, reading and indexing the corpus, answering), and of `python -c pass` for comparison.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTION = "when was the last Putin–Biden call?"


def timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - started


def summarize(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(samples) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    commands = {
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
        "newsqa ask (seed corpus)": [sys.executable, "-m", "retrieval.cli", "ask", QUESTION],
        "newsqa ask --json": [sys.executable, "-m", "retrieval.cli", "ask", "--json", QUESTION],
    }
    print(f"python {platform.python_version()} on {platform.machine()}, {args.runs} runs each, interleaved")
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():  # interleaved so that machine noise hits all alike
            samples[name].append(timed(cmd))
    for name, values in samples.items():
        print(f"{name:28s} {summarize(values)}")
    floor = statistics.median(samples["python -c pass (floor)"])
    ask = statistics.median(samples["newsqa ask (seed corpus)"])
    print(f"newsqa ask / interpreter floor: {ask / floor:.1f}x")


if __name__ == "__main__":
    main()
