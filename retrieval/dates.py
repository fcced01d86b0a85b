"""Publication dates from article metadata and clipping headers, in the forms news sites write them.

`2024-11-11`, `2024/11/11`, `November 11, 2024`, `11 Nov 2024`, `Tue, 11 Nov 2024 09:00:00 GMT`
(RFC 2822, as feeds and HTTP write it), `11 ноября 2024 г.`: python-dateutil parses them, with
Russian month names added to its English ones. A date is only taken when it gives the year, the
month and the day: "Tuesday" or "November 2024" alone are no publication date.
"""

from __future__ import annotations

import datetime as dt
import re

from dateutil import parser as dateutil_parser

# Nominative and genitive ("11 ноября"), with the usual abbreviations, for each month in turn.
_RUSSIAN_MONTHS = [
    ("январь", "января", "янв"), ("февраль", "февраля", "фев", "февр"), ("март", "марта", "мар"),
    ("апрель", "апреля", "апр"), ("май", "мая"), ("июнь", "июня", "июн"), ("июль", "июля", "июл"),
    ("август", "августа", "авг"), ("сентябрь", "сентября", "сен", "сент"), ("октябрь", "октября", "окт"),
    ("ноябрь", "ноября", "ноя", "нояб"), ("декабрь", "декабря", "дек"),
]
_NUMERIC = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_MAX_LENGTH = 200  # a header line's date is short; a long value is not worth parsing


class _ParserInfo(dateutil_parser.parserinfo):
    """dateutil's English names, and the Russian months."""

    # The ignore: typeshed allows two or three names a month; dateutil itself takes any number.
    MONTHS = [english + russian for english, russian in zip(dateutil_parser.parserinfo.MONTHS, _RUSSIAN_MONTHS)]  # type: ignore[misc]


_PARSER = dateutil_parser.parser(_ParserInfo())
# Two defaults that differ in every part: a part the text does not give shows up as a difference.
_DEFAULTS = (dt.datetime(1900, 1, 1), dt.datetime(1904, 2, 2))


def parse_date(value: object) -> str | None:
    """'YYYY-MM-DD' from a date, a datetime or a string that gives a whole date; None otherwise."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()[:_MAX_LENGTH]
    if m := _NUMERIC.search(text):  # the common case, without the general parser
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return None
    return _parse_words(text)


def _parse_words(text: str) -> str | None:
    """A date written with a month name (English or Russian) or in RFC 2822, if it is a whole one."""
    parsed = []
    for default in _DEFAULTS:
        try:
            parsed.append(_PARSER.parse(text, default=default, fuzzy=True).date())
        except (ValueError, OverflowError):  # dateutil's ParserError is a ValueError
            return None
    first, second = parsed
    if first != second or not 1800 <= first.year <= 2200:
        return None
    return first.isoformat()
