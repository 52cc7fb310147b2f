"""Answering: retrieve, generate, check every sentence against its citations, or abstain.

`Assistant.stream()` yields the retrieved passages first, then the generator's text as it
comes, then the checked `Answer`. Whatever the generator, the final answer only cites passages
that were retrieved, and only keeps sentences those passages support.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.citations import check_answer, content_words, names, strip_markers
from rag.conversation import standalone_question
from rag.generators import NOT_FOUND, Generator
from rag.retrieval import HybridRetriever, ScoredPassage
from rag.settings import Settings

ABSTENTION = "The articles don't say. Nothing in the indexed articles answers this question."

_REFUSAL = re.compile(
    r"\b(?:(?:do|does|did)\s+not|don['’]t|doesn['’]t)\s+(?:contain|mention|say|provide|include|state|specify|answer)"
    r"|\bno (?:information|mention)\b|\bnot (?:mentioned|stated|provided|specified)\b",
    re.IGNORECASE,
)
_QUANTITY_QUESTION = re.compile(r"^\s*(?:and\s+)?how\s+(?:many|much)\b", re.IGNORECASE)
_TIME_QUESTION = re.compile(r"^\s*(?:and\s+)?(?:when|in what year|what year|on what date|what date)\b", re.I)
_NUMBER_WORDS = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|hundred|thousand|million|billion|trillion|dozen|several|dozens|hundreds|thousands)\b",
    re.IGNORECASE,
)
_TIME_WORDS = re.compile(
    r"\d|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|"
    r"april|may|june|july|august|september|october|november|december|yesterday|today|tomorrow|"
    r"week|month|year|weekend)\b",
    re.IGNORECASE,
)


class QuestionError(ValueError):
    """A question that cannot be asked as it is (empty, not text)."""


@dataclass
class Citation:
    marker: int
    source: str
    title: str
    published: str | None
    author: str | None
    text: str
    start: int
    end: int
    score: float
    similarity: float

    @classmethod
    def from_passage(cls, marker: int, passage: ScoredPassage) -> Citation:
        return cls(
            marker=marker,
            source=passage.source,
            title=passage.title,
            published=passage.published,
            author=passage.author,
            text=passage.text,
            start=passage.start,
            end=passage.end,
            score=round(passage.score, 5),
            similarity=round(passage.similarity, 4),
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
    dropped: list[str] = field(default_factory=list)
    generated: str = ""  # the generator's text before checking
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
            "dropped_sentences": self.dropped,
        }


@dataclass
class Retrieved:
    question: str  # the question as searched (standalone form of a follow-up)
    passages: list[ScoredPassage]


@dataclass
class Token:
    text: str


@dataclass
class Finished:
    answer: Answer


Event = Retrieved | Token | Finished


def _support_text(passage: ScoredPassage) -> str:
    """What a sentence citing this passage may rest on: the passage and its article's byline."""
    header = " ".join(filter(None, [passage.title, passage.author, passage.published]))
    return f"{header}\n{passage.text}"


def _misses_asked_names(question: str, cited: Sequence[str]) -> bool:
    """True when the question names someone or something the cited text never mentions.

    An answer about NATO's chief cannot rest on passages that never say "NATO".
    """
    asked = content_words(" ".join(names(question)))
    present = set().union(*(content_words(text) for text in cited)) if cited else set()
    return bool(asked - present)


def _declined(text: str) -> bool:
    return NOT_FOUND in text or bool(_REFUSAL.search(text))


def _lacks_asked_type(question: str, answer: str) -> bool:
    """True when the question asks for a quantity or a time and the answer states none."""
    answer = strip_markers(answer)
    if _QUANTITY_QUESTION.search(question):
        return not _NUMBER_WORDS.search(answer)
    if _TIME_QUESTION.search(question):
        return not _TIME_WORDS.search(answer)
    return False


