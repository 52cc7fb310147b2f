"""Incremental indexing against a real Chroma store in a temporary folder."""

from pathlib import Path

from tests.conftest import SEEDS, make_service

NEW_ARTICLE = """Harbour Bridge Reopens After Repairs

Published: June 2, 2024

The Harbour Bridge reopened on Sunday after eight months of repairs costing 40 million euros.
Engineers replaced 120 steel cables and the whole road deck.
The mayor said traffic would return to normal within a week.
"""


def test_first_build_then_unchanged_run_embeds_nothing(service):
    first = service.update_index()
    assert first.added == first.total > 20
    assert first.articles == 5
    again = service.update_index()
    assert (again.added, again.updated, again.deleted) == (0, 0, 0)
    assert again.unchanged == first.total == again.total
    assert not service.index.is_stale()


def test_add_change_delete_touch_only_that_article(service, articles_dir: Path):
    base = service.update_index().total
    index = service.index

    (articles_dir / "harbour.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    assert index.is_stale()
    added = service.update_index()
    own = len(index.keywords.passages_of("harbour.txt"))
    assert own >= 1
    assert (added.added, added.deleted, added.total) == (own, 0, base + own)

    (articles_dir / "harbour.txt").write_text(NEW_ARTICLE + "\nA second bridge will follow in 2026.\n", "utf-8")
    changed = service.update_index()
    assert changed.added == 0 and changed.updated >= 1  # only that article's passages
    assert changed.updated + changed.unchanged == changed.total
    assert changed.deleted >= 1

    (articles_dir / "harbour.txt").unlink()
    removed = service.update_index()
    assert removed.total == base
    assert removed.added == 0 and removed.deleted >= 1
    assert index.keywords.passages_of("harbour.txt") == []
    assert index.collection.get(where={"source": "harbour.txt"})["ids"] == []
    assert index.collection.count() == base


def test_vector_and_keyword_halves_hold_the_same_passages(service):
    service.update_index()
    chroma_ids = set(service.index.collection.get()["ids"])
    keyword_ids = set(service.index.keywords.get(list(chroma_ids)))
    assert chroma_ids == keyword_ids
    assert len(chroma_ids) == service.index.keywords.count()


def test_ids_are_content_hashes_so_a_rebuild_gives_the_same_ids(tmp_path, embedder, articles_dir):
    one = make_service(articles_dir, tmp_path / "one", embedder)
    two = make_service(articles_dir, tmp_path / "two", embedder)
    one.update_index()
    two.update_index()
    assert set(one.index.collection.get()["ids"]) == set(two.index.collection.get()["ids"])


def test_encoding_ahead_stores_the_vectors_of_encoding_one_step_at_a_time(tmp_path, embedder, articles_dir, monkeypatch):
    import numpy as np

    from rag.store import index as index_module

    monkeypatch.setattr(index_module, "INDEX_BATCH", 8)  # the seeds' 56 passages in several batches
    # encoded in the same groups both ways: 8-bit activations are scaled per call, so a passage's
    # vector moves in the last digits with the passages encoded beside it
    monkeypatch.setattr(index_module, "ENCODE_AHEAD", 8)
    ahead = make_service(articles_dir, tmp_path / "ahead", embedder)
    one_step = make_service(articles_dir, tmp_path / "one-step", embedder, embed_ahead=False)
    ahead.update_index()
    one_step.update_index()

    def stored(service):
        got = service.index.collection.get(include=["embeddings"])
        return dict(zip(got["ids"], np.asarray(got["embeddings"]), strict=True))

    with_ahead, without = stored(ahead), stored(one_step)
    assert len(with_ahead) > 8 and with_ahead.keys() == without.keys()
    assert all(np.allclose(with_ahead[doc_id], without[doc_id], atol=1e-6) for doc_id in with_ahead)
    # an unchanged run after it encodes nothing
    assert ahead.update_index().added == 0


def test_skipped_files_are_reported_and_counted(service, articles_dir: Path):
    (articles_dir / "empty.txt").write_bytes(b"")
    (articles_dir / "copy.txt").write_bytes((SEEDS / "003_a340d839e7d3ae61.txt").read_bytes())
    report = service.update_index()
    reasons = {item.source: item.reason for item in report.skipped_files}
    assert "empty" in reasons["empty.txt"]
    assert reasons["copy.txt"].startswith("duplicate of")
    assert report.articles == 5


def test_status_and_article_list(service, articles_dir: Path):
    service.update_index()
    status = service.index.status()
    assert (status.articles, status.stale) == (5, False)
    titles = {a["source"]: a for a in service.index.articles()}
    assert titles["002_4614d4928a4a6c8c.txt"]["author"] == "Amreen Hussain"
    assert titles["000_31ffb863ee8c8ad1.txt"]["published"] == "2025-02-23"
    (articles_dir / "004_4c2d23f4e0c82c6a.txt").unlink()
    assert service.index.status().changed == ["004_4c2d23f4e0c82c6a.txt"]


def test_a_lost_vector_store_is_rebuilt_not_left_empty(news_dir: Path, tmp_path: Path, embedder):
    import shutil

    from chromadb.api.shared_system_client import SharedSystemClient

    service = make_service(news_dir, tmp_path / "index", embedder)
    total = service.update_index().total
    shutil.rmtree(tmp_path / "index" / "chroma")
    SharedSystemClient.clear_system_cache()  # as a new process would: no client held open
    fresh = make_service(news_dir, tmp_path / "index", embedder)
    changed = fresh.index.changed_files()
    assert changed and "vector store" in changed[0] and "is missing" in changed[0]
    report = fresh.update_index()
    assert report.total == total and fresh.index.collection.count() == total  # every passage embedded again
    assert not fresh.index.is_stale()
    hits = fresh.retriever.search("Who did the board choose to lead the Kessel Observatory?", k=3)
    assert hits and max(hit.similarity for hit in hits) > 0.3  # dense search finds them again


def test_texts_are_kept_once_and_a_lost_keyword_table_is_rebuilt(news_dir: Path, tmp_path: Path, embedder):
    """Embedded, Chroma holds the vectors and the keyword table the texts; when the table is
    lost, the next update finds vectors with no text anywhere and embeds every article again."""
    service = make_service(news_dir, tmp_path / "index", embedder)
    total = service.update_index().total
    stored = service.index.collection.get(include=["documents", "metadatas"])
    assert len(stored["ids"]) == total and set(stored["documents"]) == {None}
    # only what searches filter on; titles and offsets come from the keyword table
    assert {key for metadata in stored["metadatas"] for key in metadata} == {"source", "published"}
    found = service.index.store.similarity_search("Who did the board choose to lead the Kessel Observatory?", k=2)
    assert found and all({"title", "start", "end"} <= doc.metadata.keys() for doc in found)
    day = next(metadata["published"] for metadata in stored["metadatas"] if "published" in metadata)
    dated = service.index.store.similarity_search("Kessel Observatory", k=50, filter={"published": day})
    assert dated and {doc.metadata["published"] for doc in dated} == {day}
    service.index.keywords.delete(service.index.keywords.ids())  # as a lost or emptied table
    report = service.update_index()
    assert report.total == total and service.index.keywords.count() == total
    assert set(service.index.keywords.ids()) == set(service.index.collection.get(include=[])["ids"])
    hits = service.retriever.search("Who did the board choose to lead the Kessel Observatory?", k=3)
    assert hits and "Brennand" in " ".join(hit.document.page_content for hit in hits)
    (news_dir / "05_saltby_water.txt").unlink()
    after = service.update_index()  # an ordinary update again, not another full pass
    assert (after.added, after.updated) == (0, 0) and after.deleted > 0


def test_an_embedded_reader_leaves_a_row_without_its_vector_to_the_writer(articles_dir: Path, tmp_path: Path, embedder):
    """The writer stores a passage's keyword row before its vector; a read-only host sharing the
    folder, which takes no lock, must not delete the row in between. The writer's next update does."""
    from langchain_core.documents import Document

    writer = make_service(articles_dir, tmp_path / "index", embedder)
    writer.update_index()
    pending = Document(page_content="A passage whose vector is still being written.", metadata={"source": "late.txt"})
    writer.index.keywords.upsert(["pending-passage"], [pending])
    reader = make_service(articles_dir, tmp_path / "index", embedder, read_only=True)
    reader.index.catch_up()
    assert "pending-passage" in reader.index.keywords.ids()
    writer.update_index()
    assert "pending-passage" not in writer.index.keywords.ids()


def test_pointing_at_another_vector_store_asks_for_a_rebuild(articles_dir: Path, tmp_path: Path, embedder):
    service = make_service(articles_dir, tmp_path / "index", embedder)
    service.update_index()
    moved = make_service(articles_dir, tmp_path / "index", embedder, chroma_host="127.0.0.1", chroma_port=8123)
    changed = moved.index.changed_files()  # read from the manifest; nothing is contacted
    assert changed == ["(everything is embedded again: the vector store moved (embedded -> chroma server 127.0.0.1:8123))"]
