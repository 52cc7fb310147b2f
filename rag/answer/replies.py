"""What the assistant gives back: the answer with its citations, and the events of a streamed
answer (`Assistant.stream` in `rag.answer.assistant`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rag.ingest.formats import web_address

if TYPE_CHECKING:
    from rag.answer.evidence import EvidenceSentence
    from rag.retrieve.retrieval import ScoredPassage

ABSTENTION = "The articles don't say. Nothing in the indexed articles answers this question."
MISSING_SIDE = "the articles don't say."  # a side of a comparison that no sentence gives


class QuestionError(ValueError):
    """A question that cannot be asked as it is (empty, not text)."""


@dataclass
class Citation:
    """One cited sentence: `text` is exactly the article's characters `start`..`end`."""

    marker: int
    source: str
    title: str
    published: str | None
    author: str | None
    text: str
    start: int
    end: int
    score: float  # the passage's retrieval score
    similarity: float  # the passage's cosine similarity to the question
    also_as: list[str] = field(default_factory=list)  # other files holding the same story
    # how a reader knows the article: its publication, and where it was published when it came
    # from the web (None for articles saved by hand, shown by their file name)
    outlet: str | None = None
    url: str | None = None

    @classmethod
    def from_evidence(cls, marker: int, sentence: EvidenceSentence, passage: ScoredPassage) -> Citation:
        # A byline has no sentence of its own in the text: its passage is cited instead.
        text, start, end = (
            (passage.text, passage.start, passage.end)
            if sentence.byline
            else (sentence.text, sentence.start, sentence.end)
        )
        return cls(
            marker=marker,
            source=passage.source,
            title=passage.title,
            published=passage.published,
            author=passage.author,
            text=text,
            start=start,
            end=end,
            score=round(passage.score, 5),
            similarity=round(passage.similarity, 4),
            outlet=passage.outlet,
            url=web_address(passage.url),
        )


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    timings: dict[str, float]
    standalone_question: str | None = None
    notes: list[str] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)  # how the answer was verified, or why not
    generated: str = ""  # the generator's reply before checking
    passages: list[ScoredPassage] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [vars(citation) for citation in self.citations],
            "timings": self.timings,
            "standalone_question": self.standalone_question,
            "notes": self.notes,
            "checks": self.checks,
        }


@dataclass
class Retrieved:
    question: str  # the question as searched (standalone form of a follow-up)
    passages: list[ScoredPassage]
    notes: list[str] = field(default_factory=list)  # what could not be searched, and so what the answer lacks


@dataclass
class Queued:
    """The model is busy with other questions: `ahead` of them run or wait before this one."""

    ahead: int


@dataclass
class Token:
    text: str


@dataclass
class Finished:
    answer: Answer


Event = Retrieved | Queued | Token | Finished
