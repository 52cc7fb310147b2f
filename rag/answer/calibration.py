"""How likely a candidate sentence is to answer the question, from every signal the system has.

No single signal separates the sentence that answers from the near miss written to look like it:
the model's yes/no judgement (`rag.models.judge`) is the strongest, but how much of the question the
sentence and its passage hold, how well it was ranked and whether the generator chose it and
holds its answer there each add to it. A logistic model combines them into one probability. Its
weights are fitted on the even half of the SQuAD 2.0 sample and its threshold is reported on the
odd half (`bench/squad2.py --fit`, which prints the `AnswerModel` literals below); they describe
the signals, not any question or article.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FEATURES = ("judge", "coverage", "sentence_coverage", "score", "similarity", "holds_answer", "chosen")


@dataclass(frozen=True)
class Signals:
    """What is known about one candidate sentence when the system decides whether it answers."""

    judge: float | None  # the model's P(yes), None without a model
    coverage: float  # share of the question's content words in the sentence and its passage
    sentence_coverage: float  # the same share in the sentence alone
    score: float  # the sentence ranker's score (`rag.answer.evidence.SentenceRanker`)
    similarity: float  # the passage's cosine similarity to the question
    holds_answer: bool  # the generator's short answer is found in the sentence
    chosen: bool  # the generator picked this sentence

    @classmethod
    def from_record(cls, record: dict) -> Signals:
        """From one candidate as `Answer.checks["candidates"]` records it."""
        return cls(**{name: record[name] for name in FEATURES})

    def vector(self) -> list[float]:
        """The model's inputs: the judge as log-odds (its probabilities crowd near 0 and 1)."""
        judge = 0.5 if self.judge is None else min(max(self.judge, 1e-4), 1 - 1e-4)
        return [
            math.log(judge / (1 - judge)),
            self.coverage,
            self.sentence_coverage,
            self.score,
            self.similarity,
            float(self.holds_answer),
            float(self.chosen),
        ]


@dataclass(frozen=True)
class AnswerModel:
    """A logistic model over `Signals.vector()`."""

    bias: float
    weights: tuple[float, ...]

    def probability(self, signals: Signals) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, signals.vector(), strict=True))
        return 1.0 / (1.0 + math.exp(-z))


# With a judge: the judge's own probability (weight 1 on its log-odds). Combined with the other
# signals (`bench/squad2.py --fit`, all 500 SQuAD 2.0 questions) it gained about 0.005 on each
# held-out rate, within the spread between halves, and a fitted model leaned on the generator's own
# choice: a sentence the judge passed was refused when the generator had chosen others, the very
# case the system's own candidates are there for. So the judge decides alone.
WITH_JUDGE = AnswerModel(bias=0.0, weights=(1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
# Without a judge (the extractive path): fitted by `bench/squad2.py --fit` on the even half of the
# 500 questions, over the passage-level signals only. SQuAD's questions were written from their
# answer's sentence and share its words far more than a reader's question shares a news
# sentence's; a model weighting the sentence's own word match refused news answers whose names
# are in the headline or an earlier sentence.
WITHOUT_JUDGE = AnswerModel(bias=-3.1113, weights=(0.0, 1.8497, 0.0, 0.0, 1.2976, 0.0, 0.0))
