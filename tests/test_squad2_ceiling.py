"""The bound `bench/squad2.py --ceiling` prints: what deciding by the judge's score can reach."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import squad2  # noqa: E402


def _question(qid: str, context: str) -> dict:
    return {"id": qid, "context": context, "question": f"Question {qid}?"}


def _candidate(context: str, text: str, judge: float | None) -> dict:
    return {"source": squad2.article_name(context), "text": text, "judge": judge}


def test_ceiling_counts_the_best_judged_answering_sentence_and_the_highest_near_miss(monkeypatch):
    monkeypatch.setattr(squad2, "copies", lambda: {})  # no paragraph kept as another's copy
    queries = [
        _question("found", "The bridge opened in 1932."),
        _question("missed", "The mill closed in 1975."),
        _question("elsewhere", "The tower was built in 1889."),
        _question("near", "The dam was finished in 1936."),
        _question("unjudged", "The pier burned in 1901."),
    ]
    truth = {
        "found": {"answers": ["1932"], "is_impossible": False},
        "missed": {"answers": ["1975"], "is_impossible": False},
        "elsewhere": {"answers": ["1889"], "is_impossible": False},
        "near": {"answers": [], "is_impossible": True},
        "unjudged": {"answers": [], "is_impossible": True},
    }
    replies = [
        # the answering sentence scored 0.6, a sentence without the answer higher
        {"checks": {"candidates": [_candidate(queries[0]["context"], "It opened to traffic.", 0.9),
                                   _candidate(queries[0]["context"], "The bridge opened in 1932.", 0.6)]}},
        # the answering sentence was offered but never judged: no threshold answers it
        {"checks": {"candidates": [_candidate(queries[1]["context"], "The mill closed in 1975.", None),
                                   _candidate(queries[1]["context"], "The mill was old.", 0.2)]}},
        # the gold answer stands in a sentence of another paragraph: not this question's answer
        {"checks": {"candidates": [_candidate("Another tower was built in 1889.", "Another tower was built in 1889.", 0.95)]}},
        # an unanswerable question whose near miss scored 0.7
        {"checks": {"candidates": [_candidate(queries[3]["context"], "The dam was finished in 1936.", 0.7)]}},
        # an unanswerable question with nothing judged always abstains
        {"abstained": True},
    ]
    rows = {threshold: (has, none) for threshold, has, none in
            squad2.ceiling(queries, truth, replies, [0.5, 0.6, 0.65, 0.7, 0.75])}
    assert rows[0.5] == (1 / 3, 0.5)
    assert rows[0.6] == (1 / 3, 0.5)  # a score at the threshold reaches it
    assert rows[0.65] == (0.0, 0.5)
    assert rows[0.7] == (0.0, 0.5)
    assert rows[0.75] == (0.0, 1.0)
