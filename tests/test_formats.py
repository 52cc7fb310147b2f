"""Articles as people save them (plain text, Markdown with front matter, web pages, UTF-16, a
Cyrillic code page) indexed into a real Chroma store and answered with exact-span citations."""

from pathlib import Path

import pytest

from rag.ingest.loading import parse_article
from tests.conftest import make_service
from tests.test_loading import MARKDOWN, WEB_PAGE_HTML

LIBRARY_PAGE = """<html><head><title>Fire damages city library - The Courier</title>
<meta name="author" content="Tom Berg"><meta name="date" content="2024-11-05"></head><body>
<nav><ul><li><a href="/">Front page</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<article><h1>Fire damages city library</h1>
<p>A fire at the Central Library destroyed about 12,000 books on Monday night, the fire brigade said.</p>
<p>Nobody was hurt, and the building will stay closed until the end of January while the roof is repaired.</p>
</article>
<div class="newsletter">Sign up for our newsletter</div>
<footer>Copyright The Courier. All rights reserved.</footer></body></html>
"""

RAILWAY = """Mountain Railway Reopens

Published: 12 May 2024

The mountain railway above Grindelwald reopened on Saturday after a landslide closed it for six weeks.
Crews moved 4,000 cubic metres of rock to clear the track.
"""

RUSSIAN = """Переговоры в Женеве

Министр иностранных дел заявил в понедельник, что переговоры в Женеве продолжатся на следующей неделе.
"""

FILES = {
    "strike.md": MARKDOWN.encode("utf-8"),
    "port.html": WEB_PAGE_HTML.encode("utf-8"),
    "library.htm": LIBRARY_PAGE.encode("utf-8"),
    "railway.txt": RAILWAY.encode("utf-16"),
    "geneva.txt": RUSSIAN.encode("cp1251"),
}


@pytest.fixture(scope="module")
def service(tmp_path_factory, embedder):
    base = tmp_path_factory.mktemp("formats")
    articles = base / "articles"
    articles.mkdir()
    for name, data in FILES.items():
        (articles / name).write_bytes(data)
    service = make_service(articles, base / "index", embedder)
    report = service.update_index()
    assert report.skipped_files == []
    return service


def test_every_format_is_indexed_with_its_title_and_date(service):
    found = {article["source"]: article for article in service.index.articles()}
    assert set(found) == set(FILES)
    expected = {
        "strike.md": ("Port strike ends after nine days", "2025-02-14"),
        "port.html": ("Port strike ends after nine days", "2025-02-14"),
        "library.htm": ("Fire damages city library", "2024-11-05"),
        "railway.txt": ("Mountain Railway Reopens", "2024-05-12"),
        "geneva.txt": ("Переговоры в Женеве", None),
    }
    for source, (title, published) in expected.items():
        assert (found[source]["title"], found[source].get("published")) == (title, published), source


@pytest.mark.parametrize(
    "question, source, fact",
    [
        ("How many books did the fire at the Central Library destroy?", "library.htm", "12,000"),
        ("How long was the mountain railway above Grindelwald closed by the landslide?", "railway.txt", "six weeks"),
        ("How many ships had been delayed, according to the port authority?", "port.html", "300"),
        ("By how much does the agreement raise wages over two years?", "strike.md port.html", "6.5 percent"),
    ],
)
def test_questions_are_answered_with_exact_spans_of_what_the_reader_sees(service, question, source, fact):
    answer = service.assistant("extractive").ask(question)
    assert not answer.abstained, answer.checks
    assert fact in answer.answer
    citation = answer.citations[0]
    assert citation.source in source.split()  # the same story saved as Markdown and as a page
    article = parse_article(citation.source, (service.articles_dir / citation.source).read_bytes())
    assert article.text[citation.start : citation.end] == citation.text
    context = service.cited_context(citation.source, citation.start, citation.end)
    assert context is not None and context.passage == citation.text
    assert "<" not in context.before + context.passage + context.after


def test_a_cyrillic_article_is_found_by_its_own_words(service):
    hits = service.retriever.search("переговоры в Женеве", k=2)
    assert hits[0].source == "geneva.txt"
    assert "Министр иностранных дел" in hits[0].text


def test_an_upload_of_each_format_is_saved_and_read(tmp_path: Path):
    from rag.ingest.articles import save_article

    for name, data in FILES.items():
        saved = save_article(tmp_path, name, data, 1_000_000)
        assert saved.read_bytes() == data
        assert parse_article(saved.name, data).blocks
