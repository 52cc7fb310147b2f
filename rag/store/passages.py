"""The passage store LangChain's indexing writes through: vectors in Chroma and words in the BM25
index, added and deleted together, and the Documents passages become."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from rag.ingest.chunking import Passage
from rag.store.keywords import KeywordIndex

# The metadata Chroma's searches filter on (deleting by article, dates); the rest is read from the
# keyword table. Fewer keys make writing the vectors about a third cheaper.
FILTER_KEYS = ("source", "published")


def filtered_metadata(metadata: dict[str, Any]) -> dict[str, Any] | None:
    """The part of a passage's metadata embedded Chroma keeps (`FILTER_KEYS`); None when empty."""
    return {key: metadata[key] for key in FILTER_KEYS if key in metadata} or None


class PassageStore(VectorStore):
    """One vector store that writes to Chroma and the keyword table together.

    The passages' texts and metadata are read from the keyword table. A Chroma server shared by
    several hosts (`texts_in_vectors`) holds them too, since the other hosts' keyword tables
    catch up from it. Embedded, Chroma holds the vectors with only the metadata searches filter
    on (`FILTER_KEYS`): the texts would cost Chroma's own full-text index of every one, which
    takes longer than writing the vectors, and every other key costs writing time too. (An index
    built before keeps what it stored; Chroma leaves a stored text or key in place when an upsert
    gives none.)
    """

    def __init__(self, vectors: VectorStore, keywords: KeywordIndex, texts_in_vectors: bool = False) -> None:
        self.vectors = vectors
        self.keywords = keywords
        self.texts_in_vectors = texts_in_vectors
        self.known_sources: set[str] = set()
        self.updated = 0  # passages written for articles the index already had

    @property
    def embeddings(self) -> Embeddings | None:
        return self.vectors.embeddings

    def add_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        """The keyword table first: a run killed before the vectors are written leaves rows
        without vectors, which the next update removes (`ArticleIndex.catch_up`) and writes again."""
        ids = list(kwargs.get("ids") or [doc.id for doc in documents])
        self.keywords.upsert(ids, documents)
        if self.texts_in_vectors:
            self.vectors.add_documents(documents, ids=ids)
        else:
            vectors = self.vectors.embeddings.embed_documents([doc.page_content for doc in documents])
            self.vectors._collection.upsert(  # noqa: SLF001 - langchain_chroma always stores the texts
                ids=ids, embeddings=vectors, metadatas=[filtered_metadata(doc.metadata) for doc in documents]
            )
        self.updated += sum(doc.metadata["source"] in self.known_sources for doc in documents)
        return ids

    def add_texts(
        self, texts: Iterable[str], metadatas: list[dict] | None = None, **kwargs: Any
    ) -> list[str]:
        texts = list(texts)
        metadatas = metadatas or [{} for _ in texts]
        documents = [Document(page_content=t, metadata=m) for t, m in zip(texts, metadatas)]
        return self.add_documents(documents, **kwargs)

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool:
        if ids:
            self.vectors.delete(ids=ids)
            self.keywords.delete(ids)
        return True

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        """The passages nearest the query by their vectors, with their texts from the keyword table.
        A `filter` may test the keys in `FILTER_KEYS`, which embedded Chroma keeps."""
        found = self.vectors._collection.query(  # noqa: SLF001
            query_embeddings=[self.vectors.embeddings.embed_query(query)], n_results=k, include=[],
            where=kwargs.get("filter"),
        )
        documents = self.keywords.get(found["ids"][0])
        return [documents[doc_id] for doc_id in found["ids"][0] if doc_id in documents]

    @classmethod
    def from_texts(cls, *args: Any, **kwargs: Any) -> PassageStore:
        raise NotImplementedError("build a PassageStore from its parts")


def passage_document(passage: Passage, title_in_passage: bool) -> Document:
    """The stored form of a passage: the title leads the text that is embedded and searched."""
    prefix = f"{passage.title}\n\n" if title_in_passage and passage.title else ""
    metadata = passage.metadata()
    metadata["body_offset"] = len(prefix)
    return Document(page_content=prefix + passage.text, metadata=metadata)


def passage_text(document: Document) -> str:
    """The passage as it stands in its file, without the title prefix."""
    return document.page_content[int(document.metadata.get("body_offset", 0)) :]
