"""Crashes and concurrent use, with real `rag` processes on a real index."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.settings import load_settings
from rag.store.index import ArticleIndex
from tests.conftest import NEWS, SEEDS, SHARED, synthetic_articles

RAG = str(Path(sys.executable).parent / "rag")
SCIFACT = SHARED / "bench" / "scifact" / "corpus.jsonl"
CRASH_CORPUS = 300  # abstracts: about 900 passages, several indexing batches


def rag_process(*args: str, index: Path, articles: Path, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "RAG_GENERATOR": "extractive", "RAG_INDEX_DIR": str(index), "RAG_ARTICLES_DIR": str(articles)}
    return subprocess.Popen(
        [RAG, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    )


def rag(*args: str, index: Path, articles: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    process = rag_process(*args, index=index, articles=articles)
    out, err = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def stored_passages(index: Path) -> int:
    """Passages committed so far, read the way a second process would see them."""
    path = index / "keywords.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as connection:
            return connection.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def wait_until(condition, timeout: float = 300, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)


def index_contents(index: Path, articles: Path, embedder) -> dict[str, set[str]]:
    """The passage ids held by each of the three parts of an index."""
    opened = ArticleIndex(load_settings(index_dir=index, articles_dir=articles), embedder)
    chroma_ids = opened.collection.get(include=[])["ids"]
    keyword_ids = opened.keywords.ids()
    record_keys = opened.record_manager.list_keys()
    assert len(chroma_ids) == len(set(chroma_ids)) and len(keyword_ids) == len(set(keyword_ids))
    return {"chroma": set(chroma_ids), "keywords": set(keyword_ids), "records": set(record_keys),
            "bm25": opened.keywords.searchable_ids()}


@pytest.fixture(scope="module")
def abstracts(tmp_path_factory) -> Path:
    if not SCIFACT.exists():
        pytest.skip("../shared/bench/scifact is absent")
    folder = tmp_path_factory.mktemp("scifact") / "articles"
    folder.mkdir()
    with SCIFACT.open(encoding="utf-8") as corpus:
        for _, line in zip(range(CRASH_CORPUS), corpus):
            doc = json.loads(line)
            (folder / f"{doc['_id']}.txt").write_text(f"{doc['title']}\n\n{doc['text']}\n", "utf-8")
    return folder


def test_kill_9_while_indexing_loses_nothing(abstracts, tmp_path, embedder):
    index = tmp_path / "index"
    # Killed twice, at different points: early (mid first batches) and later (mid-run).
    for stored_before_kill in (1, 300):
        process = rag_process("index", "--json", index=index, articles=abstracts)
        wait_until(lambda: stored_passages(index) >= stored_before_kill or process.poll() is not None)
        assert process.poll() is None, "indexing finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL
    killed_at = stored_passages(index)

    finished = rag("index", "--json", index=index, articles=abstracts)
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    assert report["added"] > 0 and report["total"] > killed_at

    again = json.loads(rag("index", "--json", index=index, articles=abstracts).stdout)
    assert (again["added"], again["updated"], again["deleted"]) == (0, 0, 0)

    clean = tmp_path / "clean"
    built = json.loads(rag("index", "--json", index=clean, articles=abstracts).stdout)
    assert report["total"] == again["total"] == built["total"]

    recovered = index_contents(index, abstracts, embedder)
    reference = index_contents(clean, abstracts, embedder)
    # No duplicates, no orphans: the three parts agree, and match a clean build id for id.
    assert recovered["chroma"] == recovered["keywords"] == recovered["records"] == reference["chroma"]
    assert recovered["bm25"] == reference["chroma"]  # the BM25 index searches exactly these


@pytest.fixture
def growing_folder(tmp_path) -> tuple[Path, Path]:
    """An index of the news stories, then a folder grown enough that the next update takes a while."""
    articles = tmp_path / "articles"
    shutil.copytree(NEWS, articles)
    index = tmp_path / "index"
    assert rag("index", index=index, articles=articles).returncode == 0
    for name, text in synthetic_articles(40, sentences=120).items():  # different stories, not copies
        (articles / name).write_text(text, "utf-8")
    return articles, index


def test_questions_during_an_update_are_answered_and_updates_are_serialised(growing_folder, embedder):
    articles, index = growing_folder
    before = stored_passages(index)
    first = rag_process("index", "--json", index=index, articles=articles)
    wait_until(lambda: stored_passages(index) > before)
    assert first.poll() is None, "the update finished too soon to test against"

    second = rag_process("index", "--json", index=index, articles=articles)
    answers = []
    while first.poll() is None and len(answers) < 4:
        asked = rag("ask", "--json", "Who did the board choose to lead the Kessel Observatory?", index=index, articles=articles)
        assert asked.returncode == 0, asked.stderr
        assert "Traceback" not in asked.stderr
        answers.append(json.loads(asked.stdout))
        searched = rag("search", "--json", "Brennand", index=index, articles=articles)
        assert searched.returncode == 0, searched.stderr
        assert json.loads(searched.stdout)["results"]
    assert answers, "no question was asked while the update ran"
    for answer in answers:
        assert "Ottilie Brennand" in answer["answer"]
        assert answer["citations"]

    first_out, first_err = first.communicate(timeout=600)
    second_out, second_err = second.communicate(timeout=600)
    assert first.returncode == 0, first_err
    assert second.returncode == 0, second_err
    assert "another index update is running" in second_err
    first_report, second_report = json.loads(first_out), json.loads(second_out)
    assert first_report["added"] > 0
    assert (second_report["added"], second_report["deleted"]) == (0, 0)  # ran after, found it done
    parts = index_contents(index, articles, embedder)
    assert parts["chroma"] == parts["keywords"] == parts["records"] == parts["bm25"]
    assert len(parts["chroma"]) == first_report["total"] == second_report["total"]


def test_a_full_disk_mid_update_loses_nothing(tmp_path, embedder, monkeypatch):
    """The keyword table's write fails as on a full disk: the update stops with the error, and the
    next one, with space again, ends with the same index as a clean build."""
    import errno

    from rag.store.keywords import KeywordIndex
    from tests.conftest import make_service

    articles = tmp_path / "articles"
    shutil.copytree(SEEDS, articles)
    clean = make_service(articles, tmp_path / "clean-index", embedder).update_index()

    service = make_service(articles, tmp_path / "index", embedder)
    original = KeywordIndex.upsert

    def full_disk(self, ids, documents):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(KeywordIndex, "upsert", full_disk)
    with pytest.raises(OSError, match="No space left"):
        service.update_index()
    monkeypatch.setattr(KeywordIndex, "upsert", original)

    report = service.update_index()
    index = service.index
    assert report.total == clean.total
    ids = set(index.keywords.ids())
    assert len(ids) == clean.total
    assert ids == set(index.collection.get(include=[])["ids"]) == set(index.record_manager.list_keys())
    assert index.keywords.searchable_ids() == ids
    assert not index.is_stale()


def test_a_reader_crash_mid_update_loses_nothing(tmp_path, embedder, monkeypatch):
    """Articles are read in a background thread while earlier ones are embedded: an unexpected
    error there stops the update with that error, and the next update completes the index."""
    import rag.ingest.loading
    from tests.conftest import make_service

    articles = tmp_path / "articles"
    shutil.copytree(SEEDS, articles)
    last = sorted(path.name for path in articles.iterdir())[-1]
    clean = make_service(articles, tmp_path / "clean-index", embedder).update_index()

    service = make_service(articles, tmp_path / "index", embedder)
    original = rag.ingest.loading.parse_article

    def fails_on_the_last(name, data):
        if name == last:
            raise MemoryError("the reader ran out of memory")
        return original(name, data)

    monkeypatch.setattr(rag.ingest.loading, "parse_article", fails_on_the_last)
    with pytest.raises(MemoryError):
        service.update_index()
    assert service.index.is_stale()  # the manifest was not written: the next update redoes it
    monkeypatch.setattr(rag.ingest.loading, "parse_article", original)

    report = service.update_index()
    assert report.total == clean.total
    index = service.index
    ids = set(index.keywords.ids())
    assert ids == set(index.collection.get(include=[])["ids"]) == index.keywords.searchable_ids()
    assert last in index.keywords.sources()
