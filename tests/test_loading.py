from pathlib import Path

import pytest

from rag.ingest.loading import ArticleError, clean_article, decode_article, load_articles, parse_article

WEB_PAGE = """Home » World » Storm Hits The Coast

Storm Hits The Coast

Published: March 3, 2024

By Jane Doe

A storm reached the coast on Monday, cutting power to 20,000 homes.

Advertisement

Related Content:  Ten Things You Missed

Officials said repairs would take a week.

Share This Article
Leave a Comment
We encourage readers to share their thoughts in the comments section below.
"""


def test_cleaning_drops_page_furniture_and_keeps_the_story():
    article = parse_article("storm.txt", WEB_PAGE.encode())
    text = article.clean_text
    assert "A storm reached the coast on Monday" in text
    assert "Officials said repairs would take a week." in text
    for leftover in ("Advertisement", "Related Content", "Share This", "Leave a Comment", "comments section", "»"):
        assert leftover not in text
    assert text.count("Storm Hits The Coast") == 1  # the repeated headline is gone


def test_metadata_title_date_author():
    article = parse_article("storm.txt", WEB_PAGE.encode())
    assert article.title == "Storm Hits The Coast"
    assert article.published == "2024-03-03"
    assert article.author == "Jane Doe"


def test_blocks_are_exact_spans_of_the_original():
    article = parse_article("storm.txt", WEB_PAGE.encode())
    _, kept, _ = clean_article(article.text)
    joined = [article.text[start:end] for start, end in article.blocks]
    for block in joined:
        assert block in WEB_PAGE
        assert "Advertisement" not in block


def test_latin1_is_decoded_not_dropped():
    text, _ = decode_article("Caf\xe9 owners in S\xe3o Paulo protested.".encode("latin-1"))
    assert text == "Café owners in São Paulo protested."


RUSSIAN = "Министр иностранных дел заявил в понедельник, что переговоры в Женеве продолжатся на следующей неделе."


@pytest.mark.parametrize(
    "encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-32", "cp1251", "koi8-r", "iso-8859-5"]
)
def test_unicode_forms_and_other_code_pages_are_decoded(encoding):
    text, _ = decode_article(RUSSIAN.encode(encoding))
    assert text == RUSSIAN


def test_greek_and_central_european_code_pages_are_decoded():
    greek = "Ο πρωθυπουργός δήλωσε ότι οι συνομιλίες στην Αθήνα θα συνεχιστούν την επόμενη εβδομάδα."
    assert decode_article(greek.encode("cp1253"))[0] == greek
    german = "Die Gespräche in Zürich wurden am Montag fortgesetzt, sagte der Außenminister."
    assert decode_article(german.encode("cp1252"))[0] == german


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"   \n\n ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (bytes(range(256)) * 40, "binary"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00" + bytes(range(200)), "binary"),
        (b"Report " + bytes([1, 2, 3, 4, 5, 6, 7, 8, 11, 14, 27, 31]) * 20, "binary"),  # no NUL
        ("Report \ufffd".encode("utf-8") * 40, "binary"),  # replacement characters: a wrong decoding
    ],
)
def test_unusable_bytes_are_refused_with_a_reason(data, reason):
    with pytest.raises(ArticleError, match=reason):
        decode_article(data)


def test_tabs_line_and_page_breaks_are_text():
    text = "Title\r\n\f\n" + "Officials said\tthe vote would go ahead.\r\n\f" * 40
    assert decode_article(text.encode("utf-8"))[0] == text


