"""Read article files, decode them, strip web-page leftovers, and pull out title, date and author.

Cleaning never rewrites text: it only decides which lines of the original file are article
text. An article's `blocks` are character spans of the decoded original, so every passage cut
from them maps back to its exact place in the file.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rag.ingest.dates import dateline_date, parse_date
from rag.ingest.duplicates import NearDuplicates, signature
from rag.ingest.formats import HTML_SUFFIXES, MARKDOWN_SUFFIXES, Extracted, extract_html, extract_markdown

ARTICLE_SUFFIXES = (".txt",) + MARKDOWN_SUFFIXES + HTML_SUFFIXES

_BOILERPLATE_LINE = re.compile(
    r"""^(?:
        advertisements?|sponsored(?:\ content)?|ad|promoted|
        (?:related|recommended|more|similar|trending)\ (?:content|articles?|posts?|stories|news|reading)\b.*|
        (?:read\ more|see\ also|also\ read|read\ also|watch)\s*:.*|
        leave\ a\ (?:comment|reply)|click\ to\ comment|post\ a\ comment|add\ a\ comment|\d*\s*comments?|
        (?:cancel\ )?reply|
        share(?:\ this)?(?:\ (?:article|story|post|page))?(?:\ (?:on|via)\ .*)?:?|
        (?:follow|like|join|subscribe\ to|connect\ with)\ us\b.*|
        (?:do\ )?follow\ .{1,60}\ on\ (?:instagram|twitter|facebook|x|youtube|linkedin|telegram|whatsapp|tiktok)\b.*|
        subscribe(?:\ now)?|sign\ up.*|log\ ?in|newsletter.*|
        facebook|twitter|x|instagram|linkedin|whatsapp|telegram|pinterest|reddit|tiktok|youtube|email|e-mail|print|copy\ link|
        tagged:?.*|tags?:.*|filed\ under:?.*|
        most\ (?:popular|read|viewed|shared)|trending(?:\ now)?|you\ (?:may|might)\ also\ like.*|
        \d+\s*min(?:ute)?s?\ read|reading\ time.*|
        reading:\ .*|
        error:\ .*|
        (?:for\ more\ information,?\ )?click\ here.*|
        references?(?:\(s\))?:?|sources?(?:\(s\))?:?|
        (?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|co|io|news|cn|uk|info|tv)(?:/\S*)?|
        (?:published|updated|posted)(?:\ on)?:?|on|by
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# Calls to action and site promotion that sit inside prose-length lines.
_PROMO_PHRASE = re.compile(
    r"""\b(?:
        (?:share|tell\ us|let\ us\ know)\b.{0,80}\b(?:comments?\ (?:section\ )?below|in\ the\ comments)|
        guest\ blogging|drop\ us\ an?\ (?:email|line|message)|email\ protected|
        subscribe\ to\ our|sign\ up\ for\ our|follow\ us\ on|
        all\ rights\ reserved|content\ is\ protected|
        this\ site\ uses\ akismet|your\ email\ address\ will\ not\ be\ published|required\ fields\ are\ marked
    )""",
    re.IGNORECASE | re.VERBOSE,
)

_BREADCRUMB = re.compile(r"\S\s*[»›]\s*\S.*[»›]")

_BYLINE = re.compile(r"^(?:by|written by|author:)\s+(?P<name>[^\d,;:]{3,60})$", re.I)
_NAME_LINE = re.compile(r"^[A-Z][\w.'’-]+(?:\s+(?:[A-Z][\w.'’-]+|al|bin|de|van|von|da|el)){1,3}$")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")  # control characters but tab, line and page breaks; U+FFFD
PROSE_MIN_WORDS = 8
MIN_ARTICLE_WORDS = 3  # fewer words than this is a menu or a stub, not an article
MAX_MESS = 0.2  # charset-normalizer's default limit on a decoding's share of implausible characters


class ArticleError(ValueError):
    """An article file that cannot be used; the message says why in a few words."""


@dataclass(frozen=True)
class Article:
    source: str  # file name: the article's id
    text: str  # the decoded file, unchanged; for web pages and Markdown, the extracted text
    blocks: tuple[tuple[int, int], ...]  # spans of `text` that are article text, in order
    title: str
    published: str | None = None  # ISO date when the text states one
    author: str | None = None
    content_hash: str = ""
    encoding: str = "utf-8"
    outlet: str | None = None  # the publication, when the file names it (front matter, a site's name)
    url: str | None = None  # where it was published, for an article fetched from the web

    @property
    def clean_text(self) -> str:
        return "\n\n".join(self.text[start:end] for start, end in self.blocks)


@dataclass
class SkippedFile:
    source: str
    reason: str
    copy_of: str | None = None  # the indexed article this file repeats, for a duplicate


@dataclass
class LoadResult:
    articles: list[Article] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    signatures: dict[str, list[int]] = field(default_factory=dict)  # MinHash of each loaded article


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _detect_encoding(data: bytes) -> tuple[str, str]:
    """Text in an 8-bit or BOM-less encoding. Windows-1252 is taken when it reads cleanly by
    charset-normalizer's own measure of mess: a short Western text is equally valid in several
    Latin code pages, and 1252 is by far the most used; otherwise charset-normalizer decides."""
    from charset_normalizer import from_bytes
    from charset_normalizer.md import mess_ratio

    if b"\x00" not in data:
        try:
            western = data.decode("cp1252")
        except UnicodeDecodeError:
            western = None
        if western is not None and mess_ratio(western[:20000], MAX_MESS) < MAX_MESS:
            return western, "cp1252"
    best = from_bytes(data).best()
    if best is None:
        raise ArticleError("binary file (not text in any known encoding)")
    return str(best), best.encoding


def decode_article(data: bytes) -> tuple[str, str]:
    """Decode an article's bytes; returns the text and the encoding it was read in.

    A byte-order mark decides first (UTF-8, UTF-16, UTF-32), then strict UTF-8; anything else
    is detected by `charset-normalizer` (Windows and ISO code pages, Cyrillic, Greek, …).
    Bytes that decode to no readable text are refused as binary.
    """
    if not data.strip():
        raise ArticleError("empty file")
    text = encoding = None
    for mark, name in _BOMS:
        if data.startswith(mark):
            try:
                text, encoding = data.decode(name), name.removesuffix("-sig")
            except UnicodeDecodeError:
                raise ArticleError(f"not readable as {name} although it starts like it") from None
            break
    if text is None and b"\x00" not in data:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    if text is None:
        text, encoding = _detect_encoding(data)
    text = text.lstrip("\ufeff")
    sample = text[:8192]
    controls = len(_CONTROL.findall(sample))
    if "\x00" in sample or controls > max(8, len(sample) // 50):
        raise ArticleError("binary file (not text)")
    if not text.strip():
        raise ArticleError("empty file")
    return text, encoding


def _normalise(line: str) -> str:
    return re.sub(r"\W+", " ", line).strip().lower()


def is_prose(line: str) -> bool:
    """A line that reads as a sentence of the story: long enough and ending like a sentence."""
    return len(line.split()) >= PROSE_MIN_WORDS and bool(_SENTENCE_END.search(line))


def is_boilerplate(line: str) -> bool:
    """Page furniture: a menu-like line (share, related, sign up, …), a breadcrumb, or a call to
    action. Line patterns apply only to lines that are not prose, so a sentence that happens to
    start with "Watch:" or "Sign up" survives."""
    stripped = line.strip().strip("*•·|-–— ").strip()
    if not stripped:
        return False
    if _PROMO_PHRASE.search(stripped):
        return True
    return not is_prose(stripped) and bool(_BOILERPLATE_LINE.match(stripped) or _BREADCRUMB.search(stripped))


def _lines_with_offsets(text: str):
    offset = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        lead = len(body) - len(body.lstrip())
        yield offset + lead, offset + len(body.rstrip()), body.strip()
        offset += len(line)


def clean_article(text: str) -> tuple[list[tuple[int, int]], list[str], list[str]]:
    """Split `text` into kept blocks of lines; return (blocks, kept lines, removed lines).

    A block is a run of kept lines with only blank lines between them: a removed line ends a
    block, so a block's span never includes removed text.
    """
    blocks: list[tuple[int, int]] = []
    kept: list[str] = []
    removed: list[str] = []
    seen_headlines: set[str] = set()
    block_start = block_end = None

    def close_block() -> None:
        nonlocal block_start, block_end
        if block_start is not None:
            blocks.append((block_start, block_end))
        block_start = block_end = None

    for start, end, line in _lines_with_offsets(text):
        if not line:
            continue
        key = _normalise(line)
        repeated = len(line.split()) <= 30 and key in seen_headlines
        if is_boilerplate(line) or repeated or not key:
            removed.append(line)
            close_block()
            continue
        if len(line.split()) <= 30:
            seen_headlines.add(key)
        kept.append(line)
        if block_start is None:
            block_start = start
        block_end = end
    close_block()
    return blocks, kept, removed


def _title(kept: list[str], removed: list[str], fallback: str) -> str:
    for line in removed:  # "Reading: <headline>" names the headline outright
        if line.lower().startswith("reading:"):
            return line.split(":", 1)[1].strip()
    for line in kept[:6]:
        words = line.split()
        if len(words) > 30 or (line.endswith(".") and len(words) > 12):
            break  # the body has begun: a heading below it is a section heading, not the title
        if len(words) >= 2 and not line.endswith((".", ":")) and not parse_date(line) and not _BYLINE.match(line):
            return line
    return _first_words(kept[0]) if kept else fallback


def _first_words(text: str, count: int = 14) -> str:
    words = text.split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


def _is_person(name: str) -> bool:
    """Whether spaCy reads the line as a person's name: tagged a person, or all proper nouns and
    no other kind of entity ("Layla Al Mansoori" yes; "Breaking News", "World News" no)."""
    from rag.language import nlp

    doc = nlp.parse(name)
    if any(ent.label_ == "PERSON" for ent in doc.ents):
        return True
    return not doc.ents and all(token.pos_ == "PROPN" for token in doc)


def _author(kept: list[str], title: str) -> str | None:
    for line in kept[:15]:
        if match := _BYLINE.match(line):
            return match.group("name").strip()
    candidates = kept[1:5] + kept[-1:]
    for line in candidates:
        if line != title and _NAME_LINE.match(line) and len(line.split()) <= 4 and _is_person(line):
            return line
    return None


def _plain_text(text: str, fallback_title: str) -> Extracted:
    """A plain-text article: the lines that are story, not page furniture, and its metadata."""
    blocks, kept, removed = clean_article(text)
    title = _title(kept, removed, fallback_title)
    return Extracted(text, tuple(blocks), title, dateline_date(kept), _author(kept, title))


def _extracted(suffix: str, text: str) -> Extracted | None:
    """A web page's or Markdown file's extracted text and metadata; None for plain text."""
    if suffix in HTML_SUFFIXES:
        return extract_html(text)
    if suffix in MARKDOWN_SUFFIXES:
        return extract_markdown(text)
    return None


def article_text(source: str, data: bytes) -> str:
    """The text an article's citations point into: the decoded file, or for a web page or
    Markdown file its extracted text. No cleaning or metadata: cheap enough for every source
    the page shows."""
    text, _ = decode_article(data)
    extracted = _extracted(Path(source).suffix.lower(), text)
    return text if extracted is None else extracted.text


def parse_article(source: str, data: bytes) -> Article:
    """An article from a file's bytes: plain text, Markdown or a web page, by its suffix."""
    text, encoding = decode_article(data)
    suffix = Path(source).suffix.lower()
    extracted = _extracted(suffix, text) or _plain_text(text, Path(source).stem)
    body = [extracted.text[start:end] for start, end in extracted.blocks]
    if sum(len(block.split()) for block in body) < MIN_ARTICLE_WORDS:
        raise ArticleError("no article text found" if suffix in HTML_SUFFIXES else "no article text after cleaning")
    return Article(
        source=source,
        text=extracted.text,
        blocks=extracted.blocks,
        title=extracted.title or _first_words(body[0]),
        published=extracted.published or dateline_date(body),
        author=extracted.author,
        content_hash=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
        outlet=extracted.outlet,
        url=extracted.url,
    )


def article_paths(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    with os.scandir(folder) as entries:  # the entries' own types: no stat per file
        names = sorted(
            entry.name
            for entry in entries
            if entry.is_file() and not entry.name.startswith(".")
            and os.path.splitext(entry.name)[1].lower() in ARTICLE_SUFFIXES
        )
    return [folder / name for name in names]


def load_articles(
    folder: Path,
    max_bytes: int,
    names: set[str] | None = None,
    known_hashes: dict[str, str] | None = None,
    near: NearDuplicates | None = None,
    on_article: Callable[[Article], None] | None = None,
) -> LoadResult:
    """Load the articles in `folder` (only `names` when given); unusable files are listed with why.
    `on_article` is called with each usable article as soon as it is loaded.

    `known_hashes` maps the content hash of articles already indexed to their file names, and
    `near` holds their MinHash signatures, so a new file with the same bytes as one of them, or
    the same story with a few lines changed, is skipped as a copy. The articles loaded are added
    to `near`.
    """
    result = LoadResult()
    by_hash: dict[str, str] = dict(known_hashes or {})
    near = near if near is not None else NearDuplicates()
    for path in article_paths(folder):
        if names is not None and path.name not in names:
            continue
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise ArticleError(f"larger than the {max_bytes:,}-byte limit ({size:,} bytes)")
            data = path.read_bytes()
            article = parse_article(path.name, data)
        except ArticleError as error:
            result.skipped.append(SkippedFile(path.name, str(error)))
            continue
        except OSError as error:
            result.skipped.append(SkippedFile(path.name, f"unreadable ({error.strerror})"))
            continue
        if article.content_hash in by_hash:
            original = by_hash[article.content_hash]
            result.skipped.append(SkippedFile(path.name, f"duplicate of {original}", original))
            continue
        by_hash[article.content_hash] = path.name
        values = signature(article.clean_text)
        if (original := near.find(values)) is not None:
            near.add(path.name, values, copy_of=original)
            result.skipped.append(SkippedFile(path.name, f"near-duplicate of {original} (the same story)", original))
            continue
        near.add(path.name, values)
        result.signatures[path.name] = values
        result.articles.append(article)
        if on_article is not None:
            on_article(article)
    return result
