"""Sentences of a paragraph: the unit answers are quoted in and passages are re-ranked by."""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st sr jr gen col lt sgt capt gov sen rep rev inc ltd co corp vs etc no nos fig "
    "jan feb mar apr jun jul aug sep sept oct nov dec e.g i.e u.s u.k u.n a.m p.m approx dept est c ca "
    "г гг т.е т.д им ул".split()
)
_BOUNDARY = re.compile(
    r"[.!?…]+[\"'”’»)\]]*(?=\s+[\"'“‘«(\[]?[A-Z\u0400-\u042F\d])"
    r"|(?<=[a-z\u0430-\u044f]{3})\.(?=[A-Z\u0410-\u042F][a-z\u0430-\u044f])"  # "stories.Political": no space
)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a paragraph, not splitting after abbreviations, initials or inside brackets."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        before = text[start : m.start()]
        words = before.split()
        last_word = words[-1].lower().strip("(\"'“‘«") if words else ""
        if m.group().startswith(".") and (last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z\u0430-\u044f]", last_word)):
            continue
        if before.count("(") > before.count(")") and ")" not in m.group():
            continue  # "(c. 1455–1536)": a bracket is still open
        spans.append((start, m.end()))
        start = m.end()
        while start < len(text) and text[start].isspace():
            start += 1
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans
