"""Answering with the extractive generator, and the citation check with a scripted generator."""

from collections.abc import Iterator, Sequence

import pytest

from rag.answer.assistant import Assistant
from rag.answer.composition import writing_inputs
from rag.answer.evidence import EvidenceSentence, SentenceRanker
from rag.answer.generators import Generator, Selection, parse_selection
from rag.answer.replies import ABSTENTION, QuestionError, Token
from tests.conftest import indexed_articles, make_service

NOT_IN_THE_ARTICLES = [
    "What is the boiling point of mercury?",  # nothing in the articles is about it
    "How much did the observatory's new mirror cost?",  # the mirror is there, its price is not
    "What did the national transport minister say about the Tarrow tunnel closure?",  # others speak, not the minister
]


@pytest.mark.parametrize("generator", ["extractive", pytest.param("llamacpp", marks=pytest.mark.llm)])
def test_questions_the_articles_do_not_answer_abstain(news_service, generator):
    """A passage that names the topic can still pass for an answer; at most one such miss."""
    assistant = news_service.assistant(generator)
    answers = [assistant.ask(question) for question in NOT_IN_THE_ARTICLES]
    assert sum(answer.abstained for answer in answers) >= len(NOT_IN_THE_ARTICLES) - 1, [a.answer for a in answers]
    for answer in answers:
        if answer.abstained:
            assert answer.answer.startswith(ABSTENTION) and answer.citations == []


def test_citations_are_real_passages_with_exact_spans(news_service):
    answer = news_service.assistant("extractive").ask("Who did the board choose to lead the Kessel Observatory?")
    assert not answer.abstained
    assert "Ottilie Brennand" in answer.answer
    markers = [c.marker for c in answer.citations]
    assert markers == list(range(1, len(markers) + 1))
    for citation in answer.citations:
        assert f"[{citation.marker}]" in answer.answer
        text = (news_service.articles_dir / citation.source).read_text("utf-8")
        assert text[citation.start : citation.end] == citation.text


class ScriptedGenerator(Generator):
    """Stands in for a language model: picks the evidence sentence holding `pick` (or none) and
    writes `answer`; its judge returns `judgement`. The real models are tested in
    test_generators.py and test_hostile_text.py."""

    name = "scripted"

    def __init__(
        self, pick: str | None, answer: str = "", judgement: float | None = None, raw: str | None = None,
        affirmation: float | None = None,
    ):
        self.pick, self.answer, self.judgement, self.raw = pick, answer, judgement, raw
        self.affirmation = affirmation
        self.judges = judgement is not None
        self.offered: list[EvidenceSentence] = []
        self.judged: list[str] = []
        self.written_from: list[list[str]] = []
        self.written_after: list[str] = []

    def select(self, question: str, evidence: Sequence[EvidenceSentence], titles) -> Iterator[str | Selection]:
        self.offered = list(evidence)
        if self.raw is not None:  # a free-text reply, as a model without JSON output writes it
            yield self.raw
            yield parse_selection(self.raw, evidence)
            return
        numbers = [n for n, s in enumerate(evidence, start=1) if self.pick and self.pick in s.text]
        yield self.answer
        yield Selection(numbers[:1], self.answer)

    def judge(self, question: str, sentence: str) -> float | None:
        self.judged.append(sentence)
        return self.judgement

    def affirms(self, question: str, sentence: str) -> float | None:
        return self.affirmation

    def write(self, question: str, sentences: Sequence[str], after: str = "") -> Iterator[str]:
        self.written_from.append(list(sentences))
        self.written_after.append(after)
        yield from self.answer.split(" ")[:1] + [" " + word for word in self.answer.split(" ")[1:]]


def scripted(service, generator: Generator, **settings) -> Assistant:
    chosen = service.settings.model_copy(update=settings)
    return Assistant(service.retriever, generator, chosen, SentenceRanker(service.embedder))


