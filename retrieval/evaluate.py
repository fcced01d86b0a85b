"""Answer quality as numbers: load a question set, ask every question, score the answers.

Two formats are read. A SQuAD v1.1 or v2.0 JSON file brings its own corpus: every context paragraph
becomes a passage, grouped into one article per SQuAD title, and every question is asked against all
of them, not against its own paragraph. A JSONL file of `{"question", "answers", "answerable"}`
records is asked against a corpus folder.

Scores follow the SQuAD v1.1 evaluation script (lower-case, ASCII punctuation and a/an/the removed,
white space folded, best over the gold answers) and SQuAD v2.0 for unanswerable questions (1 when the
engine abstains, 0 when it answers). Rates are percentages of the questions they are about.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import string
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from retrieval.answer import answer_question, choose_reader, question_vector, reader_name
from retrieval.errors import UsageError
from retrieval.index import CorpusIndex
from retrieval.models import Article, Passage, SkippedFile
from retrieval.reader.question import analyze_question
from retrieval.rerank import rank_passages
from retrieval.settings import EngineSettings, load_engine_settings
from retrieval.tokens import tokenize

SQUAD_V1, SQUAD_V2, JSONL = "squad-v1.1", "squad-v2.0", "jsonl"
TOP_K = 5
THRESHOLDS = tuple(round(i / 10, 1) for i in range(10))

# --- SQuAD v1.1 scoring -------------------------------------------------------------------------

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """SQuAD v1.1 normalisation: lower-case, drop ASCII punctuation and a/an/the, fold white space."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, gold: str) -> bool:
    return normalize_answer(prediction) == normalize_answer(gold)


