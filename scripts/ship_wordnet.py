"""Write the WordNet 3.0 files that retrieval/synonyms.py reads into retrieval/wordnet/, compressed.

    python scripts/ship_wordnet.py /usr/share/wordnet        # or any WordNet 3.0 dict/ folder

What is shipped, per part of speech (noun, verb, adj, adv): `index.<pos>`, `data.<pos>` and
`<pos>.exc`, with plain line ends, gzip-compressed (5.5 MB in all instead of the 99 MB `wn`
package that carried them before). The glosses (definitions and examples, after " | " in each line
of a data file) are replaced by spaces: newsqa never reads them, and padding instead of cutting
keeps every line's length, so WordNet's byte offsets still point at the right synsets. The output
is deterministic (gzip without a timestamp) and SHA256SUMS records every file.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import sys
from pathlib import Path

POS = ("noun", "verb", "adj", "adv")
TARGET = Path(__file__).resolve().parent.parent / "retrieval" / "wordnet"


def blank_glosses(data: bytes) -> bytes:
    """A data file with every synset's gloss replaced by spaces of the same length."""
    out = []
    for line in data.split(b"\n"):
        if not line.startswith(b"  ") and b" | " in line:  # lines starting with two spaces are the licence
            cut = line.index(b" | ") + 3
            line = line[:cut] + b" " * (len(line) - cut)
        out.append(line)
    return b"\n".join(out)


def main(source: Path) -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    sums = []
    for pos in POS:
        for name in (f"index.{pos}", f"data.{pos}", f"{pos}.exc"):
            raw = (source / name).read_bytes().replace(b"\r\n", b"\n")
            if name.startswith("data."):
                raw = blank_glosses(raw)
            packed = gzip.compress(raw, compresslevel=9, mtime=0)
            (TARGET / f"{name}.gz").write_bytes(packed)
            sums.append(f"{hashlib.sha256(packed).hexdigest()}  {name}.gz")
    shutil.copyfile(source / "LICENSE", TARGET / "LICENSE")
    (TARGET / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="ascii")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