FESTIVAL = (
    "Harbor Lights Festival Draws Record Crowd\n\n"
    "The Harbor Lights festival in Port Elwyn drew 48,000 visitors on Saturday, organisers said. "
    "The lantern parade was led by the mayor, Tessa Morrow. "
    "Jonas Weir started the call with Helen Brandt to plan the 2022 edition of the festival.\n"
)


@pytest.fixture(scope="module")
def festival_service(tmp_path_factory, embedder):
    return indexed_articles(tmp_path_factory.mktemp("festival"), {"festival.txt": FESTIVAL}, embedder)


def test_supported_short_answer_is_kept_with_a_sentence_citation(festival_service):
    generator = ScriptedGenerator("48,000 visitors", "48,000 visitors")
    answer = scripted(festival_service, generator).ask("How many visitors did the Harbor Lights festival draw?")
    assert not answer.abstained
    short, quote = answer.answer.split("\n\n")
    assert short == "48,000 visitors [1]."  # the short answer leads, then the sentence it rests on
    assert quote == "“The Harbor Lights festival in Port Elwyn drew 48,000 visitors on Saturday, organisers said.” [1]"
    citation = answer.citations[0]
    text = (festival_service.articles_dir / citation.source).read_text("utf-8")
    assert text[citation.start : citation.end] == citation.text
    assert citation.text.startswith("The Harbor Lights festival in Port Elwyn drew 48,000")
    assert citation.text.endswith("organisers said.")  # one sentence, not the whole passage


def test_model_declining_while_a_sentence_answers_is_overruled(festival_service):
    """Failure kind 1: the generator chooses nothing, the system's best candidate still answers."""
    answer = scripted(festival_service, ScriptedGenerator(None, judgement=0.9)).ask(
        "Who led the lantern parade at the Harbor Lights festival?"
    )
    assert not answer.abstained
    assert "Tessa Morrow" in answer.answer
    assert answer.checks["wording"] == "quoted"


def test_answer_without_markers_is_matched_to_its_sentence(festival_service):
    """Failure kind 3: a correct answer written without [n] is repaired, not dropped."""
    raw = "The lantern parade was led by the mayor, Tessa Morrow."
    answer = scripted(festival_service, ScriptedGenerator(None, raw=raw, judgement=0.9)).ask(
        "Who led the lantern parade at the Harbor Lights festival?"
    )
    assert not answer.abstained
    assert "Tessa Morrow" in answer.answer
    assert "Tessa Morrow" in answer.citations[0].text


def test_answer_that_leaves_out_the_asked_fact_is_replaced_by_the_sentence(festival_service):
    """Failure kind 4: the asked number must be in the reply."""
    generator = ScriptedGenerator("48,000", "The festival drew a record crowd")
    answer = scripted(festival_service, generator).ask("How many visitors did the Harbor Lights festival draw?")
    assert "48,000" in answer.answer
    assert answer.checks["wording"].startswith("quoted")


def test_inverted_relation_is_never_stated(festival_service):
    """Failure kind 6: "Helen Brandt started the call" must not pass on this sentence."""
    generator = ScriptedGenerator("started the call", "Helen Brandt")
    answer = scripted(festival_service, generator).ask("Who started the call to plan the festival?")
    assert answer.answer != "Helen Brandt [1]."
    assert answer.abstained or "Jonas Weir started the call" in answer.answer


def test_near_miss_year_abstains_and_says_what_the_articles_hold(festival_service):
    """Failure kind 5: asked about 2021, the article is about the 2022 edition."""
    generator = ScriptedGenerator("2022 edition", "Jonas Weir and Helen Brandt", judgement=0.9)
    answer = scripted(festival_service, generator).ask("Who planned the 2021 edition of the Harbor Lights festival?")
    assert answer.abstained and answer.citations == []
    assert answer.answer.startswith(ABSTENTION)
    assert "2022, not 2021" in answer.answer


