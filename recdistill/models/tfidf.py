"""Content-based baseline: TF-IDF item vectors, user profile = mean of history vectors.

Words are runs of letters and digits. Chinese, Japanese and Korean text has no
spaces between words, so a run that holds CJK characters is segmented by
``jieba`` (its dictionary-based precise mode; loaded on first use, about 0.6 s);
without it a whole Chinese title would be one "word" and every title its own
term, which makes the baseline degenerate.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import Field
from scipy import sparse

from recdistill.errors import DataError
from recdistill.models._sparse import history_matrix
from recdistill.models.base import (
    FitOptions,
    Histories,
    ModelConfig,
    Recommender,
    TrainData,
    register,
)
from recdistill.models.state import CSR, declare

_WORD = re.compile(r"[^\W_]+")
# CJK ideographs (unified, extensions A-G, compatibility), kana and Hangul syllables.
_CJK = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\U00020000-\U0003134f]"
)
_SEGMENTER: Any = None


class TfidfConfig(ModelConfig):
    """Hyperparameters of :class:`Tfidf`."""

    bigrams: bool = Field(False, description="Add pairs of adjacent words to the vocabulary.")
    min_df: int = Field(1, ge=1, description="Drop terms found in fewer items than this.")
    max_df: float = Field(
        1.0, gt=0.0, le=1.0, description="Drop terms found in more than this share of items."
    )
    sublinear_tf: bool = Field(True, description="Term frequency 1 + log(count) instead of count.")
    use_category: bool = Field(False, description="Append the item's category to its text.")
    recency_half_life: float | None = Field(
        None,
        gt=0.0,
        description="Weight history items by 0.5 ** (age / half_life), age 0 the most recent "
        "item; null: plain mean.",
    )


def _segment(run: str) -> list[str]:
    """Words of a letter/digit run that holds CJK characters (jieba's precise mode)."""
    global _SEGMENTER
    if _SEGMENTER is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" lines on stderr
        _SEGMENTER = jieba.Tokenizer()
    return [w for w in _SEGMENTER.lcut(run) if _WORD.fullmatch(w)]


def tokenize(text: str, bigrams: bool = False) -> list[str]:
    """Lowercase words and numbers (runs of letters/digits), optionally with bigrams.

    Runs holding CJK characters are split into words by ``jieba``.

    >>> tokenize("The Matrix (1999)", bigrams=True)
    ['the', 'matrix', '1999', 'the matrix', 'matrix 1999']
    >>> tokenize("极光X5 硅胶手机壳")
    ['极光', 'x5', '硅胶', '手机', '壳']
    """
    words = _WORD.findall(text.lower())
    if any(_CJK.search(w) for w in words):
        words = [part for w in words for part in (_segment(w) if _CJK.search(w) else [w])]
    if bigrams:
        return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
    return words


def tfidf_matrix(
    texts: Sequence[str],
    *,
    bigrams: bool = False,
    min_df: int = 1,
    max_df: float = 1.0,
    sublinear_tf: bool = True,
) -> tuple[sparse.csr_matrix, list[str]]:
    """L2-normalised TF-IDF rows (float32 CSR ``n_texts x V``) and the vocabulary.

    ``idf(t) = ln((1 + n) / (1 + df(t))) + 1`` (the smoothed form). A text
    with no kept term gets a zero row.
    """
    vocab: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for r, text in enumerate(texts):
        for tok in tokenize(text, bigrams):
            rows.append(r)
            cols.append(vocab.setdefault(tok, len(vocab)))
    n = len(texts)
    counts = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(n, len(vocab))
    )
    counts.sum_duplicates()
    df = np.diff(counts.tocsc().indptr)
    keep = (df >= min_df) & (df <= max_df * n)
    terms = np.array(list(vocab), dtype=object)
    counts = counts[:, np.flatnonzero(keep)].tocsr()
    idf = np.log((1.0 + n) / (1.0 + df[keep])) + 1.0
    if sublinear_tf:
        counts.data = 1.0 + np.log(counts.data)
    x = sparse.csr_matrix(counts @ sparse.diags(idf))
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    x = sparse.csr_matrix(sparse.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ x)
    x = x.astype(np.float32)
    x.sort_indices()
    return x, [str(t) for t in terms[keep]]


@register
class Tfidf(Recommender):
    """Cosine between a history's mean TF-IDF vector and each item's TF-IDF vector.

    The profile is the (optionally recency-weighted) mean of the history
    items' L2-normalised vectors. Items with empty text have a zero vector
    and score 0; a history whose items all lack text, or an empty history,
    scores zero everywhere. The user index is ignored.

    State: ``items`` (``I x V`` CSR of the normalised item vectors); the
    vocabulary is not needed at serving time and is not stored.
    """

    kind = "tfidf"
    Config = TfidfConfig
    config: TfidfConfig
    STATE = declare({"items": CSR("items")})
    items: sparse.csr_matrix

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__(config)
        self.vocabulary: list[str] = []
        self._derive()

    def _derive(self) -> None:
        self._items_t = self.items.T.tocsr()

    def _fit(self, data: TrainData, options: FitOptions) -> None:
        c = self.config
        texts = list(data.item_text) or [""] * self.n_items
        if len(texts) != self.n_items:
            raise DataError(f"tfidf: item_text has {len(texts)} entries for {self.n_items} items")
        if c.use_category and data.item_category:
            texts = [f"{t} {cat}" for t, cat in zip(texts, data.item_category, strict=True)]
        self.items, self.vocabulary = tfidf_matrix(
            texts,
            bigrams=c.bigrams,
            min_df=c.min_df,
            max_df=c.max_df,
            sublinear_tf=c.sublinear_tf,
        )

    def _weights(self, batch: Histories) -> np.ndarray | None:
        """Per history entry, ``0.5 ** (age / half_life)`` (``[nnz]``), or None for equal."""
        half_life = self.config.recency_half_life
        if half_life is None:
            return None
        lengths = batch.lengths()
        ends = np.repeat(batch.indptr[1:], lengths)
        age = ends - 1 - np.arange(batch.items.shape[0])
        return np.power(0.5, age / half_life)

    def score(self, batch: Histories) -> np.ndarray:
        """``B x I`` float32 cosine similarities in ``[-1, 1]`` (``[0, 1]`` in practice)."""
        h = history_matrix(batch, self.n_items, self._weights(batch))
        profile = sparse.csr_matrix(h @ self.items)  # B x V
        norms = np.sqrt(np.asarray(profile.multiply(profile).sum(axis=1)).ravel())
        profile = sparse.csr_matrix(sparse.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ profile)
        return np.asarray((profile @ self._items_t).toarray(), dtype=np.float32)
