"""Split cleaned articles into overlapping passages along sentence boundaries.

Passages are packed from whole sentences found by `sentencex`, inside one cleaned block, so
each passage is one contiguous span of the original file: `article.text[start:end] == text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sentencex

from rag.ingest.loading import Article

TokenCounter = Callable[[str], int]
MIN_BLOCK_WORDS = 4
HEADING_MAX_WORDS = 16
SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s*$")

_BULLET = re.compile(r"\s*(?:[•*·\-–]|\d+[.)])\s")


def _title_case(line: str) -> bool:
    """A headline in title case ("China Backs Reset as Summit Looms"): most of its longer words
    capitalised, which a hard-wrapped line of prose never is."""
    words = [word for word in line.split() if len(word) > 3]
    return len(words) >= 3 and sum(word[0].isupper() for word in words) >= 0.8 * len(words)


def _line_breaks(text: str, start: int, end: int) -> list[int]:
    """Offsets of the line breaks in text[start:end] that end a sentence for sure.

    A blank line, a line that ends in closing punctuation, a short line (heading, byline), a
    headline in title case and the line before a list item end a unit; a hard-wrapped line
    inside a paragraph does not.
    """
    breaks = []
    line_start = start
    while (newline := text.find("\n", line_start, end)) != -1:
        line = text[line_start:newline].strip()
        next_newline = text.find("\n", newline + 1, end)
        following = text[newline + 1 : end if next_newline == -1 else next_newline]
        if (
            not line
            or not following.strip()
            or line.endswith((".", "!", "?", ":", '"', "”", "’", ")"))
            or len(line) < 60
            or _title_case(line)
            or _BULLET.match(following)
        ):
            breaks.append(newline)
        line_start = newline + 1
    return breaks


@dataclass(frozen=True)
class Passage:
    source: str
    title: str
    published: str | None
    author: str | None
    text: str  # exactly article.text[start:end]
    start: int
    end: int
    ordinal: int  # position of the passage within its article
    outlet: str | None = None
    url: str | None = None

    def metadata(self) -> dict[str, str | int]:
        meta: dict[str, str | int] = {
            "source": self.source,
            "title": self.title,
            "start": self.start,
            "end": self.end,
            "ordinal": self.ordinal,
        }
        if self.published:
            meta["published"] = self.published
        if self.author:
            meta["author"] = self.author
        if self.outlet:
            meta["outlet"] = self.outlet
        if self.url:
            meta["url"] = self.url
        return meta


def approximate_tokens(text: str) -> int:
    """Word-piece estimate used when no tokenizer is at hand (about 1.3 pieces a word)."""
    return int(len(text.split()) * 1.3) + 1


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the sentences in text[start:end], trimmed of surrounding white space.

    Line breaks between paragraphs, list items and short lines (headings, bylines) always end a
    sentence; inside a paragraph `sentencex` finds the boundaries (it knows "U.S." and the like).
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    pieces = _line_breaks(text, start, end) + [end]
    for piece_end in pieces:
        piece = text[cursor:piece_end]
        if piece.strip():
            for found in sentencex.get_sentence_boundaries("en", piece):
                s, e = cursor + found["start_index"], cursor + found["end_index"]
                while s < e and text[s].isspace():
                    s += 1
                while e > s and text[e - 1].isspace():
                    e -= 1
                if s < e:
                    spans.append((s, e))
        cursor = piece_end
    return spans


def _cut_long_sentence(
    text: str, span: tuple[int, int], max_tokens: int, count: TokenCounter
) -> list[tuple[int, int, int]]:
    """The sentence as (start, end, tokens), cut at word boundaries when it is longer than the
    passage size."""
    start, end = span
    if (size := count(text[start:end])) <= max_tokens:
        return [(start, end, size)]
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[start:end])]
    pieces: list[tuple[int, int, int]] = []
    first = 0
    while first < len(words):
        last, size = first, count(text[start + words[first][0] : start + words[first][1]])
        while last + 1 < len(words) and (
            longer := count(text[start + words[first][0] : start + words[last + 1][1]])
        ) <= max_tokens:
            last, size = last + 1, longer
        pieces.append((start + words[first][0], start + words[last][1], size))
        first = last + 1
    return pieces


def is_label_or_heading(block: str) -> bool:
    """A stray label ("Lead", a site name) or a heading/byline block: no sentence of its own.

    Such blocks carry nothing worth retrieving on their own (every passage already leads with
    the title), and as tiny passages they outrank real text on both BM25 and cosine scores.
    """
    words = len(block.split())
    if words < MIN_BLOCK_WORDS:
        return True
    return words < HEADING_MAX_WORDS and not SENTENCE_END.search(block)


def split_article(
    article: Article,
    chunk_size: int = 160,
    chunk_overlap: int = 32,
    count_tokens: TokenCounter = approximate_tokens,
) -> list[Passage]:
    """Greedily pack sentences into passages of at most `chunk_size` tokens.

    Each new passage repeats the previous passage's last sentences, up to `chunk_overlap` tokens.
    """
    text = article.text
    passages: list[Passage] = []
    for block_start, block_end in article.blocks:
        if is_label_or_heading(text[block_start:block_end]):
            continue
        pieces = [
            piece
            for span in sentence_spans(text, block_start, block_end)
            for piece in _cut_long_sentence(text, span, chunk_size, count_tokens)
        ]
        sentences = [(s, e) for s, e, _ in pieces]
        sizes = [size for _, _, size in pieces]
        first = 0
        while first < len(sentences):
            last, total = first, sizes[first]
            while last + 1 < len(sentences) and total + sizes[last + 1] <= chunk_size:
                last += 1
                total += sizes[last]
            start, end = sentences[first][0], sentences[last][1]
            passages.append(
                Passage(
                    source=article.source,
                    title=article.title,
                    published=article.published,
                    author=article.author,
                    text=text[start:end],
                    start=start,
                    end=end,
                    ordinal=len(passages),
                    outlet=article.outlet,
                    url=article.url,
                )
            )
            if last + 1 >= len(sentences):
                break
            # step back over trailing sentences that fit in the overlap, but always move forward
            next_first, carried = last + 1, 0
            while next_first - 1 > first and carried + sizes[next_first - 1] <= chunk_overlap:
                next_first -= 1
                carried += sizes[next_first]
            first = next_first
    return passages
