from pathlib import Path

import pytest

from retrieval.ingest import load_corpus, parse_date, read_article, safe_file_name
from tests.helpers import SEEDS, write_article

TASS = SEEDS / "000_b25523e41b776a03.txt"
OTHER = SEEDS / "001_03d8b65938a66cc9.txt"


def test_seed_with_clipping_header_and_blank_line_paragraphs() -> None:
    article, passages = read_article(TASS)
    assert article.title == "Kremlin spokesman denies media reports of phone call between Putin, Trump"
    assert article.published == "2024-11-11"
    # the lede that ran into the title is the first passage
    assert passages[0].text.startswith("Dmitry Peskov described the Washington Post")
    assert passages[1].text.startswith("MOSCOW, November 11. /TASS/.")
    assert len(passages) == 12
    text = " ".join(p.text for p in passages)
    for boilerplate in ("LINK", "lunedì", "©", "Artyom Geodakyan", "\n*"):
        assert boilerplate not in text
    # the photo caption under the lone "*" is gone; the heading is context, not a passage
    assert not any(p.text == "Russian Presidential Spokesman Dmitry Peskov" for p in passages)
    assert not any(p.text == "Communication with US leaders" for p in passages)
    last_two = passages[-2:]
    assert all(p.heading == "Communication with US leaders" for p in last_two)
    assert passages[0].heading is None


def test_seed_with_ticker_lines_and_single_newline_paragraphs() -> None:
    article, passages = read_article(OTHER)
    assert article.title == "Peskov denies rumors of Putin-Trump phone call"
    assert article.published is None
    assert len(passages) == 7
    assert not any("BYN" in p.text for p in passages)
    assert passages[5].heading == "Contacts with American leaders"
    assert passages[5].text.startswith("Putin's last telephone conversation")


@pytest.mark.parametrize("path", [TASS, OTHER])
def test_offsets_slice_the_article(path: Path) -> None:
    article, passages = read_article(path)
    assert [p.number for p in passages] == list(range(1, len(passages) + 1))
    for p in passages:
        assert article.text[p.start : p.end] == p.text
        assert p.id == f"{article.id}#{p.number}"


def test_markdown_front_matter_and_wrapped_paragraphs(tmp_path: Path) -> None:
    path = write_article(
        tmp_path,
        "budget.md",
        "---\ntitle: City budget approved\ndate: 2024-03-05\nsource: Daily Planet\nurl: https://example.org/budget\n---\n"
        "The city council approved a budget of 12 million dollars on Tuesday after a\n"
        "long debate that lasted more than six hours in the main chamber of the hall.\n\n"
        "## Reactions\n\n"
        "The mayor, Jane Holt, called the vote historic.\n",
    )
    article, passages = read_article(path)
    assert (article.title, article.published, article.url, article.source) == (
        "City budget approved", "2024-03-05", "https://example.org/budget", "Daily Planet",
    )
    assert len(passages) == 2
    assert "after a\nlong debate" in passages[0].text  # one wrapped paragraph, not two
    assert passages[1].heading == "Reactions"
    for p in passages:
        assert article.text[p.start : p.end] == p.text


def test_unreadable_files_are_named_and_skipped(tmp_path: Path) -> None:
    write_article(tmp_path, "good.txt", "A title\n\nThe council met on Monday to vote on the budget.\n")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 owners protest\n\nThey met.".encode("latin-1"))
    (tmp_path / "empty.txt").write_text("   \n", encoding="utf-8")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    articles, passages, skipped = load_corpus(tmp_path)
    assert [a.id for a in articles] == ["good"]
    reasons = {s.path: s.reason for s in skipped}
    assert set(reasons) == {"binary.txt", "latin1.txt", "empty.txt", "notes.pdf"}
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "empty" in reasons["empty.txt"]
    assert "unsupported" in reasons["notes.pdf"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-11-11 11.49 - lunedì 11 novembre 2024", "2024-11-11"),
        ("November 11, 2024", "2024-11-11"),
        ("11 Nov 2024", "2024-11-11"),
        ("sometime soon", None),
        ("2024-13-45", None),
        ("11 ноября 2024", "2024-11-11"),
        ("вторник, 5 марта 2024 г.", "2024-03-05"),
        ("2024/11/11", "2024-11-11"),
        ("Tue, 11 Nov 2024 09:00:00 GMT", "2024-11-11"),
        ("Sept. 3, 2024", "2024-09-03"),
        ("November 2024", None),  # no day: not a publication date
        ("Tuesday", None),
    ],
)
def test_parse_date(value: str, expected: str | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("../../x.txt", "x.txt"), ("a\x00b\nc.TXT", "ab_c.txt"), ("..", "article"), ("C:\\evil\\x.md", "x.md")],
)
def test_safe_file_name(name: str, expected: str) -> None:
    assert safe_file_name(name) == expected


