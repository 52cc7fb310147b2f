"""Server mode: the same index and answers against a real `chroma run` on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NEWS, make_service, start_chroma

BIN = Path(sys.executable).parent
WHO_LEADS = "Who did the board choose to lead the Kessel Observatory?"  # Ottilie Brennand, 01_kessel_observatory.txt


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    process, server = start_chroma(tmp_path_factory.mktemp("chroma-server"))
    yield server
    process.terminate()
    process.wait(timeout=30)


def server_ids(server: dict, collection: str) -> set[str]:
    import chromadb
    from chromadb.config import Settings

    client = chromadb.HttpClient(
        host=server["chroma_host"], port=server["chroma_port"], settings=Settings(anonymized_telemetry=False)
    )
    return set(client.get_collection(collection).get(include=[])["ids"])


def test_incremental_index_against_the_server(chroma_server, tmp_path, embedder):
    articles = tmp_path / "articles"
    shutil.copytree(NEWS, articles)
    service = make_service(articles, tmp_path / "index", embedder, collection="incremental", **chroma_server)
    first = service.update_index()
    assert first.added == first.total > 20
    assert not (tmp_path / "index" / "chroma").exists()  # vectors live on the server only

    stored = server_ids(chroma_server, "incremental")
    assert stored == set(service.index.keywords.ids()) == set(service.index.record_manager.list_keys())

    again = service.update_index()
    assert (again.added, again.updated, again.deleted) == (0, 0, 0)

    changed_file = sorted(articles.glob("*.txt"))[0]
    changed_file.write_text(changed_file.read_text("utf-8") + "\nA closing line added by the editor.\n", "utf-8")
    removed_file = sorted(articles.glob("*.txt"))[1]
    removed_passages = len(service.index.keywords.ids([removed_file.name]))
    removed_file.unlink()
    report = service.update_index()
    assert 0 < report.updated + report.added < 10  # only the changed article's new passages
    assert report.deleted >= removed_passages
    stored = server_ids(chroma_server, "incremental")
    assert stored == set(service.index.keywords.ids()) == set(service.index.record_manager.list_keys())
    assert removed_file.name not in service.index.keywords.sources()


def test_cli_index_and_ask_against_the_server(chroma_server, tmp_path):
    articles = tmp_path / "articles"
    shutil.copytree(NEWS, articles)
    env = {
        **os.environ,
        "RAG_CHROMA_HOST": chroma_server["chroma_host"],
        "RAG_CHROMA_PORT": str(chroma_server["chroma_port"]),
        "RAG_COLLECTION": "cli",
        "RAG_GENERATOR": "extractive",
        "RAG_ARTICLES_DIR": str(articles),
        "RAG_INDEX_DIR": str(tmp_path / "index"),
    }
    built = subprocess.run([str(BIN / "rag"), "index", "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    total = json.loads(built.stdout)["total"]
    assert len(server_ids(chroma_server, "cli")) == total

    asked = subprocess.run(
        [str(BIN / "rag"), "ask", "--json", WHO_LEADS],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert "Ottilie Brennand" in answer["answer"]
    assert answer["citations"] and all(c["source"].endswith(".txt") for c in answer["citations"])


def test_a_server_that_goes_away_is_reported_and_keyword_search_still_answers(tmp_path, embedder):
    process, server = start_chroma(tmp_path)
    try:
        articles = tmp_path / "articles"
        shutil.copytree(NEWS, articles)
        service = make_service(articles, tmp_path / "index", embedder, collection="lost", **server)
        service.update_index()
        assert service.assistant().ask(WHO_LEADS).notes == []
    finally:
        process.terminate()
        process.wait(timeout=30)
    answer = service.assistant().ask(WHO_LEADS)
    assert any("vector store could not be read" in note and "keyword search alone" in note for note in answer.notes)
    assert not answer.abstained and "Ottilie Brennand" in answer.answer  # BM25 still finds it
