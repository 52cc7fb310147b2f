"""The keyword side of the index: every passage in SQLite, and BM25 over them with tantivy.

The SQLite table holds each passage's text and metadata; it is the record the rest of the
program reads (fetching passages, listing articles, dates). The BM25 index (tantivy, a folder
beside the table) is derived from it: it ranks without scanning every passage that holds a query
word, so a search costs about the same at any size.

The two are kept in step by a generation number that both carry. A write changes the table and
the BM25 index inside one SQLite write transaction (which also makes it the only writer of the
BM25 index), committing the BM25 index first. If they disagree (a crash between the two commits,
a failed write, a folder deleted or made by an older version), the next writer, or the next
search that can take the write lock, rebuilds the BM25 index from the table; until then a search
still answers, and passages the table no longer has are dropped by the reader.

Words are folded as people type them: lower case, accents removed (Zürich = Zurich), Porter
stemming (PyStemmer; the stemmer FTS5 used, which scores SciFact higher than Snowball's); a
query's stop words are left out. Scores are BM25 with the original IDF, as SQLite FTS5
computes it (see `_Bm25.search`).
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from rag.language.nlp import fold, stemmer
from rag.language.words import STOP_WORDS

_WORD = re.compile(r"\w+", re.UNICODE)
BM25_VERSION = 3  # raise when the BM25 fields or word folding change: the index is rebuilt
_GENERATION_ID = "\x00generation"  # the BM25 index's own record of the generation it reflects
_WRITER_HEAP = 64_000_000


def query_terms(text: str) -> list[str]:
    """Lower-cased words of a query without stop words, in order, each once."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if word not in STOP_WORDS and word not in seen:
            seen[word] = None
    return list(seen)


