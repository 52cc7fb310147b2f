"""Following a feed on the page (AppTest, a real index, a news site on 127.0.0.1): its articles
are listed and cited by headline, outlet and date with a link to the original, and followed feeds
are read again while the page runs."""

from __future__ import annotations

import pytest
import streamlit as st

from rag.ingest.feeds import FollowSchedule
from tests.news_site import NewsSite, rss, wait_for
from tests.test_follow import BRIDGE, LIBRARY, publish
from tests.test_ui import all_markdown, start_app

FAST = {"FOLLOW_HOST_DELAY": "0", "FOLLOW_TIMEOUT": "2"}


@pytest.fixture(autouse=True)
def stop_schedules(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield
    FollowSchedule.stop_all()
    st.cache_resource.clear()


@pytest.fixture
def site():
    news = NewsSite().start()
    yield news
    news.stop()


def follow_on_page(test, url: str) -> None:
    next(box for box in test.text_input if box.label == "RSS or Atom feed address").set_value(url)
    next(button for button in test.button if button.label == "Follow").click().run()
    assert not test.exception


def article_titles(test) -> list[str]:
    return [expander.label.replace("\\", "") for expander in test.expander]


def shown_until(test, text: str, timeout: float = 90.0) -> bool:
    """Run the page (what its timers do) until `text` is among its expanders' labels."""
    def seen() -> bool:
        test.run()
        return any(text in label for label in article_titles(test))
    return wait_for(seen, timeout, step=0.5)


def test_follow_a_feed_on_the_page_then_ask_and_follow_the_link(site, tmp_path, monkeypatch):
    feeds = publish(site)
    test, articles = start_app(tmp_path, monkeypatch, **FAST)
    assert any(header.value == "Follow a feed" for header in test.header)
    follow_on_page(test, feeds["rss"])
    assert any("Following Velmora Post" in success.value.replace("\\", "") for success in test.success)
    assert shown_until(test, BRIDGE[0]) and shown_until(test, LIBRARY[0])
    captions = [caption.value.replace("\\", "") for caption in test.caption]
    assert any(caption.startswith("Velmora Post · 2025-03-03 ·") for caption in captions), captions
    assert f"Original: [Velmora Post]({site.url('/news/bridge')})" in all_markdown(test)
    assert any(label.startswith("Velmora Post · 2 articles") for label in article_titles(test))

    test.chat_input[0].set_value("How many steel cables were replaced on the Harbour Bridge in Velmora?").run()
    assert not test.exception
    labels = [label for label in article_titles(test) if label.startswith("[")]
    assert labels and labels[0] == f"[1] {BRIDGE[0]} — Velmora Post · 2025-03-03", labels
    assert f"Original: [Velmora Post]({site.url('/news/bridge')})" in all_markdown(test)

    # a second follow of the same feed, and an address that is no feed, are refused with the reason
    follow_on_page(test, feeds["rss"])
    assert any("is followed already" in error.value for error in test.error)
    follow_on_page(test, "file:///etc/passwd")
    assert any("only http and https" in error.value for error in test.error)


def test_followed_feeds_are_read_again_while_the_page_runs(site, tmp_path, monkeypatch):
    feeds = publish(site)
    test, _ = start_app(tmp_path, monkeypatch, FOLLOW_MINUTES="0.02", **FAST)  # every 1.2 s
    follow_on_page(test, feeds["rss"])
    assert shown_until(test, BRIDGE[0])
    site.add_page("/news/ferry", "Velmora ferry timetable restored", [
        "The Velmora ferry timetable was restored on Wednesday with 14 crossings a day, the port authority said.",
        "The crossings had been cut to six a day in January while the harbour was dredged.",
    ], published="2025-03-05")
    site.add("/rss.xml", rss("Velmora Post", [
        {"title": "Velmora ferry timetable restored", "link": site.url("/news/ferry"), "published": "2025-03-05"},
        {"title": BRIDGE[0], "link": site.url("/news/bridge"), "published": "2025-03-03", "summary": "Cables replaced."},
    ]), "application/rss+xml", etag='"rss-2"')
    assert shown_until(test, "Velmora ferry timetable restored")  # nobody pressed anything
    assert site.hits("/news/bridge") == 1  # the unchanged entry was not fetched again


def test_a_read_only_page_offers_no_following(tmp_path, monkeypatch):
    test, _ = start_app(tmp_path, monkeypatch, READ_ONLY="true")
    assert not any(header.value == "Follow a feed" for header in test.header)
    assert not any(box.label == "RSS or Atom feed address" for box in test.text_input)
