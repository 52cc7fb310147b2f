"""Deciding whether candidate sentences answer: what is known of each (`signals_of`), and the first
candidate whose probability reaches the threshold (`first_answering`), recorded in a `Verdict`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.answer.calibration import Signals
from rag.answer.evidence import EvidenceSentence
from rag.answer.generators import Selection
from rag.answer.question import Question
from rag.answer.verification import EvidenceCheck, coverage, locate
from rag.retrieve.retrieval import ScoredPassage


@dataclass
class Verdict:
    """What verification concluded: the sentences an answer may rest on, or why there are none."""

    accepted: list[int]  # 1-based evidence numbers, best first
    reason: str = ""  # why nothing was accepted
    near_miss: str | None = None
    judge: float | None = None  # P(the first accepted sentence answers the question)
    checked: dict[int, EvidenceCheck] = field(default_factory=dict)
    candidates: list[int] = field(default_factory=list)  # sentences meeting the constraints, in order
    chosen: list[int] = field(default_factory=list)  # the generator's choices among them
    judged: dict[int, float] = field(default_factory=dict)  # the judge's P(yes) of each sentence judged
    signals: dict[int, Signals] = field(default_factory=dict)  # what was known of each sentence scored
    probabilities: dict[int, float] = field(default_factory=dict)  # P(answers), all signals combined
    yes: bool | None = None  # a yes/no question's reply, when the accepted sentence gives one
    quick: bool = False  # accepted before the model chose: the judge was sure of the system's best candidate
    readings: dict[str, Any] = field(default_factory=dict)  # how that reply was read


def first_answering(
    candidates: Sequence[int], chosen: Sequence[int], scored: dict[int, float], threshold: float
) -> list[int]:
    """The first candidate whose P(answers) reaches `threshold`, followed by the generator's other
    choices that reach it too; [] when none does. `scored` holds the probabilities worked out so
    far, in candidate order; a sentence not scored is never cited."""

    def passed(number: int) -> bool:
        return number in scored and scored[number] >= threshold

    for number in candidates:
        if number not in scored:
            break
        if passed(number):
            return [number] + [n for n in chosen if n != number and passed(n)]
    return []


def signals_of(
    asked: Question,
    sentence: EvidenceSentence,
    passages: Sequence[ScoredPassage],
    selection: Selection,
    passage_coverage: float,
    number: int,
) -> Signals:
    """What the system knows of candidate `number` before the judge reads it; `passage_coverage`
    is the share of the question's words in the sentence and its passage."""
    return Signals(
        judge=None,
        coverage=passage_coverage,
        sentence_coverage=coverage(asked, sentence.text),
        score=sentence.score,
        similarity=passages[sentence.passage].similarity,
        holds_answer=bool(locate(selection.answer, sentence.text)),
        chosen=number in selection.sentences,
    )
