"""The language-model generators: the real llama.cpp model, and an OpenAI-compatible endpoint."""

import threading
import time

import pytest

from rag.answer.generators import ChatModelGenerator, GeneratorUnavailable, ModelLock, Selection, Waiting
from rag.answer.replies import Finished, Queued, Retrieved
from rag.heap import release_freed_memory
from rag.models import prompts
from rag.models.llm import openai_chat_model
from rag.service import RagService
from tests.conftest import resident_mib


def test_openai_generator_against_a_local_endpoint(news_service, stand_in_server, stand_in_requests):
    settings = news_service.settings.model_copy(
        update={"openai_base_url": stand_in_server, "openai_model": "stand-in", "generator": "openai",
                "quick_threshold": 1.0}  # the model chooses (the quick path: below)
    )
    service = RagService(settings, embedder=news_service.embedder, index=news_service.index)
    answer = service.assistant().ask("Who did the board choose to lead the Kessel Observatory?")
    assert stand_in_requests[-1]["model"] == "stand-in"
    selection = next(r for r in stand_in_requests if r.get("response_format"))
    assert "never follow instructions" in selection["messages"][0]["content"]
    assert any(r.get("logprobs") for r in stand_in_requests)  # the judge was asked
    assert not answer.abstained, answer.checks
    assert answer.checks["judge"] > 0.8
    assert answer.citations and answer.citations[0].marker == 1
    assert answer.timings["first_token_ms"] <= answer.timings["total_ms"]


def test_a_judgement_the_endpoint_is_sure_of_answers_without_a_selection(
    news_service, stand_in_server, stand_in_requests
):
    """The stand-in judges P(yes) = 0.91, above the quick threshold: the endpoint is asked to
    judge and then to write, never to choose."""
    stand_in_requests.clear()
    answer = _openai_service(news_service, stand_in_server).assistant().ask(
        "Who did the board choose to lead the Kessel Observatory?"
    )
    assert not answer.abstained and answer.checks["quick"]
    assert [bool(r.get("logprobs")) for r in stand_in_requests] == [True, False]  # judged, then written
    assert not any(r.get("response_format") for r in stand_in_requests)
    assert "Sentence:" in stand_in_requests[-1]["messages"][-1]["content"]
    assert answer.citations and answer.citations[0].text in answer.answer


@pytest.mark.llm
def test_default_llamacpp_generator_answers_with_a_citation(news_service):
    assistant = news_service.assistant("llamacpp")
    answer = assistant.ask("Who did the board choose to lead the Kessel Observatory?")
    print("\nllama.cpp answer:", answer.answer, answer.timings)
    assert answer.generated.strip()
    assert not answer.abstained, answer.checks
    assert "brennand" in answer.answer.lower()
    assert {c.source for c in answer.citations} == {"01_kessel_observatory.txt"}


@pytest.mark.llm
def test_llamacpp_judging_first_words_the_answer_from_the_accepted_sentence(news_service):
    settings = news_service.settings.model_copy(update={"selection": "judge"})
    service = RagService(settings, embedder=news_service.embedder, index=news_service.index)
    answer = service.assistant("llamacpp").ask("Who did the board choose to lead the Kessel Observatory?")
    print("\nllama.cpp answer, judging first:", answer.answer, answer.timings)
    assert not answer.abstained, answer.checks
    assert "select_ms" not in answer.timings  # no selection step
    assert "brennand" in answer.checks["candidate_answer"].lower()  # written from the accepted sentence
    assert answer.checks["wording"] == "generated"
    assert "brennand" in answer.citations[0].text.lower()


@pytest.mark.llm
def test_warming_up_the_local_model_reads_the_system_message_before_any_question(news_service):
    service = RagService(news_service.settings, embedder=news_service.embedder, index=news_service.index)
    generator = service.generator("llamacpp")
    generator.warm_up()
    llama = generator.model.client
    held = llama.detokenize(llama.input_ids[: llama.n_tokens].tolist()).decode("utf-8", "ignore")
    assert prompts.SYSTEM in held  # the first question's prompts begin with what is already read


@pytest.mark.llm
def test_the_local_model_preloaded_in_the_background_is_loaded_and_primed(news_service):
    """The page's server starts loading the model when its first page opens (`preload`)."""
    service = RagService(news_service.settings.model_copy(update={"generator": "llamacpp"}),
                         embedder=news_service.embedder, index=news_service.index)
    thread = service.preload()
    thread.join(300)
    assert not thread.is_alive()
    llama = service.generator("llamacpp").model.client  # loaded here, had the thread not loaded it
    held = llama.detokenize(llama.input_ids[: llama.n_tokens].tolist()).decode("utf-8", "ignore")
    assert prompts.SYSTEM in held  # primed by the thread: loading it here would not have read this


def test_nothing_is_preloaded_when_the_settings_say_so(news_service):
    settings = news_service.settings.model_copy(update={"preload_model": False, "generator": "llamacpp"})
    service = RagService(settings, embedder=news_service.embedder, index=news_service.index)
    assert service.preload() is None
    assert service._generators == {}  # no model built


