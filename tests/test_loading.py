from pathlib import Path

import pytest

from rag.loading import ArticleError, clean_article, decode_article, load_articles, parse_article

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
    text, encoding = decode_article("Caf\xe9 owners in S\xe3o Paulo protested.".encode("latin-1"))
    assert text == "Café owners in São Paulo protested."
    assert encoding in {"cp1252", "latin-1"}


@pytest.mark.parametrize(
    "data, reason",
    [(b"", "empty"), (b"   \n\n ", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary")],
)
def test_unusable_bytes_are_refused_with_a_reason(data, reason):
    with pytest.raises(ArticleError, match=reason):
        decode_article(data)


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
