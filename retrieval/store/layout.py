"""The disk format of one generation, and loading it: every file checked against the manifest's size
and SHA-256, every record validated, every offset checked against what it points into.

    CURRENT              {"generation": "gen-000007", "manifest_sha256": ...}
    gen-000007/
        manifest.json    format and tokenizer versions, the corpus, counts, and the size and SHA-256
                         of every data file
        files.jsonl      one line per corpus file: name, size, mtime, content hash, what became of it
        articles.jsonl   one line per indexed article: metadata, content key, text length, passages
        texts.bin        the article texts, UTF-8, back to back
        vocab.json       every indexed term, sorted: term ids below are positions in this list
        term_ids.npy     every passage's term ids, back to back; term_ptr.npy says where each starts
        bm25-<name>.npy  `BM25Index.arrays()`, over the same term ids (memory-mapped)

Nothing here can run code when loaded: JSON, raw UTF-8 and `.npy` read with `allow_pickle=False`.
Whatever does not validate, checksums forged or not, is `DamagedIndex` (rebuilt with a notice), never
an error later while answering.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, with_config
from typing_extensions import NotRequired, TypedDict

from retrieval.bm25 import BM25Index
from retrieval.store.fsutil import map_file, read_regular, release, release_pages
from retrieval.store.snapshot import Lines, Metadata, Snapshot

FORMAT_VERSION = 5  # 2: BM25 arrays as (tf, length) pair codes; 3: one sorted vocabulary, JSON Lines; 4: .md articles as their plain text; 5: urls and titles cleaned of escapes and invisible characters, at most 10,000 passages an article
MAPPED = ("texts.bin", "files.jsonl", "articles.jsonl")  # served memory-mapped, checksummed through the map
JSON_FILES = ("files.jsonl", "articles.jsonl", "texts.bin", "vocab.json")
ARRAY_FILES = ("term_ids.npy", "term_ptr.npy")
BM25_ARRAYS = ("indptr", "doc_ids", "impact_codes", "pair_tf", "pair_dl", "doc_lens")
DATA_FILES = frozenset(JSON_FILES + ARRAY_FILES + tuple(f"bm25-{n}.npy" for n in BM25_ARRAYS))
# Items per json.dumps or sort call on a long list: each call is one uninterrupted hold of the GIL.
JSON_CHUNK = 16384
LINES_PER_WRITE = 4096
LINES_PER_PARSE = 2048  # about 1 MB of article lines: ~10 ms a call
MAX_MANIFEST_BYTES = 1 << 20  # a manifest names a dozen files: anything larger is not one


class DamagedIndex(Exception):
    """The saved index is truncated, corrupted or half there; the message says what is wrong."""


class OutdatedIndex(Exception):
    """The saved index was made by another format, tokenizer or for another corpus folder."""


# --- records -------------------------------------------------------------------------------------

Count = Annotated[int, Field(ge=0)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
_STRICT = ConfigDict(strict=True, extra="forbid")


class CurrentRecord(BaseModel):
    """CURRENT: the commit point."""

    model_config = _STRICT
    generation: Annotated[str, Field(pattern=r"^gen-[0-9]{6,}$")]
    manifest_sha256: Sha256


class DataRecord(BaseModel):
    model_config = _STRICT
    size: Count
    sha256: Sha256


class Manifest(BaseModel):
    model_config = _STRICT
    format: int
    tokenizer: str
    corpus: str
    written: str
    articles: Count
    passages: Count
    data: dict[str, DataRecord]


@with_config(_STRICT)
class FileRecord(TypedDict):
    name: str
    size: Count
    mtime_ns: int
    sha256: NotRequired[Sha256]
    status: NotRequired[Literal["indexed", "duplicate", "skipped"]]
    reason: NotRequired[str]
    racy: NotRequired[bool]


@with_config(_STRICT)
class ArticleRecord(TypedDict):
    id: str
    file: str
    key: str
    title: str
    text_bytes: Count
    passages: list[tuple[Annotated[int, Field(ge=1)], Count, Count, str | None]]
    published: NotRequired[str]
    url: NotRequired[str]
    source: NotRequired[str]


_FILE_RECORDS = TypeAdapter(list[FileRecord])
_ARTICLE_RECORDS = TypeAdapter(list[ArticleRecord])
_VOCAB = TypeAdapter(list[str], config=ConfigDict(strict=True))


class FileStat(NamedTuple):
    """What the change check needs of a directory entry, named as in `os.stat_result`; `refusal`
    says why an entry that poses as an article (a FIFO, a folder, a link out) can't be one."""

    st_size: int
    st_mtime_ns: int
    refusal: str | None = None


