"""Questions that join facts several reports give: a name each cited article gives, with a
sentence from each, only when together they state all the question asks."""

import pytest

from rag.answer.evidence import EvidenceSentence
from rag.answer.joins import joined_answer
from rag.answer.question import analyse
from rag.service import RagService
from tests.conftest import indexed_articles, synthetic_articles

ASKED = "Which company, reported by two outlets, cut 500 jobs and named a new chief executive?"


@pytest.mark.parametrize(
    "question, joins",
    [
        (ASKED, True),
        ("Which city, according to both articles, hosted the summit and signed the trade deal?", True),
        ("Which company, reported by Harbour Daily and The Courier, opened a plant and cut prices?", True),
        ("Which company cut 500 jobs?", False),  # one fact, wherever it is
        ("Which company bought three newspapers?", False),  # newspapers are what was bought
        ("Who reported to Smith and Jones?", False),  # people reported to, not reports
        ("Who wrote both articles?", False),
        ("What do both reports say about the fire?", False),  # asks for no name
    ],
)
def test_questions_joining_reports_are_told_apart(question, joins):
    asked = analyse(question)
    assert asked.joins is joins
    if joins:  # the words about the reports are not facts the evidence must state
        assert not {"report", "outlet", "articl", "two", "both"} & asked.terms
        assert "Harbour Daily" not in asked.names and "two" not in asked.numbers


ARTICLES = {
    "nordvik-jobs.md": "---\ntitle: Nordvik Air to cut jobs\ndate: 2026-05-04\n---\n"
                       "Nordvik Air said on Monday it would cut 500 jobs as fuel costs rose. "
                       "The airline flies to twelve islands.\n",
    "nordvik-chief.md": "---\ntitle: New head for Nordvik Air\ndate: 2026-05-08\n---\n"
                        "Nordvik Air named Ingrid Solberg as its new chief executive on Friday. "
                        "She ran the company's cargo arm for six years.\n",
    "baltic-jobs.md": "---\ntitle: Baltic Wings trims staff\ndate: 2026-05-05\n---\n"
                      "Baltic Wings said it would cut 200 jobs at its Riga base. Pilots were not affected.\n",
    "fjord-chief.md": "---\ntitle: Fjord Lines picks a chief\ndate: 2026-05-06\n---\n"
                      "Fjord Lines named Per Lund as its new chief executive. He joins from a rail operator.\n",
}


@pytest.fixture(scope="module")
def airline_service(tmp_path_factory, embedder):
    return indexed_articles(tmp_path_factory.mktemp("joins"), {**ARTICLES, **synthetic_articles(8)}, embedder)


def test_the_name_two_articles_give_is_answered_with_a_sentence_from_each(airline_service):
    answer = airline_service.assistant("extractive").ask(ASKED)
    assert not answer.abstained, answer.checks
    assert answer.answer.startswith("Nordvik Air [1][2].")
    assert {c.source for c in answer.citations} == {"nordvik-jobs.md", "nordvik-chief.md"}
    assert answer.checks["wording"] == "joined across articles"


def test_facts_no_one_name_joins_are_not_answered_by_one_of_them(airline_service):
    # Baltic Wings cut 200 jobs and Fjord Lines named a chief: neither did both
    answer = airline_service.assistant("extractive").ask(
        "Which company, reported by two outlets, cut 200 jobs and named a new chief executive?"
    )
    assert answer.abstained and not answer.citations, answer.answer


def test_with_a_model_that_accepts_every_sentence_no_join_still_means_no_answer(airline_service, stand_in_server):
    """The stand-in endpoint picks sentence [1] and judges every sentence an answer: one passage
    holding only some of the joined facts must still not answer."""
    settings = airline_service.settings.model_copy(
        update={"openai_base_url": stand_in_server, "openai_model": "stand-in", "generator": "openai"}
    )
    service = RagService(settings, embedder=airline_service.embedder, index=airline_service.index)
    answer = service.assistant().ask("Which company, reported by two outlets, cut 200 jobs and named a new chief executive?")
    assert answer.abstained and not answer.citations, answer.answer


def test_a_fact_no_article_states_is_not_joined(airline_service):
    answer = airline_service.assistant("extractive").ask(
        "Which company, reported by two outlets, cut 500 jobs and raised its fares?"
    )
    assert answer.abstained, answer.answer


def test_a_name_that_only_reports_the_facts_is_not_joined():
    asked = analyse(ASKED)
    said = [
        EvidenceSentence("Baltic Wings will cut 500 jobs, analysts at Nordvik Air said.", 0, "a.md", 0, 60),
        EvidenceSentence("Fjord Lines named a new chief executive, according to Nordvik Air.", 1, "b.md", 0, 66),
    ]
    assert joined_answer(asked, said, ["", ""]) is None
    acted = [
        EvidenceSentence("Nordvik Air will cut 500 jobs, the airline said.", 0, "a.md", 0, 48),
        EvidenceSentence("The airline Nordvik Air named a new chief executive.", 1, "b.md", 0, 52),
    ]
    join = joined_answer(asked, acted, ["", ""])
    assert join is not None and join.name == "Nordvik Air" and join.sentences == (1, 2)
