"""Questions that set named sides side by side ("How do the Chinese and American views of the
talks differ?", "What did Rubio and Lavrov say about the talks?") are answered side by side.

No one sentence answers such a question, so neither the generator's choice of sentences nor
the judge's "does this sentence answer exactly this question?" applies to it as asked. It is
split instead into one question about each side ("What is the Chinese view of the talks?"),
by the model where there is one (`Generator.split_sides`, kept only when each question names
its own side, no other side and nothing the question does not), else by taking the other sides
out of the question (`without_other_sides`). Each side's question is then answered as any
question is: by a sentence that names that side itself and passes the checks and the judge
(`side_candidates`), each side from its own sentence, from another article where one has it
(`assign_sides`). A side no sentence gives is said to be missing, not filled in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from rag.answer.evidence import EvidenceSentence
from rag.answer.question import COMPARING, Question, analyse, name_text
from rag.answer.verification import check_evidence
from rag.language.names import name_present
from rag.language.nlp import folded_words, parse
from rag.language.words import stem


def without_other_sides(asked: Question, side: str) -> Question:
    """`asked` about `side` alone, by rule: the other sides (with the "and" or "or" joining
    them) are taken out of its text, and are no longer names it must hold, nor are they or the
    comparing words ("differ", "both") words it should share."""
    others = [other for other in asked.sides if other != side]
    doc = parse(asked.text)
    removed: set[int] = set()
    for entity in doc.ents:
        if name_text(entity) in others:
            removed |= set(range(entity.start, entity.end))
            before, after = entity.start - 1, entity.end
            if before >= 0 and (doc[before].dep_ == "cc" or doc[before].text == ","):
                removed.add(before)
            elif after < len(doc) and (doc[after].dep_ == "cc" or doc[after].text == ","):
                removed.add(after)
    text = "".join(token.text_with_ws for token in doc if token.i not in removed).strip()
    dropped = {stem(word) for other in others for word in other.split()} | {stem(word) for word in COMPARING}
    return replace(
        asked,
        text=" ".join(text.split()),
        names=tuple(name for name in asked.names if name not in others),
        people=tuple(name for name in asked.people if name not in others),
        terms=asked.terms - dropped,
        compares=False,
        sides=(),
        polar=False,
    )


def side_questions(asked: Question, written: Sequence[str] | None) -> list[Question]:
    """One question per side: the model's (`written`) when each names its own side, no other
    side, and no name the question does not; else the rule's."""
    asked_words = folded_words(asked.text)

    def keeps_to(side: str, question: Question) -> bool:
        words = folded_words(question.text)
        return (
            name_present(side, words, question.text)
            and not any(name_present(other, words, question.text) for other in asked.sides if other != side)
            and all(name_present(name, asked_words, asked.text) for name in question.names)
            and set(question.numbers) <= set(asked.numbers)
        )

    if written is not None and len(written) == len(asked.sides):
        questions = [analyse(text) for text in written]
        if all(keeps_to(side, question) for side, question in zip(asked.sides, questions, strict=True)):
            return questions
    return [without_other_sides(asked, side) for side in asked.sides]


_ACTING = frozenset({"nsubj", "nsubjpass", "poss"})


def side_acts(side: str, sentence: str) -> bool:
    """Whether the sentence names `side` as one who acts, says or holds something: in the
    subject of one of its clauses ("The U.S. administration insists…"), as a possessor ("China's
    satisfaction"), or as the source ("according to China's broadcaster"). A side named only as
    what another acts on ("relations with China") does not give that side's view."""
    doc = parse(sentence)
    for token in doc:
        source = token.dep_ == "pobj" and token.head.lower_ == "to" and token.head.head.lower_ == "according"
        if token.dep_ in _ACTING or source:
            phrase = doc[token.left_edge.i : token.right_edge.i + 1].text
            if name_present(side, folded_words(phrase), phrase):
                return True
    return False


def side_candidates(
    asked: Question,
    questions: Sequence[Question],
    evidence: Sequence[EvidenceSentence],
    contexts: Sequence[str],
    min_coverage: float,
    topical: bool,
    scores: Sequence[Sequence[float]],
) -> dict[str, list[int]]:
    """For each side, the evidence sentences (1-based) that name the side as one who acts or
    holds a view (`side_acts`) and pass the checks for its question: those naming no other side
    first, since they are about this side alone, and within each group best first by
    `scores[i][n - 1]` (how well sentence n matches the question of side i). With `topical` (when
    no model judges what a sentence is about), a sentence must also share a word of its side's
    question besides the side's name."""
    found: dict[str, list[int]] = {}
    for place, (side, question) in enumerate(zip(asked.sides, questions, strict=True)):
        others = [other for other in asked.sides if other != side]
        topic = question.terms - {stem(word) for word in side.split()}
        kept: list[tuple[bool, int]] = []  # (names another side, sentence number)
        for number, sentence in enumerate(evidence, start=1):
            if not side_acts(side, sentence.text):
                continue
            words = folded_words(sentence.text)
            if topical and not topic & {stem(word) for word in words.split()}:
                continue
            if not check_evidence(question, sentence.text, contexts[number - 1], min_coverage).answers:
                continue
            kept.append((any(name_present(other, words, sentence.text) for other in others), number))
        kept.sort(key=lambda item: (item[0], -scores[place][item[1] - 1]))
        found[side] = [number for _, number in kept]
    return found


def assign_sides(
    candidates: dict[str, list[int]],
    articles: Sequence[str],
    accepts: Callable[[str, int], bool],
) -> dict[str, int | None]:
    """One sentence for each side, in the question's order: its first accepted candidate that
    no other side uses, from an article no other side cites when there is one; failing those, a
    sentence another side uses that names this side as acting too ("X and Y agreed to…" gives
    both). `articles[n - 1]` is sentence n's article; `accepts(side, n)` decides whether
    sentence n answers for the side."""
    used: set[int] = set()
    cited: set[str] = set()
    chosen: dict[str, int | None] = {}
    for side, numbers in candidates.items():
        open_numbers = [n for n in numbers if n not in used]
        ordered = (
            [n for n in open_numbers if articles[n - 1] not in cited]
            + [n for n in open_numbers if articles[n - 1] in cited]
            + [n for n in numbers if n in used]
        )
        number = next((n for n in ordered if accepts(side, n)), None)
        if number is not None:
            used.add(number)
            cited.add(articles[number - 1])
        chosen[side] = number
    return chosen