@dataclass(frozen=True, slots=True)  # slots: 100k of them at 1M passages, ~35 MB less than with a __dict__ each
class FileEntry:
    """One file of the corpus folder as last seen: its stat, content hash, and what became of it."""

    name: str
    size: int
    mtime_ns: int
    sha256: str | None = None  # None for a file never read (unsupported type, too large)
    status: str = "indexed"  # "indexed", "duplicate" or "skipped"
    reason: str | None = None
    racy: bool = False

    def same_stat(self, size: int, mtime_ns: int) -> bool:
        return not self.racy and self.size == size and self.mtime_ns == mtime_ns

    def to_json(self) -> dict[str, Any]:
        """The entry as a files.jsonl record, leaving out what is unset."""
        # `is`, not `in (None, False)`: 0 == False, and an empty file's size is 0.
        values = ((k, getattr(self, k)) for k in self.__slots__)
        return {k: v for k, v in values if v is not None and v is not False}


def same_files(files: dict[str, FileEntry], old_files: dict[str, FileEntry]) -> bool:
    """The same entries, a racy mark aside: a file read again because it was racy and found unchanged."""
    if files.keys() != old_files.keys():
        return False
    return all(
        new == old or (old.racy and replace(old, racy=new.racy) == new)
        for new, old in ((files[n], old_files[n]) for n in files)
    )


def _lines(data: bytes | mmap.mmap, name: str) -> Lines:
    try:
        return Lines.of(data)
    except ValueError as exc:
        raise DamagedIndex(f"{name}: {exc}") from exc


def _records(lines: Lines, adapter: TypeAdapter[Any], name: str, via_json_module: bool = False) -> Iterator[Any]:
    """Each line's record, validated; `LINES_PER_PARSE` lines per call, never one over the whole corpus
    (that would hold the GIL, and a bot's event loop, for ~0.1 s per 10k articles)."""
    for start in range(0, len(lines), LINES_PER_PARSE):
        chunk = lines[start : start + LINES_PER_PARSE]
        blob = b"[" + b",".join(chunk) + b"]"
        try:
            # File names may hold escaped surrogates (JSON allows them, pydantic's parser does not).
            values = adapter.validate_python(json.loads(blob)) if via_json_module else adapter.validate_json(blob)
        except (ValidationError, ValueError, RecursionError) as exc:
            raise DamagedIndex(f"{name} holds a record that is not valid ({_first_error(exc)})") from exc
        if len(values) != len(chunk):
            raise DamagedIndex(f"{name}: a line holds more than one record")
        yield from values


def _first_error(exc: Exception, in_list: bool = True) -> str:
    """What is wrong, in a few words: where (a record's field) and the first complaint."""
    if isinstance(exc, ValidationError):
        error = exc.errors(include_url=False, include_input=False)[0]
        where = error["loc"][1:] if in_list else error["loc"]
        return f"{'.'.join(map(str, where)) or 'value'}: {error['msg']}"
    return exc.__class__.__name__


# --- loading -------------------------------------------------------------------------------------


def read_current(index_dir: Path) -> CurrentRecord | None:
    """What CURRENT names; None when there is no index yet."""
    path = index_dir / "CURRENT"
    try:
        raw = read_regular(path, 4096)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DamagedIndex(f"CURRENT is unreadable ({exc.strerror or exc})") from exc
    try:
        return CurrentRecord.model_validate_json(raw)
    except ValidationError as exc:
        raise DamagedIndex("CURRENT is unreadable") from exc


def load_generation(index_dir: Path, current: CurrentRecord, corpus_key: str, tokenizer: str) -> Snapshot:
    """Read and verify the generation CURRENT names. Raises `DamagedIndex`, `OutdatedIndex`, or
    `FileNotFoundError` when a writer removed it while we read (the caller reads the new one)."""
    folder = index_dir / current.generation
    if not folder.is_dir():
        raise DamagedIndex(f"{current.generation} is missing")
    try:
        return _load(folder, current, corpus_key, tokenizer)
    except FileNotFoundError:
        raise
    except OSError as exc:  # a folder where a file should be, no permission...
        raise DamagedIndex(f"cannot read {Path(exc.filename or '?').name} ({exc.strerror or exc})") from exc


