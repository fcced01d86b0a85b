"""A reproducible news-like corpus for benchmarks: Zipf words, paragraph-sized passages, fixed seed.

The vocabulary is ranked by frequency and drawn from a Zipf-Mandelbrot law, as word frequencies in
news text are. English stop words hold most of the top ranks (as "the", "of", "to" do in real text;
about a third of all words), interleaved with the commonest content words, so that after stop-word
removal the commonest index terms are found in a fifth of the passages, like "said" in news.
Content words are pronounceable made-up words, some of them capitalised names, some numbers and
years. Passages are paragraphs of 8 to 250 words (log-normal, median 40) made of sentences; articles
have 4 to 16 of them.

Every word is tokenized once with newsqa's tokenizer, so a passage's index terms come out as numpy
arrays of term ids without tokenizing the text again (`check_tokens` confirms they are what
`tokenize(passage.text)` gives).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.models import Article, Passage
from retrieval.tokens import tokenize

SEED = 20240606
CONTENT_WORDS = 250_000
ZIPF_S, ZIPF_Q = 1.0, 2.7

# Function words in rough order of frequency in English news.
STOP = (
    "the of to and a in that for is on said was with he it as at by from his an be has have are "
    "but were which had its not they who this been their or will would after more about also we one "
    "there than when up all out into can over other could some new what only if them no him most "
    "her so before our these just while where may any such should because then very do both own "
    "under same against between through during those each being off did again further once here "
    "how why whom until above below down further nor too few having doing am"
).split()

_ONSETS = "b c d f g h j k l m n p r s t v w z br cr dr gr pr tr st sl sk pl bl fl gl kl".split()
_VOWELS = "a e i o u ai ou ea io".split()
_CODAS = ["", "", "", "n", "r", "l", "s", "m", "t", "k", "x"]


@dataclass
class SyntheticCorpus:
    """Articles and passages, and each passage's index terms as ids into `terms`."""

    articles: list[Article]
    passages: list[Passage]
    terms: list[str]
    token_ids: np.ndarray  # every passage's term ids, one passage after another
    doc_lens: np.ndarray  # how many term ids each passage has
    questions: list[str]

    def token_lists(self) -> list[list[str]]:
        """Each passage's index terms as strings, as rank-bm25 and bm25s take them."""
        terms = np.array(self.terms, dtype=object)
        flat = terms[self.token_ids].tolist()
        bounds = np.concatenate(([0], np.cumsum(self.doc_lens))).tolist()
        return [flat[bounds[i] : bounds[i + 1]] for i in range(len(self.doc_lens))]


def _vocabulary(rng: np.random.Generator) -> list[str]:
    """Surface forms by frequency rank: stop words and common content words first."""
    words: set[str] = set(STOP)
    content: list[str] = []
    while len(content) < CONTENT_WORDS:
        batch = 100_000
        n = rng.choice([1, 2, 2, 2, 3, 3], size=batch)
        parts = rng.integers(0, len(_ONSETS), (batch, 3)), rng.integers(0, len(_VOWELS), (batch, 3))
        codas = rng.integers(0, len(_CODAS), batch)
        for j in range(batch):
            word = "".join(_ONSETS[parts[0][j, s]] + _VOWELS[parts[1][j, s]] for s in range(n[j])) + _CODAS[codas[j]]
            if len(word) > 2 and word not in words:
                words.add(word)
                content.append(word)
    content = content[:CONTENT_WORDS]
    for i in range(0, len(content), 97):  # numbers and years among the content words
        content[i] = str(1950 + i % 76) if i % 2 else str(int(rng.integers(2, 100_000)))
    for i in range(3, len(content), 13):  # names are written with a capital
        content[i] = content[i].capitalize()
    stop = list(STOP)
    ranked = stop[:20]
    for s, c in zip(stop[20:], content):
        ranked += [c, s]
    used = len(stop) - 20
    return ranked + content[used:]


