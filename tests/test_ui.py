"""The Streamlit page driven by AppTest with the extractive generator and a real index."""

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import NEWS, free_port

APP = str(Path(__file__).resolve().parent.parent / "ui" / "app.py")
WHO_LEADS = "Who did the board choose to lead the Kessel Observatory?"  # Ottilie Brennand, 01_kessel_observatory.txt


def start_app(tmp_path: Path, monkeypatch, **env: str) -> tuple[AppTest, Path]:
    """The page over a copy of the invented news stories, with `RAG_*` settings from `env`, run once."""
    articles = tmp_path / "articles"
    shutil.copytree(NEWS, articles)
    settings = {"ARTICLES_DIR": str(articles), "INDEX_DIR": str(tmp_path / "index"), "GENERATOR": "extractive", **env}
    for name, value in settings.items():
        monkeypatch.setenv(f"RAG_{name}", value)
    st.cache_resource.clear()
    test = AppTest.from_file(APP, default_timeout=180)
    test.run()
    return test, articles


def shown_errors(test: AppTest) -> list[str]:
    """The page's error boxes as the reader sees them (Markdown escapes removed)."""
    return [error.value.replace("\\", "") for error in test.error]


@pytest.fixture
def app(tmp_path, monkeypatch):
    test, articles = start_app(tmp_path, monkeypatch)
    assert not test.exception
    yield test, articles
    st.cache_resource.clear()


def all_markdown(test: AppTest) -> str:
    return "\n".join(str(element.value) for element in test.markdown)


def articles_shown(test: AppTest) -> int:
    return int(next(metric.value for metric in test.metric if metric.label == "Articles"))


def test_ask_shows_cited_answer_with_file_names(app):
    test, _ = app
    test.chat_input[0].set_value(WHO_LEADS).run()
    assert not test.exception
    assert "Ottilie Brennand" in all_markdown(test)
    labels = [expander.label.replace("\\", "") for expander in test.expander]
    assert any("01_kessel_observatory.txt" in label and label.startswith("[1]") for label in labels)
    # a quote may hold two sentences (one pointing back to the other): quotes are counted
    quoted = sum(bool(re.match(r"\[\d+\] ", label)) for label in labels)
    counted = "1 quote, highlighted in its article" if quoted == 1 else f"{quoted} quotes, highlighted in their articles"
    assert f"**Sources** · {counted}" in all_markdown(test)


def test_abstention_is_shown_as_such(app):
    test, _ = app
    test.chat_input[0].set_value("What is the boiling point of mercury?").run()
    assert not test.exception
    assert any("articles don't say" in info.value for info in test.info)


HARBOUR = "Harbour Bridge Reopens\n\nThe Harbour Bridge in Velmora reopened after engineers replaced 120 steel cables.\n"


