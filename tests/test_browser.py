"""The real app in a real browser: Debian's Chromium driven by Playwright."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import NEWS, free_port

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make browser)"),
]


def serve_app(base: Path, generator: str):
    """The Streamlit app over a copy of the invented news stories, on a free port; yields (url, server)."""
    shutil.copytree(NEWS, base / "articles")
    port = free_port()
    env = {
        **os.environ,
        "RAG_ARTICLES_DIR": str(base / "articles"),
        "RAG_INDEX_DIR": str(base / "index"),
        "RAG_GENERATOR": generator,
    }
    log = (base / "streamlit.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "ui" / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=base,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if healthy(url):
            break
        time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("the app did not start: " + (base / "streamlit.log").read_text())
    return url, server


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    base = tmp_path_factory.mktemp("browser")
    url, server = serve_app(base, "extractive")
    yield url, base
    server.terminate()
    server.wait(timeout=20)


@pytest.fixture
def page(request):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield page
        if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        browser.close()


def ask(page, question: str) -> None:
    box = page.get_by_placeholder("Ask a question about the articles")
    box.fill(question)
    box.press("Enter")


def test_ask_then_add_articles_in_one_step_and_ask_about_them(page, app_url, tmp_path):
    url, base = app_url
    page.goto(url)
    page.get_by_placeholder("Ask a question about the articles").wait_for(timeout=120_000)

    ask(page, "Who did the board choose to lead the Kessel Observatory?")
    page.get_by_text("Ottilie Brennand", exact=False).first.wait_for(timeout=120_000)
    page.locator("summary", has_text="01_kessel_observatory.txt").first.wait_for(timeout=30_000)

    # An upload is saved and indexed in one step, and the chat says when it can be asked about.
    article = tmp_path / "harbour.txt"
    article.write_text(
        "Harbour Bridge Reopens\n\nThe Harbour Bridge in Velmora reopened after engineers replaced "
        "120 steel cables. <script>document.title='owned'</script> "
        "<img src=x onerror=\"document.title='owned'\">\n",
        encoding="utf-8",
    )
    page.locator("input[type=file]").set_input_files(str(article))
    page.get_by_text("harbour.txt is in the index: ask about it now", exact=False).first.wait_for(timeout=120_000)
    assert (base / "articles" / "harbour.txt").exists()

    ask(page, "How many steel cables were replaced on the Harbour Bridge in Velmora?")
    page.get_by_text("120 steel cables", exact=False).first.wait_for(timeout=120_000)
    source = page.locator("summary", has_text="harbour.txt").first
    source.wait_for(timeout=30_000)
    source.click()
    # The markup is on the page as visible text, and nothing of it became an element or ran.
    page.get_by_text("<script>document.title='owned'</script>", exact=False).first.wait_for(timeout=30_000)
    page.get_by_text("onerror=", exact=False).first.wait_for(timeout=30_000)
    assert page.locator("img[src='x']").count() == 0
    assert not page.evaluate("[...document.scripts].some(s => s.textContent.includes('owned'))")
    assert page.title() != "owned"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)

    # A web page saved into the folder while the page is open is picked up without a click.
    (base / "articles" / "library.html").write_text(
        "<html><head><title>Fire damages city library</title></head><body><nav><a href='/'>Home</a></nav>"
        "<article><h1>Fire damages city library</h1><p>A fire at the Central Library of Velmora destroyed "
        "about 12,000 books on Monday night, the fire brigade said.</p></article>"
        "<footer>All rights reserved.</footer></body></html>",
        encoding="utf-8",
    )
    page.get_by_text("Now searchable: library.html", exact=False).first.wait_for(timeout=120_000)
    ask(page, "How many books did the fire at the Central Library of Velmora destroy?")
    page.locator("summary", has_text="library.html").first.wait_for(timeout=120_000)
    assert "12,000" in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "picked-up.png"), full_page=True)


@pytest.mark.llm
def test_three_pages_ask_at_once_with_the_local_model(tmp_path):
    """Three people ask different questions at the same moment: each page gets its own answer,
    a page waiting for the model is told it is queued, and the server survives."""
    from playwright.sync_api import sync_playwright

    url, server = serve_app(tmp_path, "llamacpp")
    questions = [
        ("Who did the board choose to lead the Kessel Observatory?", "01_kessel_observatory.txt"),
        ("How long will the Tarrow tunnel be closed?", "02_tarrow_tunnel.txt"),
        ("What is the boiling point of mercury?", None),
    ]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update"],
            )
            pages = [browser.new_page(viewport={"width": 1400, "height": 1000}) for _ in questions]
            for page in pages:
                page.goto(url)
            for page in pages:
                page.get_by_placeholder("Ask a question about the articles").wait_for(timeout=180_000)
            for page, (question, _) in zip(pages, questions, strict=True):
                ask(page, question)

            queued = False
            deadline = time.time() + 120
            while not queued and time.time() < deadline:
                queued = any(page.get_by_text("Queued: the language model is answering").count() for page in pages)
                time.sleep(0.1)

            try:
                for page, (_, source) in zip(pages, questions, strict=True):
                    if source is None:
                        page.get_by_text("articles don't say", exact=False).first.wait_for(timeout=300_000)
                    else:
                        page.locator("summary", has_text=source).first.wait_for(timeout=300_000)
            finally:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                for number, page in enumerate(pages):
                    page.screenshot(path=str(ARTIFACTS / f"concurrent-{number}.png"), full_page=True)
            others = {s for _, s in questions}
            for page, (_, source) in zip(pages, questions, strict=True):
                # each page cites its own question's article and none of the others'
                for other in others - {source, None}:
                    assert page.locator("summary", has_text=other).count() == 0
                assert page.get_by_text("Connection error").count() == 0
            assert "brennand" in pages[0].inner_text("body").lower()
            browser.close()
        assert queued, "no page was told it was waiting for the model"
        assert server.poll() is None and healthy(url), (tmp_path / "streamlit.log").read_text()
    finally:
        server.terminate()
        server.wait(timeout=20)
