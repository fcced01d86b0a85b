"""Synthetic news articles for benchmarks and tests: varied words, dates and numbers, deterministic."""

from __future__ import annotations

import random
from pathlib import Path

_TOWNS = "Ashford Brampton Carlow Dunmore Elmsby Fairhaven Glenrock Harwich Ivybridge Kelso Larkfield Merton".split()
_THINGS = "bridge library ferry stadium hospital school tramline reservoir museum airport harbour market".split()
_VERBS = "opened closed approved delayed expanded renovated inspected funded rebuilt relocated".split()
_PEOPLE = "Holloway Marsh Okafor Lindqvist Petrov Nakamura Ferreira Dubois Kowalski Ahmed".split()
_FIRST = "Jane Omar Priya Lars Irina Kenji Ana Louis Marta Sami".split()
_MONTHS = "January February March April May June July August September October November December".split()
_FILLER = (
    "officials said the project had been discussed for years before the council agreed on a budget. "
    "residents told reporters they expected traffic to change once the work was finished. "
    "the contractor said most of the materials were sourced from the region. "
    "critics argued that the money could have been spent on other services. "
).split(". ")


def article_text(i: int) -> str:
    """Article number `i`: a title and five paragraphs with facts unique to it."""
    rng = random.Random(i)
    town, thing, verb = rng.choice(_TOWNS), rng.choice(_THINGS), rng.choice(_VERBS)
    person = f"{rng.choice(_FIRST)} {rng.choice(_PEOPLE)}"
    date = f"{rng.choice(_MONTHS)} {rng.randint(1, 28)}, {rng.randint(2001, 2024)}"
    code = f"{town}{i}"
    paragraphs = [
        f"{town} council {verb} the {code} {thing} on {date}, mayor {person} said.",
        f"The {code} {thing} cost {rng.randint(2, 900)} million dollars and employs {rng.randint(10, 5000)} people.",
    ]
    for _ in range(3):
        paragraphs.append(" ".join(s.strip().capitalize() + "." for s in rng.sample(_FILLER, 3) if s.strip()))
    return f"{town} {thing} {verb}\n\n" + "\n\n".join(paragraphs) + "\n"


def write_corpus(folder: Path, n: int, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        path = folder / f"article-{i:05d}.txt"
        path.write_text(article_text(i), encoding="utf-8")
        paths.append(path)
    return paths