def test_headline_fragment_is_not_an_answer(festival_service):
    """Failure kind 7: the headline shares the question's words but answers nothing; a reply
    to a "when" question rests on a sentence that holds a time."""
    generator = ScriptedGenerator("Record Crowd", "Harbor Lights Festival Draws Record Crowd", 0.9)
    answer = scripted(festival_service, generator).ask("When did the Harbor Lights festival draw a record crowd?")
    assert "Draws Record Crowd" not in answer.answer
    assert all(not s.text.startswith("Harbor Lights Festival Draws") for s in generator.offered)
    if not answer.abstained:
        assert any(word in answer.citations[0].text for word in ("Saturday", "2022"))


def test_judge_saying_no_makes_the_reply_abstain_whatever_the_generator_chose(festival_service):
    generator = ScriptedGenerator("Tessa Morrow", "Tessa Morrow", judgement=0.05)
    answer = scripted(festival_service, generator).ask("Who led the lantern parade at the Harbor Lights festival?")
    assert answer.abstained and answer.citations == []
    assert "judged" in answer.checks["reason"]


def test_judge_first_words_the_answer_only_from_the_sentence_it_accepted(festival_service):
    """`RAG_SELECTION=judge`: nothing is written before a sentence is accepted, the short answer
    is written from that sentence alone, and it is checked like any other."""
    generator = ScriptedGenerator(None, "Tessa Morrow", judgement=0.9)
    events = list(scripted(festival_service, generator, selection="judge").stream(
        "Who led the lantern parade at the Harbor Lights festival?"
    ))
    answer = events[-1].answer
    assert generator.offered == []  # no selection step
    assert generator.written_from == [[answer.citations[0].text]]
    assert "Tessa Morrow" in answer.citations[0].text
    assert answer.answer.startswith("Tessa Morrow [1].")
    tokens = [event.text for event in events if isinstance(event, Token)]
    assert "".join(tokens) == "Tessa Morrow"


def test_a_candidate_the_judge_is_sure_of_is_answered_without_the_model_choosing(festival_service):
    """`RAG_QUICK_THRESHOLD`: the system's best candidate is judged first; judged at least that
    likely to answer, it is answered at once (the short answer written from it alone), and the
    model is never asked to choose among the five."""
    generator = ScriptedGenerator("Tessa Morrow", "Tessa Morrow", judgement=0.9)
    events = list(scripted(festival_service, generator, quick_threshold=0.8).stream(
        "Who led the lantern parade at the Harbor Lights festival?"
    ))
    answer = events[-1].answer
    assert generator.offered == []  # no selection step
    assert answer.checks["quick"] and answer.checks["judge"] == 0.9
    assert len(generator.judged) == 1
    assert generator.written_from == [[answer.citations[0].text]]
    assert answer.answer.startswith("Tessa Morrow [1].")
    assert "".join(event.text for event in events if isinstance(event, Token)) == "Tessa Morrow"


class JudgingInTurn(ScriptedGenerator):
    """A scripted generator whose judge gives `judgements` in the order sentences are judged."""

    def __init__(self, judgements: Sequence[float], **kwargs):
        super().__init__(judgement=judgements[0], **kwargs)
        self.judgements = list(judgements)

    def judge(self, question: str, sentence: str) -> float | None:
        self.judged.append(sentence)
        return self.judgements[min(len(self.judged), len(self.judgements)) - 1]

    def select(self, question: str, evidence, titles):
        self.judged_before_choosing = len(self.judged)
        yield from super().select(question, evidence, titles)


@pytest.mark.parametrize("quick_budget", [1, 2])
def test_the_quick_path_judges_up_to_its_budget_of_candidates(festival_service, quick_budget):
    """`RAG_QUICK_BUDGET`: the system's next candidate is judged when the first falls short, and
    one the judge is sure of is answered without the model choosing; with a budget of one the
    model chooses."""
    generator = JudgingInTurn([0.3, 0.9], pick="Tessa Morrow", answer="Tessa Morrow")
    answer = scripted(festival_service, generator, quick_threshold=0.8, quick_budget=quick_budget).ask(
        "Who led the lantern parade at the Harbor Lights festival?"
    )
    if quick_budget == 2:
        assert answer.checks["quick"] and generator.offered == []  # the model never chose
        assert len(generator.judged) == 2 and generator.judged[0] != generator.judged[1]
        assert answer.citations[0].text == generator.judged[1]  # the second, the one judged sure
    else:
        assert not answer.checks["quick"] and generator.offered, "the model was asked to choose"
        assert generator.judged_before_choosing == 1  # only the best candidate was judged first


