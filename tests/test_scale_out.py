"""Several app hosts over one corpus: one real Chroma server, one shared record manager, each
host with its own index folder (its keyword table is a local cache of the server's passages)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rag.store.index import ReadOnlyIndex
from rag.store.locks import IndexBusy, write_lock
from tests.conftest import BIN, NEWS, SEEDS, free_port, make_service, start_chroma

WHO_LEADS = "Who did the board choose to lead the Kessel Observatory?"  # Ottilie Brennand, 01_kessel_observatory.txt
HARBOUR = (
    "Harbour Bridge Reopens\n\nThe Harbour Bridge in Velmora reopened after engineers replaced 120 steel cables.\n"
)


@pytest.fixture
def shared(tmp_path):
    """A Chroma server and a shared SQLite record manager, with a writer host's articles."""
    process, server = start_chroma(tmp_path)
    articles = tmp_path / "articles"
    shutil.copytree(NEWS, articles)
    yield {
        "articles": articles,
        "settings": {**server, "record_manager_url": f"sqlite:///{tmp_path / 'shared-records.sqlite'}"},
        "base": tmp_path,
    }
    process.terminate()
    process.wait(timeout=30)


def test_a_read_only_host_with_an_empty_folder_answers_and_follows_the_writer(shared, embedder):
    base, settings = shared["base"], shared["settings"]
    writer = make_service(shared["articles"], base / "writer-index", embedder, collection="news", **settings)
    total = writer.update_index().total

    reader = make_service(base / "no-articles-here", base / "reader-index", embedder, collection="news",
                          read_only=True, **settings)
    assert reader.refresh_if_stale() == "updated"  # its keyword cache caught up from the server
    assert reader.index.keywords.count() == total
    answer = reader.assistant().ask(WHO_LEADS)
    assert not answer.abstained and "Ottilie Brennand" in answer.answer
    cited = answer.citations[0]
    context = reader.cited_context(cited.source, cited.start, cited.end)  # no file here: from the store
    assert context is not None and context.passage == cited.text

    # it never mistakes its empty folder for deleted articles, and never writes
    assert reader.index.changed_files() == []
    with pytest.raises(ReadOnlyIndex):
        reader.update_index()

    (shared["articles"] / "harbour.txt").write_text(HARBOUR, "utf-8")
    removed = sorted(shared["articles"].glob("0*.txt"))[0]
    removed.unlink()
    writer.update_index()
    assert reader.refresh_if_stale() == "updated"
    assert set(reader.index.keywords.ids()) == set(writer.index.keywords.ids())
    assert "harbour.txt" in reader.index.keywords.sources()
    assert removed.name not in reader.index.keywords.sources()
    assert "120 steel cables" in reader.assistant().ask("How many steel cables were replaced in Velmora?").answer
    assert reader.refresh_if_stale() == "fresh"  # nothing new: nothing fetched


def test_a_new_writer_host_with_an_empty_index_folder_embeds_nothing_again(shared, embedder):
    base, settings = shared["base"], shared["settings"]
    first = make_service(shared["articles"], base / "first-index", embedder, collection="hosts", **settings)
    total = first.update_index().total
    second = make_service(shared["articles"], base / "second-index", embedder, collection="hosts", **settings)
    report = second.update_index()
    assert (report.added, report.updated, report.deleted, report.total) == (0, 0, 0, total)
    assert second.index.keywords.count() == total  # its keyword cache came from the server
    assert "Ottilie Brennand" in second.assistant().ask(WHO_LEADS).answer


@contextmanager
def another_host_writing(index_dir: Path, record_manager_url: str, namespace: str) -> Iterator[None]:
    """Another host holds the write lock (from its own index folder) until the block ends."""
    held, release = threading.Event(), threading.Event()

    def write() -> None:
        with write_lock(index_dir, record_manager_url, namespace):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=write)
    thread.start()
    held.wait(30)
    try:
        yield
    finally:
        release.set()
        thread.join(30)


