"""Hybrid retrieval: dense (Chroma) and BM25 (tantivy) candidates, fused by their scores.

The candidates of both searches are pooled; each gets its exact cosine similarity to the question
(from the stored vectors, also for candidates only BM25 found) and its BM25 score (0 when BM25
did not find it). Each score is standardised over the pooled candidates (its distance from
their mean, in standard deviations), and the two are mixed with fixed weights; dividing each by
the best of its kind instead (`fusion="scores"`) and reciprocal-rank fusion (`"rrf"`) scored
lower on SciFact (`bench/scifact.py --levers`). The cosine similarity is also kept as an absolute measure of
relevance, which answering needs and fused scores cannot give.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.retrieve.timeframe import DateWindow
from rag.store.index import ArticleIndex
from rag.store.passages import passage_text

FALLBACK_PASSAGES = 20  # keyword results embedded afresh when the vector store cannot be read
NEWEST_POOL = 3  # with newest_first or spread: how many times k best passages are chosen from


class VectorStoreUnavailable(RuntimeError):
    """The vector store could not be read (a Chroma server down, a folder being rewritten)."""


@dataclass
class ScoredPassage:
    document: Document
    score: float  # fused rank score, higher is better
    similarity: float  # cosine similarity between question and passage
    dense_rank: int | None = None
    keyword_rank: int | None = None

    @property
    def id(self) -> str:
        return str(self.document.id)

    @property
    def source(self) -> str:
        return self.document.metadata["source"]

    @property
    def title(self) -> str:
        return self.document.metadata.get("title", self.source)

    @property
    def published(self) -> str | None:
        return self.document.metadata.get("published")

    @property
    def author(self) -> str | None:
        return self.document.metadata.get("author")

    @property
    def outlet(self) -> str | None:
        return self.document.metadata.get("outlet")

    @property
    def url(self) -> str | None:
        return self.document.metadata.get("url")

    @property
    def text(self) -> str:
        return passage_text(self.document)

    @property
    def start(self) -> int:
        return int(self.document.metadata["start"])

    @property
    def end(self) -> int:
        return int(self.document.metadata["end"])


def reciprocal_rank_fusion(
    rankings: list[list[str]], weights: list[float], rrf_k: int
) -> dict[str, float]:
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, doc_id in enumerate(ranking, start=1):
            fused[doc_id] = fused.get(doc_id, 0.0) + weight / (rrf_k + rank)
    return fused


def _cosines(query_vector: np.ndarray, ids: list[str], vectors) -> dict[str, float]:
    """Cosine similarity of each unit vector to the (unit) question vector, by id."""
    return {
        doc_id: float(np.dot(query_vector, np.asarray(vector, dtype=np.float32)))
        for doc_id, vector in zip(ids, vectors, strict=True)
    }


def convex_combination(
    similarity: dict[str, float], keyword: dict[str, float], ids: list[str], dense_weight: float
) -> dict[str, float]:
    """Mix cosine and BM25 scores, each divided by the best of its kind for this query."""
    best_similarity = max((similarity[doc_id] for doc_id in ids), default=0.0)
    best_keyword = max(keyword.values(), default=0.0)
    fused = {}
    for doc_id in ids:
        dense = similarity[doc_id] / best_similarity if best_similarity > 0 else 0.0
        lexical = keyword.get(doc_id, 0.0) / best_keyword if best_keyword > 0 else 0.0
        fused[doc_id] = dense_weight * dense + (1 - dense_weight) * lexical
    return fused


def z_score_combination(
    similarity: dict[str, float], keyword: dict[str, float], ids: list[str], dense_weight: float
) -> dict[str, float]:
    """Mix cosine and BM25 scores, each as standard deviations from its mean over the pooled
    candidates (BM25 0 where it did not find one): each search counts by how far a passage
    stands out among this query's candidates, not by its raw scale."""
    dense = np.array([similarity[doc_id] for doc_id in ids], dtype=np.float64)
    lexical = np.array([keyword.get(doc_id, 0.0) for doc_id in ids], dtype=np.float64)

    def standardised(values: np.ndarray) -> np.ndarray:
        spread = values.std()
        return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)

    mixed = dense_weight * standardised(dense) + (1 - dense_weight) * standardised(lexical)
    return {doc_id: float(value) for doc_id, value in zip(ids, mixed, strict=True)}


