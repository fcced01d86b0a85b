"""The saved index: JSON and .npy files in a folder, updated incrementally and swapped in atomically.

An index folder holds generations; `CURRENT` names the complete one and is the commit point:

    CURRENT              {"generation": "gen-000007", "manifest_sha256": ...}
    gen-000007/          one generation: its files are listed in layout.py
    lock, lock.owner     one writer at a time (filelock), and who that is
    tmp-<32 hex>/        a generation being written, or left behind by a crash (the next writer removes it)
    NEWSQA-INDEX         the marker: newsqa writes only in a folder that holds it (owned.py)

Where to read what:

    layout.py       the disk format; loading and verifying a generation (pydantic records, checksums, offsets)
    snapshot.py     a loaded generation in memory, and the index served from it
    write.py        writing a generation and the atomic commit (crash safety)
    scan.py         the cheap scan of the corpus folder and reading changed files
    plan.py         which files become articles; the report of what changed
    terms.py        term numbering and the BM25 merge
    lock.py         the writers' lock
    owned.py        which folder and which names in it are newsqa's to write and delete
    fsutil.py       memory maps, atomic small files, fsync, clean-up
    index_store.py  `IndexStore`: open, check, update

The index served from a generation holds no object per article or passage (retrieval/lazy.py): a
few numbers per passage in arrays, each article's metadata in lists, its text in the mapped
`texts.bin`; an `Article` or `Passage` is made when a question asks for it (issue #6: a whole engine
at 1M passages went from ~2.7 GB resident to a few hundred MB, bench/RESULTS.md).

Only new or changed files are read: a file whose name, size and modification time match the
manifest is taken from the saved index as it is. A read file whose content hash is already indexed
(a rename, a copy, a touch) reuses the stored passages and terms instead of being tokenized again.
"""

from retrieval.store.index_store import (
    DEFAULT_LOCK_TIMEOUT,
    CorpusState,
    IndexNotSaved,
    IndexStore,
    ProgressFactory,
    default_index_dir,
)
from retrieval.store.layout import FORMAT_VERSION, DamagedIndex, OutdatedIndex
from retrieval.store.lock import IndexLocked

__all__ = [
    "DEFAULT_LOCK_TIMEOUT", "FORMAT_VERSION", "CorpusState", "DamagedIndex", "IndexLocked", "IndexNotSaved", "IndexStore",
    "OutdatedIndex", "ProgressFactory", "default_index_dir",
]
