"""Composing a reply from accepted sentences: each joined to the sentence that finishes its thought,
quoted and cited; the model's short answer leading only where it states what they say; sides set
side by side; a yes or no only where the parse and the model agree."""

from __future__ import annotations

from collections.abc import Sequence

from rag.answer.evidence import EvidenceSentence, completed
from rag.answer.question import Question
from rag.answer.replies import MISSING_SIDE
from rag.answer.verification import check_claim, locate
from rag.retrieve.retrieval import ScoredPassage


def with_followers(
    evidence: Sequence[EvidenceSentence],
    accepted: list[int],
    scored: Sequence[EvidenceSentence],
    passages: Sequence[ScoredPassage],
) -> list[EvidenceSentence]:
    """The evidence with each accepted sentence joined to the sentence finishing its thought
    (`rag.answer.evidence.completed`); an accepted sentence that another's join already quotes is
    dropped from `accepted` (in place), so nothing is quoted twice."""
    evidence = list(evidence)
    for number in accepted:
        evidence[number - 1] = completed(evidence[number - 1], scored, passages)
    joined = [evidence[n - 1] for n in accepted]
    accepted[:] = [
        n for n in accepted
        if not any(other is not evidence[n - 1] and other.source == evidence[n - 1].source
                   and other.start <= evidence[n - 1].start and evidence[n - 1].end <= other.end
                   for other in joined)
    ]
    return evidence


def writing_inputs(judged: str, quoted: Sequence[str]) -> tuple[list[str], str]:
    """The sentences a short answer is written from, and apart from them the sentence after the
    judged one when the one quote is that sentence completed (`with_followers`): given apart, it
    goes after the question, so the prompt begins as the judging did and only the rest is read."""
    if len(quoted) == 1 and judged and quoted[0].startswith(judged):
        return [judged], quoted[0][len(judged):].strip()
    return list(quoted), ""


def reply_text(asked: Question, answer: str, cited: Sequence[str]) -> tuple[str, int, str]:
    """The reply's text, how many of the cited sentences it rests on, and how it was worded.

    The sentences themselves are always quoted, so the reader sees what the answer rests on.
    The generator's short answer leads when it says only what the sentences say, including the
    asked fact, the right way round; it is then shown in the article's own words (the whole
    phrase of the sentence it comes from).
    """
    claim = check_claim(asked, answer, cited) if answer.strip() else None
    quoted = cited[:2]
    quotes = " ".join(f"{in_quotes(sentence)} [{marker}]" for marker, sentence in enumerate(quoted, start=1))
    if claim is not None and claim.supported:
        exact = next((span for sentence in cited if (span := locate(answer, sentence))), None)
        words = exact or " ".join(answer.split()).rstrip(".")
        markers = "".join(f"[{marker}]" for marker in range(1, len(quoted) + 1))
        return f"{words} {markers}.\n\n{quotes}", len(quoted), "generated"
    return quotes, len(quoted), "quoted" if claim is None else f"quoted ({claim.reason})"


def side_by_side(sides: Sequence[tuple[str, str | None, int | None]]) -> str:
    """One paragraph a side, given as (side, its sentence, its marker): the sentence quoted and
    cited, or that the articles don't say (a side left out would read as if nothing differed).
    Sides resting on the same sentence share its paragraph ("X and Y: …")."""
    groups: list[tuple[list[str], str | None]] = []  # the sides of each paragraph, and its quote
    by_marker: dict[int, list[str]] = {}
    for side, sentence, marker in sides:
        if sentence is None or marker is None:
            groups.append(([side], None))
        elif marker in by_marker:
            by_marker[marker].append(side)  # the paragraph already listed gets this side too
        else:
            by_marker[marker] = [side]
            groups.append((by_marker[marker], f"{in_quotes(sentence)} [{marker}]"))
    return "\n\n".join(
        f"{' and '.join(names)}: {quote or MISSING_SIDE}" for names, quote in groups
    )


def yes_or_no(parsed: bool | None, model: float | None) -> bool | None:
    """The reply to a yes/no question: what the sentence's parse says (`polarity`), unless the
    model reads the sentence the other way (its P(yes) on the other side of one half). None (the
    evidence quoted with no yes or no) when the parse cannot tell: a small model alone leans to
    "yes", and a wrong "yes" over a real citation is the worst reply there is."""
    if parsed is None or model is None:
        return parsed
    return parsed if parsed == (model >= 0.5) else None


def in_quotes(sentence: str) -> str:
    """The sentence in quotation marks, unless it opens with its own."""
    sentence = " ".join(sentence.split())
    return sentence if sentence[:1] in "“\"'‘" else f"“{sentence}”"
