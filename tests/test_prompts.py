"""Prompts carry no facts from the articles: no name from any seed article appears in them."""

from rag import prompts
from rag.nlp import parse
from tests.conftest import SEEDS


def test_prompts_name_nobody_and_nothing_from_the_articles():
    texts = [prompts.SYSTEM, prompts.SELECT, prompts.JUDGE, prompts.WRITE, prompts.REWRITE]
    named = set()
    for path in SEEDS.glob("*.txt"):
        doc = parse(path.read_text("utf-8", errors="replace"))
        named |= {e.text for e in doc.ents if e.label_ in {"PERSON", "ORG", "GPE", "NORP", "LOC", "EVENT"}}
    assert named, "the seed articles name people and places"
    leaked = sorted(name for name in named if any(name in text for text in texts))
    assert leaked == []


def test_prompts_hold_no_worked_example_answer():
    for text in (prompts.SYSTEM, prompts.SELECT, prompts.JUDGE, prompts.WRITE):
        assert "[2]" not in text and "e.g." not in text and "for example" not in text.lower()