def test_folder_load_names_every_skipped_file(tmp_path: Path):
    (tmp_path / "good.txt").write_text(WEB_PAGE, encoding="utf-8")
    (tmp_path / "copy.md").write_text(WEB_PAGE, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "image.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "huge.txt").write_text("word " * 5000, encoding="utf-8")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    result = load_articles(tmp_path, max_bytes=10_000)
    assert [a.source for a in result.articles] == ["copy.md"]
    reasons = {item.source: item.reason for item in result.skipped}
    assert reasons["good.txt"] == "duplicate of copy.md"
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["image.txt"]
    assert "limit" in reasons["huge.txt"]
    assert "notes.pdf" not in reasons


PROSE_THAT_LOOKS_LIKE_FURNITURE = [
    "Watch: the video the agency released on Tuesday shows the convoy crossing the border at dawn.",
    "Sign up rates for the scheme rose by a third in March, the ministry said in its report.",
    "More news outlets have asked the court for access to the documents, the judge noted on Friday.",
    "Error: that was the one word the engineer wrote in the log before the system went dark.",
    "Share prices fell sharply in Tokyo after the central bank's announcement on Wednesday.",
]


@pytest.mark.parametrize("sentence", PROSE_THAT_LOOKS_LIKE_FURNITURE)
def test_real_prose_survives_the_furniture_rules(sentence):
    page = f"Markets Close Lower\n\n{sentence}\n\nShare\nWatch:\nSign up\nMore news\n"
    text = parse_article("story.txt", page.encode()).clean_text
    assert sentence in text
    lines = text.splitlines()
    for furniture in ("Share", "Watch:", "Sign up", "More news"):
        assert furniture not in lines


def test_a_section_label_is_not_an_author_and_a_dateline_is_not_a_title():
    page = (
        "Breaking News\n\nWASHINGTON, 03/02/2025\n\n"
        "The Senate passed the spending bill late on Sunday by a vote of 61 to 39.\n\n"
        "Layla Al Mansoori\n"
    )
    article = parse_article("senate.txt", page.encode())
    assert article.author == "Layla Al Mansoori"
    assert article.title == "Breaking News" or "WASHINGTON" not in article.title
    assert article.published == "2025-03-02"
    without_byline = parse_article("senate.txt", page.replace("Layla Al Mansoori", "").encode())
    assert without_byline.author is None


WEB_PAGE_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Port strike ends after nine days | Harbour Times</title>
<meta property="og:title" content="Port strike ends after nine days">
<meta name="author" content="Maria Keller">
<meta property="article:published_time" content="2025-02-14T09:30:00Z">
<script>window.track = function () { document.title = "tracked"; };</script>
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a></nav></header>
<div class="ad">Advertisement</div>
<main><article>
<h1>Port strike ends after nine days</h1>
<p>Dock workers in Rotterdam returned to work on Friday after a nine-day strike over pay, the union said.</p>
<p>The agreement raises wages by 6.5 percent over two years, according to the port authority, which said
about 300 ships had been delayed.</p>
<p>"We are relieved that the cranes are moving again," said harbour master Jan de Vries.</p>
</article></main>
<aside><h3>Related stories</h3><ul><li><a href="/a">Rail strike looms</a></li><li><a href="/b">Fuel prices rise</a></li></ul></aside>
<section id="comments"><h3>Comments</h3><p>great news!!! click here to win a prize</p></section>
<footer>© 2025 Harbour Times. All rights reserved. <a href="/privacy">Privacy</a></footer>
</body></html>
"""

MARKDOWN = """---
title: "Port strike ends after nine days"
date: 2025-02-14
author: Maria Keller
tags: [ports, labour]
---
# Port strike ends after nine days

Dock workers in **Rotterdam** returned to work on Friday after a [nine-day strike](https://example.com/s) over pay.

- The agreement raises wages by 6.5 percent over two years.
"""


def test_a_web_page_gives_its_story_title_author_and_date():
    article = parse_article("strike.html", WEB_PAGE_HTML.encode())
    assert article.title == "Port strike ends after nine days"
    assert article.author == "Maria Keller"
    assert article.published == "2025-02-14"
    text = article.clean_text
    assert "Dock workers in Rotterdam returned to work on Friday" in text
    assert "about 300 ships had been delayed" in text
    for leftover in ("Home", "Advertisement", "Rail strike looms", "great news", "All rights reserved", "track", "<"):
        assert leftover not in text
    for start, end in article.blocks:  # spans of the extracted text, which is what citations point at
        assert article.text[start:end].strip() == article.text[start:end]


def test_markdown_front_matter_is_metadata_and_markup_is_not_text():
    article = parse_article("strike.md", MARKDOWN.encode())
    assert (article.title, article.published, article.author) == (
        "Port strike ends after nine days", "2025-02-14", "Maria Keller"
    )
    text = article.clean_text
    assert "Dock workers in Rotterdam returned to work on Friday after a nine-day strike over pay." in text
    assert "The agreement raises wages by 6.5 percent over two years." in text
    for markup in ("---", "title:", "tags", "#", "**", "](", "https://", "- The"):
        assert markup not in text


def test_a_web_page_with_no_story_is_refused_with_a_reason():
    with pytest.raises(ArticleError, match="no article text"):
        parse_article("empty.html", b"<html><body><nav><a href='/'>Home</a></nav></body></html>")
