"""When a question is about: the period its words name, and whether it wants the newest reports.

- A period: "in February", "in February 2025", "on 3 March 2025", "last week", "yesterday",
  "this month". spaCy finds the time expressions (DATE entities) and dateparser reads them and
  says how long a period they name (a day, a week, a month). Relative ones are read against
  today. A month or a day named without a year matches it in any year: an archive has no single
  "this February". Years alone ("in 2021") and weekdays alone make no period: a year in a
  question is usually the year of an event, which an article may report years later (the year
  stays a constraint the answer's evidence must meet, `rag.answer.question`), and a weekday says
  nothing without its week.
- Newest first, when the question asks for it (`rag.answer.question.Question.newest_first`).

Periods are matched against articles' publication dates, which are when news was reported.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from rag.ingest.dates import spoken
from rag.language.names import name_present
from rag.language.nlp import folded_words, parse
from rag.language.words import text_stems

if TYPE_CHECKING:
    from rag.answer.question import EventTime, Question
    from rag.retrieve.retrieval import HybridRetriever, ScoredPassage

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_WEEKDAYS = {name.lower() for name in calendar.day_name} | {name.lower() for name in calendar.day_abbr}
_YEAR = re.compile(r"\b(1[89]\d\d|2[01]\d\d)\b")


# Prepositions that place a time against an event, and the relation each gives.
EVENT_RELATIONS = {"before": "before", "after": "after", "following": "after", "since": "since", "until": "until", "till": "until"}


def relation_word(token) -> str | None:
    """The time relation a preposition gives ("before", "prior to", "after", "since", "until")."""
    if token.lower_ == "to" and token.head.lower_ == "prior":
        return "before"
    return EVENT_RELATIONS.get(token.lower_)


@dataclass(frozen=True)
class DateWindow:
    """Publication dates an article must have: from `start` to `end` (inclusive), or a month
    (and day) in any year."""

    phrase: str
    start: date | None = None
    end: date | None = None
    month: int | None = None  # any year
    day: int | None = None  # with `month`: that day of it, in any year

    def admits(self, iso: str | None) -> bool:
        if not iso:
            return False
        try:
            published = date.fromisoformat(iso)
        except ValueError:
            return False
        if self.month is not None:
            return published.month == self.month and (self.day is None or published.day == self.day)
        return (self.start is None or self.start <= published) and (self.end is None or published <= self.end)

    def describe(self) -> str:
        """The window as readers say it: "February, any year", "1 February 2025 to 28 February 2025"."""
        if self.month is not None:
            name = calendar.month_name[self.month]
            return f"{self.day} {name}, any year" if self.day else f"{name}, any year"
        if self.start and self.end:
            if self.start == self.end:
                return spoken(self.start.isoformat())
            return f"{spoken(self.start.isoformat())} to {spoken(self.end.isoformat())}"
        if self.start:
            return f"{spoken(self.start.isoformat())} or later"
        if self.end:
            return f"{spoken(self.end.isoformat())} or earlier"
        return "any date"


def named_period(question: str, today: date) -> DateWindow | None:
    """The period a question names, if any: "in February 2025", or open on one side after
    "before", "after", "since" or "until" ("before March 2025": up to 28 February 2025)."""
    doc = parse(question)
    for entity in doc.ents:
        if entity.label_ != "DATE" or not (window := _window(entity, today)):
            continue
        relation = relation_word(doc[entity.start - 1]) if entity.start > 0 else None
        if relation is None:
            return window
        if not _fixed(window):  # "before March", in any year: no bound
            return None
        phrase = f"{doc[entity.start - 1].text} {entity.text}"
        return bounded(phrase, relation, window.start, window.end)
    return None


def _fixed(window: DateWindow | None) -> bool:
    return window is not None and window.start is not None and window.end is not None


def bounds_dates(entity) -> bool:
    """Whether a date entity after "before", "after", "since" or "until" bounds the dates
    searched: a day, a week or a month of a known year, or a relative one ("last week"). A year
    alone, a season or a holiday does not ("before 1900", "after Christmas")."""
    return _fixed(_window(entity, date.today()))


def bounded(phrase: str, relation: str, first: date, last: date) -> DateWindow:
    """The dates before, after, since or until the period `first`..`last`."""
    day = timedelta(days=1)
    if relation == "before":
        return DateWindow(phrase, end=first - day)
    if relation == "after":
        return DateWindow(phrase, start=last + day)
    if relation == "since":
        return DateWindow(phrase, start=first)
    return DateWindow(phrase, end=last)


@dataclass(frozen=True)
class EventDate:
    """When the articles date an event: the publication date of the article that best reports it."""

    day: date
    source: str


def date_event(retriever: HybridRetriever, event: EventTime, min_relevance: float) -> EventDate | None:
    """The publication date of the best-matching dated article that reports the event: one
    whose passage (with its title) holds the event's names and head word. News of an event is
    published on the day or soon after, so this dates it to within a day or two; the reply says
    which article it was taken from."""
    for hit in retriever.search(event.event, k=5):
        if hit.similarity < min_relevance or not hit.published:
            continue
        text = f"{hit.title}\n{hit.text}"
        words = folded_words(text)
        if event.head in text_stems(text) and all(name_present(name, words, text) for name in event.names):
            return EventDate(date.fromisoformat(hit.published), hit.source)
    return None


def _window(entity, today: date) -> DateWindow | None:
    words = [token.lower_.rstrip(".") for token in entity]
    if any(word in _WEEKDAYS for word in words):
        return None
    month = next((_MONTHS[word] for word in words if word in _MONTHS), None)
    year = _YEAR.search(entity.text)
    # "late February", "early March 2025": dateparser reads the month and year without the modifier
    text = entity.text if month is None else " ".join(t.text for t in entity if t.like_num or t.lower_.rstrip(".") in _MONTHS)
    period, moment = _read(text, today)
    if moment is None:
        return None
    if period == "month":
        if month is None:  # "this month", "last month"
            first = moment.replace(day=1)
            return DateWindow(entity.text, first, _month_end(first))
        if year is None:
            return DateWindow(entity.text, month=month)
        first = date(int(year.group()), month, 1)
        return DateWindow(entity.text, first, _month_end(first))
    if period == "week":
        monday = moment - timedelta(days=moment.weekday())
        return DateWindow(entity.text, monday, monday + timedelta(days=6))
    if period == "day":
        if month is None:  # "yesterday", "two days ago"
            return DateWindow(entity.text, moment, moment)
        if year is None:
            return DateWindow(entity.text, month=month, day=moment.day)
        return DateWindow(entity.text, moment, moment)
    return None


@lru_cache(maxsize=512)
def _read(text: str, today: date) -> tuple[str | None, date | None]:
    from dateparser.date import DateDataParser

    parser = DateDataParser(
        languages=["en"],
        settings={
            "RELATIVE_BASE": datetime.combine(today, datetime.min.time()),
            "PREFER_DATES_FROM": "past",
            "RETURN_TIME_AS_PERIOD": True,
        },
    )
    try:
        found = parser.get_date_data(text)
    except (ValueError, OverflowError):
        return None, None
    if found.date_obj is None:
        return None, None
    return found.period, found.date_obj.date()


def _month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def search_in_time(
    retriever: HybridRetriever,
    asked: Question,
    k: int | None,
    today: date,
    chosen: DateWindow | None = None,
    min_relevance: float = 0.0,
    event: DateWindow | None = None,
) -> tuple[list[ScoredPassage], list[str]]:
    """Search for the analysed question as its time asks, with a note for the reader on what was
    searched; a question that compares or joins draws on several articles (`spread`). `event`
    is the period a time given by an event stands for, once dated (`date_event`).

    Dates the reader chose (`chosen`) bound the search strictly. A period the question names
    leaves out the articles known to be from other dates (undated ones stay in), unless no article of that period bears on the question (nothing retrieved
    reaches `min_relevance`): then every article is searched and the note says so, since news of
    an event can be published after it. "Latest" questions get the newest relevant articles first.
    """
    query, newest, spread = asked.text, asked.newest_first, asked.compares
    window = chosen or event or named_period(query, today)
    notes: list[str] = []
    if window is not None:
        passages, notes = retriever.search_with_notes(
            query, k, window=window, newest_first=newest, spread=spread, keep_undated=chosen is None
        )
        relevant = bool(passages) and max(p.similarity for p in passages) >= min_relevance
        if chosen is not None:
            said = (f"Only articles published in the chosen dates ({window.describe()}) were searched."
                    if passages else f"No indexed article was published in the chosen dates ({window.describe()}).")
            return passages, [*notes, said]
        if relevant:
            return passages, [*notes, f"Articles published outside the period the question names "
                                      f"({window.describe()}) were left out."]
        notes = [f"No article published in the period the question names ({window.describe()}) bears on it, "
                 "so every article was searched."]
    passages, searched = retriever.search_with_notes(query, k, newest_first=newest, spread=spread)
    if newest and passages:
        searched.append("The newest of the relevant articles were searched first, as the question asks.")
    return passages, [*notes, *searched]