class KeywordIndex:
    """Passages in SQLite and BM25 over them (tantivy), kept in step (see the module's notes).

    Updated in place, a batch at a time, so an update costs the same however large the index is;
    readers are never blocked (SQLite's write-ahead log, tantivy's immutable segments).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.bm25_path = path.with_name(f"{path.stem}-bm25-v{BM25_VERSION}")
        self._local = threading.local()

    # -- the table ----------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(
                """
                CREATE TABLE IF NOT EXISTS passages (
                    rowid INTEGER PRIMARY KEY,
                    id TEXT UNIQUE NOT NULL,
                    source TEXT NOT NULL,
                    content TEXT NOT NULL,
                    metadata TEXT NOT NULL
                );
                CREATE INDEX IF NOT EXISTS passages_source ON passages(source);
                CREATE TABLE IF NOT EXISTS keyword_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                INSERT OR IGNORE INTO keyword_state VALUES ('generation', 1);
                DROP TRIGGER IF EXISTS passages_ai;
                DROP TRIGGER IF EXISTS passages_ad;
                DROP TABLE IF EXISTS passages_fts;
                """
            )
            self._local.connection = connection
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    @staticmethod
    def _generation(connection: sqlite3.Connection) -> int:
        return connection.execute("SELECT value FROM keyword_state WHERE key = 'generation'").fetchone()[0]

    def _advance(self, connection: sqlite3.Connection) -> int:
        connection.execute("UPDATE keyword_state SET value = value + 1 WHERE key = 'generation'")
        return self._generation(connection)

    def upsert(self, ids: Sequence[str], documents: Sequence[Document]) -> None:
        self._replace(ids, documents)

    def delete(self, ids: Sequence[str]) -> None:
        self._replace(ids, [])

    def _replace(self, ids: Sequence[str], documents: Sequence[Document]) -> None:
        """Remove the passages `ids`, then store `documents` (under those ids) if given: in the
        table and in the BM25 index, as one generation."""
        with self._transaction() as connection:
            before = self._generation(connection)
            connection.executemany(
                "DELETE FROM passages WHERE id = ?", [(doc_id,) for doc_id in ids]
            )
            added = list(zip(ids, documents, strict=True)) if documents else []
            connection.executemany(
                "INSERT INTO passages(id, source, content, metadata) VALUES (?, ?, ?, ?)",
                [(doc_id, doc.metadata["source"], doc.page_content, json.dumps(doc.metadata)) for doc_id, doc in added],
            )
            self._bm25().write(
                connection,
                before,
                self._advance(connection),
                removed=ids,
                added=[(doc_id, doc.page_content, doc.metadata.get("published")) for doc_id, doc in added],
            )

    # -- BM25 ---------------------------------------------------------------------------
    def _bm25(self) -> _Bm25:
        bm25 = getattr(self._local, "bm25", None)
        if bm25 is None:
            bm25 = self._local.bm25 = _Bm25(self.bm25_path)
        return bm25

    def _bm25_in_step(self) -> _Bm25:
        """The BM25 index, rebuilt first if it does not reflect the table and no write is running."""
        bm25 = self._bm25()
        bm25.reload()
        if bm25.generation() == self._generation(self._connection()):
            return bm25
        repair = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            repair.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # a writer is at work; it brings the index in step
            repair.close()
            return bm25
        try:
            generation = self._generation(repair)
            bm25.reload()
            if bm25.generation() != generation:
                bm25.write(repair, None, generation, removed=[], added=[])
        finally:
            repair.execute("ROLLBACK")
            repair.close()
        bm25.reload()
        return bm25

    def searchable_ids(self) -> set[str]:
        """The passage ids the BM25 index holds, once it is in step with the table."""
        return self._bm25_in_step().ids()

    def search(
        self,
        query: str,
        k: int,
        published: Sequence[str] | None = None,
        not_published: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]:
        """Ids and BM25 scores (higher is better) of the best `k` passages. With `published`, only
        of articles published on one of those (ISO) dates; with `not_published`, of every article
        except those published on one of those dates (undated articles are kept)."""
        terms = query_terms(query)
        if not terms or k <= 0:
            return []
        return self._bm25_in_step().search(terms, k, published, not_published)

    def published_dates(self) -> list[str]:
        """The distinct publication dates of the indexed articles (ISO), oldest first."""
        rows = self._connection().execute(
            "SELECT DISTINCT json_extract(metadata, '$.published') AS day FROM passages "
            "WHERE day IS NOT NULL ORDER BY day"
        )
        return [row[0] for row in rows]

    def ids(self, sources: Sequence[str] | None = None) -> list[str]:
        """Passage ids of these articles (all passages when `sources` is None)."""
        connection = self._connection()
        if sources is None:
            return [row[0] for row in connection.execute("SELECT id FROM passages")]
        found: list[str] = []
        for start in range(0, len(sources), 500):
            chunk = list(sources[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = connection.execute(f"SELECT id FROM passages WHERE source IN ({marks})", chunk)
            found.extend(row[0] for row in rows)
        return found

    def get(self, ids: Sequence[str]) -> dict[str, Document]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._connection().execute(
            f"SELECT id, content, metadata FROM passages WHERE id IN ({marks})", list(ids)
        )
        return {
            doc_id: Document(id=doc_id, page_content=content, metadata=json.loads(metadata))
            for doc_id, content, metadata in rows
        }

    def count(self) -> int:
        return self._connection().execute("SELECT COUNT(*) FROM passages").fetchone()[0]

    def sources(self) -> set[str]:
        return {row[0] for row in self._connection().execute("SELECT DISTINCT source FROM passages")}

    def articles(self) -> list[dict[str, Any]]:
        rows = self._connection().execute(
            "SELECT source, metadata, COUNT(*) FROM passages GROUP BY source ORDER BY source"
        )
        articles = []
        for source, metadata, count in rows:
            meta = json.loads(metadata)
            articles.append(
                {
                    "source": source,
                    "title": meta.get("title", source),
                    "published": meta.get("published"),
                    "author": meta.get("author"),
                    "outlet": meta.get("outlet"),
                    "url": meta.get("url"),
                    "passages": count,
                }
            )
        return articles

    def nearby_text(self, source: str, ordinal: int, reach: int = 1) -> str:
        """The text of the passages within `reach` of passage `ordinal` of an article, in order."""
        rows = self._connection().execute(
            "SELECT content FROM passages WHERE source = ? AND "
            "json_extract(metadata, '$.ordinal') BETWEEN ? AND ? "
            "ORDER BY json_extract(metadata, '$.ordinal')",
            (source, ordinal - reach, ordinal + reach),
        )
        return "\n".join(row[0] for row in rows)

    def passages_of(self, source: str) -> list[Document]:
        rows = self._connection().execute(
            "SELECT id, content, metadata FROM passages WHERE source = ?", (source,)
        )
        documents = [
            Document(id=doc_id, page_content=content, metadata=json.loads(metadata))
            for doc_id, content, metadata in rows
        ]
        return sorted(documents, key=lambda doc: doc.metadata.get("start", 0))


def stemmed_words(text: str) -> str:
    """The text's words, folded (`rag.language.nlp.fold`: accents removed, lower case) and Porter-stemmed,
    joined by spaces."""
    return " ".join(stemmer("porter").stemWords(_WORD.findall(fold(text))))


class _Bm25:
    """The tantivy index: an id, the folded words and the publication date of each passage."""

    def __init__(self, path: Path) -> None:
        import tantivy

        self._tantivy = tantivy
        path.mkdir(parents=True, exist_ok=True)
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("content", stored=False, tokenizer_name="folded_english")
        builder.add_text_field("published", stored=False, tokenizer_name="raw")
        builder.add_integer_field("generation", stored=True)
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema, path=str(path), reuse=True)
        self.analyzer = (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
            .filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.ascii_fold())
            .build()
        )
        self.index.register_tokenizer("folded_english", self.analyzer)

    def reload(self) -> None:
        self.index.reload()

    def generation(self) -> int:
        """The table generation this index reflects (0 if it never recorded one)."""
        searcher = self.index.searcher()
        query = self._tantivy.Query.term_query(self.schema, "id", _GENERATION_ID)
        hits = searcher.search(query, 1, count=False).hits
        return searcher.doc(hits[0][1])["generation"][0] if hits else 0

    def write(
        self,
        table: sqlite3.Connection,
        before: int | None,
        after: int,
        removed: Sequence[str],
        added: Sequence[tuple[str, str, str | None]],
    ) -> None:
        """Apply a change made in `table`'s open write transaction (generation `before` to
        `after`); if this index was not at `before`, rebuild it from the table instead."""
        tantivy = self._tantivy
        self.reload()
        rebuild = before is None or self.generation() != before
        writer = self.index.writer(heap_size=_WRITER_HEAP, num_threads=1)
        try:
            if rebuild:
                writer.delete_all_documents()
                rows = table.execute(
                    "SELECT id, content, json_extract(metadata, '$.published') FROM passages"
                )
                for doc_id, content, published in rows:
                    writer.add_document(self._document(doc_id, content, published))
            else:
                for doc_id in removed:
                    writer.delete_documents_by_term("id", doc_id)
                for doc_id, content, published in added:
                    writer.add_document(self._document(doc_id, content, published))
            writer.delete_documents_by_term("id", _GENERATION_ID)
            writer.add_document(tantivy.Document(id=_GENERATION_ID, generation=after))
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()

    def ids(self) -> set[str]:
        searcher = self.index.searcher()
        query = self._tantivy.Query.all_query()
        hits = searcher.search(query, max(1, searcher.num_docs), count=False).hits
        return {searcher.doc(address)["id"][0] for _, address in hits} - {_GENERATION_ID}

    def _document(self, doc_id: str, content: str, published: str | None):
        fields: dict[str, Any] = {"id": doc_id, "content": stemmed_words(content)}
        if published:
            fields["published"] = published
        return self._tantivy.Document(**fields)

    def search(
        self,
        terms: list[str],
        k: int,
        published: Sequence[str] | None,
        not_published: Sequence[str] | None,
    ) -> list[tuple[str, float]]:
        tantivy = self._tantivy
        searcher = self.index.searcher()
        total = searcher.num_docs
        words = []
        for word in dict.fromkeys(token for term in terms for token in self.analyzer.analyze(stemmed_words(term))):
            having = searcher.doc_freq("content", word)
            if having:
                # tantivy weighs a word by Lucene's IDF, log(1 + (N - n + 0.5) / (n + 0.5)); this
                # boost turns it into the original BM25 IDF (as SQLite FTS5 has it), under which
                # a word most passages hold counts for almost nothing.
                lucene = math.log(1 + (total - having + 0.5) / (having + 0.5))
                original = max(math.log((total - having + 0.5) / (having + 0.5)), 1e-6)
                word_query = tantivy.Query.term_query(self.schema, "content", word, "freq")
                words.append((tantivy.Occur.Should, tantivy.Query.boost_query(word_query, original / lucene)))
        if not words:
            return []
        query = tantivy.Query.boolean_query(words)
        if published is not None or not_published:
            dates = tantivy.Query.term_set_query(self.schema, "published", list(published or not_published or []))
            dates = tantivy.Query.const_score_query(dates, 0.0)  # a filter: it adds nothing to the score
            keep = tantivy.Occur.Must if published is not None else tantivy.Occur.MustNot
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (keep, dates)])
        hits = searcher.search(query, k, count=False).hits
        return [(searcher.doc(address)["id"][0], float(score)) for score, address in hits]
