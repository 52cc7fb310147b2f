"""Publication dates: found in an article's first lines or its metadata, read by `dateparser`.

Only full dates (day, month and year) count: a year alone, or "Monday", says too little to
order articles by. Lines are read only when they are short or start like a dateline, since
`dateparser` is slow and prose is full of words that look like dates.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

_DATELINE = re.compile(r"^(?:published|posted|updated|date|first published)\s*(?:on)?\s*:?\s*(?P<rest>.+)$", re.I)
_HAS_DIGIT = re.compile(r"\d")
# A full English date names its month ("14Feb2025" too) or writes day, month and year as numbers
# apart ("3/2/2025", "2025-02-14", "14 02 2025"): text with neither is not handed to dateparser,
# which takes milliseconds a line. Relative times ("3 hours ago") and epoch seconds are not read:
# they say when the file was saved or nothing, not when the story was published.
_MONTH_OR_NUMERIC_DATE = re.compile(
    r"(?<![a-z])(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|\d{1,4}[\s/.\-_,]+\d{1,2}[\s/.\-_,]+\d{1,4}", re.I
)
_ABBREVIATED_MONTH = re.compile(r"\b(jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.", re.I)  # dateparser misreads "Nov."
_SETTINGS = {
    "STRICT_PARSING": True,
    "REQUIRE_PARTS": ["day", "month", "year"],
    "PREFER_DATES_FROM": "past",
    "RETURN_AS_TIMEZONE_AWARE": False,
}
MAX_DATE_LINE_WORDS = 12


@lru_cache(maxsize=4096)
def parse_date(text: str) -> str | None:
    """The first full date written in `text`, as an ISO date; None when there is none."""
    text = _ABBREVIATED_MONTH.sub(r"\1", " ".join(str(text).split()))
    if not text or not _HAS_DIGIT.search(text) or not _MONTH_OR_NUMERIC_DATE.search(text):
        return None
    from dateparser.search import search_dates

    try:
        found = search_dates(text, languages=["en"], settings=_SETTINGS)
    except (ValueError, OverflowError):  # dateparser raises on impossible dates in some forms
        return None
    for _, moment in found or []:
        if 1800 <= moment.year <= 2200:
            return moment.date().isoformat()
    return None


def as_iso_date(value: object) -> str | None:
    """A metadata value (a date, a datetime or text) as an ISO date; None when it is not one."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return parse_date(value)
    return None


def dateline_date(lines: list[str]) -> str | None:
    """The publication date stated near the top: a "Published: …" line first, then any short
    line holding a full date ("WASHINGTON, 03/02/2025", "March 3, 2024")."""
    for line in lines[:15]:
        if (match := _DATELINE.match(line)) and (found := parse_date(match.group("rest"))):
            return found
    for line in lines[:8]:
        if len(line.split()) <= MAX_DATE_LINE_WORDS and (found := parse_date(line)):
            return found
    return None


def spoken(iso: str) -> str:
    """An ISO date as readers write it: 2025-02-23 -> 23 February 2025."""
    day = date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"


def dating_note(cited: list[tuple[str, str | None]]) -> str | None:
    """What the reply should say about when its sources were published, given (source, date)
    pairs of the cited articles: "as of" one date, or which of several is the newest."""
    dated = {source: published for source, published in cited if published}
    if not dated:
        return None
    dates = sorted(set(dated.values()))
    if len(dates) == 1:
        return f"As of {spoken(dates[0])}, the date of the cited article{'s' if len(dated) > 1 else ''}."
    newest = sorted(source for source, published in dated.items() if published == dates[-1])
    listed = "; ".join(f"{source}, {spoken(published)}" for source, published in sorted(dated.items(), key=lambda item: item[1]))
    return (f"The cited articles were published on different dates ({listed}); where they differ, "
            f"{' and '.join(newest)} is the newer report.")
