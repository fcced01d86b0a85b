"""What an update indexes: one article per content and per article id, articles read now or taken
over from the previous generation, and the report of what changed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from retrieval.admission import HTML_SUFFIXES, shown_name
from retrieval.ingest import article_id_for
from retrieval.models import Article, IndexReport, Passage, SkippedFile
from retrieval.store.layout import FileEntry
from retrieval.store.snapshot import Snapshot


@dataclass(frozen=True)
class FreshArticle:
    """An article read and tokenized in this update."""

    article: Article
    passages: list[Passage]
    terms: list[list[str]]
    key: str  # "<parser>:<sha256>": the same bytes read as .txt and as .md are different articles
    stored = None  # never in the previous generation

    @property
    def article_id(self) -> str:
        return self.article.id

    @property
    def path(self) -> str:
        return self.article.path

    @property
    def passage_count(self) -> int:
        return len(self.passages)


@dataclass(frozen=True)
class StoredArticle:
    """Article number `stored` of the previous generation, taken over without reading or tokenizing
    it: an update copies its text, passage rows and term ids as they are. `renamed_as` holds its
    objects under a new file name (new ids, same text and terms), None while it keeps its name."""

    snapshot: Snapshot
    stored: int
    key: str
    renamed_as: tuple[Article, list[Passage]] | None = None

    @property
    def article_id(self) -> str:
        return self.renamed_as[0].id if self.renamed_as else self.snapshot.ids[self.stored]

    @property
    def path(self) -> str:
        return self.renamed_as[0].path if self.renamed_as else self.snapshot.paths[self.stored]

    @property
    def passage_count(self) -> int:
        return self.snapshot.passage_count(self.stored)

    def renamed(self, file_name: str) -> StoredArticle:
        """The same content under another file name."""
        new_id = article_id_for(Path(file_name))
        old, passages = self.snapshot.article(self.stored)
        title = new_id if old.title == old.id else old.title  # the title fell back to the id
        article = old.model_copy(update={"id": new_id, "path": file_name, "title": title})
        passages = [p.model_copy(update={"id": f"{new_id}#{p.number}", "article_id": new_id}) for p in passages]
        return replace(self, renamed_as=(article, passages))


PlannedArticle = FreshArticle | StoredArticle


def parser_kind(name: str) -> str:
    """The parser a file name asks for ("txt", "md", "html"): the content key's first part."""
    # os.path.splitext(name)[1] of a file name, without its per-call overhead (an update asks for
    # every file of the corpus: 100k names at 1M passages).
    dot = name.rfind(".")
    suffix = name[dot:].lower() if dot > 0 and name[:dot].lstrip(".") else ""
    return "html" if suffix in HTML_SUFFIXES else suffix.lstrip(".")


def article_id(name: str) -> str:
    """`article_id_for(Path(name))` of a file name (its stem), without making a Path: pathlib's rule."""
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def choose(files: dict[str, FileEntry], old_files: dict[str, FileEntry]) -> list[tuple[str, str]]:
    """The files that become articles, as (file name, content key) in name order: one per content key
    and one per article id. The others are marked duplicates in `files`, with the reason. A file that
    was indexed before keeps its place, so a new copy is the duplicate, not the original."""

    def preference(name: str) -> tuple[int, str]:
        prev = old_files.get(name)
        return (0 if prev is not None and prev.status == "indexed" and prev.sha256 == files[name].sha256 else 1, name)

    keys: dict[str, str] = {}  # content key -> file name
    ids: dict[str, str] = {}  # article id -> file name
    chosen: list[tuple[str, str]] = []
    for name in sorted((n for n in files if files[n].status != "skipped"), key=preference):
        entry = files[name]
        key = f"{parser_kind(name)}:{entry.sha256}"
        aid = article_id(name)
        if key in keys:
            files[name] = replace(entry, status="duplicate", reason=f"same text as {keys[key]} (indexed once)")
        elif aid in ids:
            files[name] = replace(
                entry, status="duplicate",
                reason=f"another file, {ids[aid]}, has the same article id {aid!r}: rename one of them",
            )
        else:
            if entry.status != "indexed" or entry.reason is not None:
                files[name] = replace(entry, status="indexed", reason=None)
            keys[key], ids[aid] = name, name
            chosen.append((name, key))
    chosen.sort()
    return chosen


def report_changes(plan: list[tuple[str, str]], files: dict[str, FileEntry], snapshot: Snapshot | None) -> IndexReport:
    """What the plan adds, updates, renames, removes and keeps, by article id, and what it skips."""
    report = IndexReport()
    old_keys = snapshot.article_keys if snapshot else {}
    new_keys = {article_id(name): key for name, key in plan}
    old_by_key = {k: i for i, k in old_keys.items()}
    for aid, key in new_keys.items():
        before = old_keys.get(aid)
        if before == key:
            report.unchanged.append(aid)
        elif before is not None:
            report.updated.append(aid)
        elif key in old_by_key and old_by_key[key] not in new_keys:
            report.renamed[old_by_key[key]] = aid
        else:
            report.added.append(aid)
    report.removed = [i for i in old_keys if i not in new_keys and i not in report.renamed]
    report.skipped = [SkippedFile(path=shown_name(n), reason=files[n].reason or "") for n in sorted(files) if files[n].status != "indexed"]
    return report


def articles_for(
    plan: list[tuple[str, str]], fresh: dict[str, FreshArticle], snapshot: Snapshot | None
) -> list[PlannedArticle]:
    """The new generation's articles in order: read now, or taken over from the previous one."""
    articles: list[PlannedArticle] = []
    for name, key in plan:
        parsed: PlannedArticle | None = fresh.get(key)
        if parsed is None:
            if snapshot is None or (number := snapshot.number_of(key)) is None:
                raise KeyError(key)  # choose() only plans keys read now or stored
            parsed = StoredArticle(snapshot, number, key)
        if parsed.path != name:
            parsed = parsed.renamed(name) if isinstance(parsed, StoredArticle) else _renamed_fresh(parsed, name)
        articles.append(parsed)
    return articles


def _renamed_fresh(parsed: FreshArticle, file_name: str) -> FreshArticle:
    """A fresh article's content, indexed under another of the file names that hold it."""
    new_id = article_id_for(Path(file_name))
    old = parsed.article
    title = new_id if old.title == old.id else old.title
    article = old.model_copy(update={"id": new_id, "path": file_name, "title": title})
    passages = [p.model_copy(update={"id": f"{new_id}#{p.number}", "article_id": new_id}) for p in parsed.passages]
    return FreshArticle(article, passages, parsed.terms, parsed.key)
