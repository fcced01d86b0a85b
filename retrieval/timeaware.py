"""Relative dates ("this summer", "on Tuesday", "last year", "вчера") resolved against an article's date.

A news article says "on Tuesday" and means the latest Tuesday up to the day it was published (that day
itself in Tuesday's paper), or the coming one in a clause about the future ("will reopen on Tuesday"); a reader a year later needs the date. Only what the publication date settles is resolved: "this summer" in an article of
2024-11-11 is summer 2024, "last week" is the week of 2024-11-04.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from retrieval.reader.lexicon import WEEKDAY_NAMES

_WEEKDAYS = tuple(d.lower() for d in WEEKDAY_NAMES)
_WEEKDAYS_RU = ("понедельник", "вторник", "сред", "четверг", "пятниц", "суббот", "воскресень")
_SEASONS = {"spring": "spring", "summer": "summer", "autumn": "autumn", "fall": "autumn", "winter": "winter"}
_SEASONS_RU = {"весн": "spring", "лет": "summer", "осен": "autumn", "зим": "winter"}
_SEASON_START = {"spring": 3, "summer": 6, "autumn": 9, "winter": 12}

RELATIVE = re.compile(
    r"\b(?:(?:earlier|later|early|late)\s+)?(?P<which>this|last|next|past|coming)\s+"
    r"(?P<unit>week|weekend|month|year|spring|summer|autumn|fall|winter|"
    rf"{'|'.join(_WEEKDAYS)})\b"
    rf"|\b(?:on\s+)?(?P<weekday>{'|'.join(_WEEKDAYS)})\b"
    r"|\b(?P<day>yesterday|today|tomorrow)\b"
    r"|(?P<ru_which>этим|прошлым|следующим|этой|прошлой|следующей|этом|прошлом|следующем)\s+"
    r"(?P<ru_unit>летом|зимой|весной|осенью|неделе|году|месяце)"
    r"|(?P<ru_day>вчера|сегодня|завтра)"
    r"|(?:в\s+|во\s+)(?P<ru_weekday>понедельник|вторник|среду|четверг|пятницу|субботу|воскресенье)",
    re.IGNORECASE,
)


def parse_date(value: str | None) -> date | None:
    """A YYYY-MM-DD string as a date; None for anything else."""
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _season(name: str, which: str, published: date) -> str:
    """Which season a "this/last/next SEASON" means, seen from the publication date."""
    year = published.year
    if name == "winter":
        # Winter spans two years; "this winter" in November 2024 and in January 2025 is winter 2024/25.
        this = year if published.month >= 6 else year - 1
        step = {"this": 0, "coming": 1, "next": 1, "last": -1, "past": -1}[which]
        first = this + step
        return f"winter {first}/{str(first + 1)[-2:]}"
    start = _SEASON_START[name]
    month = published.month
    inside = start <= month < start + 3
    if which == "this":
        return f"{name} {year}"
    if which in ("last", "past"):
        # "last summer" in November 2024 is summer 2024; said in July 2024 it is summer 2023.
        return f"{name} {year if month >= start + 3 else year - 1}"
    return f"{name} {year if month < start and not inside else year + 1}"


# A weekday in a clause about the future means the coming one: "customers would have power back by
# Tuesday" in Monday's article is the next day, while "the storm hit on Sunday" is the day before.
_FUTURE = re.compile(
    r"\b(?:will|would|shall|won't|wouldn't|is due|are due|due to|expected to|expects? to|plans? to|planned to|"
    r"going to|set to|scheduled|intends? to|hopes? to|будет|будут|планирует|планируют)\b|'ll\b",
    re.IGNORECASE,
)
_CLAUSE_START = re.compile(r".*[,;:—–]\s*", re.DOTALL)


def _weekday_before(published: date, weekday: int) -> date:
    """The latest given weekday strictly before the publication date: what "last Tuesday" means."""
    delta = (published.weekday() - weekday) % 7 or 7
    return published - timedelta(days=delta)


def _weekday_on_or_before(published: date, weekday: int) -> date:
    """The latest given weekday on or before the publication date: "on Thursday" in Thursday's article is
    that day (news reports the day's events), "on Tuesday" in it the Tuesday of that week."""
    return published - timedelta(days=(published.weekday() - weekday) % 7)


def _weekday_after(published: date, weekday: int) -> date:
    """The first given weekday strictly after the publication date."""
    return published + timedelta(days=(weekday - published.weekday()) % 7 or 7)


def resolve(phrase: str, published: date, future: bool = False) -> str | None:
    """What a relative date phrase means, seen from `published`; None when it is not one we resolve.

    `future`: the phrase stands in a clause about the future, so a bare weekday is the coming one.
    """
    m = RELATIVE.search(phrase)
    if m is None:
        return None
    if m.group("day") or m.group("ru_day"):
        word = (m.group("day") or m.group("ru_day")).lower()
        offset = {"yesterday": -1, "today": 0, "tomorrow": 1, "вчера": -1, "сегодня": 0, "завтра": 1}[word]
        return (published + timedelta(days=offset)).isoformat()
    if m.group("weekday") or m.group("ru_weekday"):
        word = (m.group("weekday") or m.group("ru_weekday")).lower()
        index = _WEEKDAYS.index(word) if word in _WEEKDAYS else next(i for i, w in enumerate(_WEEKDAYS_RU) if word.startswith(w))
        return (_weekday_after if future else _weekday_on_or_before)(published, index).isoformat()
    if m.group("ru_which"):
        which = {"эт": "this", "пр": "last", "сл": "next"}[m.group("ru_which")[:2].lower()]
        unit = m.group("ru_unit").lower()
        season = next((s for k, s in _SEASONS_RU.items() if unit.startswith(k)), None)
        if season:
            return _season(season, which, published)
        unit = {"неделе": "week", "году": "year", "месяце": "month"}[unit]
    else:
        which = m.group("which").lower()
        unit = m.group("unit").lower()
        if unit in _SEASONS:
            return _season(_SEASONS[unit], which, published)
    step = {"this": 0, "coming": 1, "next": 1, "last": -1, "past": -1}[which]
    if unit == "year":
        return str(published.year + step)
    if unit == "month":
        month_index = published.year * 12 + published.month - 1 + step
        return f"{month_index // 12}-{month_index % 12 + 1:02d}"
    if unit in ("week", "weekend"):
        monday = published - timedelta(days=published.weekday()) + timedelta(weeks=step)
        if unit == "weekend":
            return f"{(monday + timedelta(days=5)).isoformat()}/{(monday + timedelta(days=6)).isoformat()}"
        return f"the week of {monday.isoformat()}"
    if unit in _WEEKDAYS:
        # "last Tuesday": the Tuesday before; "this/next Tuesday": the coming one.
        before = _weekday_before(published, _WEEKDAYS.index(unit))
        return (before if which in ("last", "past") else before + timedelta(weeks=1)).isoformat()
    return None


def time_notes(sentence: str, published: str | None) -> list[str]:
    """Each relative date of a sentence with what it means: "this summer, i.e. summer 2024, per the article of 2024-11-11"."""
    day = parse_date(published)
    if day is None:
        return []
    notes = []
    for m in RELATIVE.finditer(sentence):
        before = sentence[: m.start()]
        clause = before[start.end() :] if (start := _CLAUSE_START.match(before)) else before
        meaning = resolve(m.group(), day, future=bool(_FUTURE.search(clause)))
        phrase = re.sub(r"^(?:on|в|во)\s+", "", m.group(), flags=re.IGNORECASE)
        if m.start() == 0 and not m.group("weekday") and not m.group("ru_weekday"):
            phrase = phrase[:1].lower() + phrase[1:]  # "This summer, ..." -> "this summer"
        if meaning is not None:
            note = f"{phrase}, i.e. {meaning}, per the article of {published}"
            if note not in notes:
                notes.append(note)
    return notes
