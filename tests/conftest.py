"""Shared fixtures: the real embedder (loaded once), real Chroma indexes in temporary folders."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest

from rag.embedding import SentenceTransformerEmbeddings
from rag.service import RagService
from rag.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
DEV_QA = SHARED / "eval" / "dev_qa.jsonl"


def dev_questions() -> list[dict]:
    if not DEV_QA.exists():
        return []
    return [json.loads(line) for line in DEV_QA.read_text("utf-8").splitlines() if line.strip()]


needs_dev_set = pytest.mark.skipif(not DEV_QA.exists(), reason="../shared/eval/dev_qa.jsonl is absent")


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbeddings:
    model = SentenceTransformerEmbeddings()
    model.warm_up()
    return model


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_service(articles: Path, index: Path, embedder, **settings) -> RagService:
    return RagService(
        load_settings(articles_dir=articles, index_dir=index, generator="extractive", **settings),
        embedder=embedder,
    )


def indexed_articles(base: Path, files: dict[str, str], embedder) -> RagService:
    """A service over a new folder holding `files` (name -> text), indexed."""
    articles = base / "articles"
    articles.mkdir()
    for name, text in files.items():
        (articles / name).write_text(text, "utf-8")
    service = make_service(articles, base / "index", embedder)
    service.update_index()
    return service


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture
def service(articles_dir: Path, tmp_path: Path, embedder) -> RagService:
    return make_service(articles_dir, tmp_path / "index", embedder)


@pytest.fixture(scope="session")
def seeded_service(tmp_path_factory, embedder) -> RagService:
    """One index of the seed articles shared by the read-only tests."""
    base = tmp_path_factory.mktemp("seeded")
    folder = base / "articles"
    shutil.copytree(SEEDS, folder)
    built = make_service(folder, base / "index", embedder)
    built.update_index()
    return built


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Expose each phase's outcome to fixtures (the browser test saves a screenshot on failure)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