def test_only_one_host_writes_at_a_time(shared, embedder):
    base, settings = shared["base"], shared["settings"]
    other = make_service(shared["articles"], base / "other-index", embedder, collection="locks", **settings)
    with another_host_writing(base / "elsewhere", settings["record_manager_url"], "chroma/locks"):
        with pytest.raises(IndexBusy):
            other.update_index(wait=False)
    assert other.update_index(wait=False).total > 20


def _postgres_bin() -> Path | None:
    for version in ("17", "16", "15"):
        folder = Path(f"/usr/lib/postgresql/{version}/bin")
        if (folder / "initdb").exists():
            return folder
    return None


@pytest.fixture
def postgres():
    """A real PostgreSQL server on a free port, run as the `postgres` user from Debian's package."""
    folder = _postgres_bin()
    if folder is None or not shutil.which("runuser"):
        pytest.skip("PostgreSQL is not installed (make servers)")
    if os.geteuid() != 0:
        pytest.skip("the test starts PostgreSQL as the postgres user, which needs root")
    # outside pytest's private temporary folder, which the postgres user cannot enter
    data = Path(tempfile.mkdtemp(prefix="rag-pg-")) / "data"
    data.parent.chmod(0o755)
    data.mkdir()
    shutil.chown(data, "postgres", "postgres")
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_postgres, str(folder / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    port = free_port()
    subprocess.run([*as_postgres, str(folder / "pg_ctl"), "-D", str(data), "-w", "-l", str(data / "log"),
                    "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1", "start"], check=True, capture_output=True)
    yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    subprocess.run([*as_postgres, str(folder / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True)
    shutil.rmtree(data.parent, ignore_errors=True)


def test_record_manager_and_write_lock_in_postgresql(tmp_path, embedder, postgres):
    process, server = start_chroma(tmp_path)
    try:
        articles = tmp_path / "articles"
        shutil.copytree(SEEDS, articles)
        settings = {**server, "record_manager_url": postgres, "collection": "postgres-hosts"}
        writer = make_service(articles, tmp_path / "a-index", embedder, **settings)
        total = writer.update_index().total
        assert len(writer.index.record_manager.list_keys()) == total
        assert not (tmp_path / "a-index" / "records.sqlite").exists()  # the records live in PostgreSQL

        with another_host_writing(tmp_path / "b-index", postgres, "chroma/postgres-hosts"):
            with pytest.raises(IndexBusy, match="another host"):
                writer.update_index(wait=False)
        again = make_service(articles, tmp_path / "c-index", embedder, **settings).update_index(wait=False)
        assert (again.added, again.total) == (0, total)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_cli_on_a_read_only_host_refuses_to_index(shared, tmp_path):
    env = {**os.environ, "RAG_READ_ONLY": "true", "RAG_CHROMA_HOST": shared["settings"]["chroma_host"],
           "RAG_CHROMA_PORT": str(shared["settings"]["chroma_port"]), "RAG_GENERATOR": "extractive"}
    result = subprocess.run([str(BIN / "rag"), "index", "--index", str(tmp_path / "ro-index")],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "only serves" in result.stderr


def test_a_wiped_server_collection_is_embedded_again(shared, embedder):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    base, settings = shared["base"], shared["settings"]
    writer = make_service(shared["articles"], base / "wiped-index", embedder, collection="wiped", **settings)
    total = writer.update_index().total
    client = chromadb.HttpClient(host=settings["chroma_host"], port=settings["chroma_port"],
                                 settings=ChromaSettings(anonymized_telemetry=False))
    client.delete_collection("wiped")  # the server lost its data
    again = make_service(shared["articles"], base / "wiped-index", embedder, collection="wiped", **settings)
    report = again.update_index()
    assert report.total == total and again.index.collection.count() == total
    assert "Ottilie Brennand" in again.assistant().ask(WHO_LEADS).answer
