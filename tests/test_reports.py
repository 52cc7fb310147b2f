"""Questions about how reports stand to each other: each article's sentence, earliest first, and
a Yes or No only where the parse sees the figures or the event differ or match."""

import pytest

from rag.answer.question import analyse
from rag.answer.replies import ABSTENTION
from rag.answer.reports import Reading, ReportsAsked, compare, figures, reports_text
from tests.conftest import indexed_articles


@pytest.mark.parametrize(
    "question, topic, focus, difference, yes_no",
    [
        ("Did the later report agree with the earlier one about the death toll?", "death toll", "toll", False, True),
        ("Do the articles agree on how many people died in the Lowmoor fire?", "people died Lowmoor fire", "die", False, True),
        ("How do the reports differ on the cost of the bridge?", "cost bridge", "cost", True, False),
        ("Did the reports not agree on the cause?", "cause", "caus", True, True),
        ("Has the story changed since the first report?", "", "", True, True),
    ],
)
def test_questions_about_reports_are_told_apart_with_their_topic(question, topic, focus, difference, yes_no):
    asked = analyse(question)
    assert asked.reports == ReportsAsked(topic, focus, difference, yes_no)
    assert asked.compares  # drawn from more than one article
    assert not {"report", "agre", "earlier", "later"} & asked.terms


@pytest.mark.parametrize(
    "question",
    [
        "Did the report confirm the death toll?",  # one report's content
        "What did the report say about the fire?",
        "Did the mayor agree to the new budget?",  # an agreement in the news, not between reports
        "Do the articles mention a change in leadership?",  # a change in the news
        "Did the government correct the latest report on unemployment?",  # the government acts
        "Which sources confirmed the deal?",  # what the sources confirmed
    ],
)
def test_questions_about_what_happened_are_not_about_reports(question):
    assert analyse(question).reports is None


@pytest.mark.parametrize(
    "earlier, later, about, agree",
    [
        ("The death toll stood at 12 on Monday, officials said.", "The death toll rose to 15, officials said.", "toll", False),
        ("The fire killed twelve people and injured 40.", "The fire killed 12 people and injured 45.", "fire", False),
        ("The bridge will cost $1.5 million, the council said.", "The council said the bridge will cost $2 million.", "cost", False),
        ("Police did not identify the suspect.", "Police identified the suspect as a local man.", "suspect", False),
        ("Twelve people died in the fire.", "12 people died in the fire, the mayor said.", "die", True),
        ("The plant will employ 1,200 workers.", "The plant will employ 1200 workers from next year.", "worker", True),
        ("At least 12 people died in the fire.", "Fifteen people died in the fire.", "die", None),  # a bound
        ("The death toll stood at 9.", "The death toll rose by 2.", "toll", None),  # a change, not a level
        ("12 people were injured in the crash.", "15 people died in the crash.", "peopl", None),  # another event
        ("12 Danish sailors were rescued.", "15 Norwegian sailors were rescued.", "sailor", None),  # others counted
        ("The mill closed in 1998.", "The mill closed in 2001 after the flood.", "mill", None),  # years are dates
        ("Unemployment fell to 4.1% in March.", "Unemployment rose to 4.3% in April.", "unemploy", None),  # two months
        ("The fire, which killed 9 people, was caused by faulty wiring.",
         "The fire, which killed 11 people, was caused by an electrical fault.", "caus", None),  # not the topic
        ("He did not comment on the fire.", "She commented on the fire.", "fire", None),  # no named subject
        ("The minister praised the plan.", "The minister visited the harbour.", "minist", None),
    ],
)
def test_reports_are_read_as_differing_or_agreeing_only_where_the_parse_sees_it(earlier, later, about, agree):
    assert compare(earlier, later, frozenset({about})).agree is agree


def test_a_figure_keeps_its_value_and_the_sentences_words():
    [toll] = figures("The death toll rose to 15, officials said on Tuesday.")
    assert (toll.value, toll.exact, toll.text) == (15, True, "The death toll rose to 15")
    [cost] = figures("The council said the bridge will cost $1.5 million.")
    assert cost.value == 1_500_000 and cost.text == "the bridge will cost $1.5 million"
    [bound] = figures("More than 200 residents were evacuated.")
    assert not bound.exact


