"""Shared fixtures: the real embedder (loaded once), real Chroma indexes in temporary folders."""

from __future__ import annotations

import json
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rag.service import RagService
from rag.settings import load_settings
from rag.store.embedding import SentenceTransformerEmbeddings, make_embedder

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
# Five invented local news stories (tests/news/), for tests that ask questions of a folder of
# articles: the seed articles' questions are the development set, asked only by bench/seeds.py.
# Only 02_tarrow_tunnel.txt is dated (18 February 2025); 01_ and 04_ carry bylines.
NEWS = ROOT / "tests" / "news"
BIN = Path(sys.executable).parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbeddings:
    """The embedder the settings choose by default (what users run)."""
    model = make_embedder(load_settings())
    model.warm_up()
    return model


def resident_mib() -> float:
    """This process's resident memory, from /proc."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


_WORDS = ("council farmers harbour museum river bridge school hospital orchestra football railway market "
          "festival library factory vineyard island mountain forest airport").split()
_VERBS = "opened closed repaired expanded sold moved renamed celebrated protested funded".split()


def synthetic_articles(count: int, sentences: int = 8, seed: int = 7) -> dict[str, str]:
    """`count` different local reports (name -> text) of random sentences: no two are copies."""
    chooser = random.Random(seed)
    articles = {}
    for number in range(count):
        body = [
            f"The {chooser.choice(_WORDS)} in {chooser.choice(_WORDS).title()}ville {chooser.choice(_VERBS)} "
            f"{chooser.randint(2, 900)} {chooser.choice(_WORDS)}s after {chooser.choice(_WORDS)} officials "
            f"{chooser.choice(_VERBS)} the {chooser.choice(_WORDS)} plan."
            for _ in range(sentences)
        ]
        articles[f"other-{number:02d}.txt"] = f"Local report {number}\n\n" + " ".join(body) + "\n"
    return articles


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


@pytest.fixture
def news_dir(tmp_path: Path) -> Path:
    """A copy of the invented news stories (`NEWS`) in a temporary folder."""
    folder = tmp_path / "articles"
    shutil.copytree(NEWS, folder)
    return folder


def _indexed_copy(source: Path, base: Path, embedder) -> RagService:
    folder = base / "articles"
    shutil.copytree(source, folder)
    built = make_service(folder, base / "index", embedder)
    built.update_index()
    return built


@pytest.fixture(scope="session")
def news_service(tmp_path_factory, embedder) -> RagService:
    """One index of the invented news stories shared by the read-only tests that ask questions."""
    return _indexed_copy(NEWS, tmp_path_factory.mktemp("news"), embedder)


@pytest.fixture(scope="session")
def seeded_service(tmp_path_factory, embedder) -> RagService:
    """One index of the seed articles shared by the read-only tests."""
    return _indexed_copy(SEEDS, tmp_path_factory.mktemp("seeded"), embedder)


class StandInModel(BaseHTTPRequestHandler):
    """A small OpenAI-compatible server: chooses evidence sentence [1] (JSON when the request asks
    for it), judges every sentence an answer with P(yes) = 0.91, and, asked to write an answer
    from sentences, writes the first one."""

    requests: list[dict] = []

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        StandInModel.requests.append(body)
        prompt = body["messages"][-1]["content"]
        if body.get("logprobs"):  # the judge: one token, with its log-probabilities
            top = [{"token": "yes", "logprob": -0.1, "bytes": None}, {"token": "no", "logprob": -2.4, "bytes": None}]
            self._send_json({"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                             "choices": [{"index": 0, "finish_reason": "length",
                                          "message": {"role": "assistant", "content": "yes"},
                                          "logprobs": {"content": [{"token": "yes", "logprob": -0.1, "bytes": None,
                                                                    "top_logprobs": top}]}}]})
            return
        # the selection: evidence [1] and its sentence as the answer, as JSON when asked for it
        numbered = re.search(r"^\[1\] (.+)$", prompt, re.M)
        sentence = numbered.group(1) if numbered else re.search(r"^Sentence: (.+)$", prompt, re.M).group(1)
        if body.get("response_format"):
            reply = json.dumps({"evidence": [1], "answer": sentence})
        else:
            reply = sentence
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for number, piece in enumerate(re.findall(r"\S+\s*", reply)):
            delta = {"role": "assistant", "content": piece} if number == 0 else {"content": piece}
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                     "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def _send_json(self, payload):
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def stand_in_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandInModel)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.fixture
def stand_in_requests() -> list[dict]:
    """Every request the stand-in endpoint has received."""
    return StandInModel.requests


def start_chroma(data: Path) -> tuple[subprocess.Popen, dict]:
    """A real `chroma run` on a free loopback port, storing in `data`; returns it and its settings."""
    port = free_port()
    log = (data / "server.log").open("wb")
    process = subprocess.Popen(
        [str(BIN / "chroma"), "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1):
                break
        except OSError:
            assert process.poll() is None, (data / "server.log").read_text(errors="replace")
            assert time.monotonic() < deadline, "chroma server did not start"
            time.sleep(0.2)
    return process, {"chroma_host": "127.0.0.1", "chroma_port": port}


@pytest.fixture
def dead_endpoint() -> str:
    """The URL of an OpenAI-compatible endpoint where nothing listens."""
    return f"http://127.0.0.1:{free_port()}/v1"


@pytest.fixture
def silent_endpoint():
    """An endpoint that accepts connections and never answers: every request times out."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Expose each phase's outcome to fixtures (the browser test saves a screenshot on failure)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
