"""The persistent index: Chroma vectors plus a BM25 keyword table, kept in step with the folder.

LangChain's indexing API (`langchain_core.indexing.index`) with a SQL record manager decides
what to embed: passages are keyed by a hash of their content and metadata, so an unchanged
passage is never embedded twice. A manifest of file sizes and times limits each update to the
files that changed ("scoped_full" cleanup for those, explicit deletion for removed files); the
first update, or one after the passage rules or settings changed, looks at everything ("full").
Both halves of the index sit behind one `PassageStore`, so every write the indexing API makes
reaches the vector store and the keyword table alike.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.indexing import index as sync_with_record_manager

from rag.ingest.background import BackgroundFeed, EmbeddedAhead
from rag.ingest.chunking import split_article
from rag.ingest.duplicates import NearDuplicates
from rag.ingest.loading import LoadResult, SkippedFile, article_paths, load_articles
from rag.settings import Settings
from rag.store.keywords import KeywordIndex
from rag.store.locks import write_lock
from rag.store.passages import PassageStore, passage_document

ProgressCallback = Callable[[int, int], None]
PASSAGE_RULES_VERSION = 5  # raise when cleaning or splitting rules change: forces a full pass
INDEX_BATCH = 256  # passages embedded and written per step of the indexing API
# Passages encoded together ahead of the writer: the encoder sorts each call's texts by length,
# so a larger call pads less (measured on SciFact passages: 4% slower than one call for all of
# them at 1,024, 11% at 256). The first call is of `INDEX_BATCH`, so that writing starts soon.
ENCODE_AHEAD = 4 * INDEX_BATCH


@dataclass
class SyncReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    total: int = 0
    articles: int = 0
    skipped_files: list[SkippedFile] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        report = asdict(self)
        report["skipped_files"] = [asdict(item) for item in self.skipped_files]
        return report


@dataclass
class IndexStatus:
    articles: int
    passages: int
    last_update: str | None
    stale: bool
    changed: list[str]


class ReadOnlyIndex(RuntimeError):
    """This host only serves (`RAG_READ_ONLY`): it never changes the shared store."""


class ArticlesFolderMissing(FileNotFoundError):
    """The articles folder does not exist: nothing is changed (it is never read as "all deleted")."""


def _folder_signature(folder: Path) -> dict[str, list[int]]:
    """Size and modification time of every article file: what tells a changed file apart."""
    signature = {}
    for path in article_paths(folder):
        try:
            stat = path.stat()
        except OSError:
            continue
        signature[path.name] = [stat.st_size, stat.st_mtime_ns]
    return signature


class ArticleIndex:
    """Owns the stores under the index folder; opens them on first use."""

    def __init__(self, settings: Settings, embedder: Embeddings) -> None:
        self.settings = settings
        self.embedder = embedder
        # the vector store's embedding function: with `embed_ahead`, vectors encoded a batch ahead
        self._embedded_ahead = EmbeddedAhead(embedder, ENCODE_AHEAD, first=INDEX_BATCH) if settings.embed_ahead else None
        self.index_dir = Path(settings.index_dir)
        self._store: PassageStore | None = None
        self._keywords: KeywordIndex | None = None
        self._keywords_lock = threading.Lock()
        self._record_manager = None
        self._open_lock = threading.Lock()
        self._caught_up: tuple[int, float | None] | None = None
        # the stored articles' MinHash signatures, kept from one update to the next
        self._near: NearDuplicates | None = None
        self._manifest: tuple[tuple[int, int, int], dict[str, Any]] | None = None  # (file stat, content)

    # -- opening -------------------------------------------------------------------------
    def _chroma_client(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if self.settings.chroma_host:
            return chromadb.HttpClient(
                host=self.settings.chroma_host,
                port=self.settings.chroma_port,
                settings=chroma_settings,
            )
        return chromadb.PersistentClient(
            path=str(self.index_dir / "chroma"), settings=chroma_settings
        )

    @property
    def store(self) -> PassageStore:
        if self._store is None:
            with self._open_lock:
                if self._store is None:
                    from langchain_chroma import Chroma

                    self.index_dir.mkdir(parents=True, exist_ok=True)
                    vectors = Chroma(
                        collection_name=self.settings.collection,
                        embedding_function=self._embedded_ahead or self.embedder,
                        client=self._chroma_client(),
                        collection_metadata={"hnsw:space": "cosine"},
                    )
                    self._store = PassageStore(vectors, self.keywords, texts_in_vectors=bool(self.settings.chroma_host))
        return self._store

    @property
    def record_manager(self):
        if self._record_manager is None:
            from langchain_classic.indexes import SQLRecordManager

            self.index_dir.mkdir(parents=True, exist_ok=True)
            manager = SQLRecordManager(
                self._namespace,
                db_url=self.settings.record_manager_url
                or f"sqlite:///{(self.index_dir / 'records.sqlite').resolve()}",
            )
            manager.create_schema()
            self._record_manager = manager
        return self._record_manager

    @property
    def _namespace(self) -> str:
        return f"chroma/{self.settings.collection}"

    @property
    def keywords(self) -> KeywordIndex:
        """The local BM25 table; opening it never contacts the vector store."""
        if self._keywords is None:
            with self._keywords_lock:
                if self._keywords is None:
                    self.index_dir.mkdir(parents=True, exist_ok=True)
                    self._keywords = KeywordIndex(self.index_dir / "keywords.sqlite")
        return self._keywords

    # -- the keyword table, a local cache of the vector store ----------------------------
    def store_generation(self) -> tuple[int, float | None]:
        """Records and latest write in the record manager: changes whenever any host writes."""
        from langchain_classic.indexes._sql_record_manager import UpsertionRecord
        from sqlalchemy import func, select

        manager = self.record_manager
        query = select(func.count(UpsertionRecord.key), func.max(UpsertionRecord.updated_at)).where(
            UpsertionRecord.namespace == manager.namespace
        )
        with manager.engine.connect() as connection:
            count, latest = connection.execute(query).one()
        return int(count), latest

    def catch_up(self, generation: tuple[int, float | None] | None = None) -> int:
        """Make the local keyword table hold exactly the passages of the vector store, the state
        of record (shared by every host in server mode). Returns the passages added or removed.

        Cheap when nothing changed: it compares the record manager's generation (given by a
        caller that has just read it) first.
        """
        changed, _ = self._catch_up(generation)
        return changed

    def _catch_up(self, generation: tuple[int, float | None] | None) -> tuple[int, list[str]]:
        """`catch_up`, also giving the passages the vector store holds whose text no keyword row
        nor the store itself gives (embedded, the vectors are stored without texts)."""
        generation = generation or self.store_generation()
        if generation[0] == self.keywords.count():
            # Embedded, this process writes both; on a server, other hosts may replace passages
            # without changing the count, which the latest write time shows.
            if not self.settings.chroma_host or generation == self._caught_up:
                self._caught_up = generation
                return 0, []
        stored = set(self.collection.get(include=[])["ids"])
        local = set(self.keywords.ids())
        missing, extra = sorted(stored - local), sorted(local - stored)
        textless: list[str] = []
        for start in range(0, len(missing), 500):
            found = self.collection.get(ids=missing[start : start + 500], include=["documents", "metadatas"])
            documents = [
                Document(id=doc_id, page_content=text, metadata=metadata or {})
                for doc_id, text, metadata in zip(found["ids"], found["documents"], found["metadatas"], strict=True)
                if text is not None
            ]
            textless += [doc_id for doc_id, text in zip(found["ids"], found["documents"], strict=True) if text is None]
            self.keywords.upsert([doc.id for doc in documents], documents)
        # An embedded host that only reads shares the writer's keyword table and takes no lock:
        # a row it finds without a vector may be one the writer is about to give its vector.
        if extra and (self.settings.chroma_host or not self.settings.read_only):
            self.keywords.delete(extra)
        self._caught_up = generation
        return len(missing) + len(extra), textless

    @property
    def collection(self):
        return self.store.vectors._collection  # noqa: SLF001 - langchain_chroma exposes no getter

    # -- keeping in step -----------------------------------------------------------------
    def _manifest_path(self) -> Path:
        return self.index_dir / "manifest.json"

    def _read_manifest(self) -> dict[str, Any]:
        """The manifest, parsed again only when its file changed (another process updated the
        index): the folder watcher reads it every few seconds. Callers do not modify it."""
        path = self._manifest_path()
        try:
            stat = path.stat()
            key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
            if self._manifest is not None and self._manifest[0] == key:
                return self._manifest[1]
            manifest = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        self._manifest = (key, manifest)
        return manifest

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        path = self._manifest_path()
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(manifest), "utf-8")  # no indent: the C encoder, fast at any size
        os.replace(temporary, path)
        stat = path.stat()
        self._manifest = ((stat.st_ino, stat.st_size, stat.st_mtime_ns), manifest)

    def _fingerprint(self) -> dict[str, Any]:
        """What the stored passages depend on besides the files; a change means a full pass."""
        settings = self.settings
        return {
            "version": PASSAGE_RULES_VERSION,
            "collection": settings.collection,
            "chunk_size": settings.chunk_size,
            "chunk_overlap": settings.chunk_overlap,
            "title_in_passage": settings.title_in_passage,
            "embedder": getattr(self.embedder, "name", type(self.embedder).__name__),
            "store": self._store_location(),
        }

    def _store_location(self) -> str:
        settings = self.settings
        if settings.chroma_host:
            return f"chroma server {settings.chroma_host}:{settings.chroma_port}"
        return "embedded"

    def _rebuild_reason(self, manifest: dict[str, Any]) -> str | None:
        """Why the stored vectors cannot be trusted although an update completed, if they cannot."""
        if not manifest:
            return None
        before = manifest.get("fingerprint") or {}
        if before.get("store", "embedded") != self._store_location():
            return f"the vector store moved ({before.get('store', 'embedded')} -> {self._store_location()})"
        if before != self._fingerprint():
            return "the index settings or the embedder changed"
        if not self.settings.chroma_host and manifest.get("files") and not (self.index_dir / "chroma").is_dir():
            return f"the vector store {self.index_dir / 'chroma'} is missing"
        return None

    def _indexed_files(self) -> dict[str, dict[str, Any]] | None:
        """The files of the last completed update, or None when a full pass is needed."""
        manifest = self._read_manifest()
        if manifest.get("fingerprint") != self._fingerprint() or self._rebuild_reason(manifest):
            return None
        return manifest.get("files")

    def changed_files(self) -> list[str]:
        """Article files added, changed or removed since the last completed update; none when
        the folder is missing (see `ArticlesFolderMissing`)."""
        folder = Path(self.settings.articles_dir)
        if self.settings.read_only or not folder.is_dir():
            return []
        before = self._indexed_files()
        now = _folder_signature(folder)
        if before is None:
            reason = self._rebuild_reason(self._read_manifest())
            return [f"(everything is embedded again: {reason})"] if reason else sorted(now) or ["(no index yet)"]
        names = set(before) | set(now)
        return sorted(name for name in names if before.get(name, {}).get("stat") != now.get(name))

    def is_stale(self) -> bool:
        return bool(self.changed_files())

    def sync(
        self,
        progress: ProgressCallback | None = None,
        wait: bool = True,
        on_wait: Callable[[], None] | None = None,
    ) -> SyncReport:
        """Bring the index in step with the articles folder; only new passages are embedded."""
        if self.settings.read_only:
            raise ReadOnlyIndex("this host only serves the index (RAG_READ_ONLY): another host updates it")
        folder = Path(self.settings.articles_dir)
        if not folder.is_dir():
            raise ArticlesFolderMissing(
                f"the articles folder {folder.resolve()} does not exist; the index was left as it is "
                "(give --articles or set RAG_ARTICLES_DIR)"
            )
        rebuild = self._rebuild_reason(self._read_manifest())  # before opening the store creates it
        with write_lock(self.index_dir, self.settings.record_manager_url, self._namespace, wait, on_wait):
            generation = self.store_generation()
            if rebuild is None and self.collection.count() < generation[0]:
                rebuild = "the vector store lost passages the record manager lists"
            _, textless = self._catch_up(generation)  # passages another host wrote, or a keyword cache that was lost
            if textless and rebuild is None:
                rebuild = "the keyword table lost passages whose texts only it held"
            return self._sync_locked(progress, rebuild)

    def _sync_locked(self, progress: ProgressCallback | None, rebuild: str | None) -> SyncReport:
        """Embed and store the passages of new and changed files; delete those of removed ones.

        Only files whose size or modification time differ from the last completed update are
        read, so adding one article costs the same however large the index is. The manifest is
        written last: after a crash the next run redoes the unfinished files, and content-hash
        ids make the redone writes replace, never duplicate, what the crashed run stored.
        With `rebuild` (why the stored vectors cannot be trusted) every passage is embedded again.
        """
        settings = self.settings
        folder = Path(settings.articles_dir)
        signature = _folder_signature(folder)
        indexed = None if rebuild else self._indexed_files()  # a rebuild reads every file
        if indexed is None:
            reread: set[str] | None = None
            removed: list[str] = []
            known_hashes: dict[str, str] = {}
            near = NearDuplicates()
        else:
            previously_skipped = {name for name, entry in indexed.items() if not entry.get("sha256")}
            reread = {
                name
                for name, stat in signature.items()
                if indexed.get(name, {}).get("stat") != stat or name in previously_skipped
            }
            removed = sorted(set(indexed) - set(signature))
            kept = {
                name: entry for name, entry in indexed.items()
                if entry.get("sha256") and name in signature and name not in reread
            }
            known_hashes = {entry["sha256"]: name for name, entry in kept.items()}
            near = self._near if self._near is not None else NearDuplicates()
            near.keep_only({name: entry["minhash"] for name, entry in kept.items() if entry.get("minhash")})
        count_tokens = getattr(self.embedder, "count_tokens", None)
        loading: list[LoadResult] = []  # what the background thread loaded, once it is done

        def read_and_split(emit: Callable[[Document], None]) -> None:
            """Runs in a background thread: each article's passages are embedded while the
            following articles are read, cleaned and split."""
            def split(article) -> None:
                for passage in split_article(
                    article,
                    settings.chunk_size,
                    settings.chunk_overlap,
                    **({"count_tokens": count_tokens} if count_tokens else {}),
                ):
                    emit(passage_document(passage, settings.title_in_passage))

            loading.append(load_articles(
                folder, settings.max_article_bytes, reread, known_hashes, near, on_article=split
            ))

        store = self.store
        store.known_sources = (
            store.keywords.sources()
            if reread is None
            else {name for name in reread if indexed.get(name, {}).get("sha256")}
        )
        store.updated = 0
        feed: BackgroundFeed[Document] = BackgroundFeed(read_and_split, name="read-and-split")

        def with_progress() -> Iterator[Document]:
            passages = self._embedded_ahead.feed(feed) if self._embedded_ahead else feed
            for done, doc in enumerate(passages, start=1):
                yield doc
                if progress:  # the total grows while articles are still being read
                    progress(done, feed.produced)

        try:
            result = sync_with_record_manager(
                with_progress(),
                self.record_manager,
                store,
                cleanup="full" if reread is None else "scoped_full",
                source_id_key="source",
                key_encoder="sha256",
                batch_size=INDEX_BATCH,
                # the record manager's "already stored" cannot be trusted for a moved or lost store
                force_update=rebuild is not None,
            )
        finally:
            feed.close()
        self._near = near
        if progress and not feed.produced:
            progress(0, 0)
        loaded = loading[0]
        loaded_names = {article.source for article in loaded.articles}
        if reread is None:
            deleted = self._remove_orphans(None)
        else:
            gone = removed + sorted(reread - loaded_names)  # removed, or now unusable
            deleted = self._delete_sources(gone) + self._remove_orphans(sorted(loaded_names))
        total = store.keywords.count()
        hashes = {article.source: article.content_hash for article in loaded.articles}
        files = {}
        for name, stat in signature.items():
            if reread is None or name in reread:
                files[name] = {"stat": stat, "sha256": hashes.get(name), "minhash": loaded.signatures.get(name)}
            else:
                files[name] = indexed[name]
        self._write_manifest(
            {
                "fingerprint": self._fingerprint(),
                "files": files,
                "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "skipped": [asdict(item) for item in loaded.skipped],
            }
        )
        written = result["num_added"] + result["num_updated"]  # a forced pass counts its writes as updates
        return SyncReport(
            added=written - store.updated,
            updated=store.updated,
            unchanged=max(0, total - written),  # passages left as they were
            deleted=result["num_deleted"] + deleted,
            total=total,
            articles=sum(1 for entry in files.values() if entry.get("sha256")),
            skipped_files=loaded.skipped,
        )

    def _stored_ids(self, sources: list[str] | None) -> set[str]:
        """Ids in the vector store or the keyword table, of `sources` or of everything."""
        ids = set(self.keywords.ids(sources))
        collection = self.collection
        if sources is None:
            ids.update(collection.get(include=[])["ids"])
        else:
            for start in range(0, len(sources), 500):
                where = {"source": {"$in": sources[start : start + 500]}}
                ids.update(collection.get(where=where, include=[])["ids"])
        return ids

    def _delete_sources(self, sources: list[str]) -> int:
        """Delete every passage of these articles from both stores and the record manager."""
        if not sources:
            return 0
        keys = set(self.record_manager.list_keys(group_ids=sources)) | self._stored_ids(sources)
        if keys:
            self.store.delete(sorted(keys))
            self.record_manager.delete_keys(sorted(keys))
        return len(keys)

    def _remove_orphans(self, sources: list[str] | None) -> int:
        """Delete stored passages the record manager does not know (left by a killed run)."""
        if sources == []:
            return 0
        known = set(self.record_manager.list_keys(group_ids=sources))
        orphans = sorted(self._stored_ids(sources) - known)
        if orphans:
            self.store.delete(orphans)
        return len(orphans)

    # -- reading -------------------------------------------------------------------------
    def status(self) -> IndexStatus:
        manifest = self._read_manifest()
        changed = self.changed_files()
        return IndexStatus(
            articles=len(self.keywords.sources()),
            passages=self.keywords.count(),
            last_update=manifest.get("updated_at"),
            stale=bool(changed),
            changed=changed,
        )

    def articles(self) -> list[dict[str, Any]]:
        return self.keywords.articles()

    def skipped_files(self) -> list[SkippedFile]:
        return [SkippedFile(**item) for item in self._read_manifest().get("skipped", [])]

    def copies(self) -> dict[str, list[str]]:
        """The other names of each indexed article saved more than once (the same story, indexed once)."""
        names: dict[str, list[str]] = {}
        for skipped in self.skipped_files():
            if skipped.copy_of:
                names.setdefault(skipped.copy_of, []).append(skipped.source)
        return {kept: sorted(others) for kept, others in names.items()}