def test_markdown_is_read_as_plain_text_with_headings_as_context(tmp_path: Path) -> None:
    path = write_article(
        tmp_path,
        "ferry.md",
        "---\ntitle: Ferry news\n---\n"
        "The **Harbor Line** ferry, [run by the city](https://example.org/ferry), carries _300_ passengers.\n\n"
        "## Timetable\n\n"
        "- The first boat leaves at 6 a.m. from pier four.\n"
        "- The last boat leaves at 11 p.m.\n\n"
        "2024. A year in which the ferry carried a million people.\n\n"
        "<div class=\"ad\">Subscribe now</div>\n\n"
        "![The ferry at dawn](ferry.jpg)\n",
    )
    article, passages = read_article(path)
    assert [p.text for p in passages] == [
        "The Harbor Line ferry, run by the city, carries 300 passengers.",
        "The first boat leaves at 6 a.m. from pier four.",
        "The last boat leaves at 11 p.m.",
        "2024. A year in which the ferry carried a million people.",
    ]
    assert [p.heading for p in passages] == [None, "Timetable", "Timetable", "Timetable"]
    assert all(article.text[p.start : p.end] == p.text for p in passages)
    assert not any(mark in article.text for mark in ("**", "](", "- ", "<div", "Subscribe", "##"))


def test_markdown_first_level_heading_is_the_title_without_front_matter(tmp_path: Path) -> None:
    path = write_article(tmp_path, "bridge.md", "# Elm Street *bridge* opens\n\nThe bridge opened on *March 5, 2024*.\n")
    article, passages = read_article(path)
    assert article.title == "Elm Street bridge opens"
    assert [p.text for p in passages] == ["The bridge opened on March 5, 2024."]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("date: 11 ноября 2024", "2024-11-11"), ("Published: Tue, 11 Nov 2024 09:00:00 GMT", "2024-11-11"), ("date 2024/11/11", "2024-11-11")],
)
def test_clipping_header_dates_in_other_formats(tmp_path: Path, header: str, expected: str) -> None:
    path = write_article(tmp_path, "clip.txt", f"{header}\n\nFerry news\n\nThe Harbor Line ferry carries 300 passengers.\n")
    article, _ = read_article(path)
    assert (article.title, article.published) == ("Ferry news", expected)


def test_markdown_front_matter_date_in_russian(tmp_path: Path) -> None:
    path = write_article(tmp_path, "ru.md", "---\ntitle: Паром\ndate: 11 ноября 2024\n---\nПаром перевозит 300 пассажиров.\n")
    assert read_article(path)[0].published == "2024-11-11"


FERRY_BODY = (
    "The Harbor Line ferry resumed service on Wednesday after two weeks of repairs, the operator said.\n\n"
    "It carries 300 passengers between the two piers.\n"
)


@pytest.mark.parametrize(
    ("top", "published"),
    [
        ("Date: 2025-03-12\n", "2025-03-12"),  # a date line right under the title, no blank line between
        ("\nDate: March 12, 2025\n", "2025-03-12"),
        ("\nBy Jane Doe / March 9, 2025\n", "2025-03-09"),  # a byline with its date
        ("\nBy Jane Doe\nMarch 9, 2025\n", "2025-03-09"),  # the date under the byline
        ("By Jane Doe | Harbor Gazette\nWednesday, March 12, 2025 at 9:30 a.m. EST\n", "2025-03-12"),
        ("\nBy Jane Doe\n", None),  # a byline alone: no date, and still no passage
    ],
)
def test_date_and_byline_lines_under_a_txt_title_are_metadata(tmp_path: Path, top: str, published: str | None) -> None:
    path = write_article(tmp_path, "ferry.txt", f"Harbor Line ferry resumes service after repairs\n{top}\n{FERRY_BODY}")
    article, passages = read_article(path)
    assert (article.title, article.published) == ("Harbor Line ferry resumes service after repairs", published)
    assert [p.text for p in passages] == [
        "The Harbor Line ferry resumed service on Wednesday after two weeks of repairs, the operator said.",
        "It carries 300 passengers between the two piers.",
    ]
    assert all(p.heading is None for p in passages)  # the byline is not a section heading either


def test_a_paragraph_that_starts_with_by_is_still_a_passage(tmp_path: Path) -> None:
    text = "Ferry news\n\nBy March 2025 the Harbor Line ferry had carried 300,000 passengers, the operator said.\n"
    _, passages = read_article(write_article(tmp_path, "ferry.txt", text))
    assert [p.text[:8] for p in passages] == ["By March"]
