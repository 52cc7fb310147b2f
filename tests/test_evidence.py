"""Candidate sentences: which are offered, in what order, and how a cited one is completed."""

from langchain_core.documents import Document

from rag.answer.evidence import EvidenceSentence, best_sentences, completed, passage_sentences
from rag.retrieve.retrieval import ScoredPassage

TEXT = (
    "The new tram timetable borrows from two services the city ran decades ago. "
    "They were the night tram of 1968 and the Sunday loop around the lake. "
    "Fares stay as they are this year. It was the mayor, Pia Landvik, who insisted on that."
)


def _passage(text: str = TEXT, start: int = 100) -> ScoredPassage:
    document = Document(page_content=text, metadata={"source": "timetable.txt", "start": start, "end": start + len(text)})
    return ScoredPassage(document, score=1.0, similarity=0.5)


def test_sentences_meeting_the_question_come_first_whatever_their_score():
    sentences = [
        EvidenceSentence(f"Sentence number {n} of the article.", 0, "a.txt", n * 40, n * 40 + 35, score=1 - n / 10)
        for n in range(6)
    ]
    meets = [False, False, False, False, False, True]
    chosen = best_sentences(sentences, 3, first=meets)
    assert chosen[0] is sentences[5]  # the only one meeting the question, though scored lowest
    assert chosen[1:] == sentences[:2]  # then the best of the rest
    assert best_sentences(sentences, 3) == sentences[:3]


def test_a_sentence_is_completed_by_the_next_only_when_that_one_points_back():
    passage = _passage()
    scored = passage_sentences([passage])
    announcing, pointing_back, fares, insisted = scored
    assert pointing_back.follows and insisted.follows and not fares.follows
    joined = completed(announcing, scored, [passage])
    assert joined.text == TEXT[: TEXT.index("around the lake.") + len("around the lake.")]
    assert (joined.start, joined.end) == (announcing.start, pointing_back.end)
    assert completed(pointing_back, scored, [passage]) == pointing_back  # "Fares stay…" does not point back
    assert completed(fares, scored, [passage]).text == (
        "Fares stay as they are this year. It was the mayor, Pia Landvik, who insisted on that."
    )