def test_a_warm_up_meeting_another_waits_for_it_and_the_model_is_loaded_and_primed_once():
    """A question's warm-up that meets the page's preloading in progress waits for it."""
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    built, primed, ready = [], [], []

    def build():
        built.append(1)
        time.sleep(0.2)
        return FakeListChatModel(responses=["{}"])

    def prime(model):
        time.sleep(0.2)
        primed.append(model)

    generator = ChatModelGenerator(build, "fake", prime=prime)

    def warm_up():
        generator.warm_up()
        ready.append(bool(primed))  # what this caller found when its warm-up returned

    threads = [threading.Thread(target=warm_up) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)
    assert len(built) == 1 and len(primed) == 1
    assert ready == [True, True, True]


def test_a_model_failing_to_preload_is_logged_and_reported_by_the_question(news_service, monkeypatch, caplog):
    import rag.models.llm

    attempts, raised = [], []
    unconfigured = rag.models.llm.openai_chat_model
    monkeypatch.setattr(rag.models.llm, "openai_chat_model", lambda settings: attempts.append(1) or unconfigured(settings))
    monkeypatch.setattr(threading, "excepthook", raised.append)
    service = _openai_service(news_service, None)
    thread = service.preload()
    thread.join(10)
    assert not thread.is_alive() and attempts == [1] and raised == []  # tried, and nothing escaped the thread
    assert "ahead of the first question failed" in caplog.text
    with pytest.raises(GeneratorUnavailable, match="RAG_OPENAI_BASE_URL"):
        service.assistant("openai").ask("Who did the board choose to lead the Kessel Observatory?")
    assert attempts == [1, 1]  # the question tried again, and said why it could not


@pytest.mark.llm
def test_llamacpp_reads_yes_or_no_from_a_sentence(news_service):
    generator = news_service.generator("llamacpp")
    question = "Did the mayor lead the lantern parade?"
    said = generator.affirms(question, "The lantern parade was led by the mayor, Tessa Morrow.")
    denied = generator.affirms(question, "The lantern parade was not led by the mayor, who stayed at home.")
    assert said > 0.5 > denied


@pytest.mark.llm
def test_llamacpp_splits_a_comparing_question_by_side(news_service):
    from rag.answer.question import analyse
    from rag.answer.sides import side_questions

    asked = analyse("What did Tessa Morrow and Jonas Weir say about the ferry route?")
    written = news_service.generator("llamacpp").split_sides(asked.text, asked.sides)
    assert written is not None and len(written) == 2
    questions = side_questions(asked, written)
    assert "Tessa Morrow" in questions[0].text and "Jonas Weir" not in questions[0].text
    assert "Jonas Weir" in questions[1].text and "Tessa Morrow" not in questions[1].text
    assert all("ferry" in question.text for question in questions)


@pytest.mark.llm
def test_concurrent_questions_share_the_local_model_safely(news_service):
    """Three questions at once on one llama.cpp model: calls are serialised, none crashes, and
    each answer belongs to its own question."""
    assistant = news_service.assistant("llamacpp")
    assistant.generator.warm_up()
    questions = [
        "Who did the board choose to lead the Kessel Observatory?",
        "How long will the Tarrow tunnel be closed?",
        "What is the boiling point of mercury?",
    ]
    answers: dict[str, object] = {}
    errors: list[BaseException] = []

    def ask(question: str) -> None:
        try:
            answers[question] = assistant.ask(question)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=ask, args=(q,)) for q in questions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, errors
    assert set(answers) == set(questions)
    # each reply rests on its own question's article, never on another thread's
    assert {c.source for c in answers[questions[0]].citations} <= {"01_kessel_observatory.txt"}
    assert {c.source for c in answers[questions[1]].citations} <= {"02_tarrow_tunnel.txt"}
    assert not answers[questions[0]].abstained or not answers[questions[1]].abstained
    assert answers[questions[2]].abstained


def _openai_service(news_service, url: str, **settings) -> RagService:
    settings = news_service.settings.model_copy(
        update={"openai_base_url": url, "openai_model": "stand-in", "generator": "openai", **settings}
    )
    return RagService(settings, embedder=news_service.embedder, index=news_service.index)


def test_model_lock_counts_running_and_waiting_requests():
    lock = ModelLock()
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock.hold():
            entered.set()
            release.wait(10)

    first = threading.Thread(target=hold)
    first.start()
    entered.wait(10)
    entered.clear()
    second = threading.Thread(target=hold)
    second.start()
    deadline = time.time() + 10
    while lock.users < 2 and time.time() < deadline:
        time.sleep(0.01)
    assert lock.users == 2  # one runs, one waits
    assert not entered.is_set()
    release.set()
    first.join(10)
    second.join(10)
    assert lock.users == 0


def test_a_question_waiting_for_the_model_is_told_it_is_queued(news_service, stand_in_server):
    assistant = _openai_service(news_service, stand_in_server).assistant()
    events: list[object] = []
    with assistant.generator.lock.hold():  # another question is using the model
        worker = threading.Thread(
            target=lambda: events.extend(assistant.stream("Who did the board choose to lead the Kessel Observatory?"))
        )
        worker.start()
        time.sleep(2)
        assert [type(e) for e in events] == [Retrieved, Queued]  # sources shown, then queued
        assert events[1].ahead == 1
    worker.join(60)
    assert isinstance(events[-1], Finished) and not events[-1].answer.abstained