def test_an_article_dropped_in_the_folder_is_indexed_without_pressing_anything(app):
    test, articles = app
    assert any("Watching" in caption.value for caption in test.caption)
    (articles / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    test.run()  # what the page's timer does every few seconds
    assert not test.exception
    assert any("Now searchable: harbour.txt" in toast.value.replace("\\", "") for toast in test.toast)
    assert not test.warning  # nothing left stale
    assert articles_shown(test) == 6
    test.chat_input[0].set_value("How many steel cables were replaced on the Harbour Bridge?").run()
    assert "120" in all_markdown(test)
    assert any("harbour.txt" in expander.label.replace("\\", "") for expander in test.expander)

    (articles / "harbour.txt").unlink()
    test.run()
    assert any("No longer in the index: harbour.txt" in toast.value.replace("\\", "") for toast in test.toast)
    assert articles_shown(test) == 5


def test_without_watching_the_update_button_picks_up_a_new_article(tmp_path, monkeypatch):
    test, articles = start_app(tmp_path, monkeypatch, WATCH_SECONDS="0")
    (articles / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    test.run()
    assert any("harbour" in warning.value for warning in test.warning)  # stale
    next(b for b in test.button if b.label == "Update index").click().run()
    assert not test.exception
    assert any("Added" in success.value for success in test.success)
    test.chat_input[0].set_value("How many steel cables were replaced on the Harbour Bridge?").run()
    assert "120" in all_markdown(test)
    st.cache_resource.clear()


def test_html_in_an_article_is_shown_as_text(app):
    test, articles = app
    (articles / "hostile.txt").write_text(
        "Glassworks Festival Opens\n\nThe Zentara glassworks festival opened with <script>alert('x')</script> "
        "and <img src=x onerror=alert(1)> displays of blown glass.\n",
        encoding="utf-8",
    )
    test.run()
    next(b for b in test.button if b.label == "Update index").click().run()
    test.chat_input[0].set_value("What opened at the Zentara glassworks festival?").run()
    shown = all_markdown(test)
    assert "\\<script\\>" in shown  # escaped: Markdown shows it, the browser never runs it
    assert "<script>" not in shown.replace("\\<script\\>", "")


def test_openai_choice_appears_only_when_an_endpoint_is_configured(app):
    test, _ = app
    assert not any("OpenAI" in option for option in test.selectbox[0].options)


def test_a_dead_endpoint_is_reported_and_the_articles_still_answer(tmp_path, monkeypatch, dead_endpoint):
    test, _ = start_app(tmp_path, monkeypatch, GENERATOR="openai", OPENAI_BASE_URL=dead_endpoint)
    assert any("OpenAI" in option for option in test.selectbox[0].options)
    test.chat_input[0].set_value(WHO_LEADS).run()
    assert not test.exception
    errors = shown_errors(test)
    assert any(dead_endpoint in error and "failed" in error for error in errors), errors
    assert "Ottilie Brennand" in all_markdown(test)  # answered from the articles without the model
    st.cache_resource.clear()


def test_a_failed_update_says_what_failed_and_answers_still_come(app):
    test, articles = app
    shutil.rmtree(articles)  # the folder went away (an unmounted disk)
    test.run()
    next(b for b in test.button if b.label == "Update index").click().run()
    assert not test.exception
    errors = shown_errors(test)
    assert any("index update failed" in error and "does not exist" in error for error in errors), errors
    test.chat_input[0].set_value(WHO_LEADS).run()
    assert "Ottilie Brennand" in all_markdown(test)  # answered from the index as it stands


def test_a_vector_store_that_is_down_at_start_is_reported_and_the_page_works(tmp_path, monkeypatch):
    # nothing listens on that port
    test, _ = start_app(tmp_path, monkeypatch, CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(free_port()))
    assert not test.exception
    assert any("could not be brought up to date" in error for error in shown_errors(test))
    test.chat_input[0].set_value(WHO_LEADS).run()
    assert not test.exception
    st.cache_resource.clear()


def test_the_chat_can_be_limited_to_a_date_range_and_the_timeline_orders_articles(app):
    test, articles = app
    (articles / "cables-jan.txt").write_text(
        "Cable Work Starts\n\nPublished: 14 January 2025\n\nCrews on the Velmora footbridge have replaced 12 cables.\n", "utf-8")
    (articles / "cables-apr.txt").write_text(
        "Cable Work Ends\n\nPublished: 22 April 2025\n\nCrews on the Velmora footbridge have replaced 40 cables.\n", "utf-8")
    test.run()
    assert not test.exception
    timeline = next(expander for expander in test.expander if expander.label.startswith("Timeline"))
    shown = timeline.dataframe[0].value
    assert list(shown["file"]) == ["cables-jan.txt", "02_tarrow_tunnel.txt", "cables-apr.txt"]

    next(toggle for toggle in test.toggle if toggle.label.startswith("Only articles published")).set_value(True).run()
    test.date_input[0].set_value((date(2025, 1, 1), date(2025, 1, 31))).run()
    test.chat_input[0].set_value("How many cables have crews replaced on the Velmora footbridge?").run()
    assert not test.exception
    assert "12" in all_markdown(test) and "40" not in all_markdown(test)
    labels = [expander.label.replace("\\", "") for expander in test.expander if expander.label.startswith("[")]
    assert labels and all("cables-jan.txt" in label for label in labels)
    assert any("chosen dates" in caption.value for caption in test.caption)
