"""Publication dates: read by dateparser from datelines and metadata, and said in replies."""

from datetime import date, datetime

import pytest

from rag.ingest.dates import as_iso_date, dateline_date, dating_note, parse_date
from tests.conftest import indexed_articles


@pytest.mark.parametrize(
    "text, expected",
    [
        ("March 3, 2024", "2024-03-03"),
        ("3 March 2024", "2024-03-03"),
        ("WASHINGTON, 03/02/2025", "2025-03-02"),
        ("2025-02-14T09:30:00Z", "2025-02-14"),
        ("Tue, 14 Jan 2025 08:00:00 GMT", "2025-01-14"),
        ("Updated 5th Nov. 2023", "2023-11-05"),
        ("14Feb2025", "2025-02-14"),
        ("Updated 14 02 2025 10:00", "2025-02-14"),
        ("2025_02_14", "2025-02-14"),
    ],
)
def test_full_dates_are_read_in_the_forms_news_uses(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["In 2024 the plan failed", "Monday", "The 3 ministers met", "no date here", ""])
def test_a_year_or_a_weekday_alone_is_not_a_publication_date(text):
    assert parse_date(text) is None


@pytest.mark.parametrize("text", ["Updated: 3 hours ago", "2 days ago", "1739491200"])
def test_relative_times_and_epoch_seconds_are_not_publication_dates(text):
    """"3 hours ago" read later would give the day the file was read, not the story's."""
    assert parse_date(text) is None


def test_metadata_values_of_every_type_become_iso_dates():
    assert as_iso_date(date(2025, 2, 14)) == "2025-02-14"
    assert as_iso_date(datetime(2025, 2, 14, 9, 30)) == "2025-02-14"
    assert as_iso_date("14 February 2025") == "2025-02-14"
    assert as_iso_date(42) is None


def test_the_dateline_wins_over_dates_in_the_story():
    lines = ["Storm Hits The Coast", "Published: March 3, 2024", "Repairs from the storm of 1 May 2020 were never finished."]
    assert dateline_date(lines) == "2024-03-03"


def test_replies_say_how_recent_their_sources_are():
    assert dating_note([("a.txt", None)]) is None
    assert dating_note([("a.txt", "2025-02-23")]) == "As of 23 February 2025, the date of the cited article."
    note = dating_note([("old.txt", "2025-02-10"), ("new.txt", "2025-02-20"), ("undated.txt", None)])
    assert "old.txt, 10 February 2025; new.txt, 20 February 2025" in note
    assert note.endswith("new.txt is the newer report.")


def test_an_answer_from_a_dated_article_says_as_of_when(tmp_path, embedder):
    service = indexed_articles(tmp_path, {
        "budget.txt": "City Budget Approved\n\nPublished: 4 March 2025\n\n"
                      "The city council approved a budget of 80 million euros on Tuesday.\n",
    }, embedder)
    answer = service.assistant("extractive").ask("How large a budget did the city council approve?")
    assert not answer.abstained, answer.checks
    assert "As of 4 March 2025, the date of the cited article." in answer.notes
