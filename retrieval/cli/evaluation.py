"""`newsqa eval FILE`: its options, the run, and the report it prints.

Options are declared in `add_parser` and read in `run` only; a new one is one `add_argument` and
the line of `run` that uses it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.cli.commands import corpus_dir
from retrieval.cli.render import json_text, shorten
from retrieval.errors import UsageError

if TYPE_CHECKING:
    from retrieval.cli.parser import Parser
    from retrieval.evaluate import EvalReport, EvalSet, QuestionResult

EVAL_EPILOG = """Examples:
  newsqa eval ../shared/data/xquad/xquad.en.dev.json
  newsqa eval ../shared/qa/seed_dev.jsonl --corpus corpus --misses
  newsqa eval questions.jsonl --corpus ~/articles --json --limit 50
  newsqa eval ../shared/data/squadshifts/new_wiki.dev.json --closed --reader rules

FILE is a SQuAD v1.1/v2.0 JSON file (its paragraphs become the corpus, one article per title, and \
every question is asked against all of them; with --closed, each only against its own paragraph) \
or a JSONL file with one \
{"id", "question", "answers": [...], "answerable": true|false} per line, asked against --corpus.

Scores follow the SQuAD v1.1 rules; an unanswerable question scores 1 when newsqa abstains."""


def add_parser(sub: argparse._SubParsersAction, common: list[Parser]) -> None:
    """The `eval` sub-command and its options."""
    ev = sub.add_parser(
        "eval",
        parents=common,
        help="measure answer quality on a question set (SQuAD JSON or JSONL)",
        description="Ask every question of a question set and report exact match, F1, retrieval hit rates, "
        "latency, a breakdown by question type and a confidence calibration table.",
        epilog=EVAL_EPILOG,
    )
    ev.add_argument("file", metavar="FILE", type=Path, help="SQuAD .json or .jsonl question file")
    ev.add_argument("--json", action="store_true", help="print the report as one JSON object")
    ev.add_argument("--misses", action="store_true", help="also list the questions not answered exactly right")
    ev.add_argument("--limit", metavar="N", type=int, default=None, help="ask only the first N questions")
    ev.add_argument("--reader", choices=("neural", "rules", "both"), default=None, help="the span reader: neural, rules, or both (the model, unless the rules are clearly surer); default: NEWSQA_READER, else both")
    ev.add_argument("--closed", action="store_true", help="read each question against its own paragraph only (SQuAD files)")
    ev.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate and print the report (as JSON with --json), then the misses with --misses."""
    from retrieval.evaluate import JSONL, load_eval_file

    if args.limit is not None and args.limit < 1:
        raise UsageError(f"--limit must be at least 1, not {args.limit}")
    dataset = load_eval_file(args.file)
    if dataset.has_corpus and (args.corpus is not None or args.index_dir is not None):
        option = "--corpus" if args.corpus is not None else "--index-dir"
        raise UsageError(f"{args.file} is a SQuAD file and brings its own paragraphs: drop {option}")
    if args.closed and dataset.format == JSONL:
        raise UsageError(f"--closed needs each question's own paragraph: {args.file} is JSONL; use a SQuAD file")
    report = _evaluate(dataset, None if dataset.has_corpus else corpus_dir(args), args)
    for skipped in report.skipped:
        print(f"newsqa: skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    if args.json:
        data = report.model_dump(mode="json", exclude={"results"})
        if args.misses:
            data["misses"] = [m.model_dump(mode="json") for m in report.misses()]
        print(json_text(data))
        return 0
    print(render_report(report))
    if args.misses:
        misses = report.misses()
        print(f"\nMisses ({len(misses)} of {report.questions} not exactly right):")
        for result in misses:
            print(render_miss(result))
    return 0


def _evaluate(dataset: EvalSet, corpus: Path | None, args: argparse.Namespace) -> EvalReport:
    """The report: over an index built in memory, or over the saved one in --index-dir."""
    from retrieval.engine import Engine
    from retrieval.evaluate import run_evaluation

    from retrieval.settings import load_engine_settings

    settings = load_engine_settings()
    saved = None
    if args.index_dir is not None and corpus is not None:
        saved = lambda: Engine.open(corpus, args.index_dir, settings=settings).index  # noqa: E731
    return run_evaluation(dataset, corpus, args.limit, reader=args.reader, closed=args.closed, open_index=saved, settings=settings)


def _num(value: float | None, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.1f}{suffix}"


def render_report(report: EvalReport) -> str:
    """The evaluation summary for a person: scores, retrieval, latency, types, calibration, misses."""
    lines = [
        f"{report.file} ({report.format}): {report.questions} questions against "
        + ("each one's own paragraph" if report.closed else report.corpus)
        + f" ({report.passages} passages in {report.articles} articles), reader: {report.reader}",
        "",
        f"{'':<14}{'questions':>10}{'EM':>8}{'F1':>8}",
    ]
    for name, split in (("all", report.overall), ("answerable", report.answerable), ("unanswerable", report.unanswerable)):
        lines.append(f"{name:<14}{split.questions:>10}{_num(split.exact_match):>8}{_num(split.f1):>8}")
    if report.always_answering is not None:
        split = report.always_answering
        lines.append(f"{'always answer':<14}{split.questions:>10}{_num(split.exact_match):>8}{_num(split.f1):>8}"
                     "  (the model's best span, never withheld: the SQuAD leaderboards' setting)")
    lines += [
        "",
        f"abstention accuracy               {_num(report.abstention_accuracy, '%')}"
        f"  (answered {_num(report.answered_answerable, '%')} of answerable,"
        f" abstained on {_num(report.abstained_unanswerable, '%')} of unanswerable)",
        f"top passage contains the answer   {_num(report.top1, '%')} (BM25 alone {_num(report.bm25_top1, '%')})",
        f"top 5 passages contain the answer {_num(report.top5, '%')} (BM25 alone {_num(report.bm25_top5, '%')})",
        f"quoted sentence contains it       {_num(report.sentence_contains, '%')}"
        f" ({_num(report.sentence_contains_answered, '%')} of answered questions)",
        f"answer's passage contains it      {_num(report.answer_passage_contains, '%')} (of answered questions)",
        f"latency per question              median {report.latency.median_ms:.1f} ms, p95 {report.latency.p95_ms:.1f} ms"
        f" (index built in {report.index_seconds:.2f} s)",
        "",
        "By question type:",
        f"  {'type':<15}{'questions':>10}{'EM':>8}{'F1':>8}{'top 1':>8}{'sentence':>10}",
    ]
    for row in report.by_type:
        lines.append(
            f"  {row.type:<15}{row.questions:>10}{row.exact_match:>8.1f}{row.f1:>8.1f}"
            f"{_num(row.top1, '%'):>8}{_num(row.sentence, '%'):>10}"
        )
    lines += [
        "",
        "Calibration (answer only at confidence >= threshold):",
        f"  {'threshold':<11}{'answered':>10}{'accuracy':>10}{'F1':>8}",
    ]
    for c in report.calibration:
        lines.append(f"  {c.threshold:<11.1f}{_num(c.answered, '%'):>10}{_num(c.accuracy, '%'):>10}{c.f1:>8.1f}")
    if report.miss_kinds:
        lines += ["", "Not exactly right, by where it went wrong:"]
        width = max(len(str(m.count)) for m in report.miss_kinds)
        lines += [f"  {m.count:>{width}}  {m.kind}" for m in report.miss_kinds]
    return "\n".join(lines)


def render_miss(result: QuestionResult) -> str:
    """One question the engine got wrong: what was asked, expected, answered, and where it went wrong."""
    gold = " | ".join(result.answers) if result.answers else "(no answer: unanswerable)"
    lines = [
        f"- [{result.id}] ({result.type}) {result.question}",
        f"    expected: {gold}",
    ]
    if result.predicted is None:
        lines.append(f"    answered: (nothing) {result.note or ''}".rstrip())
    else:
        lines.append(f"    answered: {result.predicted}  (F1 {result.f1:.2f}, confidence {result.confidence:.2f})")
        if result.sentence and result.sentence != result.predicted:
            lines.append(f"    sentence: {shorten(result.sentence, 300)}")
    where = f"    why: {result.miss}"
    if result.gold_passage_id is not None:
        rank = f"rank {result.gold_rank}" if result.gold_rank else "not in the top 5"
        where += f"; own paragraph {result.gold_passage_id}: {rank}; answered from {result.passage_id or '-'}"
    lines.append(where)
    return "\n".join(lines)
