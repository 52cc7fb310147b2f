"""Read article files, decode them, strip web-page leftovers, and pull out title, date and author.

Cleaning never rewrites text: it only decides which lines of the original file are article
text. An article's `blocks` are character spans of the decoded original, so every passage cut
from them maps back to its exact place in the file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ARTICLE_SUFFIXES = (".txt", ".md")

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
        this\ site\ uses\ akismet.*|
        your\ email\ address\ will\ not\ be\ published.*|
        required\ fields\ are\ marked.*|
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
        all\ rights\ reserved|content\ is\ protected
    )""",
    re.IGNORECASE | re.VERBOSE,
)

_BREADCRUMB = re.compile(r"\S\s*[»›]\s*\S.*[»›]")

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_PATTERNS = [
    re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})", re.I),
    re.compile(r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>\d{4})", re.I),
    re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"),
]
_DATELINE = re.compile(r"^(?:published|posted|updated|date)\s*(?:on)?\s*:?\s*(?P<rest>.+)$", re.I)
_BYLINE = re.compile(r"^(?:by|written by|author:)\s+(?P<name>[^\d,;:]{3,60})$", re.I)
_NAME_LINE = re.compile(r"^[A-Z][\w.'’-]+(?:\s+(?:[A-Z][\w.'’-]+|al|bin|de|van|von|da|el)){1,3}$")


class ArticleError(ValueError):
    """An article file that cannot be used; the message says why in a few words."""


@dataclass(frozen=True)
class Article:
    source: str  # file name: the article's id
    text: str  # the decoded file, unchanged
    blocks: tuple[tuple[int, int], ...]  # spans of `text` that are article text, in order
    title: str
    published: str | None = None  # ISO date when the text states one
    author: str | None = None
    content_hash: str = ""
    encoding: str = "utf-8"

    @property
    def clean_text(self) -> str:
        return "\n\n".join(self.text[start:end] for start, end in self.blocks)


@dataclass
class SkippedFile:
    source: str
    reason: str


@dataclass
class LoadResult:
    articles: list[Article] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def decode_article(data: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8, falling back to Windows-1252/Latin-1 (common in news feeds)."""
    if not data.strip():
        raise ArticleError("empty file")
    if b"\x00" in data[:8192]:
        raise ArticleError("binary file (contains NUL bytes)")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text[:8192]) // 50):
        raise ArticleError("binary file (not text)")
    if not text.strip():
        raise ArticleError("empty file")
    return text, ("utf-8" if encoding == "utf-8-sig" else encoding)


def parse_date(text: str) -> str | None:
    for pattern in _DATE_PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        month = match.group("month")
        month_number = int(month) if month.isdigit() else _MONTHS[month.lower().rstrip(".")]
        try:
            return date(int(match.group("year")), month_number, int(match.group("day"))).isoformat()
        except ValueError:
            continue
    return None


def _normalise(line: str) -> str:
    return re.sub(r"\W+", " ", line).strip().lower()


def is_boilerplate(line: str) -> bool:
    stripped = line.strip().strip("*•·|-–— ").strip()
    if not stripped:
        return False
    return bool(
        _BOILERPLATE_LINE.match(stripped)
        or _PROMO_PHRASE.search(stripped)
        or _BREADCRUMB.search(stripped)
    )


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
        if len(words) >= 2 and not line.endswith((".", ":")) and not _DATELINE.match(line):
            return line
    if kept:
        words = kept[0].split()
        return " ".join(words[:14]) + ("…" if len(words) > 14 else "")
    return fallback


def _published(lines: list[str]) -> str | None:
    for line in lines[:15]:
        match = _DATELINE.match(line)
        if match and (found := parse_date(match.group("rest"))):
            return found
    for line in lines[:8]:
        if len(line.split()) <= 6 and (found := parse_date(line)):
            return found
    return None


def _author(kept: list[str], title: str) -> str | None:
    for line in kept[:15]:
        if match := _BYLINE.match(line):
            return match.group("name").strip()
    candidates = kept[1:5] + kept[-1:]
    for line in candidates:
        if line != title and _NAME_LINE.match(line) and len(line.split()) <= 4:
            return line
    return None


def parse_article(source: str, data: bytes) -> Article:
    text, encoding = decode_article(data)
    blocks, kept, removed = clean_article(text)
    if not blocks:
        raise ArticleError("no article text after cleaning")
    title = _title(kept, removed, Path(source).stem)
    return Article(
        source=source,
        text=text,
        blocks=tuple(blocks),
        title=title,
        published=_published(kept),
        author=_author(kept, title),
        content_hash=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
    )


def article_paths(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file() and path.suffix.lower() in ARTICLE_SUFFIXES and not path.name.startswith(".")
    )


def load_articles(
    folder: Path,
    max_bytes: int,
    names: set[str] | None = None,
    known_hashes: dict[str, str] | None = None,
) -> LoadResult:
    """Load the articles in `folder` (only `names` when given); unusable files are listed with why.

    `known_hashes` maps the content hash of articles already indexed to their file names, so a
    new file with the same bytes as one of them is skipped as a duplicate.
    """
    result = LoadResult()
    by_hash: dict[str, str] = dict(known_hashes or {})
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
            result.skipped.append(
                SkippedFile(path.name, f"duplicate of {by_hash[article.content_hash]}")
            )
            continue
        by_hash[article.content_hash] = path.name
        result.articles.append(article)
    return result