def token_f1(prediction: str, gold: str) -> float:
    """Token F1 of one prediction against one gold answer, as SQuAD v1.1 computes it."""
    pred = normalize_answer(prediction).split()
    ref = normalize_answer(gold).split()
    same = sum((Counter(pred) & Counter(ref)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def score_answer(prediction: str | None, golds: Sequence[str], answerable: bool) -> tuple[float, float]:
    """(exact match, F1), each 0..1, best over the gold answers; `None` is an abstention."""
    if not answerable:
        return (1.0, 1.0) if prediction is None else (0.0, 0.0)
    if prediction is None or not golds:
        return 0.0, 0.0
    em = max(float(exact_match(prediction, g)) for g in golds)
    f1 = max(token_f1(prediction, g) for g in golds)
    return em, f1


def contains_answer(text: str | None, golds: Sequence[str]) -> bool:
    """Whether `text` holds a gold answer, not inside a longer word ("3" is not in "1936").

    Either as written (case and spacing aside), so that "24" is in "24-yard" and "William Tyndale" in
    "William Tyndale's", which SQuAD normalisation would glue into other words; or as whole words
    after SQuAD normalisation, so that "the Helsinki" is in "in Helsinki".
    """
    if not text:
        return False
    folded = " ".join(text.casefold().split())
    normalized = f" {normalize_answer(text)} "
    for gold in golds:
        g = " ".join(gold.casefold().split())
        if g and _as_written(g).search(folded):
            return True
        n = normalize_answer(gold)
        if n and f" {n} " in normalized:
            return True
    return False


def _as_written(gold: str) -> re.Pattern[str]:
    left = r"(?<!\w)" if gold[0].isalnum() else ""
    right = r"(?!\w)" if gold[-1].isalnum() else ""
    return re.compile(left + re.escape(gold) + right)


# --- question types -----------------------------------------------------------------------------

WHEN, WHO, WHERE, HOW_MANY, WHAT, WHY_HOW, OTHER = (
    "when", "who", "where", "how many/much", "what/which", "why/how", "other",
)
QUESTION_TYPES = (WHEN, WHO, WHERE, HOW_MANY, WHAT, WHY_HOW, OTHER)
_WH_WORD = re.compile(r"\b(when|who|whom|whose|where|what|which|why|how)\b(\s+(?:many|much)\b)?", re.IGNORECASE)
_WH_TYPE = {
    "when": WHEN, "who": WHO, "whom": WHO, "whose": WHO, "where": WHERE,
    "what": WHAT, "which": WHAT, "why": WHY_HOW, "how": WHY_HOW,
}


def question_type(question: str) -> str:
    """The type of a question from its first question word ("In what year ..." is what/which)."""
    m = _WH_WORD.search(question)
    if m is None:
        return OTHER
    if m.group(2):
        return HOW_MANY
    return _WH_TYPE[m.group(1).lower()]


# --- loading ------------------------------------------------------------------------------------


class EvalQuestion(BaseModel):
    """One question of a question set, with its gold answers."""

    id: str
    question: str
    answers: list[str] = Field(default_factory=list)
    answerable: bool = True
    passage_id: str | None = Field(default=None, description="SQuAD: the passage the question was written for.")


@dataclass
class EvalSet:
    """A loaded question set; a SQuAD file also brings the articles and passages it is asked against."""

    path: Path
    format: str
    questions: list[EvalQuestion]
    articles: list[Article] | None = None
    passages: list[Passage] | None = None

    @property
    def has_corpus(self) -> bool:
        return self.passages is not None


def load_eval_file(path: Path | str) -> EvalSet:
    """Read a SQuAD JSON or a JSONL question file; `UsageError` with a one-line reason if it is bad."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"question file not found: {path} (give a SQuAD .json or a .jsonl file)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror})") from exc
    if not text.strip():
        raise UsageError(f"{path}: the file is empty")
    if path.suffix.lower() == ".jsonl":
        return EvalSet(path, JSONL, parse_jsonl(text, path))
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # several JSON values: one record per line
            return EvalSet(path, JSONL, parse_jsonl(text, path))
        raise UsageError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from exc
    if isinstance(doc, dict) and "data" in doc:
        return parse_squad(doc, path)
    if isinstance(doc, dict) and "question" in doc:
        return EvalSet(path, JSONL, parse_jsonl(text, path))
    raise UsageError(
        f"{path}: neither a SQuAD file (an object with 'data') nor JSONL (one {{\"question\", \"answers\"}} per line)"
    )


def parse_jsonl(text: str, path: Path) -> list[EvalQuestion]:
    """JSONL records `{"id"?, "question", "answers", "answerable"?}`, one per line."""
    questions: list[EvalQuestion] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}: line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
        if not isinstance(record, dict):
            raise UsageError(f"{where}: expected an object with 'question' and 'answers'")
        question = record.get("question")
        if not isinstance(question, str) or not question.strip():
            raise UsageError(f"{where}: 'question' must be a non-empty string")
        answers = record.get("answers", [])
        if not isinstance(answers, list) or not all(isinstance(a, str) and a.strip() for a in answers):
            raise UsageError(f"{where}: 'answers' must be a list of non-empty strings")
        answerable = record.get("answerable", bool(answers))
        if not isinstance(answerable, bool):
            raise UsageError(f"{where}: 'answerable' must be true or false")
        if answerable and not answers:
            raise UsageError(f"{where}: an answerable question needs at least one answer")
        qid = str(record.get("id", f"line-{number}"))
        if qid in seen:
            raise UsageError(f"{where}: the id {qid!r} is used twice")
        seen.add(qid)
        questions.append(EvalQuestion(id=qid, question=question, answers=answers, answerable=answerable))
    if not questions:
        raise UsageError(f"{path}: no questions in the file")
    return questions


def slugify(title: str) -> str:
    """A file-name-like article id from a SQuAD title ("Fresno,_California" -> "fresno-california")."""
    return re.sub(r"[^0-9a-z]+", "-", title.casefold()).strip("-") or "article"


def parse_squad(doc: dict, path: Path) -> EvalSet:
    """A SQuAD v1.1/v2.0 document: one article per title, one passage per context paragraph."""
    data = doc.get("data")
    if not isinstance(data, list) or not data:
        raise UsageError(f"{path}: 'data' must be a non-empty list of articles")
    fmt = SQUAD_V2 if str(doc.get("version", "")).startswith("v2") or _has_impossible(data) else SQUAD_V1
    articles: list[Article] = []
    passages: list[Passage] = []
    questions: list[EvalQuestion] = []
    ids: set[str] = set()
    qids: set[str] = set()
    for a_no, entry in enumerate(data):
        where = f"{path}: data[{a_no}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("paragraphs"), list):
            raise UsageError(f"{where}: expected an object with 'title' and a list of 'paragraphs'")
        title = str(entry.get("title") or f"article {a_no + 1}")
        article_id = slugify(title)
        if article_id in ids:
            article_id = f"{article_id}-{a_no + 1}"
        ids.add(article_id)
        contexts: list[str] = []
        for p_no, para in enumerate(entry["paragraphs"]):
            if not isinstance(para, dict) or not isinstance(para.get("context"), str) or not para["context"].strip():
                raise UsageError(f"{where}.paragraphs[{p_no}]: 'context' must be a non-empty string")
            contexts.append(para["context"])
        if not contexts:
            continue
        text = "\n\n".join(contexts)
        articles.append(Article(id=article_id, path=path.name, title=title.replace("_", " "), text=text))
        offset = 0
        for p_no, (para, context) in enumerate(zip(entry["paragraphs"], contexts)):
            passage = Passage(
                id=f"{article_id}#{p_no + 1}",
                article_id=article_id,
                number=p_no + 1,
                start=offset,
                end=offset + len(context),
                text=context,
            )
            passages.append(passage)
            offset += len(context) + 2
            for q_no, qa in enumerate(para.get("qas") or []):
                q = _squad_question(qa, context, f"{where}.paragraphs[{p_no}].qas[{q_no}]", passage.id)
                if q.id in qids:
                    raise UsageError(f"{where}.paragraphs[{p_no}].qas[{q_no}]: the id {q.id!r} is used twice")
                qids.add(q.id)
                questions.append(q)
    if not questions:
        raise UsageError(f"{path}: no questions in the file")
    return EvalSet(path, fmt, questions, articles, passages)


def _has_impossible(data: list) -> bool:
    return any(
        isinstance(qa, dict) and qa.get("is_impossible")
        for entry in data if isinstance(entry, dict)
        for para in entry.get("paragraphs") or [] if isinstance(para, dict)
        for qa in para.get("qas") or []
    )


def _squad_question(qa: object, context: str, where: str, passage_id: str) -> EvalQuestion:
    if not isinstance(qa, dict) or not isinstance(qa.get("question"), str) or not qa["question"].strip():
        raise UsageError(f"{where}: expected an object with a non-empty 'question'")
    impossible = bool(qa.get("is_impossible", False))
    answers: list[str] = []
    for n, ans in enumerate([] if impossible else qa.get("answers") or []):
        if not isinstance(ans, dict) or not isinstance(ans.get("text"), str):
            raise UsageError(f"{where}.answers[{n}]: expected an object with 'text' and 'answer_start'")
        start = ans.get("answer_start")
        if isinstance(start, int) and context[start : start + len(ans["text"])] != ans["text"]:
            raise UsageError(f"{where}.answers[{n}]: answer_start {start} does not point at {ans['text']!r}")
        if ans["text"].strip() and ans["text"] not in answers:
            answers.append(ans["text"])
    if not impossible and not answers:
        raise UsageError(f"{where}: no answers, and not marked is_impossible")
    return EvalQuestion(
        id=str(qa.get("id", where)),
        question=qa["question"],
        answers=answers,
        answerable=not impossible,
        passage_id=passage_id,
    )


# --- the report ---------------------------------------------------------------------------------


class QuestionResult(BaseModel):
    """How one question was answered and scored."""

    id: str
    question: str
    type: str
    answerable: bool
    answers: list[str]
    predicted: str | None
    sentence: str | None = None
    confidence: float = 0.0
    note: str | None = None
    exact_match: float = Field(description="0 or 1.")
    f1: float = Field(description="0..1.")
    top1: bool | None = Field(
        default=None, description="The engine's passage ranking (BM25 re-ranked, what answers come from): the top passage holds a gold answer."
    )
    top5: bool | None = None
    bm25_top1: bool | None = Field(default=None, description="BM25 alone over the question's tokens: the top passage holds one.")
    bm25_top5: bool | None = None
    answer_passage: bool | None = Field(default=None, description="The passage the answer came from holds a gold answer.")
    sentence_contains: bool | None = None
    passage_id: str | None = Field(default=None, description="The passage the answer came from.")
    gold_passage_id: str | None = None
    gold_rank: int | None = Field(default=None, description="SQuAD: rank of the question's own paragraph in the engine's top 5.")
    miss: str | None = Field(default=None, description="Why the answer is not exactly right, when it is not.")
    always_em: float | None = Field(default=None, description="Closed, answerable: EM of the model's best span, never withheld.")
    always_f1: float | None = None
    milliseconds: float

    @property
    def correct(self) -> bool:
        """Right enough to count in the calibration table: exact, or F1 at least 0.5."""
        return self.exact_match == 1.0 or self.f1 >= 0.5


class Split(BaseModel):
    questions: int
    exact_match: float | None = Field(description="Percent.")
    f1: float | None = Field(description="Percent.")


class TypeRow(BaseModel):
    type: str
    questions: int
    exact_match: float
    f1: float
    top1: float | None = Field(description="Percent of the answerable questions of this type.")
    sentence: float | None


class CalibrationRow(BaseModel):
    threshold: float
    answered: float = Field(description="Percent of all questions answered with at least this confidence.")
    answered_count: int
    accuracy: float | None = Field(description="Percent of those answers with EM 1 or F1 >= 0.5.")
    f1: float = Field(description="Overall F1 (percent) if answers below the threshold were abstentions.")


class MissCount(BaseModel):
    kind: str
    count: int


class Latency(BaseModel):
    median_ms: float
    p95_ms: float
    max_ms: float


class EvalReport(BaseModel):
    """Everything `newsqa eval` measures; `results` holds every question and is left out of --json."""

    file: str
    format: str
    corpus: str
    articles: int
    passages: int
    questions: int
    overall: Split
    answerable: Split
    unanswerable: Split
    abstention_accuracy: float = Field(description="Percent of questions answered exactly when answerable.")
    answered_answerable: float | None = Field(description="Percent of answerable questions given an answer.")
    abstained_unanswerable: float | None = Field(description="Percent of unanswerable questions abstained on.")
    top1: float | None = Field(
        description="Percent of answerable questions whose top passage holds a gold answer, in the engine's ranking "
        "(BM25's top passages re-ranked by `retrieval.rerank`, the passages answers are drawn from)."
    )
    top5: float | None
    bm25_top1: float | None = Field(description="The same for BM25 alone: `index.search(tokenize(question), 5)`.")
    bm25_top5: float | None
    sentence_contains: float | None = Field(description="Percent of answerable questions whose quoted sentence holds one.")
    sentence_contains_answered: float | None = Field(description="The same, of the answerable questions given an answer.")
    answer_passage_contains: float | None = Field(description="Of answered answerable questions, the answer's passage holds one.")
    latency: Latency
    index_seconds: float
    by_type: list[TypeRow]
    calibration: list[CalibrationRow]
    miss_kinds: list[MissCount]
    skipped: list[SkippedFile] = Field(default_factory=list)
    reader: str = Field(default="both", description="The reader that chose the spans: both, neural or rules.")
    closed: bool = Field(default=False, description="Each question asked against its own paragraph only.")
    always_answering: Split | None = Field(
        default=None,
        description="Closed, with the neural reader: the answerable questions scored on the model's best span in the "
        "gold paragraph, given even where newsqa abstains (no abstention, no rules): the SQuAD v1.1 and SQuADShifts "
        "leaderboards' setting, where every system answers every question.",
    )
    results: list[QuestionResult] = Field(default_factory=list)

    def misses(self) -> list[QuestionResult]:
        return [r for r in self.results if r.miss is not None]


# --- running ------------------------------------------------------------------------------------

ABSTAINED = "abstained on an answerable question"
ANSWERED_UNANSWERABLE = "answered an unanswerable question"
RETRIEVAL = "retrieval: no top-5 passage holds the answer"
WRONG_PASSAGE = "wrong passage: the answer is in the top 5 but not in the passage answered from"
WRONG_SENTENCE = "right passage, wrong sentence"
TOO_LONG = "right sentence, span too long (contains the answer)"
TOO_SHORT = "right sentence, span too short (inside the answer)"
OVERLAP = "right sentence, span overlaps the answer"
WRONG_SPAN = "right sentence, wrong span (no word in common)"
MISS_KINDS = (ABSTAINED, ANSWERED_UNANSWERABLE, RETRIEVAL, WRONG_PASSAGE, WRONG_SENTENCE, TOO_LONG, TOO_SHORT, OVERLAP, WRONG_SPAN)


def classify_miss(result: QuestionResult) -> str | None:
    """Where an answer that is not exactly right went wrong, from retrieval down to the span."""
    if result.exact_match == 1.0:
        return None
    if not result.answerable:
        return ANSWERED_UNANSWERABLE
    if result.predicted is None:
        return ABSTAINED
    if not result.answer_passage:
        return WRONG_PASSAGE if result.top5 else RETRIEVAL
    if not result.sentence_contains:
        return WRONG_SENTENCE
    if contains_answer(result.predicted, result.answers):
        return TOO_LONG
    if any(f" {normalize_answer(result.predicted)} " in f" {normalize_answer(g)} " for g in result.answers):
        return TOO_SHORT
    return OVERLAP if result.f1 > 0 else WRONG_SPAN


def ask_and_score(
    index: CorpusIndex, q: EvalQuestion, reader: str | None = None, closed: bool = False, settings: EngineSettings | None = None
) -> QuestionResult:
    """Ask one question, time it, and score the answer and the retrieval behind it.

    `closed`: read only the question's own paragraph (the setting of the SQuAD leaderboards).
    """
    within = None
    if closed and q.passage_id is not None:
        passage = index.passage(q.passage_id)
        if passage is None:
            raise UsageError(f"question {q.id!r}: its paragraph {q.passage_id!r} is not in the corpus")
        within = [passage]
    started = time.perf_counter()
    answer = answer_question(index, q.question, reader, within, settings=settings)
    seconds = time.perf_counter() - started
    em, f1 = score_answer(answer.answer, q.answers, q.answerable)
    top1 = top5 = bm25_top1 = bm25_top5 = answer_passage = sentence_contains = None
    gold_rank = None
    passage_id = answer.citations[0].passage_id if answer.citations else None
    if q.answerable:
        hits = rank_passages(index, analyze_question(q.question), TOP_K, None, question_vector(index, q.question))
        top1 = bool(hits) and contains_answer(hits[0][0].text, q.answers)
        top5 = any(contains_answer(p.text, q.answers) for p, _ in hits)
        bm25_hits = index.search(tokenize(q.question), TOP_K)
        bm25_top1 = bool(bm25_hits) and contains_answer(bm25_hits[0][0].text, q.answers)
        bm25_top5 = any(contains_answer(p.text, q.answers) for p, _ in bm25_hits)
        gold_rank = next((n for n, (p, _) in enumerate(hits, start=1) if p.id == q.passage_id), None)
        sentence_contains = contains_answer(answer.sentence, q.answers)
        if answer.citations:
            answer_passage = contains_answer(answer.citations[0].passage_text, q.answers)
    result = QuestionResult(
        id=q.id,
        question=q.question,
        type=question_type(q.question),
        answerable=q.answerable,
        answers=q.answers,
        predicted=answer.answer,
        sentence=answer.sentence,
        confidence=answer.confidence,
        note=answer.note,
        exact_match=em,
        f1=f1,
        top1=top1,
        top5=top5,
        bm25_top1=bm25_top1,
        bm25_top5=bm25_top5,
        answer_passage=answer_passage,
        sentence_contains=sentence_contains,
        passage_id=passage_id,
        gold_passage_id=q.passage_id,
        gold_rank=gold_rank,
        milliseconds=round(seconds * 1000, 3),
    )
    result.miss = classify_miss(result)
    model_dir = settings.reader_model if settings is not None else None
    if within is not None and q.answerable and (model := choose_reader(reader, q.question, model_dir)) is not None:
        best = model.read(q.question, [within[0].text])[0]
        result.always_em, result.always_f1 = score_answer(within[0].text[best.start : best.end] if best else None, q.answers, True)
    return result


def evaluate(
    index: CorpusIndex,
    questions: Sequence[EvalQuestion],
    *,
    file: str = "",
    format: str = JSONL,  # noqa: A002 - the report's field name
    corpus: str = "",
    index_seconds: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
    reader: str | None = None,
    closed: bool = False,
    settings: EngineSettings | None = None,
) -> EvalReport:
    """Ask every question against `index` and aggregate the scores into a report.

    `closed`: each question is read against its own paragraph only (the setting of the SQuAD and
    SQuADShifts leaderboards), not against the whole corpus.
    """
    results: list[QuestionResult] = []
    for n, q in enumerate(questions, start=1):
        results.append(ask_and_score(index, q, reader, closed, settings))
        if progress is not None:
            progress(n, len(questions))
    return summarize(
        results,
        file=file,
        format=format,
        corpus=corpus,
        articles=len(index.articles),
        passages=len(index.passages),
        index_seconds=index_seconds,
    )


def run_evaluation(
    dataset: EvalSet,
    corpus_dir: Path | None = None,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    reader: str | None = None,
    closed: bool = False,
    open_index: Callable[[], CorpusIndex] | None = None,
    settings: EngineSettings | None = None,
) -> EvalReport:
    """Build the index a question set is asked against (its own paragraphs, or `corpus_dir`) and evaluate.

    `open_index`: how to get the index of `corpus_dir` instead of building it in memory (a saved one).
    """
    from retrieval.engine import build_index, with_vectors

    settings = settings or load_engine_settings()
    reader = reader or settings.reader
    started = time.perf_counter()
    if open_index is not None:
        index = open_index()
        corpus = str(corpus_dir)
    elif dataset.has_corpus:
        index = with_vectors(CorpusIndex.build(dataset.articles or [], dataset.passages or []), None, settings)
        corpus = f"the file's own {len(index.passages)} paragraphs"
    else:
        if corpus_dir is None or not Path(corpus_dir).is_dir():
            raise UsageError(f"corpus folder not found: {corpus_dir} (pass --corpus DIR with the articles)")
        index = build_index(Path(corpus_dir), settings)
        corpus = str(corpus_dir)
    index_seconds = time.perf_counter() - started
    questions = dataset.questions[:limit] if limit is not None else dataset.questions
    report = evaluate(
        index,
        questions,
        file=dataset.path.name,
        format=dataset.format,
        corpus=corpus,
        index_seconds=index_seconds,
        progress=progress,
        reader=reader,
        closed=closed,
        settings=settings,
    )
    report.skipped = list(index.skipped)
    report.reader = reader_name(reader)
    report.closed = closed
    return report


def _pct(part: float, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _split(results: Sequence[QuestionResult]) -> Split:
    n = len(results)
    return Split(
        questions=n,
        exact_match=_pct(sum(r.exact_match for r in results), n),
        f1=_pct(sum(r.f1 for r in results), n),
    )


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def calibration(results: Sequence[QuestionResult], thresholds: Sequence[float] = THRESHOLDS) -> list[CalibrationRow]:
    """For each confidence threshold: how many questions get an answer and how often it is right."""
    rows = []
    n = len(results)
    for t in thresholds:
        kept = [r for r in results if r.predicted is not None and r.confidence >= t]
        f1 = sum(r.f1 if (r.predicted is not None and r.confidence >= t) else float(not r.answerable) for r in results)
        rows.append(
            CalibrationRow(
                threshold=t,
                answered=_pct(len(kept), n) or 0.0,
                answered_count=len(kept),
                accuracy=_pct(sum(r.correct for r in kept), len(kept)),
                f1=_pct(f1, n) or 0.0,
            )
        )
    return rows


def summarize(
    results: Sequence[QuestionResult],
    *,
    file: str,
    format: str,  # noqa: A002
    corpus: str,
    articles: int,
    passages: int,
    index_seconds: float,
) -> EvalReport:
    """Aggregate per-question results into the report."""
    if not results:
        raise UsageError("no questions to evaluate")
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    answered = [r for r in answerable if r.predicted is not None]
    by_type = []
    for qtype in QUESTION_TYPES:
        group = [r for r in results if r.type == qtype]
        if not group:
            continue
        graded = [r for r in group if r.answerable]
        by_type.append(
            TypeRow(
                type=qtype,
                questions=len(group),
                exact_match=_pct(sum(r.exact_match for r in group), len(group)) or 0.0,
                f1=_pct(sum(r.f1 for r in group), len(group)) or 0.0,
                top1=_pct(sum(bool(r.top1) for r in graded), len(graded)),
                sentence=_pct(sum(bool(r.sentence_contains) for r in graded), len(graded)),
            )
        )
    kinds = Counter(r.miss for r in results if r.miss is not None)
    always = [r for r in answerable if r.always_f1 is not None]
    millis = [r.milliseconds for r in results]
    return EvalReport(
        file=file,
        format=format,
        corpus=corpus,
        articles=articles,
        passages=passages,
        questions=len(results),
        overall=_split(results),
        answerable=_split(answerable),
        unanswerable=_split(unanswerable),
        abstention_accuracy=_pct(sum((r.predicted is None) != r.answerable for r in results), len(results)) or 0.0,
        answered_answerable=_pct(len(answered), len(answerable)),
        abstained_unanswerable=_pct(sum(r.predicted is None for r in unanswerable), len(unanswerable)),
        top1=_pct(sum(bool(r.top1) for r in answerable), len(answerable)),
        top5=_pct(sum(bool(r.top5) for r in answerable), len(answerable)),
        bm25_top1=_pct(sum(bool(r.bm25_top1) for r in answerable), len(answerable)),
        bm25_top5=_pct(sum(bool(r.bm25_top5) for r in answerable), len(answerable)),
        sentence_contains=_pct(sum(bool(r.sentence_contains) for r in answerable), len(answerable)),
        sentence_contains_answered=_pct(sum(bool(r.sentence_contains) for r in answered), len(answered)),
        answer_passage_contains=_pct(sum(bool(r.answer_passage) for r in answered), len(answered)),
        latency=Latency(
            median_ms=round(statistics.median(millis), 2),
            p95_ms=round(percentile(millis, 95), 2),
            max_ms=round(max(millis), 2),
        ),
        index_seconds=round(index_seconds, 3),
        by_type=by_type,
        calibration=calibration(results),
        miss_kinds=[MissCount(kind=k, count=kinds[k]) for k in MISS_KINDS if kinds[k]],
        always_answering=Split(
            questions=len(always),
            exact_match=_pct(sum(r.always_em for r in always if r.always_em is not None), len(always)),
            f1=_pct(sum(r.always_f1 for r in always if r.always_f1 is not None), len(always)),
        ) if always else None,
        results=list(results),
    )
