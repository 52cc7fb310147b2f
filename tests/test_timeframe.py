"""Questions with a time: the period they name bounds the search, "latest" favours the newest
reports, and the reader's chosen dates bound it strictly."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import indexed_articles, synthetic_articles

from rag.answer.question import analyse
from rag.retrieve.timeframe import DateWindow, named_period, search_in_time

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("question", "described"),
    [
        ("What did the ministry say in February?", "February, any year"),
        ("What did the ministry say in late February?", "February, any year"),
        ("How many people attended in February 2025?", "1 February 2025 to 28 February 2025"),
        ("What was announced on 3 March 2025?", "3 March 2025"),
        ("What was announced on March 3?", "3 March, any year"),
        ("What did the report of Sept. 4, 2025 say?", "4 September 2025"),
        ("What happened last week in the talks?", "23 November 2026 to 29 November 2026"),
        ("What happened yesterday?", "30 November 2026"),
        ("What was decided this month?", "1 December 2026 to 31 December 2026"),
    ],
)
def test_the_period_a_question_names_is_read(question, described):
    window = named_period(question, TODAY)
    assert window is not None and window.describe() == described


@pytest.mark.parametrize(
    ("question", "described"),
    [
        ("What happened before March 2025?", "28 February 2025 or earlier"),
        ("What has the council done since 3 March 2025?", "3 March 2025 or later"),
        ("What changed after February 2025?", "1 March 2025 or later"),
        ("Who ran the port prior to June 2024?", "31 May 2024 or earlier"),
        ("What was planned until last week?", "29 November 2026 or earlier"),
    ],
)
def test_a_period_after_before_or_since_is_open_on_one_side(question, described):
    window = named_period(question, TODAY)
    assert window is not None and window.describe() == described
    asked = analyse(question)  # the bound is not a date the evidence must state
    assert not {"march", "2025", "2024", "june", "february"} & {name.lower() for name in asked.names + asked.numbers}


def test_before_a_month_in_any_year_sets_no_bound():
    assert named_period("What happened before March?", TODAY) is None


@pytest.mark.parametrize(
    ("question", "relation", "event", "names"),
    [
        ("What did Arland say before the Geneva talks?", "before", "Geneva talks", ("Geneva",)),
        ("How did prices move after the OPEC meeting in Vienna?", "after", "OPEC meeting Vienna", ("OPEC", "Vienna")),
        ("What has the union said since the strike?", "since", "strike", ()),
        ("Who led the team prior to the merger?", "before", "merger", ()),
    ],
)
def test_a_time_given_by_an_event_is_kept_apart_from_what_the_evidence_must_hold(question, relation, event, names):
    asked = analyse(question)
    assert asked.event is not None
    assert (asked.event.relation, asked.event.event, asked.event.names) == (relation, event, names)
    assert not set(names) & set(asked.names)
    assert analyse(question, events=False).event is None


@pytest.mark.parametrize(
    "question",
    [
        "What did the minister say after he resigned?",  # a clause
        "What happened before March 2025?",  # a date: the calendar reads it
        "Who testified before the Senate committee?",  # a body, not something that happens
        "Who appeared before the court?",
        "Which ship was named after Queen Elizabeth?",  # named after a person
        "Who came after Smith as chief executive?",
        "Who ran the club until his death?",  # someone's own
    ],
)
def test_what_is_not_an_event_is_not_read_as_one(question):
    asked = analyse(question)
    assert asked.event is None
    assert asked == analyse(question, events=False)  # its words stay what the evidence must hold


def test_a_season_or_a_holiday_after_before_bounds_nothing_and_stays_a_word_to_hold():
    assert named_period("What happened after Christmas?", TODAY) is None
    assert "christma" in analyse("What happened after Christmas?").terms


@pytest.mark.parametrize(
    "question",
    [
        "Who won the 2021 edition?",  # a year names an event, which may be reported years later
        "What did the minister say on Monday?",  # a weekday without its week
        "How long did the war last, two years?",  # a duration
        "What did they agree in the 1990s?",
        "When did the talks start?",
        "Who may attend the talks?",
    ],
)
def test_years_weekdays_and_durations_name_no_period(question):
    assert named_period(question, TODAY) is None


def test_latest_and_most_recent_ask_for_the_newest_reports():
    assert analyse("What is the latest on the ceasefire?").newest_first
    assert analyse("What happened most recently at the port?").newest_first
    assert not analyse("What happened at the port?").newest_first


def test_a_window_admits_dates_in_it_and_nothing_undated():
    february = DateWindow("February", month=2)
    assert february.admits("2019-02-28") and february.admits("2025-02-01")
    assert not february.admits("2025-03-01") and not february.admits(None) and not february.admits("soon")
    spring = DateWindow("chosen", date(2025, 3, 1), date(2025, 5, 31))
    assert spring.admits("2025-03-01") and spring.admits("2025-05-31") and not spring.admits("2025-06-01")
    assert DateWindow("since", start=date(2025, 1, 1)).describe() == "1 January 2025 or later"


# Three reports on one repair, months apart, each with its own count; and unrelated reports.
REPORTS = {
    "bridge-jan.txt": "Harbour Bridge Repair Begins\n\nPublished: 14 January 2025\n\n"
                      "Crews on the Harbour Bridge have replaced 12 of its 96 suspension cables, the city engineer said. "
                      "The work closes one lane at night.\n",
    "bridge-feb.txt": "Harbour Bridge Repair Halfway\n\nPublished: 18 February 2025\n\n"
                      "Crews on the Harbour Bridge have replaced 48 of its 96 suspension cables, the city engineer said. "
                      "Night closures continue.\n",
    "bridge-apr.txt": "Harbour Bridge Repair Nears End\n\nPublished: 22 April 2025\n\n"
                      "Crews on the Harbour Bridge have replaced 90 of its 96 suspension cables, the city engineer said. "
                      "The last lane reopens in May.\n",
}


@pytest.fixture(scope="module")
def dated_service(tmp_path_factory, embedder):
    return indexed_articles(tmp_path_factory.mktemp("dated"), {**REPORTS, **synthetic_articles(12)}, embedder)


def _assistant(service):
    assistant = service.assistant("extractive")
    assistant.today = lambda: TODAY
    return assistant


def test_a_month_in_the_question_answers_from_that_months_report(dated_service):
    answer = _assistant(dated_service).ask("How many suspension cables had crews replaced in February?")
    assert not answer.abstained, answer.checks
    assert {c.source for c in answer.citations} == {"bridge-feb.txt"}
    assert "48" in answer.answer
    assert any("February, any year" in note for note in answer.notes)


def test_latest_answers_from_the_newest_report(dated_service):
    # the February sentence matches the words better; "most recently" puts the April one first
    answer = _assistant(dated_service).ask(
        "How many suspension cables have crews on the Harbour Bridge replaced most recently?"
    )
    assert not answer.abstained, answer.checks
    assert answer.citations[0].source == "bridge-apr.txt"
    assert "As of 22 April 2025" in " ".join(answer.notes)


def test_without_a_time_every_report_is_searched(dated_service):
    passages, _ = dated_service.retriever.search_with_notes("suspension cables replaced on the Harbour Bridge", k=3)
    assert {p.source for p in passages} == set(REPORTS)


@pytest.fixture(scope="module")
def reports_only(tmp_path_factory, embedder):
    """Only the dated reports: no article is undated, so a month none was published in keeps none."""
    return indexed_articles(tmp_path_factory.mktemp("reports"), REPORTS, embedder)


def test_a_period_with_no_relevant_article_searches_every_article_and_says_so(reports_only):
    answer = _assistant(reports_only).ask("How many suspension cables had crews replaced in July?")
    assert any("July, any year" in note and "every article was searched" in note for note in answer.notes)
    assert answer.abstained or answer.citations[0].source in REPORTS  # answered from another month, dated


def test_the_readers_dates_bound_the_search_strictly(dated_service):
    january = DateWindow("the chosen dates", date(2025, 1, 1), date(2025, 1, 31))
    answer = _assistant(dated_service).ask("How many suspension cables have crews replaced?", dates=january)
    assert not answer.abstained, answer.checks
    assert {c.source for c in answer.citations} == {"bridge-jan.txt"}

    summer = DateWindow("the chosen dates", date(2025, 6, 1), date(2025, 8, 31))
    answer = _assistant(dated_service).ask("How many suspension cables have crews replaced?", dates=summer)
    assert answer.abstained and not answer.citations
    assert any("No indexed article was published in the chosen dates" in note for note in answer.notes)


def test_a_day_named_in_the_question_is_met_by_the_articles_date(dated_service):
    answer = _assistant(dated_service).ask("How many suspension cables had been replaced on 22 April 2025?")
    assert not answer.abstained, answer.checks
    assert {c.source for c in answer.citations} == {"bridge-apr.txt"}


def test_newest_first_retrieval_puts_the_newest_relevant_article_first(dated_service):
    query = "How many suspension cables have crews on the Harbour Bridge replaced?"
    plain = dated_service.retriever.search(query, k=1)
    newest, _ = dated_service.retriever.search_with_notes(query, k=1, newest_first=True)
    assert plain[0].source != "bridge-apr.txt"  # by relevance alone another report comes first
    assert newest[0].source == "bridge-apr.txt"


def test_a_period_in_the_question_keeps_undated_articles_and_the_readers_dates_do_not(tmp_path, embedder):
    articles = {
        "ferry-undated.txt": "Island Ferry Back in Service\n\n"
                             "The island ferry carried 3,400 passengers in its first week back, the port authority said.\n",
        "ferry-march.txt": "Island Ferry Busier\n\nPublished: 3 March 2025\n\n"
                           "The island ferry carried 5,100 passengers last month, the port authority said.\n",
        **synthetic_articles(4),
    }
    service = indexed_articles(tmp_path, articles, embedder)
    question = "How many passengers did the island ferry carry in February?"
    passages, notes = search_in_time(service.retriever, analyse(question), 3, TODAY, min_relevance=0.2)
    sources = {p.source for p in passages}
    assert "ferry-undated.txt" in sources and "ferry-march.txt" not in sources
    assert any("outside the period the question names (February, any year)" in note for note in notes)

    chosen = DateWindow("the chosen dates", date(2025, 2, 1), date(2025, 2, 28))
    passages, notes = search_in_time(service.retriever, analyse(question), 3, TODAY, chosen=chosen)
    assert passages == [] and any("No indexed article was published in the chosen dates" in n for n in notes)


# Talks between two invented countries, and what one of them said before and after.
TALKS = {
    "geneva-talks.md": "---\ntitle: Arland and Borovia meet in Geneva\ndate: 2026-04-10\n---\n"
                       "Delegations from Arland and Borovia met in Geneva on Thursday for talks on the Selka river dispute. "
                       "The talks lasted six hours and ended without a joint statement.\n",
    "before.md": "---\ntitle: Arland hardens its line on the Selka delta\ndate: 2026-04-02\n---\n"
                 "Arland's foreign ministry said it would never give up its claim to the Selka delta. "
                 "A spokesman repeated that the delta belongs to Arland.\n",
    "after.md": "---\ntitle: Arland softens its line on the Selka delta\ndate: 2026-04-15\n---\n"
                "Arland's foreign ministry said it was ready to share the Selka delta with Borovia. "
                "A spokesman called the offer a first step.\n",
}


@pytest.fixture(scope="module")
def talks_service(tmp_path_factory, embedder):
    return indexed_articles(tmp_path_factory.mktemp("talks"), {**TALKS, **synthetic_articles(8)}, embedder)


@pytest.mark.parametrize(
    ("when", "source", "described"),
    [("before", "before.md", "9 April 2026 or earlier"), ("after", "after.md", "10 April 2026 or later")],
)
def test_a_time_given_by_an_event_is_dated_by_the_article_reporting_it(talks_service, when, source, described):
    answer = _assistant(talks_service).ask(f"What did Arland's foreign ministry say about the Selka delta {when} the Geneva talks?")
    assert not answer.abstained, answer.checks
    assert {c.source for c in answer.citations} == {source}
    assert any(note.startswith(f"“{when.capitalize()} the Geneva talks” was read as published {described}")
               and "geneva-talks.md, is dated 10 April 2026" in note for note in answer.notes), answer.notes


def test_an_event_no_article_reports_is_not_dated_and_its_words_must_be_met(talks_service):
    answer = _assistant(talks_service).ask("What did Arland's foreign ministry say about the Selka delta before the Oslo summit?")
    assert answer.abstained, answer.answer
    assert any(note.startswith("No dated article reports the Oslo summit") for note in answer.notes), answer.notes