@pytest.mark.parametrize("judgement", [0.7, 0.05])
def test_a_candidate_the_judge_is_unsure_of_goes_to_the_model_and_is_judged_once(festival_service, judgement):
    """Judged below the quick threshold, the model chooses as usual, and the answer threshold
    decides; the sentence already judged is not judged again."""
    generator = ScriptedGenerator("Tessa Morrow", "Tessa Morrow", judgement=judgement)
    answer = scripted(festival_service, generator, quick_threshold=0.8).ask(
        "Who led the lantern parade at the Harbor Lights festival?"
    )
    assert generator.offered, "the model was asked to choose"
    assert not answer.checks["quick"]
    assert len(generator.judged) == len(set(generator.judged))
    if judgement >= festival_service.settings.answer_threshold:
        assert not answer.abstained and "Tessa Morrow" in answer.citations[0].text
    else:
        assert answer.abstained and answer.citations == []


def test_the_quick_path_checks_the_sentence_before_the_judge_reads_it(festival_service):
    """A sentence about another edition never reaches the judge, however sure it would be."""
    generator = ScriptedGenerator("2022 edition", "Jonas Weir", judgement=0.99)
    answer = scripted(festival_service, generator, quick_threshold=0.5).ask(
        "Who planned the 2021 edition of the Harbor Lights festival?"
    )
    assert answer.abstained and not answer.checks["quick"]
    assert not any("2022 edition" in sentence for sentence in generator.judged)


def test_judge_first_writes_nothing_when_no_sentence_passes(festival_service):
    generator = ScriptedGenerator(None, "Tessa Morrow", judgement=0.05)
    events = list(scripted(festival_service, generator, selection="judge").stream(
        "Who led the lantern parade at the Harbor Lights festival?"
    ))
    answer = events[-1].answer
    assert answer.abstained and answer.citations == []
    assert generator.judged, "the candidates were judged"
    assert generator.written_from == [] and not any(isinstance(event, Token) for event in events)


def test_judge_first_never_shows_a_written_answer_its_sentence_does_not_hold(festival_service):
    generator = ScriptedGenerator(None, "Neil Armstrong led it", judgement=0.9)
    answer = scripted(festival_service, generator, selection="judge").ask(
        "Who led the lantern parade at the Harbor Lights festival?"
    )
    assert "Armstrong" not in answer.answer
    assert "Tessa Morrow" in answer.answer


BRIDGE = (
    "Quai Bridge Stays Open\n\n"
    "The city council of Port Elwyn did not close the Quai bridge to cars on Monday. "
    "Cyclists had asked the council to close it. "
    "The council approved a new bus lane on the harbour road.\n"
)


@pytest.fixture(scope="module")
def bridge_service(tmp_path_factory, embedder):
    return indexed_articles(tmp_path_factory.mktemp("bridge"), {"bridge.txt": BRIDGE}, embedder)


READING = (
    "Village Schools Share a Reading Method\n\n"
    "The reading lessons at Brookfield primary school follow a method first tried by two village schools in the valley. "
    "These were the school at Askerby, which closed in 2011, and the one-room school on Lunde island.\n\n"
    "The lessons begin in Brookfield each September. Parents are invited to the first one.\n"
)


@pytest.fixture(scope="module")
def reading_service(tmp_path_factory, embedder):
    return indexed_articles(tmp_path_factory.mktemp("reading"), {"reading.txt": READING}, embedder)


