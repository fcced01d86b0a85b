"""Answers in people's words, side by side: writes the top section of bench/READER.md and bench/results/quality_report.json.

    PYTHONHASHSEED=0 python -m bench.quality_report --before ../before [--reader-model .train/people/int8]

Each column is `newsqa eval --json` run in its own process over the same question sets: a checkout of
the code before (`--before`: a git worktree of the commit to compare with), and this checkout, with the
packaged reader and, where given, another reader folder (`--reader-model`). The sets:

- `bench/people/dev` and `bench/people/test`: questions in people's own words (synonyms, lower case,
  typos, yes/no, why, questions the articles cannot answer), written by a writer who did not read the
  code. **test is held out**: nothing was tuned or chosen on it.
- the fresh news and seed questions (`bench/news_fresh`, `bench/seeds_fresh`), bench/news and the seed
  questions (written next to the code);
- SQuAD's even articles kept out of the reader's training: v1.1 questions open and closed (closed also
  scored always answering: the leaderboards' setting), and v2.0's questions with the unanswerable ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

from bench.train_reader import SHARED, even_validation_titles, load_squad

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "READER.md"
RESULTS = REPO / "bench" / "results" / "quality_report.json"
WORK = REPO / ".train" / "eval"
START, END = "<!-- quality_report:start -->", "<!-- quality_report:end -->"


def squad_subsets() -> dict[str, Path]:
    """The held-out SQuAD even articles as files `newsqa eval` reads."""
    WORK.mkdir(parents=True, exist_ok=True)
    held = even_validation_titles()
    out = {}
    for name, file in (("v1.1", "squad-dev-v1.1-even-articles.json"), ("v2.0", "squad-dev-v2.0-even-articles.json")):
        data = [a for a in load_squad(SHARED / "squad_dev_even" / file) if a["title"] in held]
        path = WORK / f"squad-even-validation-{name}.json"
        path.write_text(json.dumps({"version": name, "data": data}))
        out[name] = path
    return out


def question_sets() -> list[tuple[str, list[str]]]:
    """(name, the arguments of `newsqa eval`) for every set."""
    squad = squad_subsets()
    bench = REPO / "bench"
    return [
        ("people dev (136)", [str(bench / "people/dev/questions.jsonl"), "--corpus", str(bench / "people/dev/corpus")]),
        ("people test, held out (82)", [str(bench / "people/test/questions.jsonl"), "--corpus", str(bench / "people/test/corpus")]),
        ("fresh news (25)", [str(bench / "news_fresh/questions.jsonl"), "--corpus", str(bench / "news_fresh/corpus")]),
        ("fresh seeds", [str(bench / "seeds_fresh/questions.jsonl"), "--corpus", str(REPO / "corpus")]),
        ("bench/news", [str(bench / "news/news_dev.jsonl"), "--corpus", str(bench / "news/corpus")]),
        ("seed_dev", [str(SHARED.parent / "qa" / "seed_dev.jsonl"), "--corpus", str(REPO / "corpus")]),
        ("SQuAD even, held-out articles, open (first 400)", [str(squad["v1.1"]), "--limit", "400"]),
        ("SQuAD even, held-out articles, closed (first 400)", [str(squad["v1.1"]), "--closed", "--limit", "400"]),
        ("SQuAD 2.0 even, held-out articles, unanswerable too, open (first 400)", [str(squad["v2.0"]), "--limit", "400"]),
    ]


def run_eval(checkout: Path, args: list[str], reader_model: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env["PYTHONHASHSEED"] = "0"
    env["XDG_CACHE_HOME"] = str(WORK / "cache")
    if reader_model:
        env["NEWSQA_READER_MODEL"] = str(Path(reader_model).resolve())
    done = subprocess.run([sys.executable, "-m", "retrieval.cli", "eval", *args, "--json"], cwd=checkout, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def summary(report: dict) -> dict:
    at = next((c for c in report.get("calibration", []) if abs(c["threshold"] - 0.7) < 1e-9), None)
    always = report.get("always_answering") or {}
    return {
        "answerable": report["answerable"]["questions"],
        "unanswerable": report["unanswerable"]["questions"],
        "em": report["answerable"]["exact_match"],
        "f1": report["answerable"]["f1"],
        "refused": None if report["answered_answerable"] is None else round(100 - report["answered_answerable"], 1),
        "abstained": report["abstained_unanswerable"],
        "answered_at_0.7": at and at["answered"],
        "right_at_0.7": at and at["accuracy"],
        "always_f1": always.get("f1"),
        "median_ms": report["latency"]["median_ms"],
    }


def fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def render(columns: list[str], rows: list[dict], meta: str) -> str:
    lines = [START, "# Answers in people's words", "", meta, "",
             "EM / F1 over the answerable questions (an abstention scores 0); *refused*: answerable questions given no answer; "
             "*abstained*: unanswerable questions given no answer; *right ≥ 0.7*: share of the answers given at confidence 0.7 "
             "or more that are right (EM 1 or F1 ≥ 0.5), with the share of questions answered that sure; ms: median per question.", ""]
    for col in columns:
        lines += [f"**{col}**", "", "| set | EM / F1 | refused | abstained | right ≥ 0.7 (answered) | closed, always answering F1 | ms |",
                  "|---|---|---|---|---|---|---|"]
        for r in rows:
            s = r[col]
            lines.append(f"| {r['set']} | {fmt(s['em'])} / {fmt(s['f1'])} | {fmt(s['refused'])} | {fmt(s['abstained'])} "
                         f"| {fmt(s['right_at_0.7'])} ({fmt(s['answered_at_0.7'])}) | {fmt(s['always_f1'])} | {fmt(s['median_ms'])} |")
        lines.append("")
    lines.append("Latency depends on what else the machine is doing: compare it only within one run.")
    lines.append(END)
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", type=Path, help="a checkout of the code to compare with (git worktree add ../before COMMIT)")
    ap.add_argument("--reader-model", help="a reader folder to answer with as well, beside the packaged one")
    args = ap.parse_args()
    columns: list[tuple[str, Path, str | None]] = []
    if args.before:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=args.before, capture_output=True, text=True).stdout.strip()
        columns.append((f"before ({sha})", args.before, None))
    columns.append(("now, packaged reader", REPO, None))
    if args.reader_model:
        columns.append((f"now, reader {args.reader_model}", REPO, args.reader_model))
    rows = []
    for name, eval_args in question_sets():
        row = {"set": name}
        for col, checkout, model in columns:
            row[col] = summary(run_eval(checkout, eval_args, model))
            print(f"{name} / {col}: {row[col]}", file=sys.stderr, flush=True)
        rows.append(row)
    meta = (f"Written by `PYTHONHASHSEED=0 python -m bench.quality_report{' --before ' + str(args.before) if args.before else ''}"
            f"{' --reader-model ' + args.reader_model if args.reader_model else ''}` on {dt.date.today().isoformat()} "
            f"({platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}); every column in this one run.")
    RESULTS.write_text(json.dumps({"command": meta, "columns": [c for c, _, _ in columns], "rows": rows}, indent=1) + "\n")
    text = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
    section = render([c for c, _, _ in columns], rows, meta)
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END) + "\n", lambda _: section, text, flags=re.S)
    else:
        text = section + "\n" + text
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} and {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
