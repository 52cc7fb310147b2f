"""The real app in a real browser: Debian's Chromium driven by Playwright."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import SEEDS, free_port

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make browser)"),
]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    base = tmp_path_factory.mktemp("browser")
    shutil.copytree(SEEDS, base / "articles")
    port = free_port()
    env = {
        **os.environ,
        "RAG_ARTICLES_DIR": str(base / "articles"),
        "RAG_INDEX_DIR": str(base / "index"),
        "RAG_GENERATOR": "extractive",
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
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("the app did not start: " + (base / "streamlit.log").read_text())
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


def test_ask_then_upload_update_and_ask_again(page, app_url, tmp_path):
    url, base = app_url
    page.goto(url)
    page.get_by_placeholder("Ask a question about the articles").wait_for(timeout=120_000)

    ask(page, "Which Russian foreign minister did Rubio meet?")
    page.get_by_text("Lavrov", exact=False).first.wait_for(timeout=120_000)
    page.locator("summary", has_text="002_4614d4928a4a6c8c.txt").first.wait_for(timeout=30_000)

    article = tmp_path / "harbour.txt"
    article.write_text(
        "Harbour Bridge Reopens\n\nThe Harbour Bridge in Velmora reopened after engineers replaced "
        "120 steel cables. <script>document.title='owned'</script> "
        "<img src=x onerror=\"document.title='owned'\">\n",
        encoding="utf-8",
    )
    page.locator("input[type=file]").set_input_files(str(article))
    page.get_by_role("button", name="Save to the articles folder").click()
    page.get_by_text("Files changed since the last update", exact=False).first.wait_for(timeout=30_000)
    assert (base / "articles" / "harbour.txt").exists()

    page.get_by_role("button", name="Update index").click()
    page.get_by_text("Added", exact=False).first.wait_for(timeout=120_000)

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
