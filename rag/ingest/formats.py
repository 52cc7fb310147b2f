"""Web pages and Markdown files as article text, through the libraries made for them.

- HTML: `trafilatura` finds the main text (no navigation, ads or comments) and the title,
  author and date (`htmldate` inside it), the site's name and the page's own address.
- Markdown: `python-frontmatter` reads the front matter as metadata (title, date or published,
  author, and for an article fetched from the web its `url` and `outlet`); `markdown-it-py` parses
  the body, and only the words a reader sees are kept (link text without its address, no
  emphasis marks, no raw HTML).

Either way the article's text is the extracted plain text, one block per paragraph or heading.
Citations point at characters of that text, which is what the page shows, and extracting the
same file again gives the same text, so a cited span can always be found again.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from rag.ingest.dates import as_iso_date

HTML_SUFFIXES = (".html", ".htm")
MARKDOWN_SUFFIXES = (".md", ".markdown")


@dataclass(frozen=True)
class Extracted:
    text: str
    blocks: tuple[tuple[int, int], ...]  # spans of `text`: paragraphs and headings, in order
    title: str | None = None
    published: str | None = None
    author: str | None = None
    outlet: str | None = None  # the publication: a site's name, a feed's title
    url: str | None = None  # where the article was published (http or https only)


def web_address(value: object) -> str | None:
    """`value` as an http(s) address, or None: no other scheme is ever offered as a link."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        return None
    return value


def _one_line(value: object) -> str | None:
    return " ".join(str(value).split()) or None if value else None


def _joined(paragraphs: list[str]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Paragraphs as one text, a blank line apart, with each paragraph's span."""
    text, blocks = "", []
    for paragraph in paragraphs:
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        if text:
            text += "\n\n"
        blocks.append((len(text), len(text) + len(paragraph)))
        text += paragraph
    return text, tuple(blocks)


def extract_html(html: str) -> Extracted:
    """The main text of a web page, with its title, author and publication date."""
    import trafilatura

    document = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        favor_precision=True,
    )
    if document is None:
        return Extracted("", ())
    data = document if isinstance(document, dict) else document.as_dict()
    text, blocks = _joined((data.get("text") or "").splitlines())
    return Extracted(
        text,
        blocks,
        title=(data.get("title") or "").strip() or None,
        published=as_iso_date(data.get("date")),
        author=(data.get("author") or "").strip() or None,
        outlet=_one_line(data.get("sitename")),
        url=web_address(data.get("url")),
    )


def _inline_text(token) -> str:
    """The words of an inline token as a reader sees them."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)  # an image's alt text sits inside the image token: never article text


def extract_markdown(source: str) -> Extracted:
    """A Markdown article's text, with front matter (title, date, author) as metadata."""
    import frontmatter
    from markdown_it import MarkdownIt

    try:
        post = frontmatter.loads(source)
        metadata, body = dict(post.metadata), post.content
    except Exception:  # noqa: BLE001 - malformed front matter: read the file as all body
        metadata, body = {}, source
    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    paragraphs, headings = [], []
    for position, token in enumerate(tokens):
        if token.type != "inline":
            continue
        opener = tokens[position - 1].type if position else ""
        words = _inline_text(token)
        paragraphs.append(words)
        if opener == "heading_open":
            headings.append(words)
    text, blocks = _joined(paragraphs)
    author = metadata.get("author") or metadata.get("authors")
    if isinstance(author, list):
        author = ", ".join(str(name) for name in author)
    title = metadata.get("title") or (headings[0] if headings else None)
    return Extracted(
        text,
        blocks,
        title=_one_line(title),
        published=as_iso_date(metadata.get("date") or metadata.get("published")),
        author=_one_line(author),
        outlet=_one_line(metadata.get("outlet") or metadata.get("source_name")),
        url=web_address(metadata.get("url")),
    )
