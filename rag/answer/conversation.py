"""Make a follow-up question standalone before retrieval.

"And what did China say about that?" means nothing to a search index. With a language model
the generator rewrites it from the conversation; without one (the extractive generator) the
previous question's content is carried over so retrieval still finds the topic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.answer.generators import Generator

_FOLLOW_UP = re.compile(
    r"^\s*(?:and|but|also|so|what about|how about|then)\b"
    r"|\b(?:that|this|those|these|it|its|they|them|their|he|him|his|she|her|there|the same)\b",
    re.IGNORECASE,
)


def looks_like_follow_up(question: str) -> bool:
    return bool(_FOLLOW_UP.search(question)) or len(question.split()) <= 3


def rule_based_standalone(question: str, history: Sequence[tuple[str, str]]) -> str:
    """Append the previous question's topic to a follow-up question."""
    previous = history[-1][0].strip().rstrip("?")
    return f"{question.strip()} (context: {previous})"


def standalone_question(
    question: str, history: Sequence[tuple[str, str]], generator: Generator | None = None
) -> str:
    if not history or not looks_like_follow_up(question):
        return question
    if generator is not None:
        try:
            rewritten = generator.rewrite_question(question, history)
        except Exception:  # noqa: BLE001 - a failed rewrite falls back to the rule
            rewritten = None
        if rewritten and len(rewritten) <= 4 * len(question) + 200:
            return rewritten
    return rule_based_standalone(question, history)
