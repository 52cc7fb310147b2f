"""Questions that set named sides side by side: split by side, each side from its own sentence."""

from collections.abc import Iterator, Sequence

import pytest

from rag.answer.assistant import Assistant
from rag.answer.evidence import EvidenceSentence, SentenceRanker
from rag.answer.generators import Generator, Selection
from rag.answer.question import analyse
from rag.answer.replies import ABSTENTION
from rag.answer.sides import assign_sides, side_acts, side_questions, without_other_sides
from tests.conftest import indexed_articles

ASKED = "What did Tessa Morrow and Jonas Weir say about the ferry route?"


def test_the_rule_takes_the_other_side_out_of_the_question():
    asked = analyse(ASKED)
    assert asked.sides == ("Tessa Morrow", "Jonas Weir")
    alone = without_other_sides(asked, "Jonas Weir")
    assert alone.text == "What did Jonas Weir say about the ferry route?"
    assert alone.names == ("Jonas Weir",) and not alone.compares and alone.sides == ()
    danish = without_other_sides(analyse("How do the Danish and Norwegian views of the ferry route differ?"), "Danish")
    assert danish.text == "How do the Danish views of the ferry route differ?"


@pytest.mark.parametrize(
    "written",
    [
        ["What did Tessa Morrow say about the ferry route?"],  # one question for two sides
        ["What did Tessa Morrow say about the ferry route?", "What did Jonas Weir and Tessa Morrow say?"],  # both sides
        ["What did Tessa Morrow say about the ferry route?", "What did Jonas Weir say to Helen Brandt?"],  # a new name
        ["What did Tessa Morrow say about the route in 2019?", "What did Jonas Weir say about the ferry route?"],  # a new year
        None,  # no model
    ],
)
def test_the_models_questions_are_used_only_when_each_keeps_to_its_own_side(written):
    asked = analyse(ASKED)
    questions = side_questions(asked, written)
    assert [q.text for q in questions] == [
        "What did Tessa Morrow say about the ferry route?",
        "What did Jonas Weir say about the ferry route?",
    ]


def test_the_models_questions_are_taken_when_they_keep_to_their_sides():
    asked = analyse("How do the Danish and Norwegian views of the ferry route differ?")
    written = ["What is the Danish view of the ferry route?", "What is the Norwegian view of the ferry route?"]
    assert [q.text for q in side_questions(asked, written)] == written


@pytest.mark.parametrize(
    "side, sentence, acts",
    [
        ("Jonas Weir", "Jonas Weir said the ferry route would crowd the harbour.", True),  # subject
        ("Danish", "The Danish government backed the ferry route on Tuesday.", True),  # within the subject
        ("Denmark", "The plan won Denmark's support after a long debate.", True),  # possessor
        ("Danish", "The route is safe, according to the Danish maritime agency.", True),  # source
        ("Jonas Weir", "Tessa Morrow criticised Jonas Weir over the ferry route.", False),  # acted on
        ("Danish", "Norway's ministers rejected the route through Danish waters.", False),  # named in passing
        ("American", "The U.S. administration insisted on a vote before the ferry route opens.", True),  # another form
    ],
)
def test_a_side_gives_its_view_only_where_it_acts_or_speaks(side, sentence, acts):
    assert side_acts(side, sentence) is acts


def test_each_side_gets_its_own_sentence_from_another_article_where_there_is_one():
    candidates = {"A": [1, 2], "B": [1, 2, 3]}
    articles = ["one.txt", "one.txt", "two.txt"]
    assert assign_sides(candidates, articles, lambda side, n: True) == {"A": 1, "B": 3}
    # a side whose every candidate is refused is missing, not filled with another's sentence
    assert assign_sides(candidates, articles, lambda side, n: side == "A") == {"A": 1, "B": None}


HARBOUR = (
    "Council Backs Ferry Route\n\n"
    "Tessa Morrow said the new ferry route would bring winter visitors to Port Elwyn. "
    "The council voted for the route on Tuesday after a long debate about the harbour.\n"
)
TOWN = (
    "Castor Bay Wary of Ferry Plan\n\n"
    "Jonas Weir warned that the ferry route would crowd the small harbour at Castor Bay. "
    "Residents of Castor Bay signed a petition against the plan last month.\n"
)
LIBRARY = (
    "Library Opens New Wing\n\n"
    "The town library opened a new reading wing with space for 20,000 books. "
    "Helen Brandt, the head librarian, said the wing had taken two years to build.\n"
)


