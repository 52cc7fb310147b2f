"""The articles folder as users change it: safe uploads, deletions, and passages in context."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from rag.ingest.loading import ARTICLE_SUFFIXES, ArticleError, article_text, parse_article

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_URL_SAFE = ":/?#@!$&'*+,;=%~-._"  # kept as they are in a linked address; all else is percent-encoded
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")


class UploadError(ValueError):
    """An upload that was refused; the message is for the user."""


def safe_file_name(name: str) -> str:
    """A plain file name: no folders, no leading dots, only letters, digits, '.', '_' and '-'."""
    base = Path(name.replace("\\", "/")).name
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem, suffix = os.path.splitext(base)
    suffix = suffix.lower()
    if suffix not in ARTICLE_SUFFIXES:
        raise UploadError(f"{name!r} is not an article file ({', '.join(ARTICLE_SUFFIXES)})")
    stem = _UNSAFE.sub("-", stem).strip(".-_")[:80] or "article"
    return stem + suffix


def save_article(folder: Path, name: str, data: bytes, max_bytes: int) -> Path:
    """Save an uploaded article under a safe, new name; never overwrite, never leave `folder`."""
    if len(data) > max_bytes:
        raise UploadError(f"{name!r} is larger than the {max_bytes:,}-byte limit")
    clean = safe_file_name(name)
    try:
        parse_article(clean, data)
    except ArticleError as error:
        raise UploadError(f"{name!r} cannot be used: {error}") from None
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = os.path.splitext(clean)
    for attempt in range(1, 1000):
        candidate = folder / (clean if attempt == 1 else f"{stem}-{attempt}{suffix}")
        if candidate.resolve().parent != folder:
            raise UploadError(f"{name!r} is not a valid file name")
        try:
            with candidate.open("xb") as handle:  # "x": fails rather than overwrite
                handle.write(data)
            return candidate
        except FileExistsError:
            if candidate.read_bytes() == data:
                raise UploadError(f"{name!r} is already in the articles folder as {candidate.name}") from None
    raise UploadError(f"too many files named like {clean!r}")


def delete_article(folder: Path, name: str) -> None:
    folder = folder.resolve()
    target = (folder / name).resolve()
    if target.parent != folder or target.suffix.lower() not in ARTICLE_SUFFIXES:
        raise UploadError(f"{name!r} is not an article in the folder")
    target.unlink(missing_ok=True)


@dataclass
class PassageInContext:
    before: str
    passage: str
    after: str


def passage_in_context(folder: Path, source: str, start: int, end: int, window: int = 600) -> PassageInContext | None:
    """The cited span with the article text around it, or None if the file has changed.

    The text is the article's as indexed: for a web page or Markdown file, its extracted text."""
    path = (folder / source).resolve()
    if path.parent != folder.resolve() or not path.exists():
        return None
    try:
        text = article_text(source, path.read_bytes())
    except (OSError, ArticleError):
        return None
    if end > len(text):
        return None
    before_start = max(0, start - window)
    after_end = min(len(text), end + window)
    return PassageInContext(
        before=("…" if before_start else "") + text[before_start:start],
        passage=text[start:end],
        after=text[end:after_end] + ("…" if after_end < len(text) else ""),
    )


def escape_markdown(text: str) -> str:
    """Text that Markdown shows literally: no links, images, emphasis or HTML."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_link(text: str, url: str | None) -> str:
    """A Markdown link to an http(s) address showing `text` literally; just the text when the
    address is not http(s). The address is percent-encoded, so nothing in it can end the link
    or open markup."""
    from urllib.parse import quote

    from rag.ingest.formats import web_address

    address = web_address(url)
    if address is None:
        return escape_markdown(text)
    return f"[{escape_markdown(text)}]({quote(address, safe=_URL_SAFE)})"