class Assistant:
    """Answers questions from the index with a generator; one per process, safe to reuse."""

    def __init__(
        self,
        retriever: HybridRetriever,
        generator: Generator,
        settings: Settings,
        fallback: Generator | None = None,
    ) -> None:
        self.retriever = retriever
        self.generator = generator
        self.settings = settings
        # Quotes the passages when the model declines although they match the question well.
        self.fallback = fallback

    def prepare(self, question: str) -> tuple[str, list[str]]:
        if not isinstance(question, str):
            raise QuestionError("The question must be text.")
        question = " ".join(question.split())
        if not question:
            raise QuestionError("Please type a question.")
        notes = []
        limit = self.settings.max_question_chars
        if len(question) > limit:
            question = question[:limit].rsplit(" ", 1)[0] or question[:limit]
            notes.append(f"The question was cut to its first {limit:,} characters.")
        return question, notes

    def stream(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        k: int | None = None,
    ) -> Iterator[Event]:
        started = time.perf_counter()
        question, notes = self.prepare(question)
        search_query = standalone_question(question, history, self.generator)
        passages = self.retriever.search(search_query, k=k)
        retrieved_at = time.perf_counter()
        yield Retrieved(search_query, passages)

        timings = {"retrieve_ms": round((retrieved_at - started) * 1000, 1)}
        best = max((p.similarity for p in passages), default=0.0)
        pieces: list[str] = []
        if passages and best >= self.settings.min_relevance:
            first_token_at = None
            for piece in self.generator.stream(search_query, passages):
                if first_token_at is None:
                    first_token_at = time.perf_counter()
                pieces.append(piece)
                yield Token(piece)
            generated_at = time.perf_counter()
            timings["first_token_ms"] = round(((first_token_at or generated_at) - started) * 1000, 1)
            timings["generate_ms"] = round((generated_at - retrieved_at) * 1000, 1)
        raw = "".join(pieces)
        if self.fallback is not None and pieces and _declined(raw):
            quoted = "".join(self.fallback.stream(search_query, passages))
            if not _declined(quoted):
                raw = quoted
                notes.append("The model found no answer; these sentences are quoted from the passages.")
        answer = self._finish(question, search_query, passages, raw, notes)
        answer.timings = {**timings, **answer.timings}
        answer.timings["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
        yield Finished(answer)

    def ask(
        self, question: str, history: Sequence[tuple[str, str]] = (), k: int | None = None
    ) -> Answer:
        for event in self.stream(question, history, k=k):
            if isinstance(event, Finished):
                return event.answer
        raise RuntimeError("the answer stream ended without an answer")  # pragma: no cover

    def _surroundings(self, passage: ScoredPassage) -> str:
        """A cited passage with its neighbours: where the article sets up what it quotes."""
        nearby = self.retriever.index.keywords.nearby_text(
            passage.source, int(passage.document.metadata.get("ordinal", 0))
        )
        return _support_text(passage) + "\n" + nearby

    def _finish(
        self,
        question: str,
        search_query: str,
        passages: list[ScoredPassage],
        raw: str,
        notes: list[str],
    ) -> Answer:
        check_started = time.perf_counter()
        refused = _declined(raw)
        checked = check_answer(raw.replace(NOT_FOUND, ""), [_support_text(p) for p in passages])
        abstained = (
            refused
            or not checked.text
            or _lacks_asked_type(search_query, checked.text)
            or _misses_asked_names(search_query, [self._surroundings(passages[i]) for i in checked.cited])
        )
        citations = (
            []
            if abstained
            else [Citation.from_passage(n, passages[i]) for n, i in enumerate(checked.cited, start=1)]
        )
        return Answer(
            question=question,
            answer=ABSTENTION if abstained else checked.text,
            abstained=abstained,
            citations=citations,
            timings={"check_ms": round((time.perf_counter() - check_started) * 1000, 1)},
            standalone_question=search_query if search_query != question else None,
            notes=notes,
            dropped=checked.dropped,
            generated=raw,
            passages=passages,
        )
