"""Questions that join facts several reports give ("Which company, reported by two outlets, cut
500 jobs and named a new chief executive?") are answered by a name each cited article gives,
with a sentence from each article.

- The candidates are the names of the asked kind (spaCy's entities) in the ranked sentences,
  other than the question's own.
- A name is joined across articles when sentences of at least two articles name it as the one
  acting (the subject or the agent: "analysts at X said" and "according to X" do not count).
  From each such article the sentence naming it that holds most of the question's words is a
  candidate;
  sentences are kept, best first, while each adds words of the question the kept ones lack (at
  most `MOST_ARTICLES`).
- The join answers only when the kept sentences together hold every content word of the
  question, their passages its names and numbers, and they come from two articles or more:
  every fact the question joins must be stated. Otherwise the question takes the ordinary way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.evidence import EvidenceSentence
from rag.answer.question import Question
from rag.answer.verification import check_evidence, coverage
from rag.language.names import name_present
from rag.language.nlp import folded_words, parse
from rag.language.words import text_stems

MOST_ARTICLES = 3


@dataclass(frozen=True)
class Join:
    name: str  # the answer: the name the cited articles give
    sentences: tuple[int, ...]  # evidence numbers (from 1), one an article, in the order they were kept


def _names(asked: Question, sentence: str) -> list[str]:
    """Names of the asked kind in the sentence that the question does not name."""
    asked_words = folded_words(asked.text)
    return [
        entity.text for entity in parse(sentence).ents
        if entity.label_ in asked.labels and not name_present(entity.text, asked_words, asked.text)
    ]


_SUBJECTS = frozenset({"nsubj", "nsubjpass"})


def _acts(name: str, sentence: str) -> bool:
    """Whether the sentence names `name` as the one acting: the subject of a clause, the agent
    of a passive ("by Nordvik Air"), or a name set beside the subject ("the airline Nordvik Air").
    "Analysts at Nordvik Air said…" and "according to Nordvik Air" report, not act."""
    doc = parse(sentence)
    for entity in doc.ents:
        if entity.text != name:
            continue
        root = entity.root
        if root.dep_ in _SUBJECTS or (root.dep_ == "pobj" and root.head.dep_ == "agent"):
            return True
        if root.dep_ == "ROOT" and any(child.dep_ == "acl" for child in root.children):
            return True  # "Nordvik Air named a chief", parsed as a name with a clause after it
        if root.dep_ in {"appos", "compound"} and root.head.dep_ in _SUBJECTS:
            return True
    return False


def joined_answer(asked: Question, evidence: Sequence[EvidenceSentence], contexts: Sequence[str]) -> Join | None:
    """The name that sentences of several articles give, which together state all the question
    asks; None when no name does (see the module's docstring)."""
    if not asked.joins or not asked.terms:
        return None
    words = [folded_words(sentence.text) for sentence in evidence]
    held = [asked.terms & text_stems(sentence.text) for sentence in evidence]
    names = list(dict.fromkeys(name for sentence in evidence for name in _names(asked, sentence.text)))
    options = []
    for name in names:
        by_article: dict[str, int] = {}  # each article's sentence naming it with most question words
        for number, sentence in enumerate(evidence, start=1):
            if sentence.byline or not name_present(name, words[number - 1], sentence.text):
                continue
            if not _acts(name, sentence.text):
                continue
            best = by_article.get(sentence.source)
            if best is None or len(held[number - 1]) > len(held[best - 1]):
                by_article[sentence.source] = number
        if len(by_article) >= 2:
            options.append((name, sorted(by_article.values(), key=lambda n: -len(held[n - 1]))))
    options.sort(key=lambda option: -len(option[1]))
    for name, numbers in options:
        kept: list[int] = []
        covered: set[str] = set()
        for number in numbers:
            if held[number - 1] - covered and len(kept) < MOST_ARTICLES:
                kept.append(number)
                covered |= held[number - 1]
        if len(kept) < 2:
            continue
        texts = [evidence[n - 1].text for n in kept]
        if coverage(asked, *texts) < 1.0:
            continue
        if check_evidence(asked, " ".join(texts), " ".join(contexts[n - 1] for n in kept), 0.0).answers:
            return Join(name, tuple(kept))
    return None