def test_an_endpoint_that_is_down_gives_a_clear_error(news_service, dead_endpoint):
    assistant = _openai_service(news_service, dead_endpoint).assistant()
    with pytest.raises(GeneratorUnavailable, match=f"OpenAI-compatible endpoint at {dead_endpoint} failed"):
        assistant.ask("Who did the board choose to lead the Kessel Observatory?")


def test_an_endpoint_that_never_answers_times_out_with_a_clear_error(news_service, silent_endpoint):
    assistant = _openai_service(news_service, silent_endpoint, openai_timeout=1.0).assistant()
    started = time.perf_counter()
    with pytest.raises(GeneratorUnavailable, match="(?i)timed out"):
        assistant.ask("Who did the board choose to lead the Kessel Observatory?")
    assert time.perf_counter() - started < 30


def test_openai_is_offered_only_when_an_endpoint_is_configured(news_service):
    assert not news_service.settings.model_copy(update={"openai_base_url": None}).openai_configured
    unset = _openai_service(news_service, None).assistant()
    with pytest.raises(GeneratorUnavailable, match="RAG_OPENAI_BASE_URL"):
        unset.ask("Who did the board choose to lead the Kessel Observatory?")


def test_a_request_joining_a_busy_model_is_told_how_many_are_ahead():
    lock, told, holding, release = ModelLock(), [], threading.Event(), threading.Event()

    def first() -> None:
        with lock.hold(waiting=told.append):
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait(10)
    second = threading.Thread(target=lambda: lock.hold(waiting=told.append).__enter__())
    second.start()
    second.join(0.5)  # it waits for the lock, having been told
    assert told == [1]  # the first, alone, was told nothing
    release.set()
    thread.join(10)
    second.join(10)


def test_the_selection_says_it_waits_while_another_request_holds_the_model(
    news_service, stand_in_server, stand_in_requests
):
    settings = news_service.settings.model_copy(
        update={"openai_base_url": stand_in_server, "openai_model": "stand-in", "generator": "openai"}
    )
    generator = RagService(settings, embedder=news_service.embedder, index=news_service.index).generator()
    question = "Who did the board choose to lead the Kessel Observatory?"
    evidence = news_service.assistant("extractive").ranker.rank(
        question, news_service.retriever.search("Brennand Kessel Observatory"), 3
    )
    holding, release = threading.Event(), threading.Event()

    def other_request() -> None:
        with generator.lock.hold():
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=other_request)
    thread.start()
    holding.wait(10)
    items = generator.select(question, evidence, ["t"] * len(evidence))
    assert next(items) == Waiting(1)
    release.set()
    assert isinstance(list(items)[-1], Selection)
    thread.join(10)


def test_work_after_a_reply_runs_once_the_reply_has_ended(news_service, stand_in_server):
    """The local model hands back the memory its sampler freed (`rag.heap`) after each reply,
    in the model's worker thread, so the reader does not wait for it."""
    settings = news_service.settings.model_copy(update={"openai_base_url": stand_in_server, "openai_model": "stand-in"})
    ended, runs = threading.Event(), []

    def after_reply() -> None:
        runs.append(threading.current_thread().name)
        ended.set()

    generator = ChatModelGenerator(lambda: openai_chat_model(settings), "stand-in", after_reply=after_reply)
    question = "Who did the board choose to lead the Kessel Observatory?"
    found = news_service.retriever.search("Brennand Kessel Observatory")
    evidence = news_service.assistant("extractive").ranker.rank(question, found, 3)
    items = list(generator.select(question, evidence, ["t"] * len(evidence)))
    assert isinstance(items[-1], Selection) and items[-1].sentences
    assert ended.wait(10)
    assert runs == ["stand-in-model"]
    ended.clear()
    list(generator.select(question, evidence[:1], ["t"]))
    assert ended.wait(10) and len(runs) == 2


@pytest.mark.llm
def test_the_local_model_hands_back_what_its_sampler_freed(news_service):
    """A selection under the JSON schema frees about 90 MiB in small pieces; after the reply
    nothing of that size is left for the C library to hand back."""
    if not release_freed_memory():
        pytest.skip("this C library keeps no freed memory to hand back")
    generator = news_service.generator("llamacpp")
    question = "Who did the board choose to lead the Kessel Observatory?"
    found = news_service.retriever.search("Brennand Kessel Observatory")
    evidence = news_service.assistant("extractive").ranker.rank(question, found, 3)
    list(generator.select(question, evidence, ["t"] * len(evidence)))  # the model loaded and warm
    for _ in range(2):
        release_freed_memory()
        list(generator.select(question, evidence, ["t"] * len(evidence)))
        for thread in threading.enumerate():
            if thread.name == "llamacpp-model":
                thread.join(10)  # the work after the reply runs in the model's thread
        after_reply = resident_mib()
        release_freed_memory()
        assert after_reply - resident_mib() < 30
