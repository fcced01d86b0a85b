"""The data that flows through newsqa: articles, passages, and the answer every front end renders."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Article(BaseModel):
    """One article as read from the corpus: metadata plus the text that passage offsets point into."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Deterministic id: the file name without its extension.")
    path: str = Field(description="File name inside the corpus folder.")
    title: str
    published: str | None = Field(default=None, description="YYYY-MM-DD when the article gives it.")
    url: str | None = None
    source: str | None = None
    text: str = Field(description="The article text (newlines normalised); passages slice into it.")


class Passage(BaseModel):
    """A paragraph of an article, with its offsets so that `article.text[start:end] == text`."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="'<article-id>#<n>', n counting paragraphs from 1.")
    article_id: str
    number: int = Field(ge=1, description="Paragraph number within the article, from 1.")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    heading: str | None = Field(default=None, description="The section heading the paragraph sits under.")


class PassageRef(BaseModel):
    """A passage with its article's title, date and address: what a citation and a search hit share."""

    article_id: str
    title: str
    published: str | None = None
    url: str | None = None
    passage_id: str
    paragraph: int = Field(ge=1)
    passage_text: str


class Citation(PassageRef):
    """A passage that supports an answer; `passage_text[start:end]` is the answer for the first one."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    score: float


class Alternative(BaseModel):
    """Another answer that another article gives to the same question, when the articles disagree."""

    answer: str
    sentence: str
    citation: Citation


class Answer(BaseModel):
    """What the engine returns for a question; `answer is None` means the articles don't say."""

    question: str
    answer: str | None = None
    sentence: str | None = None
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    citations: list[Citation] = Field(default_factory=list)
    hints: list[Citation] = Field(
        default_factory=list,
        description="When there is no answer: the closest passages, for a person to look at.",
    )
    note: str | None = Field(
        default=None,
        description="A short remark for people: why there is no answer, or context such as 'as of DATE'.",
    )
    time_notes: list[str] = Field(
        default_factory=list,
        description="Relative dates in the sentence resolved against the article's date: "
        "'this summer, i.e. summer 2024, per the article of 2024-11-11'.",
    )
    as_of: str | None = Field(
        default=None,
        description="For 'last / latest / most recent' questions: the date (YYYY-MM-DD) of the article the answer "
        "comes from, the latest that states one.",
    )
    conflicts: list[Alternative] = Field(
        default_factory=list,
        description="Different answers that other articles give (another date or number for the same question), "
        "each with its citation; empty when the articles agree.",
    )

    @property
    def found(self) -> bool:
        return self.answer is not None


class ArticleInfo(BaseModel):
    """One line of `newsqa sources`."""

    id: str
    title: str
    published: str | None = None
    url: str | None = None
    passages: int


class SkippedFile(BaseModel):
    """A corpus file that could not be read, and why."""

    path: str
    reason: str


class IndexReport(BaseModel):
    """What a (re-)index changed."""

    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    renamed: dict[str, str] = Field(
        default_factory=dict, description="Old article id -> new id: a file renamed with the same text."
    )
    skipped: list[SkippedFile] = Field(default_factory=list)
    notes: list[str] = Field(
        default_factory=list, description="One-line notices, e.g. why the saved index was rebuilt."
    )
    files_read: int = Field(default=0, description="Corpus files read (new or changed ones only).")
    articles_tokenized: int = Field(default=0, description="Articles parsed and tokenized.")
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.renamed)


def group_by_article(citations: list[Citation]) -> list[list[Citation]]:
    """Citations of the same article together, in the order their articles are first cited.

    Front ends list an article once with all its paragraphs ("¶2, ¶10") instead of repeating its title.
    """
    groups: dict[str, list[Citation]] = {}
    for c in citations:
        groups.setdefault(c.article_id, []).append(c)
    return list(groups.values())


# Which ranker put a search hit among its best.
FoundBy = Literal["bm25", "dense", "both"]


class SearchHit(PassageRef):
    """One passage `newsqa search` found: where it is, its score (BM25's, or the hybrid one) and the query words it matches."""

    score: float
    matches: list[tuple[int, int]] = Field(
        default_factory=list, description="[start, end) of each word in passage_text that matches a query term."
    )
    found_by: FoundBy = Field(
        default="bm25", description="Which ranker put the passage among its best: BM25, the dense encoder, or both."
    )


class SearchResult(BaseModel):
    """What `newsqa search --json` prints for one query: the best passages first."""

    query: str
    hits: list[SearchHit] = Field(default_factory=list)


class ChatAnswer(Answer):
    """An answer in a conversation (`newsqa chat --json`): `ask --json`'s object plus the standalone
    question that was answered, which is `question` itself when the question needed no context."""

    resolved_question: str = Field(
        description="The question as it was understood and answered, its references to earlier turns resolved."
    )

    @property
    def rewritten(self) -> bool:
        return self.resolved_question != self.question