def _load(folder: Path, current: CurrentRecord, corpus_key: str, tokenizer: str) -> Snapshot:
    raw = read_regular(folder / "manifest.json", MAX_MANIFEST_BYTES)
    if hashlib.sha256(raw).hexdigest() != current.manifest_sha256:
        raise DamagedIndex("manifest.json does not match its checksum (truncated or corrupted)")
    manifest = _manifest(raw, corpus_key, tokenizer)
    contents: dict[str, bytes | mmap.mmap] = {}
    for name, expected in manifest.data.items():
        path = folder / name
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            raise DamagedIndex(f"{name} is not a file")
        size = st.st_size
        if size != expected.size:
            raise DamagedIndex(f"{name} is truncated or damaged ({size} bytes, expected {expected.size})")
        # Checksummed through a memory map where the file is served mapped (texts.bin, the JSON
        # Lines files, the .npy arrays): no copy of 750 MB at a million passages, and the pages the
        # hash read are handed back after (they stay in the page cache for the parse and the queries).
        mapped = name.endswith(".npy") or name in MAPPED
        blob = map_file(path) if mapped else read_regular(path)
        if hashlib.sha256(blob).hexdigest() != expected.sha256:
            raise DamagedIndex(f"{name} is corrupted (its checksum does not match)")
        if mapped:
            release(blob)
        if not name.endswith(".npy"):
            contents[name] = blob
        del blob

    files: dict[str, FileEntry] = {}
    file_lines = _lines(contents["files.jsonl"], "files.jsonl")
    for record in _records(file_lines, _FILE_RECORDS, "files.jsonl", via_json_module=True):
        files[record["name"]] = FileEntry(**record)
    if len(files) != len(file_lines) or list(files) != sorted(files):
        raise DamagedIndex("files.jsonl names a file twice or out of order")
    article_lines = _lines(contents["articles.jsonl"], "articles.jsonl")
    ids, paths, keys, text_at, passage_at = [], [], [], [0], [0]
    meta = Metadata()
    try:
        for record in _records(article_lines, _ARTICLE_RECORDS, "articles.jsonl"):
            ids.append(record["id"])
            paths.append(record["file"])
            keys.append(record["key"])
            text_at.append(text_at[-1] + record["text_bytes"])
            passage_at.append(passage_at[-1] + len(record["passages"]))
            meta.add(record["title"], record.get("published"), record.get("url"), record.get("source"))
            meta.add_passages(record["passages"])
    except OverflowError as exc:  # a number beyond 32 bits in a passage row
        raise DamagedIndex("articles.jsonl holds an offset out of range") from exc
    release(file_lines.data)  # read through once to parse: only an update reads them again
    release(article_lines.data)
    if len(set(ids)) != len(ids) or len(set(keys)) != len(keys):
        raise DamagedIndex("articles.jsonl names an article twice")
    if len(ids) != manifest.articles or passage_at[-1] != manifest.passages or text_at[-1] != len(contents["texts.bin"]):
        raise DamagedIndex("articles.jsonl does not match the manifest")
    try:
        vocab = _VOCAB.validate_json(bytes(contents["vocab.json"]))  # read whole, not mapped: bytes() copies nothing
    except ValidationError as exc:
        raise DamagedIndex("vocab.json is not a list of terms") from exc
    if any(a >= b for a, b in zip(vocab, vocab[1:])):
        raise DamagedIndex("vocab.json is not sorted")
    fields = meta.fields()
    _check_texts(contents["texts.bin"], text_at, passage_at, fields["passage_rows"])
    arrays = {name: load_npy(folder / f"bm25-{name}.npy") for name in BM25_ARRAYS}
    term_ids, term_ptr = load_npy(folder / "term_ids.npy"), load_npy(folder / "term_ptr.npy")
    _check_terms(term_ids, term_ptr, len(vocab), passage_at[-1])
    _check_bm25(arrays, len(vocab), passage_at[-1])
    release_pages(term_ids)  # read through once to check it; only an update reads it again
    return Snapshot(
        generation=current.generation, folder=folder, manifest=manifest.model_dump(), files=files,
        file_lines=file_lines, article_lines=article_lines, ids=ids, paths=paths, keys=keys,
        text_at=text_at, passage_at=passage_at, texts=contents["texts.bin"], **fields, vocab=vocab,
        term_ids=term_ids, term_ptr=term_ptr, bm25_arrays=arrays, manifest_sha256=current.manifest_sha256,
    )