class SidesGenerator(Generator):
    """Stands in for a language model on comparing questions: splits the question as told and
    judges every sentence `judgement`. Picking is never asked for: a comparing question is not
    answered by one pick. The real model's splitting is tested in test_generators.py."""

    name = "scripted-sides"

    def __init__(self, questions: list[str] | None, judgement: float | None) -> None:
        self.questions, self.judgement = questions, judgement
        self.judges = judgement is not None
        self.judged: list[tuple[str, str]] = []

    def select(self, question: str, evidence: Sequence[EvidenceSentence], titles) -> Iterator[str | Selection]:
        raise AssertionError("a comparing question is not answered by the generator's pick")

    def split_sides(self, question: str, sides: Sequence[str]) -> list[str] | None:
        return self.questions

    def judge(self, question: str, sentence: str) -> float | None:
        self.judged.append((question, sentence))
        return self.judgement


@pytest.fixture(scope="module")
def ferry_service(tmp_path_factory, embedder):
    files = {"harbour.txt": HARBOUR, "town.txt": TOWN, "library.txt": LIBRARY}
    return indexed_articles(tmp_path_factory.mktemp("ferry"), files, embedder)


def assistant(service, generator: Generator) -> Assistant:
    return Assistant(service.retriever, generator, service.settings, SentenceRanker(service.embedder))


def test_each_side_is_cited_from_its_own_article(ferry_service):
    written = ["What did Tessa Morrow say about the ferry route?", "What did Jonas Weir say about the ferry route?"]
    generator = SidesGenerator(written, judgement=0.9)
    answer = assistant(ferry_service, generator).ask(ASKED)
    assert not answer.abstained
    assert [c.source for c in answer.citations] == ["harbour.txt", "town.txt"]
    first, second = answer.answer.split("\n\n")
    assert first.startswith("Tessa Morrow: “Tessa Morrow said") and first.endswith("[1]")
    assert second.startswith("Jonas Weir: “Jonas Weir warned") and second.endswith("[2]")
    # each sentence was judged against its own side's question
    assert {question for question, _ in generator.judged} == set(written)
    assert all(c.text in (HARBOUR + TOWN) for c in answer.citations)


def test_a_side_the_articles_do_not_give_is_said_to_be_missing(ferry_service):
    asked = "What did Tessa Morrow and Rosa Quill say about the ferry route?"
    answer = assistant(ferry_service, SidesGenerator(None, judgement=0.9)).ask(asked)
    assert not answer.abstained
    assert [c.source for c in answer.citations] == ["harbour.txt"]
    assert answer.answer.endswith("Rosa Quill: the articles don't say.")


def test_sides_the_judge_refuses_make_the_reply_abstain(ferry_service):
    answer = assistant(ferry_service, SidesGenerator(None, judgement=0.2)).ask(ASKED)
    assert answer.abstained and answer.answer == ABSTENTION and not answer.citations


def test_without_a_model_each_side_needs_a_sentence_on_the_asked_topic(ferry_service):
    answer = assistant(ferry_service, SidesGenerator(None, judgement=None)).ask(
        "What did Tessa Morrow and Helen Brandt say about the ferry route?"
    )
    # Helen Brandt speaks only of the library: no sentence of hers is on the ferry route
    assert "Helen Brandt: the articles don't say." in answer.answer
    assert all(c.source != "library.txt" for c in answer.citations)


def test_a_sentence_where_both_sides_act_together_answers_for_both():
    # "A and B agreed…": the second side may rest on the sentence the first one uses
    assert assign_sides({"A": [1], "B": [1]}, ["one.txt"], lambda side, n: True) == {"A": 1, "B": 1}
    # but only when it is a candidate for that side (it names the side as acting) and is accepted
    assert assign_sides({"A": [1], "B": []}, ["one.txt"], lambda side, n: True) == {"A": 1, "B": None}
    assert assign_sides({"A": [1], "B": [1]}, ["one.txt"], lambda side, n: side == "A") == {"A": 1, "B": None}


def test_sides_sharing_a_sentence_share_its_paragraph_and_its_citation():
    from rag.answer.composition import side_by_side

    joint = "The Arden and Velmora councils agreed to share the ferry."
    text = side_by_side([("Arden", joint, 1), ("Velmora", joint, 1), ("Castor Bay", None, None)])
    assert text == f"Arden and Velmora: “{joint}” [1]\n\nCastor Bay: the articles don't say."