def test_the_reply_answers_yes_or_no_to_what_was_asked():
    differ = Reading(False, "The toll stood at 12", "The toll rose to 15")
    reports = [("The toll stood at 12.", "2026-03-02"), ("The toll rose to 15.", "2026-03-05")]
    agreeing = reports_text(ReportsAsked("toll", "toll", difference=False, yes_no=True), reports, differ)
    assert agreeing.startswith("No. They differ: “The toll stood at 12” in the earlier report, "
                               "“The toll rose to 15” in the later one [1][2].")
    assert "Published 2 March 2026: “The toll stood at 12.” [1]" in agreeing
    differing = reports_text(ReportsAsked("toll", "toll", difference=True, yes_no=True), reports, differ)
    assert differing.startswith("Yes. They differ")
    how = reports_text(ReportsAsked("toll", "toll", difference=True, yes_no=False), reports, differ)
    assert how.startswith("They differ")
    unread = reports_text(ReportsAsked("toll", "toll", False, True), [reports[0], ("The toll was high.", None)], Reading(None))
    assert not unread.startswith(("Yes", "No")) and "which report came later cannot be told" in unread
    alone = reports_text(ReportsAsked("toll", "toll", False, True), reports[:1], Reading(None))
    assert alone.startswith("Only one article reports on this")


FIRE_FIRST = """---
title: Fire at Lowmoor textile mill
date: 2026-03-02
---
A fire broke out at the Lowmoor textile mill on Sunday night. The death toll stood at 9 on Monday,
the county fire service said. Crews evacuated 60 workers from the neighbouring warehouse. The cause
of the fire is not yet known.
"""

FIRE_LATER = """---
title: Lowmoor mill fire: toll rises as search ends
date: 2026-03-05
---
Searchers finished clearing the ruins of the Lowmoor textile mill on Wednesday. The death toll rose
to 11 after two more bodies were found, the county fire service said. Crews evacuated 60 workers from
the neighbouring warehouse during the blaze. Investigators said faulty wiring caused the fire.
"""

OTHER = """---
title: Ferry timetable changes in Kestrel Bay
date: 2026-03-04
---
The Kestrel Bay ferry will run every forty minutes from April, the operator said. Tickets will cost
4 euros for adults. The operator said 12 new crew members had been hired for the summer.
"""


@pytest.fixture(scope="module")
def fire_service(tmp_path_factory, embedder):
    files = {"lowmoor-first.md": FIRE_FIRST, "lowmoor-later.md": FIRE_LATER, "kestrel-ferry.md": OTHER}
    return indexed_articles(tmp_path_factory.mktemp("reports"), files, embedder)


def test_the_later_report_differs_and_each_is_cited_in_date_order(fire_service):
    answer = fire_service.assistant("extractive").ask(
        "Did the later report agree with the earlier one about the Lowmoor mill fire's death toll?"
    )
    assert not answer.abstained, answer.checks
    assert answer.answer.startswith("No. They differ: “The death toll stood at 9” in the earlier report, "
                                    "“The death toll rose to 11” in the later one [1][2]."), answer.answer
    assert [c.source for c in answer.citations] == ["lowmoor-first.md", "lowmoor-later.md"]
    assert [c.published for c in answer.citations] == ["2026-03-02", "2026-03-05"]
    for citation in answer.citations:  # each quote is the article's own characters
        assert citation.text in answer.answer


def test_reports_giving_the_same_figure_agree(fire_service):
    answer = fire_service.assistant("extractive").ask("Do the reports agree on how many workers were evacuated from the Lowmoor warehouse?")
    assert answer.answer.startswith("Yes. Both give the same figure: “60 workers” in the earlier report"), answer.answer
    assert {c.source for c in answer.citations} == {"lowmoor-first.md", "lowmoor-later.md"}


def test_reports_the_parse_cannot_compare_are_set_side_by_side_without_yes_or_no(fire_service):
    answer = fire_service.assistant("extractive").ask("Did the reports agree on the cause of the Lowmoor mill fire?")
    assert not answer.abstained and not answer.answer.startswith(("Yes", "No")), answer.answer
    assert answer.answer.startswith("The articles don't say in words that can be set side by side")
    # each article's sentence on the cause, not the one naming the mill and the fire most fully
    assert [c.text for c in answer.citations] == [
        "The cause of the fire is not yet known.", "Investigators said faulty wiring caused the fire."
    ]


def test_reports_on_a_story_no_article_tells_abstain(fire_service):
    answer = fire_service.assistant("extractive").ask("Did the later report agree with the earlier one about the Brackwater dam collapse?")
    assert answer.abstained and not answer.citations, answer.answer
    vague = fire_service.assistant("extractive").ask("Has the story changed since the first report?")
    assert vague.abstained and vague.answer.startswith(ABSTENTION)
