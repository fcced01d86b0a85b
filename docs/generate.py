"""What the docs generate instead of typing again: cog (PyPI `cogapp`) calls these from the Markdown.

    cog -r -I docs README.md docs/*.md         # rewrite the generated parts
    cog --check -I docs README.md docs/*.md    # fail when they are stale (.ci/run, tests/test_docs.py)

The command reference comes from the argparse parser, the settings table from `.env.example` (each key
with its comment) and the bot's settings model, the quality table from `bench/results/reader.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HELP_COLUMNS = "100"  # argparse wraps help to $COLUMNS; the docs are generated at one fixed width


def out(text: str) -> None:
    """Write into the cog block being generated (print outside cog, for trying a function by hand)."""
    try:
        import cog

        cog.out(text)
    except (ImportError, AttributeError):
        print(text, end="")


@contextmanager
def _columns(width: str):  # noqa: ANN202 - a context manager
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = width
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """`newsqa`'s sub-commands by name, in the order the parser defines them."""
    from retrieval.cli.parser import build_parser

    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def command_reference() -> None:
    """One section per command: its one-line summary and its `--help`, as the parser prints it."""
    from retrieval.cli.parser import build_parser

    with _columns(HELP_COLUMNS):
        summaries = {}
        action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
        for choice in action._choices_actions:
            summaries[choice.dest] = choice.help
        for name, parser in subcommands().items():
            out(f"\n## newsqa {name}\n\n{summaries.get(name, '')[:1].upper()}{summaries.get(name, '')[1:]}.\n\n")
            out("```text\n" + parser.format_help().rstrip() + "\n```\n")


def env_example(path: Path = REPO / ".env.example") -> list[tuple[str, str, str, str]]:
    """Each key of `.env.example`: (section, key, example value, the comment above it)."""
    rows: list[tuple[str, str, str, str]] = []
    section, comment = "", []
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"#\s*---\s*(.+?)\s*-*$", line):
            section, comment = m.group(1), []
        elif m := re.match(r"#?\s*([A-Z][A-Z0-9_]+)=(.*)$", line):
            rows.append((section, m.group(1), m.group(2).strip(), " ".join(comment)))
            comment = []
        elif line.startswith("#"):
            comment.append(line.lstrip("# ").strip())
        else:
            comment = []
    return rows


def _bot_defaults() -> dict[str, str]:
    """The settings' defaults and limits, by environment variable, from the bot's and the engine's settings models."""
    from bot.settings import BotSettings, env_name
    from retrieval.settings import EngineSettings

    shown: dict[str, str] = {}
    fields = [*BotSettings.model_fields.items(), *EngineSettings.model_fields.items()]
    for field, info in fields:
        default = info.default
        if field == "corpus_dir":
            text = "the bundled corpus"
        elif default is None or default in ((), frozenset()):
            text = "unset"
        elif isinstance(default, bool):
            text = f"`{str(default).lower()}`"
        elif isinstance(default, float) and default.is_integer():
            text = f"`{int(default)}`"
        else:
            text = f"`{default}`"
        limits = [f"{op} {getattr(m, attr)}" for m in info.metadata for attr, op in (("ge", "≥"), ("le", "≤"))
                  if getattr(m, attr, None) is not None]
        shown[env_name(field)] = text + (f" ({', '.join(limits)})" if limits else "")
    return shown


def settings_table() -> None:
    """Every setting: variable, default, what it does; grouped as `.env.example` groups them. The bot's
    defaults and limits come from the settings models (`BotSettings`, `EngineSettings`)."""
    defaults = _bot_defaults()
    section = None
    for where, key, example, comment in env_example():
        if where != section:
            section = where
            out(f"\n**{where}**\n\n| Variable | Default | What it does |\n|---|---|---|\n")
        meaning = comment.replace("|", "\\|") + (f" (e.g. `{example}`)" if example else "")
        out(f"| `{key}` | {defaults.get(key, '—')} | {meaning} |\n")


def reader_results(path: Path = REPO / "bench" / "results" / "reader.json") -> None:
    """Answer quality of the three readers, per question set, from the committed benchmark results."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out("| question set | setting | neural | rules | both (the default) |\n|---|---|---|---|---|\n")
    for run in data["runs"]:
        cells = []
        for reader in ("neural", "rules", "both"):
            figures = run.get(reader) or {}
            if figures.get("em") is not None:
                cells.append(f"{figures['em']:.1f} / {figures['f1']:.1f}")
            elif figures.get("unanswerable_abstained") is not None:
                cells.append(f"{figures['unanswerable_abstained']:.1f}% abstained")
            else:
                cells.append("")
        out(f"| {run['set']} | {run['setting']} | " + " | ".join(cells) + " |\n")


def confidence_levels(path: Path = REPO / "bench" / "results" / "decision.json") -> None:
    """The confidence levels front ends show and how often held-out answers at each were right."""
    calibrated = json.loads(path.read_text(encoding="utf-8"))["calibration_held_out"]
    levels = calibrated["levels"]
    shipped = json.loads((REPO / "retrieval" / "reader" / "decision.json").read_text(encoding="utf-8"))["levels"]
    if shipped != levels:
        raise SystemExit(f"retrieval/reader/decision.json's levels {shipped} are not {path}'s {levels}: run bench/fit_decision.py --write")

    def share(part: dict) -> str:
        return f"{part['right']:.0f}% of {part['answers']}" if part["right"] is not None else "none"

    out("| confidence | shown | right, held out |\n|---|---|---|\n")
    out(f"| {levels['confident']:.2f} or more | green, `confidence 0.86` | {share(calibrated['right_at_confident_or_more'])} |\n")
    out(f"| {levels['low']:.2f} to {levels['confident']:.2f} | amber, `confidence 0.55` | {share(calibrated['right_between'])} |\n")
    out(f"| under {levels['low']:.2f} | amber, `low confidence 0.32` | {share(calibrated['right_under_low'])} |\n")