def make_corpus(n_passages: int, n_questions: int = 240, seed: int = SEED) -> SyntheticCorpus:
    """`n_passages` passages in articles of 4 to 16, and questions of 3 to 10 words about them."""
    rng = np.random.default_rng(seed)
    vocab = _vocabulary(rng)
    ranks = np.arange(1, len(vocab) + 1, dtype=np.float64)
    p = (ranks + ZIPF_Q) ** -ZIPF_S
    cdf = np.cumsum(p / p.sum())
    lengths = np.clip(rng.lognormal(np.log(40), 0.55, n_passages), 8, 250).astype(np.int64)
    words = np.minimum(np.searchsorted(cdf, rng.random(int(lengths.sum()))), len(vocab) - 1).astype(np.int32)

    # Index terms of every vocabulary word, tokenized once (-1: a stop word, not indexed).
    terms: list[str] = []
    term_id: dict[str, int] = {}
    word_term = np.full(len(vocab), -1, dtype=np.int32)
    for i, w in enumerate(vocab):
        t = tokenize(w)
        if t:
            word_term[i] = term_id.setdefault(t[0], len(terms))
            if word_term[i] == len(terms):
                terms.append(t[0])
    ids = word_term[words]
    kept = ids >= 0
    doc_of_word = np.repeat(np.arange(n_passages), lengths)
    doc_lens = np.bincount(doc_of_word[kept], minlength=n_passages).astype(np.int64)
    token_ids = ids[kept]

    # Text: sentences of 8 to 28 words, capitalised, with a full stop.
    surface = vocab
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    sent_breaks = rng.integers(8, 29, size=int(lengths.sum()) // 8 + 1)
    texts: list[str] = []
    brk = 0
    for s, n in zip(starts.tolist(), lengths.tolist()):
        ws = [surface[w] for w in words[s : s + n].tolist()]
        sentences, i = [], 0
        while i < n:
            m = int(sent_breaks[brk % len(sent_breaks)])
            brk += 1
            chunk = ws[i : i + m]
            chunk[0] = chunk[0][:1].upper() + chunk[0][1:]
            sentences.append(" ".join(chunk) + ".")
            i += m
        texts.append(" ".join(sentences))

    articles: list[Article] = []
    passages: list[Passage] = []
    per_article = rng.integers(4, 17, size=n_passages // 4 + 1)
    i = a = 0
    while i < n_passages:
        paras = texts[i : i + int(per_article[a])]
        art_id = f"synthetic-{a:07d}"
        body, offset = [], 0
        for n, para in enumerate(paras, start=1):
            passages.append(
                Passage.model_construct(
                    id=f"{art_id}#{n}", article_id=art_id, number=n, start=offset, end=offset + len(para), text=para, heading=None
                )
            )
            body.append(para)
            offset += len(para) + 2
        text = "\n\n".join(body)
        title = " ".join(paras[0].split()[:7]).rstrip(".")
        articles.append(
            Article.model_construct(id=art_id, path=f"{art_id}.txt", title=title, published="2024-06-06", url=None, source=None, text=text)
        )
        i += len(paras)
        a += 1

    # Questions: a question word and 2 to 9 content words of one passage, in their order.
    wh = ["What", "Who", "When", "Where", "How many", "Why", "Which", "How much", "What did the"]
    questions = []
    for _ in range(n_questions):
        d = int(rng.integers(n_passages))
        content_at = np.flatnonzero(word_term[words[starts[d] : starts[d] + lengths[d]]] >= 0)
        lead = wh[int(rng.integers(len(wh)))]
        n = min(int(rng.integers(3, 11)) - len(lead.split()), len(content_at))
        pick = np.sort(rng.choice(content_at, size=max(n, 1), replace=False))
        questions.append(f"{lead} {' '.join(surface[w] for w in words[starts[d] + pick].tolist())}?")
    return SyntheticCorpus(articles, passages, terms, token_ids.astype(np.int32), doc_lens, questions)


def check_tokens(corpus: SyntheticCorpus, sample: int = 200) -> None:
    """The precomputed term ids of a sample of passages equal what `tokenize` gives for their text."""
    bounds = np.concatenate(([0], np.cumsum(corpus.doc_lens)))
    step = max(1, len(corpus.passages) // sample)
    for d in range(0, len(corpus.passages), step):
        got = [corpus.terms[i] for i in corpus.token_ids[bounds[d] : bounds[d + 1]].tolist()]
        want = tokenize(corpus.passages[d].text)
        if got != want:
            raise AssertionError(f"passage {d}: precomputed terms differ from tokenize(): {got[:10]} vs {want[:10]}")
