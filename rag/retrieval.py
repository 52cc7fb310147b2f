"""Hybrid retrieval: dense (Chroma) and BM25 (FTS5) candidates fused by reciprocal rank.

Every returned passage also carries its cosine similarity to the question, computed from the
stored vectors, because answering needs an absolute measure of relevance and RRF gives none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.index import ArticleIndex, passage_text


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


class HybridRetriever(BaseRetriever):
    """LangChain retriever over an `ArticleIndex`; `search()` also returns the scores."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: ArticleIndex
    k: int = 4
    candidates: int = 40
    rrf_k: int = 60
    dense_weight: float = 1.0
    keyword_weight: float = 1.0

    def search(self, query: str, k: int | None = None) -> list[ScoredPassage]:
        k = self.k if k is None else k
        if not query.strip() or k <= 0:
            return []
        collection = self.index.collection
        total = collection.count()
        if total == 0:
            return []
        query_vector = np.asarray(self.index.embedder.embed_query(query), dtype=np.float32)
        dense = collection.query(
            query_embeddings=[query_vector.tolist()],
            n_results=min(self.candidates, total),
            include=["distances"],
        )
        dense_ids: list[str] = dense["ids"][0]
        keyword_ids = [doc_id for doc_id, _ in self.index.keywords.search(query, self.candidates)]
        fused = reciprocal_rank_fusion(
            [dense_ids, keyword_ids], [self.dense_weight, self.keyword_weight], self.rrf_k
        )
        best = sorted(fused, key=fused.get, reverse=True)[:k]
        documents = self.index.keywords.get(best)
        vectors = collection.get(ids=best, include=["embeddings"])
        similarity = {
            doc_id: float(np.dot(query_vector, np.asarray(vector, dtype=np.float32)))
            for doc_id, vector in zip(vectors["ids"], vectors["embeddings"], strict=True)
        }
        dense_rank = {doc_id: rank for rank, doc_id in enumerate(dense_ids, start=1)}
        keyword_rank = {doc_id: rank for rank, doc_id in enumerate(keyword_ids, start=1)}
        return [
            ScoredPassage(
                document=documents[doc_id],
                score=fused[doc_id],
                similarity=similarity.get(doc_id, 0.0),
                dense_rank=dense_rank.get(doc_id),
                keyword_rank=keyword_rank.get(doc_id),
            )
            for doc_id in best
            if doc_id in documents
        ]

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