def _manifest(raw: bytes, corpus_key: str, tokenizer: str) -> Manifest:
    """The manifest, if it is this format's, for this tokenizer and corpus, naming exactly our files."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise DamagedIndex("manifest.json is not valid JSON") from exc
    if not isinstance(data, dict):
        raise DamagedIndex("manifest.json is not an object")
    if data.get("format") != FORMAT_VERSION:
        raise OutdatedIndex(f"it has index format {_shown(data.get('format'))}, this newsqa uses format {FORMAT_VERSION}")
    if data.get("tokenizer") != tokenizer:
        raise OutdatedIndex(f"it was made with tokenizer {_shown(data.get('tokenizer'))}, this newsqa uses {tokenizer}")
    if data.get("corpus") != corpus_key:
        raise OutdatedIndex(f"it was made for the corpus {_shown(data.get('corpus'))}, not {_shown(corpus_key)}")
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        raise DamagedIndex(f"manifest.json is not valid ({_first_error(exc, in_list=False)})") from exc
    if set(manifest.data) != DATA_FILES:
        raise DamagedIndex("manifest.json does not list the index's data files")
    return manifest


def _shown(value: object) -> str:
    """A value read from a manifest, short enough for a one-line notice."""
    text = " ".join(str(value).split())
    return text if len(text) <= 100 else text[:99] + "…"


def _check_texts(texts: bytes | mmap.mmap, text_at: list[int], passage_at: list[int], rows: np.ndarray) -> None:
    """Every article's text is UTF-8 and holds its passages: start <= end <= its length in characters."""
    lengths = np.empty(len(text_at) - 1, dtype=np.int64)
    for i in range(len(lengths)):
        try:
            lengths[i] = len(texts[text_at[i] : text_at[i + 1]].decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise DamagedIndex("texts.bin holds text that is not UTF-8") from exc
    if not len(rows):
        return
    counts: np.ndarray = np.diff(np.asarray(passage_at, dtype=np.int64))  # numpy's stubs say timedelta64
    limit = np.repeat(lengths, counts)
    start, end = rows[:, 1], rows[:, 2]
    if not (np.all(start <= end) and np.all(end <= limit)):
        raise DamagedIndex("articles.jsonl holds a passage outside its article's text")


def _integers(a: np.ndarray, name: str) -> None:
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise DamagedIndex(f"{name} is not a flat array of integers")


def _check_terms(term_ids: np.ndarray, term_ptr: np.ndarray, n_terms: int, n_passages: int) -> None:
    _integers(term_ids, "term_ids.npy")
    _integers(term_ptr, "term_ptr.npy")
    if len(term_ptr) != n_passages + 1 or int(term_ptr[0]) != 0 or int(term_ptr[-1]) != len(term_ids):
        raise DamagedIndex("term_ptr.npy does not match the passages in the manifest")
    if np.any(np.diff(term_ptr) < 0):
        raise DamagedIndex("term_ptr.npy goes backwards")
    if len(term_ids) and (int(term_ids.min()) < 0 or int(term_ids.max()) >= n_terms):
        raise DamagedIndex("term_ids.npy holds a term id that vocab.json lacks")


def _check_bm25(arrays: dict[str, np.ndarray], n_terms: int, n_passages: int) -> None:
    for name, a in arrays.items():
        _integers(a, f"bm25-{name}.npy")
    try:
        BM25Index.check_arrays(n_terms, arrays)
    except ValueError as exc:
        raise DamagedIndex(f"the BM25 arrays are unusable ({exc})") from exc
    indptr, doc_ids, codes = arrays["indptr"], arrays["doc_ids"], arrays["impact_codes"]
    if int(indptr[0]) != 0 or int(indptr[-1]) != len(doc_ids) or np.any(np.diff(indptr) < 0):
        raise DamagedIndex("the BM25 postings do not fit their index")
    if len(arrays["doc_lens"]) != n_passages or len(arrays["pair_tf"]) != len(arrays["pair_dl"]):
        raise DamagedIndex("the BM25 arrays do not match the passages")
    if len(doc_ids) and (int(doc_ids.min()) < 0 or int(doc_ids.max()) >= n_passages):
        raise DamagedIndex("the BM25 postings name a passage that is not there")
    if len(codes) and (int(codes.min()) < 0 or int(codes.max()) >= len(arrays["pair_tf"])):
        raise DamagedIndex("the BM25 postings name a weight that is not there")


def load_npy(path: Path) -> np.ndarray:
    """A `.npy` file, memory-mapped read-only; never an object array (that would need pickle)."""
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except OSError:
        raise  # the caller words it (and retries a file a writer removed)
    except Exception as exc:  # noqa: BLE001 - NumPy's header parser raises many kinds on a hostile header
        raise DamagedIndex(f"{path.name} is not a plain NumPy array file") from exc