def test_a_sentence_pointing_back_to_the_cited_one_is_quoted_with_it(reading_service):
    """A cited sentence that announces what the next one names ("… two village schools. These
    were X and Y.") is quoted and cited together with it, as one span of the article."""
    generator = ScriptedGenerator("first tried by two village schools", judgement=0.9)
    answer = scripted(reading_service, generator).ask(
        "Where was the reading method used at Brookfield first tried?"
    )
    assert not answer.abstained
    assert "the school at Askerby, which closed in 2011, and the one-room school on Lunde island" in answer.answer
    [citation] = answer.citations
    text = (reading_service.articles_dir / citation.source).read_text("utf-8")
    assert text[citation.start : citation.end] == citation.text
    assert citation.text.startswith("The reading lessons at Brookfield") and citation.text.endswith("Lunde island.")
    # the short answer is written from the judged sentence, the one after it set apart (after the
    # question, so the model reads again only what the judging did not)
    assert generator.written_from == [[generator.judged[0]]] and generator.judged[0].endswith("in the valley.")
    assert generator.written_after == [
        "These were the school at Askerby, which closed in 2011, and the one-room school on Lunde island."
    ]


@pytest.mark.parametrize(
    "judged, quoted, expected",
    [
        # the judged sentence completed by the one after it: that one is given apart
        ("The board met in May.", ["The board met in May. It set the toll."], (["The board met in May."], "It set the toll.")),
        # nothing joined, several quotes, or a quote not starting with the judged sentence: as they are
        ("The board met in May.", ["The board met in May."], (["The board met in May."], "")),
        ("The board met in May.", ["The board met in May. It set the toll.", "Tolls rose."],
         (["The board met in May. It set the toll.", "Tolls rose."], "")),
        ("The toll rose.", ["The board met in May."], (["The board met in May."], "")),
        ("", ["The board met in May."], (["The board met in May."], "")),
    ],
)
def test_an_answer_is_written_from_the_judged_sentence_with_its_completion_apart(judged, quoted, expected):
    assert writing_inputs(judged, quoted) == expected


def test_a_sentence_not_pointing_back_is_not_joined(reading_service):
    generator = ScriptedGenerator("begin in Brookfield", judgement=0.9)
    answer = scripted(reading_service, generator).ask("When do the reading lessons begin in Brookfield?")
    assert not answer.abstained
    assert answer.citations[0].text == "The lessons begin in Brookfield each September."


MARKETS = (
    "Orlen Dairy lifts outlook as quarterly sales jump 12%\n\n"
    "Orlen Dairy raised its forecast on Thursday after strong cheese exports.\n\n"
    "Marta Kowalczyk\n"
)


@pytest.fixture(scope="module")
def markets_service(tmp_path_factory, embedder):
    return indexed_articles(tmp_path_factory.mktemp("markets"), {"dairy.txt": MARKETS}, embedder)


def test_a_byline_answers_who_wrote_and_nothing_else(markets_service):
    """The byline sentence ("“<title>” is by <author>.") repeats the headline, so a judge reading
    it finds the question's topic there; it is offered only for who wrote the article."""
    generator = ScriptedGenerator(None, judgement=0.9)
    wrote = scripted(markets_service, generator).ask("Who wrote the story about Orlen Dairy's outlook?")
    assert not wrote.abstained and "Marta Kowalczyk" in wrote.answer
    generator = ScriptedGenerator(None, judgement=0.9)
    sales = scripted(markets_service, generator).ask("How much did Orlen Dairy's quarterly sales grow?")
    assert all("is by" not in sentence for sentence in generator.judged)
    assert "Marta Kowalczyk" not in sales.answer


def test_a_yes_no_question_opens_with_yes_when_parse_and_model_agree(festival_service):
    generator = ScriptedGenerator(None, judgement=0.9, affirmation=0.9)
    answer = scripted(festival_service, generator).ask("Did the mayor lead the lantern parade at the festival?")
    assert answer.answer.startswith("Yes [1].\n\n“The lantern parade was led by the mayor, Tessa Morrow.”")
    assert answer.checks["yes_no"] == {"parse": True, "model": 0.9, "reply": "yes"}


