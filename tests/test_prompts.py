"""Prompts carry no facts from the articles: no name from any seed article appears in them."""

from os.path import commonprefix

from rag.language.nlp import parse
from rag.models import prompts
from tests.conftest import SEEDS


def test_prompts_name_nobody_and_nothing_from_the_articles():
    texts = [prompts.SYSTEM, prompts.SELECT, prompts.JUDGE, prompts.AFFIRM, prompts.SPLIT, prompts.WRITE, prompts.REWRITE]
    named = set()
    for path in SEEDS.glob("*.txt"):
        doc = parse(path.read_text("utf-8", errors="replace"))
        named |= {e.text for e in doc.ents if e.label_ in {"PERSON", "ORG", "GPE", "NORP", "LOC", "EVENT"}}
    assert named, "the seed articles name people and places"
    leaked = sorted(name for name in named if any(name in text for text in texts))
    assert leaked == []


def test_prompts_hold_no_worked_example_answer():
    for text in (prompts.SYSTEM, prompts.SELECT, prompts.JUDGE, prompts.AFFIRM, prompts.SPLIT, prompts.WRITE):
        assert "[2]" not in text and "e.g." not in text and "for example" not in text.lower()


def test_each_prompt_asks_its_own_task_with_the_fields_its_builder_fills():
    from string import Formatter

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in Formatter().parse(text) if name}

    assert fields(prompts.JUDGE) == fields(prompts.AFFIRM) == {"sentence", "question"}
    assert fields(prompts.WRITE) == {"sentences", "question", "after"}
    assert fields(prompts.SELECT) == {"question"}
    assert fields(prompts.SPLIT) == {"question", "sides"}
    assert fields(prompts.REWRITE) == set() and prompts.REWRITE.startswith("Rewrite")
    tasks = [prompts.SYSTEM, prompts.SELECT, prompts.JUDGE, prompts.AFFIRM, prompts.SPLIT, prompts.WRITE, prompts.REWRITE]
    assert len(set(tasks)) == len(tasks)


def test_writing_starts_as_the_judging_of_its_sentence_did():
    """The answer is written from the sentence just judged: llama.cpp keeps the prompt it has
    evaluated and reads only what differs, so the two prompts must part after the question."""
    sentence, question = "The harbour board approved the new pier in May.", "When was the new pier approved?"
    judged = prompts.judge_prompt(question, sentence)
    shared = commonprefix([judged, prompts.writing_prompt(question, [sentence])])
    assert shared.endswith(f"Question: {question}\n") and sentence in shared
    assert commonprefix([judged, prompts.judge_prompt(question, sentence, prompts.AFFIRM)]) == shared
    # the sentence finishing the judged one's thought comes after the question, not before it
    after = "It will open to walkers in June."
    completed = prompts.writing_prompt(question, [sentence], after)
    assert commonprefix([judged, completed]) == shared and completed.index(after) > completed.index(question)