def spread_over_articles(ranked: list[str], k: int, documents: dict[str, Document]) -> list[str]:
    """The first `k` of `ranked` with at most half of them (at least one) from any one article,
    taken in rank order; passages beyond that share fill in only when no other article has any."""
    share = max(1, k // 2)
    taken: list[str] = []
    per_article: dict[str, int] = {}
    for doc_id in ranked:
        if doc_id not in documents:
            continue
        source = documents[doc_id].metadata["source"]
        if per_article.get(source, 0) < share:
            taken.append(doc_id)
            per_article[source] = per_article.get(source, 0) + 1
        if len(taken) == k:
            return taken
    return taken + [doc_id for doc_id in ranked if doc_id in documents and doc_id not in taken][: k - len(taken)]


class HybridRetriever(BaseRetriever):
    """LangChain retriever over an `ArticleIndex`; `search()` also returns the scores."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: ArticleIndex
    k: int = 4
    candidates: int = 100
    dense_weight: float = 0.5  # the BM25 weight is 1 - dense_weight
    fusion: Literal["zscores", "scores", "rrf"] = "zscores"
    rrf_k: int = 60

    def search(self, query: str, k: int | None = None) -> list[ScoredPassage]:
        return self.search_with_notes(query, k)[0]

    def search_with_notes(
        self,
        query: str,
        k: int | None = None,
        window: DateWindow | None = None,
        newest_first: bool = False,
        spread: bool = False,
        keep_undated: bool = False,
    ) -> tuple[list[ScoredPassage], list[str]]:
        """The best `k` passages, and notes for the reader when a search could not be made.

        With a `window`, only passages of articles published within it are searched, and with
        `keep_undated` those of articles whose date is unknown too. With
        `newest_first`, the `NEWEST_POOL` times `k` best passages are ordered by their article's
        publication date, newest first (undated ones last), and the first `k` of them kept. With
        `spread` (questions that compare or join), no article gives more than half of the `k`
        while others have relevant passages.
        """
        k = self.k if k is None else k
        if not query.strip() or k <= 0:
            return [], []
        total = self.index.keywords.count()  # SQLite: consistent even while another process writes
        if total == 0:
            return [], []
        published: list[str] | None = None  # only these dates
        not_published: list[str] | None = None  # every date but these, and undated articles
        if window is not None:
            known = self.index.keywords.published_dates()
            if keep_undated:
                not_published = [day for day in known if not window.admits(day)]
            else:
                published = [day for day in known if window.admits(day)]
                if not published:
                    return [], []
        query_vector = np.asarray(self.index.embedder.embed_query(query), dtype=np.float32)
        keyword = (
            self.index.keywords.search(query, self.candidates, published, not_published)
            if self.dense_weight < 1 else []
        )
        keyword_scores = dict(keyword)
        notes: list[str] = []
        if published is not None:
            where: dict | None = {"published": {"$in": published}}
        elif not_published:
            where = {"published": {"$nin": not_published}}  # Chroma keeps passages without the key
        else:
            where = None
        try:
            dense_ids, similarity = self._dense_candidates(query_vector, list(keyword_scores), total, where)
        except VectorStoreUnavailable as error:
            notes.append(f"The vector store could not be read ({error}); this answer rests on keyword search alone.")
            fallback = list(keyword_scores)[: max(FALLBACK_PASSAGES, k)]
            keyword_scores = {doc_id: keyword_scores[doc_id] for doc_id in fallback}
            dense_ids, similarity = [], self._similarity_from_texts(query_vector, fallback)
        pooled = [doc_id for doc_id in dict.fromkeys([*dense_ids, *keyword_scores]) if doc_id in similarity]
        if not pooled:
            return [], notes
        if self.fusion == "rrf":
            fused = reciprocal_rank_fusion(
                [dense_ids, list(keyword_scores)], [self.dense_weight, 1 - self.dense_weight], self.rrf_k
            )
        elif self.fusion == "scores":
            fused = convex_combination(similarity, keyword_scores, pooled, self.dense_weight)
        else:
            fused = z_score_combination(similarity, keyword_scores, pooled, self.dense_weight)
        ranked = sorted(pooled, key=lambda doc_id: fused.get(doc_id, 0.0), reverse=True)
        if newest_first or spread:  # both choose among the NEWEST_POOL * k best, by their articles
            documents = self.index.keywords.get(ranked[: NEWEST_POOL * k])
            ranked = [doc_id for doc_id in ranked[: NEWEST_POOL * k] if doc_id in documents]
            if newest_first:
                ranked.sort(key=lambda doc_id: documents[doc_id].metadata.get("published") or "", reverse=True)
            best = spread_over_articles(ranked, k, documents) if spread else ranked[:k]
        else:
            best = ranked[:k]
            documents = self.index.keywords.get(best)
        dense_rank = {doc_id: rank for rank, doc_id in enumerate(dense_ids, start=1)}
        keyword_rank = {doc_id: rank for rank, doc_id in enumerate(keyword_scores, start=1)}
        return [
            ScoredPassage(
                document=documents[doc_id],
                score=fused.get(doc_id, 0.0),
                similarity=similarity[doc_id],
                dense_rank=dense_rank.get(doc_id),
                keyword_rank=keyword_rank.get(doc_id),
            )
            for doc_id in best
            if doc_id in documents
        ], notes

    def _dense_candidates(
        self, query_vector: np.ndarray, keyword_ids: list[str], total: int, where: dict | None = None
    ) -> tuple[list[str], dict[str, float]]:
        """Dense candidates, and the cosine similarity of every candidate of either search.

        Embedded Chroma can fail a read while another process is writing to the same folder;
        the read is retried, and if it keeps failing (or a Chroma server is down)
        `VectorStoreUnavailable` is raised.
        """
        error: Exception | None = None
        for attempt in range(3):
            try:
                dense_ids: list[str] = []
                if self.dense_weight > 0:
                    found = self.index.collection.query(
                        query_embeddings=[query_vector.tolist()],
                        n_results=min(self.candidates, total),
                        where=where,
                        include=[],
                    )
                    dense_ids = found["ids"][0]
                pooled = list(dict.fromkeys([*dense_ids, *keyword_ids]))
                if not pooled:
                    return [], {}
                stored = self.index.collection.get(ids=pooled, include=["embeddings"])
                return dense_ids, _cosines(query_vector, stored["ids"], stored["embeddings"])
            except Exception as failure:  # noqa: BLE001 - chromadb raises plain internal errors here
                error = failure
                time.sleep(0.2 * (attempt + 1))
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        raise VectorStoreUnavailable(reason) from error

    def _similarity_from_texts(self, query_vector: np.ndarray, ids: list[str]) -> dict[str, float]:
        """Cosine similarities computed from the passages' texts, when the stored vectors are out of reach."""
        documents = self.index.keywords.get(ids)
        ids = [doc_id for doc_id in ids if doc_id in documents]
        vectors = self.index.embedder.embed_documents([documents[doc_id].page_content for doc_id in ids])
        return _cosines(query_vector, ids, vectors)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        results = []
        for passage in self.search(query):
            document = passage.document.model_copy()
            document.metadata = {
                **document.metadata,
                "score": passage.score,
                "similarity": passage.similarity,
            }
            results.append(document)
        return results
