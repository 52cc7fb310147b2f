"""Question analysis: the kind of answer asked for, and the names and numbers it must respect."""

import pytest

from rag.answer.question import analyse
from rag.language.kinds import ORGANISATION, PERSON, PLACE, QUANTITY, TIME


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who led the parade through the old town?", PERSON),
        ("Whom did the committee appoint as chair?", PERSON),
        ("When did the bridge reopen?", TIME),
        ("In what year was the library founded?", TIME),
        ("How long did the strike last?", TIME),
        ("How many people attended the concert?", QUANTITY),
        ("How much did the stadium cost?", QUANTITY),
        ("What percentage of voters turned out?", QUANTITY),
        ("Where did the delegates meet?", PLACE),
        ("Which city will host the summit?", PLACE),
        ("Which company bought the shipyard?", ORGANISATION),
        ("What did the minister promise farmers?", None),
        ("Why was the match postponed?", None),
        # a leading clause's "when" or "where" is not what the question asks
        ("When the mill closed, who bought the land?", PERSON),
        ("Where the road ends, which village begins?", PLACE),
        ("When the ferry sank, did the harbour close?", None),
        ("When, in the end, did the ferry sail?", TIME),
        # "area" after "what" asks where, not how large ("what is the area of…" has no noun after it)
        ("What areas did the flood reach?", PLACE),
    ],
)
def test_asked_kind_follows_the_wh_phrase(question, kind):
    assert analyse(question).kind == kind


def test_names_and_numbers_are_constraints():
    asked = analyse("Who won the 2021 edition of the Harbor Cup in Port Elwyn?")
    assert "2021" in asked.numbers
    assert any("Harbor Cup" in name for name in asked.names)
    assert any("Port Elwyn" in name for name in asked.names)


def test_numbers_are_read_inside_words_and_decades_kept_apart():
    asked = analyse("How many of the 2,000 pre-1900 houses built in the 1870s had a 3rd floor?")
    assert set(asked.numbers) == {"2000", "1900", "1870s"}  # not the ordinal "3rd", nor "how many"
    assert analyse("What changed in the 1960's?").numbers == ("1960s",)


def test_people_among_the_names_and_days_as_constraints():
    asked = analyse("Where did Maria Lopez speak on Tuesday?")
    assert asked.people == ("Maria Lopez",)
    assert "Tuesday" in asked.names
    assert "May" not in analyse("Who may speak at the harbour meeting?").names


@pytest.mark.parametrize(
    ("question", "polar"),
    [
        ("Did the council close the bridge?", True),
        ("Is the bridge closed to cars?", True),
        ("When the talks ended, did the envoys leave?", True),
        ("Will the summit take place in Lisbon?", True),
        ("Who closed the bridge?", False),
        ("Has the council said when the bridge will reopen?", False),
        ("Can a ferry be late, and if so, where does it wait?", False),
        ("Is the new timetable simpler or more complex than the old one?", False),
    ],
)
def test_yes_no_questions_are_recognised(question, polar):
    assert analyse(question).polar is polar


def test_wh_phrase_is_not_a_term_the_evidence_must_repeat():
    asked = analyse("In what year did the museum reopen?")
    assert asked.kind == TIME
    assert not any(term.startswith("year") for term in asked.terms)
    assert any(term.startswith("museum") for term in asked.terms)


@pytest.mark.parametrize(
    ("question", "compares"),
    [
        ("How do the Chinese and American views of the talks differ?", True),
        ("What is the difference between the two proposals?", True),
        ("Did both reports give the same number of victims?", True),
        ("How did Moscow's position contrast with Kyiv's?", True),
        ("What did Russia and Ukraine say about the ceasefire?", True),  # two named sides
        ("What did Russia say about the ceasefire?", False),
        ("Which countries agreed to the ceasefire?", False),
        ("Which other clubs have tried a similar ticket scheme?", False),
    ],
)
def test_questions_that_compare_or_join_sides_are_recognised(question, compares):
    assert analyse(question).compares is compares


@pytest.mark.parametrize(
    ("question", "sides"),
    [
        ("How do the Chinese and American views of the talks differ?", ("Chinese", "American")),
        ("What did Russia and Ukraine say about the ceasefire?", ("Russia", "Ukraine")),
        ("What is the difference between the two proposals?", ()),  # compares, but names no sides
        ("What did Russia say about the ceasefire?", ()),
    ],
)
def test_the_sides_a_question_sets_side_by_side_are_named(question, sides):
    assert analyse(question).sides == sides


@pytest.mark.parametrize(
    ("question", "sides"),
    [
        # what each says, thinks or sees: side by side
        ("How did Tessa Morrow and Jonas Weir describe the ferry plan?", ("Tessa Morrow", "Jonas Weir")),
        ("What do Velmora and Arden think about the new border crossing?", ("Velmora", "Arden")),
        ("What were Velmora and Arden most worried about?", ("Velmora", "Arden")),
        # one fact asked about names that take part in it together: not sides
        ("Which official arranged the meeting between Tessa Morrow and Jonas Weir?", ()),
        ("What is the dispute between Velmora and Arden about?", ()),
        ("When did Velmoran and Ardenese officials hold their talks?", ()),
        ("Where did Tessa Morrow and Jonas Weir meet?", ()),
        ("What did Velmora and Arden sign?", ()),
        ("Who told Tessa Morrow and Jonas Weir about the ferry plan?", ()),
    ],
)
def test_names_joined_by_and_are_sides_only_when_each_says_or_thinks_something(question, sides):
    asked = analyse(question)
    assert asked.sides == sides
    assert asked.compares is bool(sides)


@pytest.mark.parametrize(
    ("question", "authorship"),
    [
        ("Who wrote the column about the port strike?", True),
        ("Which journalist is behind the report on the mill closure?", True),
        ("Who is the author of the opinion piece on rents?", True),
        ("Who penned the editorial on the harbour toll?", True),
        ("Who reported the fire to the police?", False),
        ("Which minister announced the flood fund?", False),
        ("Who scored the winning goal on Sunday?", False),
    ],
)
def test_questions_about_who_wrote_the_article(question, authorship):
    assert analyse(question).authorship is authorship