def test_a_sentence_denying_a_yes_no_question_answers_it_no(bridge_service):
    """A negated sentence answers a yes/no question (it is not a near miss), with "No"."""
    question = "Did the council close the Quai bridge to cars?"
    answer = scripted(bridge_service, ScriptedGenerator(None, judgement=0.9, affirmation=0.2)).ask(question)
    assert answer.answer.startswith("No [1].\n\n“The city council of Port Elwyn did not close")
    extractive = bridge_service.assistant("extractive").ask(question)  # no model: the parse alone
    assert extractive.answer.startswith("No [1].")


def test_no_yes_or_no_when_the_model_reads_the_sentence_otherwise(bridge_service):
    generator = ScriptedGenerator(None, judgement=0.9, affirmation=0.8)
    answer = scripted(bridge_service, generator).ask("Did the council close the Quai bridge to cars?")
    assert not answer.abstained
    assert answer.answer.startswith("“The city council of Port Elwyn did not close")
    assert answer.checks["yes_no"]["reply"] is None


def test_unsupported_name_in_the_answer_is_never_shown(festival_service):
    generator = ScriptedGenerator("lantern parade", "Neil Armstrong led it", judgement=0.9)
    answer = scripted(festival_service, generator).ask("Who led the lantern parade at the Harbor Lights festival?")
    assert "Armstrong" not in answer.answer
    assert "Tessa Morrow" in answer.answer


def test_latin1_article_answers_a_question_without_accents(tmp_path, embedder):
    """Accents are folded in the keyword index and in the checks: Zurich finds Zürich."""
    articles = tmp_path / "articles"
    articles.mkdir()
    body = (
        "Bridge closure in Zürich\n\n"
        "The city council of Zürich voted on 3 March 2024 to close the Quaibrücke to private cars. "
        "Cyclists welcomed the decision.\n"
    )
    (articles / "zurich.txt").write_bytes(body.encode("latin-1"))
    service = make_service(articles, tmp_path / "index", embedder)
    service.update_index()
    hits = service.index.keywords.search("Zurich council", 5)
    assert hits, "the keyword index folds accents"
    answer = service.assistant("extractive").ask("When did the council in Zurich vote to close the bridge?")
    assert not answer.abstained
    assert "3 March 2024" in answer.answer


def test_empty_question_is_refused(seeded_service):
    with pytest.raises(QuestionError, match="type a question"):
        seeded_service.assistant("extractive").ask("   \n ")


def test_huge_question_is_cut_and_answered(news_service):
    question = "Who did the board choose to lead the Kessel Observatory? " + "filler " * 60_000
    answer = news_service.assistant("extractive").ask(question)
    assert len(answer.question) <= news_service.settings.max_question_chars
    assert any("cut" in note for note in answer.notes)


@pytest.mark.parametrize("judgement", [0.7, None])
def test_recorded_signals_give_back_the_live_probability(festival_service, judgement, monkeypatch):
    """bench/squad2.py --fit chooses the answer model by replaying recorded candidates, so what an
    answer records of each candidate must give back the probability the live decision used. Every
    signal is given a weight, so a signal recorded wrong shows."""
    from rag.answer import assistant as answering
    from rag.answer.calibration import FEATURES, AnswerModel, Signals

    model = AnswerModel(bias=-0.3, weights=tuple(0.5 + 0.25 * i for i in range(len(FEATURES))))
    monkeypatch.setattr(answering, "WITH_JUDGE", model)
    monkeypatch.setattr(answering, "WITHOUT_JUDGE", model)
    generator = ScriptedGenerator("48,000 visitors", "48,000 visitors", judgement=judgement)
    answer = scripted(festival_service, generator, quick_threshold=1.0).ask(
        "How many visitors did the Harbor Lights festival draw?"
    )
    scored = [c for c in answer.checks["candidates"] if c["p_answers"] is not None]
    assert scored and scored[0]["chosen"] and scored[0]["holds_answer"]
    for candidate in scored:
        assert abs(model.probability(Signals.from_record(candidate)) - candidate["p_answers"]) < 1e-3
