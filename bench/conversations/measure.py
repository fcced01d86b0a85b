"""Conversations: exact match and F1 on first turns and on follow-ups, conversational beside stateless.

    PYTHONHASHSEED=0 NEWSQA_READER=rules python -m bench.conversations.measure
    PYTHONHASHSEED=0 python -m bench.conversations.measure --reader both --json bench/conversations/both.json
    PYTHONHASHSEED=0 NEWSQA_READER=rules python -m bench.conversations.measure --lowercase   # typed as chat often is
    PYTHONHASHSEED=0 python -m bench.conversations.measure bench/people/dev/conversations.jsonl \
        --json bench/conversations/people/dev.json > bench/conversations/people/dev.md    # people's words (and test/)

Each line of `conversations.jsonl` is one conversation over one corpus (`seeds`: the bundled
corpus/, `news`: bench/news/corpus, `mine`: bench/conversations/corpus) with 3-5 turns; each turn
has its `question`, gold `answers` and, where the question leans on the conversation, the
`standalone` question a person would have asked instead. Three ways of answering are scored:

- conversational: `Conversation.ask`, which rewrites each follow-up and answers the rewrite, read against
  the story the conversation is about (`--no-topic`: against the whole corpus, as before topics);
- stateless: every question answered as it stands (the engine before conversations);
- gold standalone: the `standalone` question answered (what a perfect rewrite would reach with this reader).

`bench/people/{dev,test}/conversations.jsonl` (corpora `dev` and `test`) also mark turns the articles
cannot answer (`"answerable": false`: abstaining scores 1) and first questions with nothing to refer to
(`"no_referent": true`), each reported as a group of its own.

First turns must come out the same conversational and stateless (a question with nothing to refer to
aside): the script says if any does not.
The follow-up's extra time is the rewrite and the bookkeeping of a turn (`resolve` + `record`),
the answering itself left out, timed over `--repeat` runs of every follow-up.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CORPORA = {
    "seeds": REPO / "corpus", "news": REPO / "bench" / "news" / "corpus", "mine": HERE / "corpus",
    # bench/people: conversations in people's words, written by helpers who did not read the code
    "dev": REPO / "bench" / "people" / "dev" / "corpus", "test": REPO / "bench" / "people" / "test" / "corpus",
}


@dataclass
class Scores:
    em: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)

    def add(self, em: float, f1: float) -> None:
        self.em.append(em)
        self.f1.append(f1)

    def row(self) -> dict[str, float | int | None]:
        n = len(self.em)
        return {
            "n": n,
            "em": round(100 * sum(self.em) / n, 1) if n else None,
            "f1": round(100 * sum(self.f1) / n, 1) if n else None,
        }


def _normal(question: str) -> str:
    return " ".join(question.lower().replace("’", "'").rstrip(" ?").split())


def measure(path: Path, reader: str | None, repeat: int, lowercase: bool = False, topic: bool = True) -> dict:
    from retrieval.answer import choose_reader, reader_name
    from retrieval.conversation import Conversation
    from retrieval.engine import Engine
    from retrieval.evaluate import score_answer

    if reader:
        os.environ["NEWSQA_READER"] = reader
    used = "rules" if choose_reader(None, "Who is the Kremlin spokesman?") is None else reader_name(None)
    conversations = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    engines = {name: Engine.open(folder) for name, folder in CORPORA.items() if any(c["corpus"] == name for c in conversations)}
    if lowercase:  # as people type in chat: "what did he call the reports?"
        for conv in conversations:
            for turn in conv["turns"]:
                turn["question"] = turn["question"].lower()
                if "standalone" in turn:
                    turn["standalone"] = turn["standalone"].lower()
    # (group, corpus) -> Scores; group: first / follow-up / follow-up needing context
    table: dict[tuple[str, str, str], Scores] = {}
    first_differs: list[str] = []
    rewrites: list[dict] = []
    extra_ms: list[float] = []

    def score(mode: str, group: str, corpus: str, prediction: str | None, golds: list[str], answerable: bool = True) -> tuple[float, float]:
        em, f1 = score_answer(prediction, golds, answerable)
        for c in (corpus, "all"):
            table.setdefault((mode, group, c), Scores()).add(em, f1)
        return em, f1

    for conv in conversations:
        engine = engines[conv["corpus"]]
        conversation = Conversation()
        for n, turn in enumerate(conv["turns"]):
            question, golds, answerable = turn["question"], turn["answers"], turn.get("answerable", True)
            groups = ["first"] if n == 0 else ["follow-up"] + (["needs context"] if "standalone" in turn else ["self-contained"])
            if not answerable:
                groups.append("no answer")
            if turn.get("no_referent"):
                groups.append("nothing to refer to")
            chat = conversation.ask(engine.ask if topic else (lambda q, _focus=(), e=engine: e.ask(q)), question)
            plain = engine.ask(question)
            gold_q = turn.get("standalone", question)
            oracle = plain if gold_q == question else engine.ask(gold_q)
            for group in groups:
                em_c, _ = score("conversational", group, conv["corpus"], chat.answer, golds, answerable)
                em_s, _ = score("stateless", group, conv["corpus"], plain.answer, golds, answerable)
                score("gold standalone", group, conv["corpus"], oracle.answer, golds, answerable)
            if n == 0 and not turn.get("no_referent") and (chat.answer, chat.sentence, chat.citations) != (plain.answer, plain.sentence, plain.citations):
                first_differs.append(conv["id"])
            if n > 0:
                rewrites.append({
                    "id": f"{conv['id']}.{n + 1}", "question": question, "read_as": chat.resolved_question,
                    "standalone": gold_q, "rewrite_matches": _normal(chat.resolved_question) == _normal(gold_q),
                    "answer": chat.answer, "stateless_answer": plain.answer, "golds": golds, "em": em_c, "stateless_em": em_s,
                })
                before = conversation.turns[:-1]
                for _ in range(repeat):
                    timed = Conversation(before)
                    start = time.perf_counter()
                    resolved = timed.resolve(question)
                    timed.record(question, resolved, chat.answer)
                    extra_ms.append(1000 * (time.perf_counter() - start))
    rows = [
        {"mode": mode, "turns": group, "corpus": corpus, **scores.row()}
        for (mode, group, corpus), scores in sorted(table.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0]))
    ]
    needing = [r for r in rewrites if r["standalone"] != r["question"]]
    return {
        "reader": used,
        "lowercase": lowercase,
        "conversations": len(conversations),
        "turns": sum(len(c["turns"]) for c in conversations),
        "rows": rows,
        "first_turns_identical": not first_differs,
        "first_turns_differing": first_differs,
        "rewrites_matching_gold": sum(r["rewrite_matches"] for r in needing),
        "rewrites_needed": len(needing),
        "self_contained_follow_ups_unchanged": sum(
            r["read_as"] == r["question"] for r in rewrites if r["standalone"] == r["question"]),
        "self_contained_follow_ups": len(rewrites) - len(needing),
        "extra_ms_median": round(statistics.median(extra_ms), 3) if extra_ms else None,
        "extra_ms_p95": round(sorted(extra_ms)[int(0.95 * (len(extra_ms) - 1))], 3) if extra_ms else None,
        "follow_ups": rewrites,
    }


def render(result: dict) -> str:
    """The report as Markdown tables."""
    lines = [
        f"reader: {result['reader']}; {result['conversations']} conversations, {result['turns']} turns"
        + ("; every question typed in lower case" if result.get("lowercase") else ""),
        "",
        "| turns | corpus | n | conversational EM / F1 | stateless EM / F1 | gold standalone EM / F1 |",
        "|---|---|---|---|---|---|",
    ]
    by_key: dict[tuple[str, str], dict[str, dict]] = {}
    for row in result["rows"]:
        by_key.setdefault((row["turns"], row["corpus"]), {})[row["mode"]] = row
    order = {"first": 0, "follow-up": 1, "needs context": 2, "self-contained": 3, "no answer": 4, "nothing to refer to": 5}
    corpus_order = {"all": 0, "seeds": 1, "news": 2, "mine": 3, "dev": 4, "test": 5}
    for (group, corpus), modes in sorted(by_key.items(), key=lambda kv: (order[kv[0][0]], corpus_order[kv[0][1]])):
        cells = [f"{modes[m]['em']:.1f} / {modes[m]['f1']:.1f}" for m in ("conversational", "stateless", "gold standalone")]
        lines.append(f"| {group} | {corpus} | {modes['conversational']['n']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"- first turns answered identically with and without the conversation: {result['first_turns_identical']}"
        + (f" (differing: {', '.join(result['first_turns_differing'])})" if result["first_turns_differing"] else ""),
        f"- follow-ups that need context rewritten exactly as the gold standalone question (case and final '?' aside): "
        f"{result['rewrites_matching_gold']} of {result['rewrites_needed']}",
        f"- self-contained follow-ups left as they were: {result['self_contained_follow_ups_unchanged']} of "
        f"{result['self_contained_follow_ups']}",
        f"- a follow-up's extra time (rewrite + turn bookkeeping): median {result['extra_ms_median']} ms, "
        f"p95 {result['extra_ms_p95']} ms",
        "",
        "| turn | asked | read as | answer | EM | stateless answer | EM |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["follow_ups"]:
        read_as = "(unchanged)" if r["read_as"] == r["question"] else r["read_as"]
        answer = (r["answer"] or "—")[:60].replace("|", "/")
        plain = (r["stateless_answer"] or "—")[:60].replace("|", "/")
        lines.append(f"| {r['id']} | {r['question']} | {read_as} | {answer} | {r['em']:.0f} | {plain} | {r['stateless_em']:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", type=Path, default=HERE / "conversations.jsonl")
    parser.add_argument("--reader", choices=("neural", "rules", "both"), default=None, help="default: $NEWSQA_READER, else both")
    parser.add_argument("--repeat", type=int, default=20, help="timing runs of every follow-up's rewrite (default: 20)")
    parser.add_argument("--lowercase", action="store_true", help="ask every question in lower case, as chat often is")
    parser.add_argument("--no-topic", action="store_true", help="follow-ups rewritten but read against the whole corpus (before topics)")
    parser.add_argument("--json", type=Path, default=None, help="also write the full result to this file")
    args = parser.parse_args(argv)
    result = measure(args.file, args.reader, args.repeat, args.lowercase, not args.no_topic)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
