"""Following a feed in a real browser: Debian's Chromium driven by Playwright against the real
app, a news site on 127.0.0.1 serving the feed and its pages."""

from __future__ import annotations

import pytest

from tests.news_site import NewsSite
from tests.test_browser import ARTIFACTS, CHROMIUM, ask, page, serve_app  # noqa: F401 - `page` is a fixture
from tests.test_follow import BRIDGE, LIBRARY, publish

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                       reason="Debian's chromium is not installed (make browser)"),
]


@pytest.fixture
def site():
    news = NewsSite().start()
    yield news
    news.stop()


@pytest.fixture
def app(tmp_path, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    # the app reads its settings from the environment it starts in: no delay between requests
    # to the one test host
    monkeypatch.setenv("RAG_FOLLOW_HOST_DELAY", "0")
    url, server = serve_app(tmp_path, "extractive")
    yield url, tmp_path
    server.terminate()
    server.wait(timeout=20)


def test_follow_a_feed_see_its_articles_and_open_a_cited_original(page, app, site):  # noqa: F811
    url, base = app
    feeds = publish(site)
    page.goto(url)
    page.get_by_placeholder("Ask a question about the articles").wait_for(timeout=120_000)

    page.get_by_label("RSS or Atom feed address").fill(feeds["rss"])
    page.get_by_role("button", name="Follow").click()
    page.get_by_text("Following Velmora Post", exact=False).first.wait_for(timeout=60_000)

    # the articles are listed by headline, with their outlet and date
    sidebar = page.locator("section[data-testid='stSidebar']")
    for headline in (BRIDGE[0], LIBRARY[0]):
        sidebar.locator("summary", has_text=headline).first.wait_for(timeout=120_000)
    sidebar.locator("summary", has_text=BRIDGE[0]).first.click()
    sidebar.get_by_text("Velmora Post · 2025-03-03", exact=False).first.wait_for(timeout=30_000)
    assert (base / "articles" / ".feeds.json").exists()

    ask(page, "How many steel cables were replaced on the Harbour Bridge in Velmora?")
    source = page.locator("summary", has_text=f"[1] {BRIDGE[0]} — Velmora Post · 2025-03-03").first
    source.wait_for(timeout=120_000)
    assert "120" in page.locator("[data-testid='stChatMessage']").last.inner_text()
    source.click()
    link = page.locator(f"[data-testid='stChatMessage'] a[href='{site.url('/news/bridge')}']").first
    link.wait_for(timeout=30_000)
    assert link.inner_text() == "Velmora Post"
    # nothing of the fetched page became an element of this one
    assert page.locator("nav a[href='/world']").count() == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "followed.png"), full_page=True)
