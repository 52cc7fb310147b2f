"""Candidate evidence: the sentences of the retrieved passages, numbered and ranked.

Every answer rests on these sentences. Each keeps its exact place in its article file (`start`,
`end`), so a citation points at one sentence, not a whole passage. Overlapping passages share
sentences; each sentence is offered once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from rag.ingest.chunking import sentence_spans
from rag.language.words import content_words
from rag.retrieve.retrieval import ScoredPassage
from rag.store.embedding import SentenceTransformerEmbeddings

_ANAPHOR = re.compile(r"(?:This|These|That|Those|They|It|He|She|Such|Their|Its|His|Her)\b")


@dataclass(frozen=True)
class EvidenceSentence:
    text: str  # exactly the article's characters start..end (or a byline, see `byline`)
    passage: int  # index into the retrieved passages
    source: str
    start: int
    end: int
    follows: bool = False  # opens with "This…"/"They…" right after the sentence before it
    byline: bool = False  # "“<title>” is by <author>.", from the article's metadata
    score: float = 0.0  # how well it matches the question (see `SentenceRanker`)


def passage_sentences(passages: Sequence[ScoredPassage]) -> list[EvidenceSentence]:
    """Every usable sentence of the passages, in passage order, each once.

    Headings and labels (short, no closing punctuation) and questions are left out. The
    article's byline is offered as a sentence of its own, since "who wrote" questions are
    answered by it.
    """
    found: list[EvidenceSentence] = []
    seen: set[tuple[str, int, int]] = set()
    bylines: set[str] = set()
    for number, passage in enumerate(passages):
        if passage.author and passage.source not in bylines:
            bylines.add(passage.source)
            found.append(
                EvidenceSentence(
                    f"“{passage.title}” is by {passage.author}.", number, passage.source,
                    passage.start, passage.end, byline=True,
                )
            )
        text = passage.text
        previous = False
        for start, end in sentence_spans(text):
            sentence = text[start:end]
            words = sentence.split()
            heading = sentence.rstrip()[-1:] not in '.!"”’)' and len(words) < 15
            if len(words) < 4 or heading or sentence.rstrip().endswith("?"):
                previous = False
                continue
            key = (passage.source, passage.start + start, passage.start + end)
            if key in seen:  # offered already, from an overlapping passage
                previous = False
                continue
            seen.add(key)
            found.append(
                EvidenceSentence(
                    sentence, number, passage.source, key[1], key[2],
                    follows=previous and bool(_ANAPHOR.match(sentence)),
                )
            )
            previous = True
    return found


class SentenceRanker:
    """Scores sentences against a question.

    A sentence's score mixes its embedding similarity to the question with the share of the
    question's content words it contains, plus a small bonus for better-ranked passages.
    """

    def __init__(self, embedder: SentenceTransformerEmbeddings) -> None:
        self.embedder = embedder

    def scores(self, question: str, sentences: Sequence[EvidenceSentence]) -> list[float]:
        return self.scores_by_question([question], sentences)[0]

    def scores_by_question(
        self, questions: Sequence[str], sentences: Sequence[EvidenceSentence]
    ) -> list[list[float]]:
        """The sentences' scores against each question, the sentences encoded once for all."""
        if not sentences:
            return [[] for _ in questions]
        vectors = self.embedder.embed_many([*questions, *(" ".join(s.text.split()) for s in sentences)])
        similarity = vectors[len(questions) :] @ vectors[: len(questions)].T  # sentences x questions
        held = [content_words(sentence.text) for sentence in sentences]
        found = []
        for column, question in enumerate(questions):
            asked = content_words(question)
            found.append([
                float(0.7 * cosine + 0.3 * (len(asked & words) / len(asked) if asked else 0.0)
                      + 0.05 / (sentence.passage + 1))
                for sentence, words, cosine in zip(sentences, held, similarity[:, column], strict=True)
            ])
        return found

    def scored(self, question: str, passages: Sequence[ScoredPassage]) -> list[EvidenceSentence]:
        """Every usable sentence of the passages, in passage order, each with its score."""
        sentences = passage_sentences(passages)
        scores = self.scores(question, sentences)
        return [replace(s, score=round(score, 4)) for s, score in zip(sentences, scores, strict=True)]

    def rank(self, question: str, passages: Sequence[ScoredPassage], limit: int) -> list[EvidenceSentence]:
        return best_sentences(self.scored(question, passages), limit)


def best_sentences(
    scored: Sequence[EvidenceSentence], limit: int, first: Sequence[bool] | None = None
) -> list[EvidenceSentence]:
    """The `limit` best of the scored sentences, best first, those marked in `first` before the
    others; a "This…" sentence that follows a chosen one comes along, since it finishes that
    sentence's thought. Picking more or fewer from the same scored sentences encodes nothing
    again."""
    order = sorted(
        range(len(scored)), key=lambda i: (first[i] if first is not None else True, scored[i].score), reverse=True
    )
    chosen = order[:limit]
    for index in list(chosen):
        if index + 1 < len(scored) and scored[index + 1].follows and index + 1 not in chosen:
            chosen.append(index + 1)
    return [scored[i] for i in chosen]


def completed(
    sentence: EvidenceSentence, scored: Sequence[EvidenceSentence], passages: Sequence[ScoredPassage]
) -> EvidenceSentence:
    """The sentence joined to the one right after it when that one opens by pointing back to it
    ("These include …", "This strategy worked …"): the second finishes the first's thought, and
    quoted alone the first may leave out the very names or places it announces. One span of the
    article, so the citation still points at exact characters."""
    if sentence.byline:
        return sentence
    follower = min(
        (other for other in scored
         if other.follows and other.source == sentence.source and other.start >= sentence.end),
        key=lambda other: other.start,
        default=None,
    )
    if follower is None:
        return sentence
    holder = next(
        (p for p in passages
         if p.source == sentence.source and p.start <= sentence.start and follower.end <= p.end),
        None,
    )
    if holder is None:
        return sentence
    between = holder.text[sentence.end - holder.start : follower.start - holder.start]
    if between.strip():  # not the very next sentence
        return sentence
    text = holder.text[sentence.start - holder.start : follower.end - holder.start]
    return replace(sentence, text=text, end=follower.end, follows=False)


def newest_first(evidence: Sequence[EvidenceSentence], passages: Sequence[ScoredPassage]) -> list[EvidenceSentence]:
    """The sentences of newer articles first (undated last); within a date, best first."""
    return sorted(evidence, key=lambda sentence: passages[sentence.passage].published or "", reverse=True)
